// SPDX-License-Identifier: BSL-1.0
// test/unit/dispatcher.cpp - per-fleet order, isolation of failures, retries and dead letters.
#include "delivery/dispatcher.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace unit_dispatcher { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace net = boost::asio;
using detail::callback_job;
using detail::dispatcher;

struct fixture
{
    net::io_context ioc;
    net::strand<net::any_io_executor> strand{net::make_strand(ioc.get_executor())};
    std::mutex m;
    std::vector<std::string> calls;
    std::vector<std::string> reports;
    std::vector<dead_letter> dead;

    std::shared_ptr<dispatcher> make(callback_policy p = {}, net::any_io_executor ex = {})
    {
        dispatcher::hooks h;
        h.report = [this](error_code ec, std::string text, callback_job const&) {
            std::lock_guard lock(m);
            reports.push_back(std::string(reason(ec)) + ": " + text);
        };
        h.dead_letter = [this](dead_letter&& d) {
            std::lock_guard lock(m);
            dead.push_back(std::move(d));
        };
        return std::make_shared<dispatcher>(strand, ex, p, std::move(h));
    }

    callback_job job(std::string name, int fail_times = 0)
    {
        auto failures = std::make_shared<int>(fail_times);
        callback_job j;
        j.handler = "on(" + name + ")";
        j.idempotency_key = "key-" + name;
        j.call = [this, name, failures] {
            std::lock_guard lock(m);
            if((*failures)-- > 0)
            {
                calls.push_back(name + "!");
                throw std::runtime_error("boom " + name);
            }
            calls.push_back(name);
        };
        return j;
    }

    // Enqueues on the strand, as the receiver does, and runs until idle.
    void run(std::function<void()> f)
    {
        net::post(strand, std::move(f));
        ioc.run();
        ioc.restart();
    }
};

BOOST_FIXTURE_TEST_SUITE(dispatcher_, fixture)

BOOST_AUTO_TEST_CASE(runs_jobs_of_a_queue_in_order)
{
    auto d = make();
    run([&] {
        for(auto n : {"a1", "a2", "a3"})
            d->enqueue("fleet-a", job(n));
    });
    BOOST_TEST(calls == (std::vector<std::string>{"a1", "a2", "a3"}));
    BOOST_TEST(d->backlog() == 0u);
}

BOOST_AUTO_TEST_CASE(a_job_enqueued_by_a_running_job_runs_after_it_even_when_it_fails)
{
    callback_policy p;
    p.max_attempts = 2;
    p.initial_backoff = 20ms;
    auto d = make(p);
    std::vector<std::string> order;
    int outer_failures = 1;
    callback_job outer;
    outer.handler = "on(outer)";
    outer.call = [&] {
        callback_job inner;
        inner.handler = "on(inner)";
        inner.call = [&] { order.push_back("inner"); };
        d->enqueue("fleet-a", std::move(inner));
        // Nothing enqueued from inside a job runs before the job is over.
        order.push_back(outer_failures > 0 ? "outer!" : "outer");
        if(outer_failures-- > 0)
            throw std::runtime_error("boom");
    };
    run([&] { d->enqueue("fleet-a", std::move(outer)); });
    // The retry of outer enqueues a second inner, queued behind the first.
    BOOST_TEST(order == (std::vector<std::string>{"outer!", "outer", "inner", "inner"}));
    BOOST_TEST(d->backlog() == 0u);
}

BOOST_AUTO_TEST_CASE(failing_job_holds_its_queue_but_not_others)
{
    callback_policy p;
    p.max_attempts = 2;
    p.initial_backoff = 50ms;
    auto d = make(p);
    run([&] {
        d->enqueue("fleet-a", job("a1", 1));
        d->enqueue("fleet-a", job("a2"));
        d->enqueue("fleet-b", job("b1"));
    });
    // a1 failed once, b1 ran while a1 waited, then a1 succeeded and a2 followed it.
    BOOST_TEST(calls == (std::vector<std::string>{"a1!", "b1", "a1", "a2"}));
    BOOST_TEST(d->retries() == 1u);
    BOOST_TEST(dead.empty());
    BOOST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0] == "handler_exception: on(a1) threw on attempt 1: boom a1");
}

