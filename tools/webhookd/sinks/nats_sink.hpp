// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/nats_sink.hpp - publishes to NATS JetStream, each message acknowledged by its PubAck.
#ifndef CATENA_WEBHOOKD_SINKS_NATS_SINK_HPP
#define CATENA_WEBHOOKD_SINKS_NATS_SINK_HPP

#include "tcp_sink.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace webhookd::sinks {

/** Where a NATS sink publishes: `nats://HOST:PORT/SUBJECT[?stream=NAME]`. */
struct nats_target
{
    std::string host;
    std::string port = "4222";
    std::string subject;
    /// When set, the stream is created at connect time (subjects: the subject, a 2-minute
    /// duplicate window) unless it exists already.
    std::string stream;
    std::string token; ///< auth_token, from the environment variable token-env names.
};

/** One operation the server sends, as the client protocol frames it. */
struct nats_op
{
    enum kind_t { info, ping, pong, ok, err, msg } kind = ok;
    std::string subject;  ///< msg: its subject (our reply inbox).
    std::string headers;  ///< msg (HMSG): the header block, "NATS/1.0 503\r\n..." for no responders.
    std::string payload;  ///< msg: the payload; info: its JSON; err: the text.
};

/** Splits what the server sent into operations (sans-I/O). */
class nats_parser
{
public:
    /// Appends bytes; returns false when they break the protocol (`error()` says how).
    bool feed(std::string_view bytes);
    /// The next complete operation, if any. A framing error comes once as an `err`
    /// operation; after it the parser takes nothing more.
    std::optional<nats_op> next();
    std::string const& error() const noexcept { return error_; }

private:
    std::string buf_;
    std::string error_;
};

/** HPUB of `m` to `subject`, its reply to `reply`, with `Nats-Msg-Id: KEY` so that JetStream
    drops a copy sent within the stream's duplicate window. */
std::string nats_hpub(std::string const& subject, std::string const& reply, message const& m);

/** What a JetStream PubAck (or API reply) says: empty when it acknowledges, else why not. */
std::string nats_reply_problem(nats_op const& reply);

/** Publishes every message to a JetStream subject, with a reply subject of its own (under
    one inbox subscription per connection) and the idempotency key as `Nats-Msg-Id`. The
    stream's PubAck (`{"stream":…,"seq":…}`, `"duplicate":true` for a copy) acknowledges the
    message; an error reply, or no responders (no stream takes the subject), refuses it.
    Debian packages no NATS client library: this is the client protocol's subset that
    publishing needs (INFO, CONNECT, PING/PONG, SUB, HPUB, MSG/HMSG, -ERR). */
class nats_sink final : public tcp_sink
{
public:
    nats_sink(boost::asio::any_io_executor ex, std::string name, nats_target t);

private:
    void open() override;
    void transmit(std::uint64_t id, message const& m) override;
    void connected() override;
    void received(std::string_view bytes, std::uint64_t generation) override;
    void handle(nats_op const& op, std::uint64_t generation);

    nats_target target_;
    nats_parser parser_;
    enum class phase { connecting, handshake, creating, open } phase_ = phase::connecting;
    std::string inbox_; // this connection's reply prefix: _INBOX.<random>.
};

} // namespace webhookd::sinks

#endif
