// SPDX-License-Identifier: BSL-1.0
// lib/http/request_flow.cpp - one request's decisions, whoever read it off the wire: route, client, admission, body budget, keep, answer.
#include "http/request_flow.hpp"

#include "http/forwarded.hpp"
#include "http/framing.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <cctype>

namespace catena::webhooks::detail {

std::string_view beast_fields::get(std::string_view name) const
{
    auto it = req_.find(name);
    return it == req_.end() ? std::string_view{} : std::string_view(it->value());
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

std::string answer_body(unsigned status, error_code const& ec)
{
    return R"({"status":)" + std::to_string(status) + R"(,"reason":")" + std::string(wire_reason(ec)) + "\"}\n";
}

head_route route_head(session_host& host, routes served, boost::beast::http::request_header<> const& req,
                      bool body_follows)
{
    namespace http = boost::beast::http;
    head_route r;
    if(auto const e = check_framing(req); e != error{})
    {
        r.refusal = e;
        r.close = true;
        return r;
    }
    auto const& opts = host.options();
    auto& in = host.deliveries();
    auto target = std::string_view(req.target());
    target = target.substr(0, target.find('?'));
    if(served != routes::admin)
    {
        if(auto m = in.route_for(target))
        {
            if(req.method() != http::verb::post)
            {
                r.refusal = error::method_not_allowed;
                r.allow = "POST";
                return r;
            }
            r.what = head_route::kind::delivery;
            r.route = m;
            return r;
        }
    }
    bool const admin = served != routes::deliveries;
    bool const is_health = admin && !opts.health_path.empty() && target == opts.health_path;
    // Metrics on the delivery listener only where nobody else can read them (or asked for).
    bool const metrics_here =
        served == routes::admin || opts.public_metrics.value_or(opts.listen.address().is_loopback());
    bool const is_metrics = admin && metrics_here && !opts.metrics_path.empty() && target == opts.metrics_path;
    if(served == routes::admin && !is_health)
    {
        auto const h = req.find(http::field::host);
        if(!admin_host_allowed(h == req.end() ? std::string_view{} : std::string_view(h->value()), opts))
        {
            r.refusal = error::host_not_allowed;
            return r;
        }
    }
    if(!is_health && !is_metrics && (served != routes::admin || in.route_for(target)))
    {
        r.refusal = error::not_found;
        return r;
    }
    if(req.method() != http::verb::get && req.method() != http::verb::head)
    {
        r.refusal = error::method_not_allowed;
        r.allow = "GET, HEAD";
        return r;
    }
    if(body_follows)
    {
        r.refusal = error::bad_request; // a GET with a body: not worth reading
        return r;
    }
    r.what = head_route::kind::read;
    r.is_health = is_health;
    return r;
}

answer refuse_request(session_host& host, error e, boost::beast::http::request_header<> const* req,
                      std::string const& remote)
{
    auto const ec = make_error_code(e);
    unsigned const status = http_status(ec);
    host.counts().count_response(status, ec);
    std::string rid, wid;
    if(req)
    {
        if(auto it = req->find(header::request_id); it != req->end())
            rid = it->value();
        if(auto it = req->find(header::webhook_id); it != req->end())
            wid = it->value();
    }
    host.report(ec, status, "request from " + remote, std::move(rid), std::move(wid));
    return {status, ec};
}

// The client of the request: behind a trusted proxy that does not speak the PROXY protocol,
// the right-most untrusted hop of its X-Forwarded-For. A proxy whose header cannot be read
// leaves the proxy as the client (reported), never a refusal: the request may be an
// authentic delivery.
client_address const& delivery_flow::identify(boost::beast::http::request_header<> const& req,
                                              request_peer const& peer)
{
    client_ = peer.client;
    if(peer.forwarded)
    {
        std::string xff;
        for(auto const& f : req)
            if(boost::beast::iequals(f.name_string(), "X-Forwarded-For"))
                xff.append(xff.empty() ? "" : ",").append(f.value());
        if(auto a = forwarded_client(peer.ip, xff, host_.deliveries().trusted_proxies()))
            client_ = client_of(*a);
        else
        {
            host_.counts().add(counters::id::proxy_header_errors);
            host_.report(error::bad_proxy_header, 0,
                         "X-Forwarded-For \"" + xff.substr(0, 200) + "\" from trusted proxy " + peer.remote +
                             " names no address; its request is counted as the proxy's",
                         {}, {});
        }
    }
    who_ = client_.ip == peer.ip ? peer.remote : client_.ip.to_string() + " (via " + peer.remote + ")";
    return client_;
}

answer delivery_flow::counted(answer a)
{
    host_.counts().count_response(a.status, a.ec);
    return a;
}

// Everything that needs no body is decided here: a forged, stale, oversized or unaffordable
// request is answered without reading it, whatever it announces.
std::optional<answer> delivery_flow::admit(boost::beast::http::request_header<> const& req, route_match const& route,
                                           std::optional<std::uint64_t> length, request_peer const& peer)
{
    route_ = route;
    auto const& client = identify(req, peer);
    if(auto a = host_.deliveries().admit(route_, beast_fields(req), length, who_, client, ticket_))
        return counted(*a);
    return std::nullopt;
}

// A Content-Length body is reserved whole before a byte of it is read; a chunked one as it
// grows.
std::optional<answer> delivery_flow::reserve(std::size_t total)
{
    if(total <= reserved_)
        return std::nullopt;
    auto& in = host_.deliveries();
    if(!in.reserve_body(total - reserved_))
        return counted(in.defer(error::body_budget_exhausted, ticket_.headers, who_, total));
    reserved_ = total;
    return std::nullopt;
}

answer delivery_flow::too_large(std::size_t have)
{
    return counted(host_.deliveries().defer(error::body_too_large, ticket_.headers, who_, have));
}

void delivery_flow::keep(std::string&& body, std::function<void(answer)> done)
{
    host_.deliveries().deliver(route_, ticket_, std::move(body), who_, client_, std::move(done));
    // The body is the inbox's now (or gone): it no longer counts against the budget.
    release();
}

void delivery_flow::release() noexcept
{
    if(reserved_ > 0)
        host_.deliveries().release_body(std::exchange(reserved_, 0));
}

} // namespace catena::webhooks::detail
