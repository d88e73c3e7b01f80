// SPDX-License-Identifier: BSL-1.0
// test/support/sink_servers.hpp - real redis-server and nats-server -js on loopback for the sinks' tests, and what they hold.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_SINK_SERVERS_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_SINK_SERVERS_HPP

#include "process.hpp"

#include <memory>
#include <string>
#include <vector>

namespace catena::webhooks::test {

/** The full path of a program from PATH, /usr/sbin or /usr/bin; throws std::runtime_error
    naming the Debian package when it is not installed (a test that cannot run fails). */
std::string find_program(std::string const& name, std::string const& package);

/// A port free on 127.0.0.1 now.
unsigned short free_port();

/** One message as a sink's server stored it. */
struct stored_message
{
    std::string idempotency_key;
    std::string kind;
    std::string json;
};

/** redis-server on 127.0.0.1:port() with its data (an append-only file) in `dir`: kill() and
    start() again keep what it acknowledged. */
class redis_server
{
public:
    explicit redis_server(std::string dir);
    ~redis_server();
    unsigned short port() const noexcept { return port_; }
    void start(); ///< Returns once it accepts connections.
    void kill();  ///< SIGKILL, and waits for the exit.
    /// CLIENT PAUSE ... WRITE: writes wait unanswered (until the server dies).
    void pause_writes() const;
    /// XRANGE of the whole stream: each entry's kind, idempotency_key and event fields.
    std::vector<stored_message> stream(std::string const& name) const;

private:
    std::string dir_, program_;
    unsigned short port_;
    std::unique_ptr<child_process> process_;
};

/** nats-server -js on 127.0.0.1:port() with its JetStream store in `dir`. */
class nats_server
{
public:
    explicit nats_server(std::string dir);
    ~nats_server();
    unsigned short port() const noexcept { return port_; }
    void start(); ///< Returns once it is ready.
    void kill();
    /// Every message of `stream`, read back by sequence ($JS.API.STREAM.MSG.GET): its
    /// Nats-Msg-Id header, and its payload (kind: the payload's "kind").
    std::vector<stored_message> stream(std::string const& name) const;

private:
    std::string dir_, program_;
    unsigned short port_;
    std::unique_ptr<child_process> process_;
};

} // namespace catena::webhooks::test

#endif
