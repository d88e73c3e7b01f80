// SPDX-License-Identifier: BSL-1.0
// test/unit/operation.cpp - the operation a write call's 202 answers with, and a resource
// operation record read into an outcome (as webhooks and the Integrations API carry it).
#include <catena/webhooks/operation.hpp>

#include "detail/operation_record.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

namespace unit_operation { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;

BOOST_AUTO_TEST_SUITE(operation)

BOOST_AUTO_TEST_CASE(reads_the_operation_of_a_write_calls_202)
{
    auto const r = parse_operation_response(
        R"({"id":"op-1","created_at":"2025-12-11T14:22:05Z","updated_at":"2025-12-11T14:22:05Z","deleted_at":null,)"
        R"("partner_id":"p-1","connection_id":"conn-1","resource":"message","resource_id":null,"source_id":null,)"
        R"("operation_type":"create","payload":{"message_text":"hi"},"status":"pending","logs":[]})");
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->operation_id == "op-1");
    BOOST_TEST(r->connection_id == "conn-1");
    BOOST_TEST(r->resource == "message");
}

BOOST_AUTO_TEST_CASE(refuses_a_202_body_that_is_no_operation)
{
    for(auto const* body : {"", "[]", "{\"connection_id\":\"c\"}", "<html>", "{\"id\":42}"})
        BOOST_TEST_CONTEXT(body)
        {
            auto const r = parse_operation_response(body);
            BOOST_REQUIRE(!r.has_value());
            BOOST_TEST((r.error() == error::api_bad_response));
        }
}

BOOST_AUTO_TEST_CASE(a_failed_record_explains_itself_with_its_last_failed_attempt)
{
    auto const v = boost::json::parse(
        R"({"id":"op-2","connection_id":"conn-1","fleet_ref":"F1","resource":"message","operation_type":"create",)"
        R"("status":"failed","logs":[{"status":"failed","error_type":"network","error_details":"timeout"},)"
        R"({"status":"success"},{"status":"failed","error_type":"auth","error_details":"TSP answered 401",)"
        R"("response_status_code":401}]})");
    auto const r = detail::operation_of(v.as_object());
    BOOST_TEST(r.operation_id == "op-2");
    BOOST_TEST(r.fleet_ref == "F1");
    BOOST_TEST(r.error_type == "auth");
    BOOST_TEST(r.error_details == "TSP answered 401");
    BOOST_TEST(r.response_status_code.value_or(0) == 401);
    BOOST_TEST((detail::record_status(v.as_object()) == operation_status::failed));
}

BOOST_AUTO_TEST_CASE(reads_only_the_statuses_catena_documents)
{
    auto status = [](char const* s) { return detail::record_status(boost::json::parse(s).as_object()); };
    BOOST_TEST((status(R"({"status":"pending"})") == operation_status::pending));
    BOOST_TEST((status(R"({"status":"success"})") == operation_status::success));
    BOOST_TEST((status(R"({"status":"failed"})") == operation_status::failed));
    BOOST_TEST(!status(R"({"status":"done"})").has_value());
    BOOST_TEST(!status(R"({})").has_value());
}

BOOST_AUTO_TEST_CASE(names_sources_and_statuses)
{
    BOOST_TEST(to_string(operation_source::poll) == "poll");
    BOOST_TEST(to_string(operation_source::webhook) == "webhook");
    BOOST_TEST(to_string(operation_source::timeout) == "timeout");
    BOOST_TEST(to_string(operation_status::timed_out) == "timed_out");
}

BOOST_AUTO_TEST_SUITE_END() // operation

} // namespace

} // namespace unit_operation
