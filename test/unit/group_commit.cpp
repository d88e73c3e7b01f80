// SPDX-License-Identifier: BSL-1.0
// test/unit/group_commit.cpp - how the SQLite store commits appends: completions handed over per transaction, the
// lingering writer, commits on the I/O thread, a locked database handed to the writer, each durability.
#include "store/group_commit.hpp"

#include "store/sqlite_store.hpp"

#include "store_support.hpp"
#include "tls_material.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace unit_group_commit { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace tst = catena::webhooks::test;
using detail::append_status;

using tst::append;
using tst::entry;
using tst::open_recovered;
using tst::t0;

} // namespace

BOOST_AUTO_TEST_SUITE(group_commit)

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

BOOST_AUTO_TEST_SUITE_END() // group_commit

} // namespace unit_group_commit
