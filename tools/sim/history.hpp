// SPDX-License-Identifier: BSL-1.0
// tools/sim/history.hpp - seeded random histories of many fleets, one record per message, for property tests.
#ifndef CATENA_WEBHOOKS_SIM_HISTORY_HPP
#define CATENA_WEBHOOKS_SIM_HISTORY_HPP

#include "sim.hpp"

#include <catena/webhooks/timestamp.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace catena::webhooks::sim {

/** Knobs of a generated history. */
struct history_options
{
    std::uint64_t seed = 1;
    std::size_t fleets = 3; ///< Fleets in one history (each its own fleet_id).
    /// The time of the first fact (2025-11-24T16:00:00Z by default, so a history reads like
    /// a real one and its UUID v7 envelope ids are plausible).
    timestamp start{std::chrono::seconds(1'764'000'000)};
    std::string webhook_id = "5f0c1e2a-0000-4000-8000-00000000a001";
    /// Chance that an envelope has no id; only ever on records that carry their own time.
    double null_id_rate = 0.1;
    /// A data record's occurred_at lags its created_at (its ingestion) by up to this.
    std::chrono::milliseconds max_data_lag{std::chrono::minutes(5)};
};

/** One fact of a history and when Catena sends it. */
struct history_fact
{
    /// webhook_id, event_name, event_id (a UUID v7 of `emitted`, or empty) and exactly one
    /// record in data.
    message msg;
    timestamp emitted{}; ///< When Catena sends it: never before the fact's own time.
};

/** A random history of several fleets, as Catena would emit it.

    Per fleet: one to three invitations at a time (viewed, accepted, declined, expired,
    deleted or left pending; declined and expired ones sometimes deleted after), journeys
    known only by fleet_ref or only by invitation id, agreements (with and without
    invitation_id), one to three TSP connections (connection.created sometimes skipped),
    executions, schedules and data records, and alarms (connection.staled,
    schedule.deactivated, execution.failed/.staled) healed or not by later evidence; then
    sometimes a revocation (every agreement deleted), a re-invitation, resource operations
    and webhook events that belong to no fleet.

    Invariants, so that the final state does not depend on arrival order:
    - every fact has a time: a record carrying no time (connection.*, fleet_connection.*,
      schedule.*, some agreement and invitation deletions, webhook.*) always has a UUID v7
      envelope id of `emitted`; null envelope ids only on records that carry a time;
    - the times the rules compare never tie: each fleet's steps are at least 1 s apart and
      distinct to the millisecond;
    - no fleet_ref is shared by two fleet_ids, no connection by two fleets, no invitation
      both accepted and ended or deleted after acceptance, no agreement re-created after
      its deletion.
*/
struct history
{
    std::vector<history_fact> facts; ///< Sorted by emitted.
};

/// The same options give the same history.
history make_history(history_options const& o);

/// One line per fact: emitted, event name, envelope id ("-" when none) and the record's JSON.
std::string to_text(history const& h);

} // namespace catena::webhooks::sim

#endif
