// SPDX-License-Identifier: BSL-1.0
// test/integration/sink_http.cpp - catena-webhookd --sink https://: every event POSTed to an endpoint, through crashes; TLS verified.
#include "fake_https.hpp"
#include "sink_scenario.hpp"

#include <boost/test/unit_test.hpp>

#include <mutex>
#include <optional>

namespace integration_sink_http { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;

// What the partner's endpoint received: every 2xx it answered is a message it holds.
struct endpoint_log
{
    std::mutex m;
    std::vector<tst::stored_message> held;

    tst::fake_reply take(tst::fake_request const& r)
    {
        if(r.method() != boost::beast::http::verb::post || r[boost::beast::http::field::content_type] != "application/json")
            return {400, boost::json::object{{"error", "POST JSON"}}};
        std::lock_guard lock(m);
        held.push_back({std::string(r["Idempotency-Key"]), std::string(r["X-Catena-Kind"]), r.body()});
        return {200, boost::json::object{{"ok", true}}};
    }
};

BOOST_AUTO_TEST_SUITE(sink_http)

// An HTTPS endpoint of the test's own (its certificate made for the test), and the sink on it.
struct http_fixture
{
    std::string dir = tst::make_temp_dir("sink-http");
    endpoint_log log;
    std::function<tst::fake_reply(tst::fake_request const&)> handle = [this](tst::fake_request const& r) {
        return log.take(r);
    };
    std::optional<tst::fake_https> endpoint{std::in_place, dir, handle};
    unsigned short port = endpoint->port();
    tst::sinks::sink_server server{"https://localhost:" + std::to_string(port) + "/catena/events?ca=" + endpoint->ca_file(),
                                   [this] { endpoint.reset(); },
                                   [this] { endpoint.emplace(dir, handle, std::function<void()>{}, port); },
                                   [this] {
                                       std::lock_guard lock(log.m);
                                       return log.held;
                                   }};
};

BOOST_FIXTURE_TEST_CASE(every_event_is_posted_once_per_key_and_copies_are_identical, http_fixture)
{
    tst::sinks::run_clean(dir, server);
}

BOOST_FIXTURE_TEST_CASE(every_event_is_posted_through_an_endpoint_crash_and_a_kill_9, http_fixture)
{
    tst::sinks::run_through_crashes(dir, server);
}

BOOST_AUTO_TEST_CASE(refuses_an_endpoint_whose_certificate_it_cannot_verify)
{
    // The endpoint's own certificate, but not trusted: nothing is acknowledged, nothing processed.
    auto const dir = tst::make_temp_dir("sink-http-tls");
    std::atomic<int> posts{0};
    tst::fake_https endpoint(dir, [&](tst::fake_request const&) {
        ++posts;
        return tst::fake_reply{200, boost::json::object{}};
    });
    tst::child_process d({tst::probe::daemon_path, "--listen", "127.0.0.1:0", "--memory", "--events", dir + "/events.jsonl",
                          "--reorder-window", "0", "--admin-listen", "127.0.0.1:0",
                          "--sink", "https://localhost:" + std::to_string(endpoint.port()) + "/in"},
                         tst::probe::env(), dir);
    BOOST_REQUIRE_MESSAGE(d.wait_stderr("status page) on 127.0.0.1:"), d.stderr_text());
    auto const err = d.stderr_text();
    auto const at = err.find("status page) on 127.0.0.1:") + 26;
    auto const port = static_cast<unsigned short>(std::stoul(err.substr(at))); // the admin listener
    catena::webhooks::sim::scheduled_message one{tst::probe::message("tls-1")};
    tst::sinks::send_all(d.listening_port(), {&one});
    BOOST_REQUIRE(tst::eventually([&] {
        return tst::sinks::sink_metric(port, "catena_webhooks_sink_retries_total") >= 1;
    }));
    BOOST_TEST(tst::sinks::sink_metric(port, "catena_webhooks_sink_acknowledged_total") == 0);
    BOOST_TEST(tst::sinks::sink_metric(port, "catena_webhooks_sink_pending") == 1);
    BOOST_TEST(posts.load() == 0);
    // The state API says why.
    auto const sinks = boost::json::parse(tst::probe::get(port, "/v1/sinks")).at("sinks").as_array();
    BOOST_REQUIRE(sinks.size() == 1u);
    BOOST_TEST(std::string(sinks[0].at("last_error").as_string()).find("certificate verify failed") != std::string::npos,
               sinks[0].at("last_error"));
}

BOOST_AUTO_TEST_SUITE_END() // sink_http

} // namespace

} // namespace integration_sink_http
