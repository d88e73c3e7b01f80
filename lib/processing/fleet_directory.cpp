// SPDX-License-Identifier: BSL-1.0
// lib/processing/lifecycle.cpp - correlation of events to fleets, and the stage/health transition tables.
#include "processing/lifecycle.hpp"

#include <algorithm>
#include <array>

namespace catena::webhooks::detail {

namespace {

//------------------------------------------------------------------------------
// The transition tables

constexpr std::uint16_t bit(stage s) noexcept { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(s)); }

template<class... S>
constexpr std::uint16_t any_of(S... s) noexcept
{
    return static_cast<std::uint16_t>((bit(s) | ...));
}

struct stage_rule
{
    std::string_view event;
    std::uint16_t from; ///< Stages the event may move the fleet out of.
    stage to;
};

// The onboarding journey (spec §5.8). A stage not in `from` (and not already `to`) makes
// the event an impossible move: reported, not applied. A new invitation restarts a journey
// that ended before connection.
constexpr auto restartable = any_of(stage::none, stage::invited, stage::declined, stage::expired, stage::deleted,
                                    stage::revoked);
constexpr auto before_acceptance = any_of(stage::none, stage::invited, stage::viewed);
constexpr stage_rule stage_rules[] = {
    {"invitation.created", restartable, stage::invited},
    {"invitation.sent", restartable, stage::invited},
    {"invitation.viewed", any_of(stage::none, stage::invited), stage::viewed},
    {"invitation.accepted", before_acceptance, stage::accepted},
    {"invitation.declined", before_acceptance, stage::declined},
    {"invitation.rejected", before_acceptance, stage::declined}, // deprecated name of declined
    {"invitation.expired", before_acceptance, stage::expired},
    {"invitation.deleted", before_acceptance, stage::deleted},
    {"share_agreement.created", any_of(stage::none, stage::invited, stage::viewed, stage::accepted, stage::revoked),
     stage::agreement},
    {"share_agreement.deleted", any_of(stage::agreement, stage::connection, stage::connected), stage::revoked},
    {"connection.created", any_of(stage::none, stage::invited, stage::viewed, stage::accepted, stage::agreement),
     stage::connection},
    {"fleet_connection.created",
     any_of(stage::none, stage::invited, stage::viewed, stage::accepted, stage::agreement, stage::connection),
     stage::connected},
};

// Moves that do not apply but are normal, so they are not reported: a connected fleet that
// re-authenticates gets a new connection.created (it is a health recovery, below).
struct benign_rule
{
    std::string_view event;
    std::uint16_t from;
};
constexpr benign_rule benign_rules[] = {
    {"connection.created", any_of(stage::connected)},
};

stage_rule const* find_stage_rule(std::string_view name) noexcept
{
    for(auto const& r : stage_rules)
        if(r.event == name)
            return &r;
    return nullptr;
}

bool benign(std::string_view name, stage from) noexcept
{
    return std::any_of(std::begin(benign_rules), std::end(benign_rules),
                       [&](benign_rule const& r) { return r.event == name && (r.from & bit(from)); });
}

// Resources whose events make up a fleet's lifecycle stream; every other resource with a
// fleet is data (telematics) and forms a stream of its own.
constexpr std::string_view lifecycle_resources[] = {"invitation", "share_agreement", "connection",
                                                    "fleet_connection", "execution", "schedule"};
// Resources that are neither lifecycle nor ingested data.
constexpr std::string_view control_resources[] = {"resource_operation", "webhook", "tsp"};

bool is_one_of(std::string_view r, auto const& set) noexcept
{
    return std::find(std::begin(set), std::end(set), r) != std::end(set);
}

struct health_rule
{
    std::string_view event;
    health to;
};
constexpr health_rule health_rules[] = {
    {"execution.failed", health::degraded},
    {"execution.staled", health::degraded},
    {"connection.staled", health::stale},
    {"schedule.deactivated", health::halted},
    // Re-authentication or a new connection: ingestion runs again.
    {"connection.created", health::ok},
    {"fleet_connection.created", health::ok},
};

// The health an event moves its fleet to, if any.
std::optional<health> health_effect(event const& ev, health current) noexcept
{
    for(auto const& r : health_rules)
        if(r.event == ev.event_name)
            return r.to;
    auto const resource = ev.resource();
    // A successful fetch ends any failure state of the ingestion.
    if(resource == "execution" && ev.status == "success")
        return health::ok;
    // Data arriving shows that fetching works again after a failed fetch. It does not end
    // stale or halted: data can be a backfill of what was fetched before.
    if(current == health::degraded && !is_one_of(resource, lifecycle_resources) &&
       !is_one_of(resource, control_resources))
        return health::ok;
    return std::nullopt;
}

std::string_view stream_of(std::string_view resource) noexcept
{
    return is_one_of(resource, lifecycle_resources) ? std::string_view("lifecycle") : resource;
}

enum class key_kind
{
    connection,
    invitation,
    ref,
    fleet,
};

key_kind kind_of(std::string_view key) noexcept
{
    if(key.starts_with("ref:"))
        return key_kind::ref;
    if(key.starts_with("invitation:"))
        return key_kind::invitation;
    if(key.starts_with("connection:"))
        return key_kind::connection;
    return key_kind::fleet;
}

void add_unique(std::vector<std::string>& v, std::string const& s)
{
    if(!s.empty() && std::find(v.begin(), v.end(), s) == v.end())
        v.push_back(s);
}

} // namespace

