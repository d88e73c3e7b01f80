// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/stats.hpp - a snapshot of a receiver's counters (receiver::stats).
#ifndef CATENA_WEBHOOKS_STATS_HPP
#define CATENA_WEBHOOKS_STATS_HPP

#include <cstdint>

namespace catena::webhooks {

/** A snapshot of the receiver's counters. */
struct receiver_stats
{
    std::uint64_t accepted = 0;           ///< Deliveries answered 202 and kept.
    std::uint64_t duplicate_requests = 0; ///< Replayed copies of a kept request (202, not kept twice).
    std::uint64_t rejected = 0;           ///< Requests answered with an error status.
    std::uint64_t events = 0;             ///< Records handed to callbacks.
    std::uint64_t duplicate_events = 0;   ///< Retries and replays of events already seen (not dispatched again;
                                          ///< a copy of a recently kept envelope is caught at intake).
    std::uint64_t late_events = 0;        ///< Events dispatched flagged late.
    std::uint64_t transitions = 0;
    std::uint64_t merges = 0;
    std::uint64_t impossible_transitions = 0;
    std::uint64_t released_early = 0;     ///< Events released before their reorder window ended (buffer full).
    std::uint64_t dead_letters = 0;       ///< Undecodable deliveries and dead-lettered callbacks.
    std::uint64_t callback_errors = 0;    ///< Callback attempts that threw.
    std::uint64_t callback_retries = 0;
    std::uint64_t inbox_depth = 0;        ///< Kept deliveries not processed yet.
    std::uint64_t held_events = 0;        ///< Events in the reorder window.
    std::uint64_t callback_backlog = 0;   ///< Callback calls queued or being retried.
    std::uint64_t fleets = 0;
    std::uint64_t connections_active = 0;
};
} // namespace catena::webhooks

#endif
