// SPDX-License-Identifier: BSL-1.0
// test/support/receiver_server.hpp - a receiver on a loopback port with its events collected, and raw HTTP helpers.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_RECEIVER_SERVER_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_RECEIVER_SERVER_HPP

#include <catena/webhooks/receiver.hpp>

#include "store/open.hpp"

#include "sim.hpp"
#include "support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace catena::webhooks::test::loopback {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

inline constexpr std::string_view webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";
inline constexpr std::string_view secret = "integration-secret-123";

inline cw::receiver_options base_options()
{
    cw::receiver_options o;
    o.listen = {net::ip::make_address("127.0.0.1"), 0};
    o.secrets.add(webhook_id, secret);
    // Short, so that tests see their events soon; ordering tests set their own.
    o.processing.reorder_window = 100ms;
    return o;
}

// A receiver on port 0 with two I/O threads; events are collected.
struct server
{
    net::io_context ioc;
    cw::receiver rx;
    std::thread t1, t2;
    std::mutex m;
    std::condition_variable cv;
    std::vector<cw::event> events;
    std::vector<cw::dead_letter> dead;
    std::vector<cw::error_report> errors;

    /// `max_store_pages`: the SQLite store's file may not grow beyond it (0: no bound).
    explicit server(cw::receiver_options o = base_options(), std::function<void(cw::receiver&)> setup = {},
                    std::uint64_t max_store_pages = 0)
        : rx(ioc.get_executor(), std::move(o))
    {
        rx.on_any([this](cw::event const& e) {
            std::lock_guard lock(m);
            events.push_back(e);
            cv.notify_all();
        });
        rx.on_dead_letter([this](cw::dead_letter const& d) {
            std::lock_guard lock(m);
            dead.push_back(d);
            cv.notify_all();
        });
        rx.on_error([this](cw::error_report const& r) {
            std::lock_guard lock(m);
            errors.push_back(r);
            cv.notify_all();
        });
        if(setup)
            setup(rx);
        cw::detail::set_max_store_pages(max_store_pages); // the store is opened by start()
        auto ec = rx.start();
        cw::detail::set_max_store_pages(0);
        BOOST_REQUIRE_MESSAGE(!ec, ec.message());
        t1 = std::thread([this] { ioc.run(); });
        t2 = std::thread([this] { ioc.run(); });
    }

    ~server() { shutdown(); }

    // Stops the receiver and waits until the I/O threads return, i.e. until it drained.
    void shutdown()
    {
        rx.stop();
        if(t1.joinable())
            t1.join();
        if(t2.joinable())
            t2.join();
    }

    std::uint16_t port() const { return rx.local_endpoint().port(); }

    cs::endpoint ep() const
    {
        cs::endpoint e;
        e.port = port();
        return e;
    }

    /// A copy of event i, read under the lock (callbacks may still be adding).
    cw::event event_at(std::size_t i)
    {
        std::lock_guard lock(m);
        return events.at(i);
    }

    // The limits bound a failure only (a sanitizer build on a busy machine is slow).
    bool wait_events(std::size_t n, std::chrono::milliseconds limit = 60s)
    {
        std::unique_lock lock(m);
        return cv.wait_for(lock, limit, [&] { return events.size() >= n; });
    }

    std::size_t event_count()
    {
        std::lock_guard lock(m);
        return events.size();
    }

    // Whether an on_error report with this reason came.
    bool reported(std::string_view reason)
    {
        std::lock_guard lock(m);
        return std::any_of(errors.begin(), errors.end(), [&](cw::error_report const& r) { return r.reason == reason; });
    }

    bool wait_dead(std::size_t n)
    {
        std::unique_lock lock(m);
        return cv.wait_for(lock, 60s, [&] { return dead.size() >= n; });
    }
};

inline cs::message make_message(std::string event_name = "invitation.accepted", std::string record_id = "inv-1")
{
    cs::message m;
    m.webhook_id = webhook_id;
    m.event_name = std::move(event_name);
    m.event_id = "01936b2e-7c00-7000-8000-" + std::string(12 - std::min<std::size_t>(12, record_id.size()), '0') +
                 record_id.substr(0, 12);
    m.data.push_back(boost::json::object{{"id", record_id}, {"fleet_ref", "FLEET-42"}, {"status", "accepted"}});
    return m;
}

