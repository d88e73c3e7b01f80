// SPDX-License-Identifier: BSL-1.0
// tools/sim/load.hpp - the traffic of the load and prepare modes: friendly, realistic, a dead-letter replay.
#ifndef CATENA_WEBHOOKS_SIM_LOAD_HPP
#define CATENA_WEBHOOKS_SIM_LOAD_HPP

#include "sim.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace catena::webhooks::sim {

/** What a load run sends. */
enum class load_profile
{
    /// Every envelope with a UUID v7 id, every occurred_at now, two records a telematics delivery.
    friendly,
    /// Telematics occurred_at lagging uniformly 0-120 s behind the send (Catena polls TSPs on a
    /// schedule), 10 % null envelope ids, 1-50 records a telematics delivery (most few, a long
    /// tail), 5 % Catena retries of earlier deliveries (same envelope, next attempt).
    realistic,
    /// A dead-letter replay: events 1-14 days old, half of them deliveries already sent.
    replay,
};

/// "friendly", "realistic" or "replay".
std::optional<load_profile> parse_load_profile(std::string_view name);

/** The deliveries of a profile, in order; remembers what retries and replays repeat.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe (one per worker thread).
*/
class load_stream
{
public:
    load_stream(load_profile p, std::string webhook_id, std::uint64_t seed);

    struct delivery
    {
        message m;
        std::uint32_t attempt = 1;
        bool repeat = false; ///< A retry or replay of an earlier delivery of this stream.
    };

    /// Delivery number `n` of the run (n picks the fleet and the kind of event, as load_message does).
    delivery next(std::size_t n);

private:
    delivery fresh(std::size_t n);

    load_profile profile_;
    std::string webhook_id_;
    std::mt19937_64 rng_;
    std::deque<delivery> sent_; // the last deliveries, for retries and replays
};

} // namespace catena::webhooks::sim

#endif
