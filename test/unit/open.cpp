// SPDX-License-Identifier: BSL-1.0
// test/unit/open.cpp - the store a receiver's options name: memory, SQLite in a data directory
// (made if missing), PostgreSQL; each failure to open says why and returns no store.
#include "store/open.hpp"
#include "store/schema.hpp"

#include "store_support.hpp"
#include "tls_material.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace unit_open { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tst = catena::webhooks::test;

struct opened
{
    std::unique_ptr<detail::store> store;
    detail::recovered_state state;
    error_code ec;
    std::string why;
};

opened open_with(receiver_options const& o)
{
    opened r;
    r.store = detail::open_store(o, {}, r.state, r.ec, r.why);
    BOOST_TEST(!r.store == !!r.ec, "a store and an error, or neither: " << r.why);
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_open)

BOOST_AUTO_TEST_CASE(no_data_directory_is_memory)
{
    receiver_options o;
    auto const r = open_with(o);
    BOOST_REQUIRE(r.store);
    BOOST_TEST(!r.store->keeps_state());
    BOOST_TEST(r.store->size_on_disk() == 0u);
}

BOOST_AUTO_TEST_CASE(a_data_directory_is_made_if_missing_and_what_it_holds_is_read_back)
{
    auto const dir = tst::make_temp_dir("open") + "/a/b";
    receiver_options o;
    o.store.data_dir = dir;
    o.limits.max_inbox_entries = 1; // the receiver's bounds are the store's
    {
        auto r = open_with(o);
        BOOST_REQUIRE(r.store);
        BOOST_TEST(r.store->keeps_state());
        BOOST_TEST(std::filesystem::exists(detail::database_path(dir)));
        BOOST_TEST((tst::append(*r.store, tst::entry("a")).first == detail::append_status::kept));
        BOOST_TEST((tst::append(*r.store, tst::entry("b")).first == detail::append_status::full));
        r.store->sync();
    }
    auto const again = open_with(o);
    BOOST_REQUIRE(again.store);
    BOOST_TEST(again.state.unprocessed == 1u);
}

BOOST_AUTO_TEST_CASE(a_data_directory_that_cannot_be_made_is_refused)
{
    auto const dir = tst::make_temp_dir("open");
    std::FILE* f = std::fopen((dir + "/file").c_str(), "w");
    BOOST_REQUIRE(f);
    std::fclose(f);
    receiver_options o;
    o.store.data_dir = dir + "/file/store"; // under a file
    auto const r = open_with(o);
    BOOST_TEST(!r.store);
    BOOST_TEST((r.ec == error::store_failure));
    BOOST_TEST(r.why.find("cannot create " + o.store.data_dir) == 0u, r.why);
}

BOOST_AUTO_TEST_CASE(a_store_of_todays_schema_with_a_table_missing_is_refused)
{
    auto const dir = tst::make_temp_dir("open");
    receiver_options o;
    o.store.data_dir = dir;
    open_with(o).store.reset();
    // Today's schema, with a table gone that reading it back needs.
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(detail::database_path(dir).c_str(), &db) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(db, "DROP TABLE processed_ranges", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto const r = open_with(o);
    BOOST_TEST(!r.store);
    BOOST_TEST((r.ec == error::store_failure));
    BOOST_TEST(r.why.find(detail::database_path(dir)) != std::string::npos, r.why);
}

BOOST_AUTO_TEST_CASE(a_second_receiver_on_the_data_directory_is_refused)
{
    auto const dir = tst::make_temp_dir("open");
    receiver_options o;
    o.store.data_dir = dir;
    auto const first = open_with(o);
    BOOST_REQUIRE(first.store);
    auto const second = open_with(o);
    BOOST_TEST(!second.store);
    BOOST_TEST((second.ec == error::store_locked));
}

// A PostgreSQL database that cannot be reached: the store is not opened, whatever the
// instance name (given, or made of the host name and the process id).
BOOST_AUTO_TEST_CASE(an_unreachable_postgres_database_is_refused)
{
    auto const dir = tst::make_temp_dir("open");
    for(std::string instance : {"", "receiver-1"})
        BOOST_TEST_CONTEXT("instance '" << instance << "'")
        {
            receiver_options o;
            o.store.postgres = "host=" + dir + " port=1 dbname=none connect_timeout=2"; // no server's socket there
            o.store.instance = instance;
            o.store.data_dir = dir + "/unused";
            auto const r = open_with(o);
            BOOST_TEST(!r.store);
            BOOST_TEST(!!r.ec);
            BOOST_TEST(!r.why.empty());
            BOOST_TEST(!std::filesystem::exists(dir + "/unused"), "data_dir is not used with a database");
        }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_open
