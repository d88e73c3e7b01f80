// SPDX-License-Identifier: BSL-1.0
// test/unit/codec.cpp - the stored form of fleet captures and transitions.
#include "state/codec.hpp"

#include "processing/fleet.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_codec { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;

timestamp const t0{std::chrono::seconds(1'764'000'000)};

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(a_transition_document_round_trips)
{
    transition t;
    t.fleet_key = "f-\"9\"";
    t.fleet_id = "f-\"9\"";
    t.fleet_ref = "ref\\9\x1f";
    t.what = dimension::health;
    t.from = "ok";
    t.to = "stale";
    t.cause = "connection.staled";
    t.event_id = "evt-1";
    t.record_id = "rec-\xe2\x82\xac";
    t.occurred_at = t0 + 1500ms;
    t.idempotency_key = "wh/evt-1/rec";
    // Pinned: every field in this order, empty text as it is, times in microseconds.
    BOOST_TEST(detail::codec::encode(t) ==
               R"({"fleet_key":"f-\"9\"","fleet_id":"f-\"9\"","fleet_ref":"ref\\9\u001f","dimension":"health",)"
               R"("entity_id":"","from":"ok","to":"stale","cause":"connection.staled","event_id":"evt-1",)"
               R"("record_id":"rec-)" "\xe2\x82\xac"
               R"(","occurred_at":1764000001500000,"idempotency_key":"wh/evt-1/rec"})");
    auto const back = detail::codec::decode_transition(detail::codec::encode(t));
    BOOST_REQUIRE(back);
    BOOST_TEST(back->fleet_key == t.fleet_key);
    BOOST_TEST(back->fleet_id == t.fleet_id);
    BOOST_TEST(back->fleet_ref == t.fleet_ref);
    BOOST_TEST((back->what == t.what));
    BOOST_TEST(back->from == t.from);
    BOOST_TEST(back->to == t.to);
    BOOST_TEST(back->cause == t.cause);
    BOOST_TEST(back->record_id == t.record_id);
    BOOST_TEST((back->occurred_at == t.occurred_at));
    BOOST_TEST(back->idempotency_key == t.idempotency_key);
    t.occurred_at.reset();
    auto const none = detail::codec::decode_transition(detail::codec::encode(t));
    BOOST_REQUIRE(none);
    BOOST_TEST(!none->occurred_at.has_value());
}

BOOST_AUTO_TEST_CASE(the_operation_document_is_pinned)
{
    // Every field, empty text as it is (detail/json_forms.hpp).
    operation_result r;
    r.operation_id = "op-1";
    r.status = operation_status::success;
    r.source = operation_source::poll;
    r.response_status_code = 201;
    BOOST_TEST(detail::codec::encode(r) ==
               R"({"operation_id":"op-1","status":"success","source":"poll","resource":"","operation_type":"",)"
               R"("resource_id":"","source_id":"","connection_id":"","fleet_ref":"","fleet_key":"","error_type":"",)"
               R"("error_details":"","response_status_code":201,"event_id":"","idempotency_key":""})");
}

BOOST_AUTO_TEST_CASE(a_fleet_capture_round_trips_with_its_streams)
{
    detail::fleet_capture c;
    c.state.key = "f-\"1\"";
    c.state.fleet_id = "f-\"1\"";
    c.state.fleet_ref = "ref\\1\n\xc3\xa9";
    c.state.invitation_ids = {"inv-1", "inv-2"};
    c.state.connection_ids = {"conn-1"};
    c.state.stage = stage::connected;
    c.state.health = health::stale;
    c.state.failed_executions = 3;
    c.state.last_event = "connection.staled";
    c.state.last_occurred_at = t0 + 250ms;
    c.versions.emplace_back("connection", detail::order_key{t0, 3, t0 + 1s, "0190-a", 2, "rec-\"x\"", 17, 3});
    c.versions.emplace_back("invitation", detail::order_key{t0 - 1s, 0, {}, "", 0, "inv-1", 3, 1});
    auto const doc = detail::codec::encode(c);
    auto const back = detail::codec::decode_fleet(doc);
    BOOST_REQUIRE(back);
    BOOST_TEST(back->state.key == c.state.key);
    BOOST_TEST(back->state.fleet_ref == c.state.fleet_ref);
    BOOST_TEST(back->state.invitation_ids == c.state.invitation_ids, boost::test_tools::per_element());
    BOOST_TEST(back->state.connection_ids == c.state.connection_ids, boost::test_tools::per_element());
    BOOST_TEST((back->state.stage == stage::connected));
    BOOST_TEST((back->state.health == health::stale));
    BOOST_TEST(back->state.failed_executions == 3u);
    BOOST_TEST((back->state.last_occurred_at == c.state.last_occurred_at));
    BOOST_REQUIRE(back->versions.size() == 2u);
    // Encoding the decoded capture gives the same document: nothing was lost on the way.
    BOOST_TEST(detail::codec::encode(*back) == doc);
}