//------------------------------------------------------------------------------

std::string const* lifecycle::find_key(std::string_view alias) const
{
    auto it = aliases_.find(std::string(alias));
    return it == aliases_.end() ? nullptr : &it->second;
}

std::string lifecycle::resolve(event const& ev, lifecycle_output& out)
{
    std::string const fleet_alias = ev.fleet_id.empty() ? std::string() : "fleet:" + ev.fleet_id;
    std::string const ref_alias = ev.fleet_ref.empty() ? std::string() : "ref:" + ev.fleet_ref;
    std::string const invitation_alias = ev.invitation_id.empty() ? std::string() : "invitation:" + ev.invitation_id;
    std::string const connection_alias = ev.connection_id.empty() ? std::string() : "connection:" + ev.connection_id;
    std::string const* const all[] = {&fleet_alias, &ref_alias, &invitation_alias, &connection_alias};

    std::vector<std::string> existing;
    for(auto const* a : all)
        if(!a->empty())
            if(auto const* k = find_key(*a); k && std::find(existing.begin(), existing.end(), *k) == existing.end())
                existing.push_back(*k);

    std::string target;
    if(!ev.fleet_id.empty())
        target = ev.fleet_id;
    else if(!existing.empty())
        target = *std::max_element(existing.begin(), existing.end(), [](std::string const& a, std::string const& b) {
            return kind_of(a) < kind_of(b);
        });
    else
    {
        for(auto const* a : {&ref_alias, &invitation_alias, &connection_alias})
            if(!a->empty())
            {
                target = *a;
                break;
            }
        if(target.empty())
            return target; // about no fleet
    }

    for(auto const& k : existing)
    {
        if(k == target)
            continue;
        // Two fleet_ids are two fleets, even if a fleet_ref was reused: never merge them;
        // the shared reference moves to the fleet seen last.
        if(kind_of(k) == key_kind::fleet && kind_of(target) == key_kind::fleet)
            continue;
        merge(k, target, ev, out);
    }

    auto [it, created] = fleets_.try_emplace(target);
    auto& st = it->second.state;
    if(created)
        st.key = target;
    if(st.fleet_id.empty() && !ev.fleet_id.empty())
        st.fleet_id = ev.fleet_id;
    if(!ev.fleet_ref.empty())
        st.fleet_ref = ev.fleet_ref;
    add_unique(st.invitation_ids, ev.invitation_id);
    add_unique(st.connection_ids, ev.connection_id);
    for(auto const* a : all)
        if(!a->empty())
            aliases_[*a] = target;
    return target;
}

