// SPDX-License-Identifier: BSL-1.0
// test/unit/envelope.cpp - envelope and record parsing, limits and header cross-checks.
#include <catena/webhooks/envelope.hpp>

#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace unit_envelope { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tv = catena::webhooks::test;

std::string wrap(std::string_view event, std::string_view records)
{
    return R"({"version":"1.0","event_name":")" + std::string(event) +
           R"(","webhook_id":"wh-1","id":"01936b2e-7c00-7000-8000-000000000001","data":[)" + std::string(records) + "]}";
}

BOOST_AUTO_TEST_SUITE(envelope_)

BOOST_AUTO_TEST_CASE(parses_tv1_invitation_accepted)
{
    envelope e;
    BOOST_REQUIRE(!e.parse(tv::tv1_body));
    BOOST_TEST(e.version() == "1.0");
    BOOST_TEST(e.event_name() == "invitation.accepted");
    BOOST_TEST(e.resource() == "invitation");
    BOOST_TEST(e.action() == "accepted");
    BOOST_TEST(e.webhook_id() == tv::webhook_id);
    BOOST_TEST(e.id() == "01936b2e-7c00-7000-8000-000000000001");
    BOOST_TEST(e.delivery_attempt() == 1);
    BOOST_TEST(e.sent_at().has_value());
    BOOST_REQUIRE(e.records().size() == 1u);
    auto const& r = e.records()[0];
    BOOST_TEST(r.id == "01234567-89ab-cdef-0123-456789abcdef");
    BOOST_TEST(r.invitation_id == r.id);
    BOOST_TEST(r.fleet_id == "98765432-10fe-dcba-9876-543210fedcba");
    BOOST_TEST(r.fleet_ref == "FLEET-42");
    BOOST_TEST(r.status == "accepted");
    BOOST_TEST(r.created_at.has_value());
    BOOST_TEST(!r.occurred_at.has_value());
    BOOST_REQUIRE(r.fields != nullptr);
    BOOST_TEST(r.fields->at("expires_in_hours").as_int64() == 24);
}

BOOST_AUTO_TEST_CASE(parses_share_agreement_links)
{
    envelope e;
    BOOST_REQUIRE(!e.parse(wrap("share_agreement.created",
                                R"({"id":"sa-1","fleet_id":"f-1","partner_id":"p-1","fleet_ref":"FLEET-42",)"
                                R"("invitation_id":"inv-1","status":"active","scopes":{"vehicle":"read"}})")));
    auto const& r = e.records()[0];
    BOOST_TEST(r.invitation_id == "inv-1");
    BOOST_TEST(r.fleet_id == "f-1");
    BOOST_TEST(r.fleet_ref == "FLEET-42");
}

BOOST_AUTO_TEST_CASE(parses_multiple_records_with_occurred_at)
{
    envelope e;
    BOOST_REQUIRE(!e.parse(wrap("vehicle_location.added",
                                R"({"id":"r1","fleet_id":"f","connection_id":"c","occurred_at":"2025-12-11T14:21:30Z","h3_index_11":627710138564640767},)"
                                R"({"id":"r2","fleet_id":"f","connection_id":"c","occurred_at":"2025-12-11T14:21:29.5Z"})")));
    BOOST_REQUIRE(e.records().size() == 2u);
    BOOST_TEST((*e.records()[1].occurred_at < *e.records()[0].occurred_at));
    BOOST_TEST(e.records()[0].connection_id == "c");
    // 64-bit integers beyond 2^53 are kept exactly.
    BOOST_TEST(e.records()[0].fields->at("h3_index_11").as_int64() == 627710138564640767LL);
}

BOOST_AUTO_TEST_CASE(accepts_unknown_events_fields_and_nulls)
{
    envelope e;
    BOOST_TEST(!e.parse(R"({"version":"9.9","event_name":"future_thing.happened","webhook_id":"w","timestamp":null,)"
                        R"("id":null,"delivery_attempt":null,"brand_new":{"x":[1,2]},"data":[{"id":"x","fleet_ref":null,"extra":true}]})"));
    BOOST_TEST(e.id().empty());
    BOOST_TEST(e.delivery_attempt() == 0);
    BOOST_TEST(e.records()[0].fleet_ref.empty());
}

