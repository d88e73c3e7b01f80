// SPDX-License-Identifier: BSL-1.0
// lib/detail/deduper.hpp - remembers event identities for a retention period, in bounded memory.
#ifndef CATENA_WEBHOOKS_DETAIL_DEDUPER_HPP
#define CATENA_WEBHOOKS_DETAIL_DEDUPER_HPP

#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_set>

namespace catena::webhooks::detail {

/** A 128-bit digest of an identity (the first half of its SHA-256). Collisions are out of
    reach for any realistic number of events, so 16 bytes stand for an identity of any length.
*/
struct identity_digest
{
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    friend bool operator==(identity_digest, identity_digest) = default;
};

CATENA_WEBHOOKS_DECL identity_digest digest_of(std::string_view identity) noexcept;

/** The identities of events seen in the last `retention`, oldest forgotten first.

    Identities are remembered long enough to recognise a replay from Catena's dead-letter
    queue (kept 14 days, so the default is 15). Memory is bounded by `max_identities`
    (about 70 bytes each); when full, the oldest identity is forgotten before its time and
    counted in evicted_early().
*/
class CATENA_WEBHOOKS_DECL deduper
{
public:
    deduper(std::chrono::seconds retention, std::size_t max_identities);

    /// Records `d` as seen at `now`. Returns false when it was already known (a duplicate).
    bool insert(identity_digest d, timestamp now);
    bool contains(identity_digest d, timestamp now);

    std::size_t size() const noexcept { return set_.size(); }
    std::uint64_t evicted_early() const noexcept { return evicted_early_; }

private:
    struct digest_hash
    {
        // The digest is uniformly distributed already.
        std::size_t operator()(identity_digest d) const noexcept { return static_cast<std::size_t>(d.lo); }
    };

    void expire(timestamp now);

    std::chrono::seconds retention_;
    std::size_t max_;
    std::unordered_set<identity_digest, digest_hash> set_;
    std::deque<std::pair<timestamp, identity_digest>> order_; // by insertion
    std::uint64_t evicted_early_ = 0;
};

} // namespace catena::webhooks::detail

#endif