void lifecycle::merge(std::string const& from, std::string const& into, event const& ev, lifecycle_output& out)
{
    auto node = fleets_.extract(from);
    if(node.empty())
        return;
    fleet_record src = std::move(node.mapped());
    auto [it, created] = fleets_.try_emplace(into);
    auto& dst = it->second;
    if(created)
    {
        dst = std::move(src);
        dst.state.key = into;
    }
    else
    {
        auto& d = dst.state;
        auto& s = src.state;
        // The journey known under the weaker key is the earlier part of the fleet's story.
        if(d.stage == stage::none)
            d.stage = s.stage;
        if(d.health == health::ok)
            d.health = s.health;
        d.failed_executions += s.failed_executions;
        if(d.fleet_ref.empty())
            d.fleet_ref = s.fleet_ref;
        for(auto const& i : s.invitation_ids)
            add_unique(d.invitation_ids, i);
        for(auto const& c : s.connection_ids)
            add_unique(d.connection_ids, c);
        if(!d.last_occurred_at || (s.last_occurred_at && *d.last_occurred_at < *s.last_occurred_at))
        {
            d.last_occurred_at = s.last_occurred_at;
            d.last_event = s.last_event;
        }
        for(auto& [stream, k] : src.last_released)
        {
            auto [lr, inserted] = dst.last_released.try_emplace(stream, k);
            if(!inserted && lr->second < k)
                lr->second = k;
        }
        src.history.insert(src.history.end(), dst.history.begin(), dst.history.end());
        dst.history = std::move(src.history);
        while(dst.history.size() > max_history_)
            dst.history.pop_front();
    }
    // Re-point the retired key's aliases.
    auto const& d = dst.state;
    auto repoint = [&](std::string const& alias) {
        if(auto a = aliases_.find(alias); a != aliases_.end() && a->second == from)
            a->second = into;
    };
    if(!d.fleet_ref.empty())
        repoint("ref:" + d.fleet_ref);
    for(auto const& i : d.invitation_ids)
        repoint("invitation:" + i);
    for(auto const& c : d.connection_ids)
        repoint("connection:" + c);
    out.merges.push_back(fleet_merge{from, into, ev.event_name, ev.event_id, ev.record_id});
}

void lifecycle::record(fleet_record& f, transition t)
{
    f.history.push_back(t);
    while(f.history.size() > max_history_)
        f.history.pop_front();
}

void lifecycle::apply(event& ev, order_key const& key, lifecycle_output& out)
{
    std::lock_guard lock(mutex_);
    ev.fleet_key = resolve(ev, out);
    ev.late = false;
    if(ev.fleet_key.empty())
        return;
    auto& f = fleets_[ev.fleet_key];
    auto& st = f.state;

    auto const stream = std::string(stream_of(ev.resource()));
    auto [last, first] = f.last_released.try_emplace(stream, key);
    if(!first)
    {
        if(key < last->second)
            ev.late = true;
        else
            last->second = key;
    }
    if(ev.event_name == "execution.failed")
        ++st.failed_executions;
    if(ev.late)
        return;
    if(!st.last_occurred_at || *st.last_occurred_at <= key.time)
    {
        st.last_occurred_at = key.time;
        st.last_event = ev.event_name;
    }

    auto make = [&](dimension d, std::string_view from, std::string_view to) {
        transition t;
        t.fleet_key = ev.fleet_key;
        t.fleet_id = st.fleet_id;
        t.fleet_ref = st.fleet_ref;
        t.what = d;
        t.from = from;
        t.to = to;
        t.cause = ev.event_name;
        t.event_id = ev.event_id;
        t.record_id = ev.record_id;
        t.occurred_at = key.time;
        t.idempotency_key = ev.idempotency_key + (d == dimension::stage ? "#stage" : "#health");
        return t;
    };

    if(auto const* rule = find_stage_rule(ev.event_name))
    {
        auto const cur = st.stage;
        if(cur != rule->to)
        {
            if(rule->from & bit(cur))
            {
                st.stage = rule->to;
                auto t = make(dimension::stage, to_string(cur), to_string(rule->to));
                record(f, t);
                out.transitions.push_back(std::move(t));
            }
            else if(!benign(ev.event_name, cur))
            {
                out.impossible = ev.event_name + " cannot follow stage " + std::string(to_string(cur)) + " of fleet " +
                                 ev.fleet_key;
            }
        }
    }
    if(auto const h = health_effect(ev, st.health); h && *h != st.health)
    {
        auto t = make(dimension::health, to_string(st.health), to_string(*h));
        st.health = *h;
        record(f, t);
        out.transitions.push_back(std::move(t));
    }
}

