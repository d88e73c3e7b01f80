// SPDX-License-Identifier: BSL-1.0
// lib/store/dead_letter_rows.hpp - the dead_letters table: written by the store, read and replayed offline.
#ifndef CATENA_WEBHOOKS_STORE_DEAD_LETTER_ROWS_HPP
#define CATENA_WEBHOOKS_STORE_DEAD_LETTER_ROWS_HPP

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/event.hpp>

#include "store/sqlite.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/// A dead letter's stored reason as the error reason code it names ("internal" when none).
std::string_view dead_letter_reason(std::string const& stored);

/// The statement write_dead_letter() binds.
extern char const* const dead_letter_insert_sql;

/// Inserts `d` through a prepared dead_letter_insert_sql; false on failure.
bool write_dead_letter(statement& insert, dead_letter const& d, timestamp now);

/** The newest `max` dead letters with their ids, oldest first, from their metadata (each
    body's length, not the body: a listing reads kilobytes however large the bodies are). */
std::vector<stored_dead_letter> list_dead_letters(connection& c, std::size_t max);
/// Dead letter `id` with its body.
std::optional<stored_dead_letter> read_dead_letter(connection& c, std::int64_t id);

/** Puts the delivery behind dead letter `id` back into the inbox (flagged replay) and
    removes the letter, in one transaction; `why` says why not. */
error_code replay_dead_letter(connection& c, std::int64_t id, std::string& why);

} // namespace catena::webhooks::detail

#endif
