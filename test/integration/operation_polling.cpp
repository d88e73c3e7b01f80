// SPDX-License-Identifier: BSL-1.0
// test/integration/operation_polling.cpp - operations whose result webhook never comes,
// recovered from the fake Integrations API: after the grace period, at once after a
// webhook.staled gap, within the rate limit, never from a 401, a 5xx or garbage, and across
// a restart. The receiver's clock is the test's: it moves only when the test moves it.
#include "fake_catena_api.hpp"
#include "receiver_server.hpp"
#include "scenario.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <catena/webhooks/notifications.hpp>

#include <boost/test/unit_test.hpp>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <set>

namespace integration_operation_polling { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace tst = catena::webhooks::test;
namespace lb = catena::webhooks::test::loopback;
namespace json = boost::json;
using namespace std::chrono_literals;
using fault = tst::fake_catena_api::operation_fault;

// A clock that stands still until the test moves it.
struct test_clock
{
    cw::timestamp const base = cw::system_now();
    std::shared_ptr<std::atomic<std::int64_t>> offset_s = std::make_shared<std::atomic<std::int64_t>>(0);

    cw::clock_function fn() const
    {
        return [base = base, off = offset_s] { return base + std::chrono::seconds(off->load()); };
    }
    void advance(std::chrono::seconds s) const { *offset_s += s.count(); }
};

json::object operation(std::string id, std::string status, std::string connection = "conn-1")
{
    json::object o{{"id", id},
                   {"created_at", "2026-12-07T10:00:00Z"},
                   {"updated_at", "2026-12-07T10:00:05Z"},
                   {"partner_id", "partner-1"},
                   {"connection_id", std::move(connection)},
                   {"fleet_ref", "FLEET-42"},
                   {"resource", "message"},
                   {"operation_type", "create"},
                   {"status", status},
                   {"resource_id", status == "success" ? json::value("msg-" + id) : nullptr},
                   {"source_id", status == "success" ? json::value("tsp-" + id) : nullptr},
                   {"payload", json::object{{"message_text", "hello"}}}};
    if(status == "failed")
        o["logs"] = json::array{json::object{{"id", "log-1"},
                                             {"resource_operation_id", id},
                                             {"status", "failed"},
                                             {"error_type", "tsp"},
                                             {"error_details", "TSP answered 500"},
                                             {"response_status_code", 500}}};
    return o;
}

cw::operation_ref ref(std::string id) { return {std::move(id), "conn-1", "message"}; }

struct world
{
    std::string dir = tst::make_temp_dir("operation-polling");
    tst::fake_catena_api api{dir};
    test_clock clock;

    cw::receiver_options options(std::chrono::seconds grace) const
    {
        auto o = lb::base_options();
        o.clock = clock.fn();
        // The clock stands still: released at once, and deliveries signed by the real clock pass.
        o.processing.reorder_window = 0ms;
        o.window.max_past = 24h;
        o.window.max_future = 24h;
        o.operations.enabled = true;
        o.operations.api = api.client_options();
        o.operations.api.max_attempts = 2;
        o.operations.api.initial_backoff = 10ms;
        o.operations.api.max_backoff = 20ms;
        o.operations.grace = grace;
        o.operations.initial_backoff = 60s;
        o.operations.max_backoff = 600s;
        return o;
    }
};

void send(lb::server& s, std::string event_name, json::object record, std::string event_id)
{
    cs::message m;
    m.webhook_id = std::string(lb::webhook_id);
    m.event_name = std::move(event_name);
    m.event_id = std::move(event_id);
    m.data.push_back(std::move(record));
    cs::client c(s.ep(), lb::no_retry());
    BOOST_REQUIRE(c.send(m, lb::secret).status == 202u);
}

// A metric's value from the receiver's text, 0 when absent.
double metric(cw::receiver const& rx, std::string const& name)
{
    auto const text = rx.metrics_text();
    auto const at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + name.size() + 2));
}

bool ready(std::future<cw::operation_result> const& f) { return f.wait_for(0s) == std::future_status::ready; }

