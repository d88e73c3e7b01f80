// SPDX-License-Identifier: BSL-1.0
// lib/detail/counters.hpp - lock-free counters of requests and connections, counted where they happen.
#ifndef CATENA_WEBHOOKS_DETAIL_COUNTERS_HPP
#define CATENA_WEBHOOKS_DETAIL_COUNTERS_HPP

#include <catena/webhooks/error.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace catena::webhooks::detail {

/** What the listener, intake and processing count as it happens (any thread, relaxed).
    metrics.cpp renders a values() copy of them with everything else. */
class counters
{
public:
    static constexpr std::array<unsigned, 14> statuses{200, 202, 400, 401, 404, 405, 408, 413, 415, 421, 429, 431, 500, 503};
    static constexpr std::array<double, 14> latency_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                           0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
    /// X-Catena-Timestamp's lag behind the local clock, seconds (negative: ahead of it).
    static constexpr std::array<double, 15> skew_buckets{-600, -300, -120, -60, -30, -10, -1, 0,
                                                         1,    10,   30,   60,  120, 300, 600};
    /// How long one turn of processing held its strand (the I/O on that thread waits for it).
    static constexpr std::array<double, 13> slice_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                         0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
    static constexpr int max_reason = 96;

    /// Counts one answered request; `ec` empty for 2xx.
    void count_response(unsigned status, error_code const& ec) noexcept;
    void observe_ack_latency(std::chrono::nanoseconds d) noexcept;
    void observe_skew(double seconds) noexcept;
    void observe_slice(std::chrono::nanoseconds d) noexcept;

    /// The plain counters (and one gauge, connections_active).
    enum class id : std::size_t
    {
        accepted,
        duplicate_requests,
        rejected,
        events,
        unhandled_events,
        dead_letters,
        callback_errors,
        connections_accepted,
        connections_refused,
        connections_active,
        accept_errors,
        connections_evicted,
        deferred_deliveries,
        envelope_duplicates,
        body_budget_bytes,
        secrets_reloads,
        penalties_started,
        penalties_active,
        proxy_header_errors,
        count_
    };
    static constexpr std::size_t ids = static_cast<std::size_t>(id::count_);

    void add(id i, std::int64_t n = 1) noexcept
    {
        counts_[static_cast<std::size_t>(i)].fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }
    std::uint64_t get(id i) const noexcept { return counts_[static_cast<std::size_t>(i)].load(std::memory_order_relaxed); }

    /** The counters as plain numbers at one moment. */
    struct values
    {
        std::array<std::uint64_t, ids> count{};
        std::array<std::uint64_t, statuses.size()> by_status{};
        std::array<std::uint64_t, max_reason> by_reason{};               ///< By error value (0: other).
        std::array<std::uint64_t, latency_buckets.size() + 1> latency{}; ///< Per bucket, not cumulative.
        std::uint64_t latency_sum_ns = 0;
        std::array<std::uint64_t, skew_buckets.size() + 1> skew{};
        double skew_sum = 0;
        std::array<std::uint64_t, slice_buckets.size() + 1> slice{};
        std::uint64_t slice_sum_ns = 0;
        std::uint64_t slice_max_ns = 0;

        std::uint64_t operator[](id i) const noexcept { return count[static_cast<std::size_t>(i)]; }
    };
    values load() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, ids> counts_{};
    std::array<std::atomic<std::uint64_t>, statuses.size()> by_status_{};
    std::array<std::atomic<std::uint64_t>, max_reason> by_reason_{};
    std::array<std::atomic<std::uint64_t>, latency_buckets.size() + 1> latency_{};
    std::atomic<std::uint64_t> latency_sum_ns_{0};
    std::array<std::atomic<std::uint64_t>, skew_buckets.size() + 1> skew_{};
    std::atomic<std::int64_t> skew_sum_ms_{0};
    std::array<std::atomic<std::uint64_t>, slice_buckets.size() + 1> slice_{};
    std::atomic<std::uint64_t> slice_sum_ns_{0}, slice_max_ns_{0};
};

} // namespace catena::webhooks::detail

#endif
