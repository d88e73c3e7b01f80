// SPDX-License-Identifier: BSL-1.0
// bench/inflate_bench.cpp - gzip inflate + CRC-32 of delivery bodies: zlib, libdeflate and ISA-L side by side.
//
// Run: taskset -c 0 build/bench/bench_inflate --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// (docs/performance.md, "Inflating gzip bodies", has the figures and the choice they led to.)
//
// Each backend decodes the same member under the receiver's limits (inflate_limits defaults):
// - `library`: catena::webhooks::inflater, whatever backend the library is built with.
// - `zlib`: inflate() with a gzip wrapper, the output grown up to max_inflated_bytes + 1 and the
//   size and ratio checked after every call, as lib/verify/gzip.cpp did with zlib.
// - `libdeflate`: libdeflate_gzip_decompress, one call. It cannot stop half way, so the limits
//   become the size of the buffer it may fill: min(max_inflated_bytes, max(ratio_floor_bytes,
//   compressed size x max_ratio)) + 1. Bounded memory and work, but the ratio is judged over the
//   whole member, not as it inflates (a member whose first half is a bomb passes if its tail
//   brings the average down).
// - `isal`: isal_inflate with ISAL_GZIP (header, CRC-32 and ISIZE checked by ISA-L), streaming
//   like zlib, the limits checked after every call.
// `_each` variants hand the output over in 64 KiB windows, as the verifier's MAC pass does.
#include <catena/webhooks/gzip.hpp>

#include <benchmark/benchmark.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

namespace {

namespace cw = catena::webhooks;

// vehicle_location.added records as the simulator renders them, each with its own ids,
// times and coordinates, until the envelope reaches `target` bytes.
std::string body_of_about(std::size_t target)
{
    std::mt19937_64 rng(target);
    auto hex = [&](int n) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s;
        for(int i = 0; i < n; ++i)
            s += digits[rng() % 16];
        return s;
    };
    auto uuid = [&] { return hex(8) + "-" + hex(4) + "-7" + hex(3) + "-8" + hex(3) + "-" + hex(12); };
    std::string const fleet = uuid();
    std::string const tsp = uuid();
    std::string const connection = uuid();
    std::string body = R"({"version":"1.0","event_name":"vehicle_location.added","webhook_id":"247b2dea-a030-48b7-9a05-ee33c1b6ab0a",)"
                       R"("timestamp":"2025-12-11T14:21:31+00:00","id":")" +
                       uuid() + R"(","delivery_attempt":1,"data":[)";
    for(int i = 0; body.size() < target; ++i)
    {
        char when[32];
        std::snprintf(when, sizeof when, "2025-12-11T14:%02d:%02dZ", (i / 60) % 60, i % 60);
        char where[64];
        std::snprintf(where, sizeof where, "[%.4f,%.4f]", -97.7431 + (rng() % 10000) / 1e5, 30.2672 + (rng() % 10000) / 1e5);
        if(i > 0)
            body += ',';
        body += R"({"id":")" + uuid() + R"(","fleet_id":")" + fleet + R"(","fleet_ref":"FLEET-42","tsp_id":")" + tsp +
                R"(","tsp_slug":"samsara","source_name":"samsara","connection_id":")" + connection +
                R"(","source_id":")" + hex(6) + R"(","created_at":")" + when + R"(","updated_at":")" + when +
                R"(","occurred_at":")" + when + R"(","vehicle_id":")" + uuid() +
                R"(","location":{"type":"Point","coordinates":)" + where + R"(},"h3_index_11":)" +
                std::to_string(627710138564640767ull + rng() % 100000) + R"(,"speed":)" + std::to_string(rng() % 120) + "}";
    }
    return body + "]}";
}

constexpr std::size_t window_bytes = 64u << 10;
cw::inflate_limits const limits{};

bool over_limits(std::size_t produced, std::size_t consumed)
{
    return produced > limits.max_inflated_bytes ||
           (produced > limits.ratio_floor_bytes && produced / std::max<std::size_t>(consumed, 1) > limits.max_ratio);
}

