// SPDX-License-Identifier: BSL-1.0
// test/integration/heal.cpp - self-healing end to end: a subscription tripped by the fake API's
// circuit breaker is reactivated, its dead-letter queue replayed, and the gap reported.
#include "fake_catena_api.hpp"
#include "receiver_server.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <catena/webhooks/notifications.hpp>

#include <boost/test/unit_test.hpp>

#include <set>

namespace integration_heal { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace tst = catena::webhooks::test;
namespace lb = catena::webhooks::test::loopback;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr char telematics_secret[] = "telematics-secret-0001";
constexpr char lifecycle_secret[] = "lifecycle-secret-00002";

// The subscriptions, made through the fake API: one for telematics (the one that goes stale)
// and one for webhook.* (delivering the news of the other to the same receiver).
struct world
{
    std::string dir = tst::make_temp_dir("heal");
    tst::fake_catena_api api{dir};
    std::string telematics_id, lifecycle_id;

    cw::notifications_options client_options() const
    {
        auto o = api.client_options();
        o.initial_backoff = 10ms;
        o.max_backoff = 40ms;
        return o;
    }

    world()
    {
        boost::asio::io_context ioc;
        cw::notifications_client c(ioc.get_executor(), client_options());
        auto make = [&](std::string event, std::string secret) {
            cw::webhook_create w;
            w.url = "https://rx.example/webhooks/catena";
            w.event_name = std::move(event);
            w.secret = std::move(secret);
            std::string id;
            c.create(w, [&id](auto r) {
                BOOST_REQUIRE(r.has_value());
                id = r->front().id;
            });
            ioc.restart();
            ioc.run();
            return id;
        };
        telematics_id = make("vehicle.added", telematics_secret);
        lifecycle_id = make("webhook.staled", lifecycle_secret);
    }

    cw::receiver_options receiver_options(std::chrono::seconds poll) const
    {
        auto o = lb::base_options();
        o.secrets = cw::secret_ring{};
        o.secrets.add(telematics_id, telematics_secret);
        o.secrets.add(lifecycle_id, lifecycle_secret);
        o.heal.enabled = true;
        o.heal.api = client_options();
        o.heal.poll_interval = poll;
        o.heal.replay_interval = 10ms;
        return o;
    }

    cs::message vehicle(std::string const& id) const
    {
        cs::message m;
        m.webhook_id = telematics_id;
        m.event_name = "vehicle.added";
        std::mt19937_64 rng(std::hash<std::string>{}(id));
        m.event_id = cs::uuid_v7(cw::system_now(), rng);
        m.data.push_back(json::object{{"id", id}, {"fleet_id", "fleet-1"}, {"occurred_at", "2026-11-30T10:00:00Z"}});
        return m;
    }
};

// What the receiver told: events, webhook.* news and heal steps, gaps.
struct observed
{
    std::mutex m;
    std::condition_variable cv;
    std::multiset<std::string> records;
    std::vector<std::string> actions; // on_subscription, in order
    std::vector<cw::delivery_gap> gaps;

    void install(cw::receiver& rx)
    {
        rx.on("vehicle.added", [this](cw::event const& e) {
            std::lock_guard lock(m);
            records.insert(e.record_id);
            cv.notify_all();
        });
        rx.on_subscription([this](cw::subscription_event const& e) {
            std::lock_guard lock(m);
            actions.push_back(e.action + " " + e.subscription_id);
            cv.notify_all();
        });
        rx.on_delivery_gap([this](cw::delivery_gap const& g) {
            std::lock_guard lock(m);
            gaps.push_back(g);
            cv.notify_all();
        });
    }

