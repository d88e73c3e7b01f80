// SPDX-License-Identifier: BSL-1.0
// lib/processing/decode.hpp - the records of a parsed envelope as events.
#ifndef CATENA_WEBHOOKS_PROCESSING_DECODE_HPP
#define CATENA_WEBHOOKS_PROCESSING_DECODE_HPP

#include <catena/webhooks/envelope.hpp>
#include <catena/webhooks/event.hpp>

#include "store/inbox_entry.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** The event of record `i` of `env`, parsed from the kept delivery `e`: names, ids, times
    and the delivery's attempt and sequence. The record's fields are not moved in yet (see
    envelope::take_fields), nor is its idempotency key set. A connection record is the
    connection: its id is the event's connection id. */
event decode_record(envelope const& env, record const& r, std::size_t i, inbox_entry const& e);

/** For each record, how many records before it in the same envelope have its id: an id that
    repeats within one envelope gets its occurrence number, so that every record keeps an
    identity of its own. Only envelopes with an id need it (without one, the content tells
    records apart). */
void count_repeats(std::span<record const> records, bool envelope_has_id, std::vector<std::size_t>& out);

/** The same for one piece of an envelope parsed in pieces: `seen` carries the count of each
    id over the pieces before, so that repeats are numbered as in a whole parse. */
void count_repeats(std::span<record const> records, bool envelope_has_id, std::vector<std::size_t>& out,
                   std::unordered_map<std::string, std::size_t>& seen);

} // namespace catena::webhooks::detail

#endif
