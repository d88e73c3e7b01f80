// SPDX-License-Identifier: BSL-1.0
// test/unit/timestamp.cpp - RFC 3339 parsing, formatting and the freshness window.
#include <catena/webhooks/timestamp.hpp>

#include <boost/test/unit_test.hpp>

namespace unit_timestamp { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono;

timestamp at(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

BOOST_AUTO_TEST_SUITE(timestamp_)

BOOST_AUTO_TEST_CASE(parses_catena_sample_with_plus_zero_offset)
{
    auto t = parse_rfc3339("2024-11-28T10:30:00+00:00");
    BOOST_REQUIRE(t);
    BOOST_TEST((*t == at(2024, 11, 28, 10, 30, 0)));
}

BOOST_AUTO_TEST_CASE(z_and_plus_zero_are_the_same_instant)
{
    BOOST_TEST((*parse_rfc3339("2024-11-28T10:30:00Z") == *parse_rfc3339("2024-11-28T10:30:00+00:00")));
    BOOST_TEST((*parse_rfc3339("2024-11-28t10:30:00z") == *parse_rfc3339("2024-11-28T10:30:00Z")));
}

BOOST_AUTO_TEST_CASE(applies_other_offsets)
{
    BOOST_TEST((*parse_rfc3339("2024-11-28T12:30:00+02:00") == at(2024, 11, 28, 10, 30, 0)));
    BOOST_TEST((*parse_rfc3339("2024-11-28T05:00:00-05:30") == at(2024, 11, 28, 10, 30, 0)));
    BOOST_TEST((*parse_rfc3339("2024-12-31T23:30:00-01:00") == at(2025, 1, 1, 0, 30, 0)));
}

BOOST_AUTO_TEST_CASE(keeps_fractional_seconds_to_the_microsecond)
{
    auto base = at(2024, 11, 28, 10, 30, 0);
    BOOST_TEST((*parse_rfc3339("2024-11-28T10:30:00.5Z") == base + milliseconds{500}));
    BOOST_TEST((*parse_rfc3339("2024-11-28T10:30:00.123456Z") == base + microseconds{123456}));
    BOOST_TEST((*parse_rfc3339("2024-11-28T10:30:00.123456789+00:00") == base + microseconds{123456}));
}

BOOST_AUTO_TEST_CASE(reads_leap_second_as_end_of_minute)
{
    auto t = parse_rfc3339("2016-12-31T23:59:60Z");
    BOOST_REQUIRE(t);
    BOOST_TEST((*t == at(2016, 12, 31, 23, 59, 59) + microseconds{999999}));
}

BOOST_AUTO_TEST_CASE(rejects_malformed_timestamps)
{
    char const* bad[] = {
        "",
        "2024-11-28",
        "2024-11-28T10:30:00",         // no offset
        "2024-11-28 10:30:00Z",        // space separator
        "2024-11-28T10:30Z",           // no seconds
        "2024-13-28T10:30:00Z",        // month 13
        "2023-02-29T10:30:00Z",        // not a leap year
        "2024-11-31T10:30:00Z",        // November has 30 days
        "2024-11-28T24:00:00Z",        // hour 24
        "2024-11-28T10:60:00Z",        // minute 60
        "2024-11-28T10:30:61Z",        // second 61
        "2024-11-28T10:30:00.Z",       // empty fraction
        "2024-11-28T10:30:00.1234567890Z", // 10 fraction digits
        "2024-11-28T10:30:00+0000",    // offset without colon
        "2024-11-28T10:30:00+24:00",   // offset hour 24
        "2024-11-28T10:30:00+00:60",   // offset minute 60
        "2024-11-28T10:30:00Zjunk",    // trailing bytes
        "2024-11-28T10:30:00+00:00 ",  // trailing space
        "+024-11-28T10:30:00Z",        // sign in year
        "2024-1a-28T10:30:00Z",
        "9999-12-31T23:59:59-00:01",   // year 10000 in UTC
        "0000-01-01T00:00:00+00:01",   // year -1 in UTC
    };
    for(auto const* s : bad)
    {
        BOOST_TEST_CONTEXT(s)
        {
            auto r = parse_rfc3339(s);
            BOOST_TEST(!r);
            if(!r)
                BOOST_TEST((r.error() == error::malformed_timestamp));
        }
    }
}

BOOST_AUTO_TEST_CASE(format_round_trips)
{
    auto t = at(2024, 11, 28, 10, 30, 0);
    BOOST_TEST(format_rfc3339(t) == "2024-11-28T10:30:00+00:00");
    auto edge = *parse_rfc3339("9999-12-31T23:59:59.999999Z");
    BOOST_TEST((*parse_rfc3339(format_rfc3339(edge)) == edge));
    BOOST_TEST(format_rfc3339(t, utc_suffix::z) == "2024-11-28T10:30:00Z");
    auto f = t + microseconds{1500};
    BOOST_TEST(format_rfc3339(f) == "2024-11-28T10:30:00.001500+00:00");
    BOOST_TEST((*parse_rfc3339(format_rfc3339(f)) == f));
}

BOOST_AUTO_TEST_CASE(format_writes_every_field_zero_padded_and_parses_back_to_the_same_instant)
{
    // Random instants from 0001 to 9999, whole seconds and with microseconds: each field
    // padded to its width, read back to the microsecond.
    std::uint64_t x = 88172645463325252ull; // xorshift64
    auto next = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    auto const lo = sys_days{year{1} / 1 / 1}.time_since_epoch().count();
    auto const hi = sys_days{year{9999} / 12 / 31}.time_since_epoch().count();
    for(int i = 0; i < 20'000; ++i)
    {
        auto const day = sys_days{days{lo + static_cast<long>(next() % static_cast<std::uint64_t>(hi - lo + 1))}};
        timestamp t = day + seconds{static_cast<long>(next() % 86'400)};
        if(i % 2)
            t += microseconds{static_cast<long>(next() % 1'000'000)};
        auto const s = format_rfc3339(t, i % 3 ? utc_suffix::z : utc_suffix::offset);
        BOOST_TEST_REQUIRE(s[4] == '-');
        BOOST_TEST_REQUIRE(s[7] == '-');
        BOOST_TEST_REQUIRE(s[10] == 'T');
        BOOST_TEST_REQUIRE(s[13] == ':');
        BOOST_TEST_REQUIRE(s[16] == ':');
        auto const back = parse_rfc3339(s);
        BOOST_TEST_REQUIRE(back.has_value(), s);
        BOOST_TEST_REQUIRE((*back == t), s);
    }
}

BOOST_AUTO_TEST_CASE(accepts_timestamp_at_window_bounds)
{
    auto now = at(2024, 11, 28, 10, 30, 0);
    freshness_window w{seconds{300}, seconds{60}};
    BOOST_TEST(!check_freshness(now, now, w));
    BOOST_TEST(!check_freshness(now - seconds{300}, now, w));
    BOOST_TEST(!check_freshness(now + seconds{60}, now, w));
}

BOOST_AUTO_TEST_CASE(rejects_timestamp_outside_window)
{
    auto now = at(2024, 11, 28, 10, 30, 0);
    freshness_window w{seconds{300}, seconds{60}};
    BOOST_TEST((check_freshness(now - seconds{300} - microseconds{1}, now, w) == error::timestamp_too_old));
    BOOST_TEST((check_freshness(now + seconds{60} + microseconds{1}, now, w) == error::timestamp_in_future));
    freshness_window strict{seconds{10}, seconds{0}};
    BOOST_TEST((check_freshness(now - seconds{11}, now, strict) == error::timestamp_too_old));
    BOOST_TEST((check_freshness(now + seconds{1}, now, strict) == error::timestamp_in_future));
}

BOOST_AUTO_TEST_SUITE_END() // timestamp_

} // namespace

} // namespace unit_timestamp
