// SPDX-License-Identifier: BSL-1.0
// lib/clients/healer.hpp - self-healing: reactivates the subscriptions the receiver serves when they
// stop delivering, replays their dead-letter queues, and reports the delivery gap.
#ifndef CATENA_WEBHOOKS_CLIENTS_HEALER_HPP
#define CATENA_WEBHOOKS_CLIENTS_HEALER_HPP

#include <catena/webhooks/notifications.hpp>
#include <catena/webhooks/operation.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace catena::webhooks::detail {

/** What a heal did, for /metrics. */
struct heal_stats
{
    std::uint64_t activations = 0;        ///< Subscriptions reactivated.
    std::uint64_t replays = 0;            ///< Dead-letter replays requested.
    std::uint64_t failures = 0;           ///< API calls of a heal that failed (retried at the next poll).
    std::uint64_t gaps = 0;               ///< Delivery gaps reported.
    std::uint64_t polls = 0;              ///< Polls of GET /webhooks?status=stale.
};

/** Heals the subscriptions the receiver serves (`serves(id)`).

    stopped() is told of every webhook.staled and webhook.paused; every poll_interval the API
    is asked for the stale ones. For each served subscription not being healed already:
    POST …/activate, then (at most one per replay_interval) POST …/replay. Each step is
    reported through `step` (a subscription_event whose action is "reactivated" or
    "replay_requested"), each failure through `report`, and once reactivated the window it
    was not delivering through `gap`. A failed step is tried again at the next poll.

    @par Thread safety
    Every member function from any thread; the callbacks run on the healer's strand.
*/
class healer
{
public:
    using report_fn = std::function<void(error_code, std::string)>;

    struct hooks
    {
        std::function<bool(std::string const&)> serves;
        /// When the subscription last delivered here, if it did.
        std::function<std::optional<timestamp>(std::string const&)> last_delivery;
        std::function<void(subscription_event)> step;
        std::function<void(delivery_gap)> gap;
        report_fn report;
        clock_function clock;
    };

    healer(boost::asio::any_io_executor ex, heal_options const& opts, hooks h);
    ~healer();

    /// Begins polling (the first poll at once).
    void start();
    /// Stops polling and cancels the API calls in flight.
    void stop();
    /// A webhook.staled or webhook.paused arrived.
    void stopped(subscription_event const& e);

    heal_stats stats() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace catena::webhooks::detail

#endif
