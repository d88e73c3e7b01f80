// SPDX-License-Identifier: BSL-1.0
// lib/http/session.cpp - the sessions over plain TCP and over TLS.
#include "http/session.hpp"

#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>

namespace catena::webhooks::detail {

std::string stream_ops<boost::beast::tcp_stream>::remote(boost::beast::tcp_stream& s)
{
    error_code ec;
    auto ep = s.socket().remote_endpoint(ec);
    return ec ? std::string() : ep.address().to_string() + ":" + std::to_string(ep.port());
}

boost::asio::ip::address stream_ops<boost::beast::tcp_stream>::peer(boost::beast::tcp_stream& s)
{
    error_code ec;
    auto ep = s.socket().remote_endpoint(ec);
    return ec ? boost::asio::ip::address() : ep.address();
}

void stream_ops<boost::beast::tcp_stream>::cancel(boost::beast::tcp_stream& s)
{
    error_code ignored;
    s.socket().cancel(ignored);
}

void stream_ops<boost::beast::tcp_stream>::shutdown_send(boost::beast::tcp_stream& s)
{
    error_code ignored;
    s.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

void stream_ops<boost::beast::tcp_stream>::close(boost::beast::tcp_stream& s)
{
    error_code ignored;
    s.socket().close(ignored);
}

std::optional<error> read_error_answer(error_code ec) noexcept
{
    namespace http = boost::beast::http;
    namespace net = boost::asio;
    if(ec == http::error::header_limit)
        return error::headers_too_large;
    if(ec == http::error::body_limit)
        return error::body_too_large;
    if(ec == http::error::bad_transfer_encoding)
        return error::bad_transfer_encoding;
    if(ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == net::error::eof ||
       ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated)
        return error{};
    if(ec.category() == http::make_error_code(http::error::bad_method).category())
        return error::bad_request;
    return std::nullopt;
}

template class session<boost::beast::tcp_stream>;
template class session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace catena::webhooks::detail
