// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/request.hpp - a request as a partner's own HTTP server hands it over, and the answer to send back.
#ifndef CATENA_WEBHOOKS_REQUEST_HPP
#define CATENA_WEBHOOKS_REQUEST_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>

#include <boost/asio/ip/address.hpp>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace catena::webhooks {

/** One header line: a name (matched case-insensitively) and its value. */
struct header_field
{
    std::string_view name;
    std::string_view value;
};

/** The first value of header `name` (case-insensitive) among `headers`; empty when absent. */
CATENA_WEBHOOKS_DECL std::string_view find_header(std::span<header_field const> headers, std::string_view name) noexcept;

/** A request read by the partner's own HTTP server, for receiver::receive.

    Every member is a view: the server's request must stay valid until receive() returns, and
    for async_receive until the operation is initiated (the body is copied then). Headers
    keep their order and repeats, Host among them: an HTTP/1.1 request without exactly one
    Host, or with a Transfer-Encoding other than chunked, is refused (400) as the receiver's
    own listener refuses it.
*/
struct request_view
{
    std::string_view method = "POST";            ///< The request method, e.g. "POST".
    std::string_view target = "/webhooks/catena"; ///< The request target: path and query.
    std::span<header_field const> headers{};      ///< Every header, as received.
    std::string_view body{};                      ///< The whole body, as received (gzip when Content-Encoding says so).
    /** The address of the TCP peer that sent the request. It keys the per-address penalties;
        when it is one of receiver_options::trusted_proxies, X-Forwarded-For names the client
        instead, as on the receiver's own listener. */
    boost::asio::ip::address peer{};
    /// HTTP version times ten: 10, 11 (a Host is then required), or 20 for HTTP/2 and later
    /// (whose :authority stands for Host).
    unsigned version = 11;
};

/** What to answer a request: the status, the headers and the body, exactly as the receiver's
    own listener would write them (Content-Type, Retry-After on a 503, Allow on a 405...).
    The server adds its own framing (Content-Length, Connection). */
struct response
{
    unsigned status = 500;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// The precise reason (empty for a delivery kept): metrics, on_error and logs name it;
    /// the body names only what a client may read (every authentication failure is
    /// `unauthenticated`).
    error_code reason;

    /** The value of header `name` (case-insensitive), empty when absent. */
    CATENA_WEBHOOKS_DECL std::string_view header(std::string_view name) const noexcept;
};

} // namespace catena::webhooks

#endif
