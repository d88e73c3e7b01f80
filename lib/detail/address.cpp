// SPDX-License-Identifier: BSL-1.0
// lib/detail/address.cpp - client addresses: networks in CIDR notation, IPv4-mapped addresses, the key budgets are counted under.
#include "detail/address.hpp"

#include <charconv>

namespace catena::webhooks::detail {

namespace ip = boost::asio::ip;

ip::address unmapped(ip::address const& a) noexcept
{
    if(a.is_v6() && a.to_v6().is_v4_mapped())
        return ip::make_address_v4(ip::v4_mapped, a.to_v6());
    return a;
}

std::optional<cidr> parse_cidr(std::string_view text)
{
    // make_address reads a C string: what follows a NUL would be dropped unseen.
    if(text.find('\0') != std::string_view::npos)
        return std::nullopt;
    auto const slash = text.find('/');
    boost::system::error_code ec;
    auto a = ip::make_address(std::string(text.substr(0, slash)), ec);
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
    if(a.is_v6() && a.to_v6().is_v4_mapped() && prefix >= 96)
        return cidr{unmapped(a), prefix - 96};
    return cidr{a, prefix};
}

bool contains(cidr const& n, ip::address const& given) noexcept
{
    // An IPv4-mapped address is its IPv4 address to IPv4 networks, and itself to IPv6 ones.
    auto const a = n.network.is_v4() ? unmapped(given) : given;
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

bool contains(std::vector<cidr> const& nets, ip::address const& a) noexcept
{
    for(auto const& n : nets)
        if(contains(n, a))
            return true;
    return false;
}

std::string budget_key(ip::address const& given)
{
    auto const a = unmapped(given);
    if(a.is_v4())
        return a.to_v4().to_string();
    auto bytes = a.to_v6().to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return ip::address_v6(bytes).to_string() + "/64";
}

client_address client_of(ip::address const& a)
{
    return client_address{unmapped(a), budget_key(a)};
}

} // namespace catena::webhooks::detail
