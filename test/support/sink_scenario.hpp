// SPDX-License-Identifier: BSL-1.0
// test/support/sink_scenario.hpp - one run of catena-webhookd with a sink through its server's crash and its own kill -9, and the checks on what the sink holds.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_SINK_SCENARIO_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_SINK_SCENARIO_HPP

#include "daemon_probe.hpp"
#include "process.hpp"
#include "scenario.hpp"
#include "sink_servers.hpp"
#include "support.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace catena::webhooks::test::sinks {

namespace cs = catena::webhooks::sim;
namespace json = boost::json;
using namespace std::chrono_literals;

/** A sink's server as the scenario drives it. */
struct sink_server
{
    std::string uri;                                   ///< --sink
    std::function<void()> kill, start;                 ///< its crash and its restart
    std::function<std::vector<stored_message>()> read; ///< everything it holds, at the end
};

/// A series of the sink in the daemon's /metrics (one sink: one line), or -1 when absent.
inline double sink_metric(unsigned short port, std::string const& name)
{
    auto const text = probe::metrics(port);
    auto const at = text.find("\n" + name + "{sink=");
    if(at == std::string::npos)
        return -1;
    auto const value = text.find("} ", at);
    return std::stod(text.substr(value + 2));
}

/// Sends `msgs` in order, each until it is answered 202 (as Catena retries).
inline void send_all(unsigned short port, std::vector<cs::scheduled_message const*> const& msgs)
{
    cs::send_options o;
    o.max_retries = 0;
    cs::client c(probe::at(port), o);
    for(auto const* m : msgs)
    {
        unsigned status = 0;
        for(int tries = 0; tries < 20 && status != 202; ++tries)
            status = c.send(m->msg, probe::secret, m->attempt).status;
        BOOST_REQUIRE_MESSAGE(status == 202, "delivery " << m->msg.event_id << " answered " << status);
    }
}

/** 200 fleets with duplicates and jitter, through the daemon into the sink, across the
    sink's server killed (deliveries accepted while it is down), the daemon kill -9ed while
    the sink holds unacknowledged messages, and the server started again while the next
    daemon waits for it. Then every event must be in the sink, every idempotency key's
    messages identical. */
inline void run_through_crashes(std::string const& dir, sink_server& server)
{
    cs::scenario_options so;
    so.fleets = 200;
    so.seed = 11;
    so.duplicate_rate = 0.2;
    so.jitter = 2000ms;
    so.start = cw::system_now() - 1h;
    auto const sc = cs::make_scenario(so, {}, "wh-sinks");
    std::vector<cs::scheduled_message const*> all;
    for(auto const& m : sc.messages)
        all.push_back(&m);
    auto const part = [&](std::size_t from, std::size_t to) {
        return std::vector<cs::scheduled_message const*>(all.begin() + static_cast<long>(all.size() * from / 10),
                                                         all.begin() + static_cast<long>(all.size() * to / 10));
    };
    BOOST_TEST_MESSAGE(all.size() << " deliveries, " << sc.unique_records << " records");

    auto const args = [&](int run) {
        return std::vector<std::string>{probe::daemon_path, "--listen", "127.0.0.1:0", "--data-dir", dir + "/data",
                                        "--events", dir + "/events-" + std::to_string(run) + ".jsonl",
                                        "--reorder-window", "100", "--with-records", "--sink", server.uri};
    };
    {
        child_process first(args(1), probe::env(), dir);
        BOOST_REQUIRE_MESSAGE(first.wait_stderr("listening on"), first.stderr_text());
        auto const port = first.listening_port();
        send_all(port, part(0, 4));
        BOOST_REQUIRE(eventually([&] { return sink_metric(port, "catena_webhooks_sink_acknowledged_total") > 0; }));

        // The sink's server dies: deliveries are still accepted, and the sink holds their events.
        server.kill();
        send_all(port, part(4, 7));
        BOOST_REQUIRE_MESSAGE(eventually([&] {
                                  return sink_metric(port, "catena_webhooks_sink_connected") == 0 &&
                                         sink_metric(port, "catena_webhooks_sink_pending") > 0;
                              }),
                              "the sink holds unacknowledged messages while its server is down");
        // ... and the daemon dies with them unacknowledged.
        first.signal(SIGKILL);
        BOOST_REQUIRE(first.wait(30s).has_value());
    }
    {
        child_process second(args(2), probe::env(), dir);
        BOOST_REQUIRE_MESSAGE(second.wait_stderr("listening on"), second.stderr_text());
        auto const port = second.listening_port();
        send_all(port, part(7, 8));
        BOOST_TEST(sink_metric(port, "catena_webhooks_sink_connected") == 0);
        server.start();
        send_all(port, part(8, 10));
        BOOST_REQUIRE_MESSAGE(eventually([&] {
                                  return sink_metric(port, "catena_webhooks_sink_connected") == 1 &&
                                         sink_metric(port, "catena_webhooks_sink_pending") == 0;
                              }),
                              "the sink catches up once its server is back");
        second.signal(SIGTERM);
        BOOST_TEST(second.wait(60s).value_or(-1) == 0, second.stderr_text());
    }

    // Every record's event is in the sink, and every copy of a key is the same message.
    auto const held = server.read();
    std::map<std::string, std::string> by_key;
    std::size_t copies = 0, differing = 0, events = 0;
    for(auto const& m : held)
    {
        auto [it, fresh] = by_key.emplace(m.idempotency_key, m.json);
        if(!fresh)
        {
            ++copies;
            differing += it->second != m.json;
        }
        events += m.kind == "event" && fresh;
    }
    BOOST_TEST_MESSAGE(held.size() << " messages in the sink, " << by_key.size() << " keys, " << copies
                                   << " copies of a key");
    BOOST_TEST(differing == 0u);
    std::size_t missing = 0, wrong_record = 0;
    for(auto const& sm : sc.messages)
    {
        if(sm.duplicate)
            continue;
        auto const& m = sm.msg;
        for(auto const& r : m.data)
        {
            auto const id = std::string(r.as_object().at("id").as_string());
            auto const it = by_key.find(m.webhook_id + "/" + m.event_id + "/" + id);
            if(it == by_key.end())
            {
                ++missing;
                continue;
            }
            // The record as Catena sent it (--with-records).
            auto const line = json::parse(it->second).as_object();
            wrong_record += line.at("kind") != "event" || line.at("record") != r;
        }
    }
    BOOST_TEST(missing == 0u);
    BOOST_TEST(wrong_record == 0u);
    BOOST_TEST(events == sc.unique_records);
    std::size_t transitions = 0;
    for(auto const& [k, v] : by_key)
        transitions += json::parse(v).at("kind") == "transition";
    BOOST_TEST(transitions > 0u);
}

} // namespace catena::webhooks::test::sinks

#endif
