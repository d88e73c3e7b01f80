// SPDX-License-Identifier: BSL-1.0
// test/unit/reorderer.cpp - the hold window, the watermark, the bounds, flushing and the order of equal keys.
#include "processing/reorderer.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <utility>
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

// Equal keys: the multiset the buffer once was kept them in arrival order, and so must it.
BOOST_AUTO_TEST_CASE(releases_equal_keys_in_arrival_order)
{
    detail::reorderer<std::string> q{2000ms, 100, 1u << 20};
    std::vector<std::string> got;
    auto sink = [&](order_key const&, std::string&& v) { got.push_back(std::move(v)); };
    q.push(key(2, "x"), "late-first", 1, t0);
    for(int i = 0; i < 20; ++i)
        q.push(key(1, "same"), std::to_string(i), 1, t0 + std::chrono::milliseconds(i));
    q.push(key(0, "x"), "small", 1, t0 + 30ms);
    q.release(t0 + 2030ms, sink);
    std::vector<std::string> want{"small"};
    for(int i = 0; i < 20; ++i)
        want.push_back(std::to_string(i));
    want.push_back("late-first");
    BOOST_TEST(got == want, boost::test_tools::per_element());
}

// The reference: every value held in a vector in arrival order, the next to go found by a
// stable sort on the key (equal keys: arrival order), the watermark folded as documented.
class reference_reorderer
{
public:
    reference_reorderer(std::chrono::milliseconds window, std::size_t max_count, std::size_t max_bytes)
        : window_(window), max_count_(max_count), max_bytes_(max_bytes)
    {
    }

    void push(order_key const& k, int value, std::size_t bytes, timestamp now)
    {
        all_.push_back({k, value, bytes, now + window_, false});
    }

    bool release(timestamp now, std::vector<std::pair<order_key, int>>& out, std::size_t max_due)
    {
        for(; considered_ < all_.size(); ++considered_)
        {
            auto const& i = all_[considered_];
            if(i.released)
                continue;
            if(i.due > now)
                break;
            if(!watermark_ || *watermark_ < i.key)
                watermark_ = i.key;
        }
        std::size_t released = 0;
        for(;;)
        {
            auto const held = in_order();
            bool const due = watermark_ && !held.empty() && !(*watermark_ < held.front()->key);
            if(held.empty() || !(held.size() > max_count_ || bytes() > max_bytes_ || (due && released < max_due)))
                return due;
            auto* i = held.front();
            if(!watermark_ || *watermark_ < i->key)
            {
                ++released_early_;
                watermark_ = i->key;
            }
            i->released = true;
            out.emplace_back(i->key, i->value);
            ++released;
        }
    }

    void flush(std::vector<std::pair<order_key, int>>& out)
    {
        for(auto* i : in_order())
        {
            if(!watermark_ || *watermark_ < i->key)
                watermark_ = i->key;
            i->released = true;
            out.emplace_back(i->key, i->value);
        }
        considered_ = all_.size();
    }

    std::optional<timestamp> next_due() const
    {
        for(auto const& i : all_)
            if(!i.released)
                return i.due;
        return std::nullopt;
    }

    std::size_t size() const { return static_cast<std::size_t>(std::count_if(all_.begin(), all_.end(), [](auto const& i) { return !i.released; })); }
    std::size_t bytes() const
    {
        std::size_t n = 0;
        for(auto const& i : all_)
            n += i.released ? 0 : i.bytes;
        return n;
    }
    std::uint64_t released_early() const { return released_early_; }
    std::optional<order_key> const& watermark() const { return watermark_; }

private:
    struct item
    {
        order_key key;
        int value;
        std::size_t bytes;
        timestamp due;
        bool released;
    };

    std::vector<item*> in_order()
    {
        std::vector<item*> held;
        for(auto& i : all_)
            if(!i.released)
                held.push_back(&i);
        std::stable_sort(held.begin(), held.end(), [](item const* a, item const* b) { return a->key < b->key; });
        return held;
    }

    std::chrono::milliseconds window_;
    std::size_t max_count_;
    std::size_t max_bytes_;
    std::vector<item> all_;
    std::size_t considered_ = 0;
    std::optional<order_key> watermark_;
    std::uint64_t released_early_ = 0;
};

BOOST_AUTO_TEST_CASE(releases_what_a_stable_sort_by_key_and_arrival_would_in_random_histories)
{
    for(unsigned seed = 1; seed <= 200; ++seed)
    {
        BOOST_TEST_CONTEXT("seed " << seed)
        {
            std::mt19937 rng(seed);
            auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
            // Small bounds now and then, so that values are released early too.
            std::size_t const max_count = pick(3) == 0 ? 4 + pick(8) : 1000;
            std::size_t const max_bytes = pick(3) == 0 ? 20 + pick(40) : 1u << 20;
            auto const window = std::chrono::milliseconds(pick(4) * 500);
            detail::reorderer<int> real{window, max_count, max_bytes};
            reference_reorderer model{window, max_count, max_bytes};
            std::vector<std::pair<order_key, int>> got, want;
            auto sink = [&](order_key const& k, int&& v) { got.emplace_back(k, v); };
            timestamp now = t0;
            int value = 0;
            for(int step = 0; step < 400; ++step)
            {
                now += std::chrono::milliseconds(pick(4) == 0 ? pick(1500) : pick(50));
                if(pick(3) != 0)
                {
                    // Few distinct keys: many ties, some keys equal in every field.
                    order_key k;
                    k.time = t0 + std::chrono::seconds(pick(6)) + std::chrono::milliseconds(step * 10 * pick(2));
                    k.tie = static_cast<std::uint8_t>(pick(2));
                    k.envelope_id = pick(2) ? "0192-a" : "0192-b";
                    k.record_index = pick(2);
                    k.record_id = pick(2) ? "r" : "";
                    auto const bytes = 1 + pick(10);
                    real.push(k, value, bytes, now);
                    model.push(k, value, bytes, now);
                    ++value;
                }
                else if(pick(20) == 0)
                {
                    real.flush(sink);
                    model.flush(want);
                }
                else
                {
                    auto const max_due = pick(3) == 0 ? std::size_t{pick(4)} : static_cast<std::size_t>(-1);
                    BOOST_TEST(real.release(now, sink, max_due) == model.release(now, want, max_due));
                }
                BOOST_TEST_REQUIRE(got.size() == want.size(), "step " << step);
                BOOST_TEST_REQUIRE((got == want), "step " << step);
                BOOST_TEST(real.size() == model.size());
                BOOST_TEST(real.bytes() == model.bytes());
                BOOST_TEST(real.released_early() == model.released_early());
                BOOST_TEST((real.watermark() == model.watermark()));
                BOOST_TEST((real.next_due() == model.next_due()));
            }
            real.flush(sink);
            model.flush(want);
            BOOST_TEST((got == want));
            BOOST_TEST(real.size() == 0u);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_reorderer
