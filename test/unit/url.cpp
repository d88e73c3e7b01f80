// SPDX-License-Identifier: BSL-1.0
// test/unit/url.cpp - base URLs and escaping for the API client.
#include "detail/url.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_url { // this file's own: the test binaries compile a few files as one (unity build)

using namespace catena::webhooks;

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(base_urls_parse_with_default_ports_paths_and_ipv6)
{
    auto a = detail::parse_url("https://api.catenatelematics.com");
    BOOST_REQUIRE(a.has_value());
    BOOST_TEST(a->tls);
    BOOST_TEST(a->host == "api.catenatelematics.com");
    BOOST_TEST(a->port == "443");
    BOOST_TEST(a->base.empty());
    BOOST_TEST(!a->host_is_ip);
    auto b = detail::parse_url("https://auth.example:8443/realms/catena/token/");
    BOOST_TEST(b->port == "8443");
    BOOST_TEST(b->base == "/realms/catena/token");
    auto c = detail::parse_url("http://[::1]:9000/v");
    BOOST_REQUIRE(c.has_value());
    BOOST_TEST(!c->tls);
    BOOST_TEST(c->host == "::1");
    BOOST_TEST(c->host_is_ip);
    BOOST_TEST(detail::parse_url("http://localhost:8080").has_value());
}

BOOST_AUTO_TEST_CASE(plain_http_off_the_loopback_and_malformed_urls_are_refused)
{
    for(auto const* bad : {"http://api.catenatelematics.com", "http://10.0.0.1:80", "ftp://x", "https://", "https://:443",
                           "https://user@host", "https://host:port", "https://[::1", "api.example.com"})
        BOOST_TEST(!detail::parse_url(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(percent_encoding_keeps_only_unreserved_characters)
{
    BOOST_TEST(detail::percent_encode("abc-_.~XYZ09") == "abc-_.~XYZ09");
    BOOST_TEST(detail::percent_encode("a b/c?d&e=f") == "a%20b%2Fc%3Fd%26e%3Df");
    BOOST_TEST(detail::percent_encode("caf\xc3\xa9") == "caf%C3%A9");
}

BOOST_AUTO_TEST_CASE(percent_decoding_refuses_malformed_escapes)
{
    BOOST_TEST(detail::percent_decode("a%2Fb+c", true).value() == "a/b c");
    BOOST_TEST(detail::percent_decode("a+b", false).value() == "a+b");
    BOOST_TEST(detail::percent_decode("%e2%82%AC", false).value() == "\xe2\x82\xac");
    for(auto const* bad : {"%", "%2", "%zz", "abc%4"})
        BOOST_TEST(!detail::percent_decode(bad, true).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_url
