// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/lifecycle.hpp - the per-fleet onboarding stage and ingestion health, and their transitions.
#ifndef CATENA_WEBHOOKS_LIFECYCLE_HPP
#define CATENA_WEBHOOKS_LIFECYCLE_HPP

#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks {

/** Where a fleet is in Catena's onboarding (spec §5.8), derived from its invitations,
    agreements and connections (see fleet_state): the furthest any of its journeys got.

    The forward path is invited → viewed → accepted → agreement → connection → connected
    (connection may be skipped). declined, expired and deleted are where a fleet stands when
    every invitation ended and nothing else is live: the one that ended last (by its
    declined_at, expires_at or deletion time) decides; a new invitation starts the journey
    again. revoked: every share agreement was deleted, and no invitation was created or
    accepted after the last deletion. The rules, with the sentence of Catena's documentation
    each comes from: docs/processing.md.
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

/** Whether Catena is ingesting a fleet's data: the worst over its connections and their
    schedules, in the order ok < degraded < halted < stale (see severity()). */
enum class health : std::uint8_t
{
    ok,       ///< Ingesting, or nothing wrong reported.
    degraded, ///< execution.failed: a fetch failed; Catena retries by itself.
    stale,    ///< connection.staled: credentials invalid; no data until the fleet re-authenticates.
    halted,   ///< schedule.deactivated: ingestion off until the schedule is re-enabled.
};

/// How bad a health is: ok 0 < degraded 1 < halted 2 < stale 3 (a stale connection delivers
/// nothing at all; a halted schedule stops one resource).
constexpr int severity(health h) noexcept
{
    switch(h)
    {
    case health::ok: return 0;
    case health::degraded: return 1;
    case health::halted: return 2;
    case health::stale: return 3;
    }
    return 0;
}

/** What a transition is about: the fleet's two derived dimensions, or one of its parts. */
enum class dimension : std::uint8_t
{
    stage,      ///< The fleet's stage.
    health,     ///< The fleet's health.
    invitation, ///< One invitation (transition::entity_id): created, sent, viewed, accepted, ...
    agreement,  ///< One share agreement: active, deleted.
    connection, ///< One TSP connection: ok, degraded, stale.
    schedule,   ///< One ingestion schedule of a connection: active, deactivated.
};

/** Where one invitation is; it only moves forward (created < sent < viewed < one of the ends). */
enum class invitation_state : std::uint8_t
{
    created,
    sent,
    viewed,
    accepted,
    declined,
    expired,
    deleted,
};

/// "invited", "connected", ...; "" for stage::none.
CATENA_WEBHOOKS_DECL std::string_view to_string(stage s) noexcept;
/// "ok", "degraded", "stale", "halted".
CATENA_WEBHOOKS_DECL std::string_view to_string(health h) noexcept;
/// "stage", "health", "invitation", "agreement", "connection", "schedule".
CATENA_WEBHOOKS_DECL std::string_view to_string(dimension d) noexcept;
/// "created", "sent", "viewed", "accepted", "declined", "expired", "deleted".
CATENA_WEBHOOKS_DECL std::string_view to_string(invitation_state s) noexcept;
CATENA_WEBHOOKS_DECL std::optional<invitation_state> parse_invitation_state(std::string_view s) noexcept;
/// The inverse of to_string; std::nullopt for an unknown name.
CATENA_WEBHOOKS_DECL std::optional<stage> parse_stage(std::string_view s) noexcept;
CATENA_WEBHOOKS_DECL std::optional<health> parse_health(std::string_view s) noexcept;

