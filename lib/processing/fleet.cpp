// SPDX-License-Identifier: BSL-1.0
// lib/processing/fleet.cpp - one fleet's parts, their state machines, and the derivation of stage and health.
#include "processing/fleet.hpp"

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

std::string string_field(boost::json::object const& o, std::string_view key)
{
    if(auto const* v = o.if_contains(key); v && v->is_string())
        return std::string(v->get_string());
    return {};
}

// An invitation's step (created 0 < sent 1 < viewed 2 < its end 3).
int rank_of(invitation_state s) noexcept
{
    switch(s)
    {
    case invitation_state::created: return 0;
    case invitation_state::sent: return 1;
    case invitation_state::viewed: return 2;
    default: return 3;
    }
}

bool live(invitation_state s) noexcept
{
    return s == invitation_state::created || s == invitation_state::sent || s == invitation_state::viewed ||
           s == invitation_state::accepted;
}

std::optional<invitation_state> invitation_move(std::string_view action) noexcept
{
    if(action == "rejected") // deprecated name of declined
        return invitation_state::declined;
    return parse_invitation_state(action);
}

// What the parts say, for the derivation table.
struct parts_summary
{
    bool agreements_known = false;
    bool agreement_active = false;
    bool linked_connection = false;
    bool reported_connection = false;
    std::optional<invitation_state> furthest_live; // by rank
    std::optional<invitation_state> latest_ended;  // by version
};

// The derivation of a fleet's stage: the first row that holds, top to bottom.
struct stage_row
{
    stage result;
    bool (*holds)(parts_summary const&);
};
constexpr stage_row stage_derivation[] = {
    // Every agreement deleted and no new invitation: the partner's access is gone.
    {stage::revoked, [](parts_summary const& p) {
         return p.agreements_known && !p.agreement_active && !p.furthest_live;
     }},
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
    {stage::declined, [](parts_summary const& p) { return p.latest_ended == invitation_state::declined; }},
    {stage::expired, [](parts_summary const& p) { return p.latest_ended == invitation_state::expired; }},
    {stage::deleted, [](parts_summary const& p) { return p.latest_ended == invitation_state::deleted; }},
};

std::string version_key(std::string_view kind, std::string_view id)
{
    std::string k;
    k.reserve(kind.size() + id.size() + 1);
    k.append(kind).append("/").append(id);
    return k;
}

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

