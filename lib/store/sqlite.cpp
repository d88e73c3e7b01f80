// SPDX-License-Identifier: BSL-1.0
// lib/store/sqlite.cpp - opening connections, and the time search over append-ordered tables.
#include "store/sqlite.hpp"

#include "store/coalescing_vfs.hpp"

namespace catena::webhooks::detail {

error_code open_connection(connection& c, std::string const& path, int flags, std::string& why)
{
    if(sqlite3_open_v2(path.c_str(), &c.db, flags | SQLITE_OPEN_NOMUTEX, coalescing_vfs()) != SQLITE_OK)
    {
        why = "cannot open " + path + ": " + c.message();
        return error::store_failure;
    }
    sqlite3_extended_result_codes(c.db, 1);
    return {};
}

std::int64_t first_row_at_or_after(connection& c, char const* table, char const* time_column, timestamp t)
{
    auto const sql_bounds = std::string("SELECT coalesce(min(rowid), 0), coalesce(max(rowid), 0) FROM ") + table;
    auto const sql_probe =
        std::string("SELECT rowid, ") + time_column + " FROM " + table + " WHERE rowid >= ? ORDER BY rowid LIMIT 1";
    statement bounds(c.db, sql_bounds.c_str());
    statement probe(c.db, sql_probe.c_str());
    if(!bounds || !probe || bounds.step() != SQLITE_ROW)
        return 0;
    std::int64_t lo = bounds.integer(0), hi = bounds.integer(1) + 1;
    while(lo < hi)
    {
        auto const mid = lo + (hi - lo) / 2;
        probe.bind(1, mid);
        if(probe.step() != SQLITE_ROW)
        {
            probe.reset();
            hi = mid;
            continue;
        }
        auto const id = probe.integer(0);
        auto const at = from_micros(probe.integer(1));
        probe.reset();
        if(at < t)
            lo = id + 1;
        else
            hi = mid;
    }
    return lo;
}

} // namespace catena::webhooks::detail
