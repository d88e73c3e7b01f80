// SPDX-License-Identifier: BSL-1.0
// test/unit/subscriptions.cpp - the Notifications API's shapes to and from JSON.
#include <catena/webhooks/subscriptions.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

namespace unit_subscriptions { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace json = boost::json;

} // namespace

BOOST_AUTO_TEST_SUITE(subscriptions)

BOOST_AUTO_TEST_CASE(create_and_update_bodies_carry_only_what_is_set)
{
    webhook_create c;
    c.url = "https://partner.example/hooks";
    c.event_name = "invitation.*";
    BOOST_TEST(json::serialize(to_json(c)) ==
               R"({"url":"https://partner.example/hooks","event_name":"invitation.*","filters":null})");
    c.filters = webhook_filters{std::vector<std::string>{"f-1"}, std::nullopt};
    c.secret = "a-secret-of-twelve";
    BOOST_TEST(json::serialize(to_json(c)) ==
               R"({"url":"https://partner.example/hooks","event_name":"invitation.*","filters":{"fleet_ids":["f-1"],"fleet_refs":null},"secret":"a-secret-of-twelve"})");
    webhook_update u;
    BOOST_TEST(json::serialize(to_json(u)) == "{}");
    u.status = "active";
    u.clear_filters = true;
    BOOST_TEST(json::serialize(to_json(u)) == R"({"filters":null,"status":"active"})");
}

BOOST_AUTO_TEST_CASE(a_subscription_parses_with_unknown_fields_ignored_and_null_fields_empty)
{
    auto v = json::parse(R"({"id":"wh-1","url":"https://x/*****","event_name":"vehicle.added","filters":null,
        "secret":"*****","status":"stale","created_at":"2026-01-01T00:00:00Z","deleted_at":null,"new_field":{"a":1}})");
    auto s = parse_subscription(v);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->id == "wh-1");
    BOOST_TEST(s->status == "stale");
    BOOST_TEST(!s->filters.has_value());
    BOOST_TEST(s->deleted_at.empty());
    BOOST_TEST((parse_subscription(json::parse(R"({"url":"x"})")).error().ec == error::api_bad_response));
    auto many = parse_created(json::parse(R"([{"id":"a"},{"id":"b"}])"));
    BOOST_TEST(many->size() == 2u);
    BOOST_TEST(parse_created(json::parse(R"({"id":"a"})"))->size() == 1u);
}

BOOST_AUTO_TEST_CASE(pages_metrics_and_schemas_parse_from_the_spec_shapes)
{
    auto p = parse_subscription_page(json::parse(
        R"({"items":[{"id":"a"}],"current_page":"c0","current_page_backwards":null,"previous_page":null,"next_page":"c1"})"));
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->items.size() == 1u);
    BOOST_TEST(p->next_page == "c1");
    BOOST_TEST(!parse_subscription_page(json::parse(R"({"data":[]})")).has_value());
    auto m = parse_metrics(json::parse(R"({"webhook_id":"a","http_attempts":{"6h":3,"24h":9},
        "success_rate":{"6h":null,"24h":97.5},"ewma_success_rate":null,"dlq_count":4})"));
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->windows.at("24h").http_attempts == 9u);
    BOOST_TEST(m->windows.at("24h").success_rate.value() == 97.5);
    BOOST_TEST(!m->windows.at("6h").success_rate.has_value());
    BOOST_TEST(!m->ewma_success_rate.has_value());
    BOOST_TEST(m->dlq_count == 4u);
    auto s = parse_schema(json::parse(R"({"event_name":"vehicle.added","version":"1.2","openapi_schema":{"openapi":"3.0.0"}})"));
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->openapi_schema == R"({"openapi":"3.0.0"})");
}

