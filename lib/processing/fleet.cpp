// SPDX-License-Identifier: BSL-1.0
// lib/processing/fleet.cpp - one fleet's parts, their state machines, and the derivation of stage and health by the time things happened.
#include "processing/fleet.hpp"
#include "detail/json_fields.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <array>

namespace catena::webhooks::detail {

namespace {

bool is_one_of(std::string_view r, auto const& set) noexcept
{
    return std::find(std::begin(set), std::end(set), r) != std::end(set);
}

constexpr std::string_view lifecycle_resources[] = {"invitation", "share_agreement", "connection",
                                                    "fleet_connection", "execution", "schedule"};
constexpr std::string_view control_resources[] = {"resource_operation", "webhook", "tsp"};

bool ended(invitation_state s) noexcept
{
    return s == invitation_state::declined || s == invitation_state::expired || s == invitation_state::deleted;
}

// Of two ends at the same instant, the later step: deleted, then expired, then declined.
int end_order(invitation_state s) noexcept
{
    return s == invitation_state::deleted ? 2 : s == invitation_state::expired ? 1 : 0;
}

std::optional<invitation_state> invitation_move(std::string_view action) noexcept
{
    if(action == "rejected") // deprecated name of declined
        return invitation_state::declined;
    return parse_invitation_state(action);
}

std::string version_key(std::string_view kind, std::string_view id)
{
    std::string k;
    k.reserve(kind.size() + id.size() + 1);
    k.append(kind).append("/").append(id);
    return k;
}

// When Catena ingested a data record: its updated_at ("last modification in Catena") or
// created_at ("first ingestion time"), the later; never occurred_at (when it happened on the
// vehicle, often minutes earlier). A record with neither (they are always present, spec
// §4.2) is taken at its fact's time.
timestamp ingestion_time(event const& ev, order_key const& key) noexcept
{
    if(ev.created_at && ev.updated_at)
        return std::max(*ev.created_at, *ev.updated_at);
    if(ev.updated_at || ev.created_at)
        return ev.updated_at ? *ev.updated_at : *ev.created_at;
    return key.time;
}

// What the parts say, for the stage table.
struct parts_summary
{
    bool agreements_known = false;
    bool agreement_active = false;
    bool linked_connection = false;
    bool reported_connection = false;
    bool invitations_known = false;
    bool every_invitation_ended = true;
    std::optional<invitation_state> furthest_live; // by rank
    std::optional<invitation_state> last_ended;    // by end time
};

// The stage table of docs/processing.md: the first row that holds, top to bottom.
struct stage_row
{
    stage result;
    bool (*holds)(parts_summary const&);
};
constexpr stage_row stage_derivation[] = {
    {stage::connected, [](parts_summary const& p) {
         return p.linked_connection && (!p.agreements_known || p.agreement_active);
     }},
    {stage::connection, [](parts_summary const& p) {
         return p.reported_connection && (!p.agreements_known || p.agreement_active);
     }},
    {stage::agreement, [](parts_summary const& p) { return p.agreement_active; }},
    {stage::accepted, [](parts_summary const& p) { return p.furthest_live == invitation_state::accepted; }},
    {stage::viewed, [](parts_summary const& p) { return p.furthest_live == invitation_state::viewed; }},
    {stage::invited, [](parts_summary const& p) { return p.furthest_live.has_value(); }},
    {stage::revoked, [](parts_summary const& p) { return p.agreements_known && !p.agreement_active; }},
    {stage::declined, [](parts_summary const& p) {
         return p.invitations_known && p.every_invitation_ended && p.last_ended == invitation_state::declined;
     }},
    {stage::expired, [](parts_summary const& p) {
         return p.invitations_known && p.every_invitation_ended && p.last_ended == invitation_state::expired;
     }},
    {stage::deleted, [](parts_summary const& p) {
         return p.invitations_known && p.every_invitation_ended && p.last_ended == invitation_state::deleted;
     }},
};

} // namespace

transition make_transition(event const& cause, fleet_state const& st, std::string fleet_key, dimension d,
                           std::string entity, std::string_view from, std::string_view to, std::string_view key_infix,
                           std::optional<timestamp> at)
{
    transition t;
    t.fleet_key = std::move(fleet_key);
    t.fleet_id = st.fleet_id;
    t.fleet_ref = st.fleet_ref;
    t.what = d;
    t.entity_id = std::move(entity);
    t.from = from;
    t.to = to;
    t.cause = cause.event_name;
    t.event_id = cause.event_id;
    t.record_id = cause.record_id;
    t.occurred_at = at;
    t.idempotency_key.reserve(cause.idempotency_key.size() + key_infix.size() + 12 + t.entity_id.size());
    t.idempotency_key.append(cause.idempotency_key).append(key_infix).append(to_string(d));
    if(!t.entity_id.empty())
        t.idempotency_key.append(":").append(t.entity_id);
    return t;
}

event_kind kind_of_event(std::string_view resource) noexcept
{
    if(is_one_of(resource, lifecycle_resources))
        return event_kind::lifecycle;
    if(is_one_of(resource, control_resources))
        return event_kind::control;
    return event_kind::data;
}

invitation_info* fleet_record::invitation(std::string const& id)
{
    auto it = std::find_if(state.invitations.begin(), state.invitations.end(), [&](auto const& i) { return i.id == id; });
    return it == state.invitations.end() ? nullptr : &*it;
}

agreement_info* fleet_record::agreement(std::string const& id)
{
    auto it = std::find_if(state.agreements.begin(), state.agreements.end(), [&](auto const& a) { return a.id == id; });
    return it == state.agreements.end() ? nullptr : &*it;
}

connection_info* fleet_record::connection(std::string const& id)
{
    auto it = std::find_if(state.connections.begin(), state.connections.end(), [&](auto const& c) { return c.id == id; });
    if(it != state.connections.end())
        return &*it;
    connection_info c;
    c.id = id;
    state.connections.push_back(std::move(c));
    return &state.connections.back();
}

schedule_info* fleet_record::schedule(connection_info& c, std::string const& id)
{
    auto it = std::find_if(c.schedules.begin(), c.schedules.end(), [&](auto const& s) { return s.id == id; });
    if(it != c.schedules.end())
        return &*it;
    schedule_info s;
    s.id = id;
    c.schedules.push_back(std::move(s));
    return &c.schedules.back();
}

std::optional<timestamp> fleet_record::evidence_of(std::string_view kind, std::string_view id,
                                                   std::string_view resource) const
{
    key_buf_.assign(kind).append(id);
    if(!resource.empty())
        key_buf_.append("/").append(resource);
    auto it = evidence.find(std::string_view(key_buf_));
    return it == evidence.end() ? std::nullopt : std::optional(it->second);
}

void fleet_record::witness(std::string_view kind, std::string_view id, std::string_view resource, timestamp t)
{
    key_buf_.assign(kind).append(id);
    if(!resource.empty())
        key_buf_.append("/").append(resource);
    if(auto it = evidence.find(std::string_view(key_buf_)); it != evidence.end())
    {
        if(it->second < t)
            it->second = t;
        return;
    }
    evidence.emplace(key_buf_, t);
}

// A schedule's evidence: data of its resource on its connection, or naming it (its
// schedule_id), or a successful execution of it.
std::optional<timestamp> fleet_record::schedule_evidence(connection_info const& c, schedule_info const& s) const
{
    auto e = evidence_of("s/", s.id, {});
    if(!s.resource.empty())
        if(auto r = evidence_of("r/", c.id, s.resource); r && (!e || *e < *r))
            e = r;
    return e;
}

// The health table of docs/processing.md for one connection: an alarm holds while it is not
// before every piece of evidence; stale over degraded.
health fleet_record::connection_health(connection_info const& c) const
{
    auto const holds = [&c](std::optional<timestamp> alarm) {
        return alarm && (!c.ingested_at || *c.ingested_at <= *alarm);
    };
    if(holds(c.staled_at))
        return health::stale;
    if(holds(c.failed_at))
        return health::degraded;
    return health::ok;
}

bool fleet_record::any_alarm() const noexcept
{
    for(auto const& c : state.connections)
    {
        if(c.staled_at || c.failed_at)
            return true;
        for(auto const& s : c.schedules)
            if(s.deactivated_at)
                return true;
    }
    return false;
}

void fleet_record::apply(event& ev, order_key const& key, lifecycle_output& out)
{
    ev.late = false;
    auto const resource = ev.resource();
    auto const action = ev.action();
    auto const kind = kind_of_event(resource);

    auto make = [&](dimension d, std::string entity, std::string_view from, std::string_view to) {
        return make_transition(ev, state, ev.fleet_key, d, std::move(entity), from, to, "#", key.time);
    };
    if(!state.last_occurred_at || *state.last_occurred_at <= key.time)
    {
        state.last_occurred_at = key.time;
        state.last_event = ev.event_name;
    }

    // Data: evidence of ingestion on its connection (late or not: it was ingested). Only a
    // fleet with an alarm can change by it.
    if(kind == event_kind::data)
    {
        if(ev.connection_id.empty())
            return;
        auto const t = ingestion_time(ev, key);
        witness("c/", ev.connection_id, {}, t);
        witness("r/", ev.connection_id, resource, t);
        if(auto const sid = string_field(ev.record, "schedule_id"); !sid.empty())
            witness("s/", sid, {}, t);
        if(any_alarm())
            derive(make, out);
        return;
    }

    // Per record: an older version than the newest applied is late. An invitation's steps
    // are ordered by Catena's order of steps instead (its records carry one created_at).
    if(resource != "execution" && resource != "invitation")
    {
        auto [v, first] = versions.try_emplace(version_key(resource, ev.record_id), key);
        if(!first)
        {
            if(version_less(key, v->second))
                ev.late = true;
            else
                v->second = key;
        }
    }

    std::size_t const before = out.transitions.size();
    if(resource == "invitation")
    {
        auto const to = invitation_move(action);
        auto const id = ev.invitation_id.empty() ? ev.record_id : ev.invitation_id;
        if(!to)
            return;
        auto* i = invitation(id);
        if(i && invitation_rank(*to) < invitation_rank(i->state))
        {
            ev.late = true; // a step behind this invitation's own state: changes nothing
            return;
        }
        if(i && *to != i->state &&
           (invitation_rank(*to) == invitation_rank(i->state) || (*to == invitation_state::deleted && i->state == invitation_state::accepted)))
        {
            out.impossible = ev.event_name + " cannot follow " + std::string(to_string(i->state)) + " of invitation " +
                             id + " (fleet " + ev.fleet_key + ")";
            return;
        }
        if(!i)
        {
            state.invitations.push_back(invitation_info{id, *to, {}, {}});
            i = &state.invitations.back();
            out.transitions.push_back(make(dimension::invitation, id, "", to_string(*to)));
        }
        else if(*to != i->state)
        {
            out.transitions.push_back(make(dimension::invitation, id, to_string(i->state), to_string(*to)));
            i->state = *to;
        }
        // Its times: the step's (accepted_at, or its created_at), and when it ended (the
        // ending fact's own time: declined_at, expires_at, the deletion's).
        if(*to == invitation_state::accepted)
            i->stepped_at = key.time;
        else if(!ended(*to) && ev.created_at && !i->stepped_at)
            i->stepped_at = ev.created_at;
        if(ended(*to) && i->state == *to)
            i->ended_at = key.time;
    }
    else if(resource == "share_agreement")
    {
        bool const deleting = action == "deleted";
        if(auto* a = agreement(ev.record_id))
        {
            if(ev.late)
                return;
            if(!a->active && !deleting)
                out.impossible = ev.event_name + " cannot follow deleted of agreement " + ev.record_id + " (fleet " +
                                 ev.fleet_key + ")";
            else if(a->active && deleting)
            {
                out.transitions.push_back(make(dimension::agreement, ev.record_id, "active", "deleted"));
                a->active = false;
                a->deleted_at = key.time;
            }
        }
        else
        {
            state.agreements.push_back(agreement_info{ev.record_id, !deleting,
                                                      deleting ? std::optional(key.time) : std::nullopt});
            out.transitions.push_back(make(dimension::agreement, ev.record_id, "", deleting ? "deleted" : "active"));
        }
    }
    else if(!ev.connection_id.empty())
    {
        // Alarms and evidence are times: kept whatever order they came in (a late one too),
        // and the derivation compares them.
        auto* c = connection(ev.connection_id);
        if(resource == "connection")
        {
            c->reported = true;
            if(auto s = string_field(ev.record, "source_name"); !s.empty())
                c->source_name = std::move(s);
            if(auto t = string_field(ev.record, "tsp_id"); !t.empty())
                c->tsp_id = std::move(t);
            if(action == "staled")
                keep_later(c->staled_at, key.time);
            else
                witness("c/", c->id, {}, key.time); // connection.created: (re-)authenticated
        }
        else if(resource == "fleet_connection")
        {
            if(!c->linked)
                out.transitions.push_back(make(dimension::connection, c->id, "", "linked"));
            c->linked = true;
        }
        else if(resource == "execution")
        {
            auto const schedule_id = string_field(ev.record, "schedule_id");
            if(action == "failed" || action == "staled")
            {
                if(action == "failed")
                {
                    ++c->failed_executions;
                    ++state.failed_executions;
                }
                keep_later(c->failed_at, key.time);
            }
            else if(ev.status == "success")
            {
                // A successful fetch: credentials work, and its schedule runs.
                witness("c/", c->id, {}, key.time);
                if(!schedule_id.empty())
                    witness("s/", schedule_id, {}, key.time);
            }
            if(!schedule_id.empty())
                if(auto it = std::find_if(c->schedules.begin(), c->schedules.end(),
                                          [&](schedule_info const& s) { return s.id == schedule_id; });
                   it != c->schedules.end() && it->resource.empty())
                    it->resource = string_field(ev.record, "resource");
        }
        else if(resource == "schedule" && action == "deactivated")
        {
            auto* s = schedule(*c, ev.record_id);
            if(auto r = string_field(ev.record, "resource"); !r.empty())
                s->resource = std::move(r);
            keep_later(s->deactivated_at, key.time);
        }
    }
    // A part may change without a transition of its own (a connection reported for the first
    // time, already ok): the derivation looks at every lifecycle event.
    if(kind == event_kind::lifecycle || out.transitions.size() != before)
        derive(make, out);
}

stage fleet_record::derived_stage() const
{
    parts_summary p;
    p.agreements_known = !state.agreements.empty();
    // R: when the last agreement was deleted, once every one is (one without a time, from an
    // older store, counts as the latest fact).
    std::optional<timestamp> revoked_at;
    bool revoked_at_unknown = false;
    for(auto const& a : state.agreements)
    {
        p.agreement_active |= a.active;
        if(!a.active)
        {
            if(a.deleted_at)
                keep_later(revoked_at, *a.deleted_at);
            else
                revoked_at_unknown = true;
        }
    }
    bool const revoked = p.agreements_known && !p.agreement_active;
    for(auto const& c : state.connections)
    {
        p.linked_connection |= c.linked;
        p.reported_connection |= c.reported;
    }
    std::optional<timestamp> last_end;
    for(auto const& i : state.invitations)
    {
        p.invitations_known = true;
        if(!ended(i.state))
        {
            p.every_invitation_ended = false;
            // Live: a journey not ended, begun or accepted after the revocation if there is one.
            bool const live = !revoked || (!revoked_at_unknown && i.stepped_at && revoked_at && *i.stepped_at > *revoked_at);
            if(live && (!p.furthest_live || invitation_rank(i.state) > invitation_rank(*p.furthest_live)))
                p.furthest_live = i.state;
            continue;
        }
        auto const t = i.ended_at.value_or(timestamp{});
        if(!p.last_ended || !last_end || *last_end < t || (*last_end == t && end_order(i.state) > end_order(*p.last_ended)))
        {
            p.last_ended = i.state;
            last_end = t;
        }
    }
    for(auto const& row : stage_derivation)
        if(row.holds(p))
            return row.result;
    return stage::none;
}

health fleet_record::derived_health() const
{
    health worst = health::ok;
    auto worse = [&](health h) {
        if(severity(h) > severity(worst))
            worst = h;
    };
    for(auto const& c : state.connections)
    {
        worse(c.health);
        for(auto const& s : c.schedules)
            if(!s.active)
                worse(health::halted);
    }
    return worst;
}

} // namespace catena::webhooks::detail
