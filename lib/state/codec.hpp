// SPDX-License-Identifier: BSL-1.0
// lib/state/codec.hpp - a fleet's state and its transitions, and their stored form (JSON documents).
#ifndef CATENA_WEBHOOKS_STATE_CODEC_HPP
#define CATENA_WEBHOOKS_STATE_CODEC_HPP

#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/operation.hpp>

#include "state/release_order.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace catena::webhooks::detail {

/** A fleet's state as of one moment, copied cheaply by processing and encoded by the store
    when it writes (only the last of several captures of one fleet is ever encoded). */
struct fleet_capture
{
    fleet_state state;
    std::vector<std::pair<std::string, order_key>> versions; ///< Newest version applied per record ("resource/id").
    /// The latest evidence of ingestion per connection, connection and resource, schedule.
    std::vector<std::pair<std::string, timestamp>> evidence;
};

/** A resource operation's outcome as kept: a track_operation() that comes after it (also
    after a restart) is completed with it, and of two outcomes the one with the newer
    updated_at of its record wins, whatever order they arrived in. */
struct stored_operation
{
    operation_result result;
    timestamp updated_at{};   ///< The deciding record's updated_at (or its order time).
    timestamp completed_at{}; ///< When it was processed (it is kept for a while after).
};

/** The stored form of processing state: one codec for both of its users, the store that
    writes and reads the rows and processing that restores from them. */
namespace codec {

/// A fleet capture as one JSON document.
std::string encode(fleet_capture const& c);
/// The capture encode() wrote; std::nullopt if `doc` is not one (no key, not JSON).
std::optional<fleet_capture> decode_fleet(std::string_view doc);

/// A transition as one JSON document.
std::string encode(transition const& t);
/// The transition encode() wrote (state names re-pointed to static storage).
std::optional<transition> decode_transition(std::string_view doc);

/// An operation outcome as one JSON document, and back.
std::string encode(operation_result const& r);
std::optional<operation_result> decode_operation(std::string_view doc);

} // namespace codec

} // namespace catena::webhooks::detail

#endif
