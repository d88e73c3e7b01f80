// SPDX-License-Identifier: BSL-1.0
// test/unit/admission.cpp - the budget of body bytes in flight and the per-peer bounds.
#include "http/admission.hpp"

#include <boost/test/unit_test.hpp>

namespace {

using namespace catena::webhooks::detail;
using namespace std::chrono_literals;

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

BOOST_AUTO_TEST_CASE(connections_per_peer_are_bounded_per_address_and_freed_on_close)
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
    BOOST_TEST(a.peers() == 0u); // nothing kept for peers that left
}

BOOST_AUTO_TEST_CASE(a_peer_over_its_failure_budget_is_refused_for_the_penalty_then_starts_afresh)
{
    admission a({.max_auth_failures = 3, .failure_window = 60s, .penalty = 30s});
    auto const t0 = admission::clock::now();
    BOOST_TEST(!a.refused("198.51.100.7", t0));
    BOOST_TEST(!a.auth_failed("198.51.100.7", t0));
    BOOST_TEST(!a.auth_failed("198.51.100.7", t0 + 1s));
    BOOST_TEST(a.auth_failed("198.51.100.7", t0 + 2s)); // the third starts the penalty
    BOOST_TEST(a.refused("198.51.100.7", t0 + 3s));
    BOOST_TEST(!a.refused("198.51.100.8", t0 + 3s));
    BOOST_TEST(a.penalized() == 1u);
    BOOST_TEST(a.refused("198.51.100.7", t0 + 31s));
    BOOST_TEST(!a.refused("198.51.100.7", t0 + 33s));
    BOOST_TEST(a.penalized() == 0u);
    // Failures spread wider than the window never add up.
    BOOST_TEST(!a.auth_failed("198.51.100.9", t0));
    BOOST_TEST(!a.auth_failed("198.51.100.9", t0 + 61s));
    BOOST_TEST(!a.auth_failed("198.51.100.9", t0 + 122s));
    BOOST_TEST(!a.refused("198.51.100.9", t0 + 123s));
}

BOOST_AUTO_TEST_CASE(the_peer_table_is_bounded_and_swept_of_peers_that_no_longer_matter)
{
    admission a({.max_connections_per_peer = 1, .max_peers = 2});
    BOOST_TEST(a.open_connection("a"));
    BOOST_TEST(a.open_connection("b"));
    BOOST_TEST(a.open_connection("c")); // not tracked: the table is full of live peers
    BOOST_TEST(a.open_connection("c"));
    a.close_connection("a");
    BOOST_TEST(a.open_connection("d"));
    BOOST_TEST(!a.open_connection("d")); // tracked again once there is room
}

BOOST_AUTO_TEST_SUITE_END() // admission_
