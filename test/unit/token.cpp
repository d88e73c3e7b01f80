// SPDX-License-Identifier: BSL-1.0
// test/unit/token.cpp - shared tokens: compared whole, never empty, "Bearer " in any case.
#include "detail/token.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace unit_token { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::detail;
using namespace std::string_view_literals;

} // namespace

BOOST_AUTO_TEST_SUITE(token)

BOOST_AUTO_TEST_CASE(a_token_equals_only_itself)
{
    BOOST_TEST(token_equal("s3cret", "s3cret"));
    BOOST_TEST(!token_equal("s3cret", "s3creT"));
    BOOST_TEST(!token_equal("s3cre", "s3cret"));  // a prefix
    BOOST_TEST(!token_equal("s3cret!", "s3cret")); // longer
    BOOST_TEST(!token_equal("", "s3cret"));
    // Bytes past a NUL count.
    BOOST_TEST(!token_equal("ab\0c"sv, "ab\0d"sv));
    BOOST_TEST(token_equal("ab\0c"sv, "ab\0c"sv));
    std::string const long_token(10'000, 'x');
    BOOST_TEST(token_equal(long_token, long_token));
    BOOST_TEST(!token_equal(long_token + "y", long_token));
}

BOOST_AUTO_TEST_CASE(an_empty_expected_token_matches_nothing)
{
    BOOST_TEST(!token_equal("", ""));
    BOOST_TEST(!token_equal("anything", ""));
    BOOST_TEST(!bearer_matches("Bearer ", ""));
    BOOST_TEST(!bearer_matches("Bearer x", ""));
}

BOOST_AUTO_TEST_CASE(bearer_is_stripped_in_any_case_and_only_with_a_token_after_it)
{
    BOOST_TEST(strip_bearer("Bearer abc") == "abc");
    BOOST_TEST(strip_bearer("bearer abc") == "abc");
    BOOST_TEST(strip_bearer("BEARER abc") == "abc");
    BOOST_TEST(strip_bearer("Bearer  abc") == " abc"); // one space is the separator
    BOOST_TEST(strip_bearer("Bearer ") == "Bearer ");  // nothing after it: not a bearer token
    BOOST_TEST(strip_bearer("Bearer") == "Bearer");
    BOOST_TEST(strip_bearer("Basic abc") == "Basic abc");
    BOOST_TEST(strip_bearer("Bearerabc") == "Bearerabc");
    BOOST_TEST(strip_bearer("abc") == "abc");
    BOOST_TEST(strip_bearer("") == "");
}

BOOST_AUTO_TEST_CASE(an_authorization_header_matches_bearer_and_the_token_only)
{
    BOOST_TEST(bearer_matches("Bearer t0k", "t0k"));
    BOOST_TEST(bearer_matches("bEaReR t0k", "t0k"));
    BOOST_TEST(!bearer_matches("t0k", "t0k"));          // no scheme
    BOOST_TEST(!bearer_matches("Basic t0k", "t0k"));    // another scheme
    BOOST_TEST(!bearer_matches("Bearer t0k ", "t0k"));  // a byte more
    BOOST_TEST(!bearer_matches("Bearer T0K", "t0k"));   // the token's case counts
    BOOST_TEST(!bearer_matches("Bearer", "t0k"));
    BOOST_TEST(!bearer_matches("", "t0k"));
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_token
