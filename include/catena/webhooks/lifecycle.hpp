// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/lifecycle.hpp - the per-fleet onboarding stage and ingestion health, and their transitions.
#ifndef CATENA_WEBHOOKS_LIFECYCLE_HPP
#define CATENA_WEBHOOKS_LIFECYCLE_HPP

#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks {

/** Where a fleet is in Catena's onboarding (spec §5.8).

    The forward path is invited → viewed → accepted → agreement → connection → connected
    (connection may be skipped). declined, expired and deleted leave it before acceptance; a
    new invitation starts the journey again. revoked follows share_agreement.deleted.
*/
enum class stage : std::uint8_t
{
    none,       ///< Nothing known yet (the `from` of a fleet's first transition).
    invited,    ///< invitation.created or invitation.sent
    viewed,     ///< invitation.viewed
    accepted,   ///< invitation.accepted
    agreement,  ///< share_agreement.created
    connection, ///< connection.created
    connected,  ///< fleet_connection.created: ingestion begins
    declined,   ///< invitation.declined
    expired,    ///< invitation.expired
    deleted,    ///< invitation.deleted
    revoked,    ///< share_agreement.deleted
};

/** Whether Catena is ingesting a fleet's data (meaningful once connected). */
enum class health : std::uint8_t
{
    ok,       ///< Ingesting, or nothing wrong reported.
    degraded, ///< execution.failed: a fetch failed; Catena retries by itself.
    stale,    ///< connection.staled: credentials invalid; no data until the fleet re-authenticates.
    halted,   ///< schedule.deactivated: ingestion off until the schedule is re-enabled.
};

/** The two independent dimensions of a fleet's state. */
enum class dimension : std::uint8_t
{
    stage,
    health,
};

/// "invited", "connected", ...; "" for stage::none.
CATENA_WEBHOOKS_DECL std::string_view to_string(stage s) noexcept;
/// "ok", "degraded", "stale", "halted".
CATENA_WEBHOOKS_DECL std::string_view to_string(health h) noexcept;
/// "stage" or "health".
CATENA_WEBHOOKS_DECL std::string_view to_string(dimension d) noexcept;
/// The inverse of to_string; std::nullopt for an unknown name.
CATENA_WEBHOOKS_DECL std::optional<stage> parse_stage(std::string_view s) noexcept;
CATENA_WEBHOOKS_DECL std::optional<health> parse_health(std::string_view s) noexcept;

/** One change of one dimension of a fleet's state, caused by one event. */
struct transition
{
    std::string fleet_key;  ///< The fleet's key when the transition happened (see fleet_state::key).
    std::string fleet_id;   ///< Empty while unknown.
    std::string fleet_ref;  ///< Empty while unknown.
    dimension what = dimension::stage;
    std::string_view from;  ///< State name ("" for a fleet's first stage).
    std::string_view to;    ///< State name.
    std::string cause;      ///< The event name, e.g. "fleet_connection.created".
    std::string event_id;   ///< The causing event's envelope id (may be empty).
    std::string record_id;  ///< The causing record's id.
    std::optional<timestamp> occurred_at; ///< The causing event's ordering time.
    /// Stable across retries, replays and restarts: the cause's key plus the dimension.
    std::string idempotency_key;
};

/** Two keys found to name one fleet, for example when invitation.accepted reveals the
    fleet_id of a journey known so far only by its fleet_ref. Everything known under `from`
    now lives under `into`; `from` is no longer used.
*/
struct fleet_merge
{
    std::string from;
    std::string into;
    std::string cause;    ///< The event name that revealed the link.
    std::string event_id;
    std::string record_id;
};

/** What is known about one fleet. */
struct fleet_state
{
    /** Stable key: the fleet_id when known, else "ref:<fleet_ref>", else
        "invitation:<id>", else "connection:<id>" (an operational event whose connection is
        not linked to a fleet yet). A merge (see @ref fleet_merge) retires the weaker key.
    */
    std::string key;
    std::string fleet_id;
    std::string fleet_ref;
    std::vector<std::string> invitation_ids;
    std::vector<std::string> connection_ids;
    enum stage stage = stage::none;
    enum health health = health::ok;
    std::uint64_t failed_executions = 0; ///< execution.failed events seen (each one counted once).
    std::string last_event;              ///< Name of the last event applied.
    std::optional<timestamp> last_occurred_at; ///< Ordering time of the newest event applied.
};

} // namespace catena::webhooks

#endif
