// SPDX-License-Identifier: BSL-1.0
// bench/pipeline_bench.cpp - cost of processing kept deliveries: decode, dedup, reorder, lifecycle.
//
// Run: build/bench/bench_pipeline   (figures go to the README's Performance section)
// Each iteration pushes one kept delivery (a vehicle_location.added envelope of two records,
// ~1.3 KiB, spread over 100 fleets) through the pipeline and releases what is due, so the
// reorder buffer holds a steady window of events as it would in a running receiver.
//
// The realistic_* benchmarks take the deliveries of `catena-webhook-sim --profile realistic`
// (1-50 records, occurred_at lagging 0-120 s, 10 % null ids, 5 % retries): what a receiver
// cannot avoid doing with one (gunzip, HMAC, parsing its JSON), and the pipeline's processing
// of it. With the floor's CPU per request from `bench/run.sh profiles`, the first bounds the
// share of the floor's rate any receiver that verifies and reads its deliveries can reach.
#include "processing/pipeline.hpp"

#include "load.hpp"
#include "sim.hpp"

#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/verifier.hpp>

#include <boost/json/parser.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "count_allocations.hpp"

using bench::allocations;

namespace {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace json = boost::json;
using namespace std::chrono_literals;

struct null_sink : cw::detail::pipeline_sink
{
    std::size_t events = 0, transitions = 0, dead_letters = 0;
    void on_event(cw::event&&) override { ++events; }
    void on_transition(cw::transition&&) override { ++transitions; }
    void on_merge(cw::fleet_merge&&) override {}
    void on_dead_letter(cw::dead_letter&&) override { ++dead_letters; }
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

// The allocations of the steady state: from delivery `from` of each pass over the set (the
// reorder window full by then) to the end of the pass. A fresh pipeline, its first window
// and the timer's pauses are left out.
struct allocation_count
{
    std::size_t from;
    std::size_t counted = 0, deliveries = 0, mark = 0;
    bool in = false;

