// SPDX-License-Identifier: BSL-1.0
// test/unit/signature.cpp - HMAC-SHA256 over timestamp "." body, Base64, constant-time compare.
#include <catena/webhooks/signature.hpp>

#include "support.hpp"
#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <utility>

namespace unit_signature { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tv = catena::webhooks::test;

BOOST_AUTO_TEST_SUITE(signature)

BOOST_AUTO_TEST_CASE(vector_bodies_have_the_documented_sizes)
{
    BOOST_TEST(tv::tv1_body.size() == 637u);
    BOOST_TEST(tv::tv2_body.size() == 109u);
    BOOST_TEST(tv::tv4_body.size() == 44u);
}

BOOST_AUTO_TEST_CASE(matches_tv1_invitation_accepted)
{
    signer s;
    auto m = s.compute(tv::tv1_secret, tv::tv1_timestamp, tv::tv1_body);
    BOOST_TEST(tv::to_hex(m) == tv::tv1_hmac_hex);
    BOOST_TEST(s.sign(tv::tv1_secret, tv::tv1_timestamp, tv::tv1_body) == tv::tv1_signature);
}

BOOST_AUTO_TEST_CASE(matches_tv2_webhook_staled)
{
    signer s;
    BOOST_TEST(tv::to_hex(s.compute(tv::tv2_secret, tv::tv2_timestamp, tv::tv2_body)) == tv::tv2_hmac_hex);
    BOOST_TEST(s.sign(tv::tv2_secret, tv::tv2_timestamp, tv::tv2_body) == tv::tv2_signature);
}

BOOST_AUTO_TEST_CASE(matches_tv3_z_spelling_of_same_instant)
{
    signer s;
    BOOST_TEST(tv::to_hex(s.compute(tv::tv2_secret, tv::tv3_timestamp, tv::tv2_body)) == tv::tv3_hmac_hex);
    BOOST_TEST(s.sign(tv::tv2_secret, tv::tv3_timestamp, tv::tv2_body) == tv::tv3_signature);
}

BOOST_AUTO_TEST_CASE(matches_tv4_utf8_key_and_body)
{
    signer s;
    BOOST_TEST(tv::to_hex(s.compute(tv::tv4_secret, tv::tv4_timestamp, tv::tv4_body)) == tv::tv4_hmac_hex);
    BOOST_TEST(s.sign(tv::tv4_secret, tv::tv4_timestamp, tv::tv4_body) == tv::tv4_signature);
}

BOOST_AUTO_TEST_CASE(n1_timestamp_respelling_changes_signature)
{
    signer s;
    BOOST_TEST(s.sign(tv::tv2_secret, tv::tv3_timestamp, tv::tv2_body) != tv::tv2_signature);
}

BOOST_AUTO_TEST_CASE(n2_hmac_over_gzip_bytes_differs)
{
    signer s;
    auto gz = tv::base64_decode(tv::tv2_gzip_base64);
    BOOST_TEST(gz.size() == 117u);
    auto over_gzip = s.sign(tv::tv2_secret, tv::tv2_timestamp, gz);
    BOOST_TEST(over_gzip == tv::tv2_hmac_over_gzip);
    BOOST_TEST(over_gzip != tv::tv2_signature);
}

BOOST_AUTO_TEST_CASE(n3_reserialised_body_changes_signature)
{
    signer s;
    std::string spaced =
        R"({"version": "1.0", "event_name": "webhook.staled", "webhook_id": "247b2dea-a030-48b7-9a05-ee33c1b6ab0a", "data": []})";
    BOOST_TEST(s.sign(tv::tv2_secret, tv::tv2_timestamp, spaced) != tv::tv2_signature);
}

BOOST_AUTO_TEST_CASE(signer_is_reusable_across_keys)
{
    signer s;
    for(int i = 0; i < 3; ++i)
    {
        BOOST_TEST(s.sign(tv::tv1_secret, tv::tv1_timestamp, tv::tv1_body) == tv::tv1_signature);
        BOOST_TEST(s.sign(tv::tv2_secret, tv::tv2_timestamp, tv::tv2_body) == tv::tv2_signature);
    }
}

// A signer moved into another, or assigned over one, computes as the original did.
BOOST_AUTO_TEST_CASE(a_moved_signer_still_signs_the_vectors)
{
    signer first;
    BOOST_TEST(first.sign(tv::tv1_secret, tv::tv1_timestamp, tv::tv1_body) == tv::tv1_signature);
    signer second(std::move(first));
    BOOST_TEST(second.sign(tv::tv2_secret, tv::tv2_timestamp, tv::tv2_body) == tv::tv2_signature);
    signer third;
    third = std::move(second);
    BOOST_TEST(tv::to_hex(third.compute(tv::tv1_secret, tv::tv1_timestamp, tv::tv1_body)) == tv::tv1_hmac_hex);
}

BOOST_AUTO_TEST_CASE(decodes_and_reencodes_signature)
{
    for(auto sig : {tv::tv1_signature, tv::tv2_signature, tv::tv3_signature, tv::tv4_signature})
    {
        BOOST_TEST_CONTEXT(sig)
        {
            auto m = decode_signature(sig);
            BOOST_REQUIRE(m);
            BOOST_TEST(encode_signature(*m) == sig);
        }
    }
    auto padded = decode_signature(std::string(" \t") + std::string(tv::tv1_signature) + "  ");
    BOOST_TEST(padded.has_value());
}

BOOST_AUTO_TEST_CASE(n5_rejects_documentation_sample_signature)
{
    auto r = decode_signature(tv::malformed_doc_signature);
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error() == error::malformed_signature));
}

BOOST_AUTO_TEST_CASE(rejects_non_canonical_or_foreign_base64)
{
    std::string base(tv::tv1_signature);
    std::string cases[] = {
        "",
        base.substr(0, 43),                        // no padding
        base + "=",                                // too long
        base.substr(0, 42) + "==",                 // 31 bytes
        base.substr(0, 10) + "-" + base.substr(11),  // URL-safe alphabet
        base.substr(0, 10) + "_" + base.substr(11),
        base.substr(0, 10) + " " + base.substr(11),  // inner space
        base.substr(0, 42) + "B=",                 // non-zero unused bits ('A' is canonical here)
    };
    BOOST_REQUIRE(base[42] == 'A');
    for(auto const& c : cases)
    {
        BOOST_TEST_CONTEXT("'" << c << "'")
        {
            BOOST_TEST(!decode_signature(c));
        }
    }
}

BOOST_AUTO_TEST_CASE(mac_equal_compares_every_byte)
{
    auto a = *decode_signature(tv::tv1_signature);
    auto b = a;
    BOOST_TEST(mac_equal(a, b));
    for(std::size_t i = 0; i < b.size(); ++i)
    {
        auto c = a;
        c[i] ^= 0x01;
        BOOST_TEST_CONTEXT("byte " << i) { BOOST_TEST(!mac_equal(a, c)); }
    }
}

BOOST_AUTO_TEST_SUITE_END() // signature

} // namespace

} // namespace unit_signature