std::optional<fleet_state> lifecycle::fleet(std::string_view key) const
{
    std::lock_guard lock(mutex_);
    auto it = fleets_.find(std::string(key));
    if(it == fleets_.end())
    {
        auto const* k = find_key(key);
        if(!k)
            k = find_key("fleet:" + std::string(key));
        if(k)
            it = fleets_.find(*k);
    }
    if(it == fleets_.end())
        return std::nullopt;
    return it->second.state;
}

std::vector<fleet_state> lifecycle::fleets_in(stage s) const
{
    std::lock_guard lock(mutex_);
    std::vector<fleet_state> v;
    for(auto const& [k, f] : fleets_)
        if(f.state.stage == s)
            v.push_back(f.state);
    return v;
}

std::vector<fleet_state> lifecycle::fleets_in(health h) const
{
    std::lock_guard lock(mutex_);
    std::vector<fleet_state> v;
    for(auto const& [k, f] : fleets_)
        if(f.state.health == h)
            v.push_back(f.state);
    return v;
}

std::vector<fleet_state> lifecycle::fleets() const
{
    std::lock_guard lock(mutex_);
    std::vector<fleet_state> v;
    v.reserve(fleets_.size());
    for(auto const& [k, f] : fleets_)
        v.push_back(f.state);
    return v;
}

std::vector<transition> lifecycle::history(std::string_view key) const
{
    std::lock_guard lock(mutex_);
    auto it = fleets_.find(std::string(key));
    if(it == fleets_.end())
    {
        auto const* k = find_key(key);
        if(!k)
            k = find_key("fleet:" + std::string(key));
        if(k)
            it = fleets_.find(*k);
    }
    if(it == fleets_.end())
        return {};
    return {it->second.history.begin(), it->second.history.end()};
}

std::size_t lifecycle::fleet_count() const
{
    std::lock_guard lock(mutex_);
    return fleets_.size();
}

std::optional<fleet_capture> lifecycle::capture(std::string const& key) const
{
    std::lock_guard lock(mutex_);
    auto it = fleets_.find(key);
    if(it == fleets_.end())
        return std::nullopt;
    fleet_capture c{it->second.state, {}};
    c.streams.assign(it->second.last_released.begin(), it->second.last_released.end());
    return c;
}

void lifecycle::restore(fleet_capture cap)
{
    fleet_record f;
    f.state = std::move(cap.state);
    for(auto& [name, k] : cap.streams)
        f.last_released.emplace(std::move(name), std::move(k));
    auto const& st = f.state;
    std::lock_guard lock(mutex_);
    auto const key = st.key;
    if(!st.fleet_id.empty())
        aliases_["fleet:" + st.fleet_id] = key;
    if(!st.fleet_ref.empty())
        aliases_["ref:" + st.fleet_ref] = key;
    for(auto const& i : st.invitation_ids)
        aliases_["invitation:" + i] = key;
    for(auto const& c : st.connection_ids)
        aliases_["connection:" + c] = key;
    fleets_[key] = std::move(f);
}

void lifecycle::restore_history(std::vector<transition> const& ts)
{
    std::lock_guard lock(mutex_);
    for(auto const& t : ts)
    {
        auto it = fleets_.find(t.fleet_key);
        if(it == fleets_.end())
        {
            auto a = aliases_.find(t.fleet_key);
            if(a == aliases_.end() || (it = fleets_.find(a->second)) == fleets_.end())
                continue;
        }
        record(it->second, t);
    }
}

} // namespace catena::webhooks::detail
