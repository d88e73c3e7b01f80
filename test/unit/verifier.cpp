// SPDX-License-Identifier: BSL-1.0
// test/unit/verifier.cpp - the whole verification procedure on complete deliveries.
#include <catena/webhooks/verifier.hpp>

#include "support.hpp"
#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_verifier { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono;
namespace tv = catena::webhooks::test;

struct fixture
{
    secret_ring ring;
    verifier v;
    std::string buffer;
    timestamp now = tv::vector_time();

    fixture() { ring.add(std::string(tv::webhook_id), tv::tv2_secret); }

    result<verified_body> run(tv::wire_delivery const& d) { return v.verify(d.headers(), d.body, ring, now, buffer); }

    // TV-2 exactly as Catena would send it: gzip transport form from the spec.
    tv::wire_delivery tv2() const
    {
        tv::wire_delivery d;
        d.signature = tv::tv2_signature;
        d.timestamp = tv::tv2_timestamp;
        d.webhook_id = tv::webhook_id;
        d.content_encoding = "gzip";
        d.event_type = "webhook.staled";
        d.body = tv::base64_decode(tv::tv2_gzip_base64);
        return d;
    }
};

BOOST_FIXTURE_TEST_SUITE(verifier_, fixture)

BOOST_AUTO_TEST_CASE(accepts_spec_tv2_gzip_transport_form)
{
    auto r = run(tv2());
    BOOST_REQUIRE(r);
    BOOST_TEST(r->body == tv::tv2_body);
    BOOST_TEST((r->sent_at == now));
    BOOST_TEST(!r->default_secret);
}

BOOST_AUTO_TEST_CASE(accepts_tv3_identity_body)
{
    auto d = tv2();
    d.content_encoding = "";
    d.body = tv::tv2_body;
    d.timestamp = tv::tv3_timestamp;
    d.signature = tv::tv3_signature;
    auto r = run(d);
    BOOST_REQUIRE(r);
    // Identity bodies are not copied.
    BOOST_TEST(static_cast<void const*>(r->body.data()) == static_cast<void const*>(d.body.data()));
}

BOOST_AUTO_TEST_CASE(accepts_tv1_and_tv4)
{
    ring.add(std::string(tv::webhook_id), tv::tv1_secret);
    ring.add("tv4-hook", tv::tv4_secret);
    tv::wire_delivery d1;
    d1.signature = tv::tv1_signature;
    d1.timestamp = tv::tv1_timestamp;
    d1.webhook_id = tv::webhook_id;
    d1.body = tv::tv1_body;
    auto r1 = run(d1);
    BOOST_REQUIRE(r1);
    BOOST_TEST(r1->secret_index == 1u);

    now = *parse_rfc3339(tv::tv4_timestamp);
    tv::wire_delivery d4;
    d4.signature = tv::tv4_signature;
    d4.timestamp = tv::tv4_timestamp;
    d4.webhook_id = "tv4-hook";
    d4.content_encoding = "gzip";
    d4.body = gzip_compress(tv::tv4_body);
    BOOST_TEST(run(d4).has_value());
}

BOOST_AUTO_TEST_CASE(reports_each_missing_header)
{
    auto d = tv2();
    d.signature.clear();
    BOOST_TEST((run(d).error() == error::missing_signature));
    d = tv2();
    d.timestamp.clear();
    BOOST_TEST((run(d).error() == error::missing_timestamp));
    d = tv2();
    d.webhook_id.clear();
    BOOST_TEST((run(d).error() == error::missing_webhook_id));
}

BOOST_AUTO_TEST_CASE(n1_rejects_respelled_timestamp)
{
    auto d = tv2();
    d.timestamp = tv::tv3_timestamp;
    BOOST_TEST((run(d).error() == error::signature_mismatch));
}

BOOST_AUTO_TEST_CASE(n2_rejects_signature_over_gzip_bytes)
{
    auto d = tv2();
    d.signature = tv::tv2_hmac_over_gzip;
    BOOST_TEST((run(d).error() == error::signature_mismatch));
}

BOOST_AUTO_TEST_CASE(n3_rejects_reserialised_body)
{
    auto d = tv2();
    d.content_encoding.clear();
    d.body = R"({"version": "1.0", "event_name": "webhook.staled", "webhook_id": "247b2dea-a030-48b7-9a05-ee33c1b6ab0a", "data": []})";
    BOOST_TEST((run(d).error() == error::signature_mismatch));
}

