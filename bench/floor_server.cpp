// SPDX-License-Identifier: BSL-1.0
// bench/floor_server.cpp - the floor the end-to-end benchmark measures against: a minimal
// Boost.Beast HTTP/1.1 server on one thread that reads each request whole (the same 4 MiB body
// limit as catena-webhookd) and answers 202 with an empty body, keeping the connection alive.
// No verification, no storage, no processing: whatever catena-webhookd costs beyond this is ours.
//
// Usage: bench_floor_server [HOST:PORT]   (default 127.0.0.1:0; prints "listening on HOST:PORT")
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

class session : public std::enable_shared_from_this<session>
{
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::empty_body> res_;

public:
    explicit session(tcp::socket s) : stream_(std::move(s))
    {
        res_.result(http::status::accepted);
        res_.version(11);
        res_.keep_alive(true);
        res_.content_length(0);
    }

    void read()
    {
        parser_.emplace();
        parser_->body_limit(4 * 1024 * 1024);
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
            if(ec)
                return self->close();
            self->res_.keep_alive(self->parser_->get().keep_alive());
            http::async_write(self->stream_, self->res_, [self](error_code ec2, std::size_t) {
                if(ec2 || !self->res_.keep_alive())
                    return self->close();
                self->read();
            });
        });
    }

    void close()
    {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
};

void accept(tcp::acceptor& acceptor)
{
    acceptor.async_accept([&acceptor](error_code ec, tcp::socket s) {
        if(!ec)
        {
            s.set_option(tcp::no_delay(true), ec);
            std::make_shared<session>(std::move(s))->read();
        }
        if(acceptor.is_open())
            accept(acceptor);
    });
}

} // namespace

int main(int argc, char** argv)
{
    std::string listen = argc > 1 ? argv[1] : "127.0.0.1:0";
    auto const colon = listen.rfind(':');
    if(colon == std::string::npos)
    {
        std::fprintf(stderr, "usage: bench_floor_server [HOST:PORT]\n");
        return 2;
    }
    net::io_context ioc(1);
    tcp::endpoint ep(net::ip::make_address(listen.substr(0, colon)),
                     static_cast<unsigned short>(std::stoul(listen.substr(colon + 1))));
    tcp::acceptor acceptor(ioc, ep);
    acceptor.listen(net::socket_base::max_listen_connections);
    std::fprintf(stderr, "listening on %s:%u\n", acceptor.local_endpoint().address().to_string().c_str(),
                 acceptor.local_endpoint().port());
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](error_code, int) {
        error_code ignored;
        acceptor.close(ignored);
        ioc.stop();
    });
    accept(acceptor);
    ioc.run();
    return 0;
}
