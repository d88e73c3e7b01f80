// SPDX-License-Identifier: BSL-1.0
// test/support/postgres_server.cpp - a PostgreSQL server of the tests' own: initdb in a temporary directory, a free port.
#include "postgres_server.hpp"

#include "tls_material.hpp"

#include <libpq-fe.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace catena::webhooks::test {

namespace {

// A port the kernel just handed out on loopback (free now, most likely still free when the
// server binds it).
unsigned short free_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    unsigned short port = 0;
    if(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
       ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

// Debian installs the server's programs under /usr/lib/postgresql/VERSION/bin.
std::string server_bin()
{
    std::error_code ec;
    std::string best;
    for(auto const& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
        if(std::filesystem::exists(e.path() / "bin" / "initdb") && e.path().string() > best)
            best = e.path().string();
    return best.empty() ? "" : best + "/bin";
}

std::string tail(std::string const& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto s = ss.str();
    return s.size() > 600 ? s.substr(s.size() - 600) : s;
}

} // namespace

postgres_server* postgres_server::shared(std::string& why)
{
    static std::mutex m;
    static std::unique_ptr<postgres_server> server;
    static std::string failure;
    std::lock_guard lock(m);
    if(!server && failure.empty())
    {
        std::unique_ptr<postgres_server> s(new postgres_server);
        if(s->init(failure))
            server = std::move(s);
    }
    why = failure;
    return server.get();
}

int postgres_server::run(std::string const& command) const
{
    return std::system((user_prefix_ + command + " >>" + dir_ + "/commands.log 2>&1").c_str());
}

bool postgres_server::init(std::string& why)
{
    bin_ = server_bin();
    if(bin_.empty())
    {
        why = "PostgreSQL's server programs are not installed (no /usr/lib/postgresql/*/bin/initdb; "
              "scripts/setup installs the postgresql package)";
        return false;
    }
    dir_ = make_temp_dir("catena-pg");
    if(::geteuid() == 0)
    {
        // The server refuses to run as root.
        if(std::system(("chown nobody:nogroup " + dir_).c_str()) != 0)
        {
            why = "cannot give " + dir_ + " to the user nobody";
            return false;
        }
        user_prefix_ = "runuser -u nobody -- ";
    }
    if(run(bin_ + "/initdb -D " + dir_ + "/data -U catena -A trust -E UTF8 --no-sync") != 0)
    {
        why = "initdb failed: " + tail(dir_ + "/commands.log");
        return false;
    }
    std::ofstream(dir_ + "/data/postgresql.conf", std::ios::app)
        << "fsync = off\nsynchronous_commit = on\nfull_page_writes = off\nmax_connections = 200\n"
           "shared_buffers = 64MB\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '"
        << dir_ << "'\n";
    port_ = free_port();
    return start(why);
}

bool postgres_server::start(std::string& why)
{
    if(run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -o '-p " + std::to_string(port_) +
           "' -w -t 30 start") != 0)
    {
        why = "the PostgreSQL server did not start: " + tail(dir_ + "/server.log");
        return false;
    }
    return true;
}

void postgres_server::kill()
{
    run(bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop");
}

postgres_server::~postgres_server()
{
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string postgres_server::conninfo(std::string const& name) const
{
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=catena dbname=" + name;
}

std::string postgres_server::create_database()
{
    auto const name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
    PGconn* c = PQconnectdb(conninfo("postgres").c_str());
    PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
    bool const ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    return ok ? conninfo(name) : std::string();
}

} // namespace catena::webhooks::test
