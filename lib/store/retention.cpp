// SPDX-License-Identifier: BSL-1.0
// lib/store/retention.cpp - what the SQLite store forgets, and when.
#include "store/retention.hpp"

#include <algorithm>

namespace catena::webhooks::detail {

namespace {

// Each fleet's history beyond the newest `per_fleet` transitions goes (what a
// restart would load anyway), for the fleets given transitions since the last prune:
// one lookup of the cut on the (fleet_key, id) index and a range delete each, in one
// transaction.
void prune_history(connection& w, std::size_t per_fleet, std::set<std::string>& history_touched)
{
    if(history_touched.empty() || !w.exec("BEGIN"))
        return;
    statement d(w.db, per_fleet == 0
                           ? "DELETE FROM transitions WHERE fleet_key = ?1"
                           : "DELETE FROM transitions WHERE fleet_key = ?1 AND id < (SELECT id FROM transitions "
                             "WHERE fleet_key = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    bool ok = static_cast<bool>(d);
    for(auto const& k : history_touched)
    {
        if(!ok)
            break;
        d.bind(1, k);
        if(per_fleet > 0)
            d.bind(2, static_cast<std::int64_t>(per_fleet - 1));
        ok = d.step() == SQLITE_DONE;
        d.reset();
    }
    if(ok && w.exec("COMMIT"))
        history_touched.clear();
    else
        w.exec("ROLLBACK");
}

} // namespace

void prune_old_rows(connection& w, seq_ranges const& processed, retention const& r, timestamp now,
                    std::set<std::string>& history_touched)
{
    // Processed rows received before the cut go, range by range. The newest row always
    // stays: SQLite gives a new row max(seq) + 1, and a sequence must never be reused
    // (a processed range may cover it).
    auto const inbox_cut = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, first_row_at_or_after(w, "inbox", "received_at", now - r.processed)));
    auto const newest = static_cast<std::uint64_t>(std::max<std::int64_t>(0, w.pragma("SELECT max(seq) FROM inbox")));
    auto const below = std::min(inbox_cut, newest);
    statement a(w.db, "DELETE FROM inbox WHERE seq >= ? AND seq <= ?");
    for(auto const& [lo, hi] : processed.all())
    {
        if(!a || lo >= below)
            break;
        a.bind(1, static_cast<std::int64_t>(lo)).bind(2, static_cast<std::int64_t>(std::min(hi, below - 1)));
        a.step();
        a.reset();
    }
    auto const identity_cut = first_row_at_or_after(w, "identities", "seen_at", now - r.identities);
    statement b(w.db, "DELETE FROM identities WHERE id < ?");
    if(b)
    {
        b.bind(1, identity_cut);
        b.step();
    }
    // Identities seen before the retention, by key ranges: those whose own time is older
    // too (nearly all), and those whose time lies implausibly far ahead (a record stamped
    // years ahead would otherwise stay until then). An old identity seen again recently
    // keeps its first sighting's row until both have aged.
    auto const cut = now - r.identities;
    auto const cut_ms = std::chrono::duration_cast<std::chrono::milliseconds>(cut.time_since_epoch()).count();
    auto const ahead_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>((now + std::chrono::hours(24)).time_since_epoch()).count();
    std::pair<char const*, std::int64_t> const ranges[] = {
        {"DELETE FROM identity_keys WHERE at_ms < ? AND seen_at < ?", cut_ms},
        {"DELETE FROM identity_keys WHERE at_ms > ? AND seen_at < ?", ahead_ms}};
    for(auto const& [sql, bound] : ranges)
    {
        statement c(w.db, sql);
        if(!c)
            continue;
        c.bind(1, bound).bind(2, micros(cut));
        c.step();
    }
    statement ops(w.db, "DELETE FROM operations WHERE completed_at < ?");
    if(ops)
    {
        ops.bind(1, micros(now - r.operations));
        ops.step();
    }
    prune_history(w, r.history_per_fleet, history_touched);
}

} // namespace catena::webhooks::detail
