// SPDX-License-Identifier: BSL-1.0
// test/unit/sqlite_store.cpp - the SQLite store beyond the store contract: pruning, the WAL, what reopening gives back
// (how appends are committed: group_commit.cpp).
#include "store/sqlite_store.hpp"

#include <catena/webhooks/gzip.hpp>

#include "store_support.hpp"
#include "tls_material.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

namespace unit_sqlite_store { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace tst = catena::webhooks::test;
using detail::append_status;

using tst::append;
using tst::entry;
using tst::open_recovered;
using tst::open_sqlite;
using tst::t0;
using tst::wal_rewinds;

// The first column of the first row of sql, read from the database file at path by a plain
// connection of its own (the store closed or not).
std::int64_t query_int(std::string const& path, char const* sql)
{
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    sqlite3_step(st);
    auto const n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sqlite_store)

BOOST_AUTO_TEST_CASE(sqlite_prunes_processed_deliveries_and_identities_by_age)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    o.processed_retention = std::chrono::minutes(90);
    o.identity_retention = std::chrono::minutes(90);
    o.prune_interval = std::chrono::seconds(0);
    error_code ec;
    std::string why;
    auto s = detail::make_sqlite_store(o, {}, ec, why);
    BOOST_REQUIRE_MESSAGE(s, why);
    detail::recovered_state r;
    auto const now = system_now();
    BOOST_REQUIRE(!s->recover(r, now));
    std::vector<std::uint64_t> seqs;
    for(auto age : {std::chrono::hours(3), std::chrono::hours(2), std::chrono::hours(1), std::chrono::hours(0)})
    {
        auto e = entry("r" + std::to_string(age.count()));
        e.received_at = now - age;
        seqs.push_back(append(*s, std::move(e)).second);
    }
    s->take(10);
    detail::progress p;
    p.processed = {seqs[0], seqs[1], seqs[2]}; // the newest stays unprocessed
    auto ms = [](timestamp t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    };
    for(auto age : {std::chrono::hours(3), std::chrono::hours(2), std::chrono::hours(1)})
        p.identities.emplace_back(detail::identity_key{detail::digest_of(std::to_string(age.count())), ms(now - age)},
                                  now - age);
    // Old by its own time but seen within the retention: kept. Seen long ago, but stamped
    // years ahead: pruned. Without a time, seen long ago: pruned.
    p.identities.emplace_back(detail::identity_key{detail::digest_of("old, seen now"), ms(now - 72h)}, now);
    p.identities.emplace_back(detail::identity_key{detail::digest_of("ahead"), ms(now + 24h * 365)}, now - 3h);
    p.identities.emplace_back(detail::identity_key{detail::digest_of("no time"), 0}, now - 3h);
    s->commit(std::move(p));
    s->sync();
    detail::progress prune;
    prune.identities.emplace_back(detail::identity_key{detail::digest_of("now"), ms(now)}, now);
    s->commit(std::move(prune)); // a commit that prunes
    s->sync();
    BOOST_TEST(!s->recall({detail::digest_of("3"), ms(now - 3h)}));
    BOOST_TEST(s->recall({detail::digest_of("1"), ms(now - 1h)}));
    BOOST_TEST(s->recall({detail::digest_of("old, seen now"), ms(now - 72h)}));
    BOOST_TEST(!s->recall({detail::digest_of("ahead"), ms(now + 24h * 365)}));
    BOOST_TEST(!s->recall({detail::digest_of("no time"), 0}));
    s.reset();

    // Processed and older than 90 minutes: gone. Younger, or not processed: kept.
    BOOST_TEST(query_int(o.path, "SELECT count(*) FROM inbox") == 2);
    BOOST_TEST(query_int(o.path, "SELECT count(*) FROM processed_ranges") == 1);
    BOOST_TEST(query_int(o.path, "SELECT count(*) FROM identity_keys") == 3); // 1h, "old, seen now", now
    auto again = detail::make_sqlite_store(o, {}, ec, why);
    BOOST_REQUIRE(again);
    BOOST_REQUIRE(!again->recover(r, now));
    BOOST_TEST(r.unprocessed == 1u);
    auto rest = again->take(10);
    BOOST_REQUIRE(rest.size() == 1u);
    BOOST_TEST(rest[0].sequence == seqs[3]);
}


