// SPDX-License-Identifier: BSL-1.0
// lib/store/pg.hpp - RAII handles of libpq: a connection, its results, and parameters in binary.
#ifndef CATENA_WEBHOOKS_STORE_PG_HPP
#define CATENA_WEBHOOKS_STORE_PG_HPP

#include "store/conninfo.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <optional>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace catena::webhooks::detail {

/** A query's result, cleared when destroyed. Columns are read as the query asked for them:
    binary (integers in network order, text and bytea as their bytes) or text. */
class pg_result
{
public:
    pg_result() = default;
    explicit pg_result(PGresult* r) noexcept : r_(r) {}
    ~pg_result() { PQclear(r_); }
    pg_result(pg_result&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    pg_result& operator=(pg_result&& o) noexcept
    {
        std::swap(r_, o.r_);
        return *this;
    }

    /// The command or query succeeded.
    bool ok() const noexcept
    {
        auto const s = PQresultStatus(r_);
        return r_ && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
    }
    int rows() const noexcept { return r_ ? PQntuples(r_) : 0; }
    /// Rows an INSERT, UPDATE or DELETE touched.
    std::int64_t affected() const;
    bool null(int row, int col) const noexcept { return PQgetisnull(r_, row, col) != 0; }
    std::string_view bytes(int row, int col) const noexcept
    {
        return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
    }
    std::string text(int row, int col) const { return std::string(bytes(row, col)); }
    /// A binary int8, int4 or int2 column (0 for NULL).
    std::int64_t integer(int row, int col) const noexcept;
    /// A text-format integer column (0 for NULL).
    std::int64_t text_integer(int row, int col) const noexcept;
    bool boolean(int row, int col) const noexcept { return !null(row, col) && bytes(row, col) == std::string_view("\1", 1); }
    /// The SQLSTATE of a failure ("" when none).
    std::string state() const;

private:
    PGresult* r_ = nullptr;
};

/** Parameters of one query, each sent in binary: int8 in network order, text and bytea as
    their bytes. The values are copied (they may be temporaries). */
class pg_params
{
public:
    pg_params& integer(std::int64_t v);
    pg_params& text(std::string_view v);
    pg_params& bytes(void const* p, std::size_t n);
    pg_params& boolean(bool v);
    pg_params& null();
    /// A value in PostgreSQL's text form (an array literal, say), for the server to parse.
    pg_params& literal(std::string_view v);
    std::size_t size() const noexcept { return lengths_.size(); }

private:
    friend class pg_connection;
    void finish() const;

    std::vector<std::string> values_;
    std::vector<int> lengths_, formats_;
    std::vector<bool> nulls_;
    mutable std::vector<char const*> pointers_;
};

/** A connection's settings as libpq's keyword and value arrays (PQconnectdbParams): what the
    user gave, parsed by libpq itself (PQconninfoParse: a keyword string or a URI), and what a
    receiver adds. Nothing is quoted into a string, so no value (an instance name with a
    quote in it) can add a keyword of its own. */
class pg_conninfo
{
public:
    /** `conninfo` parsed, with what a receiver needs of every session where the user set
        nothing: a connect timeout, TCP keepalives at both ends (a dead peer is noticed in
        seconds) and `application` as the application name. Nothing, with `why`, when libpq
        cannot parse it. */
    static std::optional<pg_conninfo> for_session(std::string const& conninfo, std::string const& application,
                                                  std::string& why);
    /// A new session with these settings (PQconnectdbParams).
    PGconn* connect() const;
    /// The value of `keyword` ("" when unset).
    std::string get(std::string_view keyword) const;

private:
    void set(std::string keyword, std::string value);

    std::vector<std::string> keywords_, values_;
};

/** One libpq connection, used by one thread at a time. Statements named in exec_prepared()
    are prepared once per session (again after a reconnect). Counts its round trips and
    failures for the metrics. */
class pg_connection
{
public:
    pg_connection() = default;
    pg_connection(pg_connection const&) = delete;
    pg_connection& operator=(pg_connection const&) = delete;
    ~pg_connection() { PQfinish(c_); }

    /// Connects with `conninfo` (a keyword string or a URI); `why` says why not in one line.
    bool open(std::string const& conninfo, std::string& why);
    bool open(pg_conninfo conninfo, std::string& why);
    /// Whether the session is up (as of the last call that used it).
    bool healthy() const noexcept { return c_ && PQstatus(c_) == CONNECTION_OK; }
    /// Connects again once the session is gone; true when it is up (again).
    bool ensure();
    /// Closes the session (the server releases its session locks).
    void close();
    PGconn* native() const noexcept { return c_; }

    pg_result exec(char const* sql);
    /// With results in binary (`binary_results`) or text.
    pg_result exec(char const* sql, pg_params const& p, bool binary_results = true);
    pg_result exec_prepared(char const* name, char const* sql, pg_params const& p, bool binary_results = true);
    /// The last error as one line.
    std::string message() const;

    /// Round trips and failures of every connection of the process (metrics).
    static std::uint64_t round_trips() noexcept { return round_trips_.load(std::memory_order_relaxed); }
    static std::uint64_t failures() noexcept { return failures_.load(std::memory_order_relaxed); }

private:
    pg_result counted(PGresult* r);

    void connect();

    PGconn* c_ = nullptr;
    std::optional<pg_conninfo> conninfo_;
    std::set<std::string> prepared_;
    inline static std::atomic<std::uint64_t> round_trips_{0}, failures_{0};
};

} // namespace catena::webhooks::detail

#endif