// The receiver has handed the operation to the poller (it shows when it is asked next).
bool polled_later(cw::receiver const& rx, std::string const& id)
{
    for(auto const& p : rx.pending_operations())
        if(p.operation_id == id && p.next_poll)
            return true;
    return false;
}

BOOST_AUTO_TEST_SUITE(operation_polling)

BOOST_AUTO_TEST_CASE(an_operation_whose_webhook_never_comes_completes_by_polling_once_its_grace_has_passed)
{
    world w;
    w.api.put_operation(operation("op-1", "success"));
    std::atomic<int> calls{0};
    std::promise<cw::operation_result> done;
    lb::server s(w.options(60s));
    // conn-1 is fleet-1's: the outcome names the fleet.
    send(s, "fleet_connection.created", json::object{{"id", "fc-1"}, {"fleet_id", "fleet-1"}, {"connection_id", "conn-1"}},
         "01936b2e-7c00-7000-8000-00000000f001");
    BOOST_REQUIRE(s.wait_events(1));
    s.rx.track_operation(ref("op-1"), [&](cw::operation_result const& r) {
        if(++calls == 1)
            done.set_value(r);
    });
    BOOST_REQUIRE(tst::eventually([&] { return polled_later(s.rx, "op-1"); }));
    // The clock has not moved: nothing was asked yet.
    BOOST_TEST(w.api.seen().operation_requests == 0u);
    BOOST_TEST((*s.rx.pending_operations().at(0).next_poll == w.clock.fn()() + 60s));

    w.clock.advance(61s);
    auto f = done.get_future();
    BOOST_REQUIRE((f.wait_for(60s) == std::future_status::ready));
    auto const r = f.get();
    BOOST_TEST((r.status == cw::operation_status::success));
    BOOST_TEST((r.source == cw::operation_source::poll));
    BOOST_TEST(r.resource_id == "msg-op-1");
    BOOST_TEST(r.connection_id == "conn-1");
    BOOST_TEST(r.fleet_key == "fleet-1");
    BOOST_TEST(w.api.seen().operation_requests == 1u);
    // The list is a snapshot the processing strand updates once the handler returned.
    BOOST_TEST(tst::eventually([&] { return s.rx.pending_operations().empty(); }));

    // The webhook comes after all: a duplicate, not a second completion.
    send(s, "resource_operation.succeeded", operation("op-1", "success"), "01936b2e-7c00-7000-8000-00000000f002");
    BOOST_REQUIRE(s.wait_events(2));
    BOOST_REQUIRE(tst::eventually([&] { return metric(s.rx, "catena_webhooks_operation_duplicates_total") == 1.0; }));
    BOOST_TEST(calls.load() == 1);
    BOOST_TEST(metric(s.rx, "catena_webhooks_operations_polled_total") == 1.0);
}

BOOST_AUTO_TEST_CASE(an_operation_covered_by_a_staled_gap_is_reconciled_without_waiting_for_its_grace)
{
    world w;
    w.api.put_operation(operation("op-2", "failed"));
    w.api.put_operation(operation("op-3", "success"));
    w.api.put_operation(operation("op-9", "success", "conn-2")); // not ours
    lb::server s(w.options(1h));
    auto f2 = s.rx.track_operation(ref("op-2"));
    auto f3 = s.rx.track_operation(ref("op-3"));
    BOOST_REQUIRE(tst::eventually([&] { return polled_later(s.rx, "op-2") && polled_later(s.rx, "op-3"); }));
    // The subscription that carries resource_operation results went stale: what happened meanwhile
    // is not queued by Catena.
    send(s, "webhook.staled",
         json::object{{"id", "sub-ops"},
                      {"url", "https://rx.example/webhooks/catena"},
                      {"event_name", "resource_operation.succeeded"},
                      {"filters", nullptr},
                      {"status", "stale"}},
         "01936b2e-7c00-7000-8000-00000000f003");
    BOOST_REQUIRE((f2.wait_for(60s) == std::future_status::ready));
    BOOST_REQUIRE((f3.wait_for(60s) == std::future_status::ready));
    auto const r2 = f2.get();
    BOOST_TEST((r2.status == cw::operation_status::failed));
    BOOST_TEST((r2.source == cw::operation_source::poll));
    BOOST_TEST(r2.error_type == "tsp");
    BOOST_TEST(r2.error_details == "TSP answered 500");
    BOOST_TEST((f3.get().status == cw::operation_status::success));
    // One listing for the connection and resource, no request per operation.
    BOOST_TEST(w.api.seen().operation_listings == 1u);
    BOOST_TEST(w.api.seen().operation_requests == 0u);
}

