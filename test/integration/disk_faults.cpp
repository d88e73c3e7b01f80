// SPDX-License-Identifier: BSL-1.0
// test/integration/disk_faults.cpp - the disk fails under the store (short writes, EIO, ENOSPC,
// a frame torn in two) at chosen writes of the WAL and of the database file: an accepted delivery
// is never lost, a failed keep is answered 503 with Retry-After, nothing is corrupt after reopening.
#include <catena/webhooks/receiver.hpp>

#include "disk_faults.hpp"
#include "receiver_server.hpp"
#include "store_support.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace integration_disk_faults { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::test::loopback;
namespace json = boost::json;
namespace fs = std::filesystem;
using fault = tst::disk_faults::fault;

char const* name_of(fault f) { return tst::disk_faults::name(f); }

std::string record_of(int i) { return "d" + std::to_string(i); }

// Delivery i: one vehicle record of its own, with an envelope id of its own.
cs::wire_request delivery(int i, std::string const& request_id)
{
    return cs::build_request(make_message("vehicle.added", record_of(i)), secret, 1, cw::system_now(), true,
                             request_id);
}

// A receiver on `dir` whose callbacks wait at a gate: while it is shut nothing is processed,
// so no progress is committed and every write to the WAL is the commit of one delivery.
struct gated
{
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    std::unique_ptr<server> s;

    explicit gated(std::string const& dir)
    {
        auto o = base_options();
        o.store.data_dir = dir;
        o.timeouts.retry_after = std::chrono::seconds(7);
        o.processing.reorder_window = std::chrono::milliseconds(0);
        s = std::make_unique<server>(o, [this](cw::receiver& rx) {
            rx.on("vehicle.added", [this](cw::event const&) {
                std::unique_lock lock(m);
                cv.wait(lock, [this] { return open; });
            });
        });
    }
    ~gated() { let_through(); }

    void let_through()
    {
        {
            std::lock_guard lock(m);
            open = true;
        }
        cv.notify_all();
    }

    // Sends delivery i (closing the connection) and reads the whole answer.
    http_answer send(int i, std::string const& request_id)
    {
        return parse_answer(raw_exchange(s->port(), render_request(delivery(i, request_id)), std::chrono::seconds(60)));
    }

    /// Stops (processing everything kept) and counts the events of each record.
    std::map<std::string, int> stop_and_count()
    {
        let_through();
        s->shutdown();
        std::map<std::string, int> seen;
        std::lock_guard lock(s->m);
        for(auto const& ev : s->events)
            ++seen[ev.record_id];
        return seen;
    }
};

// The answer to a delivery the store could not keep: 503, Retry-After, {"status":503,"reason":"store_failure"}.
void check_store_failure(http_answer const& a)
{
    BOOST_TEST(a.status == 503u);
    BOOST_TEST(a.header("retry-after") == "7");
    boost::system::error_code ec;
    auto const v = json::parse(a.body, ec);
    BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not a JSON object: " << a.body);
    BOOST_TEST(v.as_object().at("status").as_int64() == 503);
    BOOST_TEST(v.as_object().at("reason").as_string() == "store_failure");
}

