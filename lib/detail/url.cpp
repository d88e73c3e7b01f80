// SPDX-License-Identifier: BSL-1.0
// lib/detail/url.cpp - the few URL pieces the API client and the state API need: base URLs, escaping.
#include "detail/url.hpp"

#include <boost/asio/ip/address.hpp>

#include <cctype>

namespace catena::webhooks::detail {

namespace net = boost::asio;
using error_code = boost::system::error_code;

std::optional<url_parts> parse_url(std::string_view u)
{
    url_parts p;
    if(u.starts_with("https://"))
        u.remove_prefix(8);
    else if(u.starts_with("http://"))
    {
        p.tls = false;
        u.remove_prefix(7);
    }
    else
        return std::nullopt;
    auto const slash = u.find('/');
    auto authority = u.substr(0, slash);
    p.base = slash == std::string_view::npos ? std::string() : std::string(u.substr(slash));
    while(!p.base.empty() && p.base.back() == '/')
        p.base.pop_back();
    if(authority.empty() || authority.find('@') != std::string_view::npos)
        return std::nullopt;
    if(authority.front() == '[')
    {
        auto const close = authority.find(']');
        if(close == std::string_view::npos)
            return std::nullopt;
        p.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if(!authority.empty() && authority.front() != ':')
            return std::nullopt;
        p.port = authority.empty() ? "" : std::string(authority.substr(1));
    }
    else
    {
        auto const colon = authority.rfind(':');
        p.host = std::string(authority.substr(0, colon));
        p.port = colon == std::string_view::npos ? "" : std::string(authority.substr(colon + 1));
    }
    if(p.port.empty())
        p.port = p.tls ? "443" : "80";
    if(p.host.empty() || p.port.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    error_code ec;
    auto const addr = net::ip::make_address(p.host, ec);
    p.host_is_ip = !ec;
    if(!p.tls && !(p.host_is_ip ? addr.is_loopback() : p.host == "localhost"))
        return std::nullopt; // credentials never cross the network in clear
    return p;
}

std::string percent_encode(std::string_view s)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for(unsigned char c : s)
    {
        if(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            out.push_back(static_cast<char>(c));
        else
        {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space)
{
    std::string out;
    out.reserve(s.size());
    auto const hex = [](char c) -> int {
        if(c >= '0' && c <= '9')
            return c - '0';
        if(c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if(c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for(std::size_t i = 0; i < s.size(); ++i)
    {
        char const c = s[i];
        if(c == '%')
        {
            if(i + 2 >= s.size())
                return std::nullopt;
            int const hi = hex(s[i + 1]), lo = hex(s[i + 2]);
            if(hi < 0 || lo < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        }
        else if(c == '+' && plus_is_space)
            out.push_back(' ');
        else
            out.push_back(c);
    }
    return out;
}

} // namespace catena::webhooks::detail
