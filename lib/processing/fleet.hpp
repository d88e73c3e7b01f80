// SPDX-License-Identifier: BSL-1.0
// lib/processing/fleet.hpp - one fleet's parts, their small state machines, and the stage and health derived from them.
#ifndef CATENA_WEBHOOKS_PROCESSING_FLEET_HPP
#define CATENA_WEBHOOKS_PROCESSING_FLEET_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/lifecycle.hpp>

#include "detail/string_map.hpp"
#include "state/codec.hpp"
#include "state/release_order.hpp"

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

// An invitation's step: created 0 < sent 1 < viewed 2 < accepted, declined, expired 3 <
// deleted 4 ("removed before acceptance": after declined or expired, never after accepted).
// Applying events (fleet.cpp) and merging fleets (fleet_merge.cpp) compare steps by it.
inline int invitation_rank(invitation_state s) noexcept
{
    switch(s)
    {
    case invitation_state::created: return 0;
    case invitation_state::sent: return 1;
    case invitation_state::viewed: return 2;
    case invitation_state::deleted: return 4;
    default: return 3;
    }
}

/// Keeps the later of `slot` and `t` in `slot`.
inline void keep_later(std::optional<timestamp>& slot, timestamp t) noexcept
{
    if(!slot || *slot < t)
        slot = t;
}

/** What applying one event produced. */
struct lifecycle_output
{
    std::vector<fleet_merge> merges;
    std::vector<transition> transitions;
    /// Set when the event asked for a move its part's state machine does not allow (not applied).
    std::string impossible;
};

/** A transition of `st` (keyed `fleet_key`) caused by `cause`: its idempotency key is the
    cause's, then `key_infix`, the dimension and, for a part, ":" and its id. */
transition make_transition(event const& cause, fleet_state const& st, std::string fleet_key, dimension d,
                           std::string entity, std::string_view from, std::string_view to, std::string_view key_infix,
                           std::optional<timestamp> at);

/** Whether an event is about a fleet's lifecycle (its parts), ingested data, or neither. */
enum class event_kind
{
    lifecycle, ///< invitation, share_agreement, connection, fleet_connection, execution, schedule
    data,      ///< telematics and every other resource with a fleet
    control,   ///< resource_operation, webhook, tsp: never about a fleet
};
event_kind kind_of_event(std::string_view resource) noexcept;

/** One fleet: its invitations, agreements, connections and their schedules, each with its own
    small state machine, and the fleet's stage and health derived from them and from the
    real-world time of each fact (never set, never from arrival order).

    | part | key | states | moved by |
    |---|---|---|---|
    | invitation | invitation id | created < sent < viewed < accepted, declined, expired; declined, expired < deleted | invitation.* |
    | agreement | agreement id | active, deleted (with its time) | share_agreement.* |
    | connection | connection id | its last alarms (staled, failed) against its latest evidence of ingestion | connection.*, execution.*, data |
    | schedule | schedule id | its last deactivation against its latest evidence | schedule.*, execution.*, data |

    The rules, row by row with the documentation behind each, are docs/processing.md's
    tables; derived_stage() and derive_parts() are those tables.

    Lateness is per record: an event older than the newest version applied to its record
    (order_key's time, rank, updated_at) is late, and for an invitation so is a step behind
    its own state. A late event changes no part; times (alarms, evidence) are kept whatever
    order they came in, since the derivation compares them.
*/
class fleet_record
{
public:
    fleet_state state;
    std::deque<transition> history;
    /// The newest version applied per lifecycle record ("resource/id").
    std::unordered_map<std::string, order_key> versions;
    /// The latest evidence of ingestion, per connection ("c/<id>"), per connection and
    /// resource ("r/<id>/<resource>") and per schedule ("s/<id>"): kept though no part names
    /// them yet, since an alarm may arrive after the data that clears it.
    string_map<timestamp> evidence;

    /** Applies a correlated event (ev.fleet_key set): sets ev.late, moves its part, and
        appends the part's transition and the derived stage/health transitions to `out`. */
    void apply(event& ev, order_key const& key, lifecycle_output& out);

    /// Takes in everything `other` knew (a journey known under a weaker key, now merged).
    void absorb(fleet_record&& other);

    /// Derives the parts' health from their alarms and evidence, then the fleet's stage and
    /// health; appends a transition (made by `make`) for each that changed.
    template<class Make>
    void derive(Make&& make, lifecycle_output& out)
    {
        derive_parts(make, out);
        auto const s = derived_stage();
        auto const h = derived_health();
        if(s != state.stage)
        {
            out.transitions.push_back(make(dimension::stage, std::string(), to_string(state.stage), to_string(s)));
            state.stage = s;
        }
        if(h != state.health)
        {
            out.transitions.push_back(make(dimension::health, std::string(), to_string(state.health), to_string(h)));
            state.health = h;
        }
    }

    fleet_capture capture() const;
    static fleet_record from(fleet_capture c);

private:
    template<class Make>
    void derive_parts(Make& make, lifecycle_output& out)
    {
        for(auto& c : state.connections)
        {
            c.ingested_at = evidence_of("c/", c.id, {});
            auto const h = connection_health(c);
            if(h != c.health)
            {
                out.transitions.push_back(make(dimension::connection, c.id, to_string(c.health), to_string(h)));
                c.health = h;
            }
            for(auto& sc : c.schedules)
            {
                sc.ingested_at = schedule_evidence(c, sc);
                bool const active = !(sc.deactivated_at && (!sc.ingested_at || *sc.ingested_at <= *sc.deactivated_at));
                if(active != sc.active)
                {
                    out.transitions.push_back(make(dimension::schedule, sc.id, active ? "deactivated" : "active",
                                                   active ? "active" : "deactivated"));
                    sc.active = active;
                }
            }
        }
    }
    health connection_health(connection_info const& c) const;
    std::optional<timestamp> evidence_of(std::string_view kind, std::string_view id, std::string_view resource) const;
    std::optional<timestamp> schedule_evidence(connection_info const& c, schedule_info const& s) const;
    void witness(std::string_view kind, std::string_view id, std::string_view resource, timestamp t);
    bool any_alarm() const noexcept;
    stage derived_stage() const;
    health derived_health() const;
    invitation_info* invitation(std::string const& id);
    agreement_info* agreement(std::string const& id);
    connection_info* connection(std::string const& id);
    schedule_info* schedule(connection_info& c, std::string const& id);

    mutable std::string key_buf_; // evidence keys are built here (no allocation once it has grown)
};

} // namespace catena::webhooks::detail

#endif
