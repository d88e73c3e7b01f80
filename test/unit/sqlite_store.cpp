// SPDX-License-Identifier: BSL-1.0
// test/unit/sqlite_store.cpp - the SQLite store beyond the store contract: pruning, the WAL, group commit, what reopening gives back.
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

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace tst = catena::webhooks::test;
using detail::append_status;

using tst::append;
using tst::entry;
using tst::open_sqlite;
using tst::t0;
using tst::wal_rewinds;

// Opens the SQLite store o describes and takes back what it holds (into r when given).
std::unique_ptr<detail::store> open_recovered(detail::sqlite_options const& o, detail::store_limits l = {},
                                              detail::recovered_state* r = nullptr)
{
    error_code ec;
    std::string why;
    auto s = detail::make_sqlite_store(o, l, ec, why);
    BOOST_REQUIRE_MESSAGE(s, why);
    detail::recovered_state ignored;
    BOOST_REQUIRE(!s->recover(r ? *r : ignored, t0));
    return s;
}

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

// What a store hands over through sqlite_options::run_commits or run_completions, run by
// hand: the test thread plays the I/O thread.
struct posted_jobs
{
    std::mutex m;
    std::vector<std::function<void()>> fns;

    std::function<void(std::function<void()>)> hook()
    {
        return [this](std::function<void()> f) {
            std::lock_guard lock(m);
            fns.push_back(std::move(f));
        };
    }
    std::size_t size()
    {
        std::lock_guard lock(m);
        return fns.size();
    }
    // Runs what is posted now (not what that posts).
    void run()
    {
        std::vector<std::function<void()>> now;
        {
            std::lock_guard lock(m);
            now.swap(fns);
        }
        for(auto& f : now)
            f();
    }
};

BOOST_AUTO_TEST_CASE(sqlite_hands_over_a_transactions_completions_in_one_call_and_counts_its_writes)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    posted_jobs handed; // what the writer handed over, not run yet
    o.run_completions = handed.hook();
    auto s = open_recovered(o);
    BOOST_TEST(s->stats().transactions == 0u);

    std::atomic<int> kept{0};
    std::atomic<std::thread::id> ran_on{};
    int const n = 50;
    for(int i = 0; i < n; ++i)
        s->append(entry("c" + std::to_string(i)), t0, [&](append_status st, std::uint64_t seq, error_code) {
            if(st == append_status::kept && seq != 0)
                kept.fetch_add(1);
            ran_on = std::this_thread::get_id();
        });
    s->sync();
    // Written, but no handler has run: they wait in what was handed over.
    BOOST_TEST(kept.load() == 0);
    auto const st = s->stats();
    BOOST_TEST(st.appends == static_cast<std::uint64_t>(n));
    BOOST_TEST(st.transactions >= 1u);
    BOOST_TEST(st.transactions <= static_cast<std::uint64_t>(n));
    BOOST_TEST(st.pages_written >= st.transactions); // every commit writes at least a page
    BOOST_TEST(st.failures == 0u);
    // One hand-over per transaction that kept deliveries, each running all of its handlers.
    BOOST_TEST(handed.size() == st.transactions);
    handed.run();
    BOOST_TEST(kept.load() == n);
    BOOST_TEST((ran_on.load() == std::this_thread::get_id()));
}

// Under load the writer lingers for a bigger batch, but only while appends keep coming: a
// writer that waited on a timer would hold this last append for the whole hour.
BOOST_AUTO_TEST_CASE(sqlite_lingering_writer_commits_as_soon_as_appends_stop_coming)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    o.linger = std::chrono::hours(1);
    auto s = open_recovered(o);

    // Five appends queued while the writer completes the first (its handlers run on the
    // writer thread) go in one batch: the writer is now under load.
    std::atomic<int> kept{0};
    std::promise<void> six_kept;
    auto count = [&](append_status st, std::uint64_t, error_code) {
        if((kept += st == append_status::kept) == 6)
            six_kept.set_value();
    };
    s->append(entry("first"), t0, [&](append_status st, std::uint64_t seq, error_code e) {
        count(st, seq, e);
        for(int i = 0; i < 5; ++i)
            s->append(entry("more-" + std::to_string(i)), t0, count);
    });
    BOOST_REQUIRE((six_kept.get_future().wait_for(5s) == std::future_status::ready));
    BOOST_REQUIRE_EQUAL(kept.load(), 6);
    BOOST_TEST(s->stats().transactions == 2u);

    // One more, and nothing after it: committed without waiting for a batch of ten.
    BOOST_TEST((append(*s, entry("last")).first == append_status::kept));
    BOOST_TEST(s->stats().transactions == 3u);
}

// Options of a store in dir whose commits of appends go to posted.
detail::sqlite_options committing_to(posted_jobs& posted, std::string const& dir)
{
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    o.run_commits = posted.hook();
    return o;
}

