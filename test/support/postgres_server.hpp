// SPDX-License-Identifier: BSL-1.0
// test/support/postgres_server.hpp - a PostgreSQL server of the tests' own: initdb in a temporary directory, a free port.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_POSTGRES_SERVER_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_POSTGRES_SERVER_HPP

#include <string>

namespace catena::webhooks::test {

/** A throwaway PostgreSQL cluster from Debian's packages (postgresql-15): initdb into a
    temporary directory, started on a free loopback port and a socket in that directory, as
    the unprivileged user `nobody` when the tests run as root, stopped and removed at the end.
    fsync is off: the tests kill servers and clients, never the machine.

    Started once per test process (shared()); a test that needs it and cannot have it fails
    with the reason (never skips). */
class postgres_server
{
public:
    /// The process's server, started on first use; nullptr (and `why`) when it cannot be.
    static postgres_server* shared(std::string& why);

    postgres_server(postgres_server const&) = delete;
    postgres_server& operator=(postgres_server const&) = delete;
    ~postgres_server();

    /// A new, empty database; its conninfo.
    std::string create_database();
    /// The conninfo of database `name`.
    std::string conninfo(std::string const& name) const;
    /// Stops the server at once (clients lose their sessions, as in a crash of the server).
    void kill();
    /// Starts it again on the same port; false (and `why`) when it does not come up.
    bool start(std::string& why);
    unsigned short port() const noexcept { return port_; }

private:
    postgres_server() = default;
    bool init(std::string& why);
    int run(std::string const& command) const;

    std::string dir_, bin_, user_prefix_;
    unsigned short port_ = 0;
    int databases_ = 0;
};

} // namespace catena::webhooks::test

#endif
