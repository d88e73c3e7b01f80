// SPDX-License-Identifier: BSL-1.0
// test/unit/decode.cpp - the records of a parsed envelope as events.
#include "processing/decode.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

namespace unit_decode { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;

} // namespace

BOOST_AUTO_TEST_SUITE(decode)

BOOST_AUTO_TEST_CASE(a_record_becomes_an_event_with_its_delivery_and_a_connection_record_is_its_connection)
{
    envelope env;
    std::string const body =
        R"({"version":"1.0","event_name":"connection.staled","webhook_id":"wh-1","id":"0193-e","data":[)"
        R"({"id":"conn-1","source_name":"samsara","fleet_id":"f-1","tsp_id":"t","status":"stale"}]})";
    BOOST_REQUIRE(!env.parse(body));
    detail::inbox_entry e;
    e.webhook_id = "wh-1";
    e.request_id = "req-1";
    e.sequence = 42;
    e.delivery_attempt = 2;
    auto const ev = detail::decode_record(env, env.records()[0], 0, e);
    BOOST_TEST(ev.event_name == "connection.staled");
    BOOST_TEST(ev.event_id == "0193-e");
    BOOST_TEST(ev.record_id == "conn-1");
    BOOST_TEST(ev.connection_id == "conn-1");
    BOOST_TEST(ev.fleet_id == "f-1");
    BOOST_TEST(ev.status == "stale");
    BOOST_TEST(ev.sequence == 42u);
    BOOST_TEST(ev.delivery_attempt == 2u);
    BOOST_TEST(ev.record.empty()); // the fields are moved in by the caller, once
}

BOOST_AUTO_TEST_CASE(repeated_record_ids_are_numbered_alike_pairwise_and_through_a_table)
{
    for(std::size_t n : {6u, 40u})
    {
        BOOST_TEST_CONTEXT(n << " records")
        {
            std::string body = R"({"version":"1.0","event_name":"vehicle.added","webhook_id":"wh","id":"e","data":[)";
            for(std::size_t i = 0; i < n; ++i)
                body += (i ? "," : "") + std::string(R"({"id":"v-)") + std::to_string(i % 3) + R"("})";
            body += "]}";
            envelope env;
            BOOST_REQUIRE(!env.parse(body));
            std::vector<std::size_t> repeats;
            detail::count_repeats(env.records(), true, repeats);
            BOOST_REQUIRE(repeats.size() == n);
            for(std::size_t i = 0; i < n; ++i)
                BOOST_TEST(repeats[i] == i / 3, i);
            detail::count_repeats(env.records(), false, repeats); // without an envelope id: none
            BOOST_TEST(std::all_of(repeats.begin(), repeats.end(), [](std::size_t r) { return r == 0; }));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END() // decode

} // namespace unit_decode
