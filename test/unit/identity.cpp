// SPDX-License-Identifier: BSL-1.0
// test/unit/identity.cpp - content digests, what is known of each record, and which subscription delivered first.
#include "processing/identity.hpp"

#include <boost/test/unit_test.hpp>

#include <deque>
#include <map>
#include <optional>
#include <random>

namespace unit_identity { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace detail = catena::webhooks::detail;

timestamp const t0{std::chrono::seconds(1'764'000'000)};

event record(std::string name, boost::json::object fields)
{
    event e;
    e.event_name = std::move(name);
    e.record = std::move(fields);
    return e;
}

detail::order_key version(timestamp t, timestamp updated = {})
{
    detail::order_key k;
    k.time = t;
    k.updated = updated;
    return k;
}

} // namespace

BOOST_AUTO_TEST_SUITE(identity)

BOOST_AUTO_TEST_CASE(the_content_digest_is_the_event_and_the_records_fields)
{
    auto const a = detail::content_digest(record("connection.staled", {{"id", "c-1"}, {"status", "stale"}}));
    BOOST_TEST((a == detail::content_digest(record("connection.staled", {{"id", "c-1"}, {"status", "stale"}}))));
    BOOST_TEST(!(a == detail::content_digest(record("connection.created", {{"id", "c-1"}, {"status", "stale"}}))));
    BOOST_TEST(!(a == detail::content_digest(record("connection.staled", {{"id", "c-1"}, {"status", "active"}}))));
    // Nested values and types count: 1 is not "1", [1] is not 1.
    BOOST_TEST(!(detail::content_digest(record("x.y", {{"v", 1}})) == detail::content_digest(record("x.y", {{"v", "1"}}))));
    BOOST_TEST(!(detail::content_digest(record("x.y", {{"v", boost::json::array{1}}})) ==
                 detail::content_digest(record("x.y", {{"v", 1}}))));
}

BOOST_AUTO_TEST_CASE(a_record_is_late_only_against_its_own_newest_version)
{
    detail::record_memory m(100);
    auto const a = detail::record_digest("vehicle", "a");
    auto const b = detail::record_digest("vehicle", "b");
    BOOST_TEST(!m.late(a, version(t0 + 10s)));
    BOOST_TEST(!m.late(b, version(t0 + 5s))); // another record: not late
    BOOST_TEST(m.late(b, version(t0 + 4s)));
    BOOST_TEST(!m.late(b, version(t0 + 5s, t0 + 1s))); // same occurred_at, newer updated_at
    BOOST_TEST(m.late(b, version(t0 + 5s)));
    // A first version is checked, not remembered.
    auto const c = detail::record_digest("vehicle", "c");
    BOOST_TEST(!m.late(c, version(t0 + 9s), false));
    BOOST_TEST(!m.late(c, version(t0 + 1s), false));
}

BOOST_AUTO_TEST_CASE(record_memory_forgets_the_oldest_records_first)
{
    detail::record_memory m(2);
    auto const a = detail::record_digest("r", "a"), b = detail::record_digest("r", "b"), c = detail::record_digest("r", "c");
    m.set_content(a, detail::identity_digest{1, 1});
    m.set_content(b, detail::identity_digest{2, 2});
    m.set_content(c, detail::identity_digest{3, 3});
    BOOST_TEST(!m.last_content(a).has_value());
    BOOST_TEST((m.last_content(c) == detail::identity_digest{3, 3}));
    BOOST_TEST(m.size() == 2u);
    BOOST_TEST(m.forgotten() == 1u);
}

// Random contents and versions of 300 records through a memory of 64, against a plain model:
// a map of what is known and the order records were first remembered in.
BOOST_AUTO_TEST_CASE(record_memory_answers_as_a_model_of_its_bound_does)
{
    struct known
    {
        std::optional<detail::identity_digest> content;
        std::optional<timestamp> applied;
    };
    std::map<std::pair<std::uint64_t, std::uint64_t>, known> model;
    std::deque<std::pair<std::uint64_t, std::uint64_t>> order;
    std::size_t const bound = 64;
    std::uint64_t model_forgotten = 0;
    auto touch = [&](detail::identity_digest d) -> known& {
        auto const k = std::make_pair(d.hi, d.lo);
        if(!model.count(k))
        {
            if(model.size() == bound)
            {
                model.erase(order.front());
                order.pop_front();
                ++model_forgotten;
            }
            order.push_back(k);
        }
        return model[k];
    };

    detail::record_memory m(bound);
    std::mt19937_64 rng(11);
    std::size_t late = 0, known_content = 0;
    for(int i = 0; i < 20'000; ++i)
    {
        auto const d = detail::record_digest("vehicle", std::to_string(rng() % 300));
        auto const k = std::make_pair(d.hi, d.lo);
        auto const t = t0 + std::chrono::seconds(rng() % 100);
        switch(rng() % 4)
        {
        case 0:
        {
            detail::identity_digest const c{rng() % 3, 1};
            m.set_content(d, c);
            touch(d).content = c;
            break;
        }
        case 1:
        {
            auto const got = m.last_content(d);
            auto const it = model.find(k);
            bool const has = it != model.end() && it->second.content.has_value();
            BOOST_TEST_REQUIRE(got.has_value() == has);
            if(has)
            {
                BOOST_TEST_REQUIRE((got.value_or(detail::identity_digest{}) == *it->second.content));
                ++known_content;
            }
            break;
        }
        case 2:
        {
            bool const got = m.late(d, version(t));
            auto& e = touch(d);
            bool const want = e.applied && t < *e.applied;
            if(!want)
                e.applied = t;
            BOOST_TEST_REQUIRE(got == want);
            late += got;
            break;
        }
        default:
        {
            bool const got = m.late(d, version(t), false);
            auto const it = model.find(k);
            BOOST_TEST_REQUIRE(got == (it != model.end() && it->second.applied && t < *it->second.applied));
            break;
        }
        }
        BOOST_TEST_REQUIRE(m.size() == model.size());
    }
    BOOST_TEST(m.forgotten() == model_forgotten);
    // The walk exercised every answer: late versions, remembered contents, forgetting.
    BOOST_TEST(late > 100u);
    BOOST_TEST(known_content > 100u);
    BOOST_TEST(model_forgotten > 1000u);
}

BOOST_AUTO_TEST_CASE(only_the_first_subscription_of_an_event_delivers_it_again)
{
    detail::subscription_memory m(1h, 100);
    detail::identity_digest const x{7, 7};
    BOOST_TEST(!m.from_another(x, "wh-org", t0));
    BOOST_TEST(m.from_another(x, "wh-callback", t0 + 1s));
    BOOST_TEST(!m.from_another(x, "wh-org", t0 + 2s)); // a repeat through the first one
    BOOST_TEST(m.from_another(x, "wh-callback", t0 + 3s));
    // Past the window the event is forgotten.
    BOOST_TEST(!m.from_another(x, "wh-callback", t0 + 2h));
}

BOOST_AUTO_TEST_CASE(an_event_first_delivered_through_a_later_subscription_is_a_duplicate_through_the_first)
{
    detail::subscription_memory m(1h, 100);
    BOOST_TEST(!m.from_another(detail::identity_digest{1, 1}, "wh-org", t0)); // wh-org is heard of first
    detail::identity_digest const y{9, 9};
    BOOST_TEST(!m.from_another(y, "wh-callback", t0 + 1s));
    BOOST_TEST(m.from_another(y, "wh-org", t0 + 2s));
    BOOST_TEST(!m.from_another(y, "wh-callback", t0 + 3s)); // a repeat through the one that delivered it
    BOOST_TEST(m.from_another(y, "wh-third", t0 + 4s));
    BOOST_TEST(m.from_another(y, "wh-org", t0 + 5s));
}

BOOST_AUTO_TEST_CASE(the_first_subscription_heard_of_stays_the_first_even_without_an_id)
{
    detail::subscription_memory m(1h, 100);
    detail::identity_digest const x{3, 3}, y{4, 4};
    BOOST_TEST(!m.from_another(x, "", t0));
    BOOST_TEST(!m.from_another(y, "wh-callback", t0 + 1s));
    BOOST_TEST(!m.from_another(x, "", t0 + 2s)); // a repeat through the one that delivered it
    BOOST_TEST(!m.from_another(y, "wh-callback", t0 + 3s));
    BOOST_TEST(m.from_another(y, "", t0 + 4s));
}

BOOST_AUTO_TEST_CASE(events_through_the_first_subscription_take_one_digest_each)
{
    detail::subscription_memory m(1h, 1000);
    for(std::uint64_t i = 1; i <= 500; ++i)
        BOOST_TEST_REQUIRE(!m.from_another(detail::identity_digest{i, i * 7}, "wh-org", t0));
    BOOST_TEST(m.digests() == 500u);
    BOOST_TEST(!m.from_another(detail::identity_digest{9999, 1}, "wh-callback", t0)); // three through another
    BOOST_TEST(m.digests() == 503u);
    // Its whole bound holds events of the first subscription: the first of 1000 more is still known.
    for(std::uint64_t i = 1000; i < 1497; ++i)
        BOOST_TEST_REQUIRE(!m.from_another(detail::identity_digest{i, i * 7}, "wh-org", t0));
    BOOST_TEST(m.digests() == 1000u);
    BOOST_TEST(!m.from_another(detail::identity_digest{1, 7}, "wh-org", t0)); // its own repeat...
    BOOST_TEST(m.from_another(detail::identity_digest{9999, 1}, "wh-org", t0)); // ...and still another's
}

BOOST_AUTO_TEST_SUITE_END() // identity

} // namespace unit_identity
