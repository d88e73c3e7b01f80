// SPDX-License-Identifier: BSL-1.0
// lib/delivery/handler_registry.cpp - the callbacks a receiver was given.
#include "delivery/handler_registry.hpp"

namespace catena::webhooks::detail {

error_code handler_registry::add_event(std::string_view pattern, event_handler h)
{
    if(pattern == "*")
        return add(any_, std::move(h));
    bool const wildcard = pattern.size() > 2 && pattern.ends_with(".*");
    auto& map = wildcard ? resources_ : exact_;
    auto key = std::string(wildcard ? pattern.substr(0, pattern.size() - 2) : pattern);
    if(frozen_)
        return error::already_started;
    auto [it, fresh] = map.try_emplace(key);
    if(fresh)
        it->second.name = "on(" + std::string(pattern) + ")";
    return add(it->second, std::move(h));
}

} // namespace catena::webhooks::detail
