// SPDX-License-Identifier: BSL-1.0
// test/unit/deduper.cpp - the expiring, bounded memory of event identities.
#include "detail/deduper.hpp"

#include <boost/test/unit_test.hpp>

#include <deque>
#include <random>
#include <set>
#include <string>
#include <unordered_set>

namespace unit_deduper { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
using detail::deduper;
using detail::digest_of;

timestamp const t0{std::chrono::seconds(1'700'000'000)};

BOOST_AUTO_TEST_SUITE(deduper_)

BOOST_AUTO_TEST_CASE(drops_second_copy_of_an_identity)
{
    deduper d(24h, 100);
    BOOST_TEST(d.insert(digest_of("wh/evt-1"), t0));
    BOOST_TEST(!d.insert(digest_of("wh/evt-1"), t0 + 1s));
    BOOST_TEST(d.insert(digest_of("wh/evt-2"), t0 + 1s));
    BOOST_TEST(d.size() == 2u);
}

BOOST_AUTO_TEST_CASE(remembers_identity_until_retention_ends)
{
    auto const fifteen_days = std::chrono::seconds(std::chrono::hours(24 * 15));
    deduper d(fifteen_days, 100);
    BOOST_TEST(d.insert(digest_of("replayed"), t0));
    // A dead-letter replay 14 days later is still recognised...
    BOOST_TEST(!d.insert(digest_of("replayed"), t0 + std::chrono::hours(24 * 14)));
    // ...and after the retention (counted from the first sighting) it is forgotten.
    BOOST_TEST(d.contains(digest_of("replayed"), t0 + fifteen_days - 1s));
    BOOST_TEST(!d.contains(digest_of("replayed"), t0 + fifteen_days));
    BOOST_TEST(d.size() == 0u);
}

BOOST_AUTO_TEST_CASE(evicts_oldest_when_full_and_counts_it)
{
    deduper d(24h, 3);
    for(int i = 0; i < 5; ++i)
        BOOST_TEST(d.insert(digest_of("id-" + std::to_string(i)), t0 + std::chrono::seconds(i)));
    BOOST_TEST(d.size() == 3u);
    BOOST_TEST(d.evicted_early() == 2u);
    // The two oldest are gone, the newest are kept.
    BOOST_TEST(!d.contains(digest_of("id-0"), t0 + 10s));
    BOOST_TEST(!d.contains(digest_of("id-1"), t0 + 10s));
    BOOST_TEST(d.contains(digest_of("id-4"), t0 + 10s));
}

BOOST_AUTO_TEST_CASE(survives_a_clock_that_steps_back)
{
    deduper d(10s, 100);
    BOOST_TEST(d.insert(digest_of("a"), t0 + 100s));
    BOOST_TEST(d.insert(digest_of("b"), t0)); // clock stepped back
    BOOST_TEST(!d.insert(digest_of("b"), t0 + 1s));
    BOOST_TEST(d.contains(digest_of("a"), t0 + 105s));
    BOOST_TEST(!d.contains(digest_of("a"), t0 + 111s));
    BOOST_TEST(d.size() == 0u);
}

// Many inserts with early evictions and expiry: the flat table's answers match a model that
// keeps the same window in a std::deque.
static void agrees_with_the_model(std::size_t whole_up_to)
{
    std::size_t const bound = 5000;
    deduper d(100s, bound, whole_up_to);
    std::deque<std::pair<timestamp, std::string>> model;
    std::unordered_set<std::string> in_model; // what the deque holds, for a lookup in O(1)
    auto const forget_front = [&] {
        in_model.erase(model.front().second);
        model.pop_front();
    };
    std::mt19937_64 rng(7);
    auto now = t0;
    for(int i = 0; i < 60'000; ++i)
    {
        now += std::chrono::milliseconds(rng() % 7);
        while(!model.empty() && model.front().first + 100s <= now)
            forget_front();
        // Half fresh identities, half drawn from a range that repeats.
        auto const id = rng() % 2 ? "fresh-" + std::to_string(i) : "again-" + std::to_string(rng() % 20'000);
        bool const known = in_model.contains(id);
        BOOST_REQUIRE_EQUAL(d.insert(digest_of(id), now), !known);
        if(!known)
        {
            model.emplace_back(now, id);
            in_model.insert(id);
            if(model.size() > bound)
                forget_front();
        }
        BOOST_REQUIRE_EQUAL(d.size(), model.size());
    }
    BOOST_TEST(d.evicted_early() > 0u);
    BOOST_TEST(d.memory_bytes() <= 8192u * 32u);
}

BOOST_AUTO_TEST_CASE(agrees_with_a_plain_set_through_expiry_and_eviction)
{
    agrees_with_the_model(std::size_t{1} << 22); // allocated for its bound at once
}

BOOST_AUTO_TEST_CASE(agrees_with_a_plain_set_when_it_grows_by_doubling)
{
    agrees_with_the_model(64); // a bound beyond what is allocated at once
}

BOOST_AUTO_TEST_CASE(complete_since_moves_past_what_was_forgotten_early)
{
    deduper d(24h, 2);
    BOOST_TEST((d.complete_since() == timestamp{}));
    d.insert(digest_of("a"), t0);
    d.insert(digest_of("b"), t0 + 1s);
    BOOST_TEST((d.complete_since() == timestamp{}));
    d.insert(digest_of("c"), t0 + 2s); // "a" forgotten early
    BOOST_TEST((d.complete_since() > t0));
    BOOST_TEST((d.complete_since() <= t0 + 1s));
    // Expiry by retention is not forgetting early.
    deduper e(10s, 100);
    e.insert(digest_of("a"), t0);
    BOOST_TEST(e.insert(digest_of("b"), t0 + 20s));
    BOOST_TEST((e.complete_since() == timestamp{}));
}

BOOST_AUTO_TEST_CASE(digests_of_distinct_identities_differ)
{
    std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
    for(int i = 0; i < 100'000; ++i)
    {
        auto const d = digest_of("wh-1\x1f" + std::to_string(i));
        seen.emplace(d.hi, d.lo);
    }
    BOOST_TEST(seen.size() == 100'000u);
    BOOST_TEST((digest_of("ab") == digest_of("ab")));
    BOOST_TEST(!(digest_of("a\x1f" "b") == digest_of("ab")));
    BOOST_TEST(!(digest_of("") == digest_of(std::string(1, '\0'))));
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_deduper
