// SPDX-License-Identifier: BSL-1.0
// lib/receiver/metrics.cpp - every series the receiver exposes, defined once, from one snapshot.
#include "receiver/metrics.hpp"

#include <catena/webhooks/version.hpp>

#include <boost/assert.hpp>

#include <algorithm>
#include <cstdio>
#include <span>

namespace catena::webhooks::detail {

namespace {

using counter_id = counters::id;

void line(std::string& out, char const* fmt, auto... args)
{
    char buf[256];
    int const n = std::snprintf(buf, sizeof buf, fmt, args...);
    if(n > 0)
        out.append(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
}

std::string_view reason_of(int ev) { return reason(ev ? make_error_code(static_cast<error>(ev)) : error_code{}); }

// One plain series: name (after catena_webhooks_), help, counter or gauge, value.
struct series
{
    char const* name;
    char const* help;
    bool counter;
    double value;
};

// A histogram from per-bucket (not cumulative) counts, the last one past every bound.
template<std::size_t N>
void histogram(std::string& out, char const* name, char const* help, std::array<double, N> const& bounds,
               auto const& counts, double sum)
{
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" histogram\n");
    unsigned long long cumulative = 0;
    for(std::size_t i = 0; i < N; ++i)
    {
        cumulative += counts[i];
        line(out, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], cumulative);
    }
    cumulative += counts[N];
    line(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, cumulative);
    line(out, "%s_sum %.9f\n", name, sum);
    line(out, "%s_count %llu\n", name, cumulative);
}

// A label value as the text format wants it: backslash, quote and newline escaped.
std::string label_value(std::string_view v)
{
    std::string out;
    out.reserve(v.size());
    for(char c : v)
    {
        if(c == '\\' || c == '"')
            out.push_back('\\');
        if(c == '\n')
        {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}


// The label of a fleet count by stage (a fleet with no stage yet: "none") and by health.
std::string_view stage_label(std::size_t i)
{
    auto const name = to_string(static_cast<stage>(i));
    return name.empty() ? "none" : name;
}
std::string_view health_label(std::size_t i) { return to_string(static_cast<health>(i)); }

// Deliveries kept: every 202 but those that answered a copy of what was kept already.
std::uint64_t kept(counters::values const& r)
{
    return r[counter_id::accepted] - r[counter_id::duplicate_requests] - r[counter_id::envelope_duplicates];
}

// Duplicate events: those processing dropped, and the copies of a kept envelope that intake
// caught earlier (duplicate events too, each a whole envelope's).
std::uint64_t duplicate_events(metrics_snapshot const& s)
{
    return s.pipeline.duplicate_events + s.requests[counter_id::envelope_duplicates];
}

// Plain series (no labels), each with its HELP and TYPE lines.
void write_series(std::string& out, std::span<series const> all)
{
    for(auto const& x : all)
    {
        std::string const name = std::string("catena_webhooks_") + x.name;
        out.append("# HELP ").append(name).append(" ").append(x.help).append("\n");
        out.append("# TYPE ").append(name).append(x.counter ? " counter\n" : " gauge\n");
        line(out, "%s %.17g\n", name.c_str(), x.value);
    }
}

// Every plain series (no labels), in the order they are written: /metrics writes them all, and
// /v1/summary picks its numbers from them by name, so that the two cannot disagree.
std::vector<series> plain_series(metrics_snapshot const& s)
{
    auto const& r = s.requests;
    auto const& p = s.pipeline;
    auto d = [](auto v) { return static_cast<double>(v); };
    return {
        {"accepted_total", "Deliveries answered 202 and kept (not the copies of a kept one: duplicate_requests_total, envelope_duplicates_total).", true, d(kept(r))},
        {"duplicate_requests_total", "Replayed copies of a kept request (same X-Request-ID).", true, d(r[counter_id::duplicate_requests])},
        {"events_total", "Records handed to callbacks.", true, d(r[counter_id::events])},
        {"unhandled_events_total", "Records no callback matched.", true, d(r[counter_id::unhandled_events])},
        {"dead_letters_total", "Authentic deliveries that could not be decoded.", true, d(r[counter_id::dead_letters])},
        {"callback_errors_total", "Callbacks that threw.", true, d(r[counter_id::callback_errors])},
        {"connections_accepted_total", "Connections accepted.", true, d(r[counter_id::connections_accepted])},
        {"connections_refused_total", "Connections closed on accept because of the connection cap.", true, d(r[counter_id::connections_refused])},
        {"accept_errors_total", "Failed accepts (retried after a pause).", true, d(r[counter_id::accept_errors])},
        {"connections_evicted_total", "Idle keep-alive connections closed to make room at the connection cap.", true, d(r[counter_id::connections_evicted])},
        {"deferred_deliveries_total", "Deliveries whose headers passed but whose body could not be kept (too large, undecodable): answered 503 so that Catena keeps them for replay.", true, d(r[counter_id::deferred_deliveries])},
        {"envelope_duplicates_total", "Copies of an envelope kept within the request-id memory, answered 202 without keeping them again.", true, d(r[counter_id::envelope_duplicates])},
        {"body_budget_bytes", "Request body bytes being read or verified now (bounded by limits.body_budget_bytes).", false, d(r[counter_id::body_budget_bytes])},
        {"secrets_reloads_total", "Times the secrets were replaced.", true, d(r[counter_id::secrets_reloads])},
        {"penalties_total", "Penalties started: an address failed one subscription's signature limits.max_auth_failures_per_minute times within a minute, and its bodies for it were rationed.", true, d(r[counter_id::penalties_started])},
        {"penalties_active", "(address, subscription) pairs being rationed now.", false, d(r[counter_id::penalties_active])},
        {"proxy_header_errors_total", "Connections or requests from a trusted proxy whose PROXY header or X-Forwarded-For named no client.", true, d(r[counter_id::proxy_header_errors])},
        {"connections_active", "Open connections.", false, d(r[counter_id::connections_active])},
        {"inbox_depth", "Kept deliveries not processed yet.", false, d(s.inbox_depth)},
        {"inbox_bytes", "Bytes of kept deliveries not processed yet.", false, d(s.inbox_bytes)},
        {"processing_lag_seconds", "Age of the oldest unprocessed delivery.", false, s.processing_lag_seconds},
        {"duplicate_events_total", "Retries and replays of events already seen, not dispatched again (with the copies of a kept envelope that intake caught).", true, d(duplicate_events(s))},
        {"late_events_total", "Events dispatched flagged late (older than the newest version of their record applied).", true, d(p.late_events)},
        {"cross_subscription_duplicates_total", "Events dropped as already delivered through another subscription.", true, d(p.cross_subscription_duplicates)},
        {"repeated_facts_total", "Events without envelope id whose record went back to an earlier content, kept as new facts.", true, d(p.repeated_facts)},
        {"transitions_total", "Fleet stage and health transitions.", true, d(p.transitions)},
        {"fleet_merges_total", "Journeys merged into their fleet once linked.", true, d(p.merges)},
        {"impossible_transitions_total", "Events whose stage move the lifecycle does not allow (not applied).", true, d(p.impossible_transitions)},
        {"released_early_total", "Events released before their reorder window ended (buffer full).", true, d(p.released_early)},
        {"dedup_evicted_early_total", "Event identities forgotten from memory before their retention ended (memory bound; with a data dir they are looked up on disk).", true, d(p.dedup_evicted_early)},
        {"dedup_lookups_total", "Event identities looked up on disk (older than memory covers).", true, d(p.identity_lookups)},
        {"dedup_recalled_total", "Of those, found on disk: duplicates older than memory covers.", true, d(p.identities_recalled)},
        {"operations_completed_total", "Tracked resource operations completed.", true, d(p.operations_completed)},
        {"operations_timed_out_total", "Tracked resource operations that timed out.", true, d(p.operations_timed_out)},
        {"operations_polled_total", "Tracked resource operations decided by polling Catena's API (no webhook came in time, or a delivery gap covered them).", true, d(p.operations_polled)},
        {"operation_duplicates_total", "Result webhooks that came after a poll had decided their operation (not a second completion).", true, d(p.operations_duplicate)},
        {"callback_retries_total", "Callback attempts retried after a failure.", true, d(s.callback_retries)},
        {"callback_dead_letters_total", "Callbacks dead-lettered after every attempt failed.", true, d(s.callback_dead_letters)},
        {"reorder_held_events", "Events held in the reorder window.", false, d(p.held)},
        {"reorder_held_bytes", "Approximate bytes held in the reorder window.", false, d(p.held_bytes)},
        {"dedup_identities", "Event identities held in memory.", false, d(p.identities)},
        {"dedup_memory_bytes", "Bytes of the in-memory identity table.", false, d(p.identity_memory_bytes)},
        {"fleets", "Fleets known.", false, d(p.fleets)},
        {"tracked_operations", "Resource operations awaiting their outcome.", false, d(p.tracked_operations)},
        {"remembered_records", "Records whose latest content and version are remembered (processing.max_record_versions).", false, d(p.remembered_records)},
        {"callback_backlog", "Callback calls queued or waiting for a retry.", false, d(s.callback_backlog)},
        {"store_bytes", "Size of the durable store on disk (0 in memory).", false, d(s.store_bytes)},
        {"store_transactions_total", "Write transactions committed to the durable store.", true, d(s.store.transactions)},
        {"store_appends_total", "Deliveries those transactions kept (per transaction: the group-commit batch).", true, d(s.store.appends)},
        {"store_pages_written_total", "Database pages those transactions wrote.", true, d(s.store.pages_written)},
        {"store_write_failures_total", "Write transactions that failed and were rolled back (answered 503).", true, d(s.store.failures)},
        {"store_lock_waits_total", "Times the store's writer found the database locked by another connection (another process on the data directory's file).", true, d(s.store.lock_waits)},
        {"store_leader", "1 when this receiver processes the inbox (always, but for a standby of a shared PostgreSQL store).", false, d(!s.store.shared || s.store.leader ? 1 : 0)},
        {"store_leadership_changes_total", "Times this receiver became the leader of a shared store or stopped being it.", true, d(s.store.leadership_changes)},
        {"store_round_trips_total", "Round trips to a shared PostgreSQL store (queries and commands; 0 with SQLite).", true, d(s.store.round_trips)},
        {"store_errors_total", "Of those, the ones that failed (errors, lost connections).", true, d(s.store.errors)},
    };
}

} // namespace

std::string render_metrics(metrics_snapshot const& s)
{
    auto const& r = s.requests;
    auto d = [](auto v) { return static_cast<double>(v); };
    std::string out;
    out.reserve(8192);
    // The build, as /v1/summary and the status page show it (one series, always 1).
    out += "# HELP catena_webhooks_build_info The version and commit of the library serving these series; always 1.\n"
           "# TYPE catena_webhooks_build_info gauge\n";
    out.append("catena_webhooks_build_info{version=\"")
        .append(label_value(version()))
        .append("\",commit=\"")
        .append(label_value(build_commit()))
        .append("\"} 1\n");
    out += "# HELP catena_webhooks_requests_total HTTP requests answered, by status.\n"
           "# TYPE catena_webhooks_requests_total counter\n";
    for(std::size_t i = 0; i < counters::statuses.size(); ++i)
        line(out, "catena_webhooks_requests_total{status=\"%u\"} %llu\n", counters::statuses[i],
             static_cast<unsigned long long>(r.by_status[i]));

    out += "# HELP catena_webhooks_rejections_total Requests rejected, by reason.\n"
           "# TYPE catena_webhooks_rejections_total counter\n";
    for(int ev = 0; ev < counters::max_reason; ++ev)
        if(auto n = r.by_reason[static_cast<std::size_t>(ev)])
            line(out, "catena_webhooks_rejections_total{reason=\"%.*s\"} %llu\n", static_cast<int>(reason_of(ev).size()),
                 reason_of(ev).data(), static_cast<unsigned long long>(n));

    write_series(out, plain_series(s));

    out += "# HELP catena_webhooks_fleets_by_stage Fleets in each stage.\n"
           "# TYPE catena_webhooks_fleets_by_stage gauge\n";
    for(std::size_t i = 0; i < s.fleets_by.by_stage.size(); ++i)
        line(out, "catena_webhooks_fleets_by_stage{stage=\"%s\"} %llu\n", std::string(stage_label(i)).c_str(),
             static_cast<unsigned long long>(s.fleets_by.by_stage[i]));
    out += "# HELP catena_webhooks_fleets_by_health Fleets in each health.\n"
           "# TYPE catena_webhooks_fleets_by_health gauge\n";
    for(std::size_t i = 0; i < s.fleets_by.by_health.size(); ++i)
        line(out, "catena_webhooks_fleets_by_health{health=\"%s\"} %llu\n", std::string(health_label(i)).c_str(),
             static_cast<unsigned long long>(s.fleets_by.by_health[i]));

    std::size_t stopped = 0;
    for(auto const& x : s.subscriptions)
        stopped += x.delivery_stopped ? 1 : 0;
    out += "# HELP catena_webhooks_subscriptions_stopped Subscriptions whose last webhook.* event stopped their "
           "delivery (staled, paused, deleted).\n"
           "# TYPE catena_webhooks_subscriptions_stopped gauge\n";
    line(out, "catena_webhooks_subscriptions_stopped %zu\n", stopped);
    out += "# HELP catena_webhooks_subscription_deliveries_total Deliveries kept, by subscription (X-Webhook-ID).\n"
           "# TYPE catena_webhooks_subscription_deliveries_total counter\n";
    for(auto const& x : s.subscriptions)
        out.append("catena_webhooks_subscription_deliveries_total{webhook_id=\"")
            .append(label_value(x.webhook_id))
            .append("\"} ")
            .append(std::to_string(x.deliveries))
            .append("\n");
    out += "# HELP catena_webhooks_subscription_last_delivery_timestamp_seconds When the last delivery through the "
           "subscription was kept (Unix time).\n"
           "# TYPE catena_webhooks_subscription_last_delivery_timestamp_seconds gauge\n";
    for(auto const& x : s.subscriptions)
        if(x.last_delivery_at)
            out.append("catena_webhooks_subscription_last_delivery_timestamp_seconds{webhook_id=\"")
                .append(label_value(x.webhook_id))
                .append("\"} ")
                .append(std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           x.last_delivery_at->time_since_epoch())
                                           .count()))
                .append("\n");

