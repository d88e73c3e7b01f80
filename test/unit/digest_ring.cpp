// SPDX-License-Identifier: BSL-1.0
// test/unit/digest_ring.cpp - digests in insertion order, indexed: against a plain model, through
// wrap-around, growth and deletions inside long probe runs.
#include "detail/digest_ring.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <utility>

namespace unit_digest_ring { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using catena::webhooks::detail::digest_ring;
using catena::webhooks::detail::identity_digest;

// Digests whose low bits (their home in the index) fall in a few places: long probe runs.
identity_digest crowded(std::uint64_t n, std::uint64_t homes)
{
    return {n * 0x9E3779B97F4A7C15ull + 1, n % homes};
}

// The ring checked against a deque of what it should hold, oldest first.
struct checked
{
    digest_ring<std::int64_t> ring;
    std::deque<std::pair<identity_digest, std::int64_t>> model;

    explicit checked(std::size_t capacity) : ring(capacity) {}
    checked() = default;

    void push(identity_digest d, std::int64_t v)
    {
        BOOST_REQUIRE(ring.find(d) == nullptr);
        BOOST_TEST(ring.push_back(d, v) == v);
        model.emplace_back(d, v);
        verify();
    }
    void pop()
    {
        BOOST_TEST(ring.front() == model.front().second);
        auto const gone = model.front().first;
        ring.pop_front();
        model.pop_front();
        BOOST_TEST(ring.find(gone) == nullptr);
        verify();
    }
    void verify()
    {
        BOOST_REQUIRE(ring.size() == model.size());
        if(model.empty())
            return;
        BOOST_TEST(ring.front() == model.front().second);
        BOOST_TEST(ring.back() == model.back().second);
        for(auto const& [d, v] : model)
        {
            auto const* found = ring.find(d);
            BOOST_REQUIRE_MESSAGE(found, "digest " << d.hi << "/" << d.lo << " lost");
            BOOST_TEST(*found == v);
        }
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(digest_ring_)

BOOST_AUTO_TEST_CASE(holds_what_was_pushed_in_order_and_forgets_from_the_front)
{
    checked c(8);
    for(std::int64_t i = 0; i < 8; ++i)
        c.push({static_cast<std::uint64_t>(i) + 100, static_cast<std::uint64_t>(i)}, i * 10);
    // Wrapping around: the oldest go, new ones take their slots.
    for(std::int64_t i = 8; i < 40; ++i)
    {
        c.pop();
        c.push({static_cast<std::uint64_t>(i) + 100, static_cast<std::uint64_t>(i)}, i * 10);
    }
    while(!c.model.empty())
        c.pop();
    BOOST_TEST(c.ring.memory_bytes() == 16u * sizeof(std::uint32_t)); // the index only
    // A value found can be changed in place.
    c.push({1, 1}, 5);
    *c.ring.find({1, 1}) = 6;
    BOOST_TEST(c.ring.back() == 6);
}

BOOST_AUTO_TEST_CASE(a_full_ring_doubles_keeping_its_order_also_when_wrapped)
{
    checked c(4);
    for(std::uint64_t i = 0; i < 4; ++i)
        c.push(crowded(i, 3), static_cast<std::int64_t>(i));
    c.pop();
    c.pop();
    // The ring's head is in its middle now: growth copies from there.
    for(std::uint64_t i = 4; i < 40; ++i)
        c.push(crowded(i, 3), static_cast<std::int64_t>(i));
    BOOST_TEST(c.ring.size() == 38u);
    while(c.model.size() > 1)
        c.pop();
    // One made without a capacity grows from nothing (its first push_back comes before any
    // find(): without a capacity it has no index to look in).
    checked empty;
    empty.ring.push_back(crowded(0, 2), 0);
    empty.model.emplace_back(crowded(0, 2), 0);
    for(std::uint64_t i = 1; i < 9; ++i)
        empty.push(crowded(i, 2), static_cast<std::int64_t>(i));
}

// Deletions inside probe runs that wrap around the end of the index: every digest stays
// findable whatever holes the runs get (backward-shift deletion).
BOOST_AUTO_TEST_CASE(deletions_in_crowded_wrapping_probe_runs_keep_every_digest_findable)
{
    for(std::uint64_t homes : {1u, 2u, 5u, 31u})
    {
        BOOST_TEST_CONTEXT("homes " << homes)
        {
            checked c(16); // an index of 32 entries
            std::mt19937_64 rng(homes);
            std::uint64_t next = 0;
            for(int step = 0; step < 2000; ++step)
            {
                // Homes near the end of the index, so that runs wrap around to its start.
                auto d = crowded(next++, homes);
                d.lo += 28;
                if(c.model.size() < 16 && (c.model.empty() || rng() % 3 != 0))
                    c.push(d, static_cast<std::int64_t>(next));
                else
                    c.pop();
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_digest_ring
