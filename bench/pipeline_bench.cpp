// SPDX-License-Identifier: BSL-1.0
// bench/pipeline_bench.cpp - cost of processing kept deliveries: decode, dedup, reorder, lifecycle.
//
// Run: build/bench/bench_pipeline   (figures go to the README's Performance section)
// Each iteration pushes one kept delivery (a vehicle_location.added envelope of two records,
// ~1.3 KiB, spread over 100 fleets) through the pipeline and releases what is due, so the
// reorder buffer holds a steady window of events as it would in a running receiver.
#include "processing/pipeline.hpp"

#include "sim.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace json = boost::json;
using namespace std::chrono_literals;

struct null_sink : cw::detail::pipeline_sink
{
    std::size_t events = 0, transitions = 0;
    void on_event(cw::event&&) override { ++events; }
    void on_transition(cw::transition&&) override { ++transitions; }
    void on_merge(cw::fleet_merge&&) override {}
    void on_dead_letter(cw::dead_letter&&) override {}
    void on_problem(cw::error_code, std::string, cw::event const*) override {}
    void on_operation(cw::operation_result&&, cw::operation_handler&&) override {}
    void on_subscription(cw::subscription_event&&) override {}
};

json::object location(std::string const& id, int fleet, cw::timestamp t)
{
    auto const f = "fleet-" + std::to_string(fleet);
    return json::object{{"id", id},
                        {"fleet_id", f},
                        {"fleet_ref", "REF-" + std::to_string(fleet)},
                        {"source_name", "samsara"},
                        {"connection_id", "conn-" + std::to_string(fleet)},
                        {"source_id", "loc-" + id},
                        {"occurred_at", cw::format_rfc3339(t, cw::utc_suffix::z)},
                        {"created_at", cw::format_rfc3339(t, cw::utc_suffix::z)},
                        {"updated_at", cw::format_rfc3339(t, cw::utc_suffix::z)},
                        {"vehicle_id", "veh-1"},
                        {"location", json::object{{"type", "Point"}, {"coordinates", json::array{-97.7431, 30.2672}}}},
                        {"h3_index_11", 627710138564640767LL},
                        {"speed", 54},
                        {"odometer", 120345.5}};
}

void process_telematics_delivery(benchmark::State& state)
{
    // Pre-rendered deliveries, unique event ids, 100 fleets; one every 100 µs of scenario time.
    cw::timestamp const t0{std::chrono::seconds(1'764'000'000)};
    std::vector<cw::detail::inbox_entry> deliveries;
    std::mt19937_64 rng(1);
    std::size_t const n = 50'000;
    for(std::size_t i = 0; i < n; ++i)
    {
        auto const t = t0 + std::chrono::microseconds(100 * static_cast<long long>(i));
        cs::message m;
        m.webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";
        m.event_name = "vehicle_location.added";
        m.event_id = cs::uuid_v7(t, rng);
        int const fleet = static_cast<int>(i % 100);
        m.data.push_back(location(cs::random_uuid(rng), fleet, t));
        m.data.push_back(location(cs::random_uuid(rng), fleet, t + 1ms));
        cw::detail::inbox_entry e;
        e.body = cs::render_body(m, 1, t);
        e.webhook_id = m.webhook_id;
        e.event_type = m.event_name;
        e.request_id = cs::random_uuid(rng);
        deliveries.push_back(std::move(e));
    }
    null_sink sink;
    cw::detail::pipeline_options o;
    o.processing.reorder_window = 2000ms;
    auto p = std::make_unique<cw::detail::pipeline>(o, sink);
    std::size_t i = 0;
    std::uint64_t seq = 0;
    for(auto _ : state)
    {
        if(i == n)
        {
            // Start over with a fresh pipeline (the ids would all be duplicates now).
            state.PauseTiming();
            p = std::make_unique<cw::detail::pipeline>(o, sink);
            i = 0;
            state.ResumeTiming();
        }
        auto& e = deliveries[i];
        e.sequence = ++seq;
        auto const now = t0 + std::chrono::microseconds(100 * static_cast<long long>(i));
        e.received_at = now;
        p->push(e, now);
        p->release(now);
        ++i;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["records_per_delivery"] = 2;
    state.counters["bytes_per_delivery"] = static_cast<double>(deliveries[0].body.size());
    state.counters["held_at_end"] = static_cast<double>(p->stats().held);
}
BENCHMARK(process_telematics_delivery);

} // namespace

BENCHMARK_MAIN();
