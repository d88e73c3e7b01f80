// SPDX-License-Identifier: BSL-1.0
// lib/detail/string_map.hpp - a hash map keyed by strings and looked up by string_view.
#ifndef CATENA_WEBHOOKS_DETAIL_STRING_MAP_HPP
#define CATENA_WEBHOOKS_DETAIL_STRING_MAP_HPP

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace catena::webhooks::detail {

/// Hashes std::string and std::string_view alike, so that a lookup builds no string.
struct string_hash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// std::unordered_map<std::string, V> whose find() and contains() take a std::string_view.
template<class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

} // namespace catena::webhooks::detail

#endif
