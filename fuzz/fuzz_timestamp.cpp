// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_timestamp.cpp - X-Catena-Timestamp parsing, formatting and the freshness window.
//
// Input: the text to parse; the same bytes also give an instant, a clock and a window.
// Invariants: parse_rfc3339 accepts exactly what a plain reference of the documented grammar
// accepts (YYYY-MM-DD, T or t, hh:mm:ss with ss up to 60, 1 to 9 fraction digits, Z, z or
// ±hh:mm, a real calendar date, the instant within years 0000-9999) and gives the same
// instant (fraction truncated to the microsecond, :60 as the minute's last microsecond).
// Every instant of years 0000-9999 formats, with either suffix, to the canonical text (six
// fraction digits only when the microseconds are not zero) and parses back to itself; the
// freshness check agrees with the window's two comparisons, bounds included.
#include <catena/webhooks/timestamp.hpp>

#include "fuzz_support.hpp"

#include <optional>

namespace {

namespace cw = catena::webhooks;
using cw::fuzz::require;

constexpr std::int64_t micros_per_day = 86'400'000'000;
// Days from 0000-01-01 to 1970-01-01 in the proleptic Gregorian calendar.
constexpr std::int64_t epoch_day = 719'528;
// The instants RFC 3339 can write: 0000-01-01T00:00:00 up to, not including, 10000-01-01.
constexpr std::int64_t first_micros = -epoch_day * micros_per_day;
constexpr std::int64_t past_last_micros = (3'652'425 - epoch_day) * micros_per_day;

bool leap(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int days_in_month(int y, int m)
{
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Days from 0000-01-01 to y-m-d, by counting (no calendar library).
std::int64_t day_number(int y, int m, int d)
{
    std::int64_t n = 365LL * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400; // leap years before y
    for(int k = 1; k < m; ++k)
        n += days_in_month(y, k);
    return n + d - 1;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out)
{
    if(at + n > s.size())
        return false;
    out = 0;
    for(std::size_t i = at; i < at + n; ++i)
    {
        if(s[i] < '0' || s[i] > '9')
            return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// The documented grammar, read the plain way: microseconds since 1970 in UTC, or nothing.
std::optional<std::int64_t> reference_parse(std::string_view s)
{
    int y, mo, d, h, mi, sec;
    if(!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
       !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
       !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
        return std::nullopt;
    if(mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    std::size_t i = 19;
    std::int64_t frac = 0;
    if(i < s.size() && s[i] == '.')
    {
        std::size_t n = 0;
        while(i + 1 + n < s.size() && s[i + 1 + n] >= '0' && s[i + 1 + n] <= '9')
            ++n;
        if(n == 0 || n > 9)
            return std::nullopt;
        for(std::size_t k = 0; k < 6; ++k)
            frac = frac * 10 + (k < n ? s[i + 1 + k] - '0' : 0);
        i += 1 + n;
    }
    std::int64_t offset_minutes = 0;
    bool const zulu = i + 1 == s.size() && (s[i] == 'Z' || s[i] == 'z');
    if(!zulu)
    {
        int oh, om;
        if(i + 6 != s.size() || (s[i] != '+' && s[i] != '-') || !digits(s, i + 1, 2, oh) || s[i + 3] != ':' ||
           !digits(s, i + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_minutes = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    }
    if(sec == 60)
    {
        sec = 59;
        frac = 999'999;
    }
    std::int64_t const local = (day_number(y, mo, d) - epoch_day) * micros_per_day +
                               ((h * 60LL + mi) * 60 + sec) * 1'000'000 + frac;
    std::int64_t const utc = local - offset_minutes * 60'000'000;
    if(utc < first_micros || utc >= past_last_micros)
        return std::nullopt;
    return utc;
}

// The canonical text of an instant: digits in their places, "." and six digits only for a
// non-zero fraction, then the suffix.
bool canonical(std::string_view s, bool z_suffix, bool has_fraction)
{
    std::size_t const want = (has_fraction ? 27 : 20) + (z_suffix ? 0 : 5);
    if(s.size() != want)
        return false;
    std::string_view const shape = has_fraction ? "dddd-dd-ddTdd:dd:dd.dddddd" : "dddd-dd-ddTdd:dd:dd";
    for(std::size_t i = 0; i < shape.size(); ++i)
        if(shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    return s.substr(shape.size()) == (z_suffix ? "Z" : "+00:00");
}

cw::timestamp at_micros(std::int64_t us) { return cw::timestamp(std::chrono::microseconds(us)); }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const text(reinterpret_cast<char const*>(data), size);

    // Parsing agrees with the reference, both ways.
    auto const ours = cw::parse_rfc3339(text);
    auto const ref = reference_parse(text);
    require(ours.has_value() == ref.has_value(), "parse_rfc3339 and the reference disagree on validity");
    if(ours)
        require(ours->time_since_epoch().count() == *ref, "parse_rfc3339 and the reference disagree on the instant");

    // An instant of the writable range from the input, and one from the text when it parsed.
    cw::fuzz::bytes_reader in(data, size);
    auto const span = static_cast<std::uint64_t>(past_last_micros - first_micros);
    std::int64_t const picked = first_micros + static_cast<std::int64_t>(in.u64() % span);
    for(std::int64_t us : {picked, ours ? *ref : picked})
    {
        auto const t = at_micros(us);
        for(auto suffix : {cw::utc_suffix::offset, cw::utc_suffix::z})
        {
            auto const s = cw::format_rfc3339(t, suffix);
            require(canonical(s, suffix == cw::utc_suffix::z, us % 1'000'000 != 0), "format_rfc3339 is not canonical");
            auto const back = cw::parse_rfc3339(s);
            require(back && *back == t, "a formatted instant does not parse back to itself");
            require(reference_parse(s) == us, "the reference reads a formatted instant differently");
        }
    }

    // The window: too old below now - past, in the future above now + future, bounds accepted.
    cw::freshness_window w;
    w.max_past = std::chrono::seconds(in.u16());
    w.max_future = std::chrono::seconds(in.u16());
    auto const sent = at_micros(ours ? *ref : picked);
    // Up to 200 000 s either way, so that both bounds of windows up to 65 535 s are crossed.
    std::int64_t const skew = static_cast<std::int64_t>(in.u64() % 400'000'000'001ULL) - 200'000'000'000LL;
    auto const now = sent + std::chrono::microseconds(skew);
    auto const check = [&](cw::timestamp clock) {
        auto const ec = cw::check_freshness(sent, clock, w);
        if(sent < clock - w.max_past)
            require(ec == cw::error::timestamp_too_old, "a timestamp past the window was not too old");
        else if(sent > clock + w.max_future)
            require(ec == cw::error::timestamp_in_future, "a timestamp beyond the window was not in the future");
        else
            require(!ec, "a timestamp within the window was refused");
    };
    check(now);
    // Both bounds, and one microsecond beyond each.
    constexpr std::chrono::microseconds tick{1};
    for(auto clock : {sent + w.max_past, sent + w.max_past + tick, sent - w.max_future, sent - w.max_future - tick})
        check(clock);
    return 0;
}