BOOST_AUTO_TEST_CASE(accepts_empty_data_array)
{
    envelope e;
    BOOST_TEST(!e.parse(tv::tv2_body));
    BOOST_TEST(e.records().empty());
}

BOOST_AUTO_TEST_CASE(rejects_each_malformed_envelope_with_its_error)
{
    struct
    {
        std::string body;
        error expected;
    } cases[] = {
        {"", error::json_syntax},
        {"{", error::json_syntax},
        {R"({"version":"1.0"} trailing)", error::json_syntax},
        {"[]", error::envelope_not_object},
        {R"("text")", error::envelope_not_object},
        {R"({"webhook_id":"w","data":[]})", error::missing_field},
        {R"({"version":"1.0","data":[]})", error::missing_field},
        {R"({"version":"1.0","webhook_id":"w"})", error::missing_field},
        {R"({"version":"1.0","webhook_id":"w","data":null})", error::missing_field},
        {R"({"version":1.0,"webhook_id":"w","data":[]})", error::wrong_field_type},
        {R"({"version":"1.0","webhook_id":"w","data":{}})", error::wrong_field_type},
        {R"({"version":"1.0","webhook_id":"w","delivery_attempt":"2","data":[]})", error::wrong_field_type},
        {R"({"version":"1.0","webhook_id":"w","timestamp":"yesterday","data":[]})", error::wrong_field_type},
        {R"({"version":"1.0","webhook_id":"w","data":[1]})", error::record_not_object},
        {R"({"version":"1.0","webhook_id":"w","data":[{}]})", error::record_missing_id},
        {R"({"version":"1.0","webhook_id":"w","data":[{"id":""}]})", error::record_missing_id},
        {R"({"version":"1.0","webhook_id":"w","data":[{"id":7}]})", error::record_missing_id},
        {R"({"version":"1.0","webhook_id":"w","data":[{"id":"x","fleet_id":5}]})", error::wrong_field_type},
        {R"({"version":"1.0","webhook_id":"w","data":[{"id":"x","occurred_at":"2025-13-01T00:00:00Z"}]})", error::wrong_field_type},
    };
    envelope e;
    for(auto const& c : cases)
    {
        BOOST_TEST_CONTEXT(c.body)
        {
            auto ec = e.parse(c.body);
            BOOST_TEST((ec == c.expected), ec.message());
            BOOST_TEST(e.records().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(enforces_depth_record_and_string_limits)
{
    envelope_limits lim;
    lim.max_depth = 8;
    lim.max_records = 3;
    lim.max_string_bytes = 40; // the envelope id of wrap() has 36
    envelope e;
    std::string deep = R"({"version":"1.0","webhook_id":"w","data":[],"x":)" + std::string(10, '[') + std::string(10, ']') + "}";
    BOOST_TEST((e.parse(deep, lim) == error::json_too_deep));
    BOOST_TEST((e.parse(wrap("a.b", R"({"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"})"), lim) == error::too_many_records));
    BOOST_TEST(!e.parse(wrap("a.b", R"({"id":"1"},{"id":"2"},{"id":"3"})"), lim));
    BOOST_TEST((e.parse(wrap("a.b", R"({"id":"0123456789abcdef0123456789abcdef0123456789"})"), lim) == error::string_too_long));
    BOOST_TEST((e.parse(wrap("a.b", R"({"id":"1","0123456789abcdef0123456789abcdef0123456789":1})"), lim) == error::string_too_long));
    BOOST_TEST(!e.parse(wrap("a.b", R"({"id":"0123456789abcdef0123456789abcdef0123"})"), lim));
}

BOOST_AUTO_TEST_CASE(reuses_buffers_across_parses)
{
    envelope e;
    for(int i = 0; i < 3; ++i)
    {
        BOOST_REQUIRE(!e.parse(tv::tv1_body));
        BOOST_TEST(e.records()[0].fleet_ref == "FLEET-42");
        BOOST_REQUIRE(!e.parse(tv::tv2_body));
        BOOST_TEST(e.event_name() == "webhook.staled");
    }
}

BOOST_AUTO_TEST_CASE(parses_large_bodies_repeatedly_without_growing_requests)
{
    // Bodies beyond the inline arena spill into heap blocks; parsing many of them in a row
    // must not make each request for memory larger than the last.
    std::string records;
    for(int i = 0; i < 800; ++i)
        records += (i ? "," : "") + std::string(R"({"id":"record-)") + std::to_string(i) + R"(","fleet_id":"f"})";
    auto const body = wrap("vehicle.added", records);
    BOOST_REQUIRE(body.size() > 16u * 1024);
    envelope e;
    for(int i = 0; i < 200; ++i)
    {
        BOOST_REQUIRE(!e.parse(body));
        BOOST_REQUIRE(e.records().size() == 800u);
    }
}

BOOST_AUTO_TEST_CASE(views_survive_a_move)
{
    envelope a;
    BOOST_REQUIRE(!a.parse(tv::tv1_body));
    envelope b = std::move(a);
    BOOST_TEST(b.records()[0].fleet_ref == "FLEET-42");
    envelope c;
    c = std::move(b);
    BOOST_TEST(c.event_name() == "invitation.accepted");
    BOOST_TEST(!b.parse(tv::tv2_body)); // a moved-from envelope can parse again
}

BOOST_AUTO_TEST_CASE(take_fields_moves_a_record_out_and_its_views_stay_valid)
{
    for(auto where : {envelope_storage::arena, envelope_storage::heap})
    {
        envelope e(where);
        BOOST_REQUIRE(!e.parse(tv::tv1_body));
        auto const& r = e.records()[0];
        auto const* id_before = r.id.data();
        boost::json::object taken = e.take_fields(0);
        BOOST_TEST(taken.at("expires_in_hours").as_int64() == 24);
        BOOST_TEST(taken.at("fleet_ref").as_string() == "FLEET-42");
        BOOST_TEST((*taken.storage() == *boost::json::storage_ptr()));
        if(where == envelope_storage::heap)
        {
            // Moved, not copied: the view still points at the same characters, now owned
            // by the object taken.
            BOOST_TEST(r.fields->empty());
            BOOST_TEST(taken.at("id").as_string().data() == id_before);
        }
        BOOST_TEST(r.id == "01234567-89ab-cdef-0123-456789abcdef");
        // Parsing again after a take starts afresh; what was taken is the caller's.
        BOOST_REQUIRE(!e.parse(tv::tv2_body));
        BOOST_TEST(taken.at("status").as_string() == "accepted");
    }
}

BOOST_AUTO_TEST_CASE(cross_checks_headers)
{
    envelope e;
    BOOST_REQUIRE(!e.parse(tv::tv1_body));
    BOOST_TEST(!e.check_headers("invitation.accepted", tv::webhook_id));
    BOOST_TEST(!e.check_headers("", tv::webhook_id));
    BOOST_TEST((e.check_headers("invitation.declined", tv::webhook_id) == error::event_name_mismatch));
    BOOST_TEST((e.check_headers("invitation.accepted", "another-id") == error::webhook_id_mismatch));
}

BOOST_AUTO_TEST_CASE(takes_event_name_from_header_when_body_has_none)
{
    envelope e;
    BOOST_REQUIRE(!e.parse(R"({"version":"1.0","webhook_id":"w","data":[{"id":"inv-9"}]})"));
    BOOST_TEST(e.event_name().empty());
    BOOST_TEST(!e.check_headers("invitation.viewed", "w"));
    BOOST_TEST(e.event_name() == "invitation.viewed");
    BOOST_TEST(e.records()[0].invitation_id == "inv-9");
}

BOOST_AUTO_TEST_SUITE_END() // envelope_

} // namespace

} // namespace unit_envelope