BOOST_AUTO_TEST_CASE(error_bodies_map_to_codes_with_their_detail_and_retry_after)
{
    auto e = parse_api_error(422, R"({"code":"validation_error","message":"Request validation failed","detail":[
        {"path":["body","secret"],"input":"hunter2","message":"too short","error_type":"string_too_short"}]})");
    BOOST_TEST((e.ec == error::api_bad_request));
    BOOST_REQUIRE(e.details.size() == 1u);
    BOOST_TEST(e.details[0].input == "hunter2");
    BOOST_TEST(e.what().find("hunter2") == std::string::npos); // inputs are never printed
    BOOST_TEST(e.what() == R"(HTTP 422 validation_error: Request validation failed; ["body","secret"]: too short)");
    auto r = parse_api_error(429, R"({"code":"rate_limited","message":"Too many","detail":{"retry_after_seconds":7.2}})");
    BOOST_TEST((r.ec == error::api_rate_limited));
    BOOST_TEST(r.retry_after.value() == std::chrono::seconds(8));
    BOOST_TEST((parse_api_error(401, "{}").ec == error::api_unauthorized));
    BOOST_TEST((parse_api_error(403, "{}").ec == error::api_unauthorized));
    BOOST_TEST((parse_api_error(404, "{}").ec == error::api_not_found));
    BOOST_TEST((parse_api_error(409, "{}").ec == error::api_conflict));
    BOOST_TEST((parse_api_error(503, "<html>Bad gateway</html>\nmore").ec == error::api_server_error));
    BOOST_TEST(parse_api_error(503, "<html>Bad gateway</html>\nmore").message == "<html>Bad gateway</html>");
    BOOST_TEST(parse_api_error(429, "", std::chrono::seconds(3)).retry_after.value() == std::chrono::seconds(3));
}

BOOST_AUTO_TEST_CASE(answers_that_are_not_the_documented_shapes_are_bad_responses)
{
    auto bad = [](auto const& r) { return !r.has_value() && r.error().ec == error::api_bad_response; };
    BOOST_TEST(bad(parse_subscription(json::parse(R"(["wh-1"])"))));
    // One bad item spoils the whole answer: a page, or what create answered.
    BOOST_TEST(bad(parse_subscription_page(json::parse(R"({"items":[{"id":"a"},{"url":"no id"}]})"))));
    BOOST_TEST(bad(parse_created(json::parse(R"([{"id":"a"},42])"))));
    BOOST_TEST(bad(parse_created(json::parse(R"({"url":"no id"})"))));
    BOOST_TEST(bad(parse_metrics(json::parse(R"([])"))));
    BOOST_TEST(bad(parse_log_page(json::parse(R"({"items":["not an entry"]})"))));
    BOOST_TEST(bad(parse_schema(json::parse(R"("vehicle.added")"))));
    auto const unversioned = parse_schema(json::parse(R"({"event_name":"vehicle.added"})"));
    BOOST_REQUIRE(bad(unversioned));
    BOOST_TEST(unversioned.error().message.find("without event_name or version") != std::string::npos);
    // A log page of good entries reads, the status code only when it is one.
    auto logs = parse_log_page(json::parse(R"({"items":[{"webhook_id":"a","status_code":200},{"status_code":-1}]})"));
    BOOST_REQUIRE(logs.has_value());
    BOOST_TEST(logs->items.at(0).status_code.value() == 200u);
    BOOST_TEST(!logs->items.at(1).status_code.has_value());
}

BOOST_AUTO_TEST_CASE(error_bodies_of_other_shapes_keep_their_code_and_message)
{
    // A numeric code, a detail that is a string, an object carrying the message, and detail
    // entries that are not objects (skipped).
    auto n = parse_api_error(400, R"({"code":4001,"detail":"the cursor has expired"})");
    BOOST_TEST((n.ec == error::api_bad_request));
    BOOST_TEST(n.code == "4001");
    BOOST_TEST(n.message == "the cursor has expired");
    auto o = parse_api_error(503, R"({"detail":{"message":"maintenance"}})");
    BOOST_TEST(o.message == "maintenance");
    BOOST_TEST(!o.retry_after.has_value());
    auto skipped = parse_api_error(422, R"({"message":"invalid","detail":["x",{"message":"too long"}]})");
    BOOST_REQUIRE(skipped.details.size() == 1u);
    BOOST_TEST(skipped.details[0].message == "too long");
    // A 429's wait is in its one line, and result::value() throws the error as system_error.
    auto const limited = parse_api_error(429, R"({"code":"rate_limited","message":"Too many"})", std::chrono::seconds(5));
    BOOST_TEST(limited.what() == "HTTP 429 rate_limited: Too many (retry after 5 s)");
    api_result<int> const r = limited;
    try
    {
        (void)r.value();
        BOOST_ERROR("value() of an error throws");
    }
    catch(boost::system::system_error const& e)
    {
        BOOST_TEST((e.code() == error::api_rate_limited));
        BOOST_TEST(std::string(e.what()).find("HTTP 429 rate_limited: Too many") != std::string::npos, e.what());
    }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_subscriptions
