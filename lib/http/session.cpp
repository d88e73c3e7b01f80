// SPDX-License-Identifier: BSL-1.0
// lib/http/session.cpp - the sessions over plain TCP and over TLS.
#include "http/session.hpp"

#include <boost/beast/ssl.hpp>

namespace catena::webhooks::detail {

std::string stream_ops<boost::beast::tcp_stream>::remote(boost::beast::tcp_stream& s)
{
    error_code ec;
    auto ep = s.socket().remote_endpoint(ec);
    return ec ? std::string() : ep.address().to_string() + ":" + std::to_string(ep.port());
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

template class session<boost::beast::tcp_stream>;
template class session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace catena::webhooks::detail