//------------------------------------------------------------------------------
// zlib, as lib/verify/gzip.cpp used it.

struct zlib_backend
{
    z_stream zs{};
    zlib_backend() { inflateInit2(&zs, 16 + MAX_WBITS); }
    ~zlib_backend() { inflateEnd(&zs); }

    bool inflate(std::string_view in, std::string& out)
    {
        inflateReset(&zs);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs.avail_in = static_cast<uInt>(in.size());
        std::size_t cap = std::min(std::max({out.capacity(), in.size() * 4, std::size_t{4096}}), limits.max_inflated_bytes + 1);
        out.resize(cap);
        std::size_t produced = 0;
        for(;;)
        {
            if(produced == out.size())
                out.resize(std::min(out.size() * 2, limits.max_inflated_bytes + 1));
            std::size_t const room = out.size() - produced;
            zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
            zs.avail_out = static_cast<uInt>(room);
            int const rc = ::inflate(&zs, Z_NO_FLUSH);
            produced += room - zs.avail_out;
            if(over_limits(produced, in.size() - zs.avail_in))
                return false;
            if(rc == Z_STREAM_END)
            {
                out.resize(produced);
                return zs.avail_in == 0;
            }
            if(rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_in != 0))
                return false;
        }
    }
};

//------------------------------------------------------------------------------
// libdeflate: one call into a buffer the limits bound.

struct libdeflate_backend
{
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~libdeflate_backend() { libdeflate_free_decompressor(d); }

    bool inflate(std::string_view in, std::string& out)
    {
        std::size_t const bound =
            std::min(limits.max_inflated_bytes, std::max(limits.ratio_floor_bytes, in.size() * limits.max_ratio)) + 1;
        // ISIZE (the last four bytes) says how much to make room for; it is the sender's word,
        // so it only sizes the first try, never past the bound.
        std::size_t isize = 0;
        if(in.size() >= 4)
            for(int i = 3; i >= 0; --i)
                isize = isize << 8 | static_cast<unsigned char>(in[in.size() - 4 + static_cast<std::size_t>(i)]);
        out.resize(std::min(std::max(isize, out.capacity()), bound));
        for(;;)
        {
            std::size_t in_used = 0, produced = 0;
            auto const rc = libdeflate_gzip_decompress_ex(d, in.data(), in.size(), out.data(), out.size(), &in_used, &produced);
            if(rc == LIBDEFLATE_INSUFFICIENT_SPACE && out.size() < bound)
            {
                out.resize(std::min(out.size() * 2, bound));
                continue;
            }
            if(rc != LIBDEFLATE_SUCCESS || in_used != in.size() || over_limits(produced, in.size()))
                return false;
            out.resize(produced);
            return true;
        }
    }
};

//------------------------------------------------------------------------------
// ISA-L: streaming, the gzip wrapper checked by isal_inflate.

struct isal_backend
{
    std::unique_ptr<inflate_state> st = std::make_unique<inflate_state>();
    std::unique_ptr<char[]> window = std::make_unique<char[]>(window_bytes);

    void start(std::string_view in)
    {
        isal_inflate_init(st.get());
        st->crc_flag = ISAL_GZIP;
        st->next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
        st->avail_in = static_cast<std::uint32_t>(in.size());
    }

    bool inflate(std::string_view in, std::string& out)
    {
        start(in);
        std::size_t cap = std::min(std::max({out.capacity(), in.size() * 4, std::size_t{4096}}), limits.max_inflated_bytes + 1);
        out.resize(cap);
        std::size_t produced = 0;
        for(;;)
        {
            if(produced == out.size())
                out.resize(std::min(out.size() * 2, limits.max_inflated_bytes + 1));
            std::size_t const room = out.size() - produced;
            st->next_out = reinterpret_cast<std::uint8_t*>(out.data() + produced);
            st->avail_out = static_cast<std::uint32_t>(room);
            int const rc = isal_inflate(st.get());
            produced += room - st->avail_out;
            if(rc < 0 || over_limits(produced, in.size() - st->avail_in))
                return false;
            if(st->block_state == ISAL_BLOCK_FINISH)
            {
                out.resize(produced);
                return st->avail_in == 0;
            }
            if(st->avail_in == 0 && st->avail_out != 0)
                return false; // truncated
        }
    }

