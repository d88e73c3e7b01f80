// SPDX-License-Identifier: BSL-1.0
// lib/store/pg_schema.hpp - the PostgreSQL store's tables: created, upgraded, and the dead letters read offline.
#ifndef CATENA_WEBHOOKS_STORE_PG_SCHEMA_HPP
#define CATENA_WEBHOOKS_STORE_PG_SCHEMA_HPP

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/error.hpp>

#include "state/codec.hpp"
#include "store/pg.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/// The schema this build writes (catena_meta.schema_version).
constexpr int pg_schema_version = 1;

/// The advisory lock key of the leader: whoever holds it processes the shared inbox.
constexpr std::int64_t pg_leader_lock = 0x43415445'4c454144; // "CATELEAD"

/// The channel every append transaction notifies: the leader takes what was kept.
constexpr char const* pg_inbox_channel = "catena_inbox";

/** Creates the tables in a database that has none, upgrades an older schema (each upgrade
    in the transaction that records the new version), or refuses: a database with tables of
    something else (error::store_not_ours) or a newer schema (error::store_newer_schema) is
    left untouched. Receivers starting together serialize on a transaction-scoped advisory
    lock. `where` names the database in `why`. */
error_code open_pg_schema(pg_connection& c, std::string const& where, std::string& why);

/// `{1,2,3}`: an int8[] literal.
std::string pg_int_array(std::vector<std::int64_t> const& v);
/// `{"a","b\"c"}`: a text[] literal.
std::string pg_text_array(std::vector<std::string_view> const& v);

/// The inbox's unprocessed rows: how many, their bytes (each counted with an entry's size, as
/// the backlog bound counts them) and the oldest one's received_at (microseconds, 0 for none).
struct pg_backlog
{
    std::size_t entries = 0;
    std::size_t bytes = 0;
    std::int64_t oldest_micros = 0;
};
bool pg_count_backlog(pg_connection& c, pg_backlog& b);

/** The fleets and each one's newest `history_per_fleet` transitions as of one commit: read in
    one snapshot, else a commit between the two reads gives snapshots older than their histories. */
bool pg_load_state(pg_connection& c, std::size_t history_per_fleet, std::vector<fleet_capture>& fleets,
                   std::vector<transition>& transitions);

/// The newest `max` dead letters with their ids, oldest first, without their bodies (their lengths).
std::vector<stored_dead_letter> pg_list_dead_letters(pg_connection& c, std::size_t max);
/// Dead letter `id` with its body.
std::optional<stored_dead_letter> pg_read_dead_letter(pg_connection& c, std::int64_t id);

/** Puts the delivery behind dead letter `id` back into the shared inbox (flagged replay) and
    removes the letter, in one transaction; the leader processes it. `why` says why not. */
error_code pg_replay_dead_letter(pg_connection& c, std::int64_t id, std::string& why);

} // namespace catena::webhooks::detail

#endif