BOOST_AUTO_TEST_CASE(a_gap_of_a_subscription_that_carries_no_operation_results_polls_nothing)
{
    world w;
    w.api.put_operation(operation("op-4", "success"));
    lb::server s(w.options(1h));
    auto f = s.rx.track_operation(ref("op-4"));
    BOOST_REQUIRE(tst::eventually([&] { return polled_later(s.rx, "op-4"); }));
    send(s, "webhook.staled", json::object{{"id", "sub-loc"}, {"event_name", "vehicle_location.added"}, {"status", "stale"}},
         "01936b2e-7c00-7000-8000-00000000f004");
    // Then the one that carries the results: the poller hears of both in this order.
    send(s, "webhook.paused",
         json::object{{"id", "sub-ops"}, {"event_name", "resource_operation.failed"}, {"status", "paused"}},
         "01936b2e-7c00-7000-8000-00000000f005");
    BOOST_REQUIRE((f.wait_for(60s) == std::future_status::ready));
    BOOST_TEST(metric(s.rx, "catena_webhooks_operation_poll_gaps_total") == 1.0);
    BOOST_TEST(w.api.seen().operation_listings == 1u);
}

BOOST_AUTO_TEST_CASE(polling_stops_at_the_rate_limit_and_resumes_when_its_window_has_passed)
{
    world w;
    for(auto id : {"op-5", "op-6", "op-7"})
        w.api.put_operation(operation(id, "success"));
    auto o = w.options(60s);
    o.operations.max_polls = 2;
    o.operations.per = 60s;
    lb::server s(o);
    std::vector<std::future<cw::operation_result>> fs;
    for(auto id : {"op-5", "op-6", "op-7"})
        fs.push_back(s.rx.track_operation(ref(id)));
    BOOST_REQUIRE(tst::eventually([&] {
        return polled_later(s.rx, "op-5") && polled_later(s.rx, "op-6") && polled_later(s.rx, "op-7");
    }));
    w.clock.advance(61s);
    auto count_ready = [&] { return std::count_if(fs.begin(), fs.end(), [](auto const& f) { return ready(f); }); };
    BOOST_REQUIRE(tst::eventually([&] {
        return count_ready() == 2 && metric(s.rx, "catena_webhooks_operation_polls_deferred_total") >= 1.0;
    }));
    // The clock stands still: the third waits for the window, however long.
    BOOST_TEST(w.api.seen().operation_requests == 2u);
    BOOST_TEST(count_ready() == 2);
    w.clock.advance(60s);
    BOOST_REQUIRE(tst::eventually([&] { return count_ready() == 3; }));
    BOOST_TEST(w.api.seen().operation_requests == 3u);
    for(auto& f : fs)
        BOOST_TEST((f.get().source == cw::operation_source::poll));
}

