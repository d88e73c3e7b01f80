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

namespace {

std::string_view field(boost::beast::http::request_header<> const& req, std::string_view name)
{
    auto it = req.find(name);
    return it == req.end() ? std::string_view{} : std::string_view(it->value());
}

} // namespace

delivery_headers delivery_headers_of(boost::beast::http::request_header<> const& req)
{
    namespace http = boost::beast::http;
    return delivery_headers{field(req, header::signature),  field(req, header::timestamp),
                            field(req, header::webhook_id), field(req, http::to_string(http::field::content_encoding)),
                            field(req, header::event_type), field(req, header::request_id),
                            field(req, header::delivery_attempt)};
}

delivery_headers route_headers_of(boost::beast::http::request_header<> const& req, route_options const& r,
                                  std::string_view& token)
{
    namespace http = boost::beast::http;
    delivery_headers h;
    h.webhook_id = r.path;
    h.content_encoding = field(req, http::to_string(http::field::content_encoding));
    h.request_id = field(req, header::request_id);
    h.delivery_attempt = field(req, header::delivery_attempt);
    token = r.token_header.empty() ? std::string_view{} : field(req, r.token_header);
    return h;
}

void shape_response(boost::beast::http::response<boost::beast::http::string_body>& res, unsigned version,
                    unsigned status, std::string_view content_type, extra_header extra, std::string_view allow,
                    std::optional<std::chrono::seconds> retry_after)
{
    namespace http = boost::beast::http;
    res = {};
    res.version(version);
    res.result(status);
    res.set(http::field::server, "catena-webhooks");
    res.set(http::field::content_type, content_type);
    switch(extra)
    {
    case extra_header::none: break;
    case extra_header::challenge: res.set(http::field::www_authenticate, "Bearer realm=\"catena-webhookd\""); break;
    case extra_header::page:
        res.set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                                           "style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; "
                                           "frame-ancestors 'none'");
        break;
    }
    // Every answer: never sniffed into another type, never cached (fleet states, metrics and
    // answers to deliveries are all of the moment, and some are the operator's business).
    res.set("X-Content-Type-Options", "nosniff");
    res.set(http::field::cache_control, "no-store");
    if(!allow.empty())
        res.set(http::field::allow, allow);
    if(retry_after)
        res.set(http::field::retry_after, std::to_string(retry_after->count()));
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

bool admin_host_allowed(std::string_view host, receiver_options const& opts) noexcept
{
    // The host part: "[::1]:9090" -> "::1", "name:9090" -> "name"; a trailing dot dropped.
    if(!host.empty() && host.front() == '[')
    {
        auto const close = host.find(']');
        if(close == std::string_view::npos)
            return false;
        host = host.substr(1, close - 1);
    }
    else if(auto const colon = host.find(':'); colon != std::string_view::npos && colon == host.rfind(':'))
        host = host.substr(0, colon);
    if(!host.empty() && host.back() == '.')
        host.remove_suffix(1);
    if(host.empty())
        return false;
    auto const iequal = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
               });
    };
    if(iequal(host, "localhost") ||
       (host.size() > 10 && iequal(host.substr(host.size() - 10), ".localhost")))
        return true;
    for(auto const& name : opts.admin_hosts)
        if(iequal(host, name))
            return true;
    // An address: loopback, or the one the admin listener is bound to (any, when it listens on
    // every address). A rebinding page reaches us under its own name, never an address.
    boost::system::error_code ec;
    auto const a = boost::asio::ip::make_address(std::string(host), ec);
    if(ec)
        return false;
    auto const mine = opts.admin_listen ? opts.admin_listen->address() : opts.listen.address();
    return a.is_loopback() || mine.is_unspecified() || a == mine ||
           (a.is_v6() && a.to_v6().is_v4_mapped() && boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).is_loopback());
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
