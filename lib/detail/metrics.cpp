// SPDX-License-Identifier: BSL-1.0
// lib/detail/metrics.cpp - counters and the Prometheus text exposition.
#include "detail/metrics.hpp"

#include <cstdio>

namespace catena::webhooks::detail {

void metrics::count_response(unsigned status, error_code const& ec) noexcept
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

void metrics::observe_ack_latency(std::chrono::nanoseconds d) noexcept
{
    double const s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while(i < latency_buckets.size() && s > latency_buckets[i])
        ++i;
    latency_[i].fetch_add(1, std::memory_order_relaxed);
    latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count()), std::memory_order_relaxed);
}

namespace {

void line(std::string& out, char const* fmt, auto... args)
{
    char buf[256];
    int const n = std::snprintf(buf, sizeof buf, fmt, args...);
    if(n > 0)
        out.append(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
}

unsigned long long load(std::atomic<std::uint64_t> const& a)
{
    return a.load(std::memory_order_relaxed);
}

} // namespace

std::string metrics::render(gauges const& g) const
{
    std::string out;
    out.reserve(4096);
    out += "# HELP catena_webhooks_requests_total HTTP requests answered, by status.\n"
           "# TYPE catena_webhooks_requests_total counter\n";
    for(std::size_t i = 0; i < statuses.size(); ++i)
        line(out, "catena_webhooks_requests_total{status=\"%u\"} %llu\n", statuses[i], load(by_status_[i]));

    out += "# HELP catena_webhooks_rejections_total Requests rejected, by reason.\n"
           "# TYPE catena_webhooks_rejections_total counter\n";
    for(int ev = 0; ev < max_reason; ++ev)
        if(auto n = load(by_reason_[static_cast<std::size_t>(ev)]))
            line(out, "catena_webhooks_rejections_total{reason=\"%.*s\"} %llu\n",
                 static_cast<int>(reason(ev ? make_error_code(static_cast<error>(ev)) : error_code{}).size()),
                 reason(ev ? make_error_code(static_cast<error>(ev)) : error_code{}).data(), n);

    struct
    {
        char const* name;
        char const* help;
        std::atomic<std::uint64_t> const& value;
    } const counters[] = {
        {"accepted_total", "Deliveries answered 202 and kept.", accepted},
        {"duplicate_requests_total", "Replayed copies of a kept request (same X-Request-ID).", duplicate_requests},
        {"events_total", "Records handed to callbacks.", events},
        {"unhandled_events_total", "Records no callback matched.", unhandled_events},
        {"dead_letters_total", "Authentic deliveries that could not be decoded.", dead_letters},
        {"callback_errors_total", "Callbacks that threw.", callback_errors},
        {"connections_accepted_total", "Connections accepted.", connections_accepted},
        {"connections_refused_total", "Connections closed on accept because of the connection cap.", connections_refused},
        {"accept_errors_total", "Failed accepts (retried after a pause).", accept_errors},
        {"secrets_reloads_total", "Times the secrets were replaced.", secrets_reloads},
    };
    for(auto const& c : counters)
    {
        line(out, "# HELP catena_webhooks_%s %s\n# TYPE catena_webhooks_%s counter\n", c.name, c.help, c.name);
        line(out, "catena_webhooks_%s %llu\n", c.name, load(c.value));
    }

    line(out, "# HELP catena_webhooks_connections_active Open connections.\n"
              "# TYPE catena_webhooks_connections_active gauge\ncatena_webhooks_connections_active %llu\n",
         load(connections_active));
    line(out, "# HELP catena_webhooks_inbox_depth Kept deliveries not processed yet.\n"
              "# TYPE catena_webhooks_inbox_depth gauge\ncatena_webhooks_inbox_depth %llu\n",
         static_cast<unsigned long long>(g.inbox_depth));
    line(out, "# HELP catena_webhooks_inbox_bytes Bytes of kept deliveries not processed yet.\n"
              "# TYPE catena_webhooks_inbox_bytes gauge\ncatena_webhooks_inbox_bytes %llu\n",
         static_cast<unsigned long long>(g.inbox_bytes));
    line(out, "# HELP catena_webhooks_processing_lag_seconds Age of the oldest unprocessed delivery.\n"
              "# TYPE catena_webhooks_processing_lag_seconds gauge\ncatena_webhooks_processing_lag_seconds %.6f\n",
         g.processing_lag_seconds);

    for(auto const& x : g.extras)
    {
        std::string const name = std::string("catena_webhooks_") + x.name;
        out.append("# HELP ").append(name).append(" ").append(x.help).append("\n");
        out.append("# TYPE ").append(name).append(x.counter ? " counter\n" : " gauge\n");
        line(out, "%s %.17g\n", name.c_str(), x.value);
    }

    out += "# HELP catena_webhooks_ack_latency_seconds Time from the end of a request to its 202 being queued for writing.\n"
           "# TYPE catena_webhooks_ack_latency_seconds histogram\n";
    unsigned long long cumulative = 0;
    for(std::size_t i = 0; i < latency_buckets.size(); ++i)
    {
        cumulative += load(latency_[i]);
        line(out, "catena_webhooks_ack_latency_seconds_bucket{le=\"%g\"} %llu\n", latency_buckets[i], cumulative);
    }
    cumulative += load(latency_[latency_buckets.size()]);
    line(out, "catena_webhooks_ack_latency_seconds_bucket{le=\"+Inf\"} %llu\n", cumulative);
    line(out, "catena_webhooks_ack_latency_seconds_sum %.9f\n", static_cast<double>(load(latency_sum_ns_)) / 1e9);
    line(out, "catena_webhooks_ack_latency_seconds_count %llu\n", cumulative);
    return out;
}

} // namespace catena::webhooks::detail
