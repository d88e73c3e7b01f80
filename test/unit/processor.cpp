// SPDX-License-Identifier: BSL-1.0
// test/unit/processor.cpp - the processing loop shares its thread: a backlog goes through in
// bounded turns, with the thread's other work between them.
#include "delivery/processor.hpp"

#include "store/memory.hpp"
#include "sim.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>
#include <map>
#include <numeric>
#include <random>

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

} // namespace

BOOST_AUTO_TEST_SUITE(processor_)

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
    cd::processor proc(io.get_executor(), opts, handlers, counts,
                       [&](cw::error_code, unsigned, std::string, std::string, std::string) { ++problems; });

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
