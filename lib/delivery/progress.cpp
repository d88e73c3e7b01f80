// SPDX-License-Identifier: BSL-1.0
// lib/delivery/progress.cpp - which kept deliveries are finished, and what to commit for them.
#include "delivery/progress.hpp"

namespace catena::webhooks::detail {

void progress_tracker::started(std::uint64_t sequence, std::size_t bytes, timestamp seen)
{
    auto& e = entries_[sequence];
    e.bytes = bytes;
    e.seen = seen;
}

bool progress_tracker::pushed(std::uint64_t sequence, std::size_t events, std::vector<identity_key> identities)
{
    auto it = entries_.find(sequence);
    if(it == entries_.end())
        return false;
    it->second.identities = std::move(identities);
    it->second.outstanding += static_cast<std::int64_t>(events);
    it->second.pushing = false;
    if(it->second.outstanding > 0)
        return false;
    finish(it);
    return true;
}

progress_tracker::settlement progress_tracker::settle_point(std::uint64_t sequence, std::string fleet_key,
                                                            std::optional<fleet_capture> snapshot)
{
    settlement s{sequence, std::move(fleet_key), std::move(snapshot), std::move(removed_), std::move(transitions_)};
    removed_.clear();
    transitions_.clear();
    return s;
}

bool progress_tracker::settled(settlement s)
{
    for(auto& k : s.removed)
    {
        snapshots_.erase(k);
        pending_.removed_fleets.push_back(std::move(k));
    }
    if(s.snapshot)
        snapshots_.insert_or_assign(s.fleet_key, std::move(*s.snapshot));
    for(auto& t : s.transitions)
        pending_.transitions.push_back(std::move(t));
    auto it = entries_.find(s.sequence);
    if(it == entries_.end() || --it->second.outstanding > 0 || it->second.pushing)
        return false;
    finish(it);
    return true;
}

void progress_tracker::finish(std::unordered_map<std::uint64_t, entry>::iterator it)
{
    pending_.processed.push_back(it->first);
    pending_.processed_bytes += it->second.bytes;
    for(auto const& d : it->second.identities)
        pending_.identities.emplace_back(d, it->second.seen);
    entries_.erase(it);
}

progress progress_tracker::take()
{
    for(auto& [k, snap] : snapshots_)
        pending_.fleets.push_back(std::move(snap));
    snapshots_.clear();
    progress p = std::move(pending_);
    pending_ = {};
    return p;
}

} // namespace catena::webhooks::detail
