// SPDX-License-Identifier: BSL-1.0
// test/integration/sink_redis.cpp - catena-webhookd --sink redis://: every event in a real Redis stream, through crashes.
#include "sink_scenario.hpp"

#include <boost/test/unit_test.hpp>

namespace {

namespace tst = catena::webhooks::test;

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

BOOST_AUTO_TEST_SUITE_END() // sink_redis

} // namespace
