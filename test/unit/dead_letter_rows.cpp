// SPDX-License-Identifier: BSL-1.0
// test/unit/dead_letter_rows.cpp - the dead_letters table: listed from its metadata on a reader of its own, a body by its id.
#include "store/dead_letter_rows.hpp"

#include <catena/webhooks/dead_letters.hpp>

#include "store/schema.hpp"
#include "store/sqlite_store.hpp"
#include "store_support.hpp"
#include "tls_material.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace unit_dead_letter_rows { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tst = catena::webhooks::test;

// This process's resident memory, and its peak since the last reset_peak(), in KiB.
long status_kib(std::string_view field)
{
    std::ifstream in("/proc/self/status");
    for(std::string line; std::getline(in, line);)
        if(line.starts_with(field))
            return std::stol(line.substr(field.size()));
    return -1;
}

void reset_peak()
{
    std::ofstream("/proc/self/clear_refs") << "5";
}

// A SQLite store in a new directory, recovered (its writer running).
std::unique_ptr<detail::store> open_store(std::string const& dir)
{
    auto s = tst::open_sqlite(dir, {});
    detail::recovered_state r;
    BOOST_REQUIRE(!s->recover(r, tst::t0));
    return s;
}

detail::progress letters(int n, std::size_t bytes)
{
    detail::progress p;
    for(int i = 0; i < n; ++i)
    {
        dead_letter d;
        d.kind = dead_letter_kind::undecodable;
        d.reason = "json_syntax";
        d.webhook_id = "wh-" + std::to_string(i);
        d.body.assign(bytes, static_cast<char>('a' + i % 26));
        p.dead_letters.push_back(std::move(d));
    }
    return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dead_letter_rows)

// Each listing read every body in full (ten 4 MiB letters: +37 MB and 50 ms a call, the status
// page asking every 5 s). A listing now reads the rows' metadata: the bodies stay on disk.
BOOST_AUTO_TEST_CASE(listing_ten_4_mib_dead_letters_reads_no_body)
{
    auto const dir = tst::make_temp_dir("dead-letters");
    auto s = open_store(dir);
    s->commit(letters(10, 4u << 20));
    s->sync();
    BOOST_REQUIRE(s->dead_letters(1).size() == 1u); // the reader is open, its first pages cached
    long const before = status_kib("VmRSS:");
    reset_peak();
    for(int i = 0; i < 20; ++i)
    {
        auto const v = s->dead_letters(1000);
        BOOST_REQUIRE(v.size() == 10u);
        for(auto const& x : v)
        {
            BOOST_TEST(x.letter.body.empty());
            BOOST_TEST(x.body_bytes == std::size_t{4} << 20);
        }
    }
    long const peak = status_kib("VmHWM:");
    BOOST_TEST_MESSAGE("RSS before " << before << " KiB, peak while listing " << peak << " KiB");
    BOOST_TEST(peak - before <= 4 * 1024);
    // One letter by its id: its whole body.
    auto const v = s->dead_letters(3);
    BOOST_REQUIRE(v.size() == 3u);
    BOOST_TEST(v.front().letter.webhook_id == "wh-7"); // the newest three, oldest first
    auto const one = s->dead_letter(v.front().id);
    BOOST_REQUIRE(one);
    BOOST_TEST(one->letter.body == std::string(4u << 20, 'h'));
}

