// SPDX-License-Identifier: BSL-1.0
// lib/http/intake.hpp - a request's headers and body in, verified and kept (or refused), one answer out.
#ifndef CATENA_WEBHOOKS_HTTP_INTAKE_HPP
#define CATENA_WEBHOOKS_HTTP_INTAKE_HPP

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/address.hpp"
#include "detail/counters.hpp"
#include "detail/subscription_book.hpp"
#include "http/admission.hpp"
#include "http/envelope_peek.hpp"
#include "providers/route_table.hpp"
#include "store/store.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** What a delivery request is answered. `ec` is the precise reason (metrics, on_error);
    on the wire every authentication failure says `unauthenticated` (see wire_reason). */
struct answer
{
    unsigned status = 202;
    error_code ec;
};

/// The reason a client reads: every authentication failure looks the same from outside.
std::string_view wire_reason(error_code const& ec) noexcept;

/** Verifies a delivery and keeps it: header checks -> body verification -> inbox entry ->
    store append -> answer.

    The rule: a request whose headers pass may be Catena's, so it is never answered with a
    4xx unless the MAC over its whole body proves it forged. A body that cannot be kept (too
    large, an unknown encoding, corrupt gzip) gets 503 + Retry-After: Catena retries it, then
    keeps it in its dead-letter queue for replay.

    No I/O of its own: the session hands it what it read and writes what it is told.

    @par Thread safety
    Every member function from any thread.
*/
class intake
{
public:
    using report_fn = std::function<void(error_code, unsigned status, std::string detail, std::string request_id,
                                         std::string webhook_id)>;

    intake(receiver_options const& opts, counters& counts, report_fn report);
    ~intake();

    /// Where deliveries are kept, and what to call once one is (processing); before any deliver().
    void attach(store& s, std::function<void()> on_kept);
    /// Where deliveries are counted per subscription (before any deliver()).
    void track_subscriptions(subscription_book& b) noexcept { book_ = &b; }

    /** The request's headers are complete: the checks that need no body (the headers, the
        body's announced size, whether the client's penalty for this subscription leaves a
        verification to spend). An answer means: say it without reading the body; nothing
        means: read the body and call deliver(). Reported and counted here.

        A 4xx only for headers that prove the request is not Catena's (missing or malformed
        signature headers, a timestamp outside the window, an unknown subscription); anything
        else that keeps a request with good headers from being verified is a 503. */
    std::optional<answer> admit(delivery_headers const& h, std::optional<std::uint64_t> content_length,
                                std::string const& remote, client_address const& client, checked_headers& out);

    /** A body that cannot be read or kept although the headers passed (over the size limit
        while arriving, the body budget spent): the 503 to answer, reported and counted. */
    answer defer(error_code ec, delivery_headers const& h, std::string const& remote, std::size_t bytes);

    /** Verifies and keeps one delivery whose headers passed admit(), then calls done(answer)
        once the store has kept or refused it: at once on a verification failure, otherwise
        possibly from the store's writer thread. Never blocks. `body` is consumed. */
    void deliver(delivery_headers const& h, checked_headers const& c, std::string&& body, std::string const& remote,
                 client_address const& client, std::function<void(answer)> done);

    /// The route of another provider (receiver_options::routes) a request target is for.
    std::optional<route_match> route_for(std::string_view target) const { return routes_.find(target); }

    /** admit() for a delivery on another provider's route: the route's allowlist (the
        client's address) and token (in the path or in `token_header_value`), the announced
        size. A wrong token costs nothing to check and a right one proves the delivery, so
        token failures are counted and reported but start no penalty. */
    std::optional<answer> admit_route(route_match const& m, delivery_headers const& h,
                                      std::string_view token_header_value, std::optional<std::uint64_t> content_length,
                                      std::string const& remote, client_address const& client);

    /** deliver() for a route whose headers passed admit_route(): the body decoded (identity
        or gzip, under the inflate limits) and kept for processing, which reads it as the
        route's provider does. */
    void deliver_route(route_options const& r, delivery_headers const& h, std::string&& body, std::string const& remote,
                       std::function<void(answer)> done);

    void set_secrets(secret_ring ring);
    /// Whether the secrets in force name `webhook_id` (a subscription served here).
    bool names(std::string_view webhook_id) const noexcept
    {
        return secrets_.load(std::memory_order_acquire)->names(webhook_id);
    }

    /// The reverse proxies whose word on the client is taken (receiver_options::trusted_proxies).
    std::vector<cidr> const& trusted_proxies() const noexcept { return trusted_; }
    bool trusted(boost::asio::ip::address const& peer) const noexcept { return !trusted_.empty() && contains(trusted_, peer); }

    /// The budget of body bytes in flight and the per-address bounds.
    admission& gate() noexcept { return gate_; }
    /// Reports the penalties over by now (the listener calls it every second).
    void expire_penalties();
    bool reserve_body(std::size_t n) noexcept;
    void release_body(std::size_t n) noexcept;

private:
    // A verifier with what it reads along the way. Pooled: one per connection would keep
    // zlib and MAC state for every idle keep-alive connection.
    struct verifier_slot;
    std::unique_ptr<verifier_slot> acquire_verifier();
    void release_verifier(std::unique_ptr<verifier_slot> v);
    answer refuse(error_code ec, delivery_headers const& h, std::string const& remote);
    void report_penalty(error_code ec, penalty_note const& n);
    void observe_skew(delivery_headers const& h, timestamp now);
    void keep(inbox_entry&& e, timestamp now, std::string const& remote, std::function<void(answer)> done);

    receiver_options const& opts_;
    counters& counts_;
    report_fn report_;
    subscription_book* book_ = nullptr;
    admission gate_;
    route_table routes_;
    std::vector<cidr> trusted_;
    store* store_ = nullptr;
    std::function<void()> on_kept_;
    std::atomic<std::shared_ptr<secret_ring const>> secrets_;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<verifier_slot>> pool_;
    // Timestamp skew of requests whose other headers pass: per block of observations, how
    // many lay in the outer fifth of the window.
    std::atomic<std::uint32_t> skew_seen_{0}, skew_near_edge_{0};
    std::atomic<bool> skew_warned_{false};
};

} // namespace catena::webhooks::detail

#endif
