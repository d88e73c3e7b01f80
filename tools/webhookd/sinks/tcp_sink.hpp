// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/tcp_sink.hpp - a sink over one TCP connection at a time: connecting,
// writing what is queued in one go, reading, and giving up a connection (Redis, NATS).
#ifndef CATENA_WEBHOOKD_SINKS_TCP_SINK_HPP
#define CATENA_WEBHOOKD_SINKS_TCP_SINK_HPP

#include "sink.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace webhookd::sinks {

/** The connection half of a sink whose protocol runs over TCP. Every connection has a
    generation; a handler of an earlier one finds it changed and does nothing. */
class tcp_sink : public sink
{
protected:
    tcp_sink(boost::asio::any_io_executor ex, std::string name, std::string host, std::string port);

    /// Resolves and connects; then connected(), then reads until the connection is given up.
    void open() override;
    void close() override;

    /// The connection is up, the queue empty: reset the protocol's state, send what opens it.
    virtual void connected() = 0;
    /// Bytes the server sent. Gives up the connection with fail(generation, why) if they break
    /// the protocol; the reading goes on while `generation` is current.
    virtual void received(std::string_view bytes, std::uint64_t generation) = 0;
    /// The connection was given up: forget what was waiting for an answer on it.
    virtual void dropped() {}

    /// Queues bytes to the server; they go out with what else is queued, one write at a time.
    void send(std::string_view bytes);
    /// Gives up connection `generation` (if still current) and reports `why` (sink::lost).
    void fail(std::uint64_t generation, std::string const& why);
    std::uint64_t generation() const noexcept { return generation_; }

private:
    void write(std::uint64_t generation);
    void read(std::uint64_t generation);

    std::string host_, port_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::ip::tcp::socket socket_;
    std::uint64_t generation_ = 0;
    std::string outgoing_, writing_;
    bool write_busy_ = false;
    char buffer_[16384];
};

} // namespace webhookd::sinks

#endif