/** One change of one dimension of a fleet's state, or of one of its parts, caused by one event. */
struct transition
{
    std::string fleet_key;  ///< The fleet's key when the transition happened (see fleet_state::key).
    std::string fleet_id;   ///< Empty while unknown.
    std::string fleet_ref;  ///< Empty while unknown.
    dimension what = dimension::stage;
    /// The invitation, agreement, connection or schedule id; empty for stage and health.
    std::string entity_id;
    std::string_view from;  ///< State name ("" for a fleet's first stage, or a part seen first).
    std::string_view to;    ///< State name.
    std::string cause;      ///< The event name, e.g. "fleet_connection.created".
    std::string event_id;   ///< The causing event's envelope id (may be empty).
    std::string record_id;  ///< The causing record's id.
    std::optional<timestamp> occurred_at; ///< The causing event's ordering time.
    /// Stable across retries, replays and restarts: the cause's key plus the dimension (and
    /// the entity id).
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

/** One invitation of a fleet. */
struct invitation_info
{
    std::string id;
    invitation_state state = invitation_state::created;
    /// Its latest step's time: accepted_at once accepted, else its created_at.
    std::optional<timestamp> stepped_at;
    /// When it ended (declined_at, expires_at, the deletion's time); empty while live.
    std::optional<timestamp> ended_at;
};

/** One share agreement of a fleet (what the partner may read). */
struct agreement_info
{
    std::string id;
    bool active = true; ///< false once share_agreement.deleted.
    std::optional<timestamp> deleted_at; ///< When share_agreement.deleted happened.
};

/** One ingestion schedule of a connection (one resource). */
struct schedule_info
{
    std::string id;
    std::string resource; ///< e.g. "hos_event"; empty while only executions named it.
    /// false while its last schedule.deactivated is later than every evidence of ingestion
    /// for it (data of its resource on its connection, or carrying its id; a successful
    /// execution of it): Catena emits nothing when a schedule is re-enabled.
    bool active = true;
    std::optional<timestamp> deactivated_at; ///< Its last schedule.deactivated.
    std::optional<timestamp> ingested_at;    ///< The latest evidence of ingestion for it.
};

/** One TSP connection of a fleet; Catena may share it with other partners. */
struct connection_info
{
    std::string id;
    std::string source_name; ///< The TSP, e.g. "samsara" (empty until a connection record names it).
    std::string tsp_id;
    /// ok, degraded or stale (halted is per schedule): stale while its last connection.staled
    /// is later than every evidence of ingestion on it, degraded likewise for its last failed
    /// fetch (execution.failed, .staled). Evidence: connection.created, a successful execution,
    /// a data record ingested on it (its created_at or updated_at, not its occurred_at).
    enum health health = health::ok;
    bool reported = false;           ///< A connection record (connection.created or .staled) was seen.
    bool linked = false;             ///< fleet_connection.created was seen for it.
    std::uint64_t failed_executions = 0;
    std::vector<schedule_info> schedules;
    std::optional<timestamp> staled_at;   ///< Its last connection.staled.
    std::optional<timestamp> failed_at;   ///< Its last failed fetch.
    std::optional<timestamp> ingested_at; ///< The latest evidence of ingestion on it.
};

/** What is known about one fleet: its parts, and the stage and health derived from them. */
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
    std::vector<invitation_info> invitations;
    std::vector<agreement_info> agreements;
    std::vector<connection_info> connections;
    enum stage stage = stage::none;   ///< Derived from the parts (see the README's derivation table).
    enum health health = health::ok;  ///< The worst of its connections and schedules.
    std::uint64_t failed_executions = 0; ///< execution.failed events seen (each one counted once).
    std::string last_event;              ///< Name of the last event applied.
    std::optional<timestamp> last_occurred_at; ///< Ordering time of the newest event applied.
};

/** Which fleets to list, a page at a time (see receiver::fleets(fleet_query const&)). */
struct fleet_query
{
    std::optional<enum stage> stage;   ///< Only fleets in this stage.
    std::optional<enum health> health; ///< Only fleets in this health.
    std::string after;                 ///< The cursor: keys after this one (the last page's next_cursor).
    std::size_t limit = 100;           ///< At most this many (at most 1000).
};

/** One page of fleets, ordered by key. */
struct fleet_page
{
    std::vector<fleet_state> fleets;
    std::string next_cursor; ///< Empty on the last page.
    std::size_t matched = 0; ///< Fleets matching the filters, on every page.
};

/** How many fleets stand in each stage and each health (by the enumerators' values). */
struct fleet_tally
{
    std::array<std::uint64_t, 11> by_stage{};
    std::array<std::uint64_t, 4> by_health{};
    std::uint64_t total = 0;
};

} // namespace catena::webhooks

#endif
