// SPDX-License-Identifier: BSL-1.0
// lib/http/receive_gate.cpp - requests handed over by a partner's own HTTP server, through the same flow as the listener's.
#include "http/receive_gate.hpp"

#include "detail/address.hpp"
#include "http/request_flow.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <optional>

namespace catena::webhooks::detail {

namespace {

namespace http = boost::beast::http;

// The request's head as a session's parser would have it. HTTP/2 and later carry no Host
// (:authority stands for it): their head is read with HTTP/1.0's framing rules.
http::request_header<> head_of(request_view const& v)
{
    http::request_header<> h;
    h.method_string(v.method);
    h.target(v.target);
    h.version(v.version >= 20 ? 10 : v.version);
    for(auto const& f : v.headers)
        if(!f.name.empty())
            h.insert(f.name, f.value);
    return h;
}

// The answer exactly as a session shapes it: its headers, then the JSON body (none to a HEAD).
response response_of(session_host& host, answer a, std::string_view allow, bool head)
{
    http::response<http::string_body> res;
    shape_response(res, 11, a.status, "application/json", extra_header::none, allow,
                   a.status == 503 ? std::optional(host.options().timeouts.retry_after) : std::nullopt);
    response r;
    r.status = a.status;
    r.reason = a.ec;
    if(!head)
        r.body = answer_body(a.status, a.ec);
    r.headers.reserve(8);
    for(auto const& f : res)
        r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return r;
}

request_peer peer_of(session_host& host, boost::asio::ip::address const& a)
{
    auto const ip = unmapped(a);
    return {ip, ip.to_string(), client_of(ip), host.deliveries().trusted(ip)};
}

} // namespace

void receive_gate::open()
{
    std::lock_guard lock(mutex_);
    open_ = true;
}

void receive_gate::close(std::function<void()> drained)
{
    {
        std::lock_guard lock(mutex_);
        if(closed_)
            return;
        closed_ = true;
        if(in_flight_ > 0)
        {
            drained_ = std::move(drained);
            return;
        }
    }
    drained();
}

std::size_t receive_gate::in_flight() const
{
    std::lock_guard lock(mutex_);
    return in_flight_;
}

void receive_gate::finish()
{
    std::function<void()> drained;
    {
        std::lock_guard lock(mutex_);
        if(--in_flight_ == 0 && closed_)
            drained = std::move(drained_);
    }
    if(drained)
        drained();
}

response receive_gate::refuse(request_view const& req, error e)
{
    auto const head = head_of(req);
    auto const peer = peer_of(host_, req.peer);
    return response_of(host_, refuse_request(host_, e, &head, peer.remote), {}, head.method() == http::verb::head);
}

void receive_gate::receive(request_view const& req, std::string&& body, std::function<void(response)> done)
{
    bool taken = false;
    {
        std::lock_guard lock(mutex_);
        if(open_ && !closed_)
        {
            ++in_flight_;
            taken = true;
        }
    }
    if(!taken)
        return done(refuse(req, error::not_accepting));

    auto const head = head_of(req);
    bool const is_head = head.method() == http::verb::head;
    auto const peer = peer_of(host_, req.peer);
    auto answer_now = [&](answer a, std::string_view allow) {
        auto r = response_of(host_, a, allow, is_head);
        finish();
        done(std::move(r));
    };
    // The path, the method and the framing, as a session decides them on the head; only the
    // delivery paths are served here.
    auto const route = route_head(host_, routes::deliveries, head, !body.empty());
    if(route.what != head_route::kind::delivery)
        return answer_now(refuse_request(host_, route.what == head_route::kind::refuse ? route.refusal : error::not_found,
                                         &head, peer.remote),
                          route.allow);
    delivery_flow flow(host_);
    auto early = flow.admit(head, *route.route, body.size(), peer);
    if(!early && !body.empty())
        early = flow.reserve(body.size());
    if(early)
        return answer_now(*early, {});
    flow.deliver(std::move(body), [this, done = std::move(done)](answer a) {
        auto r = response_of(host_, a, {}, false);
        finish();
        done(std::move(r));
    });
}

} // namespace catena::webhooks::detail
