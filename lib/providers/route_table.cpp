// SPDX-License-Identifier: BSL-1.0
// lib/providers/route_table.cpp - the delivery routes of other providers: which one a request is for, and how each is checked and decoded.
#include "providers/route_table.hpp"

#include "detail/token.hpp"
#include "providers/foxtrot/decode.hpp"

#include <charconv>
#include <set>

namespace catena::webhooks::detail {

namespace ip = boost::asio::ip;

std::optional<cidr> parse_cidr(std::string_view text)
{
    // make_address reads a C string: what follows a NUL would be dropped unseen.
    if(text.find('\0') != std::string_view::npos)
        return std::nullopt;
    auto const slash = text.find('/');
    boost::system::error_code ec;
    auto const a = ip::make_address(std::string(text.substr(0, slash)), ec);
    if(ec)
        return std::nullopt;
    unsigned const bits = a.is_v4() ? 32 : 128;
    unsigned prefix = bits;
    if(slash != std::string_view::npos)
    {
        auto const p = text.substr(slash + 1);
        auto const [end, err] = std::from_chars(p.data(), p.data() + p.size(), prefix);
        if(p.empty() || err != std::errc{} || end != p.data() + p.size() || prefix > bits)
            return std::nullopt;
    }
    // Peers are compared as IPv4 when IPv4-mapped (contains()): so is a network written so.
    if(a.is_v6() && a.to_v6().is_v4_mapped() && prefix >= 96)
        return cidr{ip::make_address_v4(ip::v4_mapped, a.to_v6()), prefix - 96};
    return cidr{a, prefix};
}

bool contains(cidr const& n, ip::address const& given) noexcept
{
    auto a = given;
    // An IPv4-mapped peer is its IPv4 address to IPv4 networks, and itself to IPv6 ones.
    if(a.is_v6() && a.to_v6().is_v4_mapped() && n.network.is_v4())
        a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
    if(a.is_v4() != n.network.is_v4())
        return false;
    auto const prefix_equal = [&](auto const& x, auto const& y) {
        unsigned left = n.prefix;
        for(std::size_t i = 0; i < x.size() && left > 0; ++i)
        {
            unsigned const take = left >= 8 ? 8 : left;
            auto const mask = static_cast<unsigned char>(0xff00u >> take);
            if((x[i] & mask) != (y[i] & mask))
                return false;
            left -= take;
        }
        return true;
    };
    if(a.is_v4())
        return prefix_equal(a.to_v4().to_bytes(), n.network.to_v4().to_bytes());
    return prefix_equal(a.to_v6().to_bytes(), n.network.to_v6().to_bytes());
}

route_table::route_table(std::vector<route_options> const& routes)
{
    for(auto const& r : routes)
    {
        entry e{&r, {}};
        for(auto const& text : r.allow)
        {
            if(auto c = parse_cidr(text))
                e.allow.push_back(*c);
            else if(problem_.empty())
                problem_ = "route " + r.path + ": \"" + text + "\" is not an address or a CIDR";
        }
        routes_.push_back(std::move(e));
    }
}

std::string route_table::check(std::string_view catena_path) const
{
    if(!problem_.empty())
        return problem_;
    std::set<std::string_view> paths{catena_path};
    for(auto const& e : routes_)
    {
        auto const& r = *e.route;
        if(r.path.size() < 2 || r.path.front() != '/' || r.path.back() == '/' ||
           r.path.find_first_of("?# ") != std::string::npos)
            return "route \"" + r.path + "\": a path starts with '/', does not end with one, and has no query";
        if(!paths.insert(r.path).second)
            return "route " + r.path + ": the path is served twice";
        if(r.kind == provider::catena)
            continue;
        if(r.token.empty() && e.allow.empty())
            return "route " + r.path + ": an unsigned route needs a token or an address allowlist (or both)";
        if(!r.token.empty() && r.token.size() < 16)
            return "route " + r.path + ": the token must have at least 16 characters";
        if(r.token_header.empty() && r.token.find_first_of("/?#% ") != std::string::npos)
            return "route " + r.path + ": a token in the path may not hold '/', '?', '#', '%' or spaces";
        if(r.event_field.empty() || r.id_field.empty())
            return "route " + r.path + ": the event and id fields need names";
    }
    return {};
}

std::optional<route_match> route_table::find(std::string_view target) const
{
    for(auto const& e : routes_)
    {
        auto const& path = e.route->path;
        if(target.size() < path.size() || target.substr(0, path.size()) != path)
            continue;
        auto rest = target.substr(path.size());
        if(rest.empty())
            return route_match{e.route, rest};
        // The token as the last segment: path + "/" + token, nothing after it.
        bool const token_in_path = e.route->kind != provider::catena && e.route->token_header.empty() &&
                                   !e.route->token.empty();
        if(token_in_path && rest.front() == '/' && rest.find('/', 1) == std::string_view::npos)
            return route_match{e.route, rest.substr(1)};
    }
    return std::nullopt;
}

route_options const* route_table::by_path(std::string_view path) const
{
    for(auto const& e : routes_)
        if(e.route->path == path)
            return e.route;
    return nullptr;
}

error_code route_table::admit(route_match const& m, std::string_view token_header_value, ip::address const& peer) const
{
    for(auto const& e : routes_)
    {
        if(e.route != m.route)
            continue;
        if(!e.allow.empty())
        {
            bool allowed = false;
            for(auto const& n : e.allow)
                allowed = allowed || contains(n, peer);
            if(!allowed)
                return error::address_not_allowed;
        }
        auto const& r = *e.route;
        if(r.token.empty())
            return {};
        auto const given = r.token_header.empty() ? m.rest : strip_bearer(token_header_value);
        if(!token_equal(given, r.token))
            return error::route_token_mismatch;
        return {};
    }
    return error::not_found;
}

result<event> route_table::decode(route_options const& r, inbox_entry const& e)
{
    switch(r.kind)
    {
    case provider::foxtrot: return foxtrot::decode(r, e);
    case provider::catena: break;
    }
    return make_error_code(error::route_unknown); // Catena's deliveries go through the envelope parser
}

} // namespace catena::webhooks::detail
