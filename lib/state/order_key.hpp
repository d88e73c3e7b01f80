// SPDX-License-Identifier: BSL-1.0
// lib/state/order_key.hpp - the release order of an event, as processing keeps it and the store persists it.
#ifndef CATENA_WEBHOOKS_STATE_ORDER_KEY_HPP
#define CATENA_WEBHOOKS_STATE_ORDER_KEY_HPP

#include <catena/webhooks/timestamp.hpp>

#include <compare>
#include <cstdint>
#include <string>

namespace catena::webhooks::detail {

/** The release order of an event: occurrence time, then the envelope id (UUID v7, time
    ordered), then the record's place in its delivery, then its id. Never arrival order, so
    the order is the same however the deliveries were shuffled on the way.
*/
struct order_key
{
    timestamp time{};
    std::string envelope_id;
    std::uint32_t record_index = 0;
    std::string record_id;
    std::uint64_t sequence = 0; ///< Last resort: two identical keys from distinct deliveries.

    friend auto operator<=>(order_key const&, order_key const&) = default;
    friend bool operator==(order_key const&, order_key const&) = default;
};

} // namespace catena::webhooks::detail

#endif
