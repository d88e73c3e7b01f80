// SPDX-License-Identifier: BSL-1.0
// test/integration/sink_nats.cpp - catena-webhookd --sink nats://: every event in a real JetStream stream, through crashes.
#include "sink_scenario.hpp"

#include <boost/test/unit_test.hpp>

namespace {

namespace tst = catena::webhooks::test;

BOOST_AUTO_TEST_SUITE(sink_nats)

BOOST_AUTO_TEST_CASE(every_event_reaches_jetstream_through_a_nats_crash_and_a_kill_9)
{
    auto const dir = tst::make_temp_dir("sink-nats");
    tst::nats_server nats(dir);
    // The daemon creates the stream (stream=) the first time it connects.
    tst::sinks::sink_server server{"nats://127.0.0.1:" + std::to_string(nats.port()) + "/catena.events?stream=CATENA",
                                   [&] { nats.kill(); }, [&] { nats.start(); },
                                   [&] { return nats.stream("CATENA"); }};
    tst::sinks::run_through_crashes(dir, server);
}

BOOST_AUTO_TEST_SUITE_END() // sink_nats

} // namespace
