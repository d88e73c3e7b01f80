// SPDX-License-Identifier: BSL-1.0
// test/unit/processor.cpp - the processing loop shares its thread: a backlog goes through in
// bounded turns, with the thread's other work between them.
#include "delivery/processor.hpp"

#include "store/memory.hpp"

#include <catena/webhooks/gzip.hpp>
#include "sim.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <thread>

namespace unit_processor { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace cd = catena::webhooks::detail;
namespace cs = catena::webhooks::sim;
namespace net = boost::asio;

// A telematics delivery of `records` records for one fleet, each with its own id.
std::string location_body(std::mt19937_64& rng, std::size_t n, std::size_t records, cw::timestamp now)
{
    auto m = cs::load_message(rng, "5f0c1e2a-0000-4000-8000-00000000a001", n * 1000); // fleet 0, telematics
    BOOST_REQUIRE(m.event_name == "vehicle_location.added");
    auto const first = m.data.at(0);
    m.data.clear();
    for(std::size_t i = 0; i < records; ++i)
    {
        auto r = first;
        r.as_object()["id"] = cs::random_uuid(rng);
        m.data.push_back(std::move(r));
    }
    return cs::render_body(m, 1, now);
}

constexpr char const* subscription = "5f0c1e2a-0000-4000-8000-00000000a001";

// A processor on a one-thread io_context over a memory store, its reports collected.
struct rig
{
    net::io_context io{1};
    cw::receiver_options opts;
    cd::handler_registry handlers;
    cd::counters counts;
    std::vector<std::pair<cw::error_code, std::string>> reports;
    std::unique_ptr<cd::store> store = cd::make_memory_store(cd::store_limits{});
    std::shared_ptr<int> keep_alive = std::make_shared<int>(0);
    cd::secret_holder secrets{cw::secret_ring{}};
    std::optional<cd::route_table> routes; // the delivery paths of opts, once tuned
    std::unique_ptr<cd::processor> proc;
    std::atomic<std::size_t> events{0}; // counted where the callbacks run

    explicit rig(std::function<void(cw::receiver_options&)> tune = {})
    {
        opts.processing.reorder_window = std::chrono::milliseconds(0);
        opts.store.progress_interval = std::chrono::milliseconds(1);
        if(tune)
            tune(opts);
        BOOST_REQUIRE(!handlers.add_event("*", [this](cw::event const&) { ++events; }));
        handlers.freeze();
        routes.emplace(opts, cd::provider_services{opts, counts, [](auto&&...) {}, secrets});
        proc = std::make_unique<cd::processor>(
            io.get_executor(), opts, handlers, counts,
            [this](cw::error_code ec, unsigned, std::string text, std::string, std::string) { reports.emplace_back(ec, text); },
            *routes);
    }
    ~rig()
    {
        proc->abandon();
        io.restart();
        io.run_for(std::chrono::milliseconds(100));
    }