// Operation outcomes survive a restart; of two outcomes of one operation the newer record
// wins, whatever order they were committed in.
BOOST_AUTO_TEST_CASE(sqlite_keeps_operation_outcomes_and_the_newer_one_wins)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    auto outcome = [](operation_status st, timestamp updated) {
        detail::stored_operation op;
        op.result.operation_id = "op-1";
        op.result.status = st;
        op.result.resource_id = st == operation_status::success ? "msg-1" : "";
        op.updated_at = updated;
        op.completed_at = t0;
        return op;
    };
    {
        auto s = open_recovered(o);
        detail::progress p;
        p.operations.push_back(outcome(operation_status::success, t0 + 5s));
        s->commit(std::move(p));
        detail::progress q;
        q.operations.push_back(outcome(operation_status::failed, t0 + 1s)); // older record, committed later
        s->commit(std::move(q));
        s->sync();
    }
    detail::recovered_state r;
    auto s = open_recovered(o, {}, &r);
    BOOST_REQUIRE(r.operations.size() == 1u);
    BOOST_TEST((r.operations[0].result.status == operation_status::success));
    BOOST_TEST(r.operations[0].result.resource_id == "msg-1");
    BOOST_TEST((r.operations[0].updated_at == t0 + 5s));
}

// A tracked operation not decided yet is kept as pending until its deadline (its completed_at)
// and taken back after a restart; its outcome replaces it, never the other way round.
BOOST_AUTO_TEST_CASE(sqlite_keeps_a_pending_operation_until_its_outcome_replaces_it)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    auto row = [](std::string id, operation_status st, timestamp updated, timestamp completed) {
        detail::stored_operation op;
        op.result.operation_id = std::move(id);
        op.result.status = st;
        op.result.connection_id = "conn-1";
        op.result.resource = "message";
        op.updated_at = updated;
        op.completed_at = completed;
        return op;
    };
    {
        auto s = open_recovered(o);
        detail::progress p;
        p.operations.push_back(row("op-1", operation_status::pending, timestamp{}, t0 + 24h));
        p.operations.push_back(row("op-2", operation_status::pending, timestamp{}, t0 + 24h));
        s->commit(std::move(p));
        detail::progress q;
        q.operations.push_back(row("op-2", operation_status::success, t0, t0));
        q.operations.push_back(row("op-2", operation_status::pending, timestamp{}, t0 + 24h)); // tracked again: no
        s->commit(std::move(q));
        s->sync();
    }
    detail::recovered_state r;
    auto s = open_recovered(o, {}, &r);
    BOOST_REQUIRE(r.operations.size() == 2u);
    std::map<std::string, detail::stored_operation> by_id;
    for(auto const& op : r.operations)
        by_id[op.result.operation_id] = op;
    BOOST_TEST((by_id.at("op-1").result.status == operation_status::pending));
    BOOST_TEST(by_id.at("op-1").result.connection_id == "conn-1");
    BOOST_TEST((by_id.at("op-1").completed_at == t0 + 24h));
    BOOST_TEST((by_id.at("op-2").result.status == operation_status::success));
}
// The history table keeps what a restart loads: each fleet's newest history_per_fleet
// transitions, also those left by a run that kept more.
BOOST_AUTO_TEST_CASE(sqlite_prunes_each_fleets_history_to_its_newest_transitions)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    o.history_per_fleet = 3;
    o.prune_interval = std::chrono::hours(1); // not before the reopening below
    auto make_transition = [](std::string fleet, int n) {
        transition t;
        t.fleet_key = std::move(fleet);
        t.what = dimension::stage;
        t.from = "invited";
        t.to = "viewed";
        t.cause = "invitation.viewed";
        t.record_id = "r-" + std::to_string(n);
        t.idempotency_key = t.fleet_key + "/" + t.record_id;
        return t;
    };
    auto count = [&](char const* sql) { return query_int(o.path, sql); };
    {
        auto s = open_recovered(o);
        detail::progress p;
        for(int i = 0; i < 5; ++i)
            p.transitions.push_back(make_transition("fleet-a", i));
        for(int i = 0; i < 2; ++i)
            p.transitions.push_back(make_transition("fleet-b", i));
        s->commit(std::move(p));
        s->sync();
    }
    BOOST_TEST(count("SELECT count(*) FROM transitions") == 7); // not pruned yet

    o.prune_interval = std::chrono::seconds(0); // after every commit
    detail::recovered_state r;
    auto s = open_recovered(o, {}, &r);
    BOOST_TEST(r.transitions.size() == 5u); // three of fleet-a, both of fleet-b
    detail::progress p;
    p.transitions.push_back(make_transition("fleet-b", 2));
    p.transitions.push_back(make_transition("fleet-b", 3));
    s->commit(std::move(p));
    s->sync();
    s.reset();
    BOOST_TEST(count("SELECT count(*) FROM transitions WHERE fleet_key = 'fleet-a'") == 3);
    BOOST_TEST(count("SELECT count(*) FROM transitions WHERE fleet_key = 'fleet-b'") == 3);
    // The newest stay.
    BOOST_TEST(count("SELECT count(*) FROM transitions WHERE doc LIKE '%\"r-4\"%' OR doc LIKE '%\"r-0\"%'") == 1);
}

