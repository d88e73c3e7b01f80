// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/http_sink.cpp - POSTs each message to an HTTP(S) endpoint; a 2xx acknowledges it.
#include "http_sink.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <stdexcept>

namespace webhookd::sinks {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto request_timeout = std::chrono::seconds(30);
} // namespace

// One keep-alive connection, one request at a time.
struct http_sink::connection : std::enable_shared_from_this<connection>
{
    explicit connection(net::any_io_executor ex) : resolver(ex), executor(std::move(ex)) {}

    tcp::resolver resolver;
    net::any_io_executor executor;
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    bool busy = false;
    bool open = false;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    void reset()
    {
        open = false;
        if(plain)
            plain->close();
        if(tls)
            beast::get_lowest_layer(*tls).close();
        plain.reset();
        tls.reset();
        buffer.clear();
    }
};

http_sink::http_sink(net::any_io_executor ex, std::string name, http_target t)
    : sink(std::move(ex), std::move(name)), target_(std::move(t))
{
    if(target_.tls)
    {
        tls_.emplace(ssl::context::tls_client);
        tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        tls_->set_verify_mode(ssl::verify_peer);
        boost::system::error_code ec;
        if(target_.ca_file.empty())
            tls_->set_default_verify_paths(ec);
        else
            tls_->load_verify_file(target_.ca_file, ec);
        if(ec)
            throw std::runtime_error("cannot load the CA file " + target_.ca_file + ": " + ec.message());
    }
    for(int i = 0; i < 4; ++i)
        pool_.push_back(std::make_shared<connection>(strand_));
}

http_sink::~http_sink() = default;

void http_sink::open()
{
    // Connections open when a request needs one; "connected" once an answer came.
    ready();
    set_connected(false);
}

void http_sink::close()
{
    // Closed, not destroyed: a pending operation's handler still refers to its stream.
    for(auto& c : pool_)
    {
        c->resolver.cancel();
        if(c->plain)
            c->plain->close();
        if(c->tls)
            beast::get_lowest_layer(*c->tls).close();
    }
}

void http_sink::transmit(std::uint64_t id, message const& m)
{
    std::shared_ptr<connection> c;
    for(auto& x : pool_)
        if(!x->busy)
        {
            c = x;
            break;
        }
    if(!c)
        return refused(id, "no idle connection"); // not reached: the window is the pool's size
    c->busy = true;
    auto& req = c->request;
    req = {};
    req.method(http::verb::post);
    req.target(target_.target);
    req.version(11);
    req.set(http::field::host, target_.host);
    req.set(http::field::user_agent, "catena-webhookd");
    req.set(http::field::content_type, "application/json");
    req.set("Idempotency-Key", m.idempotency_key);
    req.set("X-Catena-Kind", m.kind);
    if(!target_.token.empty())
        req.set(http::field::authorization, "Bearer " + target_.token);
    req.body() = m.json;
    req.prepare_payload();

    auto self = std::static_pointer_cast<http_sink>(shared_from_this());
    // Sends the request on an open connection, reads the answer.
    auto exchange = [self, c, id](auto& stream) {
        c->lowest().expires_after(request_timeout);
        http::async_write(stream, c->request, [self, c, id, &stream](beast::error_code ec, std::size_t) {
            if(ec)
                return self->done(c, id, "write: " + ec.message());
            c->response = {};
            http::async_read(stream, c->buffer, c->response, [self, c, id](beast::error_code rec, std::size_t) {
                if(rec)
                    return self->done(c, id, "read: " + rec.message());
                auto const status = c->response.result_int();
                if(!c->response.keep_alive())
                    c->reset();
                if(status / 100 == 2)
                    return self->done(c, id, std::nullopt);
                return self->done(c, id, "HTTP " + std::to_string(status) + " " + c->response.body().substr(0, 200));
            });
        });
    };
    if(c->open)
    {
        if(c->tls)
            return exchange(*c->tls);
        return exchange(*c->plain);
    }
    c->resolver.async_resolve(target_.host, target_.port, [self, c, id, exchange](beast::error_code ec,
                                                                                   tcp::resolver::results_type r) {
        if(ec)
            return self->done(c, id, "resolve " + self->target_.host + ": " + ec.message());
        c->reset();
        if(self->tls_)
            c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c->executor, *self->tls_);
        else
            c->plain = std::make_unique<beast::tcp_stream>(c->executor);
        c->lowest().expires_after(request_timeout);
        c->lowest().async_connect(r, [self, c, id, exchange](beast::error_code cec, tcp::endpoint const&) {
            if(cec)
                return self->done(c, id, "connect: " + cec.message());
            if(!c->tls)
            {
                c->open = true;
                return exchange(*c->plain);
            }
            // SNI, and the name the certificate must carry.
            if(!SSL_set_tlsext_host_name(c->tls->native_handle(), self->target_.host.c_str()))
                return self->done(c, id, "TLS: cannot set the server name");
            c->tls->set_verify_callback(ssl::host_name_verification(self->target_.host));
            c->tls->async_handshake(ssl::stream_base::client, [self, c, id, exchange](beast::error_code hec) {
                if(hec)
                    return self->done(c, id, "TLS handshake: " + hec.message());
                c->open = true;
                exchange(*c->tls);
            });
        });
    });
}

void http_sink::done(std::shared_ptr<connection> const& c, std::uint64_t id, std::optional<std::string> failure)
{
    c->busy = false;
    if(stopped())
        return;
    if(!failure)
    {
        set_connected(true);
        return acknowledged(id);
    }
    // A connection that failed is not used again; an answer that was not 2xx leaves it open.
    if(failure->rfind("HTTP ", 0) != 0)
    {
        c->reset();
        set_connected(false);
    }
    refused(id, *failure);
}

} // namespace webhookd::sinks
