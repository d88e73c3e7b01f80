// SPDX-License-Identifier: BSL-1.0
// test/unit/envelope_peek.cpp - the envelope's top-level "id", read from the first pieces of a body.
#include "providers/envelope_peek.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace unit_envelope_peek { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using catena::webhooks::detail::envelope_peek;

std::string peek(std::string_view body, std::size_t piece = 7)
{
    envelope_peek p;
    for(std::size_t at = 0; at < body.size() && !p.done(); at += piece)
        p.feed(body.substr(at, piece));
    return p.id();
}

} // namespace

BOOST_AUTO_TEST_SUITE(envelope_peek_)

BOOST_AUTO_TEST_CASE(reads_the_top_level_id_in_pieces_and_stops_there)
{
    std::string const body = R"({"version":"1.0","webhook_id":"w","id":"01936b2e-7c00-7000-8000-000000000001","data":[)";
    BOOST_TEST(peek(body) == "01936b2e-7c00-7000-8000-000000000001"); // data[] never needed
    BOOST_TEST(peek(body, 1) == "01936b2e-7c00-7000-8000-000000000001");
    envelope_peek p;
    p.feed(body);
    BOOST_TEST(p.done());
}

BOOST_AUTO_TEST_CASE(ids_inside_records_or_nested_objects_are_not_the_envelopes)
{
    BOOST_TEST(peek(R"({"data":[{"id":"record-1"}],"meta":{"id":"nested"},"id":"env-1"})") == "env-1");
    BOOST_TEST(peek(R"({"data":[{"id":"record-1"}]})").empty());
    BOOST_TEST(peek(R"({"idx":"no","id2":"no","i":"no"})").empty());
}

BOOST_AUTO_TEST_CASE(null_non_string_over_long_or_non_object_ids_give_nothing)
{
    BOOST_TEST(peek(R"({"id":null,"data":[]})").empty());
    BOOST_TEST(peek(R"({"id":42,"data":[]})").empty());
    BOOST_TEST(peek(R"({"id":{"x":"y"},"data":[]})").empty());
    BOOST_TEST(peek(R"({"id":")" + std::string(200, 'a') + R"("})").empty());
    BOOST_TEST(peek(R"(["id","x"])").empty());
    BOOST_TEST(peek("not json").empty());
    BOOST_TEST(peek(R"({"id":"caf\u00e9"})") == "caf\xc3\xa9"); // escapes decoded, as the envelope reads them
}

BOOST_AUTO_TEST_SUITE_END() // envelope_peek_

} // namespace unit_envelope_peek