BOOST_AUTO_TEST_CASE(sqlite_rewinds_the_wal_under_sustained_writes)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    o.wal_restart_frames = 64;
    detail::store_limits l;
    l.max_backlog_entries = 1'000'000;
    auto s = open_recovered(o, l);
    auto const wal = o.path + "-wal";
    // Writes that never pause (each batch waits only until at most 200 appends are in flight,
    // never until the writer is idle), 64 pages allowed in the WAL, until the WAL was rewound
    // four times: however fast the machine, the writes outlast several checkpoints.
    std::string const body(200, 'x');
    std::mutex m;
    std::condition_variable cv;
    int answered = 0, refused = 0;
    std::string why; // the first refusal's
    auto const on_answer = [&](append_status st, std::uint64_t, error_code ec) {
        std::lock_guard lock(m);
        ++answered;
        if(st != append_status::kept && refused++ == 0)
            why = ec.message();
        cv.notify_all();
    };
    int sent = 0;
    std::uint32_t const rewound_before = wal_rewinds(wal);
    std::uintmax_t largest = 0;
    // Only a failure waits this long: rewinds come about every 200 ms (the checkpointer's round).
    auto const give_up = std::chrono::steady_clock::now() + 60s;
    while(sent < 2000 || wal_rewinds(wal) < rewound_before + 4)
    {
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < give_up,
                              "the WAL was rewound " << wal_rewinds(wal) - rewound_before << " times in "
                                                     << sent << " appends");
        for(int i = 0; i < 20; ++i, ++sent)
            s->append(entry("w" + std::to_string(sent), body), t0, on_answer);
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return sent - answered <= 200; });
        BOOST_REQUIRE_MESSAGE(refused == 0, refused << " appends refused after " << sent << " (" << why << "); the WAL was rewound "
                                                    << wal_rewinds(wal) - rewound_before << " times");
        std::error_code fs_ec;
        largest = std::max<std::uintmax_t>(largest, std::filesystem::file_size(wal, fs_ec));
    }
    s->sync();
    {
        std::lock_guard lock(m);
        BOOST_TEST(answered == sent);
    }
    // Without rewinding (or without checkpoints at all), the WAL holds every page written:
    // more than the bodies. Rewound, it holds what was written since the last rewind.
    std::error_code fs_ec;
    auto const written = static_cast<std::uintmax_t>(sent) * body.size();
    BOOST_TEST(std::filesystem::file_size(wal, fs_ec) < written / 3);
    BOOST_TEST_MESSAGE(sent << " appends, the WAL rewound " << wal_rewinds(wal) - rewound_before
                            << " times, largest WAL seen: " << largest << " bytes");
}

