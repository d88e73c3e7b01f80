// SPDX-License-Identifier: BSL-1.0
// test/unit/envelope_split.cpp - a large envelope as a series of smaller ones.
#include "processing/envelope_split.hpp"

#include <catena/webhooks/envelope.hpp>

#include <boost/test/unit_test.hpp>

namespace unit_envelope_split { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace catena::webhooks::detail;

} // namespace

BOOST_AUTO_TEST_SUITE(envelope_split_)

BOOST_AUTO_TEST_CASE(finds_the_members_and_every_record_whatever_their_strings_hold)
{
    std::string const body =
        R"( { "version":"1.0", "id":"e-1", "data" : [ {"id":"a","s":"x]},{\"y"}, {"id":"b","n":[1,{"k":"}"}]} ,{"id":"c"} ], "webhook_id":"w" } )";
    auto const l = scan_envelope(body);
    BOOST_REQUIRE(l.has_value());
    BOOST_TEST(l->members == R"("version":"1.0","id":"e-1","webhook_id":"w")");
    BOOST_REQUIRE(l->records.size() == 3u);
    BOOST_TEST(body.substr(l->records[0].first, l->records[0].second) == R"({"id":"a","s":"x]},{\"y"})");
    BOOST_TEST(body.substr(l->records[2].first, l->records[2].second) == R"({"id":"c"})");
    // Each piece is an envelope of its own, with the same members.
    envelope env;
    BOOST_REQUIRE(!env.parse(envelope_piece(*l, body, 1, 2)));
    BOOST_TEST(env.id() == "e-1");
    BOOST_REQUIRE(env.records().size() == 2u);
    BOOST_TEST(env.records()[0].id == "b");
    BOOST_TEST(env.records()[1].id == "c");
}

BOOST_AUTO_TEST_CASE(anything_but_one_object_with_one_data_array_is_left_to_the_parser)
{
    for(std::string const bad : {R"([1,2])", R"({"data":{}})", R"({"data":[1],"data":[2]})", R"({"id":"x"})",
                                 R"({"data":[1,2] } trailing)", R"({"data":[1,2)", R"({"data":["unterminated])", ""})
        BOOST_TEST(!scan_envelope(bad).has_value(), bad);
    BOOST_TEST(scan_envelope(R"({"data":[]})").has_value());
}

BOOST_AUTO_TEST_CASE(a_piece_holds_about_the_bytes_asked_and_at_least_one_record)
{
    envelope_layout l;
    for(std::size_t i = 0; i < 10; ++i)
        l.records.emplace_back(i * 100, 100);
    BOOST_TEST(records_in_piece(l, 0, 350) == 3u);
    BOOST_TEST(records_in_piece(l, 8, 350) == 2u);
    BOOST_TEST(records_in_piece(l, 0, 10) == 1u);
}

BOOST_AUTO_TEST_SUITE_END() // envelope_split_

} // namespace unit_envelope_split
