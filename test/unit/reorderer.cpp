// SPDX-License-Identifier: BSL-1.0
// test/unit/reorderer.cpp - the hold window, the watermark, the bounds and flushing.
#include "processing/reorderer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace unit_reorderer { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
using detail::order_key;

timestamp const t0{std::chrono::seconds(1'700'000'000)};

order_key key(int seconds, std::string id = {})
{
    order_key k;
    k.time = t0 + std::chrono::seconds(seconds);
    k.record_id = id.empty() ? std::to_string(seconds) : std::move(id);
    return k;
}

struct fixture
{
    detail::reorderer<std::string> r{2000ms, 100, 1u << 20};
    std::vector<std::string> out;

    void push(int occurred, timestamp now, std::string name = {})
    {
        r.push(key(occurred, name), name.empty() ? std::to_string(occurred) : name, 10, now);
    }
    void release(timestamp now)
    {
        r.release(now, [this](order_key const&, std::string&& v) { out.push_back(std::move(v)); });
    }
};

BOOST_FIXTURE_TEST_SUITE(reorderer_, fixture)

BOOST_AUTO_TEST_CASE(holds_values_until_their_window_passes)
{
    push(5, t0);
    release(t0 + 1999ms);
    BOOST_TEST(out.empty());
    BOOST_TEST((r.next_due() == std::optional<timestamp>(t0 + 2s)));
    release(t0 + 2s);
    BOOST_TEST(out == std::vector<std::string>{"5"});
    BOOST_TEST(!r.next_due());
}

BOOST_AUTO_TEST_CASE(releases_in_occurrence_order_not_arrival_order)
{
    push(30, t0);
    push(10, t0 + 100ms);
    push(20, t0 + 200ms);
    release(t0 + 2200ms);
    BOOST_TEST(out == (std::vector<std::string>{"10", "20", "30"}));
}

BOOST_AUTO_TEST_CASE(holds_newer_values_behind_the_watermark)
{
    // 30 arrives first; when its window passes, everything up to 30 goes, but 40 (which
    // arrived later) waits for its own window.
    push(30, t0);
    push(40, t0 + 1s);
    push(10, t0 + 1500ms);
    release(t0 + 2s);
    BOOST_TEST(out == (std::vector<std::string>{"10", "30"}));
    release(t0 + 3s);
    BOOST_TEST(out == (std::vector<std::string>{"10", "30", "40"}));
}

BOOST_AUTO_TEST_CASE(value_below_the_watermark_goes_out_at_next_release)
{
    push(30, t0);
    release(t0 + 2s);
    BOOST_TEST(r.watermark().has_value());
    push(10, t0 + 5s); // too late to be put before 30
    release(t0 + 5s);
    BOOST_TEST(out == (std::vector<std::string>{"30", "10"}));
    BOOST_TEST(r.released_early() == 0u);
}

BOOST_AUTO_TEST_CASE(releases_smallest_early_when_count_bound_is_exceeded)
{
    detail::reorderer<std::string> small{2000ms, 2, 1u << 20};
    std::vector<std::string> got;
    auto sink = [&](order_key const&, std::string&& v) { got.push_back(std::move(v)); };
    small.push(key(3), "3", 10, t0);
    small.push(key(1), "1", 10, t0);
    small.push(key(2), "2", 10, t0);
    small.release(t0, sink);
    BOOST_TEST(got == std::vector<std::string>{"1"});
    BOOST_TEST(small.released_early() == 1u);
    BOOST_TEST(small.size() == 2u);
}

BOOST_AUTO_TEST_CASE(releases_early_when_byte_bound_is_exceeded)
{
    detail::reorderer<std::string> small{2000ms, 100, 25};
    std::vector<std::string> got;
    auto sink = [&](order_key const&, std::string&& v) { got.push_back(std::move(v)); };
    small.push(key(2), "2", 10, t0);
    small.push(key(1), "1", 10, t0);
    small.push(key(3), "3", 10, t0);
    small.release(t0, sink);
    BOOST_TEST(got == std::vector<std::string>{"1"});
    BOOST_TEST(small.bytes() == 20u);
}

BOOST_AUTO_TEST_CASE(a_release_in_slices_lets_out_at_most_its_share_in_order_and_says_what_remains)
{
    // Lagging times: when the first arrival falls due, everything held lies below it.
    for(int i = 10; i > 0; --i)
        push(i, t0 + std::chrono::milliseconds(10 - i));
    push(100, t0 + 10ms);
    auto take = [this](timestamp now, std::size_t max) {
        return r.release(now, [this](order_key const&, std::string&& v) { out.push_back(std::move(v)); }, max);
    };
    BOOST_TEST(take(t0 + 2s, 4)); // due: 1..10; four go, more remain
    BOOST_TEST(out == (std::vector<std::string>{"1", "2", "3", "4"}));
    BOOST_TEST(take(t0 + 2s, 4));
    BOOST_TEST(!take(t0 + 2s, 4)); // 9 and 10: nothing due remains
    BOOST_TEST(out.size() == 10u);
    BOOST_TEST(out.back() == "10");
    BOOST_TEST(r.size() == 1u); // 100 waits for its own window
    BOOST_TEST(r.released_early() == 0u);
    BOOST_TEST(!take(t0 + 2010ms, 4));
    BOOST_TEST(out.back() == "100");
}

BOOST_AUTO_TEST_CASE(a_release_in_slices_still_keeps_the_bounds)
{
    detail::reorderer<std::string> small{2000ms, 3, 1u << 20};
    std::vector<std::string> got;
    auto sink = [&](order_key const&, std::string&& v) { got.push_back(std::move(v)); };
    for(int i = 1; i <= 6; ++i)
        small.push(key(i), std::to_string(i), 10, t0);
    BOOST_TEST(!small.release(t0, sink, 0)); // nothing is due: only what the bound requires
    BOOST_TEST(got == (std::vector<std::string>{"1", "2", "3"}));
    BOOST_TEST(small.size() == 3u);
    BOOST_TEST(small.released_early() == 3u);
}

// Counts its live instances: what the buffer still holds, values or their husks.
struct counted
{
    static inline int live = 0;
    counted() { ++live; }
    counted(counted const&) { ++live; }
    counted(counted&&) noexcept { ++live; }
    counted& operator=(counted const&) = default;
    counted& operator=(counted&&) noexcept = default;
    ~counted() { --live; }
};

BOOST_AUTO_TEST_CASE(a_value_held_long_does_not_keep_the_released_ones_after_it)
{
    counted::live = 0;
    {
        detail::reorderer<counted> q{2000ms, 10, 1u << 20};
        std::size_t got = 0;
        auto sink = [&](order_key const&, counted&&) { ++got; };
        q.push(key(1000), counted{}, 1, t0); // the newest key, first to arrive: held to the end
        for(int i = 0; i < 500; ++i)
        {
            q.push(key(i), counted{}, 1, t0 + 1ms);
            q.release(t0 + 1ms, sink, 0); // over the bound: the smallest go
        }
        BOOST_TEST(got == 491u);
        BOOST_TEST(q.size() == 10u);
        BOOST_TEST(counted::live == 10); // nothing of the 491 released is kept
        BOOST_TEST((q.next_due() == std::optional<timestamp>(t0 + 2s)));
        q.release(t0 + 2001ms, sink); // the first arrival is due: everything goes
        BOOST_TEST(got == 501u);
        BOOST_TEST(counted::live == 0);
        BOOST_TEST(!q.next_due());
    }
    BOOST_TEST(counted::live == 0);
}

BOOST_AUTO_TEST_CASE(flush_releases_everything_in_order)
{
    push(3, t0);
    push(1, t0);
    push(2, t0 + 1s);
    r.flush([this](order_key const&, std::string&& v) { out.push_back(std::move(v)); });
    BOOST_TEST(out == (std::vector<std::string>{"1", "2", "3"}));
    BOOST_TEST(r.size() == 0u);
    BOOST_TEST(r.bytes() == 0u);
    BOOST_TEST(!r.next_due());
}

BOOST_AUTO_TEST_CASE(orders_equal_times_by_envelope_id_then_record)
{
    detail::reorderer<std::string> q{0ms, 100, 1u << 20};
    std::vector<std::string> got;
    order_key a = key(1), b = key(1), c = key(1);
    a.envelope_id = "0192-b";
    b.envelope_id = "0192-a";
    b.record_index = 1;
    c.envelope_id = "0192-a";
    q.push(a, "a", 1, t0);
    q.push(b, "b", 1, t0);
    q.push(c, "c", 1, t0);
    q.release(t0, [&](order_key const&, std::string&& v) { got.push_back(v); });
    BOOST_TEST(got == (std::vector<std::string>{"c", "b", "a"}));
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_reorderer