    // Before delivery `i` of the pass.
    void step(std::size_t i)
    {
        if(i == from)
        {
            mark = allocations.load(std::memory_order_relaxed);
            in = true;
        }
    }
    // After delivery `i - 1`, the last of the pass.
    void end_pass(std::size_t i)
    {
        if(!in)
            return;
        counted += allocations.load(std::memory_order_relaxed) - mark;
        deliveries += i - from;
        in = false;
    }
    void report(benchmark::State& state, std::size_t i, double records_per_delivery)
    {
        end_pass(i);
        auto const per_delivery = deliveries ? static_cast<double>(counted) / static_cast<double>(deliveries) : -1.0;
        state.counters["allocs_per_delivery"] = per_delivery;
        state.counters["allocs_per_event"] = deliveries ? per_delivery / records_per_delivery : -1.0;
    }
};

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
    allocation_count allocs{n / 2}; // the 2 s window holds 20 000 deliveries
    for(auto _ : state)
    {
        if(i == n)
        {
            // Start over with a fresh pipeline (the ids would all be duplicates now).
            allocs.end_pass(i);
            state.PauseTiming();
            p = std::make_unique<cw::detail::pipeline>(o, sink);
            i = 0;
            state.ResumeTiming();
        }
        allocs.step(i);
        auto& e = deliveries[i];
        e.sequence = ++seq;
        auto const now = t0 + std::chrono::microseconds(100 * static_cast<long long>(i));
        e.received_at = now;
        p->push(e, now);
        p->release(now);
        ++i;
    }
    allocs.report(state, i, 2);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["records_per_delivery"] = 2;
    state.counters["bytes_per_delivery"] = static_cast<double>(deliveries[0].body.size());
    state.counters["held_at_end"] = static_cast<double>(p->stats().held);
}
BENCHMARK(process_telematics_delivery);

// The reorder buffer alone, as the telematics benchmark drives it: two events per 100 µs of
// scenario time, occurred_at up to 50 ms behind, a 2 s window (about 40 000 held), keys with
// a UUID envelope id and record id as the pipeline makes them.
void reorder_buffer(benchmark::State& state)
{
    cw::timestamp const t0{std::chrono::seconds(1'764'000'000)};
    std::mt19937_64 rng(5);
    std::vector<std::string> ids;
    for(int i = 0; i < 4096; ++i)
        ids.push_back(cs::random_uuid(rng));
    std::vector<long long> lags;
    for(int i = 0; i < 4096; ++i)
        lags.push_back(static_cast<long long>(rng() % 50'000));
    cw::detail::reorderer<cw::event> r{2000ms, 100'000, 256u << 20};
    cw::detail::order_key key;
    std::size_t released = 0;
    auto sink = [&](cw::detail::order_key const&, cw::event&&) { ++released; };
    std::uint64_t i = 0;
    for(auto _ : state)
    {
        auto const now = t0 + std::chrono::microseconds(100 * static_cast<long long>(i));
        for(std::uint32_t record = 0; record < 2; ++record)
        {
            key.time = now - std::chrono::microseconds(lags[(2 * i + record) & 4095]);
            key.envelope_id.assign(ids[i & 4095]);
            key.record_index = record;
            key.record_id.assign(ids[(i + 7 * record + 1) & 4095]);
            key.sequence = i;
            r.push(key, cw::event{}, 1200, now);
        }
        r.release(now, sink);
        ++i;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["held_at_end"] = static_cast<double>(r.size());
    benchmark::DoNotOptimize(released);
}
BENCHMARK(reorder_buffer);

// Realistic deliveries as they arrive: gzip bodies signed with the envelope's timestamp.
struct realistic_set
{
    struct item
    {
        std::string gz, body, signature, timestamp, event_name, request_id, attempt;
        std::size_t records = 0;
    };
    std::vector<item> items;
    double records_per_delivery = 0;
    double bytes_per_delivery = 0;

    static constexpr std::string_view secret = "bench-secret-0123456789";
    static constexpr std::string_view webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";

    static realistic_set const& get()
    {
        static realistic_set const set = [] {
            realistic_set r;
            cs::load_stream stream(cs::load_profile::realistic, std::string(webhook_id), 7);
            std::mt19937_64 rng(3);
            cw::signer s;
            std::size_t records = 0, bytes = 0;
            for(std::size_t i = 0; i < 20'000; ++i)
            {
                auto const d = stream.next(i);
                auto const now = cw::system_now();
                item it;
                it.body = cs::render_body(d.m, d.attempt, now);
                it.gz = cw::gzip_compress(it.body);
                it.timestamp = cw::format_rfc3339(now);
                it.signature = s.sign(secret, it.timestamp, it.body);
                it.event_name = d.m.event_name;
                it.request_id = cs::random_uuid(rng);
                it.attempt = std::to_string(d.attempt);
                it.records = d.m.data.size();
                records += it.records;
                bytes += it.body.size();
                r.items.push_back(std::move(it));
            }
            r.records_per_delivery = static_cast<double>(records) / static_cast<double>(r.items.size());
            r.bytes_per_delivery = static_cast<double>(bytes) / static_cast<double>(r.items.size());
            return r;
        }();
        return set;
    }
};

// The least a receiver does with a realistic delivery before it can act on its records:
// gunzip and HMAC (the verifier), then parse the JSON.
void realistic_unavoidable(benchmark::State& state)
{
    auto const& set = realistic_set::get();
    cw::secret_ring ring;
    ring.add(std::string(realistic_set::webhook_id), std::string(realistic_set::secret));
    cw::verifier v;
    std::string buffer;
    json::parser parser;
    std::size_t i = 0;
    for(auto _ : state)
    {
        auto const& it = set.items[i++ % set.items.size()];
        cw::delivery_headers const h{it.signature, it.timestamp,  realistic_set::webhook_id, "gzip",
                                     it.event_name, it.request_id, it.attempt};
        auto r = v.verify(h, it.gz, ring, cw::system_now(), buffer);
        if(!r)
        {
            state.SkipWithError("verification failed");
            break;
        }
        parser.reset();
        boost::system::error_code ec;
        parser.write(r->body, ec);
        if(ec)
        {
            state.SkipWithError("parse failed");
            break;
        }
        benchmark::DoNotOptimize(parser.release());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["records_per_delivery"] = set.records_per_delivery;
    state.counters["bytes_per_delivery"] = set.bytes_per_delivery;
}
BENCHMARK(realistic_unavoidable);

// The pipeline's processing of the same deliveries (decode, dedup, reorder, fleet model),
// as the processor hands them over (the JSON intake kept), into a sink that only counts.
void realistic_processing(benchmark::State& state)
{
    auto const& set = realistic_set::get();
    null_sink sink;
    cw::detail::pipeline_options o;
    o.processing.reorder_window = 200ms;
    auto p = std::make_unique<cw::detail::pipeline>(o, sink);
    std::vector<cw::detail::inbox_entry> entries;
    for(auto const& it : set.items)
    {
        cw::detail::inbox_entry e;
        e.body = it.body; // its JSON: intake keeps it for a gzip body under 64 KiB (all of these)
        e.webhook_id = std::string(realistic_set::webhook_id);
        e.event_type = it.event_name;
        e.request_id = it.request_id;
        entries.push_back(std::move(e));
    }
    std::size_t i = 0;
    std::uint64_t seq = 0;
    allocation_count allocs{entries.size() / 2}; // the 200 ms window: a few thousand deliveries
    for(auto _ : state)
    {
        if(i == entries.size())
        {
            allocs.end_pass(i);
            state.PauseTiming(); // the ids would all be duplicates now
            p = std::make_unique<cw::detail::pipeline>(o, sink);
            i = 0;
            state.ResumeTiming();
        }
        allocs.step(i);
        auto& e = entries[i++];
        e.sequence = ++seq;
        auto const now = cw::system_now();
        e.received_at = now;
        p->push(e, now);
        p->release(now);
    }
    allocs.report(state, i, set.records_per_delivery);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["records_per_delivery"] = set.records_per_delivery;
    state.counters["events"] = static_cast<double>(sink.events);
    if(sink.dead_letters)
        state.SkipWithError("deliveries were dead-lettered");
}
BENCHMARK(realistic_processing);

} // namespace

BENCHMARK_MAIN();
