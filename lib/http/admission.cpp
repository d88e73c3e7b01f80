// SPDX-License-Identifier: BSL-1.0
// lib/http/admission.cpp - who may send what: the budget of body bytes in flight and the per-peer bounds.
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

admission::peer_state* admission::find_or_add(std::string_view peer)
{
    if(auto it = peers_.find(peer); it != peers_.end())
        return &it->second;
    if(peers_.size() >= limits_.max_peers)
    {
        // Full: sweep the peers that no longer matter, once, before giving up on this one.
        auto const now = clock::now();
        std::erase_if(peers_, [&](auto const& kv) {
            auto const& p = kv.second;
            return p.connections == 0 && p.refused_until == clock::time_point{} &&
                   (p.failures == 0 || now - p.window_start >= limits_.failure_window);
        });
        if(peers_.size() >= limits_.max_peers)
            return nullptr;
    }
    return &peers_.emplace(std::string(peer), peer_state{}).first->second;
}

void admission::forget_if_idle(std::string_view peer, clock::time_point now)
{
    auto it = peers_.find(peer);
    if(it != peers_.end() && it->second.connections == 0 && it->second.refused_until <= now &&
       (it->second.failures == 0 || now - it->second.window_start >= limits_.failure_window))
        peers_.erase(it);
}

bool admission::open_connection(std::string_view peer)
{
    if(limits_.max_connections_per_peer == 0)
        return true;
    std::lock_guard lock(mutex_);
    auto* p = find_or_add(peer);
    if(!p)
        return true;
    if(p->connections >= limits_.max_connections_per_peer)
        return false;
    ++p->connections;
    return true;
}

void admission::close_connection(std::string_view peer) noexcept
{
    if(limits_.max_connections_per_peer == 0)
        return;
    std::lock_guard lock(mutex_);
    if(auto it = peers_.find(peer); it != peers_.end() && it->second.connections > 0)
    {
        --it->second.connections;
        forget_if_idle(peer, clock::now());
    }
}

bool admission::refused(std::string_view peer, clock::time_point now)
{
    // The common case, nobody refused, takes no lock.
    if(limits_.max_auth_failures == 0 || penalized_.load(std::memory_order_relaxed) == 0)
        return false;
    std::lock_guard lock(mutex_);
    auto it = peers_.find(peer);
    if(it == peers_.end() || it->second.refused_until == clock::time_point{})
        return false;
    if(it->second.refused_until > now)
        return true;
    // The penalty is over: a fresh start.
    it->second.refused_until = {};
    it->second.failures = 0;
    penalized_.fetch_sub(1, std::memory_order_relaxed);
    forget_if_idle(peer, now);
    return false;
}

bool admission::auth_failed(std::string_view peer, clock::time_point now)
{
    if(limits_.max_auth_failures == 0)
        return false;
    std::lock_guard lock(mutex_);
    auto* p = find_or_add(peer);
    if(!p)
        return false;
    if(p->failures == 0 || now - p->window_start >= limits_.failure_window)
    {
        p->window_start = now;
        p->failures = 0;
    }
    if(++p->failures < limits_.max_auth_failures || p->refused_until != clock::time_point{})
        return false;
    p->refused_until = now + limits_.penalty;
    penalized_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

std::size_t admission::peers() const
{
    std::lock_guard lock(mutex_);
    return peers_.size();
}

} // namespace catena::webhooks::detail
