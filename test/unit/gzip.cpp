// SPDX-License-Identifier: BSL-1.0
// test/unit/gzip.cpp - bounded gzip decoding and Content-Encoding classification.
#include <catena/webhooks/gzip.hpp>

#include "support.hpp"
#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <random>
#include <utility>

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

// `n` bytes of JSON records, each with its own numbers: compresses about as Catena's bodies do.
std::string json_body(std::size_t n)
{
    std::string s = R"({"data":[)";
    for(unsigned i = 0; s.size() < n; ++i)
        s += R"({"id":")" + std::to_string(i * 7919u) + R"(","speed":)" + std::to_string(i % 97) + "},";
    s.resize(n);
    return s;
}

// A member with the optional header fields (FEXTRA, FNAME, FCOMMENT, FHCRC), as zlib writes it.
std::string gzip_with_header_fields(std::string_view plain)
{
    z_stream zs{};
    BOOST_REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string name = "body.json", comment = "from a test", extra("ab\x04\x00wxyz", 8);
    gz_header head{};
    head.name = reinterpret_cast<Bytef*>(name.data());
    head.comment = reinterpret_cast<Bytef*>(comment.data());
    head.extra = reinterpret_cast<Bytef*>(extra.data());
    head.extra_len = static_cast<uInt>(extra.size());
    head.hcrc = 1;
    head.os = 3;
    BOOST_REQUIRE(deflateSetHeader(&zs, &head) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(plain.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
    zs.avail_in = static_cast<uInt>(plain.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    BOOST_REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// Both overloads' verdict on `gz`, and each one's bytes when it decodes.
struct both
{
    error_code whole, each;
    std::string whole_bytes, each_bytes;
};

both decode_both(inflater& inf, std::string_view gz, inflate_limits const& lim = {})
{
    both b;
    b.whole = inf.inflate(gz, b.whole_bytes, lim);
    b.each = inf.inflate_each(gz, [&](std::string_view p) { b.each_bytes.append(p); }, lim);
    return b;
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

// The size limit is exact whatever the output's steps: at the limit a body decodes, a byte
// under its size it is inflated_too_large, in both overloads, around the 64 KiB windows too.
BOOST_AUTO_TEST_CASE(decodes_at_the_size_limit_and_refuses_a_byte_under_it)
{
    inflater inf;
    for(std::size_t n : {std::size_t{1}, std::size_t{4096}, std::size_t{4097}, std::size_t{65535}, std::size_t{65536},
                         std::size_t{65537}, std::size_t{131072}, std::size_t{200'000}})
    {
        BOOST_TEST_CONTEXT("size " << n)
        {
            auto const body = json_body(n);
            auto const gz = gzip_compress(body);
            inflate_limits lim;
            lim.max_inflated_bytes = n;
            lim.max_ratio = std::size_t(-1);
            auto const at = decode_both(inf, gz, lim);
            BOOST_TEST(!at.whole);
            BOOST_TEST(!at.each);
            BOOST_TEST((at.whole_bytes == body));
            BOOST_TEST((at.each_bytes == body));
            lim.max_inflated_bytes = n - 1;
            auto const over = decode_both(inf, gz, lim);
            BOOST_TEST((over.whole == error::inflated_too_large));
            BOOST_TEST((over.each == error::inflated_too_large));
            BOOST_TEST(over.each_bytes.size() <= n - 1);
        }
    }
}

// A caller's buffer reused from a larger body: the output still stops one byte past the limit.
BOOST_AUTO_TEST_CASE(a_reused_large_buffer_does_not_lift_the_size_limit)
{
    inflater inf;
    std::string out;
    BOOST_TEST(!inf.inflate(gzip_compress(json_body(500'000)), out));
    inflate_limits lim;
    lim.max_inflated_bytes = 20'000;
    BOOST_TEST((inf.inflate(gzip_compress(json_body(20'001)), out, lim) == error::inflated_too_large));
    BOOST_TEST(out.size() <= 20'001u);
    BOOST_TEST(!inf.inflate(gzip_compress(json_body(20'000)), out, lim));
    BOOST_TEST(out.size() == 20'000u);
}

// A member cut at any byte, in its header, data or trailer, is gzip_truncated in both overloads.
BOOST_AUTO_TEST_CASE(a_member_cut_at_every_byte_is_truncated)
{
    inflater inf;
    for(auto const& gz : {gzip_compress(json_body(3000)), gzip_with_header_fields(json_body(3000))})
        for(std::size_t cut = 1; cut < gz.size(); ++cut)
        {
            BOOST_TEST_CONTEXT("cut at " << cut << " of " << gz.size())
            {
                auto const b = decode_both(inf, std::string_view(gz).substr(0, cut));
                BOOST_TEST((b.whole == error::gzip_truncated));
                BOOST_TEST((b.each == error::gzip_truncated));
            }
        }
}

// The optional header fields are skipped, and the header CRC (FHCRC) is checked.
BOOST_AUTO_TEST_CASE(reads_optional_header_fields_and_checks_the_header_crc)
{
    inflater inf;
    auto const body = json_body(5000);
    auto const gz = gzip_with_header_fields(body);
    auto const good = decode_both(inf, gz);
    BOOST_TEST(!good.whole);
    BOOST_TEST(!good.each);
    BOOST_TEST((good.whole_bytes == body));
    BOOST_TEST((good.each_bytes == body));
    // A byte of the file name, then of the header CRC itself.
    for(std::size_t at : {std::size_t{10 + 2 + 8 + 1}, gz.find("from a test") + 12 + 1})
    {
        BOOST_TEST_CONTEXT("byte " << at)
        {
            auto bad = gz;
            bad[at] = static_cast<char>(bad[at] ^ 0x01);
            auto const b = decode_both(inf, bad);
            BOOST_TEST((b.whole == error::gzip_corrupt));
            BOOST_TEST((b.each == error::gzip_corrupt));
        }
    }
}

// RFC 1952 §2.3.1.2: a reserved FLG bit set is an error, whatever the rest of the member.
BOOST_AUTO_TEST_CASE(refuses_a_reserved_header_flag)
{
    inflater inf;
    auto const gz = gzip_compress(json_body(2000));
    for(unsigned bit : {0x20u, 0x40u, 0x80u})
    {
        BOOST_TEST_CONTEXT("flag " << bit)
        {
            auto bad = gz;
            bad[3] = static_cast<char>(static_cast<unsigned char>(bad[3]) | bit);
            auto const b = decode_both(inf, bad);
            BOOST_TEST((b.whole == error::gzip_corrupt));
            BOOST_TEST((b.each == error::gzip_corrupt));
        }
    }
}

// Any bit of the trailer's CRC-32 or ISIZE wrong: gzip_corrupt, in both overloads.
BOOST_AUTO_TEST_CASE(refuses_every_wrong_trailer_bit)
{
    inflater inf;
    auto const body = json_body(70'000);
    auto const gz = gzip_compress(body);
    for(std::size_t at = gz.size() - 8; at < gz.size(); ++at)
        for(int bit = 0; bit < 8; ++bit)
        {
            BOOST_TEST_CONTEXT("byte " << at << " bit " << bit)
            {
                auto bad = gz;
                bad[at] = static_cast<char>(bad[at] ^ (1 << bit));
                auto const b = decode_both(inf, bad);
                BOOST_TEST((b.whole == error::gzip_corrupt));
                BOOST_TEST((b.each == error::gzip_corrupt));
            }
        }
    // And the inflater decodes the next good member.
    auto const good = decode_both(inf, gz);
    BOOST_TEST((good.whole_bytes == body));
}

// The ratio is judged as the body inflates, not over the whole member: a bomb followed by
// incompressible bytes that bring the member's average ratio under the limit is still refused,
// with little of it decoded.
BOOST_AUTO_TEST_CASE(refuses_a_bomb_whose_tail_lowers_the_average_ratio)
{
    auto const body = std::string(16u << 20, '\0') + random_bytes(200'000, 9);
    auto const gz = gzip_compress(body, 9);
    BOOST_TEST_REQUIRE(body.size() / gz.size() < 256u);
    inflater inf;
    std::string out;
    BOOST_TEST((inf.inflate(gz, out) == error::inflate_ratio_exceeded));
    BOOST_TEST(out.size() < (1u << 20));
    std::size_t handed = 0;
    BOOST_TEST((inf.inflate_each(gz, [&](std::string_view p) { handed += p.size(); }) == error::inflate_ratio_exceeded));
    BOOST_TEST(handed < (1u << 20));
}

BOOST_AUTO_TEST_SUITE_END() // gzip

} // namespace

} // namespace unit_gzip
