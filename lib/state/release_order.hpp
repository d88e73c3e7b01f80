// SPDX-License-Identifier: BSL-1.0
// lib/state/release_order.hpp - the release order of an event, as processing keeps it and the store persists it.
#ifndef CATENA_WEBHOOKS_STATE_RELEASE_ORDER_HPP
#define CATENA_WEBHOOKS_STATE_RELEASE_ORDER_HPP

#include <catena/webhooks/timestamp.hpp>

#include <compare>
#include <cstdint>
#include <string>

namespace catena::webhooks::detail {

/** The release order of an event: when it happened, then Catena's own order of the steps
    of one record where nothing else tells them apart (an invitation's events all carry its
    created_at: created < sent < viewed < ended), then the record's updated_at, then the
    envelope id (UUID v7, time ordered), the record's place in its delivery and its id. Never
    arrival order where anything else is known, so the order is the same however the
    deliveries were shuffled on the way.

    (time, rank, updated) is the record's version: an event whose version is below the newest
    applied to the same record is late (version_less()).
*/
struct order_key
{
    timestamp time{};
    /// The step's rank, where the time is the record's created_at (shared by all its steps).
    std::uint8_t tie = 0;
    timestamp updated{};
    std::string envelope_id;
    std::uint32_t record_index = 0;
    std::string record_id;
    std::uint64_t sequence = 0; ///< Last resort: two identical keys from distinct deliveries.
    std::uint8_t rank = 0;      ///< The step's rank (step_rank()), for versions.

    friend auto operator<=>(order_key const&, order_key const&) = default;
    friend bool operator==(order_key const&, order_key const&) = default;
};

/// Whether `a` is an older version of a record than `b` (time, then rank, then updated_at).
inline bool version_less(order_key const& a, order_key const& b) noexcept
{
    if(a.time != b.time)
        return a.time < b.time;
    if(a.rank != b.rank)
        return a.rank < b.rank;
    return a.updated < b.updated;
}

} // namespace catena::webhooks::detail

#endif
