// SPDX-License-Identifier: BSL-1.0
// test/integration/notifications.cpp - the Notifications API client against a fake of the API.
#include "fake_catena_api.hpp"
#include "tls_material.hpp"

#include <catena/webhooks/notifications.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <set>

namespace integration_notifications { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
using fake = tst::fake_catena_api;

struct fixture
{
    std::string dir = tst::make_temp_dir("notifications");
    fake api{dir};
    net::io_context ioc;

    cw::notifications_options options() const
    {
        cw::notifications_options o;
        o.api_url = api.api_url();
        o.auth_url = api.auth_url();
        o.ca_file = api.ca_file();
        o.client_id = fake::client_id;
        o.client_secret = fake::client_secret;
        o.initial_backoff = std::chrono::milliseconds(10);
        o.max_backoff = std::chrono::milliseconds(40);
        o.timeout = std::chrono::milliseconds(5000);
        return o;
    }

    // Runs one call to completion: `call(client, handler)`.
    template<class T, class Call>
    cw::api_result<T> run(cw::notifications_client& c, Call call)
    {
        std::optional<cw::api_result<T>> out;
        call(c, [&out](cw::api_result<T> r) { out.emplace(std::move(r)); });
        ioc.restart();
        ioc.run();
        BOOST_REQUIRE_MESSAGE(out.has_value(), "the call completed");
        return std::move(*out);
    }

    cw::webhook_subscription create_one(cw::notifications_client& c, std::string event,
                                        std::string url = "https://partner.example/hooks/catena")
    {
        cw::webhook_create w;
        w.url = std::move(url);
        w.event_name = std::move(event);
        w.secret = "a-secret-of-the-partner-123";
        auto r = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.create(w, h); });
        BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().what()));
        BOOST_REQUIRE(r->size() == 1u);
        return r->front();
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(notifications, fixture)

BOOST_AUTO_TEST_CASE(create_answers_one_subscription_and_a_wildcard_one_per_action_each_with_its_secret)
{
    cw::notifications_client c(ioc.get_executor(), options());
    auto const one = create_one(c, "vehicle.added");
    BOOST_TEST(one.event_name == "vehicle.added");
    BOOST_TEST(one.secret == "a-secret-of-the-partner-123"); // in clear, this once
    BOOST_TEST(one.status == "active");
    BOOST_TEST(one.url == "https://partner.example/hooks/catena");

    cw::webhook_create w;
    w.url = "https://partner.example/hooks/lifecycle";
    w.event_name = "invitation.*";
    w.filters = cw::webhook_filters{std::nullopt, std::vector<std::string>{"FLEET-1"}};
    auto r = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.create(w, h); });
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->size() == 7u);
    std::set<std::string> ids, events, secrets;
    for(auto const& s : *r)
    {
        ids.insert(s.id);
        events.insert(s.event_name);
        secrets.insert(s.secret);
        BOOST_REQUIRE(s.filters.has_value());
        BOOST_TEST(!s.filters->fleet_ids.has_value());
        BOOST_TEST(s.filters->fleet_refs.value() == std::vector<std::string>{"FLEET-1"});
    }
    BOOST_TEST(ids.size() == 7u);
    BOOST_TEST(events.contains("invitation.accepted"));
    BOOST_TEST(!secrets.contains(""));
}

BOOST_AUTO_TEST_CASE(list_follows_every_page_and_filters_by_event_and_status)
{
    cw::notifications_client c(ioc.get_executor(), options());
    for(int i = 0; i < 7; ++i)
        create_one(c, "vehicle.added", "https://partner.example/hooks/" + std::to_string(i));
    auto const other = create_one(c, "trailer.added");
    api.set_status(other.id, "stale");
    cw::webhook_query q;
    q.size = 3;
    auto all = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list(q, h); });
    BOOST_REQUIRE(all.has_value());
    BOOST_TEST(all->size() == 8u);
    for(auto const& s : *all)
    {
        BOOST_TEST(s.secret == "*****"); // the read model redacts
        BOOST_TEST(s.url.find("/*****") != std::string::npos);
    }
    q.event_name = "vehicle.added";
    BOOST_TEST(run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list(q, h); })->size() == 7u);
    cw::webhook_query stale;
    stale.status = "stale";
    auto s = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list(stale, h); });
    BOOST_REQUIRE(s->size() == 1u);
    BOOST_TEST(s->front().id == other.id);

    auto first = run<cw::api_page<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list_page(q, h); });
    BOOST_TEST(first->items.size() == 3u);
    BOOST_TEST(first->next_page == "c-3");
}

