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
        add(id::accepted);
    if(status < 400 || !ec)
        return;
    add(id::rejected);
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

void counters::observe_skew(double s) noexcept
{
    std::size_t i = 0;
    while(i < skew_buckets.size() && s > skew_buckets[i])
        ++i;
    skew_[i].fetch_add(1, std::memory_order_relaxed);
    skew_sum_ms_.fetch_add(static_cast<std::int64_t>(s * 1000), std::memory_order_relaxed);
}

void counters::observe_slice(std::chrono::nanoseconds d) noexcept
{
    double const s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while(i < slice_buckets.size() && s > slice_buckets[i])
        ++i;
    slice_[i].fetch_add(1, std::memory_order_relaxed);
    auto const ns = static_cast<std::uint64_t>(d.count() > 0 ? d.count() : 0);
    slice_sum_ns_.fetch_add(ns, std::memory_order_relaxed);
    auto longest = slice_max_ns_.load(std::memory_order_relaxed);
    while(ns > longest && !slice_max_ns_.compare_exchange_weak(longest, ns, std::memory_order_relaxed))
    {
    }
}

counters::values counters::load() const noexcept
{
    auto copy = [](auto const& from, auto& to) {
        for(std::size_t i = 0; i < from.size(); ++i)
            to[i] = from[i].load(std::memory_order_relaxed);
    };
    values v;
    copy(counts_, v.count);
    copy(by_status_, v.by_status);
    copy(by_reason_, v.by_reason);
    copy(latency_, v.latency);
    v.latency_sum_ns = latency_sum_ns_.load(std::memory_order_relaxed);
    copy(skew_, v.skew);
    v.skew_sum = static_cast<double>(skew_sum_ms_.load(std::memory_order_relaxed)) / 1000.0;
    copy(slice_, v.slice);
    v.slice_sum_ns = slice_sum_ns_.load(std::memory_order_relaxed);
    v.slice_max_ns = slice_max_ns_.load(std::memory_order_relaxed);
    return v;
}

} // namespace catena::webhooks::detail