// The listing read through the writer's connection, under the writer's mutex: a writer held
// up (another process holding the database) held the status page, and a listing held every
// commit behind it. It has a reader of its own now.
BOOST_AUTO_TEST_CASE(a_listing_does_not_wait_for_a_writer_that_waits_for_the_database)
{
    auto const dir = tst::make_temp_dir("dead-letters");
    auto s = open_store(dir);
    s->commit(letters(2, 100));
    s->sync();
    // Another connection takes the write lock; the store's next commit waits for it.
    sqlite3* other = nullptr;
    BOOST_REQUIRE(sqlite3_open((dir + "/store.db").c_str(), &other) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    s->commit(letters(1, 100));
    for(int i = 0; i < 5000 && s->stats().lock_waits == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_REQUIRE(s->stats().lock_waits > 0); // the writer is waiting, its mutex held
    auto const listed = s->dead_letters(10);
    BOOST_TEST(listed.size() == 2u); // the last commit's, at once
    BOOST_REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    s->sync();
    BOOST_TEST(s->stats().failures == 0u); // the waiting commit went through once the lock was free
    BOOST_TEST(s->dead_letters(10).size() == 3u);
}

// The offline box (catena-webhookd dead-letters): a directory without a store is not made one,
// a database that cannot be reached is named without its password, and replay_all puts back
// what it can and says which letter it could not.
BOOST_AUTO_TEST_CASE(the_dead_letter_box_refuses_what_is_no_store_and_replays_what_it_can)
{
    auto const dir = tst::make_temp_dir("box");
    error_code ec;
    std::string why;
    BOOST_TEST(!dead_letter_box::open(dir + "/none", ec, why));
    BOOST_TEST((ec == error::invalid_options));
    BOOST_TEST(why.find("no store in " + dir + "/none") == 0u, why);
    BOOST_TEST(!std::filesystem::exists(dir + "/none"));
    why.clear();
    BOOST_TEST(!dead_letter_box::open("postgresql://app:hunter2@/none?host=" + dir + "&port=1&connect_timeout=2", ec, why));
    BOOST_TEST((ec == error::store_failure));
    BOOST_TEST(!why.empty());
    BOOST_TEST(why.find("hunter2") == std::string::npos, why);

    {
        detail::sqlite_options o;
        o.path = detail::database_path(dir);
        auto s = detail::make_sqlite_store(o, {}, ec, why);
        BOOST_REQUIRE_MESSAGE(s, why);
        detail::recovered_state r;
        BOOST_REQUIRE(!s->recover(r, tst::t0));
        detail::progress p;
        dead_letter gone; // a failed callback whose delivery is no longer in the inbox
        gone.kind = dead_letter_kind::callback_failed;
        gone.reason = "callback_dead_lettered";
        gone.sequence = 999;
        gone.request_id = "r-gone";
        gone.webhook_id = "wh-1";
        gone.event_type = "vehicle.added";
        gone.body = R"({"id":"v-1"})";
        dead_letter undecodable;
        undecodable.reason = "json_syntax";
        undecodable.request_id = "r-bad";
        undecodable.webhook_id = "wh-1";
        undecodable.event_type = "vehicle.added";
        undecodable.body = "not json";
        p.dead_letters = {gone, undecodable};
        s->commit(std::move(p));
        s->sync();
    }
    auto box = dead_letter_box::open(dir, ec, why);
    BOOST_REQUIRE_MESSAGE(box, why);
    BOOST_REQUIRE(box->list().size() == 2u);
    why.clear();
    BOOST_TEST(box->replay_all(why) == 1u);
    BOOST_TEST(why.find("(inbox 999) was pruned") != std::string::npos, why);
    auto moved = std::move(*box);
    box.reset();
    auto const left = moved.list();
    BOOST_REQUIRE(left.size() == 1u);
    BOOST_TEST(left[0].letter.request_id == "r-gone");
    // An id the box does not hold: named, and nothing changes.
    why.clear();
    BOOST_TEST(!moved.get(left[0].id + 1000).has_value());
    BOOST_TEST((moved.replay(left[0].id + 1000, why) == error::invalid_options));
    BOOST_TEST(why == "no dead letter " + std::to_string(left[0].id + 1000), why);
    BOOST_TEST(moved.list().size() == 1u);
    // A second box on the same store, while this one holds it, is refused.
    BOOST_TEST(!dead_letter_box::open(dir, ec, why));
    BOOST_TEST((ec == error::store_locked));
}

BOOST_AUTO_TEST_SUITE_END() // dead_letter_rows

} // namespace unit_dead_letter_rows
