// SPDX-License-Identifier: BSL-1.0
// test/unit/operation_poller.cpp - which operations are polled when: the grace period, the
// back-off, the rate limit (stops and resumes), and delivery gaps answered with listings.
#include "clients/operation_poller.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace unit_operation_poller { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
using detail::poll_schedule;
using answer = detail::poll_schedule::answer;

timestamp const t0{std::chrono::seconds(1'764'000'000)};

operation_polling_options options()
{
    operation_polling_options o;
    o.grace = 300s;
    o.max_polls = 60;
    o.per = 60s;
    o.initial_backoff = 60s;
    o.max_backoff = 600s;
    return o;
}

operation_ref op(std::string id, std::string connection = "conn-1", std::string resource = "message")
{
    return {std::move(id), std::move(connection), std::move(resource)};
}

std::vector<std::string> ids_of(std::vector<poll_schedule::job> const& jobs)
{
    std::vector<std::string> out;
    for(auto const& j : jobs)
        out.insert(out.end(), j.operation_ids.begin(), j.operation_ids.end());
    std::sort(out.begin(), out.end());
    return out;
}

BOOST_AUTO_TEST_SUITE(operation_poller)

BOOST_AUTO_TEST_CASE(asks_about_an_operation_only_once_its_grace_period_has_passed)
{
    poll_schedule s(options());
    s.watch(op("op-1"), t0);
    BOOST_TEST(s.take(t0).empty());
    BOOST_TEST(s.take(t0 + 299s).empty());
    BOOST_TEST((s.next_due() == t0 + 300s));
    auto const jobs = s.take(t0 + 300s);
    BOOST_REQUIRE(jobs.size() == 1u);
    BOOST_TEST(!jobs[0].listing);
    BOOST_TEST(jobs[0].connection_id == "conn-1");
    BOOST_TEST(jobs[0].operation_ids == std::vector<std::string>{"op-1"});
    // In flight: not asked twice.
    BOOST_TEST(s.take(t0 + 400s).empty());
}

BOOST_AUTO_TEST_CASE(never_asks_about_an_operation_without_a_connection_until_one_is_learned)
{
    poll_schedule s(options());
    s.watch(operation_ref{"op-1", {}, {}}, t0);
    BOOST_TEST(s.take(t0 + 24h).empty());
    BOOST_TEST(!s.next_due().has_value());
    s.watch(op("op-1"), t0 + 24h); // its resource_operation.created named the connection
    BOOST_TEST(s.take(t0 + 24h + 299s).empty());
    BOOST_TEST(ids_of(s.take(t0 + 24h + 300s)) == std::vector<std::string>{"op-1"});
}

BOOST_AUTO_TEST_CASE(asks_a_pending_or_failed_operation_again_after_a_doubling_backoff)
{
    poll_schedule s(options());
    s.watch(op("op-1"), t0);
    auto now = t0 + 300s;
    BOOST_REQUIRE(s.take(now).size() == 1u);
    s.answered("op-1", answer::pending, now);
    BOOST_TEST(s.take(now + 59s).empty());
    BOOST_REQUIRE(s.take(now + 60s).size() == 1u);
    now += 60s;
    s.answered("op-1", answer::failed, now, "HTTP 503");
    BOOST_TEST(s.operations().at("op-1").last_problem == "HTTP 503");
    BOOST_TEST(s.take(now + 119s).empty());
    BOOST_REQUIRE(s.take(now + 120s).size() == 1u);
    now += 120s;
    // 240 s, 480 s, then max_backoff (600 s) however often it is still pending.
    for(auto const wait : {240s, 480s, 600s, 600s, 600s})
    {
        s.answered("op-1", answer::pending, now);
        BOOST_TEST(s.take(now + wait - 1s).empty());
        BOOST_REQUIRE(s.take(now + wait).size() == 1u);
        now += wait;
    }
    s.answered("op-1", answer::decided, now);
    BOOST_TEST(!s.watching("op-1"));
    BOOST_TEST(!s.next_due().has_value());
}

BOOST_AUTO_TEST_CASE(stops_at_the_rate_limit_and_resumes_when_the_window_moves_on)
{
    auto o = options();
    o.max_polls = 2;
    o.per = 60s;
    poll_schedule s(o);
    for(auto id : {"op-1", "op-2", "op-3", "op-4", "op-5"})
        s.watch(op(id), t0);
    auto const due = t0 + 300s;
    BOOST_TEST(ids_of(s.take(due)) == (std::vector<std::string>{"op-1", "op-2"}));
    BOOST_TEST(s.deferred() == 1u);
    // Nothing more within the window, however often it is asked.
    BOOST_TEST(s.take(due + 30s).empty());
    BOOST_TEST(s.take(due + 59s).empty());
    BOOST_TEST((s.next_due() == due + 60s));
    auto second = ids_of(s.take(due + 60s));
    BOOST_TEST(second.size() == 2u);
    BOOST_TEST(ids_of(s.take(due + 120s)).size() == 1u);
    BOOST_TEST(s.deferred() >= 2u);
}

BOOST_AUTO_TEST_CASE(a_gap_makes_every_watched_operation_due_at_once_in_one_listing_per_connection_and_resource)
{
    poll_schedule s(options());
    s.watch(op("op-1", "conn-1", "message"), t0);
    s.watch(op("op-2", "conn-1", "message"), t0);
    s.watch(op("op-3", "conn-1", "vehicle"), t0);
    s.watch(op("op-4", "conn-2", "message"), t0);
    s.watch(operation_ref{"op-5", {}, {}}, t0); // not pollable
    s.cover(t0 + 1s);
    auto const jobs = s.take(t0 + 1s); // long before the grace
    BOOST_REQUIRE(jobs.size() == 3u);
    for(auto const& j : jobs)
    {
        BOOST_TEST(j.listing);
        if(j.connection_id == "conn-1" && j.resource == "message")
            BOOST_TEST(j.operation_ids.size() == 2u);
        else
            BOOST_TEST(j.operation_ids.size() == 1u);
    }
    // What a listing does not name is asked alone, at once.
    s.answered("op-1", answer::decided, t0 + 2s);
    s.answered("op-2", answer::not_listed, t0 + 2s);
    auto const alone = s.take(t0 + 2s);
    BOOST_REQUIRE(alone.size() == 1u);
    BOOST_TEST(!alone[0].listing);
    BOOST_TEST(alone[0].operation_ids == std::vector<std::string>{"op-2"});
}

BOOST_AUTO_TEST_CASE(a_listing_after_a_gap_counts_once_against_the_rate_limit)
{
    auto o = options();
    o.max_polls = 1;
    poll_schedule s(o);
    for(auto id : {"op-1", "op-2", "op-3"})
        s.watch(op(id), t0);
    s.cover(t0);
    auto const jobs = s.take(t0);
    BOOST_REQUIRE(jobs.size() == 1u);
    BOOST_TEST(jobs[0].operation_ids.size() == 3u);
}

BOOST_AUTO_TEST_CASE(forgets_a_decided_operation)
{
    poll_schedule s(options());
    s.watch(op("op-1"), t0);
    s.forget("op-1");
    BOOST_TEST(s.take(t0 + 1h).empty());
    BOOST_TEST(s.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END() // operation_poller

} // namespace

} // namespace unit_operation_poller
