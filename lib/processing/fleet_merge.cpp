// SPDX-License-Identifier: BSL-1.0
// lib/processing/fleet_merge.cpp - two records of one fleet merged into one, and a fleet's record to and from its stored form.
#include "processing/fleet.hpp"

#include <algorithm>

namespace catena::webhooks::detail {

void fleet_record::absorb(fleet_record&& other)
{
    auto& d = state;
    auto& s = other.state;
    auto latest = [](std::optional<timestamp>& mine, std::optional<timestamp> const& theirs) {
        if(theirs)
            keep_later(mine, *theirs);
    };
    for(auto& i : s.invitations)
        if(auto* mine = invitation(i.id); !mine)
            d.invitations.push_back(std::move(i));
        else
        {
            if(invitation_rank(i.state) > invitation_rank(mine->state))
            {
                mine->state = i.state;
                mine->ended_at = i.ended_at;
            }
            latest(mine->stepped_at, i.stepped_at);
        }
    for(auto& a : s.agreements)
        if(auto* mine = agreement(a.id); !mine)
            d.agreements.push_back(std::move(a));
        else
        {
            mine->active = mine->active && a.active;
            latest(mine->deleted_at, a.deleted_at);
        }
    for(auto& c : s.connections)
    {
        auto it = std::find_if(d.connections.begin(), d.connections.end(), [&](auto const& x) { return x.id == c.id; });
        if(it == d.connections.end())
        {
            d.connections.push_back(std::move(c));
            continue;
        }
        it->reported |= c.reported;
        it->linked |= c.linked;
        it->failed_executions += c.failed_executions;
        latest(it->staled_at, c.staled_at);
        latest(it->failed_at, c.failed_at);
        if(it->source_name.empty())
            it->source_name = c.source_name;
        if(it->tsp_id.empty())
            it->tsp_id = c.tsp_id;
        for(auto& sc : c.schedules)
            if(auto sit = std::find_if(it->schedules.begin(), it->schedules.end(), [&](auto const& x) { return x.id == sc.id; });
               sit == it->schedules.end())
                it->schedules.push_back(std::move(sc));
            else
            {
                latest(sit->deactivated_at, sc.deactivated_at);
                if(sit->resource.empty())
                    sit->resource = sc.resource;
            }
    }
    for(auto& [k, v] : other.versions)
    {
        auto [it, inserted] = versions.try_emplace(k, v);
        if(!inserted && version_less(it->second, v))
            it->second = v;
    }
    for(auto& [k, t] : other.evidence)
        if(auto [it, inserted] = evidence.try_emplace(k, t); !inserted && it->second < t)
            it->second = t;
    for(auto& id : s.invitation_ids)
        if(std::find(d.invitation_ids.begin(), d.invitation_ids.end(), id) == d.invitation_ids.end())
            d.invitation_ids.push_back(std::move(id));
    for(auto& id : s.connection_ids)
        if(std::find(d.connection_ids.begin(), d.connection_ids.end(), id) == d.connection_ids.end())
            d.connection_ids.push_back(std::move(id));
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
    fleet_capture c{state, {}, {}};
    c.versions.assign(versions.begin(), versions.end());
    c.evidence.assign(evidence.begin(), evidence.end());
    return c;
}

fleet_record fleet_record::from(fleet_capture c)
{
    fleet_record f;
    f.state = std::move(c.state);
    for(auto& [k, v] : c.versions)
        f.versions.emplace(std::move(k), std::move(v));
    for(auto& [k, t] : c.evidence)
        f.evidence.emplace(std::move(k), t);
    return f;
}

} // namespace catena::webhooks::detail
