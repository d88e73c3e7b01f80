// SPDX-License-Identifier: BSL-1.0
// examples/own_beast_server/main.cpp - a partner's own Beast server that serves its routes and hands /webhooks/catena to the receiver.
//
// Usage: example_own_beast_server [ADDRESS [PORT]]   (default 127.0.0.1 8081; port 0 picks one)
// The secret of subscription CATENA_WEBHOOK_ID (default below) is CATENA_WEBHOOK_SECRET;
// CATENA_DATA_DIR, when set, keeps deliveries on disk (else in memory). Prints
// "listening on ADDRESS:PORT" to stderr once it accepts, each event to stdout; SIGINT or
// SIGTERM stop it: deliveries in flight get their answer, what was kept is processed.
#include <catena/webhooks.hpp>
#include <catena/webhooks/beast.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace cw = catena::webhooks;
using tcp = net::ip::tcp;

// One connection of the partner's server: its own routes, and the webhook path handed over.
class connection : public std::enable_shared_from_this<connection>
{
public:
    connection(tcp::socket s, cw::receiver& rx) : stream_(std::move(s)), rx_(rx) {}

    void read()
    {
        parser_.emplace();
        parser_->body_limit(16u << 20); // Catena's deliveries go up to 16 MiB
        stream_.expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if(ec)
                return self->close();
            self->route(self->parser_->release());
        });
    }

private:
    void route(http::request<http::string_body> req)
    {
        if(req.target().starts_with("/webhooks/"))
        {
            // The peer keys the receiver's penalties (and X-Forwarded-For behind a trusted proxy).
            beast::error_code ec;
            auto const peer = stream_.socket().remote_endpoint(ec).address();
            // Answered once the delivery is kept; the answer comes back on this connection's strand.
            return cw::async_receive(rx_, std::move(req), peer,
                                     net::bind_executor(stream_.get_executor(), [self = shared_from_this()](auto res) {
                                         self->write(std::move(res));
                                     }));
        }
        http::response<http::string_body> res{req.target() == "/hello" ? http::status::ok : http::status::not_found,
                                              req.version()};
        res.set(http::field::content_type, "text/plain");
        res.body() = req.target() == "/hello" ? "hello from the partner's own server\n" : "not here\n";
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        write(std::move(res));
    }

    void write(http::response<http::string_body> res)
    {
        auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
        http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
            if(ec || !sp->keep_alive())
                return self->close();
            self->read();
        });
    }

    void close()
    {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    cw::receiver& rx_;
};

void accept(tcp::acceptor& acceptor, net::io_context& ioc, cw::receiver& rx)
{
    acceptor.async_accept(net::make_strand(ioc), [&](beast::error_code ec, tcp::socket s) {
        if(ec == net::error::operation_aborted)
            return;
        if(!ec)
            std::make_shared<connection>(std::move(s), rx)->read();
        accept(acceptor, ioc, rx);
    });
}

int main(int argc, char** argv)
{
    auto env = [](char const* name, char const* fallback) {
        char const* v = std::getenv(name);
        return std::string(v ? v : fallback);
    };
    net::io_context ioc;

    cw::receiver_options opts;
    opts.own_listener = false; // deliveries come through the partner's server below
    opts.secrets.add(env("CATENA_WEBHOOK_ID", "247b2dea-a030-48b7-9a05-ee33c1b6ab0a"), env("CATENA_WEBHOOK_SECRET", ""));
    opts.store.data_dir = env("CATENA_DATA_DIR", "");
    cw::receiver rx{ioc.get_executor(), std::move(opts)};
    rx.on_any([](cw::event const& e) {
        std::printf("event %s %s\n", e.event_name.c_str(), e.record_id.c_str());
        std::fflush(stdout);
    });
    rx.on_error([](cw::error_report const& r) {
        std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(r.reason.size()), r.reason.data(), r.detail.c_str());
    });
    if(auto ec = rx.start())
    {
        std::fprintf(stderr, "cannot start the receiver: %s %s\n", ec.message().c_str(), rx.start_detail().c_str());
        return 1;
    }

    tcp::endpoint const ep{net::ip::make_address(argc > 1 ? argv[1] : "127.0.0.1"),
                           static_cast<unsigned short>(argc > 2 ? std::atoi(argv[2]) : 8081)};
    tcp::acceptor acceptor(ioc, ep);
    accept(acceptor, ioc, rx);
    std::fprintf(stderr, "listening on %s:%u\n", ep.address().to_string().c_str(), acceptor.local_endpoint().port());

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
        acceptor.close();
        rx.stop(); // answers what is in flight, processes what was kept
    });
    ioc.run();
    std::fprintf(stderr, "stopped\n");
}
