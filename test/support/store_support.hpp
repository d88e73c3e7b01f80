// SPDX-License-Identifier: BSL-1.0
// test/support/store_support.hpp - what the store tests share: an entry, an append that waits, a SQLite store, its WAL's rewinds.
#ifndef CATENA_WEBHOOKS_TEST_STORE_SUPPORT_HPP
#define CATENA_WEBHOOKS_TEST_STORE_SUPPORT_HPP

#include "store/sqlite_store.hpp"
#include "store/store.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <utility>

namespace catena::webhooks::test {

/// The store tests' clock: every entry is sent and received then.
inline timestamp const t0{std::chrono::seconds(1'764'000'000)};

inline detail::inbox_entry entry(std::string request_id, std::string body = R"({"x":1})")
{
    detail::inbox_entry e;
    e.body = std::move(body);
    e.webhook_id = "wh-1";
    e.request_id = std::move(request_id);
    e.event_type = "vehicle.added";
    e.delivery_attempt = 2;
    e.sent_at = t0;
    e.received_at = t0;
    return e;
}

/// Appends and waits for the answer.
inline std::pair<detail::append_status, std::uint64_t> append(detail::store& s, detail::inbox_entry e)
{
    std::promise<std::pair<detail::append_status, std::uint64_t>> p;
    auto f = p.get_future();
    s.append(std::move(e), t0, [&p](detail::append_status st, std::uint64_t seq, error_code) { p.set_value({st, seq}); });
    BOOST_REQUIRE((f.wait_for(std::chrono::seconds(5)) == std::future_status::ready));
    return f.get();
}

/// A SQLite store in `dir`, not recovered yet.
inline std::unique_ptr<detail::store> open_sqlite(std::string const& dir, detail::store_limits l)
{
    detail::sqlite_options o;
    o.path = dir + "/store.db";
    error_code ec;
    std::string why;
    auto s = detail::make_sqlite_store(o, l, ec, why);
    BOOST_REQUIRE_MESSAGE(s, why);
    return s;
}

/// Opens the SQLite store `o` describes and takes back what it holds (into `r` when given).
inline std::unique_ptr<detail::store> open_recovered(detail::sqlite_options const& o, detail::store_limits l = {},
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

/// The WAL header's checkpoint sequence number (bytes 12 to 15, big-endian): SQLite adds one
/// each time it rewinds the WAL to its start. 0 without a WAL.
inline std::uint32_t wal_rewinds(std::string const& wal)
{
    std::ifstream in(wal, std::ios::binary);
    unsigned char h[16] = {};
    if(!in.read(reinterpret_cast<char*>(h), sizeof h))
        return 0;
    return std::uint32_t{h[12]} << 24 | std::uint32_t{h[13]} << 16 | std::uint32_t{h[14]} << 8 | h[15];
}

/// The first column of the first row `sql` gives on `db`; empty when it gives none.
inline std::string sql_value(sqlite3* db, char const* sql)
{
    sqlite3_stmt* st = nullptr;
    std::string v;
    if(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        if(auto const* text = sqlite3_column_text(st, 0))
            v = reinterpret_cast<char const*>(text);
    sqlite3_finalize(st);
    return v;
}

} // namespace catena::webhooks::test

#endif
