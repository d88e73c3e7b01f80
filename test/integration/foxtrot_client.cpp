// SPDX-License-Identifier: BSL-1.0
// test/integration/foxtrot_client.cpp - Foxtrot's management client against a fake of its documented API.
#include "fake_foxtrot_api.hpp"
#include "tls_material.hpp"

#include <catena/webhooks/foxtrot.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>

namespace integration_foxtrot_client { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace fx = catena::webhooks::foxtrot;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
using fake = tst::fake_foxtrot_api;

struct fixture
{
    std::string dir = tst::make_temp_dir("foxtrot");
    fake api{dir};
    net::io_context ioc;

    fx::client_options options() const
    {
        fx::client_options o;
        o.api_url = api.api_url();
        o.ca_file = api.ca_file();
        o.api_key = fake::api_key;
        o.initial_backoff = std::chrono::milliseconds(10);
        o.max_backoff = std::chrono::milliseconds(40);
        o.timeout = std::chrono::milliseconds(5000);
        return o;
    }

    template<class T, class Call>
    cw::api_result<T> run(Call call)
    {
        std::optional<cw::api_result<T>> out;
        call([&out](cw::api_result<T> r) { out.emplace(std::move(r)); });
        ioc.restart();
        ioc.run();
        BOOST_REQUIRE_MESSAGE(out.has_value(), "the call completed");
        return std::move(*out);
    }
};

fx::webhook_create route_events(std::string url = "https://partner.example/webhooks/foxtrot/token-123")
{
    return {std::move(url), {"ROUTE_CREATED", "ROUTE_ETAS_CHANGED"}, {"dc-1", "dc-2"}};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(foxtrot_client, fixture)

BOOST_AUTO_TEST_CASE(create_list_enable_disable_and_delete_go_through_the_wrapper)
{
    fx::client c(ioc.get_executor(), options());
    auto made = run<fx::webhook>([&](auto h) { c.create(route_events(), h); });
    BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? std::string() : made.error().what()));
    BOOST_TEST(made->url == "https://partner.example/webhooks/foxtrot/token-123"); // webhook_url in, url out
    BOOST_TEST(made->enabled);
    BOOST_TEST(made->events.size() == 2u);
    BOOST_TEST(made->dc_ids.at(1) == "dc-2");
    BOOST_TEST(api.stored(made->id).as_object().at("url") == "https://partner.example/webhooks/foxtrot/token-123");

    auto const other = api.add("https://elsewhere.example/h", {"WAYPOINT_STATUS_CHANGED"}, {}, false);
    auto all = run<std::vector<fx::webhook>>([&](auto h) { c.list(h); });
    BOOST_REQUIRE(all.has_value());
    BOOST_REQUIRE_EQUAL(all->size(), 2u);
    BOOST_TEST(!all->at(1).enabled);
    BOOST_TEST(all->at(1).id == other);

    auto off = run<fx::webhook>([&](auto h) { c.set_enabled(made->id, false, h); });
    BOOST_REQUIRE(off.has_value());
    BOOST_TEST(!off->enabled);
    BOOST_TEST(!api.stored(made->id).as_object().at("enabled").as_bool());
    auto on = run<fx::webhook>([&](auto h) { c.set_enabled(made->id, true, h); });
    BOOST_REQUIRE(on.has_value());
    BOOST_TEST(on->enabled);

    auto gone = run<void>([&](auto h) { c.remove(made->id, h); });
    BOOST_REQUIRE(gone.has_value());
    BOOST_TEST(api.count() == 1u);
    auto const lines = api.request_lines();
    BOOST_TEST(lines.at(0) == "POST /webhooks");
    BOOST_TEST(lines.at(1) == "GET /webhooks");
    BOOST_TEST(lines.at(2) == "PATCH /webhooks/" + made->id);
    BOOST_TEST(lines.at(4) == "DELETE /webhooks/" + made->id);
}

