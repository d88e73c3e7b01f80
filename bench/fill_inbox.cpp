// SPDX-License-Identifier: BSL-1.0
// bench/fill_inbox.cpp - writes N kept-but-unprocessed deliveries into a SQLite store, as a
// receiver would have left them had it stopped before processing them: the starting point of
// the recovery benchmark (bench/run.sh recovery).
//
// Usage: bench_fill_inbox DB_FILE N
#include "store/memory.hpp"
#include "store/sqlite_store.hpp"
#include "sim.hpp"

#include <catena/webhooks/gzip.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;

int main(int argc, char** argv)
{
    if(argc != 3)
    {
        std::fprintf(stderr, "usage: bench_fill_inbox DB_FILE N\n");
        return 2;
    }
    std::size_t const n = std::strtoull(argv[2], nullptr, 10);
    cw::detail::sqlite_options so;
    so.path = argv[1];
    cw::detail::store_limits limits;
    limits.max_backlog_entries = n + 1;
    limits.max_backlog_bytes = std::size_t(1) << 40;
    cw::error_code ec;
    std::string why;
    auto store = cw::detail::make_sqlite_store(so, limits, ec, why);
    if(ec)
    {
        std::fprintf(stderr, "bench_fill_inbox: %s\n", why.c_str());
        return 1;
    }
    cw::detail::recovered_state r;
    if(store->recover(r, cw::system_now()))
        return 1;

    std::mt19937_64 rng(42);
    std::mutex m;
    std::condition_variable cv;
    std::size_t in_flight = 0, failed = 0;
    std::string const webhook_id = "5f0c1e2a-0000-4000-8000-00000000a001";
    for(std::size_t i = 0; i < n; ++i)
    {
        auto const msg = cs::load_message(rng, webhook_id, i);
        auto const now = cw::system_now();
        cw::detail::inbox_entry e;
        e.body = cw::gzip_compress(cs::render_body(msg, 1, now)); // as a gzip delivery is kept
        e.compressed = true;
        e.webhook_id = webhook_id;
        e.request_id = cs::random_uuid(rng);
        e.event_type = msg.event_name;
        e.sent_at = now;
        e.received_at = now;
        {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return in_flight < 4096; });
            ++in_flight;
        }
        store->append(std::move(e), now, [&](cw::detail::append_status st, std::uint64_t, cw::error_code) {
            std::lock_guard lock(m);
            --in_flight;
            failed += st != cw::detail::append_status::kept;
            cv.notify_all();
        });
    }
    store->sync();
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return in_flight == 0; });
    std::fprintf(stderr, "kept %zu deliveries (%zu refused)\n", n - failed, failed);
    return failed ? 1 : 0;
}