    {
        // One series per sink, labelled with its URI (credentials never appear in it); the
        // families are announced without sinks too, so that rules reading them always find them.
        struct sink_series
        {
            char const* name;
            char const* help;
            char const* type;
            double (*value)(sink_status const&);
        };
        static sink_series const sink_metrics[] = {
            {"sink_sent_total", "Messages written to the sink, retries included.", "counter",
             [](sink_status const& x) { return static_cast<double>(x.sent); }},
            {"sink_acknowledged_total", "Messages the sink acknowledged.", "counter",
             [](sink_status const& x) { return static_cast<double>(x.acknowledged); }},
            {"sink_retries_total", "Messages sent to the sink again after a failure or a lost connection.", "counter",
             [](sink_status const& x) { return static_cast<double>(x.retries); }},
            {"sink_pending", "Messages handed to the sink and not acknowledged yet.", "gauge",
             [](sink_status const& x) { return static_cast<double>(x.pending); }},
            {"sink_lag_seconds", "How long the sink's oldest unacknowledged message has waited (0: none).", "gauge",
             [](sink_status const& x) { return x.lag_seconds; }},
            {"sink_connected", "1 while a connection to the sink is up.", "gauge",
             [](sink_status const& x) { return x.connected ? 1.0 : 0.0; }},
        };
        for(auto const& m : sink_metrics)
        {
            std::string const name = std::string("catena_webhooks_") + m.name;
            out.append("# HELP ").append(name).append(" ").append(m.help).append("\n");
            out.append("# TYPE ").append(name).append(" ").append(m.type).append("\n");
            for(auto const& x : s.sinks)
                line(out, "%s{sink=\"%s\"} %.17g\n", name.c_str(), label_value(x.name).c_str(), m.value(x));
        }
    }

