// SPDX-License-Identifier: BSL-1.0
// test/unit/intake.cpp - a request's headers and body in, verified and kept or refused, one answer out.
#include "http/intake.hpp"

#include "store/memory.hpp"
#include "support.hpp"
#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <string>

namespace unit_intake { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tst = catena::webhooks::test;
using namespace std::chrono_literals;

// A delivery's header fields, as a request carries them.
struct wire_fields final : detail::request_fields
{
    explicit wire_fields(tst::wire_delivery const& w) : d(w) {}
    tst::wire_delivery const& d;
    std::string_view get(std::string_view name) const override
    {
        if(name == header::signature)
            return d.signature;
        if(name == header::timestamp)
            return d.timestamp;
        if(name == header::webhook_id)
            return d.webhook_id;
        if(name == "Content-Encoding")
            return d.content_encoding;
        if(name == header::event_type)
            return d.event_type;
        if(name == header::request_id)
            return d.request_id;
        if(name == header::delivery_attempt)
            return d.delivery_attempt;
        return {};
    }
};

struct fixture
{
    receiver_options opts;
    detail::counters counts;
    std::unique_ptr<detail::store> store;
    std::optional<detail::intake> in;
    int kept = 0;
    std::vector<error_code> reports;

    explicit fixture(std::size_t max_entries = 100, unsigned unverified_status = 401)
    {
        opts.secrets.add(tst::webhook_id, tst::tv1_secret);
        opts.clock = [] { return tst::vector_time(); };
        opts.unverified_status = unverified_status;
        detail::store_limits l;
        l.max_backlog_entries = max_entries;
        store = detail::make_memory_store(l);
        in.emplace(opts, counts, [this](error_code ec, auto&&...) { reports.push_back(ec); });
        in->attach(*store, [this] { ++kept; });
    }

    // The head of a delivery to Catena's path, as a session admits it.
    std::optional<detail::answer> admit(tst::wire_delivery const& d, std::optional<std::uint64_t> length,
                                        detail::client_address const& client, detail::delivery_ticket& t)
    {
        auto const m = in->route_for(opts.path);
        BOOST_REQUIRE(m);
        return in->admit(*m, wire_fields(d), length, "test", client, t);
    }

    // What a session does: admit on the headers, then deliver the body.
    detail::answer deliver(tst::wire_delivery d, std::string_view peer = "192.0.2.1")
    {
        auto const client = detail::client_of(boost::asio::ip::make_address(std::string(peer)));
        detail::delivery_ticket t;
        if(auto early = admit(d, d.body.size(), client, t))
            return *early;
        std::optional<detail::answer> got;
        in->deliver(*in->route_for(opts.path), t, std::move(d.body), "test", client,
                    [&](detail::answer a) { got = a; });
        BOOST_REQUIRE(got); // the memory store answers at once
        return *got;
    }
};

std::string corrupt(std::string gz)
{
    // The deflate data's middle byte flipped: the CRC (or the data) no longer checks.
    gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x5a);
    return gz;
}

detail::client_address const local_client = detail::client_of(boost::asio::ip::make_address("192.0.2.1"));

tst::wire_delivery signed_delivery(std::string_view secret = tst::tv1_secret)
{
    return tst::make_delivery(secret, tst::webhook_id, tst::tv1_body, tst::vector_time());
}

} // namespace

BOOST_AUTO_TEST_SUITE(intake_)

BOOST_AUTO_TEST_CASE(a_verified_delivery_is_kept_compressed_as_it_came_and_answered_202)
{
    fixture f;
    auto const d = signed_delivery();
    auto const a = f.deliver(d);
    BOOST_TEST(a.status == 202u);
    BOOST_TEST(!a.ec);
    BOOST_TEST(f.kept == 1);
    auto const taken = f.store->take(10);
    BOOST_REQUIRE(taken.size() == 1u);
    BOOST_TEST(taken[0].compressed);
    BOOST_TEST(taken[0].body == d.body); // the gzip that came, for the disk
    BOOST_TEST(taken[0].json == tst::tv1_body); // small: kept inflated too, processing need not inflate
    BOOST_TEST(taken[0].envelope_key == std::string(tst::webhook_id) + "/01936b2e-7c00-7000-8000-000000000001");
    BOOST_TEST(taken[0].webhook_id == tst::webhook_id);
    BOOST_TEST(taken[0].delivery_attempt == 1u);
}

