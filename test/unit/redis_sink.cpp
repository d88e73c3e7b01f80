// SPDX-License-Identifier: BSL-1.0
// test/unit/redis_sink.cpp - the XADD the Redis sink sends.
#include "sinks/redis_sink.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_redis_sink { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace webhookd::sinks;

BOOST_AUTO_TEST_SUITE(redis_sink)

BOOST_AUTO_TEST_CASE(appends_kind_key_and_line_as_fields)
{
    redis_target t;
    t.stream = "catena";
    auto const cmd = redis_xadd(t, {"event", "k1", "{\"x\":\"a b\\r\\n\"}"});
    BOOST_TEST(cmd == "*9\r\n$4\r\nXADD\r\n$6\r\ncatena\r\n$1\r\n*\r\n$4\r\nkind\r\n$5\r\nevent\r\n"
                      "$15\r\nidempotency_key\r\n$2\r\nk1\r\n$5\r\nevent\r\n$15\r\n{\"x\":\"a b\\r\\n\"}\r\n");
}

BOOST_AUTO_TEST_CASE(trims_the_stream_approximately_when_asked)
{
    redis_target t;
    t.stream = "s";
    t.maxlen = 1000;
    auto const cmd = redis_xadd(t, {"transition", "k", "{}"});
    BOOST_TEST(cmd.rfind("*12\r\n$4\r\nXADD\r\n$1\r\ns\r\n$6\r\nMAXLEN\r\n$1\r\n~\r\n$4\r\n1000\r\n$1\r\n*\r\n", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END() // redis_sink

} // namespace

} // namespace unit_redis_sink