BOOST_AUTO_TEST_CASE(a_400_names_its_error_code_and_is_not_retried)
{
    fx::client c(ioc.get_executor(), options());
    auto bad_url = run<fx::webhook>([&](auto h) { c.create(route_events("not a url"), h); });
    BOOST_REQUIRE(!bad_url.has_value());
    BOOST_TEST((bad_url.error().ec == cw::error::api_bad_request));
    BOOST_TEST(bad_url.error().status == 400u);
    BOOST_TEST(bad_url.error().code == "INVALID_URL");
    BOOST_TEST(bad_url.error().message.find("webhook_url") != std::string::npos);
    auto bad_events = run<fx::webhook>([&](auto h) { c.create({"https://p.example/h", {"route.created"}, {}}, h); });
    BOOST_REQUIRE(!bad_events.has_value());
    BOOST_TEST(bad_events.error().code == "INVALID_EVENTS");
    BOOST_TEST(api.requests() == 2u); // one attempt each
    BOOST_TEST(c.stats().errors == 2u);
}

BOOST_AUTO_TEST_CASE(an_unknown_id_is_a_404_with_its_message)
{
    fx::client c(ioc.get_executor(), options());
    auto patch = run<fx::webhook>([&](auto h) { c.set_enabled("wh-404", true, h); });
    BOOST_REQUIRE(!patch.has_value());
    BOOST_TEST((patch.error().ec == cw::error::api_not_found));
    BOOST_TEST(patch.error().message == "Webhook not found");
    auto del = run<void>([&](auto h) { c.remove("wh-404", h); });
    BOOST_REQUIRE(!del.has_value());
    BOOST_TEST((del.error().ec == cw::error::api_not_found));
}

BOOST_AUTO_TEST_CASE(a_wrong_key_is_a_401_and_the_key_header_is_configurable)
{
    auto o = options();
    o.api_key = "not-the-key";
    fx::client wrong(ioc.get_executor(), o);
    auto r = run<std::vector<fx::webhook>>([&](auto h) { wrong.list(h); });
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error().ec == cw::error::api_unauthorized));
    BOOST_TEST(r.error().message == "API key is invalid");
    BOOST_TEST(r.error().what().find("not-the-key") == std::string::npos); // never in an error

    fake elsewhere(dir, "X-Api-Key");
    auto x = options();
    x.api_url = elsewhere.api_url();
    x.ca_file = elsewhere.ca_file();
    x.key_header = "X-Api-Key";
    fx::client keyed(ioc.get_executor(), x);
    BOOST_TEST(run<std::vector<fx::webhook>>([&](auto h) { keyed.list(h); }).has_value());
    fx::client bearer(ioc.get_executor(), [&] {
        auto b = x;
        b.key_header = "Authorization";
        return b;
    }());
    BOOST_TEST(!run<std::vector<fx::webhook>>([&](auto h) { bearer.list(h); }).has_value());
}

BOOST_AUTO_TEST_CASE(a_5xx_or_429_is_retried_within_the_bound)
{
    auto o = options();
    o.max_attempts = 3;
    fx::client c(ioc.get_executor(), o);
    api.fail_next(503, 2);
    auto r = run<std::vector<fx::webhook>>([&](auto h) { c.list(h); });
    BOOST_TEST(r.has_value());
    BOOST_TEST(api.requests() == 3u);
    BOOST_TEST(c.stats().retries == 2u);
    api.fail_next(429, 1, 0);
    BOOST_TEST(run<std::vector<fx::webhook>>([&](auto h) { c.list(h); }).has_value());
    api.fail_next(500, 10);
    auto down = run<std::vector<fx::webhook>>([&](auto h) { c.list(h); });
    BOOST_REQUIRE(!down.has_value());
    BOOST_TEST((down.error().ec == cw::error::api_server_error));
    BOOST_TEST(api.requests() == 3u + 2u + 3u);
}

