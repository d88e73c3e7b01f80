// SPDX-License-Identifier: BSL-1.0
// lib/processing/event_order.hpp - the release order of an event, read from its times, its step and its ids (spec §5.4).
#ifndef CATENA_WEBHOOKS_PROCESSING_EVENT_ORDER_HPP
#define CATENA_WEBHOOKS_PROCESSING_EVENT_ORDER_HPP

#include <catena/webhooks/event.hpp>

#include "state/release_order.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace catena::webhooks::detail {

/// The millisecond timestamp of a UUID v7 (version nibble 7); nothing for any other id.
std::optional<timestamp> uuid_v7_time(std::string_view id) noexcept;

/// Catena's order of the steps of one record: an invitation's created 0 < sent 1 < viewed 2
/// < its end 3 (accepted, declined, rejected, expired, deleted); 0 for everything else.
std::uint8_t step_rank(std::string_view event_name) noexcept;

/** The release order of `ev` (record `index` of delivery `sequence`, received at `received_at`):

    - time: the record's `occurred_at`; for lifecycle records, which have none, the time of
      the action they report (`accepted_at`, `declined_at`), then `updated_at`, `created_at`;
      then the envelope id's time, only when it is a UUID v7; then the arrival. Never the
      envelope `timestamp` (spec C4).
    - rank: step_rank(), which breaks the ties of an invitation's events (they all carry the
      invitation's own `created_at`).
    - updated: `updated_at`, for last-writer-wins between versions with one occurred_at.
*/
order_key order_key_of(event const& ev, std::string_view envelope_id, std::uint32_t index, std::uint64_t sequence,
                       timestamp received_at);

/// The same, written over `k` (whose strings keep their memory: the pipeline reuses one key).
void order_key_of(order_key& k, event const& ev, std::string_view envelope_id, std::uint32_t index,
                  std::uint64_t sequence, timestamp received_at);

} // namespace catena::webhooks::detail

#endif
