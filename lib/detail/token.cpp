// SPDX-License-Identifier: BSL-1.0
// lib/detail/token.cpp - shared tokens compared in constant time (the admin token, unsigned routes' tokens).
#include "detail/token.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace catena::webhooks::detail {

namespace {

constexpr std::string_view bearer = "Bearer ";

bool has_bearer(std::string_view value) noexcept
{
    return value.size() > bearer.size() &&
           std::equal(bearer.begin(), bearer.end(), value.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
}

} // namespace

bool token_equal(std::string_view given, std::string_view expected) noexcept
{
    if(expected.empty())
        return false;
    // Digests first: the comparison takes the same time whatever the lengths.
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<unsigned char const*>(given.data()), given.size(), a);
    SHA256(reinterpret_cast<unsigned char const*>(expected.data()), expected.size(), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

std::string_view strip_bearer(std::string_view value) noexcept
{
    return has_bearer(value) ? value.substr(bearer.size()) : value;
}

bool bearer_matches(std::string_view authorization, std::string_view token) noexcept
{
    return has_bearer(authorization) && token_equal(authorization.substr(bearer.size()), token);
}

} // namespace catena::webhooks::detail
