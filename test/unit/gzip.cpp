// SPDX-License-Identifier: BSL-1.0
// test/unit/gzip.cpp - bounded gzip decoding and Content-Encoding classification.
#include <catena/webhooks/gzip.hpp>

#include "support.hpp"
#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <utility>

#include <random>

namespace unit_gzip { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tv = catena::webhooks::test;

std::string random_bytes(std::size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for(auto& c : s)
        c = static_cast<char>(rng());
    return s;
}

BOOST_AUTO_TEST_SUITE(gzip)

BOOST_AUTO_TEST_CASE(classifies_content_encoding)
{
    BOOST_TEST((classify_content_encoding("") == content_encoding::identity));
    BOOST_TEST((classify_content_encoding("identity") == content_encoding::identity));
    BOOST_TEST((classify_content_encoding("gzip") == content_encoding::gzip));
    BOOST_TEST((classify_content_encoding(" GZip ") == content_encoding::gzip));
    BOOST_TEST((classify_content_encoding("x-gzip") == content_encoding::gzip));
    BOOST_TEST((classify_content_encoding("br") == content_encoding::unsupported));
    BOOST_TEST((classify_content_encoding("deflate") == content_encoding::unsupported));
    BOOST_TEST((classify_content_encoding("gzip, br") == content_encoding::unsupported));
}

BOOST_AUTO_TEST_CASE(inflates_spec_tv2_transport_form)
{
    inflater inf;
    std::string out;
    BOOST_TEST(!inf.inflate(tv::base64_decode(tv::tv2_gzip_base64), out));
    BOOST_TEST(out == tv::tv2_body);
}

BOOST_AUTO_TEST_CASE(round_trips_and_reuses_state)
{
    inflater inf;
    std::string out;
    for(std::size_t n : {0u, 1u, 637u, 100000u, 3000000u})
    {
        BOOST_TEST_CONTEXT("size " << n)
        {
            auto plain = random_bytes(n, static_cast<unsigned>(n));
            BOOST_TEST(!inf.inflate(gzip_compress(plain), out));
            BOOST_TEST((out == plain));
        }
    }
}

// An inflater moved into another, or assigned over one, inflates as the original did.
BOOST_AUTO_TEST_CASE(a_moved_inflater_still_inflates)
{
    auto const plain = random_bytes(5000, 7);
    std::string out;
    inflater first;
    BOOST_TEST(!first.inflate(gzip_compress(plain), out));
    inflater second(std::move(first));
    out.clear();
    BOOST_TEST(!second.inflate(gzip_compress(plain), out));
    BOOST_TEST((out == plain));
    inflater third;
    third = std::move(second);
    out.clear();
    BOOST_TEST(!third.inflate(gzip_compress(plain), out));
    BOOST_TEST((out == plain));
}

BOOST_AUTO_TEST_CASE(rejects_truncated_stream)
{
    auto gz = gzip_compress(std::string(tv::tv1_body));
    inflater inf;
    std::string out;
    BOOST_TEST((inf.inflate("", out) == error::gzip_truncated));
    for(std::size_t cut : {std::size_t{1}, std::size_t{9}, gz.size() / 2, gz.size() - 1})
    {
        BOOST_TEST_CONTEXT("cut at " << cut)
        {
            BOOST_TEST((inf.inflate(std::string_view(gz).substr(0, cut), out) == error::gzip_truncated));
        }
    }
}

BOOST_AUTO_TEST_CASE(rejects_corrupt_stream)
{
    auto gz = gzip_compress(std::string(tv::tv1_body));
    inflater inf;
    std::string out;
    // Not gzip at all.
    BOOST_TEST((inf.inflate(tv::tv1_body, out) == error::gzip_corrupt));
    // Broken CRC32 in the trailer.
    auto bad_crc = gz;
    bad_crc[bad_crc.size() - 8] ^= 0x55;
    BOOST_TEST((inf.inflate(bad_crc, out) == error::gzip_corrupt));
    // Broken ISIZE in the trailer.
    auto bad_size = gz;
    bad_size[bad_size.size() - 1] ^= 0x01;
    BOOST_TEST((inf.inflate(bad_size, out) == error::gzip_corrupt));
    // Wrong compression method in the header.
    auto bad_method = gz;
    bad_method[2] = 7;
    BOOST_TEST((inf.inflate(bad_method, out) == error::gzip_corrupt));
    // The inflater stays usable after errors.
    BOOST_TEST(!inf.inflate(gz, out));
    BOOST_TEST(out == tv::tv1_body);
}

BOOST_AUTO_TEST_CASE(rejects_trailing_garbage)
{
    auto gz = gzip_compress(std::string(tv::tv1_body));
    inflater inf;
    std::string out;
    BOOST_TEST((inf.inflate(gz + "x", out) == error::gzip_trailing_garbage));
    // A second member counts as trailing bytes too: Catena sends one member.
    BOOST_TEST((inf.inflate(gz + gz, out) == error::gzip_trailing_garbage));
}

BOOST_AUTO_TEST_CASE(enforces_inflated_size_limit_exactly)
{
    inflate_limits lim;
    lim.max_inflated_bytes = 10000;
    lim.max_ratio = 1000000;
    inflater inf;
    std::string out;
    auto at_limit = random_bytes(10000, 1);
    BOOST_TEST(!inf.inflate(gzip_compress(at_limit), out, lim));
    BOOST_TEST(out.size() == 10000u);
    auto over = random_bytes(10001, 2);
    BOOST_TEST((inf.inflate(gzip_compress(over), out, lim) == error::inflated_too_large));
}

BOOST_AUTO_TEST_CASE(stops_gzip_bomb_by_ratio_before_size_limit)
{
    // 64 MiB of zeros compress to about 64 KiB: a 1000:1 bomb.
    auto bomb = gzip_compress(std::string(64u << 20, '\0'), 9);
    BOOST_TEST_MESSAGE("bomb is " << bomb.size() << " bytes");
    inflater inf;
    std::string out;
    inflate_limits lim; // 256:1 past 64 KiB by default
    lim.max_inflated_bytes = 8u << 20;
    BOOST_TEST((inf.inflate(bomb, out, lim) == error::inflate_ratio_exceeded));
    // The ratio check stopped it early: the buffer never grew near the 8 MiB cap.
    BOOST_TEST(out.size() < (1u << 20));
    // Without the ratio check the size cap still holds.
    lim.max_ratio = 1u << 30;
    BOOST_TEST((inf.inflate(bomb, out, lim) == error::inflated_too_large));
}

BOOST_AUTO_TEST_CASE(inflate_each_hands_over_the_same_bytes_in_pieces_of_at_most_64_kib)
{
    auto const body = random_bytes(300'000, 7) + std::string(500'000, 'x');
    auto const gz = gzip_compress(body);
    inflater inf;
    std::string joined;
    std::size_t largest = 0, pieces = 0;
    BOOST_TEST(!inf.inflate_each(gz, [&](std::string_view p) {
        joined.append(p);
        largest = std::max(largest, p.size());
        ++pieces;
    }));
    BOOST_TEST(joined == body);
    BOOST_TEST(largest <= (64u << 10));
    BOOST_TEST(pieces >= body.size() / (64u << 10));
}

BOOST_AUTO_TEST_CASE(inflate_each_applies_the_same_checks)
{
    inflater inf;
    auto const none = [](std::string_view) {};
    auto bomb = gzip_compress(std::string(64u << 20, '\0'), 9);
    BOOST_TEST((inf.inflate_each(bomb, none) == error::inflate_ratio_exceeded));
    inflate_limits small;
    small.max_inflated_bytes = 10'000;
    BOOST_TEST((inf.inflate_each(gzip_compress(random_bytes(10'001, 3)), none, small) == error::inflated_too_large));
    BOOST_TEST(!inf.inflate_each(gzip_compress(random_bytes(10'000, 3)), none, small));
    auto gz = gzip_compress(random_bytes(5000, 4));
    BOOST_TEST((inf.inflate_each(gz.substr(0, gz.size() - 3), none) == error::gzip_truncated));
    BOOST_TEST((inf.inflate_each(gz + "x", none) == error::gzip_trailing_garbage));
    BOOST_TEST((inf.inflate_each("", none) == error::gzip_truncated));
    gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 1); // the CRC
    BOOST_TEST((inf.inflate_each(gz, none) == error::gzip_corrupt));
}

BOOST_AUTO_TEST_CASE(small_bodies_are_not_subject_to_ratio)
{
    // 60 KiB of one byte: a high ratio, but under the ratio floor.
    inflater inf;
    std::string out;
    BOOST_TEST(!inf.inflate(gzip_compress(std::string(60u << 10, 'a'), 9), out));
    BOOST_TEST(out.size() == (60u << 10));
}

BOOST_AUTO_TEST_SUITE_END() // gzip

} // namespace

} // namespace unit_gzip
