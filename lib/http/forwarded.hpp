// SPDX-License-Identifier: BSL-1.0
// lib/http/forwarded.hpp - who the client is behind a trusted reverse proxy: X-Forwarded-For and the PROXY protocol header.
#ifndef CATENA_WEBHOOKS_HTTP_FORWARDED_HPP
#define CATENA_WEBHOOKS_HTTP_FORWARDED_HPP

#include "detail/address.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/** The client of a request that trusted proxy `peer` forwarded with X-Forwarded-For `xff`
    (every field of it joined by commas): walking from the right, the first address that is
    not a trusted proxy (each proxy appends the address it heard from; what lies left of the
    first untrusted hop was written by the client and proves nothing). Every hop trusted: the
    left-most. No header: the peer. Nothing when the hop it lands on is not an address (a
    proxy misconfigured: the caller falls back to the peer and reports it). Entries may carry
    a port ("192.0.2.7:4711", "[2001:db8::1]:4711"). */
std::optional<boost::asio::ip::address> forwarded_client(boost::asio::ip::address const& peer, std::string_view xff,
                                                         std::vector<cidr> const& trusted);

/** What the start of a connection from a PROXY-protocol proxy says. */
struct proxy_header
{
    enum class state
    {
        incomplete, ///< Not enough bytes yet (at most max_bytes are ever needed).
        invalid,    ///< Not a PROXY header: the connection is closed.
        complete,
    };
    state status = state::incomplete;
    std::size_t length = 0; ///< Bytes the header takes (complete).
    /// Bytes certainly still missing (incomplete): reading exactly this many never reads
    /// past the header, so what follows it (a TLS handshake) stays unread.
    std::size_t more = 15;
    /// The client (complete); nothing for a header that names none (v1 UNKNOWN, v2 LOCAL: the
    /// proxy's own health check), whose connection is then the proxy's.
    std::optional<boost::asio::ip::address> source;

    /// The longest header read: v1 is at most 107 bytes; v2's 16-byte preamble and the
    /// addresses and TLVs it announces, bounded here.
    static constexpr std::size_t max_bytes = 16 + 1024;
};

/// Parses a PROXY protocol header, version 1 (text) or 2 (binary), at the start of `bytes`.
proxy_header parse_proxy_header(std::string_view bytes) noexcept;

} // namespace catena::webhooks::detail

#endif
