// SPDX-License-Identifier: BSL-1.0
// lib/detail/deduper.hpp - remembers 128-bit digests for a retention period, in bounded memory.
#ifndef CATENA_WEBHOOKS_DETAIL_DEDUPER_HPP
#define CATENA_WEBHOOKS_DETAIL_DEDUPER_HPP

#include <catena/webhooks/timestamp.hpp>

#include "detail/digest_ring.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace catena::webhooks::detail {

identity_digest digest_of(std::string_view identity) noexcept;

/** An event identity as a store keeps it: its digest and the time the identity itself
    carries (the envelope id's UUID v7 time, or the record's occurred_at), in milliseconds
    since the epoch, 0 when it carries none. A store indexes identities by that time first,
    so that new identities land together at the end of the index instead of on random pages.
*/
struct identity_key
{
    identity_digest digest;
    std::int64_t at_ms = 0;
};

/** The digests seen in the last `retention`, oldest forgotten first.

    A @ref digest_ring of (digest, time), 32 bytes per digest at most, no allocation per
    insert, allocated for `max_digests` at once (up to 4 Mi digests; beyond, it doubles as it
    fills): no insert stops to copy and rehash the whole table (which at a million digests
    held the processing thread for tens of milliseconds). When full, the oldest digest is
    forgotten before its time, counted in evicted_early(), and complete_since() moves past it.
*/
class deduper
{
public:
    /// Allocated for `max_digests` at once when that is at most `whole_up_to`.
    deduper(std::chrono::seconds retention, std::size_t max_digests, std::size_t whole_up_to = std::size_t{1} << 22);

    /// Records `d` as seen at `now`. Returns false when it was already known (a duplicate).
    bool insert(identity_digest d, timestamp now);
    bool contains(identity_digest d, timestamp now);

    std::size_t size() const noexcept { return table_.size(); }
    std::uint64_t evicted_early() const noexcept { return evicted_early_; }
    /// Every digest inserted at or after this instant is still held (none forgotten early).
    timestamp complete_since() const noexcept { return complete_since_; }
    /// Bytes of the tables in use: the ring's slots that hold digests, and the index.
    std::size_t memory_bytes() const noexcept { return table_.memory_bytes(); }

private:
    void expire(timestamp now);

    std::chrono::seconds retention_;
    std::size_t max_;
    digest_ring<std::int64_t> table_; // each digest's insertion time, microseconds since the epoch
    std::uint64_t evicted_early_ = 0;
    timestamp complete_since_{};
};

} // namespace catena::webhooks::detail

#endif
