// SPDX-License-Identifier: BSL-1.0
// lib/detail/deduper.cpp - the expiring identity memory.
#include "detail/deduper.hpp"

#include <openssl/evp.h>

#include <cstring>

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

deduper::deduper(std::chrono::seconds retention, std::size_t max_identities)
    : retention_(retention), max_(max_identities == 0 ? 1 : max_identities)
{
}

void deduper::expire(timestamp now)
{
    while(!order_.empty() && order_.front().first + retention_ <= now)
    {
        set_.erase(order_.front().second);
        order_.pop_front();
    }
}

bool deduper::contains(identity_digest d, timestamp now)
{
    expire(now);
    return set_.contains(d);
}

bool deduper::insert(identity_digest d, timestamp now)
{
    expire(now);
    if(!set_.insert(d).second)
        return false;
    // Insertion times only grow, even if the wall clock steps back, so the front stays oldest.
    if(!order_.empty() && now < order_.back().first)
        now = order_.back().first;
    order_.emplace_back(now, d);
    while(set_.size() > max_)
    {
        set_.erase(order_.front().second);
        order_.pop_front();
        ++evicted_early_;
    }
    return true;
}

} // namespace catena::webhooks::detail
