// SPDX-License-Identifier: BSL-1.0
// lib/providers/route_table.hpp - the delivery routes of other providers: which one a request is for, and how each is checked and decoded.
#ifndef CATENA_WEBHOOKS_PROVIDERS_ROUTE_TABLE_HPP
#define CATENA_WEBHOOKS_PROVIDERS_ROUTE_TABLE_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include "store/inbox_entry.hpp"

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/** A network in CIDR notation (a single address is a /32 or /128). */
struct cidr
{
    boost::asio::ip::address network;
    unsigned prefix = 0;
};

/// "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"; nothing when it is not one. An IPv4-mapped
/// network of /96 or longer ("::ffff:192.0.2.0/120") is read as the IPv4 network it maps.
std::optional<cidr> parse_cidr(std::string_view text);
/// Whether `a` lies in `n` (an IPv4-mapped IPv6 address counts as its IPv4 address in an
/// IPv4 network, and as itself in an IPv6 one).
bool contains(cidr const& n, boost::asio::ip::address const& a) noexcept;

/** A request target matched to a route: the route, and what follows its path ("" or, with
    the token in the path, the segment after it). */
struct route_match
{
    route_options const* route = nullptr;
    std::string_view rest;
};

/** The routes of receiver_options::routes, checked once, looked up per request (intake) and
    per kept delivery (processing).

    Adding a provider: a value of `provider`, a folder under lib/providers/ with its decoder
    (and its management client), and its case in decode() and in admit() if it signs its
    deliveries (an unsigned provider uses the token and allowlist check as it is).

    @par Thread safety
    Read-only after construction.
*/
class route_table
{
public:
    /// The routes are read from `routes`, which must outlive the table.
    explicit route_table(std::vector<route_options> const& routes);

    /// Why the routes cannot work (a path twice, no token nor allowlist, a bad CIDR...), or
    /// empty. `catena_path` is the receiver's own path, which no route may take.
    std::string check(std::string_view catena_path) const;

    /// The route a request target (without its query) is for.
    std::optional<route_match> find(std::string_view target) const;
    /// The route whose path is `path` (a kept delivery's route).
    route_options const* by_path(std::string_view path) const;
    bool empty() const noexcept { return routes_.empty(); }

    /** The header-time check of an unsigned route: the peer's address against the allowlist,
        then the token (from the path's rest or from `token_header_value`) in constant time.
        route_token_mismatch, address_not_allowed, or success. */
    error_code admit(route_match const& m, std::string_view token_header_value,
                     boost::asio::ip::address const& peer) const;

    /** The event a kept delivery of route `r` carries, as its provider reads it (the body is
        its JSON), or why it cannot be read (a dead letter). */
    static result<event> decode(route_options const& r, inbox_entry const& e);

private:
    struct entry
    {
        route_options const* route;
        std::vector<cidr> allow;
    };
    std::vector<entry> routes_;
    std::string problem_; // a CIDR that did not parse
};

} // namespace catena::webhooks::detail

#endif