BOOST_AUTO_TEST_CASE(dead_letters_a_job_after_its_attempts_and_moves_on)
{
    callback_policy p;
    p.max_attempts = 3;
    p.initial_backoff = 1ms;
    auto d = make(p);
    run([&] {
        d->enqueue("fleet-a", job("a1", 100));
        d->enqueue("fleet-a", job("a2"));
    });
    BOOST_TEST(calls == (std::vector<std::string>{"a1!", "a1!", "a1!", "a2"}));
    BOOST_REQUIRE(dead.size() == 1u);
    BOOST_TEST((dead[0].kind == dead_letter_kind::callback_failed));
    BOOST_TEST(dead[0].attempts == 3u);
    BOOST_TEST(dead[0].handler == "on(a1)");
    BOOST_TEST(dead[0].idempotency_key == "key-a1");
    BOOST_TEST(dead[0].error_text == "boom a1");
    BOOST_TEST(d->dead_lettered() == 1u);
    BOOST_TEST(d->backlog() == 0u);
}

BOOST_AUTO_TEST_CASE(backoff_grows_between_attempts)
{
    callback_policy p;
    p.max_attempts = 3;
    p.initial_backoff = 20ms;
    p.backoff_multiplier = 10;
    auto d = make(p);
    std::vector<std::chrono::steady_clock::time_point> at;
    callback_job j;
    j.handler = "on(x)";
    j.call = [&] {
        at.push_back(std::chrono::steady_clock::now());
        throw std::runtime_error("no");
    };
    run([&] { d->enqueue("q", std::move(j)); });
    BOOST_REQUIRE(at.size() == 3u);
    // A timer never fires early, so the waits are at least 20 ms, then 200 ms however slow the
    // machine; a backoff that did not grow would wait 20 ms again. Nothing is bounded above:
    // a busy machine only waits longer.
    auto const first = at[1] - at[0], second = at[2] - at[1];
    BOOST_TEST(first >= 20ms);
    BOOST_TEST(second >= 200ms);
}

BOOST_AUTO_TEST_CASE(hurry_retries_at_once)
{
    callback_policy p;
    p.max_attempts = 2;
    p.initial_backoff = std::chrono::hours(1);
    auto d = make(p);
    run([&] {
        d->enqueue("q", job("slow", 5));
        // The stop path: hurry while the job waits out its backoff.
        net::post(strand, [d] { d->hurry(); });
    });
    BOOST_TEST(calls == (std::vector<std::string>{"slow!", "slow!"}));
    BOOST_TEST(dead.size() == 1u);
}

BOOST_AUTO_TEST_CASE(runs_on_the_callback_executor_one_at_a_time_per_queue)
{
    net::thread_pool pool(2);
    auto d = make({}, pool.get_executor());
    std::mutex seen_m;
    std::condition_variable seen_cv;
    std::vector<std::thread::id> threads;
    bool all_on_pool = true;
    int in_a = 0, max_in_a = 0;
    std::vector<std::string> order;
    // The callbacks run on the pool and report back to the strand: keep the strand's
    // context running until all have.
    auto guard = net::make_work_guard(ioc);
    std::thread io([&] { ioc.run(); });
    auto const io_thread = io.get_id();
    net::post(strand, [&] {
        for(int i = 0; i < 20; ++i)
        {
            callback_job j;
            j.handler = "on(a)";
            j.call = [&, i] {
                {
                    std::lock_guard lock(seen_m);
                    max_in_a = std::max(max_in_a, ++in_a);
                    threads.push_back(std::this_thread::get_id());
                    all_on_pool = all_on_pool && pool.get_executor().running_in_this_thread();
                }
                std::this_thread::sleep_for(1ms); // a callback that takes a while: others would overlap it
                std::lock_guard lock(seen_m);
                --in_a;
                order.push_back(std::to_string(i));
                seen_cv.notify_all();
            };
            d->enqueue("fleet-a", std::move(j));
        }
    });
    {
        std::unique_lock lock(seen_m);
        BOOST_REQUIRE(seen_cv.wait_for(lock, 60s, [&] { return order.size() == 20u; }));
    }
    // The last call has posted its completion to the strand once the pool is idle; the
    // strand's context runs it before it returns.
    pool.join();
    guard.reset();
    io.join();
    BOOST_TEST(d->backlog() == 0u);
    BOOST_TEST(max_in_a == 1);
    BOOST_REQUIRE(order.size() == 20u);
    for(int i = 0; i < 20; ++i)
        BOOST_TEST(order[static_cast<std::size_t>(i)] == std::to_string(i));
    // Not on the thread that runs the processing strand: on the pool, every one of them.
    BOOST_TEST(all_on_pool);
    for(auto const& t : threads)
        BOOST_TEST((t != io_thread));
}