    template<class P>
    bool wait(P done)
    {
        std::unique_lock lock(m);
        return cv.wait_for(lock, 20s, [&] { return done(); });
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(heal)

BOOST_AUTO_TEST_CASE(a_staled_subscription_is_reactivated_its_dead_letters_replayed_and_the_gap_reported)
{
    world w;
    observed seen;
    lb::server rx(w.receiver_options(0s), [&](cw::receiver& r) { seen.install(r); });
    cs::send_options once;
    once.max_retries = 0;
    cs::client c(rx.ep(), once);
    BOOST_REQUIRE(c.deliver(w.vehicle("v-before"), telematics_secret).status() == 202u);

    // The breaker trips: Catena marks it stale, tells the webhook.* subscription, and keeps
    // what fails afterwards in the dead-letter queue instead of delivering it.
    w.api.set_status(w.telematics_id, "stale");
    std::vector<cs::message> dead_letters{w.vehicle("v-while-stale-1"), w.vehicle("v-while-stale-2")};
    std::vector<std::thread> replays;
    w.api.on_replay([&](std::string const& id) {
        BOOST_TEST(id == w.telematics_id);
        replays.emplace_back([&, port = rx.ep()] {
            cs::client r(port, once);
            for(auto const& m : dead_letters)
                BOOST_TEST(r.deliver(m, telematics_secret).status() == 202u);
        });
    });
    auto const staled_at = cw::system_now() - 30s;
    cs::message staled;
    staled.webhook_id = w.lifecycle_id;
    staled.event_name = "webhook.staled";
    std::mt19937_64 rng(7);
    staled.event_id = cs::uuid_v7(cw::system_now(), rng);
    staled.data.push_back(json::object{{"id", w.telematics_id},
                                       {"url", "https://rx.example/webhooks/catena"},
                                       {"event_name", "vehicle.added"},
                                       {"filters", nullptr},
                                       {"status", "stale"},
                                       {"updated_at", cw::format_rfc3339(staled_at, cw::utc_suffix::z)}});
    BOOST_REQUIRE(c.deliver(staled, lifecycle_secret).status() == 202u);

    BOOST_REQUIRE(seen.wait([&] { return seen.records.size() == 3 && !seen.gaps.empty() && seen.actions.size() >= 3; }));
    for(auto& t : replays)
        t.join();
    // Every event reached its callback once: before, and replayed from the dead-letter queue.
    BOOST_TEST((seen.records == std::multiset<std::string>{"v-before", "v-while-stale-1", "v-while-stale-2"}));
    std::vector<std::string> const expected{"staled " + w.telematics_id, "reactivated " + w.telematics_id,
                                            "replay_requested " + w.telematics_id};
    BOOST_TEST(seen.actions == expected, boost::test_tools::per_element());
    BOOST_REQUIRE(seen.gaps.size() == 1u);
    auto const& g = seen.gaps[0];
    BOOST_TEST(g.subscription_id == w.telematics_id);
    BOOST_TEST(g.cause == "staled");
    BOOST_TEST(cw::format_rfc3339(g.from, cw::utc_suffix::z) == cw::format_rfc3339(staled_at, cw::utc_suffix::z));
    BOOST_TEST((g.to > g.from));
    BOOST_TEST(g.events == std::vector<std::string>{"vehicle.added"});
    BOOST_TEST(w.api.stored(w.telematics_id).at("status").as_string() == "active");
    BOOST_TEST(w.api.seen().replays[w.telematics_id] == 1u);

    auto const metrics = rx.rx.metrics_text();
    BOOST_TEST(metrics.find("catena_webhooks_heal_actions_total{action=\"activate\"} 1\n") != std::string::npos);
    BOOST_TEST(metrics.find("catena_webhooks_heal_actions_total{action=\"replay\"} 1\n") != std::string::npos);
    BOOST_TEST(metrics.find("catena_webhooks_delivery_gaps_total 1\n") != std::string::npos);
    // No credential or secret in the metrics, nor in anything reported.
    for(auto const* secret : {tst::fake_catena_api::client_secret, telematics_secret, lifecycle_secret, "tok-"})
    {
        BOOST_TEST(metrics.find(secret) == std::string::npos, secret);
        std::lock_guard lock(rx.m);
        for(auto const& r : rx.errors)
            BOOST_TEST(r.detail.find(secret) == std::string::npos, r.detail);
    }
    auto const subs = rx.rx.subscriptions();
    auto it = std::find_if(subs.begin(), subs.end(), [&](auto const& s) { return s.webhook_id == w.telematics_id; });
    BOOST_REQUIRE(it != subs.end());
    BOOST_TEST(it->status == "active");
    BOOST_TEST(!it->delivery_stopped);
}

BOOST_AUTO_TEST_CASE(a_poll_finds_a_stale_subscription_that_never_heard_its_own_staled)
{
    world w;
    w.api.set_status(w.telematics_id, "stale");
    w.api.on_replay([](std::string const&) {});
    observed seen;
    // Not served here: stale, but never named in the secrets nor delivering here.
    {
        boost::asio::io_context ioc;
        cw::notifications_client c(ioc.get_executor(), w.client_options());
        cw::webhook_create other;
        other.url = "https://elsewhere.example/hooks";
        other.event_name = "trailer.added";
        other.secret = "someone-elses-secret";
        std::string id;
        c.create(other, [&id](auto r) { id = r->front().id; });
        ioc.run();
        w.api.set_status(id, "stale");
    }
    lb::server rx(w.receiver_options(1s), [&](cw::receiver& r) { seen.install(r); });
    BOOST_REQUIRE(seen.wait([&] { return !seen.gaps.empty() && seen.actions.size() >= 2; }));
    BOOST_TEST(seen.gaps[0].cause == "poll");
    BOOST_TEST(seen.gaps[0].subscription_id == w.telematics_id);
    BOOST_TEST(w.api.stored(w.telematics_id).at("status").as_string() == "active");
    BOOST_TEST(w.api.seen().replays.size() == 1u); // only the one served here
}

BOOST_AUTO_TEST_CASE(a_heal_that_the_api_refuses_is_reported_and_stop_does_not_wait_for_the_api)
{
    world w;
    w.api.set_status(w.telematics_id, "stale");
    w.api.fail_next(500, 1000);
    auto o = w.receiver_options(1s);
    o.heal.api.max_attempts = 1;
    lb::server rx(std::move(o));
    BOOST_REQUIRE(rx.rx.metrics_text().find("catena_webhooks_heal_polls_total") != std::string::npos);
    std::unique_lock lock(rx.m);
    BOOST_REQUIRE(rx.cv.wait_for(lock, 20s, [&] {
        return std::any_of(rx.errors.begin(), rx.errors.end(), [](cw::error_report const& r) {
            return r.reason == "api_server_error" && r.detail.find("cannot list the stale subscriptions") != std::string::npos;
        });
    }));
    lock.unlock();
    BOOST_TEST(rx.reported("api_server_error"));
    rx.shutdown(); // returns: the healer's timer and calls are cancelled
    BOOST_TEST(w.api.stored(w.telematics_id).at("status").as_string() == "stale");
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_heal
