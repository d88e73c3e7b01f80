// SPDX-License-Identifier: BSL-1.0
// test/unit/coalescing_vfs.cpp - WAL writes gathered per transaction, never behind a commit.
#include "store/coalescing_vfs.hpp"

#include "tls_material.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace {

namespace tst = catena::webhooks::test;
namespace fs = std::filesystem;
using catena::webhooks::detail::coalescing_vfs;
using catena::webhooks::detail::coalescing_vfs_counts;

struct db
{
    sqlite3* h = nullptr;
    db(std::string const& path, char const* vfs)
    {
        BOOST_REQUIRE(sqlite3_open_v2(path.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) == SQLITE_OK);
        sqlite3_busy_timeout(h, 5000);
    }
    ~db() { sqlite3_close_v2(h); }
    db(db const&) = delete;
    db& operator=(db const&) = delete;

    int exec(std::string const& sql) { return sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr); }
    std::int64_t value(std::string const& sql)
    {
        sqlite3_stmt* s = nullptr;
        BOOST_REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        std::int64_t v = -1;
        if(sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return v;
    }
    std::string text(std::string const& sql)
    {
        sqlite3_stmt* s = nullptr;
        BOOST_REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        std::string v;
        if(sqlite3_step(s) == SQLITE_ROW)
            v = reinterpret_cast<char const*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        return v;
    }
};

// Inserts `rows` rows of `bytes` random bytes each in one transaction.
void insert(db& d, int rows, int bytes)
{
    BOOST_REQUIRE(d.exec("BEGIN IMMEDIATE") == SQLITE_OK);
    for(int i = 0; i < rows; ++i)
        BOOST_REQUIRE(d.exec("INSERT INTO t(b) VALUES(randomblob(" + std::to_string(bytes) + "))") == SQLITE_OK);
    BOOST_REQUIRE(d.exec("COMMIT") == SQLITE_OK);
}

} // namespace

BOOST_AUTO_TEST_SUITE(coalescing_vfs_)

BOOST_AUTO_TEST_CASE(every_commit_is_whole_for_another_connection_whatever_its_size)
{
    auto const dir = tst::make_temp_dir("vfs");
    auto const path = dir + "/t.db";
    BOOST_REQUIRE(coalescing_vfs() != nullptr);
    db writer(path, coalescing_vfs());
    BOOST_REQUIRE(writer.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; "
                              "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)") == SQLITE_OK);
    db reader(path, nullptr); // the default VFS: reads only what is in the files
    auto const before = coalescing_vfs_counts();
    std::int64_t rows = 0, bytes = 0;
    // One page, a few pages, past what one write may carry (120 KiB), past a MiB.
    for(auto [n, size] : {std::pair{1, 100}, {17, 600}, {60, 3000}, {400, 4000}, {3, 200}})
    {
        insert(writer, n, size);
        rows += n;
        bytes += std::int64_t{n} * size;
        BOOST_TEST(reader.value("SELECT count(*) FROM t") == rows);
        BOOST_TEST(reader.value("SELECT sum(length(b)) FROM t") == bytes);
    }
    // A checkpoint reads the WAL back through the default VFS and copies it into the file.
    BOOST_TEST(reader.exec("PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
    insert(writer, 5, 5000); // the log starts again from its header
    rows += 5;
    BOOST_TEST(reader.value("SELECT count(*) FROM t") == rows);
    BOOST_TEST(reader.text("PRAGMA integrity_check") == "ok");
    auto const after = coalescing_vfs_counts();
    // Two writes a frame came in; far fewer went out.
    BOOST_TEST(after.received - before.received > 200u);
    BOOST_TEST((after.issued - before.issued) * 10 < after.received - before.received);
}

BOOST_AUTO_TEST_CASE(a_commit_is_in_the_files_when_it_returns_and_a_failed_one_is_not)
{
    auto const dir = tst::make_temp_dir("vfs");
    auto const path = dir + "/t.db";
    auto const copy = dir + "/copy";
    fs::create_directories(copy);
    {
        db writer(path, coalescing_vfs());
        BOOST_REQUIRE(writer.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; "
                                  "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB, u TEXT UNIQUE)") == SQLITE_OK);
        for(int i = 0; i < 20; ++i)
            insert(writer, 10, 700);
        // A transaction that fails after writing pages, then rolls back: its frames never count.
        BOOST_REQUIRE(writer.exec("BEGIN IMMEDIATE") == SQLITE_OK);
        BOOST_REQUIRE(writer.exec("INSERT INTO t(b, u) VALUES(randomblob(90000), 'same')") == SQLITE_OK);
        BOOST_TEST(writer.exec("INSERT INTO t(b, u) VALUES(randomblob(10), 'same')") == SQLITE_CONSTRAINT);
        BOOST_REQUIRE(writer.exec("ROLLBACK") == SQLITE_OK);
        insert(writer, 1, 100);
        // The process dies here: the files as they are now, nothing closed or synced.
        for(auto const* suffix : {"", "-wal"})
            fs::copy_file(path + suffix, copy + "/t.db" + suffix);
    }
    db after(copy + "/t.db", nullptr);
    BOOST_TEST(after.value("SELECT count(*) FROM t") == 201);
    BOOST_TEST(after.value("SELECT count(*) FROM t WHERE u = 'same'") == 0);
    BOOST_TEST(after.text("PRAGMA integrity_check") == "ok");
}

BOOST_AUTO_TEST_SUITE_END()