BOOST_AUTO_TEST_CASE(merge_keeps_waiting_jobs_ahead_of_new_ones)
{
    callback_policy p;
    p.max_attempts = 2;
    p.initial_backoff = 20ms;
    auto d = make(p);
    run([&] {
        d->enqueue("ref:F1", job("old", 1));
        d->merge("ref:F1", "fleet-1");
        d->enqueue("fleet-1", job("new"));
    });
    BOOST_TEST(calls == (std::vector<std::string>{"old!", "old", "new"}));
}

// An asynchronous job: it records its start and keeps its completion for the test to end.
struct async_jobs
{
    std::mutex m;
    std::vector<std::string> started;
    std::vector<completion> open;

    callback_job make(fixture& f, std::string name)
    {
        callback_job j;
        j.handler = "on_any_async";
        j.async_call = [this, name](completion c) {
            std::lock_guard lock(m);
            started.push_back(name);
            open.push_back(std::move(c));
        };
        (void)f;
        return j;
    }
};

BOOST_AUTO_TEST_CASE(an_asynchronous_job_holds_its_queue_until_it_is_completed)
{
    auto d = make();
    async_jobs a;
    // ioc.run() does not return while a completion is open (it holds work): run it on a thread.
    net::post(strand, [&] {
        d->enqueue("fleet-1", a.make(*this, "a1"));
        d->enqueue("fleet-1", job("after-a1"));
        d->enqueue("fleet-2", job("other-fleet"));
    });
    std::thread t([&] { ioc.run(); });
    auto const wait_for = [&](auto done) {
        for(;;)
        {
            {
                std::lock_guard lock(m);
                std::lock_guard lock2(a.m);
                if(done())
                    return;
            }
            std::this_thread::yield();
        }
    };
    wait_for([&] { return a.open.size() == 1 && calls.size() == 1; });
    {
        std::lock_guard lock(m);
        BOOST_TEST(calls == std::vector<std::string>{"other-fleet"}); // fleet-1 waits behind a1
    }
    BOOST_TEST(d->backlog() == 2u);
    completion c;
    {
        std::lock_guard lock(a.m);
        c = std::move(a.open.front());
    }
    c.done(); // from this thread
    t.join(); // run() returns: nothing holds work any more
    BOOST_TEST(calls == (std::vector<std::string>{"other-fleet", "after-a1"}));
    BOOST_TEST(d->backlog() == 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_completion_is_retried_and_an_abandoned_one_never_ends)
{
    callback_policy p;
    p.max_attempts = 5;
    p.initial_backoff = 1ms;
    auto d = make(p);
    async_jobs a;
    int attempts = 0;
    callback_job j;
    j.handler = "on_any_async";
    j.async_call = [&](completion c) {
        // Fails twice (once by dropping the completion), then is abandoned.
        if(++attempts == 1)
            c.fail("sink down");
        else if(attempts == 2)
            return; // dropped uncompleted
        else
            c.abandon();
    };
    run([&] {
        d->enqueue("fleet-1", std::move(j));
        d->enqueue("fleet-1", job("behind"));
    });
    BOOST_TEST(attempts == 3);
    BOOST_TEST(d->retries() == 2u);
    BOOST_TEST(calls.empty()); // still waiting behind the abandoned call
    BOOST_TEST(dead.empty());
    BOOST_TEST(d->backlog() == 2u);
    BOOST_REQUIRE(reports.size() == 2u);
    BOOST_TEST(reports[0].find("sink down") != std::string::npos);
    BOOST_TEST(reports[1].find("completion dropped") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_dispatcher
