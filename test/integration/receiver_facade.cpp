// SPDX-License-Identifier: BSL-1.0
// test/integration/receiver_facade.cpp - what the receiver's own members answer and report:
// its queries of fleets and dead letters, operations tracked by id over the bound,
// registrations after start(), and a stop() that cannot drain within its timeout.
#include <catena/webhooks/receiver.hpp>

#include <catena/webhooks/signature.hpp>

#include "receiver_server.hpp"
#include "sim.hpp"

#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <mutex>
#include <optional>

namespace integration_receiver_facade { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::test::loopback;

// Sends a correctly signed delivery whose body is no envelope: kept, then dead-lettered.
void send_undecodable(server& s, std::string const& request_id)
{
    cs::client c(s.ep(), no_retry());
    cs::wire_request wr = cs::build_request(make_message(), secret, 1, cw::system_now(), false, request_id);
    cs::replace_body(wr, secret, R"({"not":"an envelope"})", cw::system_now());
    BOOST_REQUIRE(c.send_raw("POST", "/webhooks/catena", wr).status == 202u);
}

// Whether a report with this reason and text came.
bool reported(server& s, std::string_view reason, std::string_view text)
{
    std::lock_guard lock(s.m);
    return std::any_of(s.errors.begin(), s.errors.end(), [&](cw::error_report const& r) {
        return r.reason == reason && r.detail.find(text) != std::string::npos;
    });
}

bool wait_reported(server& s, std::string_view reason, std::string_view text)
{
    std::unique_lock lock(s.m);
    return s.cv.wait_for(lock, 60s, [&] {
        return std::any_of(s.errors.begin(), s.errors.end(), [&](cw::error_report const& r) {
            return r.reason == reason && r.detail.find(text) != std::string::npos;
        });
    });
}

} // namespace

BOOST_AUTO_TEST_SUITE(receiver_facade)

BOOST_AUTO_TEST_CASE(answers_the_fleets_it_holds_by_stage_health_page_and_tally)
{
    server s;
    cs::client c(s.ep(), no_retry());
    BOOST_REQUIRE(c.send(make_message("invitation.accepted", "inv-1"), secret).status == 202u);
    BOOST_REQUIRE(s.wait_events(1));
    s.shutdown(); // drained: the fleet is in place

    auto const all = s.rx.fleets();
    BOOST_REQUIRE(all.size() == 1u);
    auto const key = all.front().key;
    BOOST_TEST((all.front().stage == cw::stage::accepted));
    BOOST_TEST(s.rx.fleet(key).has_value());
    BOOST_TEST(s.rx.fleets_in(cw::stage::accepted).size() == 1u);
    BOOST_TEST(s.rx.fleets_in(cw::stage::connected).empty());
    BOOST_TEST(s.rx.fleets_in(all.front().health).size() == 1u);
    cw::fleet_query q;
    q.stage = cw::stage::accepted;
    auto const page = s.rx.fleets(q);
    BOOST_TEST(page.matched == 1u);
    BOOST_REQUIRE(page.fleets.size() == 1u);
    BOOST_TEST(page.fleets.front().key == key);
    q.stage = cw::stage::declined;
    BOOST_TEST(s.rx.fleets(q).matched == 0u);
    auto const tally = s.rx.tally();
    BOOST_TEST(tally.total == 1u);
    BOOST_TEST(tally.by_stage[static_cast<std::size_t>(cw::stage::accepted)] == 1u);
}

BOOST_AUTO_TEST_CASE(answers_a_stored_dead_letter_by_its_id_with_its_body)
{
    server s;
    send_undecodable(s, "dl-by-id");
    BOOST_REQUIRE(s.wait_dead(1));
    s.shutdown(); // written
    auto const listed = s.rx.dead_letters(10);
    BOOST_REQUIRE(listed.size() == 1u);
    auto const one = s.rx.dead_letter(listed.front().id);
    BOOST_REQUIRE(one.has_value());
    BOOST_TEST(one->id == listed.front().id);
    BOOST_TEST(one->letter.request_id == "dl-by-id");
    BOOST_TEST(one->letter.body == R"({"not":"an envelope"})");
    BOOST_TEST(one->body_bytes == one->letter.body.size());
    BOOST_TEST(!s.rx.dead_letter(listed.front().id + 1000).has_value());
}

