// SPDX-License-Identifier: BSL-1.0
// lib/detail/deduper.hpp - remembers 128-bit digests for a retention period, in bounded memory.
#ifndef CATENA_WEBHOOKS_DETAIL_DEDUPER_HPP
#define CATENA_WEBHOOKS_DETAIL_DEDUPER_HPP

#include <catena/webhooks/timestamp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

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

    A flat table: a ring of (digest, time) in insertion order plus an open-addressing index
    into it, 32 bytes per digest at most, no allocation per insert. Both are allocated for
    `max_digests` at once (up to 4 Mi digests; beyond, they double as they fill), as zeroed
    pages that the system provides as they are first written: a table that fills grows its
    resident memory with it, and no insert ever stops to copy and rehash the whole table
    (which at a million digests held the processing thread for tens of milliseconds). When
    full, the oldest digest is forgotten before its time, counted in evicted_early(), and
    complete_since() moves past it.
*/
class deduper
{
public:
    /// Allocated for `max_digests` at once when that is at most `whole_up_to`.
    deduper(std::chrono::seconds retention, std::size_t max_digests, std::size_t whole_up_to = std::size_t{1} << 22);

    /// Records `d` as seen at `now`. Returns false when it was already known (a duplicate).
    bool insert(identity_digest d, timestamp now);
    bool contains(identity_digest d, timestamp now);

    std::size_t size() const noexcept { return count_; }
    std::uint64_t evicted_early() const noexcept { return evicted_early_; }
    /// Every digest inserted at or after this instant is still held (none forgotten early).
    timestamp complete_since() const noexcept { return complete_since_; }
    /// Bytes of the tables in use: the ring's slots that hold digests, and the index.
    std::size_t memory_bytes() const noexcept
    {
        return count_ * sizeof(slot) + index_.size() * sizeof(std::uint32_t);
    }

private:
    struct slot
    {
        identity_digest d;
        std::int64_t at = 0; // microseconds since the epoch
    };
    // An array of zeroed trivial values from calloc: large ones come as untouched pages.
    template<class T>
    class zeroed
    {
    public:
        zeroed() = default;
        explicit zeroed(std::size_t n);
        T& operator[](std::size_t i) noexcept { return p_.get()[i]; }
        T const& operator[](std::size_t i) const noexcept { return p_.get()[i]; }
        std::size_t size() const noexcept { return n_; }

    private:
        struct release
        {
            void operator()(T* p) const noexcept { std::free(p); }
        };
        std::unique_ptr<T, release> p_;
        std::size_t n_ = 0;
    };
    static constexpr std::uint32_t empty = 0; // index entries are ring positions + 1

    void expire(timestamp now);
    void pop_oldest();
    void grow();
    std::size_t home(identity_digest d) const noexcept { return static_cast<std::size_t>(d.lo) & (index_.size() - 1); }
    // Position in index_ of `d`, or of the empty slot where it would go.
    std::size_t find(identity_digest d) const noexcept;
    void index_erase(std::size_t pos) noexcept;

    std::chrono::seconds retention_;
    std::size_t max_;
    zeroed<slot> ring_;            // power-of-two size
    zeroed<std::uint32_t> index_; // twice the ring; ring positions + 1, or `empty`
    std::size_t head_ = 0;        // ring position of the oldest
    std::size_t count_ = 0;
    std::uint64_t evicted_early_ = 0;
    timestamp complete_since_{};
};

} // namespace catena::webhooks::detail

#endif
