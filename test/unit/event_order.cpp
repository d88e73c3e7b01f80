// SPDX-License-Identifier: BSL-1.0
// test/unit/event_order.cpp - when an event happened: the time it is ordered by, and the tie-breaks.
#include "processing/event_order.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_event_order { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
using detail::order_key_of;

timestamp const arrival{std::chrono::seconds(1'800'000'000)};

event make(std::string name, boost::json::object record = {})
{
    event e;
    e.event_name = std::move(name);
    e.record_id = "r-1";
    e.record = std::move(record);
    return e;
}

timestamp at(char const* s) { return *parse_rfc3339(s); }

} // namespace

BOOST_AUTO_TEST_SUITE(event_order)

BOOST_AUTO_TEST_CASE(occurred_at_comes_first)
{
    auto e = make("vehicle_location.added");
    e.occurred_at = at("2025-11-24T10:00:00Z");
    e.updated_at = at("2025-11-24T11:00:00Z");
    auto const k = order_key_of(e, "", 0, 1, arrival);
    BOOST_TEST((k.time == *e.occurred_at));
    BOOST_TEST((k.updated == *e.updated_at)); // last-writer-wins between versions of one occurred_at
}

BOOST_AUTO_TEST_CASE(a_lifecycle_record_is_ordered_by_its_action_then_updated_then_created)
{
    auto accepted = make("invitation.accepted", {{"accepted_at", "2025-11-24T09:30:00Z"}});
    accepted.created_at = at("2025-11-24T09:00:00Z");
    BOOST_TEST((order_key_of(accepted, "", 0, 1, arrival).time == at("2025-11-24T09:30:00Z")));
    auto declined = make("invitation.declined", {{"declined_at", "2025-11-24T09:40:00Z"}});
    BOOST_TEST((order_key_of(declined, "", 0, 1, arrival).time == at("2025-11-24T09:40:00Z")));
    auto updated = make("share_agreement.created");
    updated.updated_at = at("2025-11-24T09:50:00Z");
    updated.created_at = at("2025-11-24T09:00:00Z");
    BOOST_TEST((order_key_of(updated, "", 0, 1, arrival).time == *updated.updated_at));
}

BOOST_AUTO_TEST_CASE(an_invitations_steps_sharing_its_created_at_are_ordered_as_catena_orders_them)
{
    auto step = [](char const* name) {
        auto e = make(name);
        e.created_at = at("2025-11-24T09:00:00Z");
        return order_key_of(e, "", 0, 1, arrival);
    };
    BOOST_TEST((step("invitation.created") < step("invitation.sent")));
    BOOST_TEST((step("invitation.sent") < step("invitation.viewed")));
    BOOST_TEST((step("invitation.viewed") < step("invitation.expired")));
    BOOST_TEST((step("invitation.viewed") < step("invitation.deleted")));
    BOOST_TEST(detail::version_less(step("invitation.viewed"), step("invitation.expired")));
}

BOOST_AUTO_TEST_CASE(an_untimed_record_uses_a_uuid_v7_envelope_id_then_arrival_never_another_id)
{
    auto e = make("connection.staled");
    // 0x019ab697efd0 ms since the epoch.
    auto const v7 = order_key_of(e, "019ab697-efd0-7fcf-bfbd-dc1f91c5bf67", 0, 1, arrival);
    BOOST_TEST((v7.time == timestamp{std::chrono::milliseconds(0x019ab697efd0LL)}));
    auto const v4 = order_key_of(e, "019ab697-efd0-4fcf-bfbd-dc1f91c5bf67", 0, 1, arrival);
    BOOST_TEST((v4.time == arrival)); // the version nibble says 4: its leading bits are no time
    BOOST_TEST((order_key_of(e, "", 0, 1, arrival).time == arrival));
}

BOOST_AUTO_TEST_CASE(a_key_written_over_another_is_the_key_written_afresh)
{
    // An invitation step sets every field, the tie included; a record after it sets fewer.
    auto viewed = make("invitation.viewed");
    viewed.created_at = at("2025-11-24T09:00:00Z");
    viewed.record_id = "inv-0123456789-0123456789-0123456789";
    auto plain = make("connection.staled");
    auto timed = make("vehicle_location.added");
    timed.occurred_at = at("2025-11-24T10:00:00Z");
    detail::order_key k;
    for(auto const* e : {&viewed, &plain, &timed, &viewed, &timed})
    {
        order_key_of(k, *e, "019ab697-efd0-7fcf-bfbd-dc1f91c5bf67", 3, 7, arrival);
        BOOST_TEST((k == order_key_of(*e, "019ab697-efd0-7fcf-bfbd-dc1f91c5bf67", 3, 7, arrival)));
    }
    order_key_of(k, viewed, "", 0, 1, arrival);
    BOOST_TEST((k == order_key_of(viewed, "", 0, 1, arrival)));
}

BOOST_AUTO_TEST_CASE(uuid_v7_time_reads_the_leading_48_bits_of_a_version_7_id_only)
{
    BOOST_TEST(detail::uuid_v7_time("01936b2e-7c00-7000-8000-000000000001").has_value());
    BOOST_TEST(!detail::uuid_v7_time("01936b2e-7c00-4000-8000-000000000001").has_value());
    BOOST_TEST(!detail::uuid_v7_time("not-a-uuid").has_value());
    BOOST_TEST(!detail::uuid_v7_time("0193xb2e-7c00-7000-8000-000000000001").has_value());
}

BOOST_AUTO_TEST_SUITE_END() // event_order

} // namespace unit_event_order
