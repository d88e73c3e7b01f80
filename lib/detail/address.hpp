// SPDX-License-Identifier: BSL-1.0
// lib/detail/address.hpp - client addresses: networks in CIDR notation, IPv4-mapped addresses, the key budgets are counted under.
#ifndef CATENA_WEBHOOKS_DETAIL_ADDRESS_HPP
#define CATENA_WEBHOOKS_DETAIL_ADDRESS_HPP

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/// An IPv4-mapped IPv6 address (::ffff:192.0.2.7, what a dual-stack socket reports for an
/// IPv4 peer) as the IPv4 address it is; any other address as it is.
boost::asio::ip::address unmapped(boost::asio::ip::address const& a) noexcept;

/** A network in CIDR notation (a single address is a /32 or /128). */
struct cidr
{
    boost::asio::ip::address network;
    unsigned prefix = 0;
};

/** "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"; nothing when it is not one. An IPv4-mapped
    network ("::ffff:10.0.0.0/104") is the IPv4 network it maps (10.0.0.0/8), so that it
    matches the addresses it names however the socket reports them; one wider than the
    mapped range (a prefix under 96) is the IPv6 network it says. */
std::optional<cidr> parse_cidr(std::string_view text);
/// Whether `a` lies in `n` (an IPv4-mapped IPv6 address counts as its IPv4 address in an
/// IPv4 network, and as itself in an IPv6 one).
bool contains(cidr const& n, boost::asio::ip::address const& a) noexcept;
/// Whether `a` lies in any of `nets`.
bool contains(std::vector<cidr> const& nets, boost::asio::ip::address const& a) noexcept;

/** The key under which an address is budgeted and penalised: an IPv4 address itself, an IPv6
    address's /64 (one subscriber line or host; an attacker holds the whole /64, so counting
    its addresses one by one would bound nothing). */
std::string budget_key(boost::asio::ip::address const& a);

/** Who sent a request: its address (behind a trusted proxy, the proxy's client) and the key
    it is budgeted and penalised under. */
struct client_address
{
    boost::asio::ip::address ip;
    std::string key;
};
client_address client_of(boost::asio::ip::address const& a);

} // namespace catena::webhooks::detail

#endif
