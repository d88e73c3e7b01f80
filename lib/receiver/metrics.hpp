// SPDX-License-Identifier: BSL-1.0
// lib/receiver/metrics.hpp - every series the receiver exposes, from one snapshot of its parts.
#ifndef CATENA_WEBHOOKS_RECEIVER_METRICS_HPP
#define CATENA_WEBHOOKS_RECEIVER_METRICS_HPP

#include <catena/webhooks/handoff.hpp>
#include <catena/webhooks/stats.hpp>

#include "clients/healer.hpp"
#include "clients/operation_poller.hpp"
#include "detail/counters.hpp"
#include "http/state_api.hpp"
#include "processing/pipeline.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** Everything the receiver reports, copied at one moment: the source of both the
    Prometheus text (/metrics, receiver::metrics_text) and receiver::stats(). */
struct metrics_snapshot
{
    counters::values requests;
    pipeline_stats pipeline;
    store_stats store;
    std::uint64_t inbox_depth = 0;
    std::uint64_t inbox_bytes = 0;
    double processing_lag_seconds = 0;
    std::uint64_t store_bytes = 0;
    std::uint64_t callback_retries = 0;
    std::uint64_t callback_dead_letters = 0;
    std::uint64_t callback_backlog = 0;
    // Rendered only (receiver::stats() leaves them empty: they walk every fleet).
    fleet_tally fleets_by;
    std::vector<subscription_seen> subscriptions;
    std::optional<heal_stats> heal; ///< With options.heal.enabled.
    std::vector<sink_status> sinks; ///< receiver::report_sinks.
    std::optional<poll_stats> polls; ///< With options.operations.enabled.
};

/// The Prometheus text exposition (format 0.0.4) of `s`: every series, its help and type.
std::string render_metrics(metrics_snapshot const& s);

/** The numbers of /v1/summary, taken from the series render_metrics() writes for the same
    snapshot: each under its metric's name without `catena_webhooks_` and `_total`
    (docs/service.md, "One name per number"). */
std::vector<summary_number> summary_of(metrics_snapshot const& s);

/// The same numbers as receiver_stats.
receiver_stats stats_of(metrics_snapshot const& s);

} // namespace catena::webhooks::detail

#endif
