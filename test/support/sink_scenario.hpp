// SPDX-License-Identifier: BSL-1.0
// test/support/sink_scenario.hpp - one run of catena-webhookd with a sink through its server's crash and its own kill -9, and the checks on what the sink holds.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_SINK_SCENARIO_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_SINK_SCENARIO_HPP

#include "daemon_probe.hpp"
#include "process.hpp"
#include "scenario.hpp"
#include "sink_servers.hpp"
#include "support.hpp"
#include "tls_material.hpp"

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
namespace cw = catena::webhooks;
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

/// The daemon's command line for run `run`, with the sink.
inline std::vector<std::string> daemon_args(std::string const& dir, std::string const& uri, int run)
{
    return {probe::daemon_path, "--listen", "127.0.0.1:0", "--data-dir", dir + "/data",
            "--events", dir + "/events-" + std::to_string(run) + ".jsonl", "--reorder-window", "100",
            "--with-records", "--sink", uri};
}

/// 200 fleets, a fifth of their deliveries sent twice (Catena's retries), up to 2 s out of order.
inline cs::scenario make_fleets()
{
    cs::scenario_options so;
    so.fleets = 200;
    so.seed = 11;
    so.duplicate_rate = 0.2;
    so.jitter = 2000ms;
    so.start = cw::system_now() - 1h;
    return cs::make_scenario(so, {}, "wh-sinks");
}

/** Checks what the sink holds against the scenario: every record's event is there (with the
    record as Catena sent it), nothing else is an event, some transitions came too. With
    `identical`, every copy of a key is the same message; without, the copies of a key carry
    the same event, record, cause and resulting state (after a crash of the daemon, the
    deliveries it had not recorded as processed are processed again, and a redo may release
    out-of-order events in another order than the first time: an event's `late` flag and a
    transition's `from` can then differ). */
inline void check_sink(std::vector<stored_message> const& held, cs::scenario const& sc, bool identical)
{
    // What may not differ between two copies of a key, whatever the order of a redo.
    auto const stable = [](std::string const& line) {
        auto o = json::parse(line).as_object();
        o.erase("late");
        o.erase("from");
        return json::serialize(o);
    };
    std::map<std::string, std::string> by_key;
    std::size_t copies = 0, differing = 0;
    for(auto const& m : held)
    {
        auto [it, fresh] = by_key.emplace(m.idempotency_key, m.json);
        if(fresh)
            continue;
        ++copies;
        bool const same = identical ? it->second == m.json : stable(it->second) == stable(m.json);
        if(!same && ++differing <= 3)
            BOOST_TEST_MESSAGE("two messages for " << m.idempotency_key << ":\n" << it->second << "\n" << m.json);
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
    std::size_t events = 0, transitions = 0;
    for(auto const& [k, v] : by_key)
    {
        auto const kind = json::parse(v).at("kind");
        events += kind == "event";
        transitions += kind == "transition";
    }
    BOOST_TEST(events == sc.unique_records);
    BOOST_TEST(transitions > 0u);
}

/** The scenario through the daemon into the sink, undisturbed: every event once or more,
    every key's copies identical. */
inline void run_clean(std::string const& dir, sink_server& server)
{
    auto const sc = make_fleets();
    std::vector<cs::scheduled_message const*> all;
    for(auto const& m : sc.messages)
        all.push_back(&m);
    BOOST_TEST_MESSAGE(all.size() << " deliveries, " << sc.unique_records << " records");
    child_process d(daemon_args(dir, server.uri, 1), probe::env(), dir);
    BOOST_REQUIRE_MESSAGE(d.wait_stderr("listening on"), d.stderr_text());
    send_all(d.listening_port(), all);
    // A drain ends once the sink acknowledged everything.
    d.signal(SIGTERM);
    BOOST_TEST(d.wait(60s).value_or(-1) == 0, d.stderr_text());
    check_sink(server.read(), sc, true);
}

/** The scenario again, across the sink's server killed (deliveries accepted while it is
    down, the sink holding their events), the daemon kill -9ed while they are
    unacknowledged, and the server started again while the next daemon waits for it: no
    event is missing. */
inline void run_through_crashes(std::string const& dir, sink_server& server)
{
    auto const sc = make_fleets();
    std::vector<cs::scheduled_message const*> all;
    for(auto const& m : sc.messages)
        all.push_back(&m);
    auto const part = [&](std::size_t from, std::size_t to) {
        return std::vector<cs::scheduled_message const*>(all.begin() + static_cast<long>(all.size() * from / 10),
                                                         all.begin() + static_cast<long>(all.size() * to / 10));
    };
    {
        child_process first(daemon_args(dir, server.uri, 1), probe::env(), dir);
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
        child_process second(daemon_args(dir, server.uri, 2), probe::env(), dir);
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
    check_sink(server.read(), sc, false);
}

} // namespace catena::webhooks::test::sinks

#endif
