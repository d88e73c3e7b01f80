// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/beast.hpp - receive() and verify() for a partner's own Boost.Beast server.
#ifndef CATENA_WEBHOOKS_BEAST_HPP
#define CATENA_WEBHOOKS_BEAST_HPP

#include <catena/webhooks/receiver.hpp>
#include <catena/webhooks/verifier.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace catena::webhooks {

/** The headers of a Beast message as header fields: views into `f`, in order. */
inline std::vector<header_field> header_fields_of(boost::beast::http::fields const& f)
{
    std::vector<header_field> out;
    for(auto const& h : f)
        out.push_back({std::string_view(h.name_string()), std::string_view(h.value())});
    return out;
}

/** A view of a Beast request sent by `peer` (its headers in `fields`, which must outlive it). */
inline request_view view_of(boost::beast::http::request<boost::beast::http::string_body> const& req,
                            boost::asio::ip::address const& peer, std::vector<header_field> const& fields)
{
    request_view v;
    v.method = std::string_view(req.method_string());
    v.target = std::string_view(req.target());
    v.headers = fields;
    v.body = req.body();
    v.peer = peer;
    v.version = req.version();
    return v;
}

/** An answer as a Beast response to a request of `version` (HTTP/1.0: 10, HTTP/1.1: 11),
    keeping the connection open when `keep_alive`, its payload prepared. */
inline boost::beast::http::response<boost::beast::http::string_body> to_beast(response r, unsigned version,
                                                                                bool keep_alive)
{
    boost::beast::http::response<boost::beast::http::string_body> res{
        static_cast<boost::beast::http::status>(r.status), version};
    for(auto& [name, value] : r.headers)
        res.insert(name, value);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
}

/** receiver::receive() of a Beast request read from `peer`; the response to write. */
inline boost::beast::http::response<boost::beast::http::string_body>
receive(receiver& rx, boost::beast::http::request<boost::beast::http::string_body> const& req,
        boost::asio::ip::address const& peer)
{
    auto const fields = header_fields_of(req.base());
    return to_beast(rx.receive(view_of(req, peer, fields)), req.version(), req.keep_alive());
}

namespace detail {

/// Starts receiver::start_receive() for a Beast request and hands the Beast response over.
struct initiate_beast_receive
{
    receiver* rx;

    template<class Handler>
    void operator()(Handler&& handler, boost::beast::http::request<boost::beast::http::string_body> req,
                    boost::asio::ip::address const& peer) const
    {
        using handler_type = std::decay_t<Handler>;
        auto ex = boost::asio::get_associated_executor(handler, rx->get_executor());
        struct pending
        {
            handler_type handler;
            boost::asio::executor_work_guard<decltype(ex)> work;
            unsigned version;
            bool keep_alive;
        };
        auto p = std::make_shared<pending>(
            pending{std::forward<Handler>(handler), boost::asio::make_work_guard(ex), req.version(), req.keep_alive()});
        auto const fields = header_fields_of(req.base());
        auto view = view_of(req, peer, fields);
        view.body = {};
        rx->start_receive(view, std::move(req.body()), [p](response r) {
            auto const target = p->work.get_executor();
            boost::asio::post(target, [p, r = std::move(r)]() mutable {
                auto h = std::move(p->handler);
                p->work.reset();
                std::move(h)(to_beast(std::move(r), p->version, p->keep_alive));
            });
        });
    }
};

} // namespace detail

/** receiver::async_receive() of a Beast request read from `peer`: the body is moved into
    the receiver, not copied. The handler's signature is
    `void(boost::beast::http::response<boost::beast::http::string_body>)`; it runs on its
    associated executor (by default the receiver's), never inside this call. */
template<class CompletionToken>
auto async_receive(receiver& rx, boost::beast::http::request<boost::beast::http::string_body> req,
                   boost::asio::ip::address const& peer, CompletionToken&& token)
{
    return boost::asio::async_initiate<CompletionToken,
                                       void(boost::beast::http::response<boost::beast::http::string_body>)>(
        detail::initiate_beast_receive{&rx}, token, std::move(req), peer);
}

/** verify() of a Beast request. */
[[nodiscard]] inline error_code verify(boost::beast::http::request<boost::beast::http::string_body> const& req,
                                       secret_ring const& secrets, timestamp now = system_now(),
                                       verify_options const& opts = {})
{
    auto const fields = header_fields_of(req.base());
    return verify(std::span<header_field const>(fields), req.body(), secrets, now, opts);
}

} // namespace catena::webhooks

#endif
