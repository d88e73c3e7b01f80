// SPDX-License-Identifier: BSL-1.0
// lib/detail/counters.cpp - lock-free counters of requests and connections.
#include "detail/counters.hpp"

namespace catena::webhooks::detail {

void counters::count_response(unsigned status, error_code const& ec) noexcept
{
    for(std::size_t i = 0; i < statuses.size(); ++i)
        if(statuses[i] == status)
            by_status_[i].fetch_add(1, std::memory_order_relaxed);
    if(status == 202)
        accepted.fetch_add(1, std::memory_order_relaxed);
    if(status < 400 || !ec)
        return;
    rejected.fetch_add(1, std::memory_order_relaxed);
    int const ev = ec.category() == error_category() ? ec.value() : 0;
    by_reason_[static_cast<std::size_t>(ev > 0 && ev < max_reason ? ev : 0)].fetch_add(1, std::memory_order_relaxed);
}

void counters::observe_ack_latency(std::chrono::nanoseconds d) noexcept
{
    double const s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while(i < latency_buckets.size() && s > latency_buckets[i])
        ++i;
    latency_[i].fetch_add(1, std::memory_order_relaxed);
    latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count()), std::memory_order_relaxed);
}

counters::values counters::load() const noexcept
{
    auto l = [](std::atomic<std::uint64_t> const& a) { return a.load(std::memory_order_relaxed); };
    values v;
    v.accepted = l(accepted);
    v.duplicate_requests = l(duplicate_requests);
    v.rejected = l(rejected);
    v.events = l(events);
    v.unhandled_events = l(unhandled_events);
    v.dead_letters = l(dead_letters);
    v.callback_errors = l(callback_errors);
    v.connections_accepted = l(connections_accepted);
    v.connections_refused = l(connections_refused);
    v.connections_active = l(connections_active);
    v.accept_errors = l(accept_errors);
    v.secrets_reloads = l(secrets_reloads);
    for(std::size_t i = 0; i < by_status_.size(); ++i)
        v.by_status[i] = l(by_status_[i]);
    for(std::size_t i = 0; i < by_reason_.size(); ++i)
        v.by_reason[i] = l(by_reason_[i]);
    for(std::size_t i = 0; i < latency_.size(); ++i)
        v.latency[i] = l(latency_[i]);
    v.latency_sum_ns = l(latency_sum_ns_);
    return v;
}

} // namespace catena::webhooks::detail
