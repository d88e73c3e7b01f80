// SPDX-License-Identifier: BSL-1.0
// test/unit/schema.cpp - the SQLite store's file: an upgrade of a made-up older file, a newer schema refused,
// nothing half made, one opener, nothing foreign (the real files of older schemas: schema_fixtures.cpp).
#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/gzip.hpp>

#include "processing/fleet.hpp"
#include "processing/pipeline.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"

#include "disk_faults.hpp"
#include "store_support.hpp"
#include "tls_material.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace unit_schema { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace tst = catena::webhooks::test;
namespace json = boost::json;
namespace fs = std::filesystem;

using tst::open_sqlite;
using tst::t0;

} // namespace

BOOST_AUTO_TEST_SUITE(schema)

BOOST_AUTO_TEST_CASE(sqlite_upgrades_a_schema_1_store_keeping_its_identities_and_progress)
{
    auto const dir = tst::make_temp_dir("store");
    auto const path = dir + "/store.db";
    open_sqlite(dir, {}).reset();
    // Made into what schema 1 wrote: identities in the rowid table, no identity_keys.
    {
        sqlite3* db = nullptr;
        BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        auto const d = detail::digest_of("e/legacy");
        unsigned char raw[16];
        std::memcpy(raw, &d.hi, 8);
        std::memcpy(raw + 8, &d.lo, 8);
        // Schema 1 also marked processed rows with a flag: two processed, one not.
        BOOST_REQUIRE(sqlite3_exec(db,
                                   "DROP TABLE identity_keys; DROP TABLE processed_ranges; ALTER TABLE inbox DROP COLUMN encoding;"
                                   "ALTER TABLE inbox DROP COLUMN route; ALTER TABLE dead_letters DROP COLUMN route;"
                                   "CREATE INDEX inbox_unprocessed ON inbox(seq) WHERE processed = 0;"
                                   "INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, "
                                   "body, processed) VALUES (1, 1, 'w', 'a', 'e', 1, 'one', 1), "
                                   "(1, 1, 'w', 'b', 'e', 1, 'two', 0), (1, 1, 'w', 'c', 'e', 1, 'three', 1);"
                                   "PRAGMA user_version=1;",
                                   nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO identities(seen_at, digest) VALUES(?, ?)", -1, &st, nullptr);
        sqlite3_bind_int64(st, 1, t0.time_since_epoch().count());
        sqlite3_bind_blob(st, 2, raw, 16, SQLITE_TRANSIENT);
        BOOST_REQUIRE(sqlite3_step(st) == SQLITE_DONE);
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    auto s = open_sqlite(dir, {});
    detail::recovered_state r;
    BOOST_REQUIRE(!s->recover(r, t0 + 1h));
    BOOST_REQUIRE(r.identities.size() == 1u);
    BOOST_TEST((r.identities[0].first == detail::digest_of("e/legacy")));
    BOOST_TEST(r.unprocessed == 1u);
    auto rest = s->take(10);
    BOOST_REQUIRE(rest.size() == 1u);
    BOOST_TEST(rest[0].body == "two");
    // And it writes identities the new way.
    detail::progress p;
    p.identities.emplace_back(detail::identity_key{detail::digest_of("e/new"), 42}, t0 + 1h);
    s->commit(std::move(p));
    s->sync();
    BOOST_TEST(s->recall({detail::digest_of("e/new"), 42}));
}

// Written by a newer version: refused, and left as it is (a newer schema may mean anything).
BOOST_AUTO_TEST_CASE(sqlite_refuses_a_newer_schema_and_leaves_it_untouched)
{
    auto const dir = tst::make_temp_dir("store");
    auto const path = dir + "/store.db";
    open_sqlite(dir, {}).reset();
    {
        sqlite3* db = nullptr;
        BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        BOOST_REQUIRE(sqlite3_exec(db, "PRAGMA user_version=7; PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr,
                                   nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto const bytes = [&] {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    auto const before = bytes();
    detail::sqlite_options o;
    o.path = path;
    error_code ec;
    std::string why;
    BOOST_TEST(!detail::make_sqlite_store(o, {}, ec, why));
    BOOST_TEST((ec == error::store_newer_schema));
    BOOST_TEST(why.find("newer version (schema 7, this one reads 6)") != std::string::npos, why);
    BOOST_TEST((bytes() == before));
}

// An upgrade runs in one transaction: one that fails (here the column schema 4 adds is
// already there) leaves the file at its old schema with nothing of the new one, and says so.
BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_created_is_not_left_half_made)
{
    auto const dir = tst::make_temp_dir("store");
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    error_code ec;
    std::string why;
    {
        tst::disk_faults faults;
        faults.arm({"-wal", tst::disk_faults::fault::enospc});
        BOOST_TEST(!detail::make_sqlite_store(o, {}, ec, why));
        BOOST_TEST(faults.faults() >= 1u);
    }
    BOOST_TEST((ec == error::store_failure));
    BOOST_TEST(why.find("cannot create the store in " + o.path) == 0u, why);
    auto s = detail::make_sqlite_store(o, {}, ec, why);
    BOOST_REQUIRE_MESSAGE(s, why);
    detail::recovered_state r;
    BOOST_TEST(!s->recover(r, t0));
    BOOST_TEST((tst::append(*s, tst::entry("a")).first == detail::append_status::kept));
}

BOOST_AUTO_TEST_CASE(sqlite_refuses_a_second_opener_and_a_foreign_file)
{
    auto const dir = tst::make_temp_dir("store");
    auto first = open_sqlite(dir, {});
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    error_code ec;
    std::string why;
    BOOST_TEST(!detail::make_sqlite_store(o, {}, ec, why));
    BOOST_TEST((ec == error::store_locked));

    // A corrupt file (a SQLite header cut short) is refused and left as it was.
    auto const corrupt = dir + "/corrupt.db";
    {
        std::FILE* f = std::fopen(corrupt.c_str(), "wb");
        std::fputs("SQLite format 3", f);
        std::fclose(f);
    }
    o.path = corrupt;
    BOOST_TEST(!detail::make_sqlite_store(o, {}, ec, why));
    BOOST_TEST((ec == error::store_not_ours));
    BOOST_TEST(std::filesystem::file_size(corrupt) == 15u);

    // The database of another application is refused and left as it was.
    auto const other = dir + "/other.db";
    {
        sqlite3* db = nullptr;
        BOOST_REQUIRE(sqlite3_open(other.c_str(), &db) == SQLITE_OK);
        BOOST_REQUIRE(sqlite3_exec(db, "CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT);"
                                       "INSERT INTO accounts(owner) VALUES('someone');",
                                   nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto const size = std::filesystem::file_size(other);
    o.path = other;
    BOOST_TEST(!detail::make_sqlite_store(o, {}, ec, why));
    BOOST_TEST((ec == error::store_not_ours));
    BOOST_TEST(why.find("something else") != std::string::npos);
    BOOST_TEST(std::filesystem::file_size(other) == size);

    // A lock that cannot be taken because its file cannot be made.
    o.path = dir + "/missing/store.db";
    BOOST_TEST(!detail::make_sqlite_store(o, {}, ec, why));
    BOOST_TEST((ec == error::store_failure));
    BOOST_TEST(why.find("cannot open " + o.path + ".lock") == 0u, why);
}

BOOST_AUTO_TEST_SUITE_END() // schema

} // namespace unit_schema
