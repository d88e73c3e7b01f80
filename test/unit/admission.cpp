// SPDX-License-Identifier: BSL-1.0
// test/unit/admission.cpp - the budget of body bytes in flight, connections per address, penalties per address and subscription.
#include "http/admission.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace unit_admission { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::detail;
using namespace std::chrono_literals;

admission_limits const three_failures{.max_auth_failures = 3, .failure_window = 60s, .penalty = 30s,
                                     .penalty_verify_interval = 1000ms};

// The failures that start a penalty (the third, at t0 + 2 s).
void penalise(admission& a, admission::clock::time_point t0, std::string_view client = "198.51.100.7",
              std::string_view scope = "wh-a")
{
    BOOST_TEST(!a.auth_failed(client, scope, t0).has_value());
    BOOST_TEST(!a.auth_failed(client, scope, t0 + 1s).has_value());
    auto const started = a.auth_failed(client, scope, t0 + 2s);
    BOOST_REQUIRE(started);
    BOOST_TEST(started->client == client);
    BOOST_TEST(started->scope == scope);
    BOOST_TEST(started->failures == 3u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(admission_)

BOOST_AUTO_TEST_CASE(the_body_budget_holds_what_fits_and_takes_back_what_is_released)
{
    admission a({.body_budget = 100});
    BOOST_TEST(a.reserve_body(60));
    BOOST_TEST(!a.reserve_body(41)); // 101 would not fit
    BOOST_TEST(a.reserve_body(40));
    BOOST_TEST(a.body_bytes() == 100u);
    BOOST_TEST(!a.reserve_body(1));
    a.release_body(60);
    BOOST_TEST(a.reserve_body(60));
    BOOST_TEST(!a.reserve_body(std::size_t(-1))); // no overflow past the budget
}

BOOST_AUTO_TEST_CASE(connections_per_address_are_bounded_and_freed_on_close)
{
    admission a({.max_connections_per_peer = 2});
    BOOST_TEST(a.open_connection("192.0.2.1"));
    BOOST_TEST(a.open_connection("192.0.2.1"));
    BOOST_TEST(!a.open_connection("192.0.2.1"));
    BOOST_TEST(a.open_connection("192.0.2.2"));
    a.close_connection("192.0.2.1");
    BOOST_TEST(a.open_connection("192.0.2.1"));
    a.close_connection("192.0.2.1");
    a.close_connection("192.0.2.1");
    a.close_connection("192.0.2.2");
    BOOST_TEST(a.connected_addresses() == 0u); // nothing kept for addresses that left
}

BOOST_AUTO_TEST_CASE(a_penalised_pair_is_verified_once_per_interval_and_the_rest_deferred)
{
    auto const t0 = admission::clock::now();
    admission a(three_failures);
    penalise(a, t0);
    BOOST_TEST(a.penalized() == 1u);
    // The interval after the penalty began: nothing; then one per second.
    BOOST_TEST(!a.may_verify("198.51.100.7", "wh-a", t0 + 2500ms));
    BOOST_TEST(a.may_verify("198.51.100.7", "wh-a", t0 + 3s));
    BOOST_TEST(!a.may_verify("198.51.100.7", "wh-a", t0 + 3500ms));
    BOOST_TEST(!a.may_verify("198.51.100.7", "wh-a", t0 + 3900ms));
    BOOST_TEST(a.may_verify("198.51.100.7", "wh-a", t0 + 4s));
    // After the penalty: everything again.
    BOOST_TEST(a.may_verify("198.51.100.7", "wh-a", t0 + 32s));
    BOOST_TEST(a.may_verify("198.51.100.7", "wh-a", t0 + 32s));
}

BOOST_AUTO_TEST_CASE(a_penalty_reaches_neither_another_subscription_nor_another_address)
{
    auto const t0 = admission::clock::now();
    admission a(three_failures);
    penalise(a, t0);
    BOOST_TEST(!a.may_verify("198.51.100.7", "wh-a", t0 + 2500ms));
    for(int i = 0; i < 100; ++i)
    {
        BOOST_TEST(a.may_verify("198.51.100.7", "wh-b", t0 + 2500ms)); // the same address, another subscription
        BOOST_TEST(a.may_verify("198.51.100.8", "wh-a", t0 + 2500ms)); // another address, the same subscription
    }
}

BOOST_AUTO_TEST_CASE(a_penalty_ends_once_with_what_it_deferred_and_failures_then_count_afresh)
{
    auto const t0 = admission::clock::now();
    admission a(three_failures);
    penalise(a, t0);
    BOOST_TEST(!a.may_verify("198.51.100.7", "wh-a", t0 + 2100ms));
    BOOST_TEST(!a.may_verify("198.51.100.7", "wh-a", t0 + 2200ms));
    BOOST_TEST(a.expire(t0 + 31s).empty()); // 32 s is its end
    auto const ended = a.expire(t0 + 32s);
    BOOST_REQUIRE(ended.size() == 1u);
    BOOST_TEST(ended[0].client == "198.51.100.7");
    BOOST_TEST(ended[0].scope == "wh-a");
    BOOST_TEST(ended[0].deferred == 2u);
    BOOST_TEST(!ended[0].forgotten);
    BOOST_TEST(a.penalized() == 0u);
    BOOST_TEST(a.expire(t0 + 40s).empty()); // noted once
    BOOST_TEST(!a.auth_failed("198.51.100.7", "wh-a", t0 + 41s).has_value());
    BOOST_TEST(!a.auth_failed("198.51.100.7", "wh-a", t0 + 42s).has_value());
    BOOST_TEST(a.auth_failed("198.51.100.7", "wh-a", t0 + 43s).has_value());
}

BOOST_AUTO_TEST_CASE(failures_spread_wider_than_the_window_never_add_up)
{
    admission a({.max_auth_failures = 3, .failure_window = 60s, .penalty = 30s});
    auto const t0 = admission::clock::now();
    BOOST_TEST(!a.auth_failed("198.51.100.9", "wh-a", t0).has_value());
    BOOST_TEST(!a.auth_failed("198.51.100.9", "wh-a", t0 + 61s).has_value());
    BOOST_TEST(!a.auth_failed("198.51.100.9", "wh-a", t0 + 122s).has_value());
    BOOST_TEST(a.penalized() == 0u);
}

BOOST_AUTO_TEST_CASE(failures_for_different_subscriptions_are_counted_apart)
{
    admission a({.max_auth_failures = 3, .failure_window = 60s, .penalty = 30s});
    auto const t0 = admission::clock::now();
    for(std::string_view scope : {"wh-a", "wh-b", "wh-a", "wh-b"})
        BOOST_TEST(!a.auth_failed("198.51.100.7", scope, t0).has_value());
    BOOST_TEST(a.penalized() == 0u);
}

BOOST_AUTO_TEST_CASE(the_pair_table_is_bounded_forgetting_the_least_recently_touched)
{
    admission a({.max_auth_failures = 2, .failure_window = 60s, .penalty = 30s, .max_tracked = 3});
    auto const t0 = admission::clock::now();
    BOOST_TEST(!a.auth_failed("a", "wh", t0).has_value());
    BOOST_TEST(!a.auth_failed("b", "wh", t0).has_value());
    BOOST_TEST(!a.auth_failed("c", "wh", t0).has_value());
    BOOST_TEST(a.auth_failed("a", "wh", t0 + 1ms).has_value()); // a's second: penalised, and now the newest
    BOOST_TEST(a.tracked() == 3u);
    // Two newcomers push out b and c (least recently touched), never more than three kept.
    BOOST_TEST(!a.auth_failed("d", "wh", t0 + 2ms).has_value());
    BOOST_TEST(!a.auth_failed("e", "wh", t0 + 3ms).has_value());
    BOOST_TEST(a.tracked() == 3u);
    BOOST_TEST(!a.auth_failed("b", "wh", t0 + 4ms).has_value()); // b starts again from one: it was forgotten
    BOOST_TEST(a.tracked() == 3u);
    // a, the penalised one, was touched before d, e and b: now it goes, and its end is noted.
    BOOST_TEST(a.penalized() == 0u);
    auto const ended = a.expire(t0 + 5ms);
    BOOST_REQUIRE(ended.size() == 1u);
    BOOST_TEST(ended[0].client == "a");
    BOOST_TEST(ended[0].forgotten);
}

BOOST_AUTO_TEST_SUITE_END() // admission_

} // namespace unit_admission
