// SPDX-License-Identifier: BSL-1.0
// test/integration/sink_nats.cpp - catena-webhookd --sink nats://: every event in a real JetStream stream, through crashes.
#include "sink_scenario.hpp"

#include <boost/test/unit_test.hpp>

namespace integration_sink_nats { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;

BOOST_AUTO_TEST_SUITE(sink_nats)

// A nats-server -js of the test's own, and the sink on it; the daemon creates the stream
// (stream=) the first time it connects.
struct nats_fixture
{
    std::string dir = tst::make_temp_dir("sink-nats");
    tst::nats_server nats{dir};
    tst::sinks::sink_server server{"nats://127.0.0.1:" + std::to_string(nats.port()) + "/catena.events?stream=CATENA",
                                   [this] { nats.kill(); }, [this] { nats.start(); },
                                   [this] { return nats.stream("CATENA"); }};
};

BOOST_FIXTURE_TEST_CASE(every_event_reaches_jetstream_once_per_key_and_copies_are_identical, nats_fixture)
{
    tst::sinks::run_clean(dir, server);
}

BOOST_FIXTURE_TEST_CASE(every_event_reaches_jetstream_through_a_nats_crash_and_a_kill_9, nats_fixture)
{
    tst::sinks::run_through_crashes(dir, server);
}

BOOST_AUTO_TEST_SUITE_END() // sink_nats

} // namespace

} // namespace integration_sink_nats