    if(s.heal)
    {
        out += "# HELP catena_webhooks_heal_actions_total Steps of self-healing taken: subscriptions reactivated, "
               "dead-letter replays requested.\n"
               "# TYPE catena_webhooks_heal_actions_total counter\n";
        line(out, "catena_webhooks_heal_actions_total{action=\"activate\"} %llu\n",
             static_cast<unsigned long long>(s.heal->activations));
        line(out, "catena_webhooks_heal_actions_total{action=\"replay\"} %llu\n",
             static_cast<unsigned long long>(s.heal->replays));
        series const heal_series[] = {
            {"heal_failures_total", "Self-healing API calls that failed (tried again at the next poll).", true, d(s.heal->failures)},
            {"delivery_gaps_total", "Windows during which a subscription delivered nothing, reported once it was healed.", true, d(s.heal->gaps)},
            {"heal_polls_total", "Polls of the API for stale subscriptions.", true, d(s.heal->polls)},
        };
        write_series(out, heal_series);
    }

    if(s.polls)
    {
        out += "# HELP catena_webhooks_operation_polls_total Requests to Catena's Integrations API about tracked "
               "operations, by what they found: an outcome, still pending, or a failure (401, 5xx, an answer that is "
               "not the operation; asked again after a back-off).\n"
               "# TYPE catena_webhooks_operation_polls_total counter\n";
        line(out, "catena_webhooks_operation_polls_total{outcome=\"found\"} %llu\n",
             static_cast<unsigned long long>(s.polls->found));
        line(out, "catena_webhooks_operation_polls_total{outcome=\"pending\"} %llu\n",
             static_cast<unsigned long long>(s.polls->still_pending));
        line(out, "catena_webhooks_operation_polls_total{outcome=\"failed\"} %llu\n",
             static_cast<unsigned long long>(s.polls->failures));
        series const poll_series[] = {
            {"operation_poll_requests_total", "Requests made to poll operations (one operation, or one listing).", true, d(s.polls->requests)},
            {"operation_poll_listings_total", "Listings of a connection's operations, made after a delivery gap.", true, d(s.polls->listings)},
            {"operation_polls_deferred_total", "Times due polls waited for the rate limit (operations.max_polls per operations.per).", true, d(s.polls->deferred)},
            {"operation_poll_gaps_total", "Delivery gaps that made every watched operation due at once.", true, d(s.polls->gaps)},
            {"operations_watched", "Operations the poller waits on.", false, d(s.polls->watched)},
        };
        write_series(out, poll_series);
    }

