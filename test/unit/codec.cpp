// SPDX-License-Identifier: BSL-1.0
// test/unit/codec.cpp - the stored form of fleet captures and transitions.
#include "state/codec.hpp"

#include <boost/test/unit_test.hpp>

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