BOOST_AUTO_TEST_CASE(the_wrapper_and_the_options_are_checked)
{
    BOOST_TEST(fx::unwrap(boost::json::parse(R"({"status":"success","data":{"x":1}})")).value().as_object().at("x") == 1);
    BOOST_TEST((fx::unwrap(boost::json::parse(R"({"status":"error","data":{}})")).error().ec ==
                cw::error::api_bad_response));
    BOOST_TEST((fx::parse_webhook(boost::json::parse(R"({"url":"https://x"})")).error().ec == cw::error::api_bad_response));
    BOOST_TEST((fx::parse_webhook(boost::json::parse(R"({"id":"a","events":"ROUTE_CREATED"})")).error().ec ==
                cw::error::api_bad_response));
    auto const nested = fx::parse_error(400, R"({"status":"error","data":{"code":"BAD_DC","message":"unknown dc"}})");
    BOOST_TEST(nested.code == "BAD_DC");
    BOOST_TEST(nested.message == "unknown dc");
    fx::client_options o;
    o.api_key = "k";
    BOOST_TEST(fx::check_client_options(o).find("URL is needed") != std::string::npos);
    o.api_url = "http://api.foxtrot.example";
    BOOST_TEST(fx::check_client_options(o).find("loopback") != std::string::npos);
    o.api_url = "https://api.foxtrot.example";
    BOOST_TEST(fx::check_client_options(o).empty());
    o.api_key.clear();
    BOOST_TEST(fx::check_client_options(o).find("FOXTROT_API_KEY") != std::string::npos);
    // A client with unusable options fails its calls without a request.
    fx::client c(ioc.get_executor(), o);
    auto r = run<std::vector<fx::webhook>>([&](auto h) { c.list(h); });
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST((r.error().ec == cw::error::api_unreachable));
}

// Every way an answer or the options can be wrong is refused with its own reason.
BOOST_AUTO_TEST_CASE(every_malformed_answer_and_option_is_refused_with_its_reason)
{
    auto const bad = [](auto const& r) { return !r.has_value() && r.error().ec == cw::error::api_bad_response; };
    BOOST_TEST(bad(fx::unwrap(boost::json::parse(R"(["success"])"))));
    BOOST_TEST(fx::unwrap(boost::json::parse(R"({"status":"success"})")).value().is_null()); // no data: null
    BOOST_TEST(bad(fx::parse_webhook(boost::json::parse(R"("wh-1")"))));
    BOOST_TEST(bad(fx::parse_webhook(boost::json::parse(R"({"id":"a","events":["ROUTE_CREATED",7]})"))));
    BOOST_TEST(bad(fx::parse_webhook(boost::json::parse(R"({"id":"a","dc_ids":"dc-1"})"))));
    auto const w = fx::parse_webhook(boost::json::parse(R"({"id":"a","enabled":false,"dc_ids":null,"events":["X"]})"));
    BOOST_REQUIRE(w.has_value());
    BOOST_TEST(!w->enabled);
    BOOST_TEST(w->dc_ids.empty());
    BOOST_TEST(w->events == std::vector<std::string>{"X"}, boost::test_tools::per_element());
    // The error's code and message, wherever the wrapper put them.
    auto const by_error_code = fx::parse_error(409, R"({"status":"error","error":{"error_code":"DUPLICATE"}})");
    BOOST_TEST(by_error_code.code == "DUPLICATE");
    auto const text = fx::parse_error(500, R"({"status":"error","data":"the database is down"})");
    BOOST_TEST(text.message == "the database is down");
    auto const top = fx::parse_error(400, R"({"status":"error","error_code":"BAD"})");
    BOOST_TEST(top.code == "BAD");
    fx::client_options o;
    o.api_url = "https://api.foxtrot.example";
    o.api_key = "k";
    o.key_header = "X-Api-Key: evil";
    BOOST_TEST(fx::check_client_options(o).find("header name") != std::string::npos);
    o.key_header = "X-Api-Key";
    o.max_attempts = 0;
    BOOST_TEST(fx::check_client_options(o).find("must be positive") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_foxtrot_client
