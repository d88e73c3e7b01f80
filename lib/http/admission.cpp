// SPDX-License-Identifier: BSL-1.0
// lib/http/admission.cpp - what no single request can see: the budget of body bytes in flight, connections per address, and penalties per address and subscription.
#include "http/admission.hpp"

namespace catena::webhooks::detail {

bool admission::reserve_body(std::size_t n) noexcept
{
    if(limits_.body_budget == 0)
        return true;
    auto cur = body_bytes_.load(std::memory_order_relaxed);
    do
    {
        if(n > limits_.body_budget || cur > limits_.body_budget - n)
            return false;
    } while(!body_bytes_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
}

void admission::release_body(std::size_t n) noexcept
{
    if(limits_.body_budget != 0)
        body_bytes_.fetch_sub(n, std::memory_order_relaxed);
}

bool admission::open_connection(std::string_view client)
{
    if(limits_.max_connections_per_peer == 0)
        return true;
    std::lock_guard lock(mutex_);
    // One entry per address with a connection open: as many as connections at most, so the
    // table is bounded by the connection bound.
    auto it = connections_.find(client);
    if(it == connections_.end())
        it = connections_.emplace(std::string(client), 0).first;
    if(it->second >= limits_.max_connections_per_peer)
        return false;
    ++it->second;
    return true;
}

void admission::close_connection(std::string_view client) noexcept
{
    if(limits_.max_connections_per_peer == 0)
        return;
    std::lock_guard lock(mutex_);
    if(auto it = connections_.find(client); it != connections_.end() && --it->second == 0)
        connections_.erase(it);
}

admission::lru::iterator admission::find(std::string_view client, std::string_view scope)
{
    key_buf_.assign(client).append(1, '\x1f').append(scope);
    auto it = index_.find(std::string_view(key_buf_));
    return it == index_.end() ? pairs_.end() : it->second;
}

// The pair, made the most recently touched; a new one makes room by forgetting the least
// recently touched (constant time, whatever the table holds).
admission::lru::iterator admission::touch(std::string_view client, std::string_view scope)
{
    if(auto it = find(client, scope); it != pairs_.end())
    {
        pairs_.splice(pairs_.begin(), pairs_, it);
        return it;
    }
    if(!pairs_.empty() && pairs_.size() >= limits_.max_tracked)
    {
        auto last = std::prev(pairs_.end());
        if(last->penalty_until != clock::time_point{})
            end_penalty(last, true);
        index_.erase(last->key);
        pairs_.erase(last);
    }
    pair_state p;
    p.key = key_buf_;
    p.split = client.size() + 1;
    pairs_.push_front(std::move(p));
    index_.emplace(pairs_.front().key, pairs_.begin());
    return pairs_.begin();
}

penalty_note admission::note_of(pair_state const& p, bool forgotten) const
{
    penalty_note n;
    n.client = p.key.substr(0, p.split - 1);
    n.scope = p.key.substr(p.split);
    n.failures = p.started_with;
    n.deferred = p.deferred;
    n.forgotten = forgotten;
    return n;
}

void admission::end_penalty(lru::iterator it, bool forgotten)
{
    if(forgotten)
        ended_.push_back(note_of(*it, true));
    penalised_.erase(&*it);
    it->penalty_until = {};
    it->failures = 0;
    it->deferred = 0;
    penalized_.fetch_sub(1, std::memory_order_relaxed);
}

bool admission::may_verify(std::string_view client, std::string_view scope, clock::time_point now)
{
    // The common case, nobody penalised, takes no lock.
    if(limits_.max_auth_failures == 0 || penalized_.load(std::memory_order_relaxed) == 0)
        return true;
    std::lock_guard lock(mutex_);
    auto it = find(client, scope);
    if(it == pairs_.end() || it->penalty_until == clock::time_point{} || it->penalty_until <= now)
        return true; // an ended penalty is noted by expire()
    if(now >= it->next_verify)
    {
        it->next_verify = now + limits_.penalty_verify_interval;
        return true;
    }
    ++it->deferred;
    return false;
}

std::optional<penalty_note> admission::auth_failed(std::string_view client, std::string_view scope,
                                                   clock::time_point now)
{
    if(limits_.max_auth_failures == 0)
        return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = touch(client, scope);
    auto& p = *it;
    if(p.penalty_until != clock::time_point{})
        return std::nullopt; // penalised already: its end starts a fresh count
    if(p.failures == 0 || now - p.window_start >= limits_.failure_window)
    {
        p.window_start = now;
        p.failures = 0;
    }
    if(++p.failures < limits_.max_auth_failures)
        return std::nullopt;
    p.penalty_until = now + limits_.penalty;
    p.next_verify = now + limits_.penalty_verify_interval;
    p.started_with = p.failures;
    p.deferred = 0;
    penalised_.insert(&p);
    penalized_.fetch_add(1, std::memory_order_relaxed);
    return note_of(p, false);
}

std::vector<penalty_note> admission::expire(clock::time_point now)
{
    std::lock_guard lock(mutex_);
    std::vector<penalty_note> out = std::move(ended_);
    ended_.clear();
    if(penalised_.empty())
        return out;
    std::vector<pair_state const*> over;
    for(auto const* p : penalised_)
        if(p->penalty_until <= now)
            over.push_back(p);
    for(auto const* p : over)
    {
        out.push_back(note_of(*p, false));
        auto const it = index_.find(std::string_view(p->key))->second;
        end_penalty(it, false);
    }
    return out;
}

std::size_t admission::tracked() const
{
    std::lock_guard lock(mutex_);
    return pairs_.size();
}

std::size_t admission::connected_addresses() const
{
    std::lock_guard lock(mutex_);
    return connections_.size();
}

} // namespace catena::webhooks::detail
