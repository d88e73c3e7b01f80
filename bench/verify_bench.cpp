// SPDX-License-Identifier: BSL-1.0
// bench/verify_bench.cpp - cost of verifying one typical delivery: gunzip + HMAC + envelope parse.
//
// Run: build/bench/bench_verify   (figures go to the README's Performance section)
#include <catena/webhooks/envelope.hpp>
#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/verifier.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "count_allocations.hpp"

using bench::allocations;

namespace {

namespace cw = catena::webhooks;

constexpr std::string_view secret = "your-webhook-secret-min-12-chars";
constexpr std::string_view webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";

// A vehicle_location.added delivery of two records: about 1 KiB uncompressed.
std::string typical_body()
{
    std::string rec = R"({"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","fleet_id":"98765432-10fe-dcba-9876-543210fedcba",)"
                      R"("fleet_ref":"FLEET-42","tsp_id":"5b6c7d8e-9f00-4112-8334-556677889900","tsp_slug":"samsara",)"
                      R"("source_name":"samsara","connection_id":"c0ffee00-1234-4567-89ab-cdef01234567","source_id":"abc123",)"
                      R"("created_at":"2025-12-11T14:21:31Z","updated_at":"2025-12-11T14:21:31Z","occurred_at":"2025-12-11T14:21:30Z",)"
                      R"("vehicle_id":"0193a1b2-0000-7000-8000-00000000beef","location":{"type":"Point","coordinates":[-97.7431,30.2672]},)"
                      R"("h3_index_11":627710138564640767,"speed":54})";
    return R"({"version":"1.0","event_name":"vehicle_location.added","webhook_id":"247b2dea-a030-48b7-9a05-ee33c1b6ab0a",)"
           R"("timestamp":"2025-12-11T14:21:31+00:00","id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","delivery_attempt":1,"data":[)" +
           rec + "," + rec + "]}";
}

void verify_typical_gzip_delivery(benchmark::State& state)
{
    std::string const body = typical_body();
    std::string const gz = cw::gzip_compress(body);
    std::string const ts = "2025-12-11T14:21:31+00:00";
    cw::signer s;
    std::string const sig = s.sign(secret, ts, body);
    cw::secret_ring ring;
    ring.add(webhook_id, secret);
    cw::timestamp const now = *cw::parse_rfc3339(ts);

    cw::verifier v;
    cw::envelope env;
    std::string buffer;
    cw::delivery_headers h{sig, ts, webhook_id, "gzip", "vehicle_location.added", "req-1", "1"};

    std::size_t const before = allocations.load();
    for(auto _ : state)
    {
        auto r = v.verify(h, gz, ring, now, buffer);
        if(!r || env.parse(r->body) || env.check_headers(h.event_type, h.webhook_id))
        {
            state.SkipWithError("verification failed");
            break;
        }
        benchmark::DoNotOptimize(env.records().data());
    }
    std::size_t const allocs = allocations.load() - before;
    state.counters["uncompressed_bytes"] = static_cast<double>(body.size());
    state.counters["gzip_bytes"] = static_cast<double>(gz.size());
    state.counters["allocs_per_delivery"] =
        benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(verify_typical_gzip_delivery);

// The parts, to see where the time goes.
void part_gunzip(benchmark::State& state)
{
    std::string const gz = cw::gzip_compress(typical_body());
    cw::inflater inf;
    std::string out;
    for(auto _ : state)
    {
        if(inf.inflate(gz, out))
            state.SkipWithError("inflate failed");
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(part_gunzip);

void part_hmac(benchmark::State& state)
{
    std::string const body = typical_body();
    cw::signer s;
    for(auto _ : state)
        benchmark::DoNotOptimize(s.compute(secret, "2025-12-11T14:21:31+00:00", body));
}
BENCHMARK(part_hmac);

void part_envelope_parse(benchmark::State& state)
{
    std::string const body = typical_body();
    cw::envelope env;
    for(auto _ : state)
    {
        if(env.parse(body))
            state.SkipWithError("parse failed");
        benchmark::DoNotOptimize(env.records().data());
    }
}
BENCHMARK(part_envelope_parse);

} // namespace

BENCHMARK_MAIN();
