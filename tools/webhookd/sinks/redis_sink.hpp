// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/redis_sink.hpp - XADD to a Redis stream, pipelined on one connection.
#ifndef CATENA_WEBHOOKD_SINKS_REDIS_SINK_HPP
#define CATENA_WEBHOOKD_SINKS_REDIS_SINK_HPP

#include "tcp_sink.hpp"

#include <deque>
#include <optional>
#include <string>
#include <string_view>

struct redisReader;

namespace webhookd::sinks {

/** Where a Redis sink writes: `redis://HOST:PORT/STREAM[?maxlen=N][&password-env=NAME]`. */
struct redis_target
{
    std::string host;
    std::string port = "6379";
    std::string stream;
    std::size_t maxlen = 0;   ///< XADD MAXLEN ~ N when not 0.
    std::string password;     ///< AUTH, from the environment variable password-env names.
};

/** Builds one XADD command (RESP, by hiredis's formatter):
    `XADD STREAM [MAXLEN ~ N] * kind KIND idempotency_key KEY event JSON`. */
std::string redis_xadd(redis_target const& t, message const& m);

/** Appends every message to a Redis stream with XADD, the fields `kind`, `idempotency_key`
    and `event` (the JSON line). Commands are pipelined on one connection and answered in
    order: a stream entry id acknowledges a message, an error reply refuses it (it goes out
    again after the back-off). Redis has no server-side de-duplication of stream entries: a
    message resent after a lost connection may appear twice, with the same idempotency key.

    hiredis provides the protocol (its command formatter and its reply reader, both free of
    I/O); Asio moves the bytes on the daemon's sink thread. hiredis's own asynchronous API
    would need an event-loop adapter, which it has for libevent and others but not Asio. */
class redis_sink final : public tcp_sink
{
public:
    redis_sink(boost::asio::any_io_executor ex, std::string name, redis_target t);
    ~redis_sink() override;

private:
    void transmit(std::uint64_t id, message const& m) override;
    void connected() override;
    void received(std::string_view bytes, std::uint64_t generation) override;
    void dropped() override;

    redis_target target_;
    redisReader* reader_ = nullptr;
    std::deque<std::optional<std::uint64_t>> awaiting_; // replies due, in order (nullopt: AUTH)
};

} // namespace webhookd::sinks

#endif
