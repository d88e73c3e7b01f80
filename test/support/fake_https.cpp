// SPDX-License-Identifier: BSL-1.0
// test/support/fake_https.cpp - a JSON-over-HTTPS server on loopback with its own certificate.
#include "fake_https.hpp"

#include "tls_material.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>

#include <thread>

namespace catena::webhooks::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);
}

struct fake_https::impl
{
    net::io_context ioc;
    ssl::context tls{ssl::context::tls_server};
    tcp::acceptor acceptor{ioc};
    std::thread thread;
    std::string ca;
    unsigned short port = 0;
    std::function<fake_reply(fake_request const&)> handle;
    std::function<void()> after;

    net::awaitable<void> serve(tcp::socket socket)
    {
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, tuple_awaitable);
        if(hec)
            co_return;
        beast::flat_buffer buffer;
        fake_request req;
        auto [rec, n] = co_await http::async_read(stream, buffer, req, tuple_awaitable);
        if(rec)
            co_return;
        auto r = handle(req);
        if(after)
            after();
        http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
        res.set(http::field::content_type, "application/json");
        if(r.retry_after)
            res.set(http::field::retry_after, std::to_string(r.retry_after));
        if(r.status != 204 && !r.empty_body)
            res.body() = boost::json::serialize(r.body);
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(stream, res, tuple_awaitable);
        co_await stream.async_shutdown(tuple_awaitable);
    }

    net::awaitable<void> accept_loop()
    {
        for(;;)
        {
            auto [ec, socket] = co_await acceptor.async_accept(tuple_awaitable);
            if(ec)
                co_return;
            net::co_spawn(ioc, serve(std::move(socket)), net::detached);
        }
    }
};

fake_https::fake_https(std::string const& dir, std::function<fake_reply(fake_request const&)> handle,
                       std::function<void()> after, unsigned short port)
    : impl_(std::make_unique<impl>())
{
    impl_->handle = std::move(handle);
    impl_->after = std::move(after);
    auto const files = port == 0 ? make_self_signed(dir) : tls_files{dir + "/cert.pem", dir + "/key.pem"};
    impl_->ca = files.certificate;
    impl_->tls.use_certificate_chain_file(files.certificate);
    impl_->tls.use_private_key_file(files.private_key, ssl::context::pem);
    tcp::endpoint ep{net::ip::make_address("127.0.0.1"), port};
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(net::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    impl_->port = impl_->acceptor.local_endpoint().port();
    net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
    impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

fake_https::~fake_https()
{
    impl_->ioc.stop();
    impl_->thread.join();
}

std::string fake_https::url() const { return "https://127.0.0.1:" + std::to_string(impl_->port); }
unsigned short fake_https::port() const { return impl_->port; }
std::string fake_https::ca_file() const { return impl_->ca; }

} // namespace catena::webhooks::test