    histogram(out, "catena_webhooks_ack_latency_seconds",
              "Time from the end of a request to its 202 being queued for writing.", counters::latency_buckets,
              r.latency, static_cast<double>(r.latency_sum_ns) / 1e9);
    histogram(out, "catena_webhooks_timestamp_skew_seconds",
              "How far X-Catena-Timestamp lies behind the local clock (negative: ahead), for requests whose "
              "other headers pass; near the window's edge means a wrong clock.",
              counters::skew_buckets, r.skew, r.skew_sum);
    histogram(out, "catena_webhooks_processing_slice_seconds",
              "How long one turn of processing (a batch from the inbox, a release of the reorder buffer, a "
              "progress flush) held the processing strand; the I/O of that thread waits meanwhile.",
              counters::slice_buckets, r.slice, static_cast<double>(r.slice_sum_ns) / 1e9);
    out.append("# HELP catena_webhooks_processing_slice_max_seconds The longest processing turn since start.\n"
               "# TYPE catena_webhooks_processing_slice_max_seconds gauge\n");
    line(out, "catena_webhooks_processing_slice_max_seconds %.9f\n", static_cast<double>(r.slice_max_ns) / 1e9);
    return out;
}

std::vector<summary_number> summary_of(metrics_snapshot const& s)
{
    // The plain series /v1/summary shows, by their metric's name (prefix left out).
    static constexpr std::string_view shown[] = {
        "accepted_total",    "duplicate_requests_total", "envelope_duplicates_total", "deferred_deliveries_total",
        "inbox_depth",       "connections_active",       "events_total",              "duplicate_events_total",
        "late_events_total", "transitions_total",        "reorder_held_events",       "dead_letters_total",
        "callback_errors_total", "callback_backlog",     "fleets"};
    auto const all = plain_series(s);
    std::vector<summary_number> out;
    for(auto const name : shown)
    {
        auto const it = std::find_if(all.begin(), all.end(), [name](series const& x) { return name == x.name; });
        BOOST_ASSERT(it != all.end()); // test/unit/metrics.cpp reads every name of the summary in /metrics
        if(it == all.end())
            continue;
        auto const plain = name.ends_with("_total") ? name.substr(0, name.size() - 6) : name;
        out.push_back({plain, {}, static_cast<std::uint64_t>(it->value)});
    }
    // Labelled families: rejections_total summed over its reasons; fleets by stage and health
    // one number per label.
    out.push_back({"rejections", {}, s.requests[counter_id::rejected]});
    for(std::size_t i = 0; i < s.fleets_by.by_stage.size(); ++i)
        out.push_back({"fleets_by_stage", std::string(stage_label(i)), s.fleets_by.by_stage[i]});
    for(std::size_t i = 0; i < s.fleets_by.by_health.size(); ++i)
        out.push_back({"fleets_by_health", std::string(health_label(i)), s.fleets_by.by_health[i]});
    return out;
}

receiver_stats stats_of(metrics_snapshot const& s)
{
    auto const& r = s.requests;
    auto const& p = s.pipeline;
    receiver_stats x;
    x.accepted = kept(r);
    x.duplicate_requests = r[counter_id::duplicate_requests];
    x.rejected = r[counter_id::rejected];
    x.events = r[counter_id::events];
    x.duplicate_events = duplicate_events(s);
    x.late_events = p.late_events;
    x.transitions = p.transitions;
    x.merges = p.merges;
    x.impossible_transitions = p.impossible_transitions;
    x.released_early = p.released_early;
    x.dead_letters = r[counter_id::dead_letters];
    x.callback_errors = r[counter_id::callback_errors];
    x.callback_retries = s.callback_retries;
    x.inbox_depth = s.inbox_depth;
    x.held_events = p.held;
    x.callback_backlog = s.callback_backlog;
    x.fleets = p.fleets;
    x.connections_active = r[counter_id::connections_active];
    return x;
}

} // namespace catena::webhooks::detail
