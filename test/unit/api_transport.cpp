// SPDX-License-Identifier: BSL-1.0
// test/unit/api_transport.cpp - the API clients' shared retry loop and back-off, without a network.
#include "clients/api_transport.hpp"

#include <catena/webhooks/subscriptions.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <vector>

namespace unit_api_transport { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace net = boost::asio;
using namespace catena::webhooks;
using namespace std::chrono_literals;
using detail::api_transport;
using detail::retry_policy;

// Back-off short enough that a test waits no more than a few milliseconds between attempts.
detail::transport_options quick()
{
    detail::transport_options o;
    o.initial_backoff = 1ms;
    o.max_backoff = 2ms;
    return o;
}

// Runs with_retries over `script` (one answer per attempt; the last repeats) to completion.
struct scripted
{
    std::vector<api_result<int>> script;
    unsigned calls = 0;
    std::atomic<std::uint64_t> retries{0};

    api_result<int> run(retry_policy p)
    {
        net::io_context ioc;
        api_transport t(ioc.get_executor(), quick());
        std::optional<api_result<int>> out;
        net::co_spawn(
            t.strand(),
            [&]() -> net::awaitable<void> {
                auto attempt = [&]() -> net::awaitable<api_result<int>> {
                    auto const i = std::min<std::size_t>(calls++, script.size() - 1);
                    co_return script[i];
                };
                out.emplace(co_await t.with_retries<int>(p, attempt, retries));
            },
            net::detached);
        ioc.run(); // returns once the loop has ended: nothing else holds work
        BOOST_TEST_REQUIRE(out.has_value());
        return *out;
    }
};

api_error answered(unsigned status, std::optional<std::chrono::seconds> retry_after = {})
{
    return parse_api_error(status, "", retry_after);
}

BOOST_AUTO_TEST_SUITE(api_transport_)

BOOST_AUTO_TEST_CASE(retries_a_503_then_returns_the_success)
{
    scripted s{{answered(503), 42}};
    auto const r = s.run({.max_attempts = 4});
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(*r == 42);
    BOOST_TEST(s.calls == 2u);
    BOOST_TEST(s.retries.load() == 1u);
}

BOOST_AUTO_TEST_CASE(stops_after_max_attempts_with_the_last_failure)
{
    scripted s{{answered(503)}};
    auto const r = s.run({.max_attempts = 3});
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().status == 503u);
    BOOST_TEST(s.calls == 3u);
    BOOST_TEST(s.retries.load() == 2u);
}

BOOST_AUTO_TEST_CASE(answers_a_final_error_at_once)
{
    scripted s{{answered(404), 42}};
    auto const r = s.run({.max_attempts = 4});
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().status == 404u);
    BOOST_TEST(s.calls == 1u);
    BOOST_TEST(s.retries.load() == 0u);
}

BOOST_AUTO_TEST_CASE(follows_the_policy_on_what_is_retryable)
{
    // A client may retry less than the default: here nothing is worth another attempt.
    scripted s{{answered(503), 42}};
    auto const r = s.run({.max_attempts = 4, .retryable = [](api_error const&) noexcept { return false; }});
    BOOST_TEST(r.has_error());
    BOOST_TEST(s.calls == 1u);
}

BOOST_AUTO_TEST_CASE(gives_up_when_retry_after_is_longer_than_the_policy_allows)
{
    scripted s{{answered(429, 120s), 42}};
    auto const r = s.run({.max_attempts = 4, .max_retry_after = 60s});
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().status == 429u);
    BOOST_TEST(s.calls == 1u);
}

BOOST_AUTO_TEST_CASE(waits_at_least_retry_after_before_the_next_attempt)
{
    net::io_context ioc;
    api_transport t(ioc.get_executor(), quick());
    retry_policy const p{.max_attempts = 4, .max_retry_after = 60s};
    auto const wait = t.retry_wait(answered(429, 30s), 1, p);
    BOOST_TEST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() >= 30'000);
    // Without Retry-After, the back-off: at most max_backoff.
    auto const backoff = t.retry_wait(answered(503), 3, p);
    BOOST_TEST_REQUIRE(backoff.has_value());
    BOOST_TEST(backoff->count() <= 2);
    // The last attempt has no next one.
    BOOST_TEST(!t.retry_wait(answered(503), 4, p).has_value());
}

BOOST_AUTO_TEST_SUITE_END() // api_transport_

} // namespace

} // namespace unit_api_transport