BOOST_AUTO_TEST_CASE(get_update_pause_activate_and_delete_change_what_the_api_holds)
{
    cw::notifications_client c(ioc.get_executor(), options());
    auto const s = create_one(c, "vehicle.added");
    auto got = run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.get(s.id, h); });
    BOOST_TEST(got->id == s.id);
    cw::webhook_update u;
    u.url = "https://partner.example/hooks/moved";
    u.secret = "a-rotated-secret-456";
    auto updated = run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.update(s.id, u, h); });
    BOOST_REQUIRE(updated.has_value());
    BOOST_TEST(api.stored(s.id).at("url").as_string() == "https://partner.example/hooks/moved");
    BOOST_TEST(api.stored(s.id).at("secret").as_string() == "a-rotated-secret-456");
    BOOST_TEST(api.stored(s.id).at("filters").is_null()); // not sent, not changed

    BOOST_TEST(run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.pause(s.id, h); })->status == "paused");
    api.set_status(s.id, "stale");
    BOOST_TEST(run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.activate(s.id, h); })->status == "active");
    BOOST_TEST(run<void>(c, [&](auto& cl, auto h) { cl.remove(s.id, h); }).has_value());
    auto gone = run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.get(s.id, h); });
    BOOST_REQUIRE(!gone.has_value());
    BOOST_TEST((gone.error().ec == cw::error::api_not_found));
    BOOST_TEST(gone.error().status == 404u);
    BOOST_TEST(gone.error().message == "Webhook not found");
}

BOOST_AUTO_TEST_CASE(replay_metrics_logs_and_schemas)
{
    cw::notifications_client c(ioc.get_executor(), options());
    auto const s = create_one(c, "vehicle.added");
    api.set_status(s.id, "stale");
    BOOST_TEST(run<void>(c, [&](auto& cl, auto h) { cl.replay(s.id, h); }).has_value());
    BOOST_TEST(api.seen().replays[s.id] == 1u);

    auto m = run<cw::webhook_metrics>(c, [&](auto& cl, auto h) { cl.metrics(s.id, h); });
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->webhook_id == s.id);
    BOOST_TEST(m->dlq_count == 17u);
    BOOST_TEST(m->ewma_success_rate.value() == 0.62);
    BOOST_TEST(m->windows.size() == 4u);
    BOOST_TEST(m->windows.at("24h").http_attempts == 120u);
    BOOST_TEST(m->windows.at("24h").success_rate.value() == 98.0);
    BOOST_TEST(!m->windows.at("6h").success_rate.has_value());

    api.add_logs(s.id, 12);
    cw::log_query lq;
    lq.size = 5;
    auto logs = run<std::vector<cw::webhook_log>>(c, [&](auto& cl, auto h) { cl.logs(s.id, lq, h); });
    BOOST_REQUIRE(logs.has_value());
    BOOST_TEST(logs->size() == 12u);
    BOOST_TEST(logs->at(3).status == "failed");
    BOOST_TEST(logs->at(3).status_code.value() == 503u);

    auto schema = run<cw::event_schema>(c, [&](auto& cl, auto h) { cl.schema("vehicle.added", "", h); });
    BOOST_REQUIRE(schema.has_value());
    BOOST_TEST(schema->version == "1.0");
    BOOST_TEST(schema->openapi_schema.find("openapi") != std::string::npos);
    BOOST_TEST(run<cw::event_schema>(c, [&](auto& cl, auto h) { cl.schema("vehicle.added", "1.1", h); })->version == "1.1");
    BOOST_TEST((run<cw::event_schema>(c, [&](auto& cl, auto h) { cl.schema("nothing.here", "", h); }).error().ec ==
                cw::error::api_not_found));
}

