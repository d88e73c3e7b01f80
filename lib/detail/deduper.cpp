// SPDX-License-Identifier: BSL-1.0
// lib/detail/deduper.cpp - the expiring digest memory: a ring in insertion order, indexed.
#include "detail/deduper.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <functional>

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

// By default allocated whole up to 4 Mi digests (96 MiB of ring, 32 MiB of index, both virtual
// until written); a larger bound doubles from there as the table fills.
deduper::deduper(std::chrono::seconds retention, std::size_t max_digests, std::size_t whole_up_to)
    : retention_(retention)
    // The index holds 32-bit ring positions + 1, its table twice the ring.
    , max_(std::clamp<std::size_t>(max_digests, 1, std::size_t{1} << 30))
    , table_(std::bit_ceil(std::clamp<std::size_t>(whole_up_to, 1, max_)))
{
}

void deduper::expire(timestamp now)
{
    auto const limit = micros(now) - std::chrono::duration_cast<std::chrono::microseconds>(retention_).count();
    while(table_.size() > 0 && table_.front() <= limit)
        table_.pop_front();
}

bool deduper::contains(identity_digest d, timestamp now)
{
    expire(now);
    return table_.find(d) != nullptr;
}

bool deduper::insert(identity_digest d, timestamp now)
{
    expire(now);
    if(table_.find(d))
        return false;
    auto at = micros(now);
    // Insertion times only grow, even if the wall clock steps back, so the front stays oldest.
    if(table_.size() > 0)
        at = std::max(at, table_.back());
    if(table_.size() == max_)
    {
        complete_since_ = std::max(complete_since_, timestamp{std::chrono::microseconds(table_.front() + 1)});
        table_.pop_front();
        ++evicted_early_;
    }
    table_.push_back(d, at);
    return true;
}

} // namespace catena::webhooks::detail
