// SPDX-License-Identifier: BSL-1.0
// test/unit/coalescing_vfs.cpp - WAL writes gathered per transaction, never behind a commit.
#include "store/coalescing_vfs.hpp"

#include "disk_faults.hpp"
#include "tls_material.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace unit_coalescing_vfs { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
namespace fs = std::filesystem;
using fault = tst::disk_faults::fault;
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

// The files as a process dying now leaves them, opened by SQLite alone (the default VFS): the
// rows `t` holds, or -1 if the copy is not whole.
std::int64_t rows_after_a_crash(std::string const& path, std::initializer_list<char const*> suffixes = {"", "-wal"})
{
    auto const copy = tst::make_temp_dir("vfs-copy") + "/t.db";
    for(auto const* suffix : suffixes)
        if(fs::exists(path + suffix))
            fs::copy_file(path + suffix, copy + suffix);
    db d(copy, nullptr);
    if(d.text("PRAGMA integrity_check") != "ok")
        return -1;
    return d.value("SELECT count(*) FROM t");
}

// A writer through the coalescing VFS on a new file, with `transactions` of 10 rows committed.
std::unique_ptr<db> writer_with(std::string const& path, int transactions)
{
    auto w = std::make_unique<db>(path, coalescing_vfs());
    BOOST_REQUIRE(w->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; "
                          "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)") == SQLITE_OK);
    for(int i = 0; i < transactions; ++i)
        insert(*w, 10, 700);
    return w;
}

// The WAL file as SQLite holds it, opened through the coalescing VFS and driven by hand: the
// calls SQLite makes on a WAL, and those it never makes on one (locks, shared memory, maps),
// which the VFS forwards all the same.
struct wal_by_hand
{
    std::string db_path, path;
    sqlite3_vfs* vfs = sqlite3_vfs_find(coalescing_vfs());
    std::vector<std::max_align_t> mem;
    sqlite3_file* f = nullptr;

    explicit wal_by_hand(std::string const& dir) : db_path(dir + "/t.db"), path(db_path + "-wal")
    {
        BOOST_REQUIRE(vfs);
        std::FILE* db = std::fopen(db_path.c_str(), "wb"); // the unix VFS takes the WAL's mode from it
        BOOST_REQUIRE(db);
        std::fclose(db);
        mem.resize(static_cast<std::size_t>(vfs->szOsFile) / sizeof(std::max_align_t) + 1);
        f = reinterpret_cast<sqlite3_file*>(mem.data());
        int out = 0;
        BOOST_REQUIRE(vfs->xOpen(vfs, path.c_str(), f, SQLITE_OPEN_WAL | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE,
                                 &out) == SQLITE_OK);
    }
    ~wal_by_hand()
    {
        if(f->pMethods)
            f->pMethods->xClose(f);
    }
    sqlite3_io_methods const& m() const { return *f->pMethods; }
    std::uintmax_t on_disk() const { return fs::file_size(path); }

    // A frame that commits nothing: gathered, not written.
    void gather_frame(sqlite3_int64 at)
    {
        unsigned char header[24] = {};
        std::vector<unsigned char> page(4096, 0xab);
        BOOST_REQUIRE(m().xWrite(f, header, 24, at) == SQLITE_OK);
        BOOST_REQUIRE(m().xWrite(f, page.data(), 4096, at + 24) == SQLITE_OK);
    }
};

char const* name_of(fault f) { return tst::disk_faults::name(f); }

} // namespace

BOOST_AUTO_TEST_SUITE(coalescing_vfs_)

