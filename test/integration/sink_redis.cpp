// SPDX-License-Identifier: BSL-1.0
// test/integration/sink_redis.cpp - catena-webhookd --sink redis://: every event in a real Redis stream, through crashes.
#include "sink_scenario.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

namespace integration_sink_redis { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(sink_redis)

// A redis-server of the test's own, and the sink on it.
struct redis_fixture
{
    std::string dir = tst::make_temp_dir("sink-redis");
    tst::redis_server redis{dir};
    tst::sinks::sink_server server{"redis://127.0.0.1:" + std::to_string(redis.port()) + "/catena?maxlen=1000000",
                                   [this] { redis.kill(); }, [this] { redis.start(); },
                                   [this] { return redis.stream("catena"); }};
};

BOOST_FIXTURE_TEST_CASE(every_event_reaches_the_stream_once_per_key_and_copies_are_identical, redis_fixture)
{
    tst::sinks::run_clean(dir, server);
}

BOOST_FIXTURE_TEST_CASE(every_event_reaches_the_stream_through_a_redis_crash_and_a_kill_9, redis_fixture)
{
    tst::sinks::run_through_crashes(dir, server);
}

BOOST_FIXTURE_TEST_CASE(sends_again_what_was_unanswered_when_redis_died, redis_fixture)
{
    // Writes held unanswered, then the server killed: the sink must send them again, the same
    // bytes, once the server is back, and the drain must wait for that.
    auto const sc = tst::sinks::make_fleets();
    std::vector<catena::webhooks::sim::scheduled_message const*> some;
    for(std::size_t i = 0; i < sc.messages.size() / 5; ++i)
        some.push_back(&sc.messages[i]);
    tst::child_process d(tst::sinks::daemon_args(dir, server.uri, 1), tst::probe::env(), dir);
    BOOST_REQUIRE_MESSAGE(d.wait_stderr("listening on"), d.stderr_text());
    auto const port = d.listening_port();
    auto const metric = [&](std::string const& name) { return tst::sinks::sink_metric(port, "catena_webhooks_sink_" + name); };
    redis.pause_writes();
    tst::sinks::send_all(port, some);
    BOOST_REQUIRE(tst::eventually([&] { return metric("sent_total") > metric("acknowledged_total"); }));
    redis.kill();
    redis.start();
    BOOST_REQUIRE_MESSAGE(tst::eventually([&] { return metric("pending") == 0 && metric("connected") == 1; }, 30s),
                          "everything unanswered was sent again and acknowledged");
    BOOST_TEST(metric("retries_total") > 0);
    d.signal(SIGTERM);
    BOOST_TEST(d.wait(60s).value_or(-1) == 0, d.stderr_text());
    auto const held = redis.stream("catena");
    std::set<std::string> keys;
    for(auto const& m : held)
        keys.insert(m.idempotency_key);
    BOOST_TEST(keys.size() == held.size()); // the paused writes were never applied: each key once
    BOOST_TEST(held.size() > 0u);
}

BOOST_AUTO_TEST_SUITE_END() // sink_redis

} // namespace

} // namespace integration_sink_redis