BOOST_AUTO_TEST_CASE(n4_rejects_timestamp_outside_window)
{
    auto d = tv2();
    now = tv::vector_time() + seconds{301};
    BOOST_TEST((run(d).error() == error::timestamp_too_old));
    now = tv::vector_time() + seconds{300};
    BOOST_TEST(run(d).has_value());
    now = tv::vector_time() - seconds{61};
    BOOST_TEST((run(d).error() == error::timestamp_in_future));
}

BOOST_AUTO_TEST_CASE(n5_rejects_malformed_signature)
{
    auto d = tv2();
    d.signature = tv::malformed_doc_signature;
    BOOST_TEST((run(d).error() == error::malformed_signature));
}

BOOST_AUTO_TEST_CASE(rejects_malformed_timestamp)
{
    auto d = tv2();
    d.timestamp = "Thu, 28 Nov 2024 10:30:00 GMT";
    BOOST_TEST((run(d).error() == error::malformed_timestamp));
}

BOOST_AUTO_TEST_CASE(rejects_unknown_subscription_unless_defaults_allowed)
{
    auto d = tv2();
    d.webhook_id = "someone-else";
    BOOST_TEST((run(d).error() == error::unknown_webhook_id));
    ring.add_default(tv::tv2_secret);
    BOOST_TEST((run(d).error() == error::unknown_webhook_id));
    ring.set_unknown_policy(unknown_webhook_policy::try_defaults);
    auto r = run(d);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->default_secret);
}

BOOST_AUTO_TEST_CASE(accepts_any_live_secret_during_rotation)
{
    secret_ring rotated;
    rotated.add(std::string(tv::webhook_id), "the-new-secret-value");
    rotated.add(std::string(tv::webhook_id), tv::tv2_secret, now + minutes{10});
    auto r = v.verify(tv2().headers(), tv2().body, rotated, now, buffer);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->secret_index == 1u);
}

BOOST_AUTO_TEST_CASE(rejects_expired_previous_secret)
{
    secret_ring rotated;
    rotated.add(std::string(tv::webhook_id), "the-new-secret-value");
    rotated.add(std::string(tv::webhook_id), tv::tv2_secret, now - seconds{1});
    auto d = tv2();
    BOOST_TEST((v.verify(d.headers(), d.body, rotated, now, buffer).error() == error::signature_mismatch));
}

BOOST_AUTO_TEST_CASE(rejects_unsupported_encoding)
{
    auto d = tv2();
    d.content_encoding = "br";
    BOOST_TEST((run(d).error() == error::unsupported_encoding));
}

BOOST_AUTO_TEST_CASE(reports_gzip_errors)
{
    auto d = tv2();
    d.body.pop_back();
    BOOST_TEST((run(d).error() == error::gzip_truncated));
    d = tv2();
    d.body += "junk";
    BOOST_TEST((run(d).error() == error::gzip_trailing_garbage));
}

BOOST_AUTO_TEST_CASE(checks_freshness_before_decompressing)
{
    // A stale delivery with a broken body is reported as stale: no work is done on it.
    auto d = tv2();
    d.body = "not gzip";
    now = tv::vector_time() + hours{1};
    BOOST_TEST((run(d).error() == error::timestamp_too_old));
}

BOOST_AUTO_TEST_CASE(detects_any_flipped_body_bit)
{
    auto d = tv::make_delivery(tv::tv2_secret, tv::webhook_id, tv::tv1_body, now, false);
    BOOST_REQUIRE(run(d));
    for(std::size_t i = 0; i < d.body.size(); i += 37)
    {
        auto m = d;
        m.body[i] ^= 0x20;
        BOOST_TEST_CONTEXT("byte " << i) { BOOST_TEST((run(m).error() == error::signature_mismatch)); }
    }
}

BOOST_AUTO_TEST_CASE(parses_delivery_attempt_header)
{
    BOOST_TEST(parse_delivery_attempt("1").value() == 1u);
    BOOST_TEST(parse_delivery_attempt(" 4 ").value() == 4u);
    BOOST_TEST(parse_delivery_attempt("17").value() == 17u);
    BOOST_TEST(!parse_delivery_attempt(""));
    BOOST_TEST(!parse_delivery_attempt("0"));
    BOOST_TEST(!parse_delivery_attempt("-1"));
    BOOST_TEST(!parse_delivery_attempt("1x"));
    BOOST_TEST(!parse_delivery_attempt("9999999999"));
}

