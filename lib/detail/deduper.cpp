// SPDX-License-Identifier: BSL-1.0
// lib/detail/deduper.cpp - the expiring digest memory: a ring in insertion order, indexed.
#include "detail/deduper.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <type_traits>

namespace catena::webhooks::detail {

identity_digest digest_of(std::string_view identity) noexcept
{
    // Fetched once: an implicit fetch on every call costs more than the digest itself.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    identity_digest d;
    if(!sha256 || EVP_Digest(identity.data(), identity.size(), md, &len, sha256, nullptr) != 1 || len < 16)
    {
        // Only a broken OpenSSL installation gets here; fall back to a weaker but working hash.
        auto const h = std::hash<std::string_view>{}(identity);
        d.hi = h;
        d.lo = h * 0x9E3779B97F4A7C15ull + identity.size();
        return d;
    }
    std::memcpy(&d.hi, md, 8);
    std::memcpy(&d.lo, md + 8, 8);
    return d;
}

namespace {

std::int64_t micros(timestamp t) noexcept { return t.time_since_epoch().count(); }

} // namespace

template<class T>
deduper::zeroed<T>::zeroed(std::size_t n) : p_(static_cast<T*>(std::calloc(n, sizeof(T)))), n_(n)
{
    static_assert(std::is_trivially_copyable_v<T>);
    if(!p_)
        throw std::bad_alloc();
}

// By default allocated whole up to 4 Mi digests (128 MiB of ring, 32 MiB of index, both virtual
// until written); a larger bound doubles from there as the table fills.
deduper::deduper(std::chrono::seconds retention, std::size_t max_digests, std::size_t whole_up_to)
    : retention_(retention)
    // The index holds 32-bit ring positions + 1, its table twice the ring.
    , max_(std::clamp<std::size_t>(max_digests, 1, std::size_t{1} << 30))
    , ring_(std::bit_ceil(std::clamp<std::size_t>(whole_up_to, 1, max_)))
    , index_(ring_.size() * 2)
{
}

std::size_t deduper::find(identity_digest d) const noexcept
{
    auto const mask = index_.size() - 1;
    auto pos = home(d);
    while(index_[pos] != empty && !(ring_[index_[pos] - 1].d == d))
        pos = (pos + 1) & mask;
    return pos;
}

// Backward-shift deletion: later members of the probe run move up, so that lookups never
// stop early at the hole.
void deduper::index_erase(std::size_t pos) noexcept
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

void deduper::pop_oldest()
{
    index_erase(find(ring_[head_].d));
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
}

void deduper::expire(timestamp now)
{
    auto const limit = micros(now) - std::chrono::duration_cast<std::chrono::microseconds>(retention_).count();
    while(count_ > 0 && ring_[head_].at <= limit)
        pop_oldest();
}

// Only for bounds beyond whole_up_to.
void deduper::grow()
{
    zeroed<slot> ring(ring_.size() * 2);
    for(std::size_t i = 0; i < count_; ++i)
        ring[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_ = std::move(ring);
    head_ = 0;
    index_ = zeroed<std::uint32_t>(ring_.size() * 2);
    for(std::size_t i = 0; i < count_; ++i)
        index_[find(ring_[i].d)] = static_cast<std::uint32_t>(i + 1);
}

bool deduper::contains(identity_digest d, timestamp now)
{
    expire(now);
    return index_[find(d)] != empty;
}

bool deduper::insert(identity_digest d, timestamp now)
{
    expire(now);
    if(index_[find(d)] != empty)
        return false;
    auto at = micros(now);
    // Insertion times only grow, even if the wall clock steps back, so the head stays oldest.
    if(count_ > 0)
        at = std::max(at, ring_[(head_ + count_ - 1) & (ring_.size() - 1)].at);
    if(count_ == max_)
    {
        complete_since_ = std::max(complete_since_, timestamp{std::chrono::microseconds(ring_[head_].at + 1)});
        pop_oldest();
        ++evicted_early_;
    }
    if(count_ == ring_.size())
        grow();
    auto const pos = (head_ + count_) & (ring_.size() - 1);
    ring_[pos] = slot{d, at};
    index_[find(d)] = static_cast<std::uint32_t>(pos + 1);
    ++count_;
    return true;
}

} // namespace catena::webhooks::detail