BOOST_AUTO_TEST_CASE(an_api_answering_401_5xx_or_garbage_is_reported_and_completes_nothing)
{
    world w;
    w.api.put_operation(operation("op-8", "success"));
    lb::server s(w.options(60s));
    auto f = s.rx.track_operation(ref("op-8"));
    BOOST_REQUIRE(tst::eventually([&] { return polled_later(s.rx, "op-8"); }));
    auto step = 61s;
    for(auto const& [what, reason] : {std::pair{fault::unauthorized, "api_unauthorized"},
                                      std::pair{fault::server_error, "api_server_error"},
                                      std::pair{fault::garbage, "api_bad_response"}})
    {
        BOOST_TEST_CONTEXT(reason)
        {
            w.api.fault_operations(what);
            w.clock.advance(step); // the grace, then each back-off (doubling)
            step *= 2;
            BOOST_REQUIRE(tst::eventually([&] { return s.reported(reason); }));
            BOOST_TEST(!ready(f));
            auto const pending = s.rx.pending_operations();
            BOOST_REQUIRE(pending.size() == 1u);
            BOOST_TEST(!pending[0].last_problem.empty());
        }
    }
    {
        std::lock_guard lock(s.m);
        for(auto const& e : s.errors)
            BOOST_TEST(e.detail.find("op-8") != std::string::npos);
    }
    BOOST_TEST(metric(s.rx, "catena_webhooks_operations_polled_total") == 0.0);
    // Once the API answers again, the operation completes.
    w.api.fault_operations(fault::none);
    w.clock.advance(step);
    BOOST_REQUIRE((f.wait_for(60s) == std::future_status::ready));
    BOOST_TEST((f.get().status == cw::operation_status::success));
}

BOOST_AUTO_TEST_CASE(a_tracked_operation_survives_a_restart_and_is_polled_after_it)
{
    world w;
    w.api.put_operation(operation("op-10", "success"));
    auto o = w.options(60s);
    o.store.data_dir = w.dir + "/data";
    {
        auto first = o;
        first.operations.enabled = false; // this run hears nothing of it
        lb::server s(first);
        s.rx.track_operation(ref("op-10"), [](cw::operation_result const&) {});
        BOOST_REQUIRE(tst::eventually([&] { return s.rx.pending_operations().size() == 1u; }));
        s.shutdown();
    }
    lb::server s(o);
    // Taken back from the store, polled once its grace passed, though nobody registered again.
    BOOST_REQUIRE(tst::eventually([&] { return polled_later(s.rx, "op-10"); }));
    BOOST_TEST(s.rx.pending_operations().at(0).connection_id == "conn-1");
    w.clock.advance(61s);
    BOOST_REQUIRE(tst::eventually([&] { return s.rx.pending_operations().empty(); }));
    BOOST_TEST(w.api.seen().operation_requests == 1u);
    // The registration after the restart finds the outcome.
    auto f = s.rx.track_operation(std::string("op-10"));
    BOOST_REQUIRE((f.wait_for(60s) == std::future_status::ready));
    auto const r = f.get();
    BOOST_TEST((r.status == cw::operation_status::success));
    BOOST_TEST((r.source == cw::operation_source::poll));
}

BOOST_AUTO_TEST_CASE(a_simulated_scenario_whose_result_webhooks_are_dropped_completes_every_operation)
{
    world w;
    cs::scenario_options so;
    so.fleets = 12;
    so.seed = 44;
    so.resource_operation_rate = 1.0;
    so.drop_operation_result_rate = 0.5;
    so.stale_rate = 0;
    so.halt_rate = 0;
    auto const sc = cs::make_scenario(so, {}, lb::webhook_id);
    BOOST_REQUIRE(!sc.dropped_operations.empty());
    for(auto const& op : sc.dropped_operations)
        w.api.put_operation(op);
    lb::server s(w.options(60s));
    // The writes the scenario's operations stand for, tracked from their 202s.
    std::map<std::string, std::future<cw::operation_result>> fs;
    for(auto const& m : sc.messages)
        if(m.msg.event_name == "resource_operation.created" && !m.duplicate)
        {
            auto const r = cw::parse_operation_response(json::serialize(m.msg.data.at(0)));
            BOOST_REQUIRE(r.has_value());
            fs.emplace(r->operation_id, s.rx.track_operation(*r));
        }
    BOOST_REQUIRE(fs.size() > sc.dropped_operations.size());
    cs::client c(s.ep(), lb::no_retry());
    for(auto const& m : sc.messages)
        BOOST_REQUIRE(c.send(m.msg, lb::secret, m.attempt).status == 202u);
    BOOST_REQUIRE(s.wait_events(sc.unique_records));
    auto const by_webhook = fs.size() - sc.dropped_operations.size();
    BOOST_REQUIRE(tst::eventually([&] { return s.rx.pending_operations().size() == sc.dropped_operations.size(); }));
    w.clock.advance(61s);
    std::set<std::string> dropped;
    for(auto const& op : sc.dropped_operations)
        dropped.insert(std::string(op.at("id").as_string()));
    std::size_t polled = 0;
    for(auto& [id, f] : fs)
        BOOST_TEST_CONTEXT(id)
        {
            BOOST_REQUIRE((f.wait_for(60s) == std::future_status::ready));
            auto const r = f.get();
            BOOST_TEST((r.status == cw::operation_status::success || r.status == cw::operation_status::failed));
            BOOST_TEST(!r.fleet_key.empty());
            BOOST_TEST((r.source == (dropped.contains(id) ? cw::operation_source::poll : cw::operation_source::webhook)));
            polled += r.source == cw::operation_source::poll;
        }
    BOOST_TEST(polled == sc.dropped_operations.size());
    BOOST_TEST(fs.size() - polled == by_webhook);
}

