// SPDX-License-Identifier: BSL-1.0
// lib/verify/request.cpp - a request as a partner's own HTTP server hands it over, and the answer to send back.
#include <catena/webhooks/request.hpp>

#include <algorithm>

namespace catena::webhooks {

namespace {

bool iequal(std::string_view a, std::string_view b) noexcept
{
    auto const lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

} // namespace

std::string_view find_header(std::span<header_field const> headers, std::string_view name) noexcept
{
    for(auto const& f : headers)
        if(iequal(f.name, name))
            return f.value;
    return {};
}

std::string_view response::header(std::string_view name) const noexcept
{
    for(auto const& [n, v] : headers)
        if(iequal(n, name))
            return v;
    return {};
}

} // namespace catena::webhooks
