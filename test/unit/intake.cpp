// SPDX-License-Identifier: BSL-1.0
// test/unit/intake.cpp - a request's headers and body in, verified and kept or refused, one answer out.
#include "http/intake.hpp"

#include "store/memory.hpp"
#include "support.hpp"
#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

namespace {

using namespace catena::webhooks;
namespace tst = catena::webhooks::test;

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

    detail::answer deliver(tst::wire_delivery d)
    {
        std::optional<detail::answer> got;
        in->deliver(d.headers(), std::move(d.body), "test", [&](detail::answer a) { got = a; });
        BOOST_REQUIRE(got); // the memory store answers at once
        return *got;
    }
};

tst::wire_delivery signed_delivery(std::string_view secret = tst::tv1_secret)
{
    return tst::make_delivery(secret, tst::webhook_id, tst::tv1_body, tst::vector_time());
}

} // namespace

BOOST_AUTO_TEST_SUITE(intake_)

BOOST_AUTO_TEST_CASE(a_verified_delivery_is_kept_inflated_and_answered_202)
{
    fixture f;
    auto const a = f.deliver(signed_delivery());
    BOOST_TEST(a.status == 202u);
    BOOST_TEST(!a.ec);
    BOOST_TEST(f.kept == 1);
    auto const taken = f.store->take(10);
    BOOST_REQUIRE(taken.size() == 1u);
    BOOST_TEST(taken[0].body == tst::tv1_body); // kept as JSON, not as the gzip that came
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
    auto second = signed_delivery();
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

BOOST_AUTO_TEST_SUITE_END() // intake_