BOOST_AUTO_TEST_CASE(after_a_gap_a_pending_operation_waits_one_not_listed_is_asked_alone_and_a_refused_listing_is_reported)
{
    world w;
    w.api.put_operation(operation("op-11", "pending"));
    lb::server s(w.options(1h));
    auto f11 = s.rx.track_operation(ref("op-11"));
    auto f12 = s.rx.track_operation(ref("op-12")); // unknown to the API
    BOOST_REQUIRE(tst::eventually([&] { return polled_later(s.rx, "op-11") && polled_later(s.rx, "op-12"); }));
    send(s, "webhook.staled",
         json::object{{"id", "sub-ops"}, {"event_name", "resource_operation.succeeded"}, {"status", "stale"}},
         "01936b2e-7c00-7000-8000-00000000f011");
    // The listing names op-11, still pending; op-12 is not in it and is asked alone: 404.
    BOOST_REQUIRE(tst::eventually([&] { return s.reported("api_not_found"); }));
    {
        std::lock_guard lock(s.m);
        BOOST_TEST(std::any_of(s.errors.begin(), s.errors.end(), [](cw::error_report const& r) {
            return r.detail.find("cannot poll operation op-12 on connection conn-1") != std::string::npos;
        }));
    }
    BOOST_TEST(w.api.seen().operation_listings == 1u);
    BOOST_TEST(w.api.seen().operation_requests == 1u);
    BOOST_TEST(metric(s.rx, "catena_webhooks_operations_polled_total") == 0.0);
    for(auto const& p : s.rx.pending_operations())
        BOOST_TEST_CONTEXT(p.operation_id)
        {
            BOOST_TEST(p.polls == 1u); // asked once each, neither decided
            BOOST_TEST(p.last_problem.empty() == (p.operation_id == "op-11"));
        }

    // Another gap, and the listing is refused: reported, nothing completed.
    w.api.fault_operations(fault::server_error);
    send(s, "webhook.paused",
         json::object{{"id", "sub-ops"}, {"event_name", "resource_operation.succeeded"}, {"status", "paused"}},
         "01936b2e-7c00-7000-8000-00000000f012");
    BOOST_REQUIRE(tst::eventually([&] {
        std::lock_guard lock(s.m);
        return std::any_of(s.errors.begin(), s.errors.end(), [](cw::error_report const& r) {
            return r.reason == "api_server_error" &&
                   r.detail.find("cannot list the operations of connection conn-1") != std::string::npos;
        });
    }));
    BOOST_TEST(!ready(f11));
    BOOST_TEST(!ready(f12));
}

BOOST_AUTO_TEST_SUITE_END() // operation_polling

} // namespace

} // namespace integration_operation_polling
