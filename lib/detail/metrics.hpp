// SPDX-License-Identifier: BSL-1.0
// lib/detail/metrics.hpp - lock-free counters of the receiver, rendered as Prometheus text.
#ifndef CATENA_WEBHOOKS_DETAIL_METRICS_HPP
#define CATENA_WEBHOOKS_DETAIL_METRICS_HPP

#include <catena/webhooks/error.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

class metrics
{
public:
    static constexpr std::array<unsigned, 12> statuses{200, 202, 400, 401, 404, 405, 408, 413, 415, 431, 500, 503};
    static constexpr std::array<double, 14> latency_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                           0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
    static constexpr int max_reason = 64;

    /// Counts one answered request; `ec` empty for 2xx.
    void count_response(unsigned status, error_code const& ec) noexcept;
    void count_duplicate_request() noexcept { duplicate_requests.fetch_add(1, std::memory_order_relaxed); }
    void observe_ack_latency(std::chrono::nanoseconds d) noexcept;

    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> duplicate_requests{0};
    std::atomic<std::uint64_t> rejected{0};
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> unhandled_events{0};
    std::atomic<std::uint64_t> dead_letters{0};
    std::atomic<std::uint64_t> callback_errors{0};
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> connections_refused{0};
    std::atomic<std::uint64_t> connections_active{0};
    std::atomic<std::uint64_t> accept_errors{0};
    std::atomic<std::uint64_t> secrets_reloads{0};

    struct gauges
    {
        std::uint64_t inbox_depth = 0;
        std::uint64_t inbox_bytes = 0;
        double processing_lag_seconds = 0;
        /// Further series (processing): name, help, true for a counter, value.
        struct extra
        {
            char const* name;
            char const* help;
            bool counter;
            double value;
        };
        std::vector<extra> extras;
    };
    std::string render(gauges const& g) const;

private:
    std::array<std::atomic<std::uint64_t>, statuses.size()> by_status_{};
    std::array<std::atomic<std::uint64_t>, max_reason> by_reason_{};
    std::array<std::atomic<std::uint64_t>, latency_buckets.size() + 1> latency_{};
    std::atomic<std::uint64_t> latency_sum_ns_{0};
};

} // namespace catena::webhooks::detail

#endif