inline cs::send_options no_retry()
{
    cs::send_options o;
    o.max_retries = 0;
    return o;
}

// How a raw exchange ended: the server closed the connection (FIN), reset it (RST, or any
// other read error), or the client stopped waiting.
enum class exchange_end
{
    closed,
    reset,
    timed_out,
};

struct exchange_result
{
    std::string bytes; // everything the server answered
    exchange_end end = exchange_end::timed_out;
};

// Sends raw bytes and reads what the server answers until it closes or `limit` passes, and
// says which of the two ended it.
inline exchange_result raw_exchange_ending(std::uint16_t port, std::string const& bytes,
                                           std::chrono::milliseconds limit = 3000ms)
{
    net::io_context ioc;
    tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(s, net::buffer(bytes));
    exchange_result r;
    char buf[4096];
    auto const deadline = std::chrono::steady_clock::now() + limit;
    for(;;)
    {
        // Wakes when bytes or the close arrive, not on a timer.
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{s.native_handle(), POLLIN, 0};
        if(left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        {
            r.end = exchange_end::timed_out;
            break;
        }
        boost::system::error_code ec;
        auto n = s.read_some(net::buffer(buf), ec);
        if(ec)
        {
            r.end = ec == net::error::eof ? exchange_end::closed : exchange_end::reset;
            break;
        }
        r.bytes.append(buf, n);
    }
    return r;
}

// Sends raw bytes and returns everything the server answers until it closes or `limit` passes.
inline std::string raw_exchange(std::uint16_t port, std::string const& bytes, std::chrono::milliseconds limit = 3000ms)
{
    return raw_exchange_ending(port, bytes, limit).bytes;
}

// An answer as read off the wire: its status, its headers (names in lower case), its body.
struct http_answer
{
    unsigned status = 0;
    std::map<std::string, std::string> headers;
    std::string body;

    std::string header(std::string const& lower_case_name) const
    {
        auto const it = headers.find(lower_case_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// The first answer in `raw` (status 0 when there is none).
inline http_answer parse_answer(std::string const& raw)
{
    http_answer a;
    auto const head_end = raw.find("\r\n\r\n");
    if(raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos || raw.size() < 12)
        return a;
    a.status = static_cast<unsigned>(std::stoul(raw.substr(9, 3)));
    for(auto at = raw.find("\r\n") + 2; at < head_end;)
    {
        auto const eol = raw.find("\r\n", at);
        auto const line = raw.substr(at, eol - at);
        at = eol + 2;
        auto const colon = line.find(':');
        if(colon == std::string::npos)
            continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        auto const value = line.find_first_not_of(' ', colon + 1);
        a.headers[name] = value == std::string::npos ? std::string() : line.substr(value);
    }
    auto const length = a.header("content-length");
    a.body = raw.substr(head_end + 4, length.empty() ? std::string::npos : std::stoul(length));
    return a;
}

// A prepared request as the bytes of one HTTP/1.1 request that closes the connection.
inline std::string render_request(cs::wire_request const& wr, std::string_view target = "/webhooks/catena")
{
    std::string r = "POST " + std::string(target) + " HTTP/1.1\r\nHost: receiver\r\n";
    for(auto const& [k, v] : wr.headers)
        if(k != "Content-Length")
            r += k + ": " + v + "\r\n";
    return r + "Content-Length: " + std::to_string(wr.body.size()) + "\r\nConnection: close\r\n\r\n" + wr.body;
}

inline unsigned status_of(std::string const& response)
{
    if(response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0)
        return 0;
    return static_cast<unsigned>(std::stoul(response.substr(9, 3)));
}

inline void set_header(cs::wire_request& wr, std::string_view name, std::string value)
{
    for(auto& [k, v] : wr.headers)
        if(k == name)
            v = value;
}

} // namespace catena::webhooks::test::loopback

#endif