BOOST_AUTO_TEST_CASE(one_token_serves_many_calls_and_concurrent_calls_wait_for_one_refresh)
{
    cw::notifications_client c(ioc.get_executor(), options());
    int done = 0;
    for(int i = 0; i < 12; ++i)
        c.list(cw::webhook_query{}, [&done](auto r) { done += r.has_value() ? 1 : 0; });
    ioc.run();
    BOOST_TEST(done == 12);
    BOOST_TEST(api.seen().token_requests == 1u);
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); }).has_value());
    BOOST_TEST(api.seen().token_requests == 1u);
    BOOST_TEST(c.stats().token_requests == 1u);
    BOOST_TEST(c.stats().requests == 16u); // 15 calls and the token
}

BOOST_AUTO_TEST_CASE(an_expiring_token_is_refreshed_before_use_and_a_revoked_one_after_its_401)
{
    api.set_token_lifetime(std::chrono::seconds(20)); // under the 30 s margin: a new one per call
    cw::notifications_client c(ioc.get_executor(), options());
    BOOST_TEST(run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); }).has_value());
    BOOST_TEST(run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); }).has_value());
    BOOST_TEST(api.seen().token_requests == 2u);
    BOOST_TEST(api.seen().unauthorized == 0u); // refreshed before it expired, never refused

    api.set_token_lifetime(std::chrono::seconds(600));
    BOOST_TEST(run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); }).has_value());
    api.revoke_tokens();
    BOOST_TEST(run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); }).has_value());
    BOOST_TEST(api.seen().unauthorized == 1u);
    BOOST_TEST(api.seen().token_requests == 4u);
}

BOOST_AUTO_TEST_CASE(a_422_carries_its_detail_list_a_409_and_a_404_are_answered_at_once)
{
    cw::notifications_client c(ioc.get_executor(), options());
    cw::webhook_create w;
    w.url = "http://partner.example/plain";
    w.event_name = "vehicle.added";
    auto bad = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.create(w, h); });
    BOOST_REQUIRE(!bad.has_value());
    BOOST_TEST((bad.error().ec == cw::error::api_bad_request));
    BOOST_TEST(bad.error().status == 422u);
    BOOST_TEST(bad.error().code == "validation_error");
    BOOST_REQUIRE(bad.error().details.size() == 1u);
    BOOST_TEST(bad.error().details[0].path == R"(["body","url"])");
    BOOST_TEST(bad.error().details[0].error_type == "url_scheme");
    BOOST_TEST(bad.error().what().find("URL scheme should be 'https'") != std::string::npos);

    create_one(c, "vehicle.added");
    w.url = "https://partner.example/hooks/catena";
    w.secret = "a-secret-of-the-partner-123";
    auto dup = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.create(w, h); });
    BOOST_TEST((dup.error().ec == cw::error::api_conflict));
    BOOST_TEST(dup.error().status == 409u);
    auto const before = api.seen().api_requests;
    BOOST_TEST((run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.get("no-such-id", h); }).error().ec ==
                cw::error::api_not_found));
    BOOST_TEST(api.seen().api_requests == before + 1); // never retried
    BOOST_TEST(c.stats().retries == 0u);
}

BOOST_AUTO_TEST_CASE(a_429_is_retried_after_its_retry_after_and_5xx_with_backoff_within_the_bound)
{
    cw::notifications_client c(ioc.get_executor(), options());
    auto const s = create_one(c, "vehicle.added");
    api.fail_next(429, 2, 1);
    BOOST_TEST(run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.get(s.id, h); }).has_value());
    BOOST_TEST(c.stats().retries == 2u);

    api.fail_next(503, 2);
    BOOST_TEST(run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.get(s.id, h); }).has_value());
    BOOST_TEST(c.stats().retries == 4u);

    api.fail_next(500, 10);
    auto failed = run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.get(s.id, h); });
    BOOST_REQUIRE(!failed.has_value());
    BOOST_TEST((failed.error().ec == cw::error::api_server_error));
    BOOST_TEST(failed.error().status == 500u);
    BOOST_TEST(c.stats().retries == 7u); // 4 attempts in all

    api.fail_next(429, 1, 3600); // longer than max_retry_after: not waited for
    auto limited = run<cw::webhook_subscription>(c, [&](auto& cl, auto h) { cl.get(s.id, h); });
    BOOST_REQUIRE(!limited.has_value());
    BOOST_TEST((limited.error().ec == cw::error::api_rate_limited));
    BOOST_TEST(limited.error().retry_after.value() == std::chrono::seconds(3600));
    BOOST_TEST(c.stats().retries == 7u);
}

