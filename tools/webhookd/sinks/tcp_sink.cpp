// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/tcp_sink.cpp - one TCP connection at a time for a sink's protocol.
#include "tcp_sink.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace webhookd::sinks {

namespace net = boost::asio;
using tcp = net::ip::tcp;

tcp_sink::tcp_sink(net::any_io_executor ex, std::string name, std::string host, std::string port)
    : sink(std::move(ex), std::move(name)), host_(std::move(host)), port_(std::move(port)), resolver_(strand_),
      socket_(strand_)
{
}

void tcp_sink::open()
{
    auto const generation = ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    resolver_.async_resolve(host_, port_, [self = std::static_pointer_cast<tcp_sink>(shared_from_this()),
                                           generation](boost::system::error_code ec, tcp::resolver::results_type r) {
        if(ec)
            return self->fail(generation, "resolve " + self->host_ + ": " + ec.message());
        net::async_connect(self->socket_, r, [self, generation](boost::system::error_code cec, auto const&) {
            if(cec)
                return self->fail(generation, "connect: " + cec.message());
            if(generation != self->generation_ || self->stopped())
                return;
            boost::system::error_code ignored2;
            self->socket_.set_option(tcp::no_delay(true), ignored2);
            self->outgoing_.clear();
            self->writing_.clear();
            self->write_busy_ = false;
            self->connected();
            if(generation == self->generation_)
                self->read(generation);
        });
    });
}

void tcp_sink::send(std::string_view bytes)
{
    outgoing_ += bytes;
    write(generation_);
}

// One write at a time; what is queued meanwhile goes out together in the next.
void tcp_sink::write(std::uint64_t generation)
{
    if(write_busy_ || outgoing_.empty() || generation != generation_)
        return;
    write_busy_ = true;
    writing_.swap(outgoing_);
    net::async_write(socket_, net::buffer(writing_),
                     [self = std::static_pointer_cast<tcp_sink>(shared_from_this()), generation](boost::system::error_code ec,
                                                                                                std::size_t) {
                         if(generation != self->generation_)
                             return;
                         self->write_busy_ = false;
                         self->writing_.clear();
                         if(ec)
                             return self->fail(generation, "write: " + ec.message());
                         self->write(generation);
                     });
}

void tcp_sink::read(std::uint64_t generation)
{
    socket_.async_read_some(net::buffer(buffer_), [self = std::static_pointer_cast<tcp_sink>(shared_from_this()),
                                                   generation](boost::system::error_code ec, std::size_t n) {
        if(generation != self->generation_)
            return;
        if(ec)
            return self->fail(generation, ec == net::error::eof ? std::string("connection closed by the server")
                                                                : "read: " + ec.message());
        self->received(std::string_view(self->buffer_, n), generation);
        if(generation == self->generation_)
            self->read(generation);
    });
}

void tcp_sink::fail(std::uint64_t generation, std::string const& why)
{
    if(generation != generation_ || stopped())
        return;
    ++generation_; // every handler of this connection is stale now
    boost::system::error_code ignored;
    socket_.close(ignored);
    dropped();
    lost(why);
}

void tcp_sink::close()
{
    ++generation_;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.close(ignored);
}

} // namespace webhookd::sinks