BOOST_AUTO_TEST_CASE(documents_that_are_not_captures_are_refused)
{
    BOOST_TEST(!detail::codec::decode_fleet("not json"));
    BOOST_TEST(!detail::codec::decode_fleet("[1,2]"));
    BOOST_TEST(!detail::codec::decode_fleet(R"({"stage":"connected"})")); // no key
    BOOST_TEST(!detail::codec::decode_transition("{"));
}

// One fleet document written by hand in the current format (3): every field, every kind of
// part, a version and evidence. Pinned: decoding reads each field from where the format puts
// it, and encoding what was read gives these bytes back, so a change of the format (a field
// renamed, moved, dropped, or a time in other units) fails here, not in a user's store.
BOOST_AUTO_TEST_CASE(the_format_3_fleet_document_is_pinned)
{
    std::string const doc =
        R"({"key":"0f000000-0000-4000-8000-000000000007","fleet_id":"0f000000-0000-4000-8000-000000000007",)"
        R"("fleet_ref":"REF-7 \"north\"","invitation_ids":["inv-1","inv-2"],"connection_ids":["con-1"],)"
        R"("stage":"connected","health":"halted","failed_executions":2,"last_event":"execution.failed",)"
        R"("last_occurred_at":1764000060000000,"v":3,)"
        R"("invitations":[{"id":"inv-1","state":"expired","stepped_at":null,"ended_at":1763990000000000},)"
        R"({"id":"inv-2","state":"accepted","stepped_at":1763995000000000,"ended_at":null}],)"
        R"("agreements":[{"id":"agr-1","active":true,"deleted_at":null},)"
        R"({"id":"agr-0","active":false,"deleted_at":1763994000000000}],)"
        R"("connections":[{"id":"con-1","source_name":"samsara","tsp_id":"tsp-1","health":"degraded",)"
        R"("reported":true,"linked":true,"failed_executions":2,"staled_at":null,"failed_at":1764000060000000,)"
        R"("schedules":[{"id":"sch-1","resource":"hos_event","active":false,"deactivated_at":1764000030000000}]}],)"
        R"("versions":[{"n":"invitation/inv-2","t":1763995000000000,"k":4,"x":1,"u":1763995001000000,)"
        R"("e":"019ab6a0-0000-7000-8000-000000000001","i":2,"r":"inv-2","s":12}],)"
        R"("evidence":[{"n":"c/con-1","t":1763999000000000},{"n":"s/sch-1","t":1763999500000000}]})";
    auto const us = [](std::int64_t v) { return timestamp{std::chrono::microseconds(v)}; };
    auto const c = detail::codec::decode_fleet(doc);
    BOOST_REQUIRE(c);
    auto const& st = c->state;
    BOOST_TEST(st.key == "0f000000-0000-4000-8000-000000000007");
    BOOST_TEST(st.fleet_id == "0f000000-0000-4000-8000-000000000007");
    BOOST_TEST(st.fleet_ref == "REF-7 \"north\"");
    BOOST_TEST(st.invitation_ids == (std::vector<std::string>{"inv-1", "inv-2"}), boost::test_tools::per_element());
    BOOST_TEST(st.connection_ids == (std::vector<std::string>{"con-1"}), boost::test_tools::per_element());
    BOOST_TEST((st.stage == stage::connected));
    BOOST_TEST((st.health == health::halted));
    BOOST_TEST(st.failed_executions == 2u);
    BOOST_TEST(st.last_event == "execution.failed");
    BOOST_TEST((st.last_occurred_at == us(1764000060000000)));
    BOOST_REQUIRE(st.invitations.size() == 2u);
    BOOST_TEST(st.invitations[0].id == "inv-1");
    BOOST_TEST((st.invitations[0].state == invitation_state::expired));
    BOOST_TEST(!st.invitations[0].stepped_at.has_value());
    BOOST_TEST((st.invitations[0].ended_at == us(1763990000000000)));
    BOOST_TEST(st.invitations[1].id == "inv-2");
    BOOST_TEST((st.invitations[1].state == invitation_state::accepted));
    BOOST_TEST((st.invitations[1].stepped_at == us(1763995000000000)));
    BOOST_TEST(!st.invitations[1].ended_at.has_value());
    BOOST_REQUIRE(st.agreements.size() == 2u);
    BOOST_TEST(st.agreements[0].id == "agr-1");
    BOOST_TEST(st.agreements[0].active);
    BOOST_TEST(!st.agreements[0].deleted_at.has_value());
    BOOST_TEST(st.agreements[1].id == "agr-0");
    BOOST_TEST(!st.agreements[1].active);
    BOOST_TEST((st.agreements[1].deleted_at == us(1763994000000000)));
    BOOST_REQUIRE(st.connections.size() == 1u);
    auto const& cn = st.connections[0];
    BOOST_TEST(cn.id == "con-1");
    BOOST_TEST(cn.source_name == "samsara");
    BOOST_TEST(cn.tsp_id == "tsp-1");
    BOOST_TEST((cn.health == health::degraded));
    BOOST_TEST(cn.reported);
    BOOST_TEST(cn.linked);
    BOOST_TEST(cn.failed_executions == 2u);
    BOOST_TEST(!cn.staled_at.has_value());
    BOOST_TEST((cn.failed_at == us(1764000060000000)));
    BOOST_REQUIRE(cn.schedules.size() == 1u);
    BOOST_TEST(cn.schedules[0].id == "sch-1");
    BOOST_TEST(cn.schedules[0].resource == "hos_event");
    BOOST_TEST(!cn.schedules[0].active);
    BOOST_TEST((cn.schedules[0].deactivated_at == us(1764000030000000)));
    BOOST_REQUIRE(c->versions.size() == 1u);
    auto const& [name, k] = c->versions[0];
    BOOST_TEST(name == "invitation/inv-2");
    BOOST_TEST((k.time == us(1763995000000000)));
    BOOST_TEST(k.rank == 4);
    BOOST_TEST(k.tie == 1);
    BOOST_TEST((k.updated == us(1763995001000000)));
    BOOST_TEST(k.envelope_id == "019ab6a0-0000-7000-8000-000000000001");
    BOOST_TEST(k.record_index == 2u);
    BOOST_TEST(k.record_id == "inv-2");
    BOOST_TEST(k.sequence == 12u);
    BOOST_REQUIRE(c->evidence.size() == 2u);
    BOOST_TEST(c->evidence[0].first == "c/con-1");
    BOOST_TEST((c->evidence[0].second == us(1763999000000000)));
    BOOST_TEST(c->evidence[1].first == "s/sch-1");
    BOOST_TEST((c->evidence[1].second == us(1763999500000000)));
    // What was read, written again, is the same document byte for byte.
    BOOST_TEST(detail::codec::encode(*c) == doc);
}

