// SPDX-License-Identifier: BSL-1.0
// test/unit/metrics.cpp - every series from one snapshot, and receiver_stats from the same numbers.
#include "metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <string>

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