BOOST_AUTO_TEST_CASE(sqlite_keeps_a_gzip_body_compressed_on_disk_and_gives_it_back_as_it_came)
{
    auto const dir = tst::make_temp_dir("store");
    std::string body = R"({"data":[)";
    for(int i = 0; i < 50; ++i)
        body += R"({"id":"loc-)" + std::to_string(i) + R"(","fleet_id":"fleet-1","speed":42},)";
    body += "{}]}";
    {
        auto s = open_sqlite(dir, {});
        detail::recovered_state r;
        BOOST_REQUIRE(!s->recover(r, t0));
        auto e = entry("gz", gzip_compress(body));
        e.compressed = true;
        append(*s, std::move(e));
        auto got = s->take(10);
        BOOST_REQUIRE(got.size() == 1u);
        BOOST_TEST(got[0].compressed);
        BOOST_TEST(got[0].body == gzip_compress(body)); // processing inflates it
    }
    {
        sqlite3* db = nullptr;
        BOOST_REQUIRE(sqlite3_open((dir + "/store.db").c_str(), &db) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "SELECT encoding, length(body) FROM inbox", -1, &st, nullptr);
        BOOST_REQUIRE(sqlite3_step(st) == SQLITE_ROW);
        BOOST_TEST(sqlite3_column_int(st, 0) == 1);
        BOOST_TEST(static_cast<std::size_t>(sqlite3_column_int(st, 1)) < body.size() / 2);
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    auto s = open_sqlite(dir, {});
    detail::recovered_state r;
    BOOST_REQUIRE(!s->recover(r, t0));
    auto got = s->take(10);
    BOOST_REQUIRE(got.size() == 1u);
    BOOST_TEST(got[0].compressed);
    BOOST_TEST(got[0].body == gzip_compress(body));
}

BOOST_AUTO_TEST_CASE(sqlite_gives_back_the_route_a_delivery_came_by_after_reopening)
{
    auto const dir = tst::make_temp_dir("store");
    {
        auto s = open_sqlite(dir, {});
        detail::recovered_state r;
        BOOST_REQUIRE(!s->recover(r, t0));
        auto e = entry("fx", R"({"event":"ROUTE_CREATED","id":"1"})");
        e.route = "/webhooks/foxtrot";
        append(*s, std::move(e));
        append(*s, entry("catena", "{}"));
    }
    auto s = open_sqlite(dir, {});
    detail::recovered_state r;
    BOOST_REQUIRE(!s->recover(r, t0));
    auto got = s->take(10);
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_TEST(got[0].route == "/webhooks/foxtrot");
    BOOST_TEST(got[1].route.empty());
}

BOOST_AUTO_TEST_CASE(sqlite_gives_back_exactly_the_unprocessed_deliveries_between_processed_ranges)
{
    auto const dir = tst::make_temp_dir("store");
    std::vector<std::uint64_t> seqs;
    {
        auto s = open_sqlite(dir, {});
        detail::recovered_state r;
        BOOST_REQUIRE(!s->recover(r, t0));
        for(int i = 0; i < 40; ++i)
            seqs.push_back(append(*s, entry("r" + std::to_string(i), "body " + std::to_string(i))).second);
        s->take(100);
        // Processed out of order over several commits, with holes: 7, 20..24 and 39 stay.
        std::vector<std::uint64_t> done;
        for(int i = 0; i < 40; ++i)
            if(i != 7 && (i < 20 || i > 24) && i != 39)
                done.push_back(seqs[static_cast<std::size_t>(i)]);
        std::mt19937_64 rng(3);
        std::shuffle(done.begin(), done.end(), rng);
        for(std::size_t i = 0; i < done.size(); i += 5)
        {
            detail::progress p;
            p.processed.assign(done.begin() + static_cast<std::ptrdiff_t>(i),
                               done.begin() + static_cast<std::ptrdiff_t>(std::min(i + 5, done.size())));
            s->commit(std::move(p));
        }
        s->sync();
    }
    auto s = open_sqlite(dir, {});
    detail::recovered_state r;
    BOOST_REQUIRE(!s->recover(r, t0));
    BOOST_TEST(r.unprocessed == 7u);
    BOOST_TEST(s->backlog() == 7u);
    std::vector<std::string> bodies;
    for(auto const& e : s->take(3))
        bodies.push_back(e.body);
    for(auto const& e : s->take(100))
        bodies.push_back(e.body);
    std::vector<std::string> const want{"body 7", "body 20", "body 21", "body 22", "body 23", "body 24", "body 39"};
    BOOST_TEST(bodies == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END() // sqlite_store

} // namespace unit_sqlite_store
