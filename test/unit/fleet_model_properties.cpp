// SPDX-License-Identifier: BSL-1.0
// test/unit/fleet_model_properties.cpp - the reference fleet model over generated histories: arrival order and duplicates change nothing.
#include "fleet_model.hpp"

#include "history.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>

namespace unit_fleet_model_properties { // this file's own: the test binaries compile a few files as one (unity build)

namespace sim = catena::webhooks::sim;
using namespace catena::webhooks::test;

namespace {

fleet_model model_of(std::vector<model_fact> const& facts)
{
    fleet_model m;
    for(auto const& f : facts)
        m.add(f);
    return m;
}

std::vector<model_fact> facts_of(sim::history const& h)
{
    std::vector<model_fact> out;
    for(auto const& f : h.facts)
        out.push_back({f.msg.event_name, f.msg.data.front().as_object(), f.msg.event_id, f.emitted});
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_model_properties)

BOOST_AUTO_TEST_CASE(any_arrival_order_gives_the_same_fleets)
{
    for(std::uint64_t seed = 1; seed <= 300; ++seed)
    {
        auto const h = sim::make_history({.seed = seed, .fleets = 3});
        auto facts = facts_of(h);
        auto const expected = model_of(facts).fleets();
        std::mt19937_64 rng(seed);
        for(int round = 0; round < 3; ++round)
        {
            std::shuffle(facts.begin(), facts.end(), rng);
            BOOST_TEST_CONTEXT("seed " << seed << "\n" << sim::to_text(h))
            BOOST_TEST((model_of(facts).fleets() == expected));
        }
    }
}

BOOST_AUTO_TEST_CASE(duplicates_change_nothing)
{
    for(std::uint64_t seed = 1; seed <= 100; ++seed)
    {
        auto const h = sim::make_history({.seed = seed, .fleets = 3});
        auto const once = model_of(facts_of(h));
        auto doubled = facts_of(h);
        std::mt19937_64 rng(seed);
        for(auto const& f : facts_of(h))
            if(rng() % 3 == 0)
                doubled.push_back(f);
        std::shuffle(doubled.begin(), doubled.end(), rng);
        auto const twice = model_of(doubled);
        BOOST_TEST_CONTEXT("seed " << seed << "\n" << sim::to_text(h))
        BOOST_TEST((twice.size() == once.size() && twice.fleets() == once.fleets()));
    }
}

BOOST_AUTO_TEST_SUITE_END() // fleet_model_properties

} // namespace unit_fleet_model_properties
