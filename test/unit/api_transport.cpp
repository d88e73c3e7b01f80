// SPDX-License-Identifier: BSL-1.0
// test/unit/api_transport.cpp - the API clients' shared retry loop and back-off, and cancellation of
// what is in flight (over loopback only).
#include "clients/api_transport.hpp"

#include "detail/url.hpp"

#include <catena/webhooks/subscriptions.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/http/verb.hpp>
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
using tcp = net::ip::tcp;

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

BOOST_AUTO_TEST_CASE(names_a_ca_file_it_cannot_read)
{
    net::io_context ioc;
    auto o = quick();
    o.ca_file = "/nonexistent/catena-ca.pem";
    api_transport t(ioc.get_executor(), o);
    BOOST_TEST(t.problem().find("cannot read the CA file /nonexistent/catena-ca.pem") != std::string::npos, t.problem());
    BOOST_TEST(api_transport(ioc.get_executor(), quick()).problem().empty());
}

BOOST_AUTO_TEST_CASE(close_all_ends_a_wait_in_flight_and_fails_later_exchanges_at_once)
{
    net::io_context ioc;
    api_transport t(ioc.get_executor(), quick());
    bool woke = false;
    net::co_spawn(
        t.strand(),
        [&]() -> net::awaitable<void> {
            co_await t.sleep(std::chrono::hours(1));
            woke = true;
        },
        net::detached);
    net::post(t.strand(), [&] { t.close_all(); });
    // The bound only ends a failing run: the wait ends as soon as close_all() runs.
    ioc.run_for(60s);
    BOOST_TEST(woke);
    BOOST_TEST(t.closing());
    // Closed: no back-off either.
    BOOST_TEST(!t.retry_wait(detail::api_failure(error::api_unreachable, "x"), 1, retry_policy{}).has_value());
}

BOOST_AUTO_TEST_CASE(close_all_ends_an_exchange_waiting_for_its_answer)
{
    // A loopback server that takes the connection and the request and never answers.
    net::io_context ioc;
    tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
    auto const url = detail::parse_url("http://127.0.0.1:" + std::to_string(a.local_endpoint().port()));
    BOOST_REQUIRE(url.has_value());
    auto o = quick();
    o.timeout = std::chrono::hours(1); // only close_all() can end it
    api_transport t(ioc.get_executor(), o);
    tcp::socket peer(ioc);
    char request[1];
    a.async_accept(peer, [&](error_code ec) {
        BOOST_REQUIRE(!ec);
        // The first byte of the request: the client is now waiting for the answer.
        net::async_read(peer, net::buffer(request), [&](error_code rec, std::size_t) {
            BOOST_REQUIRE(!rec);
            net::post(t.strand(), [&] { t.close_all(); });
        });
    });
    std::optional<api_result<detail::api_answer>> out;
    net::co_spawn(
        t.strand(),
        [&]() -> net::awaitable<void> {
            out.emplace(co_await t.exchange(*url, boost::beast::http::verb::get, "/v1/webhooks", "", "", "", ""));
        },
        net::detached);
    ioc.run_for(60s); // a bound on a failing run only
    BOOST_REQUIRE(out.has_value());
    BOOST_REQUIRE(out->has_error());
    BOOST_TEST((out->error().ec == error::api_unreachable));
    BOOST_TEST(out->error().message.find("no answer from 127.0.0.1:") != std::string::npos, out->error().message);
    BOOST_TEST(t.requests.load() == 1u);

    // Once closed, an exchange fails before it resolves anything.
    std::optional<api_result<detail::api_answer>> later;
    net::co_spawn(
        t.strand(),
        [&]() -> net::awaitable<void> {
            later.emplace(co_await t.exchange(*url, boost::beast::http::verb::get, "/v1/webhooks", "", "", "", ""));
        },
        net::detached);
    ioc.restart();
    ioc.run_for(60s);
    BOOST_REQUIRE(later.has_value());
    BOOST_REQUIRE(later->has_error());
    BOOST_TEST(later->error().message == "cancelled");
}

BOOST_AUTO_TEST_SUITE_END() // api_transport_

} // namespace

} // namespace unit_api_transport