BOOST_AUTO_TEST_CASE(an_unreachable_or_untrusted_api_is_api_unreachable_after_the_retries)
{
    auto o = options();
    {
        net::io_context probe;
        net::ip::tcp::acceptor a(probe, {net::ip::make_address("127.0.0.1"), 0});
        o.api_url = "https://127.0.0.1:" + std::to_string(a.local_endpoint().port());
        o.auth_url = o.api_url + "/token";
    } // closed: connections are refused
    o.max_attempts = 2;
    cw::notifications_client closed(ioc.get_executor(), o);
    auto r = run<std::vector<cw::webhook_subscription>>(closed, [&](auto& cl, auto h) { cl.list({}, h); });
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error().ec == cw::error::api_unreachable));
    BOOST_TEST(r.error().message.find("cannot connect to 127.0.0.1:") != std::string::npos, r.error().message);
    BOOST_TEST(closed.stats().retries == 1u);

    auto untrusted = options();
    untrusted.ca_file = tst::make_self_signed(tst::make_temp_dir("other-ca")).certificate;
    untrusted.max_attempts = 1;
    cw::notifications_client c(ioc.get_executor(), untrusted);
    auto t = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); });
    BOOST_REQUIRE(!t.has_value());
    BOOST_TEST((t.error().ec == cw::error::api_unreachable));
    BOOST_TEST(t.error().message.find("TLS with 127.0.0.1:") != std::string::npos, t.error().message);
    BOOST_TEST(api.seen().token_requests == 0u);
}

BOOST_AUTO_TEST_CASE(refused_credentials_are_api_unauthorized_and_no_credential_appears_in_any_error)
{
    auto o = options();
    o.client_secret = "wrong-secret-value-987";
    cw::notifications_client c(ioc.get_executor(), o);
    auto r = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); });
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error().ec == cw::error::api_unauthorized));
    BOOST_TEST(r.error().what() == "HTTP 401 invalid_client: token endpoint: Invalid client credentials");
    BOOST_TEST(c.stats().retries == 0u);

    // Every error a good client meets along the way: none names a secret or a token.
    cw::notifications_client good(ioc.get_executor(), options());
    std::vector<std::string> said{r.error().what()};
    api.fail_next(500, 4);
    said.push_back(run<cw::webhook_subscription>(good, [&](auto& cl, auto h) { cl.get("x", h); }).error().what());
    cw::webhook_create w;
    w.url = "https://partner.example/x";
    w.event_name = "vehicle.added";
    w.secret = "short-sec";
    said.push_back(run<std::vector<cw::webhook_subscription>>(good, [&](auto& cl, auto h) { cl.create(w, h); }).error().what());
    for(auto const& s : said)
    {
        BOOST_TEST(s.find(fake::client_secret) == std::string::npos, s);
        BOOST_TEST(s.find("wrong-secret-value-987") == std::string::npos, s);
        BOOST_TEST(s.find("short-sec") == std::string::npos, s);
        BOOST_TEST(s.find("tok-") == std::string::npos, s);
    }
    BOOST_TEST(said.back().find("at least 12 characters") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(options_that_cannot_work_are_named_before_any_call)
{
    auto o = options();
    BOOST_TEST(cw::check_notifications_options(o).empty());
    o.api_url = "http://api.catenatelematics.com";
    BOOST_TEST(cw::check_notifications_options(o).find("http:// only to a loopback address") != std::string::npos);
    o.api_url = "ftp://x";
    BOOST_TEST(!cw::check_notifications_options(o).empty());
    o = options();
    o.client_secret.clear();
    BOOST_TEST(cw::check_notifications_options(o).find("CATENA_CLIENT_SECRET") != std::string::npos);
    cw::notifications_client c(ioc.get_executor(), o);
    auto r = run<std::vector<cw::webhook_subscription>>(c, [&](auto& cl, auto h) { cl.list({}, h); });
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(api.seen().token_requests == 0u);
    BOOST_TEST(api.seen().api_requests == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_notifications
