// SPDX-License-Identifier: BSL-1.0
// test/unit/metrics.cpp - every series from one snapshot, and receiver_stats from the same numbers.
#include "receiver/metrics.hpp"

#include <catena/webhooks/version.hpp>

#include <boost/test/unit_test.hpp>

#include <map>

#include <set>
#include <sstream>
#include <string>

namespace unit_metrics { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using id = detail::counters::id;

detail::metrics_snapshot sample()
{
    detail::counters c;
    c.count_response(202, {});
    c.count_response(202, {});
    c.count_response(401, error::signature_mismatch);
    c.add(id::duplicate_requests);
    c.add(id::events, 5);
    c.add(id::connections_active, 3);
    c.observe_ack_latency(std::chrono::microseconds(300));
    c.observe_slice(std::chrono::microseconds(700));
    c.observe_slice(std::chrono::milliseconds(3));
    detail::metrics_snapshot s;
    s.requests = c.load();
    s.pipeline.transitions = 7;
    s.pipeline.fleets = 2;
    s.store.transactions = 4;
    s.inbox_depth = 9;
    s.callback_backlog = 1;
    sink_status k;
    k.name = "nats://127.0.0.1:4222/a\"b";
    k.sent = 3;
    k.acknowledged = 2;
    k.pending = 1;
    k.lag_seconds = 0.25;
    k.connected = true;
    s.sinks.push_back(k);
    s.pipeline.operations_polled = 3;
    s.pipeline.operations_duplicate = 1;
    detail::poll_stats polls;
    polls.found = 3;
    polls.still_pending = 2;
    polls.failures = 4;
    polls.deferred = 6;
    polls.watched = 5;
    s.polls = polls;
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(every_series_has_help_and_type_and_its_value)
{
    auto const text = detail::render_metrics(sample());
    BOOST_TEST(text.find("catena_webhooks_requests_total{status=\"202\"} 2\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_rejections_total{reason=\"signature_mismatch\"} 1\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_events_total 5\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_transitions_total 7\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_inbox_depth 9\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_store_transactions_total 4\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_ack_latency_seconds_bucket{le=\"0.0005\"} 1\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_ack_latency_seconds_count 1\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_processing_slice_seconds_bucket{le=\"0.001\"} 1\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_processing_slice_seconds_bucket{le=\"0.005\"} 2\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_processing_slice_seconds_count 2\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_processing_slice_max_seconds 0.003000000\n") != std::string::npos);
    // Each sink's series, labelled with its name (escaped).
    BOOST_TEST(text.find("catena_webhooks_sink_acknowledged_total{sink=\"nats://127.0.0.1:4222/a\\\"b\"} 2\n") !=
               std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_sink_pending{sink=\"nats://127.0.0.1:4222/a\\\"b\"} 1\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_sink_lag_seconds{sink=\"nats://127.0.0.1:4222/a\\\"b\"} 0.25\n") !=
               std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_sink_connected{sink=\"nats://127.0.0.1:4222/a\\\"b\"} 1\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_operations_polled_total 3\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_operation_duplicates_total 1\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_operation_polls_total{outcome=\"found\"} 3\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_operation_polls_total{outcome=\"pending\"} 2\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_operation_polls_total{outcome=\"failed\"} 4\n") != std::string::npos);
    BOOST_TEST(text.find("catena_webhooks_operation_polls_deferred_total 6\n") != std::string::npos);
    BOOST_TEST(text.find("# TYPE catena_webhooks_operations_watched gauge\n") != std::string::npos);
    // Each series name comes with one HELP and one TYPE line, before its samples.
    std::istringstream in(text);
    std::set<std::string> helped, typed;
    for(std::string line; std::getline(in, line);)
    {
        if(line.starts_with("# HELP "))
            BOOST_TEST(helped.insert(line.substr(7, line.find(' ', 7) - 7)).second, line);
        else if(line.starts_with("# TYPE "))
            BOOST_TEST(typed.insert(line.substr(7, line.find(' ', 7) - 7)).second, line);
        else
        {
            auto name = line.substr(0, line.find_first_of("{ "));
            for(auto suffix : {"_bucket", "_sum", "_count"})
                if(name.ends_with(suffix) && !helped.count(name))
                    name.resize(name.size() - std::string_view(suffix).size());
            BOOST_TEST(helped.count(name) == 1u, line);
            BOOST_TEST(typed.count(name) == 1u, line);
        }
    }
    BOOST_TEST(helped == typed);
}

BOOST_AUTO_TEST_CASE(build_info_names_the_version_and_the_commit)
{
    auto const text = detail::render_metrics(sample());
    BOOST_TEST(text.find("# HELP catena_webhooks_build_info ") != std::string::npos);
    BOOST_TEST(text.find("# TYPE catena_webhooks_build_info gauge\n") != std::string::npos);
    std::string const line = "\ncatena_webhooks_build_info{version=\"" + std::string(version()) + "\",commit=\"" +
                             build_commit() + "\"} 1\n";
    BOOST_TEST(text.find(line) != std::string::npos, line);
}

// Every number of /v1/summary is the metric of its name (catena_webhooks_NAME[_total]; a
// labelled family by its label, or summed over it), in a snapshot where they all differ.
BOOST_AUTO_TEST_CASE(every_summary_number_is_the_metric_of_its_name)
{
    detail::counters c;
    for(int i = 0; i < 40; ++i)
        c.count_response(202, {});
    for(int i = 0; i < 3; ++i)
        c.count_response(401, error::signature_mismatch);
    c.count_response(503, error::body_too_large);
    c.add(id::duplicate_requests, 4);
    c.add(id::envelope_duplicates, 5);
    c.add(id::deferred_deliveries, 6);
    c.add(id::events, 17);
    c.add(id::dead_letters, 18);
    c.add(id::callback_errors, 19);
    c.add(id::connections_active, 20);
    detail::metrics_snapshot s;
    s.requests = c.load();
    s.pipeline.duplicate_events = 21;
    s.pipeline.late_events = 22;
    s.pipeline.transitions = 23;
    s.pipeline.held = 24;
    s.pipeline.fleets = 25;
    s.inbox_depth = 26;
    s.callback_backlog = 27;
    s.fleets_by.by_stage[static_cast<std::size_t>(stage::connected)] = 28;
    s.fleets_by.by_stage[static_cast<std::size_t>(stage::none)] = 29;
    s.fleets_by.by_health[static_cast<std::size_t>(health::stale)] = 30;
    auto const text = detail::render_metrics(s);
    // name{labels} -> value, and the sum of each family.
    std::map<std::string, double> series, family;
    std::istringstream in(text);
    for(std::string line; std::getline(in, line);)
        if(!line.starts_with("#"))
        {
            auto const value = std::stod(line.substr(line.rfind(' ') + 1));
            series[line.substr(0, line.rfind(' '))] = value;
            family[line.substr(0, line.find_first_of("{ "))] += value;
        }
    auto const numbers = detail::summary_of(s);
    std::set<std::string> names;
    for(auto const& n : numbers)
    {
        std::string const name = "catena_webhooks_" + std::string(n.name);
        BOOST_TEST_CONTEXT(name << " " << n.label)
        {
            names.insert(std::string(n.name));
            if(!n.label.empty())
            {
                auto const label = n.name == "fleets_by_stage" ? "stage" : "health";
                BOOST_TEST(series.at(name + "{" + label + "=\"" + n.label + "\"}") == static_cast<double>(n.value));
                continue;
            }
            auto const it = family.count(name + "_total") ? family.find(name + "_total") : family.find(name);
            BOOST_TEST_REQUIRE((it != family.end()), "no metric " << name << " or " << name << "_total");
            BOOST_TEST(it->second == static_cast<double>(n.value));
        }
    }
    // The summary shows these, under these names (docs/openapi.json requires each).
    for(auto const* expected : {"accepted", "duplicate_requests", "envelope_duplicates", "deferred_deliveries",
                                "rejections", "inbox_depth", "connections_active", "events", "duplicate_events",
                                "late_events", "transitions", "reorder_held_events", "dead_letters", "callback_errors",
                                "callback_backlog", "fleets", "fleets_by_stage", "fleets_by_health"})
        BOOST_TEST(names.count(expected) == 1u, expected);
    // Kept deliveries, not every 202; and duplicate events caught at intake among the rest.
    BOOST_TEST(series.at("catena_webhooks_accepted_total") == 40.0 - 4 - 5);
    BOOST_TEST(series.at("catena_webhooks_duplicate_events_total") == 21.0 + 5);
}

BOOST_AUTO_TEST_CASE(stats_come_from_the_same_numbers)
{
    auto const s = detail::stats_of(sample());
    BOOST_TEST(s.accepted == 1u); // two 202s, one of them a replayed request
    BOOST_TEST(s.duplicate_requests == 1u);
    BOOST_TEST(s.rejected == 1u);
    BOOST_TEST(s.events == 5u);
    BOOST_TEST(s.transitions == 7u);
    BOOST_TEST(s.fleets == 2u);
    BOOST_TEST(s.inbox_depth == 9u);
    BOOST_TEST(s.callback_backlog == 1u);
    BOOST_TEST(s.connections_active == 3u);
    // The metrics of the same names agree.
    auto const text = detail::render_metrics(sample());
    BOOST_TEST(text.find("\ncatena_webhooks_accepted_total 1\n") != std::string::npos);
    BOOST_TEST(text.find("\ncatena_webhooks_duplicate_requests_total 1\n") != std::string::npos);
}

// A subscription's id is the X-Webhook-ID a sender chose: as a label value its backslash,
// quote and newline are escaped, so that no id breaks the text format or adds a series.
BOOST_AUTO_TEST_CASE(a_webhook_id_is_escaped_as_a_label_value)
{
    auto s = sample();
    subscription_seen x;
    x.webhook_id = "a\"b\\c\nd} 1\nfake_series 2";
    x.deliveries = 3;
    x.last_delivery_at = timestamp{std::chrono::seconds(1'764'000'000)};
    s.subscriptions.push_back(x);
    auto const text = detail::render_metrics(s);
    auto const label = R"(webhook_id="a\"b\\c\nd} 1\nfake_series 2")";
    BOOST_TEST(text.find(std::string("catena_webhooks_subscription_deliveries_total{") + label + "} 3\n") !=
               std::string::npos);
    BOOST_TEST(text.find(std::string("catena_webhooks_subscription_last_delivery_timestamp_seconds{") + label +
                         "} 1764000000\n") != std::string::npos);
    BOOST_TEST(text.find("\nfake_series") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END() // metrics

} // namespace unit_metrics
