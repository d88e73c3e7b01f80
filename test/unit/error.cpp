// SPDX-License-Identifier: BSL-1.0
// test/unit/error.cpp - error codes, conditions, reason codes and HTTP statuses.
#include <catena/webhooks/error.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

namespace unit_error { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;

BOOST_AUTO_TEST_SUITE(error_)

BOOST_AUTO_TEST_CASE(category_is_named_catena_webhooks)
{
    error_code ec = error::signature_mismatch;
    BOOST_TEST(std::string(ec.category().name()) == "catena.webhooks");
    BOOST_TEST(!ec.message().empty());
}

BOOST_AUTO_TEST_CASE(errors_map_to_their_conditions)
{
    BOOST_TEST((error_code(error::timestamp_too_old) == condition::unauthenticated));
    BOOST_TEST((error_code(error::signature_mismatch) == condition::unauthenticated));
    BOOST_TEST((error_code(error::gzip_truncated) == condition::malformed));
    BOOST_TEST((error_code(error::inflate_ratio_exceeded) == condition::limit_exceeded));
    BOOST_TEST((error_code(error::unsupported_encoding) == condition::unsupported));
    BOOST_TEST((error_code(error::invalid_options) == condition::usage));
    BOOST_TEST((error_code(error::gzip_truncated) != condition::unauthenticated));
}

BOOST_AUTO_TEST_CASE(http_status_follows_condition)
{
    BOOST_TEST(http_status(error::missing_signature) == 401u);
    BOOST_TEST(http_status(error::timestamp_in_future) == 401u);
    BOOST_TEST(http_status(error::json_syntax) == 400u);
    BOOST_TEST(http_status(error::gzip_trailing_garbage) == 400u);
    BOOST_TEST(http_status(error::inflated_too_large) == 413u);
    BOOST_TEST(http_status(error::unsupported_encoding) == 415u);
    BOOST_TEST(http_status(error::not_found) == 404u);
    BOOST_TEST(http_status(error::method_not_allowed) == 405u);
    BOOST_TEST(http_status(error::header_timeout) == 408u);
    BOOST_TEST(http_status(error::body_timeout) == 408u);
    BOOST_TEST(http_status(error::headers_too_large) == 431u);
    BOOST_TEST(http_status(error::body_too_large) == 413u);
    BOOST_TEST(http_status(error::inbox_full) == 503u);
    BOOST_TEST(http_status(error::bad_request) == 400u);
    BOOST_TEST(http_status(error::bad_transfer_encoding) == 400u);
    BOOST_TEST(http_status(error::bad_host) == 400u);
    BOOST_TEST(http_status(error::peer_refused) == 503u); // never a 4xx: it proves nothing about a request
    BOOST_TEST(http_status(error::host_not_allowed) == 421u);
    BOOST_TEST(http_status(error::body_budget_exhausted) == 503u);
    BOOST_TEST(http_status(error::too_many_connections) == 503u);
    BOOST_TEST(http_status(error::already_started) == 500u);
    BOOST_TEST(http_status(make_error_code(boost::system::errc::io_error)) == 500u);
}

BOOST_AUTO_TEST_CASE(every_error_has_a_distinct_reason_code)
{
    std::set<std::string> seen;
    // Every error, to the last one declared (lib/verify/error.cpp asserts that bad_proxy_header is).
    for(int e = static_cast<int>(error::missing_signature); e <= static_cast<int>(error::bad_proxy_header); ++e)
    {
        auto const r = std::string(reason(make_error_code(static_cast<error>(e))));
        BOOST_TEST_CONTEXT("error " << e)
        {
            BOOST_TEST(r != "internal");
            BOOST_TEST(seen.insert(r).second);
        }
    }
    BOOST_TEST(seen.size() == static_cast<std::size_t>(error::bad_proxy_header));
    BOOST_TEST(reason(error::timestamp_too_old) == "timestamp_too_old");
    BOOST_TEST(reason(error::shutdown_timed_out) == "shutdown_timed_out");
    BOOST_TEST(reason(make_error_code(boost::system::errc::io_error)) == "internal");
}

// Errors that are reported, never answered, have no status of their own (0).
BOOST_AUTO_TEST_CASE(reported_only_errors_have_no_http_status)
{
    for(auto e : {error::clock_skew, error::shutdown_timed_out, error::api_unreachable, error::api_bad_request,
                  error::api_unauthorized, error::api_not_found, error::api_conflict, error::api_rate_limited,
                  error::api_server_error, error::api_bad_response, error::event_field_missing,
                  error::event_id_missing, error::route_unknown, error::penalty_started, error::penalty_ended})
        BOOST_TEST(http_status(e) == 0u, reason(e));
}

BOOST_AUTO_TEST_CASE(every_condition_has_its_own_message_and_unknown_values_say_so)
{
    std::set<std::string> seen;
    for(int c = static_cast<int>(condition::malformed); c <= static_cast<int>(condition::inconsistent); ++c)
    {
        auto const m = condition_category().message(c);
        BOOST_TEST(m != "unknown condition");
        BOOST_TEST(seen.insert(m).second, m);
    }
    BOOST_TEST(std::string(condition_category().name()) == "catena.webhooks.condition");
    BOOST_TEST(condition_category().message(0) == "unknown condition");
    BOOST_TEST(condition_category().message(999) == "unknown condition");
    BOOST_TEST(error_category().message(0) == "unknown catena.webhooks error");
    BOOST_TEST(error_category().message(999) == "unknown catena.webhooks error");
    // An unknown value is its own condition, equal to no documented one.
    error_code const unknown(999, error_category());
    BOOST_TEST((unknown.default_error_condition().category() == error_category()));
    BOOST_TEST((unknown != condition::malformed));
    BOOST_TEST(reason(unknown) == "internal");
    BOOST_TEST(http_status(unknown) == 500u);
    // Every documented error maps to one of the conditions.
    for(int e = static_cast<int>(error::missing_signature); e <= static_cast<int>(error::bad_proxy_header); ++e)
        BOOST_TEST((error_code(static_cast<error>(e)).default_error_condition().category() == condition_category()),
                   reason(static_cast<error>(e)));
}

BOOST_AUTO_TEST_SUITE_END() // error_

} // namespace

} // namespace unit_error