BOOST_AUTO_TEST_CASE(an_operation_tracked_by_id_over_the_bound_is_reported_and_its_future_fails)
{
    auto o = base_options();
    o.processing.max_tracked_operations = 1;
    server s(o);
    // By id only: the first fits, the second is over the bound.
    s.rx.track_operation(std::string("op-kept"), [](cw::operation_result const&) {});
    s.rx.track_operation(std::string("op-over"), [](cw::operation_result const&) {
        BOOST_ERROR("the handler of an operation over the bound is dropped, never called");
    });
    BOOST_REQUIRE(wait_reported(s, "too_many_operations", "cannot track operation op-over"));
    auto f = s.rx.track_operation(std::string("op-over-too"));
    try
    {
        f.get();
        BOOST_ERROR("the future of an operation over the bound fails");
    }
    catch(boost::system::system_error const& e)
    {
        BOOST_TEST((e.code() == cw::error::too_many_operations));
        BOOST_TEST(std::string(e.what()).find("op-over-too") != std::string::npos, e.what());
    }
    auto const pending = s.rx.pending_operations();
    BOOST_REQUIRE(pending.size() == 1u);
    BOOST_TEST(pending.front().operation_id == "op-kept");
}

BOOST_AUTO_TEST_CASE(a_registration_after_start_is_reported_and_ignored)
{
    std::atomic<int> late_calls{0};
    server s;
    s.rx.on("invitation.accepted", [&](cw::event const&) { ++late_calls; });
    BOOST_TEST(reported(s, "already_started", "on(\"invitation.accepted\") after start() is ignored"));
    s.rx.on_transition([&](cw::transition const&) { ++late_calls; });
    BOOST_TEST(reported(s, "already_started", "on_transition() after start() is ignored"));
    cs::client c(s.ep(), no_retry());
    BOOST_REQUIRE(c.send(make_message("invitation.accepted", "inv-late"), secret).status == 202u);
    BOOST_REQUIRE(s.wait_events(1)); // the handler registered before start() still runs
    s.shutdown();
    BOOST_TEST(late_calls.load() == 0);
    BOOST_TEST((s.rx.start() == cw::error::already_started));
}

BOOST_AUTO_TEST_CASE(a_receiver_never_started_has_nothing_to_wait_for)
{
    net::io_context ioc;
    cw::receiver rx(ioc.get_executor(), base_options());
    BOOST_TEST(rx.wait_stopped());
    rx.stop(); // nothing to stop
    BOOST_TEST(ioc.run() == 0u);
}

BOOST_AUTO_TEST_CASE(a_stop_whose_processing_never_drains_gives_up_after_shutdown_timeout_and_says_so)
{
    auto o = base_options();
    o.timeouts.shutdown_grace = 50ms;
    o.timeouts.shutdown_timeout = 200ms;
    std::mutex held_mutex;
    std::condition_variable held_cv;
    std::optional<cw::completion> held; // a sink that never answers
    server s(o, [&](cw::receiver& rx) {
        rx.on_any_async([&](cw::event const&, cw::completion c) {
            std::lock_guard lock(held_mutex);
            held.emplace(std::move(c));
            held_cv.notify_all();
        });
    });
    cs::client c(s.ep(), no_retry());
    BOOST_REQUIRE(c.send(make_message("invitation.accepted", "inv-stuck"), secret).status == 202u);
    {
        std::unique_lock lock(held_mutex);
        BOOST_REQUIRE(held_cv.wait_for(lock, 60s, [&] { return held.has_value(); }));
    }
    s.rx.stop();
    // The watchdog, not the I/O threads, ends it: the call is still open.
    BOOST_REQUIRE(wait_reported(s, "shutdown_timed_out", "giving up on processing"));
    {
        std::lock_guard lock(held_mutex);
        held->abandon(); // the program stops: the delivery stays for the next start
    }
    s.shutdown();
    BOOST_TEST(!s.rx.wait_stopped()); // it did not drain in time
}

BOOST_AUTO_TEST_SUITE_END() // receiver_facade

} // namespace integration_receiver_facade
