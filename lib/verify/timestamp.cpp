// SPDX-License-Identifier: BSL-1.0
// lib/verify/timestamp.cpp - RFC 3339 parsing and formatting, freshness checks.
#include <catena/webhooks/timestamp.hpp>

#include <cstdio>

namespace catena::webhooks {

namespace {

using namespace std::chrono;

// Reads exactly n ASCII digits at p; false if any is not a digit.
constexpr bool read_digits(char const* p, int n, int& out) noexcept
{
    int v = 0;
    for(int i = 0; i < n; ++i)
    {
        unsigned d = static_cast<unsigned char>(p[i]) - '0';
        if(d > 9)
            return false;
        v = v * 10 + static_cast<int>(d);
    }
    out = v;
    return true;
}

} // namespace

timestamp system_now() noexcept
{
    return time_point_cast<microseconds>(system_clock::now());
}

result<timestamp> parse_rfc3339(std::string_view s) noexcept
{
    auto const bad = make_error_code(error::malformed_timestamp);
    // Shortest form: YYYY-MM-DDTHH:MM:SSZ (20 bytes).
    if(s.size() < 20 || s.size() > 64)
        return bad;
    char const* p = s.data();
    int y, mo, d, h, mi, sec;
    if(!read_digits(p, 4, y) || p[4] != '-' || !read_digits(p + 5, 2, mo) || p[7] != '-' ||
       !read_digits(p + 8, 2, d) || (p[10] != 'T' && p[10] != 't') || !read_digits(p + 11, 2, h) ||
       p[13] != ':' || !read_digits(p + 14, 2, mi) || p[16] != ':' || !read_digits(p + 17, 2, sec))
        return bad;

    year_month_day const ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if(!ymd.ok() || h > 23 || mi > 59 || sec > 60)
        return bad;

    std::size_t i = 19;
    microseconds frac{0};
    if(s[i] == '.')
    {
        ++i;
        std::size_t const first = i;
        long long us = 0;
        while(i < s.size() && s[i] >= '0' && s[i] <= '9')
        {
            if(i - first < 6)
                us = us * 10 + (s[i] - '0');
            ++i;
        }
        std::size_t const n = i - first;
        if(n == 0 || n > 9)
            return bad;
        for(std::size_t k = n; k < 6; ++k)
            us *= 10;
        frac = microseconds{us};
    }

    if(i >= s.size())
        return bad;
    minutes offset{0};
    if(s[i] == 'Z' || s[i] == 'z')
    {
        ++i;
    }
    else if(s[i] == '+' || s[i] == '-')
    {
        int oh, om;
        if(s.size() - i != 6 || !read_digits(p + i + 1, 2, oh) || p[i + 3] != ':' ||
           !read_digits(p + i + 4, 2, om) || oh > 23 || om > 59)
            return bad;
        offset = hours{oh} + minutes{om};
        if(s[i] == '-')
            offset = -offset;
        i += 6;
    }
    else
    {
        return bad;
    }
    if(i != s.size())
        return bad;

    // A leap second is folded into the last microsecond of its minute, so ordering holds.
    seconds const sec_part = sec == 60 ? seconds{59} : seconds{sec};
    if(sec == 60)
        frac = microseconds{999'999};
    timestamp const local = sys_days{ymd} + hours{h} + minutes{mi} + sec_part + frac;
    timestamp const utc = local - offset;
    // RFC 3339 has four-digit years: an offset may not carry the instant outside them, or
    // it could not be written back.
    static constexpr sys_days first{year{0} / 1 / 1};
    static constexpr sys_days past_last{year{10000} / 1 / 1};
    if(utc < first || utc >= past_last)
        return bad;
    return utc;
}

namespace {

// Writes `v` as `width` decimal digits, zero-padded.
char* put_digits(char* p, unsigned long long v, int width) noexcept
{
    for(int i = width - 1; i >= 0; --i, v /= 10)
        p[i] = static_cast<char>('0' + v % 10);
    return p + width;
}

} // namespace

// Digit by digit: it runs for every event line and snapshot, where snprintf's format parsing
// cost more than the rest of the line.
std::string format_rfc3339(timestamp t, utc_suffix suffix)
{
    auto const day_start = floor<days>(t);
    year_month_day const ymd{day_start};
    hh_mm_ss<microseconds> const tod{t - day_start};
    char buf[48];
    char* p = buf;
    int const year = static_cast<int>(ymd.year());
    if(year >= 0 && year <= 9999)
        p = put_digits(p, static_cast<unsigned>(year), 4);
    else
        p += std::snprintf(p, 16, "%04d", year);
    *p++ = '-';
    p = put_digits(p, static_cast<unsigned>(ymd.month()), 2);
    *p++ = '-';
    p = put_digits(p, static_cast<unsigned>(ymd.day()), 2);
    *p++ = 'T';
    p = put_digits(p, static_cast<unsigned long long>(tod.hours().count()), 2);
    *p++ = ':';
    p = put_digits(p, static_cast<unsigned long long>(tod.minutes().count()), 2);
    *p++ = ':';
    p = put_digits(p, static_cast<unsigned long long>(tod.seconds().count()), 2);
    if(auto const us = tod.subseconds().count(); us != 0)
    {
        *p++ = '.';
        p = put_digits(p, static_cast<unsigned long long>(us), 6);
    }
    if(suffix == utc_suffix::z)
        *p++ = 'Z';
    else
        for(char c : {'+', '0', '0', ':', '0', '0'})
            *p++ = c;
    return std::string(buf, static_cast<std::size_t>(p - buf));
}

error_code check_freshness(timestamp sent, timestamp now, freshness_window const& window) noexcept
{
    if(sent < now - window.max_past)
        return error::timestamp_too_old;
    if(sent > now + window.max_future)
        return error::timestamp_in_future;
    return {};
}

} // namespace catena::webhooks