// A format 1 document (schemas 1 to 4) held the stage and health only. Whatever pair it held,
// it becomes parts that derive that stage and health again, with its ids or without them, so
// that the fleet goes on from where it stood (the fixtures of test/fixtures/ hold four pairs).
BOOST_AUTO_TEST_CASE(every_format_1_stage_and_health_becomes_parts_that_derive_them_again)
{
    for(int si = 0; si <= static_cast<int>(stage::revoked); ++si)
        for(int hi = 0; hi <= static_cast<int>(health::halted); ++hi)
            for(bool ids : {false, true})
            {
                auto const s = static_cast<stage>(si);
                auto const h = static_cast<health>(hi);
                BOOST_TEST_CONTEXT("stage '" << to_string(s) << "', health " << to_string(h) << (ids ? ", ids" : ""))
                {
                    std::string const doc =
                        std::string(R"({"key":"f-1","fleet_id":"f-1","fleet_ref":"REF-1","invitation_ids":)") +
                        (ids ? R"(["inv-1"],"connection_ids":["con-1"])" : R"([],"connection_ids":[])") +
                        R"(,"stage":")" + std::string(to_string(s)) + R"(","health":")" + std::string(to_string(h)) +
                        R"(","failed_executions":1,"last_event":"x.y","last_occurred_at":1764000000000000,"streams":{}})";
                    auto const c = detail::codec::decode_fleet(doc);
                    BOOST_REQUIRE(c);
                    BOOST_TEST((c->state.stage == s));
                    BOOST_TEST((c->state.health == h));
                    auto record = detail::fleet_record::from(*c);
                    detail::lifecycle_output out;
                    record.derive([](auto&&...) { return transition{}; }, out);
                    BOOST_TEST(to_string(record.state.stage) == to_string(s));
                    BOOST_TEST(to_string(record.state.health) == to_string(h));
                    BOOST_TEST(out.transitions.empty());
                    for(auto const& i : record.state.invitations)
                        BOOST_TEST(i.id == (ids ? "inv-1" : "legacy"));
                    for(auto const& cn : record.state.connections)
                        BOOST_TEST(cn.id == (ids ? "con-1" : "legacy"));
                }
            }
}