// A transaction of 400 pages is gathered into about 14 writes of the WAL; whichever of them
// fails (the first, the third, the last: the commit frame's), the transaction fails with the
// error SQLite makes of the disk's, and every transaction before it stays whole, for this
// connection, for another, and in the files a crash would leave. The next transaction works.
BOOST_AUTO_TEST_CASE(a_failed_wal_write_fails_its_transaction_and_no_other)
{
    for(auto f : {fault::eio, fault::enospc, fault::torn})
        for(std::uint64_t skip : {0, 2, 13})
            BOOST_TEST_CONTEXT(name_of(f) << " at write " << skip)
            {
                auto const path = tst::make_temp_dir("vfs") + "/t.db";
                tst::disk_faults faults;
                auto w = writer_with(path, 5);
                db reader(path, nullptr);
                faults.arm({"-wal", f, skip, 1});
                int rc = w->exec("BEGIN IMMEDIATE");
                for(int i = 0; i < 400 && rc == SQLITE_OK; ++i)
                    rc = w->exec("INSERT INTO t(b) VALUES(randomblob(4000))");
                if(rc == SQLITE_OK)
                    rc = w->exec("COMMIT");
                auto const writes = faults.writes();
                faults.disarm();
                BOOST_TEST(faults.faults() == 1u);
                BOOST_TEST(writes > skip);
                BOOST_TEST((rc & 0xff) == (f == fault::eio ? SQLITE_IOERR : SQLITE_FULL), "rc " << rc);
                if(!sqlite3_get_autocommit(w->h))
                    BOOST_TEST(w->exec("ROLLBACK") == SQLITE_OK);
                BOOST_TEST(w->value("SELECT count(*) FROM t") == 50);
                BOOST_TEST(reader.value("SELECT count(*) FROM t") == 50);
                BOOST_TEST(rows_after_a_crash(path) == 50);
                insert(*w, 10, 700);
                BOOST_TEST(reader.value("SELECT count(*) FROM t") == 60);
                BOOST_TEST(rows_after_a_crash(path) == 60);
                BOOST_TEST(reader.text("PRAGMA integrity_check") == "ok");
            }
}

// A write the disk takes only part of is written to the end by SQLite (its unix VFS writes
// the rest): however often it happens, nothing fails and nothing is missing.
BOOST_AUTO_TEST_CASE(short_wal_writes_are_completed)
{
    auto const path = tst::make_temp_dir("vfs") + "/t.db";
    tst::disk_faults faults;
    auto w = writer_with(path, 5);
    faults.arm({"-wal", fault::short_write});
    insert(*w, 400, 4000);
    insert(*w, 1, 10);
    faults.disarm();
    BOOST_TEST(faults.faults() > 14u);
    BOOST_TEST(w->value("SELECT count(*) FROM t") == 451);
    BOOST_TEST(rows_after_a_crash(path) == 451);
}

