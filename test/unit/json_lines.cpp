// SPDX-License-Identifier: BSL-1.0
// test/unit/json_lines.cpp - the JSON Lines records of events, transitions, merges and dead letters.
#include <catena/webhooks/json_lines.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

namespace unit_json_lines { // this file's own: the test binaries compile a few files as one (unity build)

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

// One of each record, every field set or deliberately empty: the lines, to the byte, as
// docs/operations.md shows them (field order, null for empty text, control characters escaped).
struct one_of_each
{
    event e;
    transition t;
    fleet_merge m{"ref:F", "f-1", "invitation.accepted", "", "r"};
    dead_letter d;
    subscription_event s;
    delivery_gap g;

    one_of_each()
    {
        e.event_name = "vehicle.added";
        e.webhook_id = "wh";
        e.record_id = "r\n\"1\"";
        e.fleet_id = "f-1";
        e.occurred_at = *parse_rfc3339("2024-11-28T10:30:00Z");
        e.idempotency_key = "k";
        e.record = json::object{{"a", 1}};
        t.fleet_key = "f-1";
        t.fleet_id = "f-1";
        t.what = dimension::connection;
        t.entity_id = "c-1";
        t.from = "ok";
        t.to = "stale";
        t.cause = "connection.staled";
        t.event_id = "e-1";
        t.record_id = "r-1";
        t.occurred_at = *parse_rfc3339("2024-11-28T10:30:00Z");
        t.idempotency_key = "k#connection:c-1";
        d.reason = "missing_field";
        d.request_id = "q-1";
        d.route = "/webhooks/foxtrot/T";
        s.action = "paused";
        s.subscription_id = "s-1";
        s.delivered_by = "s-2";
        s.status = "paused";
        s.event_name = "vehicle.added";
        s.idempotency_key = "k";
        g.subscription_id = "s-1";
        g.cause = "staled";
        g.from = *parse_rfc3339("2024-11-28T10:30:00Z");
        g.to = *parse_rfc3339("2024-11-28T11:30:00Z");
        g.events = {"a.b", "c.d"};
    }
};

BOOST_AUTO_TEST_CASE(appending_a_line_writes_the_same_bytes_after_what_the_buffer_holds)
{
    one_of_each x;
    std::string out = "earlier\n";
    append_json_line(out, x.e, true);
    BOOST_TEST(out == "earlier\n" + to_json_line(x.e, true));
    out.clear();
    append_json_line(out, x.e);
    BOOST_TEST(out == to_json_line(x.e));
    append_json_line(out, x.t);
    BOOST_TEST(out == to_json_line(x.e) + to_json_line(x.t));
}

BOOST_AUTO_TEST_CASE(each_line_is_written_byte_for_byte_as_documented)
{
    one_of_each x;
    BOOST_TEST(to_json_line(x.e, true) ==
               R"({"kind":"event","event_name":"vehicle.added","event_id":null,"webhook_id":"wh",)"
               R"("record_id":"r\u000a\"1\"","fleet_id":"f-1","fleet_ref":null,"connection_id":null,)"
               R"("occurred_at":"2024-11-28T10:30:00Z","late":false,"idempotency_key":"k","record":{"a":1}})");
    x.e.provider = "foxtrot";
    BOOST_TEST(to_json_line(x.e).substr(0, 38) == R"({"kind":"event","provider":"foxtrot",")");
    BOOST_TEST(to_json_line(x.t) ==
               R"({"kind":"transition","fleet_key":"f-1","fleet_id":"f-1","fleet_ref":null,"dimension":"connection",)"
               R"("entity_id":"c-1","from":"ok","to":"stale","cause":"connection.staled","event_id":"e-1",)"
               R"("occurred_at":"2024-11-28T10:30:00Z","idempotency_key":"k#connection:c-1"})");
    BOOST_TEST(to_json_line(x.m) ==
               R"({"kind":"merge","from":"ref:F","into":"f-1","cause":"invitation.accepted","event_id":null})");
    BOOST_TEST(to_json_line(x.d) == R"({"kind":"dead_letter","reason":"missing_field","dead_letter":"undecodable",)"
                                    R"("request_id":"q-1","webhook_id":null,"route":"/webhooks/foxtrot/T"})");
    BOOST_TEST(to_json_line(x.s) ==
               R"({"kind":"subscription","action":"paused","subscription_id":"s-1","delivered_by":"s-2",)"
               R"("status":"paused","delivery_stopped":true,"url":null,"event_name":"vehicle.added",)"
               R"("occurred_at":null,"idempotency_key":"k"})");
    BOOST_TEST(to_json_line(x.g) == R"({"kind":"delivery_gap","subscription_id":"s-1","cause":"staled",)"
                                    R"("from":"2024-11-28T10:30:00Z","to":"2024-11-28T11:30:00Z","events":["a.b","c.d"]})");
}

BOOST_AUTO_TEST_CASE(to_json_is_the_line_as_an_object)
{
    one_of_each x;
    BOOST_TEST(json::parse(to_json_line(x.e, true)) == json::value(to_json(x.e, true)));
    BOOST_TEST(json::parse(to_json_line(x.e)) == json::value(to_json(x.e)));
    BOOST_TEST(json::parse(to_json_line(x.t)) == json::value(to_json(x.t)));
    BOOST_TEST(json::parse(to_json_line(x.m)) == json::value(to_json(x.m)));
    BOOST_TEST(json::parse(to_json_line(x.d)) == json::value(to_json(x.d)));
    BOOST_TEST(json::parse(to_json_line(x.s)) == json::value(to_json(x.s)));
    BOOST_TEST(json::parse(to_json_line(x.g)) == json::value(to_json(x.g)));
    // Field order too: the object serializes its fields as the line writes them.
    auto const keys = [](json::object const& o) {
        std::string k;
        for(auto const& f : o)
            k += std::string(f.key()) + ",";
        return k;
    };
    BOOST_TEST(keys(to_json(x.t)) == keys(json::parse(to_json_line(x.t)).as_object()));
    BOOST_TEST(keys(to_json(x.e, true)) == keys(json::parse(to_json_line(x.e, true)).as_object()));
}

BOOST_AUTO_TEST_CASE(a_fleet_is_the_admin_api_form_with_its_parts_and_no_times_of_theirs)
{
    fleet_state f;
    f.key = "ref:F";
    f.fleet_ref = "F";
    f.connections.push_back({});
    f.connections[0].id = "c-1";
    f.connections[0].staled_at = *parse_rfc3339("2024-11-28T10:30:00Z");
    f.connections[0].schedules.push_back({"s-1", "", false, std::nullopt, std::nullopt});
    BOOST_TEST(json::serialize(to_json(f)) ==
               R"({"key":"ref:F","fleet_id":null,"fleet_ref":"F","stage":null,"health":"ok","invitation_ids":[],)"
               R"("connection_ids":[],"invitations":[],"agreements":[],"connections":[{"id":"c-1","source_name":null,)"
               R"("tsp_id":null,"health":"ok","reported":false,"linked":false,"failed_executions":0,)"
               R"("schedules":[{"id":"s-1","resource":null,"active":false}]}],"failed_executions":0,"last_event":null,)"
               R"("last_occurred_at":null})");
}

BOOST_AUTO_TEST_SUITE_END() // json_lines

} // namespace unit_json_lines
