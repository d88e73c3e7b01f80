// SPDX-License-Identifier: BSL-1.0
// lib/detail/digest_ring.hpp - 128-bit digests with a value each, in insertion order, indexed: no allocation per entry.
#ifndef CATENA_WEBHOOKS_DETAIL_DIGEST_RING_HPP
#define CATENA_WEBHOOKS_DETAIL_DIGEST_RING_HPP

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

namespace catena::webhooks::detail {

/** A 128-bit digest of an identity (the first half of its SHA-256, or a content digest).
    Collisions are out of reach for any realistic number of entries, so 16 bytes stand for an
    identity of any length. */
struct identity_digest
{
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    friend bool operator==(identity_digest, identity_digest) = default;
};

/** Digests with a trivially copyable value each, oldest first: a ring in insertion order and
    an open-addressing index into it (32-bit positions, twice the ring's slots, so at most half
    full). Both are allocated for the capacity at once as zeroed pages, which the system
    provides as they are first written: resident memory grows with the entries, and no insert
    stops to copy and rehash the table, except push_back() on a full ring, which doubles it.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe.
*/
template<class V>
class digest_ring
{
    static_assert(std::is_trivially_copyable_v<V>);

public:
    digest_ring() = default;
    /// Room for `capacity` entries, a power of two.
    explicit digest_ring(std::size_t capacity) : ring_(capacity), index_(capacity * 2) {}

    std::size_t size() const noexcept { return count_; }
    /// Bytes in use: the ring's slots that hold entries, and the index.
    std::size_t memory_bytes() const noexcept { return count_ * sizeof(slot) + index_.size() * sizeof(std::uint32_t); }

    /// The value of `d`, or null when it is not held.
    V* find(identity_digest d) noexcept
    {
        auto const i = index_[position(d)];
        return i == empty ? nullptr : &ring_[i - 1].v;
    }
    V const* find(identity_digest d) const noexcept
    {
        auto const i = index_[position(d)];
        return i == empty ? nullptr : &ring_[i - 1].v;
    }

    /// Adds `d`, which must not be held, as the newest entry.
    V& push_back(identity_digest d, V v)
    {
        if(count_ == ring_.size())
            grow();
        auto const pos = (head_ + count_) & (ring_.size() - 1);
        ring_[pos] = slot{d, v};
        index_[position(d)] = static_cast<std::uint32_t>(pos + 1);
        ++count_;
        return ring_[pos].v;
    }

    /// The oldest and the newest entry's value (not empty).
    V const& front() const noexcept { return ring_[head_].v; }
    V const& back() const noexcept { return ring_[(head_ + count_ - 1) & (ring_.size() - 1)].v; }

    /// Forgets the oldest entry (not empty).
    void pop_front() noexcept
    {
        index_erase(position(ring_[head_].d));
        head_ = (head_ + 1) & (ring_.size() - 1);
        --count_;
    }

private:
    struct slot
    {
        identity_digest d;
        V v;
    };
    // An array of zeroed trivial values from calloc: large ones come as untouched pages.
    template<class T>
    class zeroed
    {
    public:
        zeroed() = default;
        explicit zeroed(std::size_t n) : p_(static_cast<T*>(std::calloc(n, sizeof(T)))), n_(n)
        {
            if(!p_)
                throw std::bad_alloc();
        }
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

    std::size_t home(identity_digest d) const noexcept { return static_cast<std::size_t>(d.lo) & (index_.size() - 1); }

    // Position in index_ of `d`, or of the empty entry where it would go.
    std::size_t position(identity_digest d) const noexcept
    {
        auto const mask = index_.size() - 1;
        auto pos = home(d);
        while(index_[pos] != empty && !(ring_[index_[pos] - 1].d == d))
            pos = (pos + 1) & mask;
        return pos;
    }

    // Backward-shift deletion: later members of the probe run move up, so that lookups never
    // stop early at the hole.
    void index_erase(std::size_t pos) noexcept
    {
        auto const mask = index_.size() - 1;
        auto hole = pos;
        for(auto next = (hole + 1) & mask; index_[next] != empty; next = (next + 1) & mask)
        {
            auto const want = home(ring_[index_[next] - 1].d);
            // It may fill the hole when its home is not cyclically within (hole, next].
            bool const stays = hole <= next ? (hole < want && want <= next) : (hole < want || want <= next);
            if(stays)
                continue;
            index_[hole] = index_[next];
            hole = next;
        }
        index_[hole] = empty;
    }

    void grow()
    {
        zeroed<slot> ring(ring_.size() == 0 ? 1 : ring_.size() * 2);
        for(std::size_t i = 0; i < count_; ++i)
            ring[i] = ring_[(head_ + i) & (ring_.size() - 1)];
        ring_ = std::move(ring);
        head_ = 0;
        index_ = zeroed<std::uint32_t>(ring_.size() * 2);
        for(std::size_t i = 0; i < count_; ++i)
            index_[position(ring_[i].d)] = static_cast<std::uint32_t>(i + 1);
    }

    zeroed<slot> ring_;           // a power of two
    zeroed<std::uint32_t> index_; // twice the ring
    std::size_t head_ = 0;        // ring position of the oldest
    std::size_t count_ = 0;
};

} // namespace catena::webhooks::detail

#endif
