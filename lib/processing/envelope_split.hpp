// SPDX-License-Identifier: BSL-1.0
// lib/processing/envelope_split.hpp - a large envelope as a series of smaller ones, so that no delivery is parsed as one tree.
#ifndef CATENA_WEBHOOKS_PROCESSING_ENVELOPE_SPLIT_HPP
#define CATENA_WEBHOOKS_PROCESSING_ENVELOPE_SPLIT_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace catena::webhooks::detail {

/** Where an envelope's parts lie in its text: its members other than `data`, and each
    element of `data[]`. Found by scanning the text (strings, escapes, nesting), not by
    parsing it: nothing is built. */
struct envelope_layout
{
    std::string members;                                   ///< The other top-level members, as "k":v,...
    std::vector<std::pair<std::size_t, std::size_t>> records; ///< Offset and length of each element of data[].
};

/** The layout of `body`, or nothing when it is not one JSON object with exactly one `data`
    array (then it is parsed whole, and the parser names what is wrong). A layout found here
    says nothing of whether the values are valid JSON: the parse of each piece does. */
std::optional<envelope_layout> scan_envelope(std::string_view body);

/** An envelope of its own for records [first, first + count) of `body`: the other members,
    then `"data":[...]`. */
std::string envelope_piece(envelope_layout const& l, std::string_view body, std::size_t first, std::size_t count);

/** How many records, from `first`, make a piece of about `max_bytes` of record text (at least one). */
std::size_t records_in_piece(envelope_layout const& l, std::size_t first, std::size_t max_bytes);

} // namespace catena::webhooks::detail

#endif
