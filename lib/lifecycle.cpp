// SPDX-License-Identifier: BSL-1.0
// lib/lifecycle.cpp - the names of stages, health states and dimensions.
#include <catena/webhooks/lifecycle.hpp>

#include <array>

namespace catena::webhooks {

namespace {

constexpr std::array<std::string_view, 11> stage_names{"",          "invited",    "viewed",    "accepted",
                                                        "agreement", "connection", "connected", "declined",
                                                        "expired",   "deleted",    "revoked"};
constexpr std::array<std::string_view, 4> health_names{"ok", "degraded", "stale", "halted"};

} // namespace

std::string_view to_string(stage s) noexcept
{
    auto const i = static_cast<std::size_t>(s);
    return i < stage_names.size() ? stage_names[i] : std::string_view{};
}

std::string_view to_string(health h) noexcept
{
    auto const i = static_cast<std::size_t>(h);
    return i < health_names.size() ? health_names[i] : std::string_view{};
}

std::string_view to_string(dimension d) noexcept { return d == dimension::stage ? "stage" : "health"; }

std::optional<stage> parse_stage(std::string_view s) noexcept
{
    for(std::size_t i = 1; i < stage_names.size(); ++i)
        if(stage_names[i] == s)
            return static_cast<stage>(i);
    return std::nullopt;
}

std::optional<health> parse_health(std::string_view s) noexcept
{
    for(std::size_t i = 0; i < health_names.size(); ++i)
        if(health_names[i] == s)
            return static_cast<health>(i);
    return std::nullopt;
}


} // namespace catena::webhooks
