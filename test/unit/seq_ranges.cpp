// SPDX-License-Identifier: BSL-1.0
// test/unit/seq_ranges.cpp - processed sequences kept as disjoint, non-adjacent ranges.
#include "store/seq_ranges.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <set>

namespace unit_seq_ranges { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using catena::webhooks::detail::seq_ranges;
using range = seq_ranges::range;

std::vector<range> as_vector(seq_ranges const& r) { return {r.all().begin(), r.all().end()}; }

} // namespace

BOOST_AUTO_TEST_SUITE(seq_ranges_)

BOOST_AUTO_TEST_CASE(adjacent_additions_extend_one_range)
{
    seq_ranges r;
    std::vector<std::uint64_t> merged;
    BOOST_TEST((r.add(1, 1, merged) == range{1, 1}));
    BOOST_TEST((r.add(2, 4, merged) == range{1, 4}));
    BOOST_TEST((r.add(5, 5, merged) == range{1, 5}));
    BOOST_TEST(merged.empty());
    BOOST_TEST((as_vector(r) == std::vector<range>{{1, 5}}));
}

BOOST_AUTO_TEST_CASE(filling_a_gap_merges_the_ranges_on_both_sides_and_names_the_retired_starts)
{
    seq_ranges r;
    std::vector<std::uint64_t> merged;
    r.add(1, 2, merged);
    r.add(6, 7, merged);
    r.add(9, 9, merged);
    BOOST_TEST(merged.empty());
    BOOST_TEST((r.add(3, 5, merged) == range{1, 7}));
    BOOST_TEST((merged == std::vector<std::uint64_t>{6}));
    merged.clear();
    // A range that starts inside no range but swallows two: both starts are retired.
    seq_ranges s;
    s.add(5, 5, merged);
    s.add(7, 8, merged);
    BOOST_TEST((s.add(3, 10, merged) == range{3, 10}));
    BOOST_TEST((merged == std::vector<std::uint64_t>{5, 7}));
    BOOST_TEST((as_vector(s) == std::vector<range>{{3, 10}}));
}

BOOST_AUTO_TEST_CASE(an_addition_inside_a_range_changes_nothing)
{
    seq_ranges r;
    std::vector<std::uint64_t> merged;
    r.add(1, 10, merged);
    BOOST_TEST((r.add(4, 6, merged) == range{1, 10}));
    BOOST_TEST(merged.empty());
    BOOST_TEST(r.all().size() == 1u);
}

BOOST_AUTO_TEST_CASE(gaps_are_the_sequences_outside_every_range)
{
    seq_ranges r;
    std::vector<std::uint64_t> merged;
    r.add(3, 4, merged);
    r.add(8, 8, merged);
    BOOST_TEST((r.gaps(1, 10) == std::deque<range>{{1, 2}, {5, 7}, {9, 10}}));
    BOOST_TEST((r.gaps(3, 4).empty()));
    BOOST_TEST((r.gaps(4, 8) == std::deque<range>{{5, 7}}));
    BOOST_TEST((seq_ranges{}.gaps(1, 3) == std::deque<range>{{1, 3}}));
    BOOST_TEST((r.gaps(5, 1).empty()));
}

// Against a plain set of sequences: whatever the order of additions, the ranges are
// disjoint, never adjacent, and cover exactly what was added.
BOOST_AUTO_TEST_CASE(random_additions_match_a_set_of_sequences)
{
    std::mt19937 rng(7);
    for(int round = 0; round < 50; ++round)
    {
        BOOST_TEST_CONTEXT("round " << round)
        {
            seq_ranges r;
            std::set<std::uint64_t> truth;
            std::vector<std::uint64_t> merged;
            for(int i = 0; i < 40; ++i)
            {
                std::uint64_t const lo = 1 + rng() % 100;
                std::uint64_t const hi = lo + rng() % 4;
                for(auto s = lo; s <= hi; ++s)
                    truth.insert(s);
                r.add(lo, hi, merged);
            }
            std::set<std::uint64_t> covered;
            std::uint64_t last_hi = 0;
            bool first = true;
            for(auto const& [lo, hi] : r.all())
            {
                BOOST_TEST(lo <= hi);
                if(!first)
                    BOOST_TEST(lo > last_hi + 1); // neither overlapping nor adjacent
                first = false;
                last_hi = hi;
                for(auto s = lo; s <= hi; ++s)
                    covered.insert(s);
            }
            BOOST_TEST((covered == truth));
            std::set<std::uint64_t> outside;
            for(auto const& [lo, hi] : r.gaps(1, 110))
                for(auto s = lo; s <= hi; ++s)
                    outside.insert(s);
            for(std::uint64_t s = 1; s <= 110; ++s)
                BOOST_TEST((outside.count(s) == 1) == (truth.count(s) == 0));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END() // seq_ranges_

} // namespace unit_seq_ranges