/// The database as a process dying now would leave it (the files copied as they are, the WAL
/// with whatever a failed write left in it), opened by SQLite alone: whole, and holding
/// exactly `kept` deliveries.
void check_files(std::string const& dir, std::size_t kept, std::string const& when)
{
    BOOST_TEST_CONTEXT(when)
    {
        auto const copy = tst::make_temp_dir("disk-faults-copy");
        for(auto const* suffix : {"", "-wal"})
            if(fs::exists(dir + "/catena-webhooks.db" + suffix))
                fs::copy_file(dir + "/catena-webhooks.db" + suffix, copy + "/catena-webhooks.db" + suffix);
        sqlite3* db = nullptr;
        BOOST_REQUIRE(sqlite3_open_v2((copy + "/catena-webhooks.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) ==
                      SQLITE_OK);
        auto scalar = [db](char const* sql) { return tst::sql_value(db, sql); };
        BOOST_TEST(scalar("PRAGMA integrity_check") == "ok");
        BOOST_TEST(scalar("SELECT count(*) FROM inbox") == std::to_string(kept));
        sqlite3_close(db);
    }
}

/** Deliveries 0-4 are kept; then the WAL write `skip` (0: the next) fails as `f` says, for
    `count` writes (the disk full until freed: all of them until disarmed after delivery 24);
    deliveries 5-29 are sent through it and 30-34 after it. Every 202 is processed exactly
    once, every 503 is a store failure with Retry-After, the files are whole at every step,
    and what was refused is kept when sent again. */
void run_wal_fault(fault f, std::uint64_t skip, std::uint64_t count)
{
    BOOST_TEST_CONTEXT(name_of(f) << " at WAL write " << skip << ", " << count << " write(s)")
    {
        auto const dir = tst::make_temp_dir("disk-faults");
        tst::disk_faults faults; // before the store opens
        std::set<std::string> acked;
        std::vector<int> refused;
        {
            gated g(dir);
            for(int i = 0; i < 5; ++i)
            {
                BOOST_TEST_REQUIRE(g.send(i, "r" + std::to_string(i)).status == 202u);
                acked.insert(record_of(i));
            }
            check_files(dir, acked.size(), "before the fault");
            faults.arm({"-wal", f, skip, count});
            for(int i = 5; i < 35; ++i)
            {
                if(i == 25)
                    faults.disarm(); // the disk has room again
                auto const a = g.send(i, "r" + std::to_string(i));
                if(a.status == 202u)
                    acked.insert(record_of(i));
                else
                {
                    BOOST_TEST_CONTEXT("delivery " << i) { check_store_failure(a); }
                    refused.push_back(i);
                    // A failed write leaves the files as they were before it.
                    check_files(dir, acked.size(), "after delivery " + std::to_string(i) + " failed");
                }
            }
            BOOST_TEST(faults.faults() >= 1u);
            // Through the fault and after it, each delivery was answered as the disk behaved.
            if(f == fault::short_write)
                BOOST_TEST(refused.empty(), "a short write that SQLite completes refused " << refused.size());
            else if(count == 1)
            {
                // One commit failed: the delivery it carried (deliveries are sent one at a time).
                BOOST_TEST_REQUIRE(refused.size() == 1u);
                BOOST_TEST(refused[0] == 5 + static_cast<int>(skip));
            }
            else
            {
                BOOST_TEST(refused.size() == 20u - skip);
                for(int i = 25; i < 35; ++i)
                    BOOST_TEST(acked.contains(record_of(i)), "delivery " << i << " after the disk had room again");
            }
            check_files(dir, acked.size(), "after the fault");
            // Everything answered 202 is processed, once; nothing answered 503 is.
            auto const seen = g.stop_and_count();
            BOOST_TEST(seen.size() == acked.size());
            for(auto const& [record, times] : seen)
            {
                BOOST_TEST(acked.contains(record), record << " was answered 503 but processed");
                BOOST_TEST(times == 1, record << " processed " << times << " times");
            }
        }
        check_files(dir, acked.size(), "after a clean stop");

        // Sent again, as Catena retries a 503, the refused deliveries are kept and processed;
        // an accepted one sent again is a copy and is not processed twice.
        gated g(dir);
        g.let_through();
        for(int i : refused)
            BOOST_TEST(g.send(i, "again-" + std::to_string(i)).status == 202u);
        BOOST_TEST(g.send(0, "again-0").status == 202u);
        auto const seen = g.stop_and_count();
        BOOST_TEST(seen.size() == refused.size());
        for(int i : refused)
            BOOST_TEST(seen.count(record_of(i)) == 1u);
        BOOST_TEST(!seen.contains(record_of(0)));
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(disk_faults)

BOOST_AUTO_TEST_CASE(a_short_write_of_the_wal_is_completed_and_costs_nothing)
{
    run_wal_fault(fault::short_write, 0, 1);
    run_wal_fault(fault::short_write, 3, std::numeric_limits<std::uint64_t>::max());
}

BOOST_AUTO_TEST_CASE(an_eio_writing_the_wal_refuses_that_delivery_only)
{
    run_wal_fault(fault::eio, 0, 1);
    run_wal_fault(fault::eio, 4, 1);
}

BOOST_AUTO_TEST_CASE(an_enospc_writing_the_wal_refuses_that_delivery_only)
{
    run_wal_fault(fault::enospc, 0, 1);
    run_wal_fault(fault::enospc, 4, 1);
}

BOOST_AUTO_TEST_CASE(a_wal_frame_torn_by_a_full_disk_is_never_read_back)
{
    run_wal_fault(fault::torn, 0, 1);
    run_wal_fault(fault::torn, 4, 1);
}

BOOST_AUTO_TEST_CASE(a_disk_full_until_freed_refuses_every_delivery_until_then_and_loses_none)
{
    run_wal_fault(fault::enospc, 0, std::numeric_limits<std::uint64_t>::max());
    run_wal_fault(fault::eio, 2, std::numeric_limits<std::uint64_t>::max());
}

// Checkpoints write the database file: when those writes fail the WAL keeps everything, the
// deliveries are still kept, and once the disk works again the checkpoint completes.
BOOST_AUTO_TEST_CASE(failed_checkpoint_writes_lose_nothing)
{
    for(auto f : {fault::eio, fault::torn})
        BOOST_TEST_CONTEXT(name_of(f))
        {
            auto const dir = tst::make_temp_dir("disk-faults");
            tst::disk_faults faults;
            std::size_t kept = 0;
            {
                auto o = base_options();
                o.store.data_dir = dir;
                server s(o);
                faults.arm({".db", f});
                for(int i = 0; i < 20; ++i)
                {
                    BOOST_TEST_REQUIRE(parse_answer(raw_exchange(s.port(), render_request(delivery(i, "c" + std::to_string(i))),
                                                                 std::chrono::seconds(60)))
                                           .status == 202u);
                    ++kept;
                }
                // The checkpointer runs every 200 ms: it has tried, and failed.
                BOOST_REQUIRE(tst::eventually([&] { return faults.faults() >= 1u; }, std::chrono::seconds(60)));
                BOOST_REQUIRE(s.wait_events(kept));
                check_files(dir, kept, "while checkpoints fail");
                faults.disarm();
                for(int i = 20; i < 25; ++i)
                {
                    BOOST_TEST(parse_answer(raw_exchange(s.port(), render_request(delivery(i, "c" + std::to_string(i))),
                                                         std::chrono::seconds(60)))
                                   .status == 202u);
                    ++kept;
                }
                BOOST_REQUIRE(s.wait_events(kept));
                s.shutdown();
                BOOST_TEST(s.events.size() == kept);
            }
            check_files(dir, kept, "after a clean stop");
            // The stop checkpointed everything into the database file: it alone holds it all.
            auto const copy = tst::make_temp_dir("disk-faults-copy");
            fs::copy_file(dir + "/catena-webhooks.db", copy + "/catena-webhooks.db");
            check_files(copy, kept, "the database file alone");
        }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_disk_faults