    template<class Sink>
    bool inflate_each(std::string_view in, Sink const& sink)
    {
        start(in);
        std::size_t produced = 0;
        for(;;)
        {
            st->next_out = reinterpret_cast<std::uint8_t*>(window.get());
            st->avail_out = static_cast<std::uint32_t>(window_bytes);
            int const rc = isal_inflate(st.get());
            std::size_t const n = window_bytes - st->avail_out;
            produced += n;
            if(rc < 0 || over_limits(produced, in.size() - st->avail_in))
                return false;
            if(n > 0)
                sink(std::string_view(window.get(), n));
            if(st->block_state == ISAL_BLOCK_FINISH)
                return st->avail_in == 0;
            if(st->avail_in == 0 && st->avail_out != 0)
                return false;
        }
    }
};

//------------------------------------------------------------------------------

struct corpus
{
    std::string body, gz;
    explicit corpus(std::size_t n) : body(body_of_about(n)), gz(cw::gzip_compress(body, 6)) {}
};

corpus const& sized(std::int64_t n)
{
    static corpus const small(1200), medium(12 * 1024), large(120 * 1024);
    return n <= 1200 ? small : n <= 12 * 1024 ? medium : large;
}

void label(benchmark::State& state, corpus const& c)
{
    state.counters["uncompressed_bytes"] = static_cast<double>(c.body.size());
    state.counters["gzip_bytes"] = static_cast<double>(c.gz.size());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.body.size()));
    state.SetItemsProcessed(state.iterations());
}

template<class Backend>
void whole(benchmark::State& state)
{
    auto const& c = sized(state.range(0));
    Backend b;
    std::string out;
    if(!b.inflate(c.gz, out) || out != c.body)
        state.SkipWithError("does not decode to the body");
    for(auto _ : state)
    {
        bool const ok = b.inflate(c.gz, out);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(out.data());
    }
    label(state, c);
}

struct library_backend
{
    cw::inflater inf;
    bool inflate(std::string_view in, std::string& out) { return !inf.inflate(in, out); }
};

void library_each(benchmark::State& state)
{
    auto const& c = sized(state.range(0));
    cw::inflater inf;
    std::size_t total = 0;
    cw::inflater::sink const sink = [&](std::string_view p) { total += p.size(); };
    for(auto _ : state)
    {
        bool const ok = !inf.inflate_each(c.gz, sink);
        benchmark::DoNotOptimize(ok);
    }
    benchmark::DoNotOptimize(total);
    label(state, c);
}

void isal_each(benchmark::State& state)
{
    auto const& c = sized(state.range(0));
    isal_backend b;
    std::size_t total = 0;
    auto const sink = [&](std::string_view p) { total += p.size(); };
    for(auto _ : state)
    {
        bool const ok = b.inflate_each(c.gz, sink);
        benchmark::DoNotOptimize(ok);
    }
    benchmark::DoNotOptimize(total);
    label(state, c);
}

void sizes(benchmark::internal::Benchmark* b)
{
    b->Arg(1200)->Arg(12 * 1024)->Arg(120 * 1024);
}

BENCHMARK(whole<library_backend>)->Name("inflate/library")->Apply(sizes);
BENCHMARK(whole<zlib_backend>)->Name("inflate/zlib")->Apply(sizes);
BENCHMARK(whole<libdeflate_backend>)->Name("inflate/libdeflate")->Apply(sizes);
BENCHMARK(whole<isal_backend>)->Name("inflate/isal")->Apply(sizes);
BENCHMARK(library_each)->Name("inflate_each/library")->Apply(sizes);
BENCHMARK(isal_each)->Name("inflate_each/isal")->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
