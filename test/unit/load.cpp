// SPDX-License-Identifier: BSL-1.0
// test/unit/load.cpp - the simulator's load profiles: friendly, realistic, a dead-letter replay.
#include "load.hpp"

#include "processing/event_order.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_load { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cs = catena::webhooks::sim;
namespace cw = catena::webhooks;
using namespace std::chrono;

} // namespace

BOOST_AUTO_TEST_SUITE(load_)

BOOST_AUTO_TEST_CASE(friendly_traffic_is_fresh_with_ids_and_two_records_a_location_delivery)
{
    cs::load_stream s(cs::load_profile::friendly, "wh", 1);
    for(std::size_t n = 0; n < 500; ++n)
    {
        auto const d = s.next(n);
        BOOST_TEST(!d.repeat);
        BOOST_TEST(!d.m.event_id.empty());
        if(d.m.event_name == "vehicle_location.added")
            BOOST_TEST(d.m.data.size() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(realistic_traffic_lags_has_null_ids_long_deliveries_and_retries)
{
    cs::load_stream s(cs::load_profile::realistic, "wh", 2);
    std::size_t fresh = 0, null_ids = 0, repeats = 0, locations = 0, max_records = 0, over_20 = 0;
    milliseconds max_lag{0};
    auto const t0 = cw::system_now();
    for(std::size_t n = 0; n < 4000; ++n)
    {
        auto const d = s.next(n);
        if(d.repeat)
        {
            ++repeats;
            BOOST_TEST(d.attempt == 2u);
            continue;
        }
        ++fresh;
        null_ids += d.m.event_id.empty();
        if(d.m.event_name != "vehicle_location.added")
            continue;
        ++locations;
        max_records = std::max(max_records, d.m.data.size());
        over_20 += d.m.data.size() > 20;
        for(auto const& r : d.m.data)
        {
            auto const at = cw::parse_rfc3339(r.at("occurred_at").as_string());
            BOOST_REQUIRE(at.has_value());
            max_lag = std::max(max_lag, duration_cast<milliseconds>(t0 - *at));
        }
    }
    BOOST_TEST_MESSAGE(null_ids << " null ids of " << fresh << ", " << repeats << " retries, max " << max_records
                                << " records, max lag " << max_lag.count() << " ms");
    BOOST_TEST(null_ids > fresh * 6 / 100);
    BOOST_TEST(null_ids < fresh * 14 / 100);
    BOOST_TEST(repeats > 4000u * 3 / 100);
    BOOST_TEST(repeats < 4000u * 7 / 100);
    BOOST_TEST(max_records <= 50u);
    BOOST_TEST(max_records > 40u);
    BOOST_TEST(over_20 > 0u);
    BOOST_TEST(max_lag > seconds(100));
    BOOST_TEST(max_lag <= seconds(121));
}

BOOST_AUTO_TEST_CASE(replay_traffic_is_days_old_and_half_already_sent)
{
    cs::load_stream s(cs::load_profile::replay, "wh", 3);
    std::size_t repeats = 0;
    auto const now = cw::system_now();
    for(std::size_t n = 0; n < 2000; ++n)
    {
        auto const d = s.next(n);
        repeats += d.repeat;
        auto const created = cw::detail::uuid_v7_time(d.m.event_id);
        BOOST_REQUIRE(created.has_value());
        BOOST_TEST((now - *created >= hours(24) - minutes(1)));
        BOOST_TEST((now - *created <= hours(24 * 14) + minutes(1)));
    }
    BOOST_TEST(repeats > 800u);
    BOOST_TEST(repeats < 1200u);
}

BOOST_AUTO_TEST_CASE(profiles_are_named)
{
    BOOST_TEST((cs::parse_load_profile("realistic") == cs::load_profile::realistic));
    BOOST_TEST(!cs::parse_load_profile("hostile").has_value());
}

BOOST_AUTO_TEST_SUITE_END() // load_

} // namespace unit_load
