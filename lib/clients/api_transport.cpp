// SPDX-License-Identifier: BSL-1.0
// lib/clients/api_transport.cpp - the HTTP(S) side of the providers' API clients: one exchange, backoff, cancellation.
#include "clients/api_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <charconv>
#include <memory>

namespace catena::webhooks::detail {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_answer_bytes = 16u << 20;

} // namespace

api_error api_failure(error e, std::string message)
{
    api_error x;
    x.ec = make_error_code(e);
    x.message = std::move(message);
    return x;
}

bool api_retryable(api_error const& e) noexcept
{
    return e.ec == error::api_unreachable || e.ec == error::api_server_error || e.ec == error::api_rate_limited;
}

struct api_transport::live_guard
{
    api_transport& self;
    std::uint64_t id;
    live_guard(api_transport& s, std::function<void()> close) : self(s), id(++s.next_live_)
    {
        s.live_.emplace(id, std::move(close));
    }
    ~live_guard() { self.live_.erase(id); }
    live_guard(live_guard const&) = delete;
    live_guard& operator=(live_guard const&) = delete;
};

api_transport::api_transport(net::any_io_executor ex, transport_options o)
    : strand_(net::make_strand(ex)), opts_(std::move(o)), tls_(ssl::context::tls_client), rng_(std::random_device{}())
{
    error_code ec;
    tls_.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                     ssl::context::no_tlsv1_1);
    if(opts_.ca_file.empty())
        tls_.set_default_verify_paths(ec);
    else if(tls_.load_verify_file(opts_.ca_file, ec); ec)
        problem_ = "cannot read the CA file " + opts_.ca_file + ": " + ec.message();
    tls_.set_verify_mode(ssl::verify_peer);
}

void api_transport::close_all()
{
    closing_ = true;
    auto pending = std::move(live_);
    live_.clear();
    for(auto& [id, close] : pending)
        close();
}

net::awaitable<api_result<api_answer>> api_transport::exchange(url_parts const& u, http::verb method,
                                                               std::string const& target, std::string const& body,
                                                               std::string_view content_type,
                                                               std::string_view auth_header,
                                                               std::string const& auth_value)
{
    ++requests;
    auto const ex = co_await net::this_coro::executor;
    auto const where = [&u](std::string_view what) { return std::string(what) + " " + u.host + ":" + u.port; };
    if(closing_)
        co_return api_failure(error::api_unreachable, "cancelled");
    auto resolver = std::make_shared<tcp::resolver>(ex);
    live_guard resolving(*this, [resolver] { resolver->cancel(); });
    net::steady_timer guard(ex);
    guard.expires_after(opts_.timeout);
    guard.async_wait([r = resolver](error_code ec) {
        if(!ec)
            r->cancel();
    });
    auto [rec, endpoints] = co_await resolver->async_resolve(u.host, u.port, tuple_awaitable);
    guard.cancel();
    if(rec)
        co_return api_failure(error::api_unreachable, where("cannot resolve") + ": " + rec.message());

    beast::ssl_stream<beast::tcp_stream> stream(ex, tls_);
    auto& tcp_layer = beast::get_lowest_layer(stream);
    live_guard connected(*this, [&tcp_layer] {
        error_code ignored;
        tcp_layer.socket().close(ignored);
    });
    if(closing_)
        co_return api_failure(error::api_unreachable, "cancelled");
    tcp_layer.expires_after(opts_.timeout);
    auto [cec, ep] = co_await tcp_layer.async_connect(endpoints, tuple_awaitable);
    if(cec)
        co_return api_failure(error::api_unreachable, where("cannot connect to") + ": " + cec.message());
    if(u.tls)
    {
        if(!u.host_is_ip)
            SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str());
        stream.set_verify_callback(ssl::host_name_verification(u.host));
        tcp_layer.expires_after(opts_.timeout);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, tuple_awaitable);
        if(hec)
            co_return api_failure(error::api_unreachable, where("TLS with") + " failed: " + hec.message());
    }

    http::request<http::string_body> req{method, u.base + target, 11};
    auto const host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host; // IPv6
    req.set(http::field::host, u.port == (u.tls ? "443" : "80") ? host : host + ":" + u.port);
    req.set(http::field::user_agent, "catena-webhooks");
    req.set(http::field::accept, "application/json");
    req.set(http::field::connection, "close");
    if(!auth_header.empty() && !auth_value.empty())
        req.set(auth_header, auth_value);
    if(!content_type.empty())
        req.set(http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();

    http::response_parser<http::string_body> parser;
    parser.body_limit(max_answer_bytes);
    beast::flat_buffer buffer;
    error_code wec, rec2;
    tcp_layer.expires_after(opts_.timeout);
    if(u.tls)
    {
        std::tie(wec, std::ignore) = co_await http::async_write(stream, req, tuple_awaitable);
        if(!wec)
        {
            tcp_layer.expires_after(opts_.timeout);
            std::tie(rec2, std::ignore) = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
        }
    }
    else
    {
        std::tie(wec, std::ignore) = co_await http::async_write(tcp_layer, req, tuple_awaitable);
        if(!wec)
        {
            tcp_layer.expires_after(opts_.timeout);
            std::tie(rec2, std::ignore) = co_await http::async_read(tcp_layer, buffer, parser, tuple_awaitable);
        }
    }
    if(wec || rec2)
        co_return api_failure(error::api_unreachable, where("no answer from") + ": " + (wec ? wec : rec2).message());
    error_code ignored;
    tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
    auto& res = parser.get();
    api_answer a;
    a.status = res.result_int();
    a.body = std::move(res.body());
    if(auto it = res.find(http::field::retry_after); it != res.end())
    {
        unsigned long s = 0;
        auto const v = it->value();
        if(std::from_chars(v.data(), v.data() + v.size(), s).ec == std::errc{})
            a.retry_after = std::chrono::seconds(s);
    }
    co_return a;
}

net::awaitable<void> api_transport::sleep(std::chrono::milliseconds d)
{
    net::steady_timer t(co_await net::this_coro::executor);
    live_guard sleeping(*this, [&t] { t.cancel(); });
    t.expires_after(d);
    co_await t.async_wait(tuple_awaitable);
}

std::optional<std::chrono::milliseconds> api_transport::retry_wait(api_error const& e, unsigned attempt,
                                                                   retry_policy const& p)
{
    if(!p.retryable(e) || attempt >= p.max_attempts || closing_)
        return std::nullopt;
    auto d = opts_.initial_backoff * (1ll << std::min(attempt - 1, 20u));
    d = std::min<std::chrono::milliseconds>(d, opts_.max_backoff);
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    std::chrono::milliseconds wait(static_cast<long long>(static_cast<double>(d.count()) * jitter(rng_)));
    if(e.ec == error::api_rate_limited && e.retry_after)
    {
        if(*e.retry_after > p.max_retry_after)
            return std::nullopt;
        wait = std::max<std::chrono::milliseconds>(wait, *e.retry_after);
    }
    return wait;
}

} // namespace catena::webhooks::detail
