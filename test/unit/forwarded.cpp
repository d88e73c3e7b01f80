// SPDX-License-Identifier: BSL-1.0
// test/unit/forwarded.cpp - who the client is behind a trusted reverse proxy: X-Forwarded-For and the PROXY protocol header.
#include "http/forwarded.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace unit_forwarded { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::detail;
namespace ip = boost::asio::ip;

std::vector<cidr> const trusted{*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8:ffff::/48")};
ip::address const proxy = ip::make_address("10.0.0.1");

// The client as text; "none" when the header names nobody.
std::string client(std::string_view xff)
{
    auto a = forwarded_client(proxy, xff, trusted);
    return a ? a->to_string() : "none";
}

std::string v2(unsigned char command, unsigned char family, std::string const& addresses)
{
    std::string h("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
    h.push_back(static_cast<char>(0x20 | command));
    h.push_back(static_cast<char>(family));
    h.push_back(static_cast<char>(addresses.size() >> 8));
    h.push_back(static_cast<char>(addresses.size() & 0xff));
    return h + addresses;
}

} // namespace

BOOST_AUTO_TEST_SUITE(forwarded)

BOOST_AUTO_TEST_CASE(the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy)
{
    BOOST_TEST(client("198.51.100.7") == "198.51.100.7");
    BOOST_TEST(client("203.0.113.9, 198.51.100.7") == "198.51.100.7"); // the left one was written by the client
    BOOST_TEST(client("198.51.100.7, 10.1.2.3") == "198.51.100.7");    // through a second trusted proxy
    BOOST_TEST(client("198.51.100.7,10.1.2.3 , 10.4.5.6") == "198.51.100.7");
    BOOST_TEST(client("10.1.2.3, 10.4.5.6") == "10.1.2.3"); // every hop trusted: the left-most
    BOOST_TEST(client("") == "10.0.0.1");                   // no header: the proxy itself
    BOOST_TEST(client("198.51.100.7:4711") == "198.51.100.7");
    BOOST_TEST(client("[2001:db8::7]:4711") == "2001:db8::7");
    BOOST_TEST(client("2001:db8::7") == "2001:db8::7");
    BOOST_TEST(client("::ffff:198.51.100.7") == "198.51.100.7");
    BOOST_TEST(client("garbage, 198.51.100.7") == "198.51.100.7"); // left of the client: never read
}

BOOST_AUTO_TEST_CASE(a_hop_that_is_no_address_where_the_client_should_be_names_nobody)
{
    BOOST_TEST(client("198.51.100.7, unknown") == "none");
    BOOST_TEST(client("not-an-address") == "none");
    BOOST_TEST(client("[2001:db8::7") == "none");
}

BOOST_AUTO_TEST_CASE(a_proxy_protocol_v1_header_names_the_client_and_its_length)
{
    std::string const line = "PROXY TCP4 198.51.100.7 192.0.2.1 4711 443\r\n";
    auto h = parse_proxy_header(line + "GET / HTTP/1.1\r\n");
    BOOST_TEST((h.status == proxy_header::state::complete));
    BOOST_TEST(h.length == line.size());
    BOOST_REQUIRE(h.source);
    BOOST_TEST(h.source->to_string() == "198.51.100.7");
    h = parse_proxy_header("PROXY TCP6 2001:db8::7 2001:db8::1 4711 443\r\n");
    BOOST_REQUIRE(h.source);
    BOOST_TEST(h.source->to_string() == "2001:db8::7");
    h = parse_proxy_header("PROXY UNKNOWN\r\n");
    BOOST_TEST((h.status == proxy_header::state::complete));
    BOOST_TEST(!h.source); // the proxy's own connection
}

BOOST_AUTO_TEST_CASE(a_proxy_protocol_v2_header_names_the_client_and_its_length)
{
    std::string const v4 = v2(1, 0x11, std::string("\xC6\x33\x64\x07\xC0\x00\x02\x01\x12\x67\x01\xBB", 12));
    auto h = parse_proxy_header(v4 + "\x16\x03\x01");
    BOOST_TEST((h.status == proxy_header::state::complete));
    BOOST_TEST(h.length == 28u);
    BOOST_REQUIRE(h.source);
    BOOST_TEST(h.source->to_string() == "198.51.100.7");
    std::string a6(36, '\0');
    a6[0] = '\x20';
    a6[1] = '\x01';
    a6[2] = '\x0d';
    a6[3] = '\xb8';
    a6[15] = '\x07';
    h = parse_proxy_header(v2(1, 0x21, a6 + "TLVs"));
    BOOST_TEST(h.length == 16u + 40u);
    BOOST_REQUIRE(h.source);
    BOOST_TEST(h.source->to_string() == "2001:db8::7");
    h = parse_proxy_header(v2(0, 0x00, "")); // LOCAL: a health check of the proxy's own
    BOOST_TEST((h.status == proxy_header::state::complete));
    BOOST_TEST(!h.source);
}

BOOST_AUTO_TEST_CASE(an_incomplete_header_asks_for_no_byte_past_its_end)
{
    std::string const v1 = "PROXY TCP4 198.51.100.7 192.0.2.1 4711 443\r\n";
    std::string const v2h = v2(1, 0x11, std::string(12, '\x01'));
    for(std::string const& whole : {v1, v2h})
    {
        // Read as a session reads it: exactly what the parser asks for each time.
        std::string have;
        int reads = 0;
        for(;;)
        {
            auto const h = parse_proxy_header(have);
            if(h.status == proxy_header::state::complete)
            {
                BOOST_TEST(h.length == whole.size());
                break;
            }
            BOOST_REQUIRE((h.status == proxy_header::state::incomplete));
            BOOST_REQUIRE(have.size() + h.more <= whole.size()); // never past the header
            have = whole.substr(0, have.size() + h.more);
            BOOST_REQUIRE(++reads < 200);
        }
    }
}

BOOST_AUTO_TEST_CASE(what_is_not_a_proxy_header_is_refused_early)
{
    auto const invalid = [](std::string_view b) {
        return parse_proxy_header(b).status == proxy_header::state::invalid;
    };
    BOOST_TEST(invalid("POST /webhooks/catena HTTP/1.1\r\n"));
    BOOST_TEST(invalid("\x16\x03\x01\x02\x00")); // a TLS handshake without the header
    BOOST_TEST(invalid("PROXY TCP4 198.51.100.7\r\n"));
    BOOST_TEST(invalid("PROXY TCP4 2001:db8::7 192.0.2.1 1 2\r\n")); // TCP4 with an IPv6 address
    BOOST_TEST(invalid("PROXY UDP9 a b c d\r\n"));
    BOOST_TEST(invalid("PROXY " + std::string(120, 'x')));          // no end within 107 bytes
    BOOST_TEST(invalid(v2(2, 0x11, std::string(12, '\0'))));          // an unknown command
    BOOST_TEST(invalid(v2(1, 0x11, std::string(4, '\0'))));           // too short for TCP4
    std::string big = v2(1, 0x11, "");
    big[14] = '\xff';
    BOOST_TEST(invalid(big)); // announces more than the bound
}

BOOST_AUTO_TEST_SUITE_END() // forwarded

} // namespace unit_forwarded