// With durability process, appends are committed by a job on the I/O thread, which goes to
// the back of the queue again while appends keep coming and commits once a look finds none
// new; their answers are given right there, not handed back from the writer thread.
BOOST_AUTO_TEST_CASE(sqlite_commits_appends_on_the_io_thread_once_a_look_finds_no_new_ones)
{
    posted_jobs posted, handed;
    auto o = committing_to(posted, tst::make_temp_dir("store"));
    o.linger = std::chrono::hours(1);
    o.run_completions = handed.hook();
    auto s = open_recovered(o);

    std::vector<std::uint64_t> seqs;
    std::atomic<int> elsewhere{0};
    auto const me = std::this_thread::get_id();
    auto keep = [&](append_status st, std::uint64_t seq, error_code) {
        if(st == append_status::kept)
            seqs.push_back(seq);
        if(std::this_thread::get_id() != me)
            ++elsewhere;
    };
    for(int i = 0; i < 3; ++i)
        s->append(entry("io-" + std::to_string(i)), t0, keep);
    BOOST_TEST(posted.size() == 1u); // one job for the batch, not one per append

    posted.run(); // three new since the last look (none): again, later
    BOOST_TEST(posted.size() == 1u);
    s->append(entry("io-3"), t0, keep);
    s->append(entry("io-4"), t0, keep);
    posted.run(); // two more: again
    BOOST_TEST(posted.size() == 1u);
    BOOST_TEST(s->stats().transactions == 0u);
    BOOST_TEST(seqs.empty());

    posted.run(); // nothing new: committed, all five answered here
    BOOST_TEST(s->stats().transactions == 1u);
    BOOST_TEST(s->stats().appends == 5u);
    BOOST_TEST(posted.size() == 0u);
    BOOST_TEST(handed.size() == 0u);
    BOOST_TEST(elsewhere.load() == 0);
    BOOST_REQUIRE_EQUAL(seqs.size(), 5u);
    BOOST_TEST(std::is_sorted(seqs.begin(), seqs.end()));
    auto const taken = s->take(10);
    BOOST_REQUIRE_EQUAL(taken.size(), 5u);
    BOOST_TEST(taken.front().request_id == "io-0");
    BOOST_TEST(taken.back().sequence == seqs.back());
}

// The I/O thread never waits for the database: held by another connection (here the test's
// own; in the receiver the writer thread's progress commit or a checkpoint rewinding the WAL),
// the batch goes to the writer thread, which commits it once the database is free. Released
// only later, from another thread: an I/O thread that waited would commit and answer itself.
BOOST_AUTO_TEST_CASE(sqlite_inline_commit_hands_a_locked_database_to_the_writer_instead_of_waiting)
{
    posted_jobs posted;
    auto o = committing_to(posted, tst::make_temp_dir("store"));
    auto s = open_recovered(o);

    sqlite3* other = nullptr;
    BOOST_REQUIRE(sqlite3_open(o.path.c_str(), &other) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);

    std::promise<std::pair<append_status, std::thread::id>> answer;
    auto answered = answer.get_future();
    s->append(entry("locked"), t0, [&](append_status st, std::uint64_t, error_code) {
        answer.set_value({st, std::this_thread::get_id()});
    });
    posted.run(); // looks: again
    // The lock is released once the I/O thread's job returned. Should that job wait for the
    // lock instead, it is released anyway after a while (long for a job that tries once), so
    // the job commits and answers on this thread, and the checks below fail rather than hang.
    std::promise<void> job_returned;
    std::thread release([other, returned = job_returned.get_future()] {
        (void)returned.wait_for(3s);
        sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
    });
    posted.run(); // nothing new: tries, finds the database locked, hands over
    job_returned.set_value();
    BOOST_TEST(posted.size() == 0u);
    BOOST_TEST(s->stats().failures == 0u);
    BOOST_REQUIRE((answered.wait_for(10s) == std::future_status::ready));
    release.join();
    sqlite3_close(other);
    auto const [st, on] = answered.get();
    BOOST_TEST((st == append_status::kept));
    BOOST_TEST((on != std::this_thread::get_id()));
    BOOST_TEST(s->stats().transactions == 1u);
}

// sync() (the receiver's destructor) cannot count on the I/O threads any more: what waits
// for their job is committed by the writer thread, and so is every append after it.
BOOST_AUTO_TEST_CASE(sqlite_sync_commits_appends_whose_io_thread_job_never_runs)
{
    posted_jobs posted;
    auto o = committing_to(posted, tst::make_temp_dir("store"));
    auto s = open_recovered(o);

    std::atomic<int> kept{0};
    auto count = [&](append_status st, std::uint64_t, error_code) { kept += st == append_status::kept; };
    for(int i = 0; i < 3; ++i)
        s->append(entry("late-" + std::to_string(i)), t0, count);
    BOOST_TEST(posted.size() == 1u);
    s->sync();
    BOOST_TEST(kept.load() == 3);
    BOOST_TEST(s->stats().transactions == 1u);

    posted.run(); // the job, run after all: nothing left to do
    BOOST_TEST(s->stats().transactions == 1u);
    BOOST_TEST((append(*s, entry("after")).first == append_status::kept));
    BOOST_TEST(posted.size() == 0u);
}

// With durability power, each commit waits for fsync: that never happens on an I/O thread.
BOOST_AUTO_TEST_CASE(sqlite_power_durability_commits_on_the_writer_thread_only)
{
    posted_jobs posted;
    auto o = committing_to(posted, tst::make_temp_dir("store"));
    o.level = durability::power;
    auto s = open_recovered(o);
    BOOST_TEST((append(*s, entry("fsynced")).first == append_status::kept));
    BOOST_TEST(posted.size() == 0u);
    BOOST_TEST(s->stats().transactions == 1u);
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