void fleet_record::apply(event& ev, order_key const& key, lifecycle_output& out)
{
    ev.late = false;
    auto const resource = ev.resource();
    auto const action = ev.action();
    auto const kind = kind_of_event(resource);

    auto make = [&](dimension d, std::string entity, std::string_view from, std::string_view to) {
        return make_transition(ev, state, ev.fleet_key, d, std::move(entity), from, to, "#", key.time);
    };

    // Executions are records of their own, one per fetch: their effect on a connection is
    // ordered by the connection's own health version below, and they are not remembered.
    if(kind == event_kind::lifecycle && resource != "execution")
    {
        // Per record: an older version than the newest applied is late.
        auto const record = version_key(resource, resource == "invitation" && !ev.invitation_id.empty()
                                                      ? std::string_view(ev.invitation_id)
                                                      : std::string_view(ev.record_id));
        auto [v, first] = versions.try_emplace(record, key);
        if(!first)
        {
            if(version_less(key, v->second))
            {
                ev.late = true;
                if(ev.event_name == "execution.failed" && !ev.connection_id.empty())
                {
                    // Counted once each, late or not.
                    ++connection(ev.connection_id)->failed_executions;
                    ++state.failed_executions;
                }
                return;
            }
            v->second = key;
        }
    }
    if(!state.last_occurred_at || *state.last_occurred_at <= key.time)
    {
        state.last_occurred_at = key.time;
        state.last_event = ev.event_name;
    }

    std::size_t const before = out.transitions.size();
    // A connection's health moves only forward in time: an execution older than the
    // connection's last health change says nothing about it now.
    auto set_health = [&](connection_info& c, health h) {
        auto [v, first] = versions.try_emplace(version_key("health", c.id), key);
        if(!first)
        {
            if(version_less(key, v->second))
                return;
            v->second = key;
        }
        if(c.health != h)
        {
            out.transitions.push_back(make(dimension::connection, c.id, to_string(c.health), to_string(h)));
            c.health = h;
        }
    };

    if(resource == "invitation")
    {
        auto const to = invitation_move(action);
        auto const id = ev.invitation_id.empty() ? ev.record_id : ev.invitation_id;
        if(to)
        {
            if(auto* i = invitation(id))
            {
                if(rank_of(*to) < rank_of(i->state))
                {
                    ev.late = true; // a step behind this invitation's own state: changes nothing
                    return;
                }
                if(rank_of(*to) == rank_of(i->state) && *to != i->state)
                    out.impossible = ev.event_name + " cannot follow " + std::string(to_string(i->state)) +
                                     " of invitation " + id + " (fleet " + ev.fleet_key + ")";
                else if(*to != i->state)
                {
                    out.transitions.push_back(make(dimension::invitation, id, to_string(i->state), to_string(*to)));
                    i->state = *to;
                }
            }
            else
            {
                state.invitations.push_back(invitation_info{id, *to});
                out.transitions.push_back(make(dimension::invitation, id, "", to_string(*to)));
            }
        }
    }
    else if(resource == "share_agreement")
    {
        bool const deleting = action == "deleted";
        if(auto* a = agreement(ev.record_id))
        {
            if(!a->active && !deleting)
                out.impossible = ev.event_name + " cannot follow deleted of agreement " + ev.record_id + " (fleet " +
                                 ev.fleet_key + ")";
            else if(a->active && deleting)
            {
                out.transitions.push_back(make(dimension::agreement, ev.record_id, "active", "deleted"));
                a->active = false;
            }
        }
        else
        {
            state.agreements.push_back(agreement_info{ev.record_id, !deleting});
            out.transitions.push_back(make(dimension::agreement, ev.record_id, "", deleting ? "deleted" : "active"));
        }
    }
    else if(!ev.connection_id.empty() && (kind == event_kind::lifecycle || state.connections.size() > 0))
    {
        auto* c = kind == event_kind::lifecycle ? connection(ev.connection_id) : nullptr;
        if(!c)
        {
            // Data: it heals a connection whose fetch failed, and creates none.
            auto it = std::find_if(state.connections.begin(), state.connections.end(),
                                   [&](auto const& x) { return x.id == ev.connection_id; });
            if(it != state.connections.end() && it->health == health::degraded)
                set_health(*it, health::ok);
        }
        else if(resource == "connection")
        {
            c->reported = true;
            if(auto s = string_field(ev.record, "source_name"); !s.empty())
                c->source_name = std::move(s);
            if(auto t = string_field(ev.record, "tsp_id"); !t.empty())
                c->tsp_id = std::move(t);
            // connection.created after staled is the fleet re-authenticating.
            set_health(*c, action == "staled" ? health::stale : health::ok);
        }
        else if(resource == "fleet_connection")
        {
            if(!c->linked)
                out.transitions.push_back(make(dimension::connection, c->id, "", "linked"));
            c->linked = true;
        }
        else if(resource == "execution")
        {
            // Executions name their schedule; only a schedule that was deactivated is a part
            // worth keeping (one per connection and resource at most), so none is made here:
            // a fleet fetched every few minutes would otherwise collect a part per execution.
            auto const schedule_id = string_field(ev.record, "schedule_id");
            auto const known = std::find_if(c->schedules.begin(), c->schedules.end(),
                                            [&](schedule_info const& x) { return x.id == schedule_id; });
            schedule_info* s = known == c->schedules.end() ? nullptr : &*known;
            if(action == "failed" || action == "staled")
            {
                if(action == "failed")
                {
                    ++c->failed_executions;
                    ++state.failed_executions;
                }
                // Milder than stale: never hides it.
                if(c->health == health::ok)
                    set_health(*c, health::degraded);
            }
            else if(ev.status == "success")
            {
                // A successful fetch: credentials work, and the schedule runs again.
                set_health(*c, health::ok);
                if(s && !s->active)
                {
                    out.transitions.push_back(make(dimension::schedule, s->id, "deactivated", "active"));
                    s->active = true;
                }
            }
        }
        else if(resource == "schedule" && action == "deactivated")
        {
            auto* s = schedule(*c, ev.record_id);
            if(auto r = string_field(ev.record, "resource"); !r.empty())
                s->resource = std::move(r);
            if(s->active)
            {
                out.transitions.push_back(make(dimension::schedule, s->id, "active", "deactivated"));
                s->active = false;
            }
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
    p.agreement_active = std::any_of(state.agreements.begin(), state.agreements.end(), [](auto const& a) { return a.active; });
    for(auto const& c : state.connections)
    {
        p.linked_connection |= c.linked;
        p.reported_connection |= c.reported;
    }
    order_key latest_end{};
    for(auto const& i : state.invitations)
    {
        if(live(i.state))
        {
            if(!p.furthest_live || rank_of(i.state) > rank_of(*p.furthest_live))
                p.furthest_live = i.state;
            continue;
        }
        auto const v = versions.find(version_key("invitation", i.id));
        auto const k = v == versions.end() ? order_key{} : v->second;
        if(!p.latest_ended || !version_less(k, latest_end))
        {
            p.latest_ended = i.state;
            latest_end = k;
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

void fleet_record::absorb(fleet_record&& other)
{
    auto& d = state;
    auto& s = other.state;
    for(auto& i : s.invitations)
        if(auto* mine = invitation(i.id); !mine)
            d.invitations.push_back(std::move(i));
        else if(rank_of(i.state) > rank_of(mine->state))
            mine->state = i.state;
    for(auto& a : s.agreements)
        if(auto* mine = agreement(a.id); !mine)
            d.agreements.push_back(std::move(a));
        else
            mine->active = mine->active && a.active;
    for(auto& c : s.connections)
    {
        auto it = std::find_if(d.connections.begin(), d.connections.end(), [&](auto const& x) { return x.id == c.id; });
        if(it == d.connections.end())
        {
            d.connections.push_back(std::move(c));
            continue;
        }
        // The side whose health changed last knows the connection's health now.
        auto const hk = version_key("health", c.id);
        auto const mine = versions.find(hk), theirs = other.versions.find(hk);
        if(theirs != other.versions.end() && (mine == versions.end() || version_less(mine->second, theirs->second)))
            it->health = c.health;
        it->reported |= c.reported;
        it->linked |= c.linked;
        it->failed_executions += c.failed_executions;
        if(it->source_name.empty())
            it->source_name = c.source_name;
        if(it->tsp_id.empty())
            it->tsp_id = c.tsp_id;
        for(auto& sc : c.schedules)
            if(auto sit = std::find_if(it->schedules.begin(), it->schedules.end(), [&](auto const& x) { return x.id == sc.id; });
               sit == it->schedules.end())
                it->schedules.push_back(std::move(sc));
            else
                sit->active = sit->active && sc.active;
    }
    for(auto& [k, v] : other.versions)
    {
        auto [it, inserted] = versions.try_emplace(k, v);
        if(!inserted && version_less(it->second, v))
            it->second = v;
    }
    d.failed_executions += s.failed_executions;
    if(d.fleet_ref.empty())
        d.fleet_ref = s.fleet_ref;
    if(!d.last_occurred_at || (s.last_occurred_at && *d.last_occurred_at < *s.last_occurred_at))
    {
        d.last_occurred_at = s.last_occurred_at;
        d.last_event = s.last_event;
    }
}

fleet_capture fleet_record::capture() const
{
    fleet_capture c{state, {}};
    c.versions.assign(versions.begin(), versions.end());
    return c;
}

fleet_record fleet_record::from(fleet_capture c)
{
    fleet_record f;
    f.state = std::move(c.state);
    for(auto& [k, v] : c.versions)
        f.versions.emplace(std::move(k), std::move(v));
    return f;
}

} // namespace catena::webhooks::detail
