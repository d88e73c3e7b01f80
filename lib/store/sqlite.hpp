// SPDX-License-Identifier: BSL-1.0
// lib/store/sqlite.hpp - RAII handles of SQLite: a connection and its prepared statements.
#ifndef CATENA_WEBHOOKS_STORE_SQLITE_HPP
#define CATENA_WEBHOOKS_STORE_SQLITE_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace catena::webhooks::detail {

/// Times are stored as microseconds since the epoch.
inline std::int64_t micros(timestamp t) noexcept { return t.time_since_epoch().count(); }
inline timestamp from_micros(std::int64_t v) noexcept { return timestamp{std::chrono::microseconds(v)}; }

/** A prepared statement (persistent), reset by its user after each use. */
class statement
{
public:
    statement() = default;
    statement(sqlite3* db, char const* sql)
    {
        if(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
            s_ = nullptr;
    }
    ~statement() { sqlite3_finalize(s_); }
    statement(statement&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    statement& operator=(statement&& o) noexcept
    {
        std::swap(s_, o.s_);
        return *this;
    }
    explicit operator bool() const noexcept { return s_ != nullptr; }

    statement& bind(int i, std::int64_t v)
    {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    statement& bind(int i, std::string_view v)
    {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        return *this;
    }
    statement& bind_blob(int i, void const* p, std::size_t n)
    {
        sqlite3_bind_blob(s_, i, p, static_cast<int>(n), SQLITE_STATIC);
        return *this;
    }
    int step() { return sqlite3_step(s_); }
    void reset()
    {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }
    std::string text(int i) const
    {
        auto const* p = reinterpret_cast<char const*>(sqlite3_column_blob(s_, i));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string();
    }
    std::size_t bytes(int i) const { return static_cast<std::size_t>(sqlite3_column_bytes(s_, i)); }
    void const* blob(int i) const { return sqlite3_column_blob(s_, i); }

private:
    sqlite3_stmt* s_ = nullptr;
};

/** A connection, closed when destroyed. */
struct connection
{
    sqlite3* db = nullptr;
    connection() = default;
    connection(connection const&) = delete;
    connection& operator=(connection const&) = delete;
    ~connection() { sqlite3_close_v2(db); }
    bool exec(char const* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
    std::string message() const { return db ? sqlite3_errmsg(db) : "out of memory"; }
    /// The first column of the first row of `sql`, or -1.
    std::int64_t pragma(char const* sql)
    {
        statement s(db, sql);
        if(!s || s.step() != SQLITE_ROW)
            return -1;
        return s.integer(0);
    }
};

/** Opens `path` through the coalescing VFS (see coalescing_vfs.hpp), extended result codes
    on; on failure `why` says so in one line. */
error_code open_connection(connection& c, std::string const& path, int flags, std::string& why);

/** The first row id of `table` whose `time_column` is at or after `t`, by a binary search
    on the row id: rows appended in time order need no index on the time column (one that
    would cost a page write in every commit). */
std::int64_t first_row_at_or_after(connection& c, char const* table, char const* time_column, timestamp t);

} // namespace catena::webhooks::detail

#endif