// A checkpoint copies the WAL into the database file: when that write fails, the WAL still
// holds every commit, and the next checkpoint completes the copy.
BOOST_AUTO_TEST_CASE(a_failed_checkpoint_write_loses_nothing)
{
    for(auto f : {fault::eio, fault::enospc, fault::torn})
        for(std::uint64_t skip : {0, 3})
            BOOST_TEST_CONTEXT(name_of(f) << " at write " << skip)
            {
                auto const path = tst::make_temp_dir("vfs") + "/t.db";
                tst::disk_faults faults;
                auto w = writer_with(path, 5);
                insert(*w, 100, 3000);
                faults.arm({".db", f, skip, 1});
                BOOST_TEST(w->exec("PRAGMA wal_checkpoint(TRUNCATE)") != SQLITE_OK);
                faults.disarm();
                BOOST_TEST(faults.faults() == 1u);
                BOOST_TEST(w->value("SELECT count(*) FROM t") == 150);
                BOOST_TEST(rows_after_a_crash(path) == 150);
                insert(*w, 10, 700);
                BOOST_TEST(rows_after_a_crash(path) == 160);
                BOOST_TEST(w->exec("PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
                // Everything is in the database file now.
                BOOST_TEST(rows_after_a_crash(path, {""}) == 160);
            }
}

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

// Gathered bytes are written before anything else is done with the file, so that nothing,
// not even this connection, ever reads around them; and when that write fails, the call that
// issued it fails with it.
BOOST_AUTO_TEST_CASE(every_other_call_on_the_wal_writes_what_is_gathered_first_or_fails_with_it)
{
    auto const dir = tst::make_temp_dir("vfs-wal");
    wal_by_hand w(dir);
    unsigned char header[32] = {};
    BOOST_REQUIRE(w.m().xWrite(w.f, header, 32, 0) == SQLITE_OK);
    w.gather_frame(32);
    BOOST_TEST(w.on_disk() == 0u); // all gathered
    sqlite3_int64 end = 32 + 4120;
    using call = std::function<int()>;
    std::vector<std::pair<char const*, call>> const calls = {
        {"xFileSize", [&] {
             sqlite3_int64 size = 0;
             int const rc = w.m().xFileSize(w.f, &size);
             return rc != SQLITE_OK ? rc : size == end ? SQLITE_OK : SQLITE_ERROR;
         }},
        {"xRead", [&] { std::vector<unsigned char> b(4096); return w.m().xRead(w.f, b.data(), 4096, end - 4096); }},
        {"xSync", [&] { return w.m().xSync(w.f, SQLITE_SYNC_NORMAL); }},
        {"xLock", [&] { return w.m().xLock(w.f, SQLITE_LOCK_SHARED); }},
        {"xUnlock", [&] { return w.m().xUnlock(w.f, SQLITE_LOCK_NONE); }},
        {"xFileControl", [&] { int v = -1; int rc = w.m().xFileControl(w.f, SQLITE_FCNTL_PERSIST_WAL, &v); return rc == SQLITE_NOTFOUND ? SQLITE_OK : rc; }},
        {"xFetch", [&] { void* p = nullptr; int rc = w.m().xFetch(w.f, 0, 4096, &p); if(p) w.m().xUnfetch(w.f, 0, p); return rc; }},
        {"xTruncate", [&] { return w.m().xTruncate(w.f, end); }},
    };
    for(auto const& [name, c] : calls)
        BOOST_TEST_CONTEXT(name)
        {
            w.gather_frame(end);
            BOOST_TEST(w.on_disk() <= static_cast<std::uintmax_t>(end)); // the new frame is not
            end += 4120;
            BOOST_TEST(c() == SQLITE_OK);
            BOOST_TEST(w.on_disk() == static_cast<std::uintmax_t>(end), "the gathered frame is not on disk");
        }
    // Forwarded as they are: what SQLite asks of a WAL file and what it never does.
    int reserved = -1;
    BOOST_TEST(w.m().xCheckReservedLock(w.f, &reserved) == SQLITE_OK);
    BOOST_TEST(w.m().xSectorSize(w.f) > 0);
    (void)w.m().xDeviceCharacteristics(w.f);
    // A WAL file has no shared memory (the unix VFS opens it without locking, and its methods
    // for such a file have no xShmMap: SQLite never maps a WAL, so neither does this test).
    w.m().xShmBarrier(w.f);
    BOOST_TEST(w.m().xShmUnmap(w.f, 0) == SQLITE_OK);
    BOOST_TEST(w.m().xShmLock(w.f, 0, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED) != SQLITE_OK);

    // The same calls when the write of what is gathered fails: the call fails with it.
    tst::disk_faults faults;
    for(auto const& [name, c] : calls)
        BOOST_TEST_CONTEXT(name << " after a failed write")
        {
            w.gather_frame(end);
            faults.arm({"-wal", fault::eio});
            BOOST_TEST(c() == SQLITE_IOERR_WRITE);
            faults.disarm();
            BOOST_TEST(w.on_disk() == static_cast<std::uintmax_t>(end)); // the frame is gone
        }
    // A write elsewhere than where the gathered bytes end, and one larger than a gathered
    // write may be (120 KiB; under the 128 KiB the unix VFS writes in one call, which SQLite,
    // whose pages are 64 KiB at most, never comes near): what is gathered goes first, and
    // fails the write when it fails.
    for(sqlite3_int64 at : {sqlite3_int64{32}, end})
        BOOST_TEST_CONTEXT("a write at " << at)
        {
            w.gather_frame(end);
            std::vector<unsigned char> big(125 << 10, 0xcd);
            faults.arm({"-wal", fault::eio});
            auto const* p = at == end ? big.data() : header;
            int const n = at == end ? static_cast<int>(big.size()) : 24;
            BOOST_TEST(w.m().xWrite(w.f, p, n, at == end ? end + 4120 : at) == SQLITE_IOERR_WRITE);
            faults.disarm();
        }
    std::vector<unsigned char> big(125 << 10, 0xcd);
    BOOST_TEST(w.m().xWrite(w.f, big.data(), static_cast<int>(big.size()), end) == SQLITE_OK);
    BOOST_TEST(w.on_disk() == static_cast<std::uintmax_t>(end) + big.size()); // written at once
    faults.arm({"-wal", fault::eio});
    BOOST_TEST(w.m().xWrite(w.f, big.data(), static_cast<int>(big.size()), end) == SQLITE_IOERR_WRITE);
    faults.disarm();
    // Closing writes what is gathered, and says when it could not.
    w.gather_frame(end + static_cast<sqlite3_int64>(big.size()));
    faults.arm({"-wal", fault::eio});
    BOOST_TEST(w.m().xClose(w.f) == SQLITE_IOERR_WRITE);
    w.f->pMethods = nullptr;
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_coalescing_vfs
