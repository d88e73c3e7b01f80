// SPDX-License-Identifier: BSL-1.0
// test/unit/framing.cpp - the framing rules a request must meet before anything else is read of it.
#include "http/framing.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_framing { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace http = boost::beast::http;

http::request_header<> request(unsigned version = 11)
{
    http::request_header<> h;
    h.version(version);
    h.method(http::verb::post);
    h.target("/webhooks/catena");
    h.insert(http::field::host, "receiver");
    return h;
}

} // namespace

BOOST_AUTO_TEST_SUITE(framing_)

BOOST_AUTO_TEST_CASE(transfer_encoding_must_be_exactly_chunked_once)
{
    BOOST_TEST((detail::check_framing(request()) == error{}));
    for(char const* ok : {"chunked", "Chunked", " chunked\t"})
    {
        auto h = request();
        h.insert(http::field::transfer_encoding, ok);
        BOOST_TEST((detail::check_framing(h) == error{}), ok);
    }
    for(char const* bad : {"gzip", "identity", "xchunked", "chunked, identity", "gzip, chunked", ""})
    {
        auto h = request();
        h.insert(http::field::transfer_encoding, bad);
        BOOST_TEST((detail::check_framing(h) == error::bad_transfer_encoding), bad);
    }
    auto twice = request();
    twice.insert(http::field::transfer_encoding, "chunked");
    twice.insert(http::field::transfer_encoding, "chunked");
    BOOST_TEST((detail::check_framing(twice) == error::bad_transfer_encoding));
}

BOOST_AUTO_TEST_CASE(http_1_1_needs_exactly_one_host_http_1_0_at_most_one)
{
    auto none = request();
    none.erase(http::field::host);
    BOOST_TEST((detail::check_framing(none) == error::bad_host));
    auto two = request();
    two.insert(http::field::host, "other");
    BOOST_TEST((detail::check_framing(two) == error::bad_host));
    auto old = request(10);
    old.erase(http::field::host);
    BOOST_TEST((detail::check_framing(old) == error{}));
    old.insert(http::field::host, "a");
    old.insert(http::field::host, "b");
    BOOST_TEST((detail::check_framing(old) == error::bad_host));
}

BOOST_AUTO_TEST_SUITE_END() // framing_

} // namespace unit_framing
