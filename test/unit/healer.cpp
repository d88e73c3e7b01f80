// SPDX-License-Identifier: BSL-1.0
// test/unit/healer.cpp - self-healing against a fake of the Notifications API: what it does
// with the news it is given, and how it reports the API calls that fail.
#include "clients/healer.hpp"

#include "fake_catena_api.hpp"
#include "support.hpp"
#include "tls_material.hpp"

#include <catena/webhooks/notifications.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace unit_healer { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
using namespace std::chrono_literals;

// The fake API with two subscriptions served here, and a healer on an I/O thread.
struct fixture
{
    std::string dir = tst::make_temp_dir("healer");
    tst::fake_catena_api api{dir};
    std::string first, second;

    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> steps;   // "action id", in order
    std::vector<std::string> reports; // what report() said
    std::vector<cw::delivery_gap> gaps;
    std::function<void(cw::subscription_event const&)> on_step; // runs on the healer's strand

    cw::notifications_options client_options() const
    {
        auto o = api.client_options();
        o.initial_backoff = 10ms;
        o.max_backoff = 40ms;
        o.max_attempts = 1; // a failure is final at once: the healer tries again at its next poll
        return o;
    }

    fixture()
    {
        net::io_context ioc;
        cw::notifications_client c(ioc.get_executor(), client_options());
        for(auto* id : {&first, &second})
        {
            cw::webhook_create w;
            w.url = "https://rx.example/webhooks/catena";
            w.event_name = id == &first ? "vehicle.added" : "trailer.added";
            w.secret = "a-secret-of-the-partner-123";
            c.create(w, [id](auto r) {
                BOOST_REQUIRE(r.has_value());
                *id = r->front().id;
            });
            ioc.restart();
            ioc.run();
        }
        api.set_status(first, "stale");
        api.set_status(second, "stale");
        api.on_replay([](std::string const&) {});
    }

    cw::detail::healer::hooks hooks()
    {
        cw::detail::healer::hooks h;
        h.serves = [](std::string const&) { return true; };
        h.last_delivery = [](std::string const&) { return std::optional<cw::timestamp>{}; };
        h.step = [this](cw::subscription_event e) {
            if(on_step)
                on_step(e);
            std::lock_guard lock(m);
            steps.push_back(e.action + " " + e.subscription_id);
            cv.notify_all();
        };
        h.gap = [this](cw::delivery_gap g) {
            std::lock_guard lock(m);
            gaps.push_back(std::move(g));
            cv.notify_all();
        };
        h.report = [this](cw::error_code, std::string text) {
            std::lock_guard lock(m);
            reports.push_back(std::move(text));
            cv.notify_all();
        };
        h.clock = cw::system_now;
        return h;
    }

    cw::heal_options options(std::chrono::milliseconds replay_interval = 10ms)
    {
        cw::heal_options o;
        o.enabled = true;
        o.api = client_options();
        o.poll_interval = 0s; // only the news given to stopped()
        o.replay_interval = replay_interval;
        return o;
    }

    static cw::subscription_event news(std::string action, std::string const& id)
    {
        cw::subscription_event e;
        e.action = std::move(action);
        e.subscription_id = id;
        e.occurred_at = cw::system_now() - 60s;
        return e;
    }

    template<class P>
    bool wait(P done)
    {
        std::unique_lock lock(m);
        return cv.wait_for(lock, 60s, [&] { return done(); }); // bounds a failing run only
    }
};

// An io_context run by one thread until the healer is gone.
struct io_thread
{
    net::io_context ioc;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
    std::thread t{[this] { ioc.run(); }};
    ~io_thread()
    {
        work.reset();
        t.join();
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(healer, fixture)

BOOST_AUTO_TEST_CASE(a_reactivation_the_api_refuses_is_reported_and_nothing_is_replayed)
{
    io_thread io;
    api.fail_next(500, 1000);
    {
        cw::detail::healer h(io.ioc.get_executor(), options(), hooks());
        h.start();
        h.stopped(news("staled", first));
        BOOST_REQUIRE(wait([&] { return !reports.empty(); }));
        BOOST_TEST(h.stats().failures == 1u);
        BOOST_TEST(h.stats().activations == 0u);
    }
    std::lock_guard lock(m);
    BOOST_TEST(reports.front().find("cannot reactivate subscription " + first) != std::string::npos, reports.front());
    BOOST_TEST(reports.front().find("tried again at the next poll") != std::string::npos);
    BOOST_TEST(steps.empty());
    BOOST_TEST(gaps.empty());
    BOOST_TEST(api.seen().replays.empty());
    BOOST_TEST(api.stored(first).at("status").as_string() == "stale");
}

BOOST_AUTO_TEST_CASE(a_replay_the_api_refuses_is_reported_after_the_reactivation_and_its_gap)
{
    io_thread io;
    // The reactivation passes; the replay request that follows it is refused.
    on_step = [this](cw::subscription_event const& e) {
        if(e.action == "reactivated")
            api.fail_next(503, 1000);
    };
    {
        cw::detail::healer h(io.ioc.get_executor(), options(), hooks());
        h.stopped(news("paused", first));
        BOOST_REQUIRE(wait([&] { return !reports.empty(); }));
        BOOST_TEST(h.stats().activations == 1u);
        BOOST_TEST(h.stats().replays == 0u);
        BOOST_TEST(h.stats().failures == 1u);
    }
    std::lock_guard lock(m);
    BOOST_TEST(reports.front().find("cannot replay the dead-letter queue of subscription " + first) != std::string::npos,
               reports.front());
    BOOST_TEST(steps == std::vector<std::string>{"reactivated " + first}, boost::test_tools::per_element());
    BOOST_REQUIRE(gaps.size() == 1u);
    BOOST_TEST(gaps.front().cause == "paused");
    BOOST_TEST(api.stored(first).at("status").as_string() == "active");
}

BOOST_AUTO_TEST_CASE(replays_wait_for_the_replay_interval_one_at_a_time)
{
    io_thread io;
    {
        cw::detail::healer h(io.ioc.get_executor(), options(500ms), hooks());
        h.stopped(news("staled", first));
        h.stopped(news("staled", second));
        BOOST_REQUIRE(wait([&] {
            return std::count_if(steps.begin(), steps.end(), [](auto const& s) { return s.starts_with("replay_requested"); }) == 2;
        }));
        BOOST_TEST(h.stats().replays == 2u);
        BOOST_TEST(h.stats().activations == 2u);
        BOOST_TEST(h.stats().gaps == 2u);
    }
    BOOST_TEST(api.seen().replays[first] == 1u);
    BOOST_TEST(api.seen().replays[second] == 1u);
    BOOST_TEST(reports.empty());
}

BOOST_AUTO_TEST_CASE(news_other_than_staled_or_paused_heals_nothing)
{
    io_thread io;
    {
        cw::detail::healer h(io.ioc.get_executor(), options(), hooks());
        for(auto const* action : {"deleted", "activated", "updated"})
            h.stopped(news(action, first));
        // Then one that heals: everything before it was already passed over.
        h.stopped(news("staled", second));
        BOOST_REQUIRE(wait([&] { return steps.size() == 2; }));
        BOOST_TEST(h.stats().activations == 1u);
    }
    std::lock_guard lock(m);
    BOOST_TEST(steps.front() == "reactivated " + second);
    BOOST_TEST(api.stored(first).at("status").as_string() == "stale");
}

BOOST_AUTO_TEST_SUITE_END() // healer

} // namespace unit_healer