BOOST_AUTO_TEST_CASE(verify_body_streams_gzip_and_every_live_secret_in_one_pass)
{
    std::string json = R"({"version":"1.0","id":"e","data":[)";
    for(int i = 0; json.size() < (3u << 20); ++i)
        json += R"({"id":"r)" + std::to_string(i) + R"(","n":)" + std::to_string(i * 7919 % 1000) + "},";
    json += "{}]}";
    auto const at = catena::webhooks::test::vector_time();
    secret_ring keys;
    keys.add("wh", "old-secret-1", at + seconds(60)); // rotation: both live
    keys.add("wh", "new-secret-2");
    auto const d = catena::webhooks::test::make_delivery("new-secret-2", "wh", json, at);
    verifier vf;
    auto const c = vf.check_headers(d.headers(), keys, at);
    BOOST_REQUIRE(c.has_value());
    std::size_t seen = 0, largest = 0;
    auto const r = vf.verify_body(d.headers(), *c, d.body, keys, at, [&](std::string_view p) {
        seen += p.size();
        largest = std::max(largest, p.size());
    });
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->secret_index == 1u);
    BOOST_TEST(r->inflated_bytes == json.size());
    BOOST_TEST(seen == json.size());
    BOOST_TEST(largest <= (64u << 10)); // never the whole body at once
    // The same body under another secret: forged.
    auto const forged = catena::webhooks::test::make_delivery("not-a-secret-here", "wh", json, at);
    auto const cf = vf.check_headers(forged.headers(), keys, at);
    BOOST_REQUIRE(cf.has_value());
    BOOST_TEST((vf.verify_body(forged.headers(), *cf, forged.body, keys, at).error() == error::signature_mismatch));
}

BOOST_AUTO_TEST_CASE(check_headers_needs_no_body_and_names_what_failed)
{
    auto const at = catena::webhooks::test::vector_time();
    secret_ring keys;
    keys.add("wh", "a-secret-value");
    auto d = catena::webhooks::test::make_delivery("a-secret-value", "wh", "{}", at);
    BOOST_TEST(check_delivery_headers(d.headers(), keys, at, {}).has_value());
    BOOST_TEST((check_delivery_headers(d.headers(), keys, at + minutes(10), {}).error() == error::timestamp_too_old));
    d.webhook_id = "other";
    BOOST_TEST((check_delivery_headers(d.headers(), keys, at, {}).error() == error::unknown_webhook_id));
    d.signature = "short";
    BOOST_TEST((check_delivery_headers(d.headers(), keys, at, {}).error() == error::malformed_signature));
}

BOOST_AUTO_TEST_CASE(one_call_verify_reads_headers_in_any_case_and_takes_the_first_of_a_repeat)
{
    auto const d = tv2();
    std::vector<header_field> h{{"x-catena-signature", d.signature}, {"X-CATENA-TIMESTAMP", d.timestamp},
                                {"x-webhook-id", d.webhook_id},      {"content-encoding", d.content_encoding},
                                {"X-Catena-Signature", tv::tv2_hmac_over_gzip}};
    BOOST_TEST(!verify(h, d.body, ring, now));
    std::swap(h[0], h[4]); // the wrong one first
    BOOST_TEST((verify(h, d.body, ring, now) == error::signature_mismatch));
    // The default instant is the clock's: the vector is long past the window.
    BOOST_TEST((verify(d.headers(), d.body, ring) == error::timestamp_too_old));
}

BOOST_AUTO_TEST_CASE(verify_envelope_decodes_what_verifies_and_checks_it_against_its_headers)
{
    auto d = tv2();
    auto e = verify_envelope(d.headers(), d.body, ring, now);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->event_name() == "webhook.staled");
    BOOST_TEST(e->webhook_id() == tv::webhook_id);
    d.event_type = "invitation.accepted"; // not the body's event: authentic but inconsistent
    auto const mismatch = verify_envelope(d.headers(), d.body, ring, now);
    BOOST_TEST((mismatch.error() == error::event_name_mismatch));
    BOOST_TEST(answer_status(mismatch.error()) == 202u);
}

BOOST_AUTO_TEST_CASE(answer_status_is_the_listeners_answer_for_each_kind_of_error)
{
    BOOST_TEST(answer_status({}) == 202u);
    BOOST_TEST(answer_status(error::signature_mismatch) == 401u);
    BOOST_TEST(answer_status(error::unknown_webhook_id, 503) == 503u);
    BOOST_TEST(answer_status(error::gzip_corrupt) == 503u);
    BOOST_TEST(answer_status(error::unsupported_encoding) == 503u);
    BOOST_TEST(answer_status(error::inflate_ratio_exceeded) == 503u);
    BOOST_TEST(answer_status(error::json_syntax) == 202u);
    BOOST_TEST(answer_status(error::too_many_records) == 202u);
}

BOOST_AUTO_TEST_SUITE_END() // verifier_

} // namespace

} // namespace unit_verifier
