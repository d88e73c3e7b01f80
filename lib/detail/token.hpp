// SPDX-License-Identifier: BSL-1.0
// lib/detail/token.hpp - shared tokens compared in constant time (the admin token, unsigned routes' tokens).
#ifndef CATENA_WEBHOOKS_DETAIL_TOKEN_HPP
#define CATENA_WEBHOOKS_DETAIL_TOKEN_HPP

#include <string_view>

namespace catena::webhooks::detail {

/** Whether `given` is `expected`, in a time that depends on neither: their SHA-256 digests
    are compared with CRYPTO_memcmp. An empty `expected` matches nothing. */
bool token_equal(std::string_view given, std::string_view expected) noexcept;

/** `value` without a leading "Bearer " (any case), else `value` itself. */
std::string_view strip_bearer(std::string_view value) noexcept;

/** Whether an Authorization header is "Bearer " + `token` (the scheme in any case). */
bool bearer_matches(std::string_view authorization, std::string_view token) noexcept;

} // namespace catena::webhooks::detail

#endif