BOOST_AUTO_TEST_CASE(a_forged_delivery_is_refused_with_the_unverified_status_and_reported)
{
    for(unsigned status : {401u, 503u})
    {
        BOOST_TEST_CONTEXT("unverified_status " << status)
        {
            fixture f(100, status);
            auto const a = f.deliver(signed_delivery("not-the-secret-at-all"));
            BOOST_TEST(a.status == status);
            BOOST_TEST((a.ec == error::signature_mismatch));
            BOOST_TEST(f.kept == 0);
            BOOST_TEST(f.store->backlog() == 0u);
            BOOST_REQUIRE(f.reports.size() == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_replayed_request_is_answered_202_counted_and_not_kept_again)
{
    fixture f;
    BOOST_TEST(f.deliver(signed_delivery()).status == 202u);
    BOOST_TEST(f.deliver(signed_delivery()).status == 202u);
    BOOST_TEST(f.kept == 1);
    BOOST_TEST(f.counts.get(detail::counters::id::duplicate_requests) == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_inbox_answers_503_and_keeps_nothing)
{
    fixture f(1);
    BOOST_TEST(f.deliver(signed_delivery()).status == 202u);
    std::string other_envelope(tst::tv1_body);
    other_envelope.replace(other_envelope.find("000000000001"), 12, "000000000002");
    auto second = tst::make_delivery(tst::tv1_secret, tst::webhook_id, other_envelope, tst::vector_time());
    second.request_id = "another-request";
    auto const a = f.deliver(second);
    BOOST_TEST(a.status == 503u);
    BOOST_TEST((a.ec == error::inbox_full));
    BOOST_TEST(f.kept == 1);
}

BOOST_AUTO_TEST_CASE(new_secrets_apply_to_the_next_delivery)
{
    fixture f;
    BOOST_TEST(f.deliver(signed_delivery("a-rotated-secret-1234")).status == 401u);
    secret_ring ring;
    ring.add(tst::webhook_id, "a-rotated-secret-1234");
    f.in->set_secrets(std::move(ring));
    BOOST_TEST(f.deliver(signed_delivery("a-rotated-secret-1234")).status == 202u);
    BOOST_TEST(f.counts.get(detail::counters::id::secrets_reloads) == 1u);
}

BOOST_AUTO_TEST_CASE(headers_that_fail_are_refused_before_the_body_with_a_uniform_wire_reason)
{
    fixture f;
    auto d = signed_delivery();
    d.webhook_id = "no-such-subscription";
    detail::delivery_ticket c;
    auto const a = f.admit(d, std::uint64_t{1} << 30, local_client, c);
    BOOST_REQUIRE(a);
    BOOST_TEST(a->status == 401u);
    BOOST_TEST((a->ec == error::unknown_webhook_id)); // precise in metrics and reports
    BOOST_TEST(detail::wire_reason(a->ec) == "unauthenticated");
    BOOST_TEST(detail::wire_reason(make_error_code(error::signature_mismatch)) == "unauthenticated");
    BOOST_REQUIRE(f.reports.size() == 1u);
    BOOST_TEST((f.reports[0] == error::unknown_webhook_id));
}

BOOST_AUTO_TEST_CASE(a_body_announced_over_the_limit_with_passing_headers_gets_503_not_413)
{
    fixture f;
    f.opts.limits.max_body_bytes = 100;
    detail::delivery_ticket c;
    auto const d = signed_delivery();
    auto const a = f.admit(d, 101, local_client, c);
    BOOST_REQUIRE(a);
    BOOST_TEST(a->status == 503u);
    BOOST_TEST((a->ec == error::body_too_large));
    BOOST_TEST(f.counts.get(detail::counters::id::deferred_deliveries) == 1u);
}

BOOST_AUTO_TEST_CASE(an_undecodable_body_with_passing_headers_gets_503_and_a_forged_one_401)
{
    fixture f;
    auto bad_gzip = signed_delivery();
    bad_gzip.body = corrupt(bad_gzip.body);
    auto a = f.deliver(bad_gzip);
    BOOST_TEST(a.status == 503u);
    BOOST_TEST((a.ec == condition::malformed));

    auto unknown_encoding = signed_delivery();
    unknown_encoding.content_encoding = "br";
    a = f.deliver(unknown_encoding);
    BOOST_TEST(a.status == 503u);
    BOOST_TEST((a.ec == error::unsupported_encoding));

    auto truncated = signed_delivery();
    truncated.body.resize(truncated.body.size() - 4);
    a = f.deliver(truncated);
    BOOST_TEST(a.status == 503u);
    BOOST_TEST((a.ec == error::gzip_truncated));

    BOOST_TEST(f.counts.get(detail::counters::id::deferred_deliveries) == 3u);
    BOOST_TEST(f.kept == 0);
    // Only the MAC proves a request forged.
    BOOST_TEST(f.deliver(signed_delivery("not-the-secret-at-all")).status == 401u);
}

BOOST_AUTO_TEST_CASE(a_body_inflating_past_the_old_8_mib_limit_is_verified_and_kept_compressed)
{
    fixture f;
    std::string json = R"({"version":"1.0","event_name":"vehicle_location.added","webhook_id":")" +
                       std::string(tst::webhook_id) + R"(","id":"big-1","data":[)";
    for(std::uint64_t i = 0; json.size() < (9u << 20); ++i)
        json += R"({"id":"r)" + std::to_string(i) + R"(","fleet_id":"f","speed":)" + std::to_string(i * 7919 % 997) +
                R"(,"h3":)" + std::to_string(i * 2654435761u % 1000003u) + "},";
    json += "{}]}";
    auto d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json, tst::vector_time());
    auto const wire_size = d.body.size();
    BOOST_TEST(f.deliver(std::move(d)).status == 202u);
    auto const taken = f.store->take(1);
    BOOST_REQUIRE(taken.size() == 1u);
    BOOST_TEST(taken[0].body.size() == wire_size);
    BOOST_TEST(taken[0].json.empty()); // large: compressed only; processing inflates it
}

BOOST_AUTO_TEST_CASE(a_copy_of_a_kept_envelope_with_a_fresh_request_id_is_202_and_not_kept_again)
{
    fixture f;
    BOOST_TEST(f.deliver(signed_delivery()).status == 202u);
    auto copy = signed_delivery();
    copy.request_id = "a-fresh-request-id";
    BOOST_TEST(f.deliver(copy).status == 202u);
    BOOST_TEST(f.kept == 1);
    BOOST_TEST(f.store->take(10).size() == 1u);
    BOOST_TEST(f.counts.get(detail::counters::id::envelope_duplicates) == 1u);
}

BOOST_AUTO_TEST_CASE(an_authentic_delivery_is_kept_after_150_unknown_webhook_ids_from_its_address)
{
    fixture f;
    for(int i = 0; i < 150; ++i)
    {
        auto foreign = tst::make_delivery(tst::tv1_secret, "00000000-0000-4000-8000-00000000dead", tst::tv1_body,
                                          tst::vector_time());
        BOOST_TEST(f.deliver(foreign, "198.51.100.7").status == 401u);
    }
    BOOST_TEST(f.deliver(signed_delivery(), "198.51.100.7").status == 202u);
    BOOST_TEST(f.kept == 1);
}

BOOST_AUTO_TEST_CASE(after_150_bad_signatures_for_a_subscription_its_deliveries_get_202_or_503_never_a_4xx)
{
    fixture f;
    f.opts.limits.max_auth_failures_per_minute = 100;
    f.in.emplace(f.opts, f.counts, [&f](error_code ec, auto&&...) { f.reports.push_back(ec); });
    f.in->attach(*f.store, [&f] { ++f.kept; });
    // The first hundred are verified and fail; then the penalty rations verification (the
    // rest are answered 503 at their headers: forged or not, nothing proves them either way).
    for(int i = 0; i < 150; ++i)
        BOOST_TEST(f.deliver(signed_delivery("not-the-secret-at-all"), "198.51.100.7").status ==
                   (i < 100 ? 401u : 503u));
    BOOST_TEST(std::count(f.reports.begin(), f.reports.end(), error::penalty_started) == 1);
    BOOST_TEST(f.counts.get(detail::counters::id::penalties_active) == 1u);
    // Authentic deliveries from that address for that subscription: verified as the penalty's
    // ration allows, the rest 503 so that Catena retries them. Never a 4xx.
    int deferred = 0;
    for(int i = 0; i < 20; ++i)
    {
        auto const a = f.deliver(signed_delivery(), "198.51.100.7");
        BOOST_TEST_CONTEXT("delivery " << i)
        {
            BOOST_TEST((a.status == 202u || a.status == 503u));
            if(a.status == 503u)
            {
                BOOST_TEST((a.ec == error::peer_refused));
                ++deferred;
            }
        }
    }
    BOOST_TEST(deferred == 20); // within the first second of the penalty nothing is verified
    // Another address is not penalised.
    BOOST_TEST(f.deliver(signed_delivery(), "198.51.100.8").status == 202u);
}

BOOST_AUTO_TEST_CASE(a_penalty_for_one_subscription_leaves_another_subscription_from_that_address_alone)
{
    fixture f;
    f.opts.secrets.add("5f0c1e2a-0000-4000-8000-00000000a001", "another-secret-of-length");
    f.opts.limits.max_auth_failures_per_minute = 3;
    f.in.emplace(f.opts, f.counts, [&f](error_code ec, auto&&...) { f.reports.push_back(ec); });
    f.in->attach(*f.store, [&f] { ++f.kept; });
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(f.deliver(tst::make_delivery("wrong-secret-xyz", "5f0c1e2a-0000-4000-8000-00000000a001",
                                                tst::tv2_body, tst::vector_time()),
                             "198.51.100.7")
                       .status == 401u);
    BOOST_TEST(std::count(f.reports.begin(), f.reports.end(), error::penalty_started) == 1);
    BOOST_TEST(f.deliver(signed_delivery(), "198.51.100.7").status == 202u);
}

// Rationing follows the provider that can prove a body forged: signature failures of
// deliveries naming an unsigned route's path as their webhook id start a penalty, and leave
// that route's own deliveries from the same address alone.
BOOST_AUTO_TEST_CASE(a_penalty_of_signed_deliveries_does_not_ration_an_unsigned_route)
{
    fixture f;
    route_options fox;
    fox.path = "/webhooks/foxtrot";
    fox.token = "a-token-of-sixteen-or-more";
    fox.token_header = "X-Token";
    f.opts.routes = {fox};
    f.opts.secrets.add(fox.path, "a-secret-for-that-name");
    f.opts.limits.max_auth_failures_per_minute = 3;
    f.in.emplace(f.opts, f.counts, [&f](error_code ec, auto&&...) { f.reports.push_back(ec); });
    f.in->attach(*f.store, [&f] { ++f.kept; });
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(f.deliver(tst::make_delivery("wrong-secret-xyz", fox.path, tst::tv2_body, tst::vector_time()),
                             "198.51.100.7")
                       .status == 401u);
    BOOST_REQUIRE(std::count(f.reports.begin(), f.reports.end(), error::penalty_started) == 1);
    BOOST_TEST(f.deliver(tst::make_delivery("a-secret-for-that-name", fox.path, tst::tv2_body, tst::vector_time()),
                         "198.51.100.7")
                   .status == 503u); // the signed deliveries naming it are rationed

    auto const m = f.in->route_for(fox.path);
    BOOST_REQUIRE(m);
    BOOST_REQUIRE(m->provider->name() == "foxtrot");
    auto const client = detail::client_of(boost::asio::ip::make_address("198.51.100.7"));
    for(int i = 0; i < 5; ++i)
    {
        struct token_field final : detail::request_fields
        {
            std::string_view get(std::string_view name) const override
            {
                return name == "X-Token" ? "a-token-of-sixteen-or-more" : "";
            }
        } fields;
        detail::delivery_ticket t;
        std::string body = R"({"id":"e-)" + std::to_string(i) + R"(","event":"ROUTE_CREATED"})";
        BOOST_TEST(!f.in->admit(*m, fields, body.size(), "test", client, t));
        std::optional<detail::answer> got;
        f.in->deliver(*m, t, std::move(body), "test", client, [&](detail::answer a) { got = a; });
        BOOST_REQUIRE(got);
        BOOST_TEST(got->status == 202u);
    }
    BOOST_TEST(f.kept == 5);
}

BOOST_AUTO_TEST_CASE(a_penalty_start_and_end_are_each_reported_once)
{
    fixture f;
    f.opts.limits.max_auth_failures_per_minute = 3;
    f.opts.limits.auth_failure_penalty = 0s; // over as soon as it starts: expire_penalties notes it
    f.in.emplace(f.opts, f.counts, [&f](error_code ec, auto&&...) { f.reports.push_back(ec); });
    f.in->attach(*f.store, [&f] { ++f.kept; });
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(f.deliver(signed_delivery("not-the-secret-at-all"), "198.51.100.7").status == 401u);
    BOOST_TEST(std::count(f.reports.begin(), f.reports.end(), error::penalty_started) == 1);
    BOOST_TEST(std::count(f.reports.begin(), f.reports.end(), error::penalty_ended) == 0);
    f.in->expire_penalties();
    f.in->expire_penalties();
    BOOST_TEST(std::count(f.reports.begin(), f.reports.end(), error::penalty_ended) == 1);
    BOOST_TEST(f.counts.get(detail::counters::id::penalties_started) == 1u);
    BOOST_TEST(f.counts.get(detail::counters::id::penalties_active) == 0u);
}

BOOST_AUTO_TEST_CASE(timestamp_skew_is_observed_for_requests_whose_other_headers_pass)
{
    fixture f;
    auto late = tst::make_delivery(tst::tv1_secret, tst::webhook_id, tst::tv1_body, tst::vector_time() - 90s);
    BOOST_TEST(f.deliver(late).status == 202u);
    auto stale = tst::make_delivery(tst::tv1_secret, tst::webhook_id, tst::tv1_body, tst::vector_time() - 3600s);
    BOOST_TEST(f.deliver(stale).status == 401u);
    auto const v = f.counts.load();
    std::uint64_t seen = 0;
    for(auto n : v.skew)
        seen += n;
    BOOST_TEST(seen == 2u);
    BOOST_TEST(v.skew.back() == 1u); // an hour behind: past the last bound (600 s)
    BOOST_TEST(v.skew_sum == 3690.0);
}

BOOST_AUTO_TEST_CASE(traffic_mostly_near_the_windows_edge_is_reported_once_as_clock_skew)
{
    fixture f;
    // 250 s behind with a 300 s window: accepted, but within a fifth of the edge.
    auto const late = tst::make_delivery(tst::tv1_secret, tst::webhook_id, tst::tv1_body, tst::vector_time() - 250s);
    auto const count = [&f] { return std::count(f.reports.begin(), f.reports.end(), error::clock_skew); };
    for(int i = 0; i < 255; ++i)
    {
        detail::delivery_ticket c;
        BOOST_TEST(!f.admit(late, late.body.size(), local_client, c));
    }
    BOOST_TEST(count() == 0); // a block is 256 deliveries
    detail::delivery_ticket c;
    BOOST_TEST(!f.admit(late, late.body.size(), local_client, c));
    BOOST_TEST(count() == 1);
    for(int i = 0; i < 600; ++i)
        (void)f.admit(late, late.body.size(), local_client, c);
    BOOST_TEST(count() == 1); // once
}

BOOST_AUTO_TEST_CASE(traffic_near_the_present_is_not_clock_skew)
{
    fixture f;
    auto const fresh = tst::make_delivery(tst::tv1_secret, tst::webhook_id, tst::tv1_body, tst::vector_time() - 3s);
    detail::delivery_ticket c;
    for(int i = 0; i < 1024; ++i)
        BOOST_TEST(!f.admit(fresh, fresh.body.size(), local_client, c));
    BOOST_TEST(std::count(f.reports.begin(), f.reports.end(), error::clock_skew) == 0);
}

BOOST_AUTO_TEST_SUITE_END() // intake_

} // namespace unit_intake
