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

admin_reply read_route(session_host& host, bool is_health, std::string_view target, std::string_view authorization)
{
    if(is_health)
    {
        bool const up = !host.stopping();
        admin_reply r{up ? 200u : 503u, up ? "ok\n" : "stopping\n"};
        r.content_type = "text/plain";
        return r;
    }
    if(host.served() != routes::admin)
    {
        admin_reply r{200, host.metrics_text()};
        r.content_type = "text/plain; version=0.0.4";
        return r;
    }
    return host.admin(target, authorization);
}

template class session<boost::beast::tcp_stream>;
template class session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace catena::webhooks::detail