    cd::inbox_entry delivery(std::string const& record, std::string const& event_name = "vehicle.added")
    {
        cs::message m;
        m.webhook_id = subscription;
        m.event_name = event_name;
        m.data.push_back(boost::json::object{{"id", record}, {"fleet_id", "f-1"}});
        cd::inbox_entry e;
        e.body = cs::render_body(m, 1, opts.clock());
        e.webhook_id = subscription;
        e.request_id = "req-" + record;
        e.event_type = event_name;
        e.sent_at = e.received_at = opts.clock();
        return e;
    }
    void keep(cd::inbox_entry e)
    {
        bool kept = false;
        store->append(std::move(e), opts.clock(),
                      [&](cd::append_status st, std::uint64_t, cw::error_code) { kept = st == cd::append_status::kept; });
        BOOST_REQUIRE(kept);
    }
    void start()
    {
        proc->attach(*store, cd::recovered_state{}, keep_alive);
        proc->schedule();
    }
    /// Runs the io_context until `done` (at most a minute: the bound of a failure only).
    bool run_until(std::function<bool()> const& done)
    {
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while(!done())
        {
            if(std::chrono::steady_clock::now() > until)
                return false;
            io.restart();
            io.run_for(std::chrono::milliseconds(5));
        }
        return true;
    }
    void run_for(std::chrono::milliseconds d)
    {
        io.restart();
        io.run_for(d);
    }
    bool reported(cw::error_code ec) const
    {
        return std::any_of(reports.begin(), reports.end(), [&](auto const& r) { return r.first == ec; });
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(processor_)

// A body kept compressed that no longer inflates (a damaged file) is not lost and stops
// nothing: it becomes an undecodable dead letter, and the next delivery is processed.
BOOST_AUTO_TEST_CASE(a_kept_body_that_no_longer_inflates_becomes_an_undecodable_dead_letter)
{
    rig r;
    auto damaged = r.delivery("v-1");
    damaged.body = cw::gzip_compress(damaged.body);
    damaged.body[damaged.body.size() / 2] ^= 0x5a;
    damaged.compressed = true;
    r.keep(std::move(damaged));
    auto good = r.delivery("v-2");
    good.body = cw::gzip_compress(good.body);
    good.compressed = true;
    r.keep(std::move(good));
    r.start();
    BOOST_REQUIRE(r.run_until([&] { return r.events == 1 && r.store->dead_letters(10).size() == 1; }));
    auto const letters = r.store->dead_letters(10);
    BOOST_TEST((letters[0].letter.kind == cw::dead_letter_kind::undecodable));
    BOOST_TEST(letters[0].letter.request_id == "req-v-1");
    BOOST_TEST(r.reports.size() == 1u);
    BOOST_TEST(r.store->backlog() == 0u);
}

// A delivery kept by a route that is no longer configured (the daemon restarted without it)
// is a dead letter saying so, to be replayed once the route is back.
BOOST_AUTO_TEST_CASE(a_delivery_of_a_route_no_longer_configured_becomes_a_dead_letter)
{
    rig r;
    auto e = r.delivery("v-1");
    e.route = "/webhooks/gone";
    r.keep(std::move(e));
    r.start();
    BOOST_REQUIRE(r.run_until([&] { return r.store->dead_letters(10).size() == 1; }));
    BOOST_TEST(r.reported(cw::error::route_unknown));
    BOOST_TEST(r.store->dead_letters(10)[0].letter.route == "/webhooks/gone");
    BOOST_TEST(r.events.load() == 0u);
}

// Callbacks behind (on an executor that does not run yet): once the callback backlog is
// at its bound the inbox is not read, and it is read again once they catch up.
BOOST_AUTO_TEST_CASE(the_inbox_waits_while_the_callbacks_are_behind)
{
    net::io_context callbacks(1);
    rig r([&](cw::receiver_options& o) {
        o.processing.max_callback_backlog = 2;
        o.processing.callback_executor = callbacks.get_executor();
    });
    for(int i = 0; i < 3; ++i)
        r.keep(r.delivery("v-" + std::to_string(i)));
    r.start();
    BOOST_REQUIRE(r.run_until([&] { return r.proc->pipeline_snapshot().events == 3; }));
    // The callbacks of those three wait on the other executor: three more stay in the inbox.
    for(int i = 3; i < 6; ++i)
        r.keep(r.delivery("v-" + std::to_string(i)));
    r.proc->schedule();
    r.run_for(std::chrono::milliseconds(300));
    BOOST_TEST(r.proc->pipeline_snapshot().events == 3u);
    BOOST_TEST(r.proc->callbacks().backlog() >= 2u);
    // The callbacks run: the backlog drains, and the inbox is read again.
    auto work = net::make_work_guard(callbacks);
    std::thread t([&] { callbacks.run_for(std::chrono::seconds(60)); });
    BOOST_TEST(r.run_until([&] { return r.events == 6 && r.store->backlog() == 0; }));
    callbacks.stop();
    t.join();
}

// The bound on tracked operations: one more is refused, and says why.
BOOST_AUTO_TEST_CASE(tracking_beyond_the_bound_is_refused)
{
    rig r([](cw::receiver_options& o) { o.processing.max_tracked_operations = 1; });
    r.start();
    std::vector<cw::error_code> answers;
    net::post(r.proc->strand(), [&] {
        auto const deadline = r.opts.clock() + std::chrono::hours(1);
        answers.push_back(r.proc->track(cw::operation_ref{"op-1", "", ""}, [](cw::operation_result const&) {}, deadline));
        answers.push_back(r.proc->track(cw::operation_ref{"op-2", "", ""}, [](cw::operation_result const&) {}, deadline));
    });
    BOOST_REQUIRE(r.run_until([&] { return answers.size() == 2; }));
    BOOST_TEST(!answers[0]);
    BOOST_TEST((answers[1] == cw::error::too_many_operations));
}

// What the pipeline reports without changing anything (here events released before their
// window, the reorder buffer being full) reaches on_error.
BOOST_AUTO_TEST_CASE(a_problem_of_the_pipeline_is_reported)
{
    rig r([](cw::receiver_options& o) {
        o.processing.reorder_window = std::chrono::seconds(60);
        o.processing.reorder_max_events = 1;
    });
    for(int i = 0; i < 3; ++i)
        r.keep(r.delivery("v-" + std::to_string(i)));
    r.start();
    BOOST_REQUIRE(r.run_until([&] { return r.reported(cw::error::released_early); }));
    BOOST_TEST(r.events.load() >= 2u);
}

// stop() out of time: nothing more is processed, and what is in the inbox stays there.
BOOST_AUTO_TEST_CASE(an_abandoned_processor_processes_nothing_more)
{
    rig r;
    r.keep(r.delivery("v-1"));
    r.proc->attach(*r.store, cd::recovered_state{}, r.keep_alive);
    r.proc->abandon();
    r.run_for(std::chrono::milliseconds(50));
    r.proc->schedule();
    r.proc->no_more_deliveries();
    r.run_for(std::chrono::milliseconds(200));
    BOOST_TEST(r.events.load() == 0u);
    BOOST_TEST(r.store->backlog() == 1u);
    BOOST_TEST(r.proc->closed());
}


// The thread that processes also answers requests: while a long backlog is processed, other
// work queued on the thread runs between the processing turns instead of after all of it.
BOOST_AUTO_TEST_CASE(a_backlog_goes_through_in_several_turns_with_the_threads_other_work_between_them)
{
    constexpr std::size_t deliveries = 256; // one batch taken from the store
    constexpr std::size_t records = 20;     // about 5 000 events, milliseconds of work at any speed
    net::io_context io(1);
    cw::receiver_options opts;
    opts.processing.reorder_window = std::chrono::milliseconds(0); // released as soon as pushed

    std::size_t ticks = 0;             // turns of the other work so far
    std::map<std::size_t, std::size_t> events_at_tick;
    std::size_t events = 0;
    cd::handler_registry handlers;
    BOOST_REQUIRE(!handlers.add_event("*", [&](cw::event const&) {
        ++events;
        ++events_at_tick[ticks];
    }));
    handlers.freeze();
    cd::counters counts;
    std::size_t problems = 0;
    cd::secret_holder secrets(opts.secrets);
    cd::route_table const routes(opts, {opts, counts, [](auto&&...) {}, secrets});
    cd::processor proc(io.get_executor(), opts, handlers, counts,
                       [&](cw::error_code, unsigned, std::string, std::string, std::string) { ++problems; }, routes);

    auto store = cd::make_memory_store(cd::store_limits{});
    std::mt19937_64 rng(7);
    auto const now = opts.clock();
    std::size_t kept = 0;
    for(std::size_t i = 0; i < deliveries; ++i)
    {
        cd::inbox_entry e;
        e.body = location_body(rng, i, records, now);
        e.webhook_id = "5f0c1e2a-0000-4000-8000-00000000a001";
        e.request_id = cs::random_uuid(rng);
        e.event_type = "vehicle_location.added";
        e.sent_at = e.received_at = now;
        store->append(std::move(e), now, [&](cd::append_status st, std::uint64_t, cw::error_code) {
            kept += st == cd::append_status::kept;
        });
    }
    BOOST_REQUIRE_EQUAL(kept, deliveries);
    auto keep_alive = std::make_shared<int>(0);
    proc.attach(*store, cd::recovered_state{}, keep_alive);

    // The thread's other work: a handler that counts its turns and queues itself again until
    // every event is out.
    std::function<void()> other = [&] {
        ++ticks;
        if(events == deliveries * records)
            return io.stop();
        net::post(io, other);
    };
    proc.schedule();
    net::post(io, other);
    io.run_for(std::chrono::seconds(60));

    BOOST_REQUIRE_EQUAL(events, deliveries * records);
    BOOST_TEST(problems == 0u);
    // One turn for the whole batch would show every event at one tick.
    BOOST_TEST(events_at_tick.size() >= 4u);
    std::size_t largest = 0;
    for(auto const& [tick, n] : events_at_tick)
        largest = std::max(largest, n);
    BOOST_TEST(largest < deliveries * records / 4);
    auto const timed = counts.load().slice;
    BOOST_TEST(std::accumulate(timed.begin(), timed.end(), std::uint64_t{0}) >= 4u); // each turn timed
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_processor
