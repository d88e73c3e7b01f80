// SPDX-License-Identifier: BSL-1.0
// lib/clients/operation_poller.hpp - asks Catena's Integrations API for the operations whose result
// webhook did not come: after a grace period, or at once (in bulk) after a delivery gap.
#ifndef CATENA_WEBHOOKS_CLIENTS_OPERATION_POLLER_HPP
#define CATENA_WEBHOOKS_CLIENTS_OPERATION_POLLER_HPP

#include <catena/webhooks/notifications.hpp>
#include <catena/webhooks/operation.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** What polling did, for /metrics. */
struct poll_stats
{
    std::uint64_t requests = 0;     ///< Requests to the API: one operation, or one listing.
    std::uint64_t listings = 0;     ///< Of those, listings of a connection's operations (after a gap).
    std::uint64_t found = 0;        ///< Outcomes found (success or failed) and handed to processing.
    std::uint64_t still_pending = 0; ///< Answers that the operation is still pending.
    std::uint64_t failures = 0;     ///< Requests that failed (401, 5xx, garbage...): asked again later.
    std::uint64_t deferred = 0;     ///< Times due requests waited for the rate limit.
    std::uint64_t gaps = 0;         ///< Delivery gaps that made every watched operation due at once.
    std::size_t watched = 0;        ///< Operations waiting for an outcome.
};

/** Which operations to ask about, and when (sans-I/O: the caller gives the time).

    An operation becomes due `grace` after it is watched; one still pending, or whose request
    failed, again after a back-off (initial_backoff doubling up to max_backoff). A delivery gap
    makes every watched operation due at once, asked through one listing per (connection,
    resource); what a listing does not name is then asked one by one. At most max_polls
    requests per `per` (a sliding window): the rest wait for the window, in due order.
*/
class poll_schedule
{
public:
    explicit poll_schedule(operation_polling_options const& o);

    /// One request to make: one operation, or the listing of a connection's operations.
    struct job
    {
        bool listing = false;
        std::string connection_id;
        std::string resource;            ///< Listing only; may be empty.
        std::vector<std::string> operation_ids;
    };

    /// Starts watching (or learns the connection of) an operation: due `grace` after `now`.
    /// Without a connection it is not pollable and never due.
    void watch(operation_ref const& ref, timestamp now);
    /// The operation was decided (webhook, poll or timeout): not asked about any more.
    void forget(std::string const& id);
    /// A delivery gap: every pollable watched operation is due now, through listings.
    void cover(timestamp now);
    /// The requests due at `now` within the rate limit; their operations are in flight until answered.
    std::vector<job> take(timestamp now);
    /// The answer about one operation of a job: decided (forget it), still pending or failed
    /// (ask again after the back-off), or not named by a listing (ask it alone, now).
    enum class answer { decided, pending, failed, not_listed };
    void answered(std::string const& id, answer a, timestamp now, std::string problem = {});

    /// When take() next has something to do (a due operation, or the rate window opening).
    std::optional<timestamp> next_due() const;
    bool watching(std::string const& id) const { return ops_.contains(id); }
    std::size_t size() const noexcept { return ops_.size(); }
    std::uint64_t deferred() const noexcept { return deferred_; }

    struct state
    {
        operation_ref ref;
        std::optional<timestamp> due; ///< None: not pollable (no connection) or in flight.
        bool listing = false;         ///< Due through a listing (a gap covered it).
        bool in_flight = false;
        unsigned polls = 0;
        unsigned failures_in_a_row = 0;
        std::string last_problem;
    };
    /// Every watched operation, by id.
    std::map<std::string, state> const& operations() const noexcept { return ops_; }

private:
    std::chrono::seconds backoff(unsigned n) const;

    operation_polling_options const opts_;
    std::map<std::string, state> ops_;
    std::deque<timestamp> sent_; // requests within the last `per`
    std::uint64_t deferred_ = 0;
};

/** The I/O side: a poll_schedule driven by a timer on the receiver's clock, its requests made
    through a notifications_client (OAuth, retries, HTTPS only). An outcome found goes to
    `found` (processing completes the operation as its webhook would, source poll); a failed
    request to `report` (the operation stays pending and is asked again later: a 401, a 5xx
    or an answer that is not the operation never completes anything).

    The timer never sleeps longer than a second at a time, so a clock that jumps (or a test's
    clock) is followed within a second.

    @par Thread safety
    Every member function from any thread; the hooks run on the poller's strand.
*/
class operation_poller
{
public:
    struct hooks
    {
        std::function<void(operation_result)> found;
        std::function<void(error_code, std::string)> report;
        clock_function clock;
    };

    operation_poller(boost::asio::any_io_executor ex, operation_polling_options const& opts, hooks h);
    ~operation_poller();
    operation_poller(operation_poller const&) = delete;
    operation_poller& operator=(operation_poller const&) = delete;

    /// Stops: no more requests, those in flight cancelled.
    void stop();
    /// An operation is tracked (or its connection became known).
    void watch(operation_ref ref);
    /// An operation was decided: not asked about any more.
    void forget(std::string id);
    /// A webhook.* event that stopped a subscription: a gap when the subscription carries
    /// resource_operation events (or says not which it carries).
    void stopped(subscription_event const& e);
    /// A delivery gap the healer reported: covers the operations when its events include
    /// resource_operation ones (or are not known).
    void gap(delivery_gap const& g);

    poll_stats stats() const;
    /// Per watched operation: when it is asked next, how often it was, the last problem.
    std::map<std::string, poll_schedule::state> snapshot() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace catena::webhooks::detail

#endif
