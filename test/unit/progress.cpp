// SPDX-License-Identifier: BSL-1.0
// test/unit/progress.cpp - which kept deliveries are finished, and what one commit holds.
#include "delivery/progress.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace unit_progress { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using detail::progress_tracker;

timestamp const t0{std::chrono::seconds(1'764'000'000)};

detail::identity_key key(char const* s) { return {detail::digest_of(s), 0}; }

detail::fleet_capture capture(std::string key, stage s)
{
    detail::fleet_capture c;
    c.state.key = std::move(key);
    c.state.stage = s;
    return c;
}

transition moved(std::string fleet, std::string_view to)
{
    transition t;
    t.fleet_key = std::move(fleet);
    t.to = to;
    return t;
}

} // namespace

BOOST_AUTO_TEST_SUITE(progress_)

BOOST_AUTO_TEST_CASE(a_delivery_finishes_only_when_every_event_it_held_has_settled)
{
    progress_tracker p;
    p.started(7, 100, t0);
    BOOST_TEST(!p.pushed(7, 2, {key("a"), key("b")}));
    auto first = p.settle_point(7, "f-1", std::nullopt);
    auto second = p.settle_point(7, "f-1", std::nullopt);
    BOOST_TEST(!p.settled(std::move(first)));
    BOOST_TEST(p.finished() == 0u);
    BOOST_TEST(p.settled(std::move(second)));
    BOOST_TEST(p.finished() == 1u);
    auto const c = p.take();
    BOOST_TEST((c.processed == std::vector<std::uint64_t>{7}));
    BOOST_TEST(c.processed_bytes == 100u);
    BOOST_REQUIRE(c.identities.size() == 2u);
    BOOST_TEST((c.identities[0].second == t0)); // seen when it was started
    BOOST_TEST(p.in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(a_delivery_without_events_finishes_when_pushed)
{
    progress_tracker p;
    p.started(3, 10, t0);
    BOOST_TEST(p.pushed(3, 0, {}));
    BOOST_TEST((p.take().processed == std::vector<std::uint64_t>{3}));
}

// An event may be released (and even settle) while its delivery is still being pushed: the
// delivery must not finish before the push has said how many events it holds.
BOOST_AUTO_TEST_CASE(an_event_settled_during_the_push_does_not_finish_the_delivery_early)
{
    progress_tracker p;
    p.started(5, 10, t0);
    BOOST_TEST(!p.settled(p.settle_point(5, "f-1", std::nullopt)));
    BOOST_TEST(p.finished() == 0u);
    BOOST_TEST(!p.pushed(5, 2, {})); // one of two has settled already
    BOOST_TEST(p.settled(p.settle_point(5, "f-1", std::nullopt)));
    BOOST_TEST(p.finished() == 1u);
}

BOOST_AUTO_TEST_CASE(one_commit_holds_the_latest_snapshot_of_each_fleet_and_every_transition)
{
    progress_tracker p;
    p.started(1, 10, t0);
    p.pushed(1, 2, {});
    p.transitioned(moved("f-1", "invited"));
    auto a = p.settle_point(1, "f-1", capture("f-1", stage::invited));
    p.transitioned(moved("f-1", "viewed"));
    auto b = p.settle_point(1, "f-1", capture("f-1", stage::viewed));
    p.settled(std::move(a));
    p.settled(std::move(b));
    auto const c = p.take();
    BOOST_REQUIRE(c.fleets.size() == 1u);
    BOOST_TEST((c.fleets[0].state.stage == stage::viewed));
    BOOST_REQUIRE(c.transitions.size() == 2u);
    BOOST_TEST(c.transitions[0].to == "invited");
    BOOST_TEST(c.transitions[1].to == "viewed");
    BOOST_TEST(p.empty()); // taken
}

BOOST_AUTO_TEST_CASE(a_merge_drops_the_pending_snapshot_of_the_merged_fleet_and_removes_it)
{
    progress_tracker p;
    p.started(1, 10, t0);
    p.pushed(1, 2, {});
    p.settled(p.settle_point(1, "ref:F", capture("ref:F", stage::invited)));
    p.merged("ref:F");
    p.settled(p.settle_point(1, "f-1", capture("f-1", stage::accepted)));
    auto const c = p.take();
    BOOST_TEST((c.removed_fleets == std::vector<std::string>{"ref:F"}));
    BOOST_REQUIRE(c.fleets.size() == 1u);
    BOOST_TEST(c.fleets[0].state.key == "f-1");
}

BOOST_AUTO_TEST_CASE(dead_letters_travel_with_the_next_commit)
{
    progress_tracker p;
    BOOST_TEST(p.empty());
    dead_letter d;
    d.request_id = "r-1";
    p.dead_letter(d);
    BOOST_TEST(!p.empty());
    auto const c = p.take();
    BOOST_REQUIRE(c.dead_letters.size() == 1u);
    BOOST_TEST(c.dead_letters[0].request_id == "r-1");
}

BOOST_AUTO_TEST_SUITE_END() // progress_

} // namespace unit_progress
