// SPDX-License-Identifier: BSL-1.0
// lib/http/forwarded.cpp - who the client is behind a trusted reverse proxy: X-Forwarded-For and the PROXY protocol header.
#include "http/forwarded.hpp"

#include <array>
#include <cstring>
#include <string>

namespace catena::webhooks::detail {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view s) noexcept
{
    while(!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while(!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// One X-Forwarded-For entry: an address, optionally bracketed (IPv6) and with a port.
std::optional<ip::address> hop_address(std::string_view hop)
{
    hop = trim(hop);
    if(!hop.empty() && hop.front() == '[')
    {
        auto const close = hop.find(']');
        if(close == std::string_view::npos)
            return std::nullopt;
        hop = hop.substr(1, close - 1);
    }
    else if(hop.find(':') == hop.rfind(':') && hop.find(':') != std::string_view::npos)
        hop = hop.substr(0, hop.find(':')); // IPv4 with a port: one colon
    boost::system::error_code ec;
    auto a = ip::make_address(std::string(hop), ec);
    if(ec)
        return std::nullopt;
    return unmapped(a);
}

} // namespace

std::optional<ip::address> forwarded_client(ip::address const& peer, std::string_view xff,
                                            std::vector<cidr> const& trusted)
{
    std::optional<ip::address> last = unmapped(peer);
    while(!trim(xff).empty())
    {
        auto const comma = xff.rfind(',');
        auto const hop = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
        xff = comma == std::string_view::npos ? std::string_view{} : xff.substr(0, comma);
        if(trim(hop).empty())
            continue;
        auto a = hop_address(hop);
        if(!a)
            return std::nullopt;
        last = a;
        if(!contains(trusted, *a))
            return a;
    }
    return last;
}

namespace {

constexpr std::array<unsigned char, 12> v2_signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                     0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

proxy_header incomplete(std::size_t more)
{
    proxy_header h;
    h.more = more == 0 ? 1 : more;
    return h;
}

proxy_header invalid()
{
    proxy_header h;
    h.status = proxy_header::state::invalid;
    return h;
}

proxy_header parse_v1(std::string_view bytes) noexcept
{
    // "PROXY TCP4 192.0.2.7 198.51.100.1 4711 443\r\n", at most 107 bytes; "PROXY UNKNOWN ...".
    auto const end = bytes.find("\r\n");
    if(end == std::string_view::npos)
        return bytes.size() >= 107 ? invalid() : incomplete(bytes.size() < 15 ? 15 - bytes.size() : 1);
    if(end + 2 > 107)
        return invalid();
    auto line = bytes.substr(6, end - 6);
    proxy_header h;
    h.status = proxy_header::state::complete;
    h.length = end + 2;
    auto next = [&line]() {
        auto const sp = line.find(' ');
        auto const word = line.substr(0, sp);
        line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
        return word;
    };
    auto const proto = next();
    if(proto == "UNKNOWN")
        return h;
    if(proto != "TCP4" && proto != "TCP6")
        return invalid();
    auto const src = next();
    auto const dst = next();
    auto const sport = next();
    auto const dport = next();
    if(src.empty() || dst.empty() || sport.empty() || dport.empty() || !line.empty())
        return invalid();
    boost::system::error_code ec;
    auto const a = ip::make_address(std::string(src), ec);
    if(ec || a.is_v4() != (proto == "TCP4"))
        return invalid();
    h.source = unmapped(a);
    return h;
}

proxy_header parse_v2(std::string_view bytes) noexcept
{
    if(bytes.size() < 16)
        return incomplete(16 - bytes.size());
    auto const* b = reinterpret_cast<unsigned char const*>(bytes.data());
    if((b[12] >> 4) != 2)
        return invalid();
    unsigned const command = b[12] & 0x0f;
    unsigned const family = b[13];
    std::size_t const len = (std::size_t{b[14]} << 8) | b[15];
    if(16 + len > proxy_header::max_bytes || command > 1)
        return invalid();
    if(bytes.size() < 16 + len)
        return incomplete(16 + len - bytes.size());
    proxy_header h;
    h.status = proxy_header::state::complete;
    h.length = 16 + len;
    if(command == 0) // LOCAL: the proxy speaking for itself
        return h;
    auto const* addr = b + 16;
    switch(family)
    {
    case 0x11: // TCP over IPv4
    case 0x12: // UDP over IPv4
        if(len < 12)
            return invalid();
        h.source = ip::address_v4(ip::address_v4::bytes_type{addr[0], addr[1], addr[2], addr[3]});
        break;
    case 0x21: // TCP over IPv6
    case 0x22:
    {
        if(len < 36)
            return invalid();
        ip::address_v6::bytes_type a6;
        std::memcpy(a6.data(), addr, 16);
        h.source = unmapped(ip::address_v6(a6));
        break;
    }
    default: break; // UNSPEC or UNIX: no address to take; the connection is the proxy's
    }
    return h;
}

} // namespace

proxy_header parse_proxy_header(std::string_view bytes) noexcept
{
    if(bytes.empty())
        return incomplete(15);
    if(bytes.front() == 'P')
    {
        constexpr std::string_view v1 = "PROXY ";
        auto const n = std::min(bytes.size(), v1.size());
        if(bytes.substr(0, n) != v1.substr(0, n))
            return invalid();
        if(bytes.size() < v1.size())
            return incomplete(15 - bytes.size());
        return parse_v1(bytes);
    }
    auto const n = std::min(bytes.size(), v2_signature.size());
    if(std::memcmp(bytes.data(), v2_signature.data(), n) != 0)
        return invalid();
    return parse_v2(bytes);
}

} // namespace catena::webhooks::detail
