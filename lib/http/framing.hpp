// SPDX-License-Identifier: BSL-1.0
// lib/http/framing.hpp - the framing rules a request must meet before anything else is read of it.
#ifndef CATENA_WEBHOOKS_HTTP_FRAMING_HPP
#define CATENA_WEBHOOKS_HTTP_FRAMING_HPP

#include <catena/webhooks/error.hpp>

#include <boost/beast/http/message.hpp>

namespace catena::webhooks::detail {

/** RFC 9112 §6.3 and §3.2: a request whose framing two parsers could read differently is
    answered 400 and its connection closed. Transfer-Encoding must be exactly `chunked`, once
    (the only coding any sender here uses; anything else is how requests are smuggled past a
    proxy), and an HTTP/1.1 request carries exactly one Host.
    @return error::bad_transfer_encoding, error::bad_host, or nothing (error{}).
*/
error check_framing(boost::beast::http::request_header<> const& req) noexcept;

} // namespace catena::webhooks::detail

#endif
