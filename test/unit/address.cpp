// SPDX-License-Identifier: BSL-1.0
// test/unit/address.cpp - client addresses: networks in CIDR notation, IPv4-mapped addresses, budget keys.
#include "detail/address.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_address { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::detail;
namespace ip = boost::asio::ip;

} // namespace

BOOST_AUTO_TEST_SUITE(address)

BOOST_AUTO_TEST_CASE(addresses_are_budgeted_as_ipv4_or_an_ipv6_slash_64)
{
    BOOST_TEST(budget_key(ip::make_address("192.0.2.7")) == "192.0.2.7");
    BOOST_TEST(budget_key(ip::make_address("::ffff:192.0.2.7")) == "192.0.2.7");
    BOOST_TEST(budget_key(ip::make_address("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64");
    BOOST_TEST(budget_key(ip::make_address("2001:db8:1:2:ffff:ffff:ffff:ffff")) == "2001:db8:1:2::/64");
    BOOST_TEST(budget_key(ip::make_address("2001:db8:1:3::1")) == "2001:db8:1:3::/64");
}

BOOST_AUTO_TEST_CASE(an_ipv4_mapped_network_is_the_ipv4_network_it_names)
{
    auto const n = parse_cidr("::ffff:10.0.0.0/104");
    BOOST_REQUIRE(n);
    BOOST_TEST(n->network.is_v4());
    BOOST_TEST(n->prefix == 8u);
    BOOST_TEST(contains(*n, ip::make_address("10.1.2.3")));
    BOOST_TEST(contains(*n, ip::make_address("::ffff:10.1.2.3")));
    BOOST_TEST(!contains(*n, ip::make_address("11.0.0.1")));
    auto const one = parse_cidr("::ffff:192.0.2.7");
    BOOST_REQUIRE(one);
    BOOST_TEST(contains(*one, ip::make_address("192.0.2.7")));
    auto const wide = parse_cidr("::ffff:0.0.0.0/95"); // wider than the mapped range: an IPv6 network
    BOOST_REQUIRE(wide);
    BOOST_TEST(wide->network.is_v6());
    BOOST_TEST(!parse_cidr(std::string_view("10.0.0.0\0junk/8", 15))); // nothing hides behind a NUL
    BOOST_TEST(!parse_cidr("10.0.0.0/33"));
    BOOST_TEST(!parse_cidr("not-an-address"));
}

BOOST_AUTO_TEST_CASE(an_ipv4_mapped_peer_is_its_ipv4_address)
{
    BOOST_TEST(unmapped(ip::make_address("::ffff:192.0.2.7")) == ip::make_address("192.0.2.7"));
    BOOST_TEST(unmapped(ip::make_address("2001:db8::1")) == ip::make_address("2001:db8::1"));
    auto const c = client_of(ip::make_address("::ffff:192.0.2.7"));
    BOOST_TEST(c.ip.is_v4());
    BOOST_TEST(c.key == "192.0.2.7");
    std::vector<cidr> const nets{*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")};
    BOOST_TEST(contains(nets, ip::make_address("::ffff:10.9.9.9")));
    BOOST_TEST(contains(nets, ip::make_address("2001:db8:5::1")));
    BOOST_TEST(!contains(nets, ip::make_address("192.0.2.1")));
    BOOST_TEST(!contains(std::vector<cidr>{}, ip::make_address("10.0.0.1")));
}

BOOST_AUTO_TEST_SUITE_END() // address

} // namespace unit_address
