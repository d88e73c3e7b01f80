// SPDX-License-Identifier: BSL-1.0
// lib/model/lifecycle.cpp - the names of stages, health states and dimensions.
#include <catena/webhooks/lifecycle.hpp>

#include <array>

namespace catena::webhooks {

namespace {

constexpr std::array<std::string_view, 11> stage_names{"",          "invited",    "viewed",    "accepted",
                                                        "agreement", "connection", "connected", "declined",
                                                        "expired",   "deleted",    "revoked"};
constexpr std::array<std::string_view, 4> health_names{"ok", "degraded", "stale", "halted"};
constexpr std::array<std::string_view, 6> dimension_names{"stage",     "health",     "invitation",
                                                          "agreement", "connection", "schedule"};
constexpr std::array<std::string_view, 7> invitation_names{"created",  "sent",    "viewed", "accepted",
                                                           "declined", "expired", "deleted"};

template<class E, std::size_t N>
std::string_view name_of(std::array<std::string_view, N> const& names, E e) noexcept
{
    auto const i = static_cast<std::size_t>(e);
    return i < names.size() ? names[i] : std::string_view{};
}

template<class E, std::size_t N>
std::optional<E> parse_name(std::array<std::string_view, N> const& names, std::string_view s, std::size_t first) noexcept
{
    for(std::size_t i = first; i < names.size(); ++i)
        if(names[i] == s)
            return static_cast<E>(i);
    return std::nullopt;
}

} // namespace

std::string_view to_string(stage s) noexcept { return name_of(stage_names, s); }
std::string_view to_string(health h) noexcept { return name_of(health_names, h); }
std::string_view to_string(dimension d) noexcept { return name_of(dimension_names, d); }
std::string_view to_string(invitation_state s) noexcept { return name_of(invitation_names, s); }

// stage::none has the empty name, which is not parsed.
std::optional<stage> parse_stage(std::string_view s) noexcept { return parse_name<stage>(stage_names, s, 1); }
std::optional<health> parse_health(std::string_view s) noexcept { return parse_name<health>(health_names, s, 0); }
std::optional<invitation_state> parse_invitation_state(std::string_view s) noexcept
{
    return parse_name<invitation_state>(invitation_names, s, 0);
}

} // namespace catena::webhooks
