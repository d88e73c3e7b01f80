// SPDX-License-Identifier: BSL-1.0
// lib/detail/json_fields.hpp - a JSON object's fields read leniently: what is there and of the right type, or nothing.
#ifndef CATENA_WEBHOOKS_DETAIL_JSON_FIELDS_HPP
#define CATENA_WEBHOOKS_DETAIL_JSON_FIELDS_HPP

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/// The string at `key`, or empty when it is missing or not a string.
inline std::string string_field(boost::json::object const& o, std::string_view key)
{
    if(auto const* v = o.if_contains(key); v && v->is_string())
        return std::string(v->get_string());
    return {};
}

} // namespace catena::webhooks::detail

#endif
