// SPDX-License-Identifier: BSL-1.0
// lib/store/retention.hpp - what the SQLite store forgets, and when.
#ifndef CATENA_WEBHOOKS_STORE_RETENTION_HPP
#define CATENA_WEBHOOKS_STORE_RETENTION_HPP

#include "store/seq_ranges.hpp"
#include "store/sqlite.hpp"

#include <chrono>
#include <cstddef>
#include <set>
#include <string>

namespace catena::webhooks::detail {

/** How long each kind of row is kept. */
struct retention
{
    std::chrono::seconds processed;   ///< Processed inbox rows, after they were received.
    std::chrono::seconds identities;  ///< Event identities, after they were seen.
    std::chrono::seconds operations;  ///< Operation outcomes, after they were completed.
    std::size_t history_per_fleet;    ///< Transitions kept per fleet (what a restart loads).
};

/** Deletes what is past its retention: processed inbox rows (never the newest row, whose
    sequence SQLite would otherwise reuse), identities, operation outcomes, and the history of
    the fleets in `history_touched` beyond its newest transitions (which it then clears). On
    the writer's connection, between transactions. */
void prune_old_rows(connection& w, seq_ranges const& processed, retention const& r, timestamp now,
                    std::set<std::string>& history_touched);

} // namespace catena::webhooks::detail

#endif
