// SPDX-License-Identifier: BSL-1.0
// test/support/daemon_probe.hpp - driving catena-webhookd from a test: its command line, raw requests, its metrics and memory.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_DAEMON_PROBE_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_DAEMON_PROBE_HPP

#include "sim.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/time.h>

#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#ifndef CATENA_WEBHOOKD_PATH
#error "CATENA_WEBHOOKD_PATH must name the catena-webhookd binary"
#endif

namespace catena::webhooks::test::probe {

namespace cs = catena::webhooks::sim;
namespace cw = catena::webhooks;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;


namespace cs = catena::webhooks::sim;
namespace cw = catena::webhooks;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr char daemon_path[] = CATENA_WEBHOOKD_PATH;
constexpr char secret[] = "daemon-secret-123";

inline std::vector<std::string> args(std::string const& dir, std::vector<std::string> extra = {})
{
    std::vector<std::string> a{daemon_path, "--listen", "127.0.0.1:0", "--events", dir + "/events.jsonl"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

inline std::map<std::string, std::string> env() { return {{"CATENA_WEBHOOK_SECRET", secret}}; }

inline cs::message message(std::string id)
{
    cs::message m;
    m.webhook_id = "wh-a";
    m.event_name = "vehicle.added";
    std::mt19937_64 rng(std::hash<std::string>{}(id));
    m.event_id = cs::uuid_v7(cw::system_now(), rng);
    m.data.push_back(json::object{{"id", id}, {"fleet_id", "f-1"}, {"occurred_at", "2025-12-11T14:21:30Z"}});
    return m;
}

inline cs::send_options no_retry()
{
    cs::send_options o;
    o.max_retries = 0;
    return o;
}

inline cs::endpoint at(unsigned short port)
{
    cs::endpoint e;
    e.port = port;
    return e;
}

// The JSON lines the daemon wrote to `path`.
inline std::vector<json::object> read_events(std::string const& path)
{
    std::vector<json::object> out;
    std::ifstream in(path);
    for(std::string line; std::getline(in, line);)
        if(!line.empty())
            out.push_back(json::parse(line).as_object());
    return out;
}

/** The daemon's JSON lines through a FIFO (pass path() as --events), read by a thread as
    they come, so that a test waits for the events themselves rather than polling for them.
    It reads to the end, so the daemon never blocks on a full pipe; declare it before the
    child process, whose end (exit or kill) closes the pipe and ends the reader. */
class event_tap
{
public:
    explicit event_tap(std::string const& dir) : path_(dir + "/events.fifo")
    {
        BOOST_REQUIRE_MESSAGE(::mkfifo(path_.c_str(), 0600) == 0, "mkfifo " << path_);
        reader_ = std::thread([this] {
            int const fd = ::open(path_.c_str(), O_RDONLY); // until the daemon opens it to write
            if(fd < 0)
                return;
            std::string pending;
            char buf[65536];
            for(ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
            {
                pending.append(buf, static_cast<std::size_t>(n));
                std::size_t events = 0, start = 0;
                for(std::size_t eol; (eol = pending.find('\n', start)) != std::string::npos; start = eol + 1)
                    if(pending.compare(start, 16, "{\"kind\":\"event\",") == 0)
                        ++events;
                pending.erase(0, start);
                std::lock_guard lock(m_);
                events_ += events;
                cv_.notify_all();
            }
            ::close(fd);
        });
    }

    ~event_tap()
    {
        // A daemon that never opened the pipe leaves the reader in open(): open it once to
        // let it through, then it reads the end at once.
        if(int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK); fd >= 0)
            ::close(fd);
        reader_.join();
    }

    std::string const& path() const noexcept { return path_; }

    /// Waits until `n` event lines have come (false after `limit`).
    bool wait_events(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(30))
    {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, limit, [&] { return events_ >= n; });
    }

private:
    std::string path_;
    std::mutex m_;
    std::condition_variable cv_;
    std::size_t events_ = 0;
    std::thread reader_;
};

// Resident memory of a process, KiB.
inline long rss_kib(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for(std::string line; std::getline(in, line);)
        if(line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}


// The head of a request: the delivery's own headers when `wr` is given, then Content-Length.
inline std::string head(cs::wire_request const* wr, std::size_t content_length)
{
    std::string h = "POST /webhooks/catena HTTP/1.1\r\nHost: receiver\r\n";
    if(wr)
        for(auto const& [k, v] : wr->headers)
            if(k != "Content-Length")
                h += k + ": " + v + "\r\n";
    return h + "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
}

inline void receive_timeout(tcp::socket& s, int seconds)
{
    timeval tv{seconds, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// Reads one response: its status and body (0 when none came).
inline std::pair<unsigned, std::string> read_response(tcp::socket& s)
{
    std::string in;
    char buf[4096];
    boost::system::error_code ec;
    while(in.find("\r\n\r\n") == std::string::npos)
    {
        auto n = s.read_some(net::buffer(buf), ec);
        if(ec)
            return {0, in};
        in.append(buf, n);
    }
    auto const end = in.find("\r\n\r\n") + 4;
    auto const cl = in.find("Content-Length: ");
    std::size_t const length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
    while(in.size() < end + length)
    {
        auto n = s.read_some(net::buffer(buf), ec);
        if(ec)
            break;
        in.append(buf, n);
    }
    return {static_cast<unsigned>(std::stoul(in.substr(9, 3))), in.substr(end)};
}

// The body of GET `target` on a loopback port.
inline std::string get(unsigned short port, std::string const& target)
{
    net::io_context ioc;
    tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), port});
    receive_timeout(s, 10);
    net::write(s, net::buffer("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    return read_response(s).second;
}

inline std::string metrics(unsigned short port) { return get(port, "/metrics"); }

inline double metric(std::string const& text, std::string const& name)
{
    auto const at = text.find("\n" + name + " ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, name << " is exported");
    return std::stod(text.substr(at + name.size() + 2));
}



} // namespace catena::webhooks::test::probe

#endif
