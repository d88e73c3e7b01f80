// SPDX-License-Identifier: BSL-1.0
// lib/detail/url.hpp - the few URL pieces the API client and the state API need: base URLs, escaping.
#ifndef CATENA_WEBHOOKS_DETAIL_URL_HPP
#define CATENA_WEBHOOKS_DETAIL_URL_HPP

#include <optional>
#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/** A base URL: scheme, host, port and a path prefix. */
struct url_parts
{
    bool tls = true;
    std::string host, port, base; // base: path prefix without a trailing '/'
    bool host_is_ip = false;
};

/** "https://HOST[:PORT][/PATH]", or "http://" to a loopback host only (credentials never
    cross the network in clear); IPv6 hosts in brackets. std::nullopt otherwise. */
std::optional<url_parts> parse_url(std::string_view u);

/// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percent_encode(std::string_view s);

/// Decodes %XX (and '+' as a space in a query); std::nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

} // namespace catena::webhooks::detail

#endif