BOOST_AUTO_TEST_CASE(documents_that_are_not_operations_or_name_unknown_states_are_refused_or_emptied)
{
    BOOST_TEST(!detail::codec::decode_operation("not json"));
    BOOST_TEST(!detail::codec::decode_operation("[]"));
    BOOST_TEST(!detail::codec::decode_operation(R"({"status":"success"})")); // no operation_id
    auto const op = detail::codec::decode_operation(R"({"operation_id":"op-1","status":"no-such-status"})");
    BOOST_REQUIRE(op);
    BOOST_TEST((op->status == operation_status::pending));
    BOOST_TEST(!op->response_status_code.has_value());
    // A transition whose state names this version does not know keeps its other fields.
    for(auto dim : {"stage", "health", "invitation", "agreement", "connection", "schedule"})
        BOOST_TEST_CONTEXT(dim)
        {
            auto const t = detail::codec::decode_transition(std::string(R"({"dimension":")") + dim +
                                                            R"(","from":"sideways","to":"elsewhere","cause":"x.y"})");
            BOOST_REQUIRE(t);
            BOOST_TEST(to_string(t->what) == dim);
            BOOST_TEST(t->from.empty());
            BOOST_TEST(t->to.empty());
            BOOST_TEST(t->cause == "x.y");
        }
    auto const linked = detail::codec::decode_transition(R"({"dimension":"connection","from":"ok","to":"linked"})");
    BOOST_REQUIRE(linked);
    BOOST_TEST(linked->to == "linked");
}

BOOST_AUTO_TEST_CASE(an_operation_outcome_round_trips_with_its_source)
{
    operation_result r;
    r.operation_id = "op-1";
    r.status = operation_status::pending;
    r.source = operation_source::poll;
    r.connection_id = "conn-1";
    r.resource = "message";
    r.fleet_key = "fleet-1";
    r.response_status_code = 401;
    auto const doc = detail::codec::encode(r);
    auto const back = detail::codec::decode_operation(doc);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST((back->status == operation_status::pending));
    BOOST_TEST((back->source == operation_source::poll));
    BOOST_TEST(back->connection_id == "conn-1");
    BOOST_TEST(back->resource == "message");
    BOOST_TEST(back->fleet_key == "fleet-1");
    BOOST_TEST(detail::codec::encode(*back) == doc);
    // An outcome stored before polling existed has no source: a webhook decided it.
    auto const old = detail::codec::decode_operation(R"({"operation_id":"op-2","status":"success"})");
    BOOST_REQUIRE(old.has_value());
    BOOST_TEST((old->source == operation_source::webhook));
}

BOOST_AUTO_TEST_SUITE_END() // codec

} // namespace

} // namespace unit_codec
