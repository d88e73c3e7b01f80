// SPDX-License-Identifier: BSL-1.0
// test/unit/json_lines.cpp - the JSON Lines records of events, transitions, merges and dead letters.
#include <catena/webhooks/json_lines.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

namespace {

using namespace catena::webhooks;
namespace json = boost::json;

json::object parsed(std::string const& line)
{
    BOOST_TEST(line.find('\n') == std::string::npos);
    return json::parse(line).as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_lines)

BOOST_AUTO_TEST_CASE(an_event_line_escapes_its_strings_and_writes_missing_values_as_null)
{
    event e;
    e.event_name = "vehicle.added";
    e.webhook_id = "wh \"1\"";
    e.record_id = "v\\1\n\x01";
    e.fleet_id = "f-1";
    e.occurred_at = *parse_rfc3339("2024-11-28T10:30:00Z");
    e.late = true;
    e.idempotency_key = "k";
    auto const o = parsed(to_json_line(e));
    BOOST_TEST(o.at("kind").as_string() == "event");
    BOOST_TEST(o.at("webhook_id").as_string() == "wh \"1\"");
    BOOST_TEST(o.at("record_id").as_string() == "v\\1\n\x01");
    BOOST_TEST(o.at("event_id").is_null());
    BOOST_TEST(o.at("fleet_ref").is_null());
    BOOST_TEST(o.at("occurred_at").as_string() == "2024-11-28T10:30:00Z");
    BOOST_TEST(o.at("late").as_bool());
}

BOOST_AUTO_TEST_CASE(a_transition_line_names_its_dimension_and_has_a_null_from_for_a_first_stage)
{
    transition t;
    t.fleet_key = "ref:FLEET-42";
    t.fleet_ref = "FLEET-42";
    t.what = dimension::stage;
    t.to = "invited";
    t.cause = "invitation.created";
    t.idempotency_key = "k#stage";
    auto const o = parsed(to_json_line(t));
    BOOST_TEST(o.at("kind").as_string() == "transition");
    BOOST_TEST(o.at("dimension").as_string() == "stage");
    BOOST_TEST(o.at("from").is_null());
    BOOST_TEST(o.at("to").as_string() == "invited");
    BOOST_TEST(o.at("fleet_id").is_null());
    BOOST_TEST(o.at("occurred_at").is_null());
}

BOOST_AUTO_TEST_CASE(merge_and_dead_letter_lines_carry_their_kind)
{
    fleet_merge m{"ref:F", "f-1", "invitation.accepted", "", "r"};
    auto const mo = parsed(to_json_line(m));
    BOOST_TEST(mo.at("kind").as_string() == "merge");
    BOOST_TEST(mo.at("into").as_string() == "f-1");
    BOOST_TEST(mo.at("event_id").is_null());
    dead_letter d;
    d.kind = dead_letter_kind::callback_failed;
    d.reason = "handler_exception";
    d.webhook_id = "wh";
    auto const dl = parsed(to_json_line(d));
    BOOST_TEST(dl.at("kind").as_string() == "dead_letter");
    BOOST_TEST(dl.at("dead_letter").as_string() == "callback_failed");
    BOOST_TEST(dl.at("request_id").is_null());
}

BOOST_AUTO_TEST_SUITE_END() // json_lines
