// SPDX-License-Identifier: BSL-1.0
// lib/processing/fleet_directory.cpp - which fleet every event belongs to: correlation, merges, and the fleets.
#include "processing/fleet_directory.hpp"

#include <algorithm>
#include <array>

namespace catena::webhooks::detail {

namespace {

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

std::string const* fleet_directory::find_key(std::string_view alias) const
{
    auto it = aliases_.find(alias);
    return it == aliases_.end() ? nullptr : &it->second;
}

std::string fleet_directory::resolve(event const& ev, lifecycle_output& out)
{
    auto alias = [](std::string& buf, std::string_view prefix, std::string const& id) -> std::string const& {
        buf.clear();
        if(!id.empty())
            buf.append(prefix).append(id);
        return buf;
    };
    std::string const& fleet_alias = alias(alias_buf_[0], "fleet:", ev.fleet_id);
    std::string const& ref_alias = alias(alias_buf_[1], "ref:", ev.fleet_ref);
    std::string const& invitation_alias = alias(alias_buf_[2], "invitation:", ev.invitation_id);
    std::string const& connection_alias = alias(alias_buf_[3], "connection:", ev.connection_id);
    std::string const* const all[] = {&fleet_alias, &ref_alias, &invitation_alias, &connection_alias};

    // Copies: a merge below may rewrite the aliases these come from.
    auto& existing = existing_;
    existing.clear();
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
    {
        st.key = target;
        keys_.insert(target);
        count(st, +1);
    }
    if(st.fleet_id.empty() && !ev.fleet_id.empty())
        st.fleet_id = ev.fleet_id;
    if(!ev.fleet_ref.empty() && st.fleet_ref != ev.fleet_ref)
        st.fleet_ref = ev.fleet_ref;
    add_unique(st.invitation_ids, ev.invitation_id);
    add_unique(st.connection_ids, ev.connection_id);
    for(auto const* a : all)
        if(!a->empty())
        {
            // Nearly always there already, under the same key: then nothing is written.
            if(auto al = aliases_.find(std::string_view(*a)); al == aliases_.end())
                aliases_.emplace(*a, target);
            else if(al->second != target)
                al->second = target;
        }
    return target;
}

void fleet_directory::merge(std::string const& from, std::string const& into, event const& ev, lifecycle_output& out)
{
    auto node = fleets_.extract(from);
    if(node.empty())
        return;
    fleet_record src = std::move(node.mapped());
    keys_.erase(from);
    count(src.state, -1);
    // Every id the journey was known by finds the fleet from now on: its key, its fleet_ref,
    // each of its invitations and connections (not only those the fleet itself names).
    std::vector<std::string> retired{from};
    if(!src.state.fleet_ref.empty())
        retired.push_back("ref:" + src.state.fleet_ref);
    for(auto const& i : src.state.invitation_ids)
        retired.push_back("invitation:" + i);
    for(auto const& c : src.state.connection_ids)
        retired.push_back("connection:" + c);
    auto [it, created] = fleets_.try_emplace(into);
    auto& dst = it->second;
    if(created)
    {
        dst = std::move(src);
        dst.state.key = into;
        keys_.insert(into);
        count(dst.state, +1);
    }
    else
    {
        count(dst.state, -1);
        // The journey known under the weaker key is the earlier part of the fleet's story: a
        // fleet that had no stage of its own yet continues from the journey's.
        if(dst.state.stage == stage::none)
            dst.state.stage = src.state.stage;
        if(dst.state.health == health::ok)
            dst.state.health = src.state.health;
        dst.absorb(std::move(src));
        src.history.insert(src.history.end(), dst.history.begin(), dst.history.end());
        dst.history = std::move(src.history);
        while(dst.history.size() > max_history_)
            dst.history.pop_front();
        // What the merged parts say now: reported as changes of the fleet, caused by the event
        // that revealed the link.
        auto const first = out.transitions.size();
        dst.derive(
            [&](dimension d, std::string entity, std::string_view from_state, std::string_view to_state) {
                return make_transition(ev, dst.state, into, d, std::move(entity), from_state, to_state,
                                       "#merge/" + from + "#", std::nullopt);
            },
            out);
        for(auto i = first; i < out.transitions.size(); ++i)
            record(dst, out.transitions[i]);
        count(dst.state, +1);
    }
    // Re-point the retired key's aliases.
    for(auto const& alias : retired)
        if(auto a = aliases_.find(alias); a != aliases_.end() && a->second == from)
            a->second = into;
    out.merges.push_back(fleet_merge{from, into, ev.event_name, ev.event_id, ev.record_id});
}

void fleet_directory::record(fleet_record& f, transition t)
{
    f.history.push_back(t);
    while(f.history.size() > max_history_)
        f.history.pop_front();
}

void fleet_directory::apply(event& ev, order_key const& key, lifecycle_output& out, bool late_record)
{
    std::lock_guard lock(mutex_);
    ev.late = false;
    // Resource operations, subscriptions and TSPs are about no fleet: they neither create nor
    // touch one.
    if(kind_of_event(ev.resource()) == event_kind::control)
    {
        ev.fleet_key.clear();
        return;
    }
    ev.fleet_key = resolve(ev, out);
    if(ev.fleet_key.empty())
        return;
    auto& f = fleets_[ev.fleet_key];
    auto const first = out.transitions.size();
    count(f.state, -1);
    // A late data record changes no record, but it was ingested: evidence all the same.
    f.apply(ev, key, out);
    count(f.state, +1);
    if(late_record)
        ev.late = true;
    for(auto i = first; i < out.transitions.size(); ++i)
        record(f, out.transitions[i]);
}

fleet_record const* fleet_directory::find_fleet(std::string_view key) const
{
    auto it = fleets_.find(std::string(key));
    if(it == fleets_.end())
    {
        auto const* k = find_key(key);
        if(!k)
            k = find_key("fleet:" + std::string(key));
        if(k)
            it = fleets_.find(*k);
    }
    return it == fleets_.end() ? nullptr : &it->second;
}

std::optional<fleet_state> fleet_directory::fleet(std::string_view key) const
{
    std::lock_guard lock(mutex_);
    if(auto const* f = find_fleet(key))
        return f->state;
    return std::nullopt;
}

std::string fleet_directory::key_of(std::string_view key) const
{
    std::lock_guard lock(mutex_);
    auto const* f = find_fleet(key);
    return f ? f->state.key : std::string();
}

std::vector<fleet_state> fleet_directory::fleets_in(stage s) const
{
    std::lock_guard lock(mutex_);
    std::vector<fleet_state> v;
    for(auto const& [k, f] : fleets_)
        if(f.state.stage == s)
            v.push_back(f.state);
    return v;
}

std::vector<fleet_state> fleet_directory::fleets_in(health h) const
{
    std::lock_guard lock(mutex_);
    std::vector<fleet_state> v;
    for(auto const& [k, f] : fleets_)
        if(f.state.health == h)
            v.push_back(f.state);
    return v;
}

std::vector<fleet_state> fleet_directory::fleets() const
{
    std::lock_guard lock(mutex_);
    std::vector<fleet_state> v;
    v.reserve(fleets_.size());
    for(auto const& [k, f] : fleets_)
        v.push_back(f.state);
    return v;
}

fleet_page fleet_directory::page(fleet_query const& q) const
{
    auto const limit = std::clamp<std::size_t>(q.limit, 1, 1000);
    auto const matches = [&q](fleet_state const& s) {
        return (!q.stage || s.stage == *q.stage) && (!q.health || s.health == *q.health);
    };
    // In key order from the cursor, at most `slice` keys under the lock at a time: however
    // many fleets there are (and however few match), a page holds up processing for one
    // slice at most. Between slices the table may change: a page is not a snapshot.
    constexpr std::size_t slice = 512;
    fleet_page out;
    std::string cursor = q.after;
    bool more = false, first = true;
    for(bool done = false; !done; first = false)
    {
        std::lock_guard lock(mutex_);
        if(first)
            for(std::size_t st = 0; st < counts_.size(); ++st)
                for(std::size_t h = 0; h < counts_[st].size(); ++h)
                    if((!q.stage || static_cast<std::size_t>(*q.stage) == st) &&
                       (!q.health || static_cast<std::size_t>(*q.health) == h))
                        out.matched += counts_[st][h];
        auto it = cursor.empty() ? keys_.begin() : keys_.upper_bound(cursor);
        for(std::size_t n = 0; n < slice && it != keys_.end(); ++n, ++it)
        {
            auto const& f = fleets_.at(*it).state;
            if(!matches(f))
                continue;
            if(out.fleets.size() == limit)
            {
                more = true;
                break;
            }
            out.fleets.push_back(f);
        }
        done = more || it == keys_.end();
        if(!done)
            cursor = *std::prev(it);
    }
    if(more)
        out.next_cursor = out.fleets.back().key;
    return out;
}

fleet_tally fleet_directory::tally() const
{
    fleet_tally t;
    std::lock_guard lock(mutex_);
    for(std::size_t st = 0; st < counts_.size(); ++st)
        for(std::size_t h = 0; h < counts_[st].size(); ++h)
        {
            t.by_stage[st] += counts_[st][h];
            t.by_health[h] += counts_[st][h];
            t.total += counts_[st][h];
        }
    return t;
}

std::vector<transition> fleet_directory::history(std::string_view key) const
{
    std::lock_guard lock(mutex_);
    if(auto const* f = find_fleet(key))
        return {f->history.begin(), f->history.end()};
    return {};
}

std::size_t fleet_directory::fleet_count() const
{
    std::lock_guard lock(mutex_);
    return fleets_.size();
}

std::optional<fleet_capture> fleet_directory::capture(std::string const& key) const
{
    std::lock_guard lock(mutex_);
    auto it = fleets_.find(key);
    if(it == fleets_.end())
        return std::nullopt;
    return it->second.capture();
}

void fleet_directory::restore(fleet_capture cap)
{
    auto f = fleet_record::from(std::move(cap));
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
    if(auto it = fleets_.find(key); it != fleets_.end())
        count(it->second.state, -1);
    count(f.state, +1);
    keys_.insert(key);
    fleets_[key] = std::move(f);
}

void fleet_directory::count(fleet_state const& s, int delta) noexcept
{
    auto const st = static_cast<std::size_t>(s.stage);
    auto const h = static_cast<std::size_t>(s.health);
    if(st < counts_.size() && h < counts_[st].size())
        counts_[st][h] += static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
}

void fleet_directory::restore_history(std::vector<transition> const& ts)
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
