// SPDX-License-Identifier: BSL-1.0
// test/unit/subscription_book.cpp - what the receiver has seen of each subscription.
#include "detail/subscription_book.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_subscription_book { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
timestamp const t0{std::chrono::seconds(1'764'000'000)};

subscription_event webhook(std::string action, std::string status, std::string about, int at)
{
    subscription_event e;
    e.action = std::move(action);
    e.status = std::move(status);
    e.subscription_id = std::move(about);
    e.delivered_by = "wh-lifecycle";
    e.url = "https://example.test/hook";
    e.event_name = "vehicle_location.added";
    e.occurred_at = t0 + std::chrono::seconds(at);
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(subscription_book_)

BOOST_AUTO_TEST_CASE(counts_kept_and_duplicate_deliveries_per_webhook_id_in_id_order)
{
    detail::subscription_book b;
    b.delivered("wh-b", "vehicle.added", t0, false);
    b.delivered("wh-a", "vehicle.added", t0 + std::chrono::seconds(1), false);
    b.delivered("wh-a", "vehicle.updated", t0 + std::chrono::seconds(2), true);
    auto const l = b.list();
    BOOST_REQUIRE(l.size() == 2u);
    BOOST_TEST(l[0].webhook_id == "wh-a");
    BOOST_TEST(l[0].deliveries == 1u);
    BOOST_TEST(l[0].duplicate_deliveries == 1u);
    BOOST_TEST((l[0].last_delivery_at == t0 + std::chrono::seconds(2)));
    BOOST_TEST(l[0].last_event_type == "vehicle.updated");
    BOOST_TEST(l[1].webhook_id == "wh-b");
    BOOST_TEST(!l[0].delivery_stopped);
}

BOOST_AUTO_TEST_CASE(a_deferred_delivery_counts_only_for_a_subscription_already_authenticated)
{
    detail::subscription_book b;
    b.deferred("forged-id", t0); // headers only: its MAC was never checked
    BOOST_TEST(b.list().empty());
    b.delivered("wh-a", "vehicle.added", t0, false);
    b.deferred("wh-a", t0 + std::chrono::seconds(5));
    auto const l = b.list();
    BOOST_REQUIRE(l.size() == 1u);
    BOOST_TEST(l[0].deferred_deliveries == 1u);
    BOOST_TEST((l[0].last_deferred_at == t0 + std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_CASE(the_newest_webhook_event_sets_the_status_whatever_order_they_arrive_in)
{
    detail::subscription_book b;
    b.status(webhook("staled", "stale", "wh-telematics", 10), t0);
    BOOST_TEST(b.stopped() == 1u);
    b.status(webhook("activated", "active", "wh-telematics", 20), t0);
    BOOST_TEST(b.stopped() == 0u);
    b.status(webhook("paused", "paused", "wh-telematics", 15), t0); // older: ignored
    auto const l = b.list();
    BOOST_REQUIRE(l.size() == 1u);
    BOOST_TEST(l[0].webhook_id == "wh-telematics");
    BOOST_TEST(l[0].status == "active");
    BOOST_TEST(l[0].last_action == "activated");
    BOOST_TEST(l[0].url == "https://example.test/hook");
    BOOST_TEST(!l[0].delivery_stopped);
    BOOST_TEST(b.stopped() == 0u);
}

BOOST_AUTO_TEST_CASE(past_its_bound_a_new_subscription_is_counted_as_untracked_and_old_ones_go_on)
{
    detail::subscription_book b(2);
    b.delivered("wh-1", "", t0, false);
    b.delivered("wh-2", "", t0, false);
    b.delivered("wh-3", "", t0, false);
    b.delivered("wh-1", "", t0, false);
    auto const l = b.list();
    BOOST_REQUIRE(l.size() == 2u);
    BOOST_TEST(l[0].deliveries == 2u);
    BOOST_TEST(b.untracked() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_subscription_book
