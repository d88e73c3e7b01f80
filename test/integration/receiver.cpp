// SPDX-License-Identifier: BSL-1.0
// test/integration/receiver.cpp - the receiver end to end over loopback, driven by the simulator.
#include <catena/webhooks/receiver.hpp>

#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/verifier.hpp>

#include "processing/event_order.hpp"
#include "receiver_server.hpp"
#include "scenario.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace integration_receiver { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::test::loopback;

} // namespace

BOOST_AUTO_TEST_SUITE(receiver_)

BOOST_AUTO_TEST_CASE(accepts_signed_gzip_delivery_with_202_and_dispatches_it)
{
    server s;
    cs::client c(s.ep(), no_retry());
    auto r = c.send(make_message(), secret);
    BOOST_TEST(r.status == 202u);
    BOOST_REQUIRE(s.wait_events(1));
    auto const e = s.event_at(0);
    BOOST_TEST(e.event_name == "invitation.accepted");
    BOOST_TEST(e.record_id == "inv-1");
    BOOST_TEST(e.invitation_id == "inv-1");
    BOOST_TEST(e.fleet_ref == "FLEET-42");
    BOOST_TEST(e.webhook_id == webhook_id);
    BOOST_TEST(e.request_id == r.request_id);
    BOOST_TEST(!e.idempotency_key.empty());
    BOOST_TEST(s.rx.stats().accepted == 1u);
}

BOOST_AUTO_TEST_CASE(accepts_identity_body)
{
    server s;
    cs::send_options o = no_retry();
    o.gzip = false;
    cs::client c(s.ep(), o);
    BOOST_TEST(c.send(make_message(), secret).status == 202u);
    BOOST_TEST(s.wait_events(1));
}

BOOST_AUTO_TEST_CASE(serves_many_requests_on_one_keep_alive_connection)
{
    server s;
    cs::client c(s.ep(), no_retry());
    for(int i = 0; i < 200; ++i)
        BOOST_REQUIRE(c.send(make_message("vehicle.added", "v-" + std::to_string(i)), secret).status == 202u);
    BOOST_REQUIRE(s.wait_events(200));
    auto text = s.rx.metrics_text();
    BOOST_TEST(text.find("catena_webhooks_connections_accepted_total 1\n") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(answers_pipelined_requests_in_order)
{
    server s;
    auto wr = cs::build_request(make_message("vehicle.added", "p1"), secret, 1, cw::system_now(), false, "rid-1");
    auto wr2 = cs::build_request(make_message("vehicle.added", "p2"), secret, 1, cw::system_now(), false, "rid-2");
    auto render = [](cs::wire_request const& w, bool close) {
        std::string r = "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\n";
        for(auto const& [k, v] : w.headers)
            r += k + ": " + v + "\r\n";
        r += "Content-Length: " + std::to_string(w.body.size()) + "\r\n";
        if(close)
            r += "Connection: close\r\n";
        return r + "\r\n" + w.body;
    };
    auto out = raw_exchange(s.port(), render(wr, false) + render(wr2, true));
    BOOST_TEST(out.find("HTTP/1.1 202") == 0u);
    BOOST_TEST(out.find("HTTP/1.1 202", 1) != std::string::npos);
    BOOST_REQUIRE(s.wait_events(2));
    BOOST_TEST(s.event_at(0).record_id == "p1");
    BOOST_TEST(s.event_at(1).record_id == "p2");
}

BOOST_AUTO_TEST_CASE(drops_replayed_request_id_without_keeping_twice)
{
    server s;
    cs::client c(s.ep(), no_retry());
    auto wr = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "same-request-id");
    BOOST_TEST(c.send_raw("POST", "/webhooks/catena", wr).status == 202u);
    BOOST_TEST(c.send_raw("POST", "/webhooks/catena", wr).status == 202u);
    BOOST_TEST(s.rx.stats().duplicate_requests == 1u);
    // A captured delivery replayed with a fresh X-Request-ID: its envelope was kept already.
    set_header(wr, "X-Request-ID", "a-fresh-request-id");
    BOOST_TEST(c.send_raw("POST", "/webhooks/catena", wr).status == 202u);
    BOOST_TEST(s.rx.metrics_text().find("catena_webhooks_envelope_duplicates_total 1") != std::string::npos);
    s.shutdown();
    BOOST_TEST(s.event_count() == 1u);
    BOOST_TEST(s.rx.stats().accepted == 1u);
}

BOOST_AUTO_TEST_CASE(keeps_undecodable_authentic_delivery_as_dead_letter)
{
    server s;
    cs::client c(s.ep(), no_retry());
    // Correctly signed, but not an envelope.
    cs::wire_request wr = cs::build_request(make_message(), secret, 1, cw::system_now(), false, "dl-1");
    std::string const body = R"({"not":"an envelope"})";
    cs::replace_body(wr, secret, body, cw::system_now());
    BOOST_TEST(c.send_raw("POST", "/webhooks/catena", wr).status == 202u);
    BOOST_REQUIRE(s.wait_dead(1));
    BOOST_TEST(s.dead[0].reason == "missing_field");
    BOOST_TEST(s.dead[0].request_id == "dl-1");
    BOOST_TEST(s.dead[0].body == body);
    BOOST_TEST(s.rx.stats().dead_letters == 1u);
}

BOOST_AUTO_TEST_CASE(dispatches_exact_wildcard_any_and_unhandled)
{
    std::mutex m;
    std::vector<std::string> calls;
    auto note = [&](std::string what) {
        std::lock_guard lock(m);
        calls.push_back(std::move(what));
    };
    cw::receiver_options o = base_options();
    net::io_context ioc;
    cw::receiver rx(ioc.get_executor(), o);
    rx.on("invitation.accepted", [&](cw::event const& e) { note("exact:" + e.record_id); })
        .on("invitation.*", [&](cw::event const& e) { note("wild:" + e.record_id); })
        .on("connection.*", [&](cw::event const& e) { note("conn:" + e.record_id); })
        .on_unhandled([&](cw::event const& e) { note("unhandled:" + e.record_id); });
    BOOST_REQUIRE(!rx.start());
    std::thread t([&] { ioc.run(); });
    cs::endpoint ep;
    ep.port = rx.local_endpoint().port();
    cs::client c(ep, no_retry());
    BOOST_TEST(c.send(make_message("invitation.accepted", "a"), secret).status == 202u);
    BOOST_TEST(c.send(make_message("invitation.viewed", "b"), secret).status == 202u);
    BOOST_TEST(c.send(make_message("vehicle.added", "c"), secret).status == 202u);
    // run() returns once stop() has drained: every kept delivery has been dispatched.
    rx.stop();
    t.join();
    std::vector<std::string> const expected{"exact:a", "wild:a", "wild:b", "unhandled:c"};
    BOOST_TEST(calls == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(isolates_throwing_callback_retries_then_dead_letters_it)
{
    std::atomic<int> after{0};
    std::string boom_key; // written on the processing strand, read after the drain
    auto o = base_options();
    o.processing.callbacks.max_attempts = 3;
    o.processing.callbacks.initial_backoff = 10ms;
    server s(o, [&](cw::receiver& rx) {
        rx.on("vehicle.added", [&boom_key](cw::event const& e) {
            if(e.record_id != "boom")
                return;
            boom_key = e.idempotency_key;
            throw std::runtime_error("callback failed");
        });
        rx.on("vehicle.added", [&](cw::event const&) { ++after; });
    });
    cs::client c(s.ep(), no_retry());
    BOOST_TEST(c.send(make_message("vehicle.added", "boom"), secret).status == 202u);
    BOOST_TEST(c.send(make_message("vehicle.added", "fine"), secret).status == 202u);
    BOOST_REQUIRE(s.wait_events(2));
    s.shutdown(); // every retry and the dead letter happen before the drain ends
    BOOST_TEST(after.load() == 2);
    // Three attempts, then the call is dead-lettered; the other handler ran once per event.
    BOOST_TEST(s.rx.stats().callback_errors == 3u);
    BOOST_TEST(s.rx.stats().callback_retries == 2u);
    std::lock_guard lock(s.m);
    int reported = 0;
    for(auto const& r : s.errors)
        reported += r.reason == "handler_exception" && r.detail.find("callback failed") != std::string::npos;
    BOOST_TEST(reported == 3);
    BOOST_REQUIRE(s.dead.size() == 1u);
    BOOST_TEST((s.dead[0].kind == cw::dead_letter_kind::callback_failed));
    BOOST_TEST(s.dead[0].handler == "on(vehicle.added)");
    BOOST_TEST(s.dead[0].error_text == "callback failed");
    BOOST_TEST(s.dead[0].attempts == 3u);
    BOOST_TEST(s.dead[0].body.find("\"boom\"") != std::string::npos);
    BOOST_TEST(!boom_key.empty());
    BOOST_TEST(s.dead[0].idempotency_key == boom_key); // the event's, as the handler saw it
}

BOOST_AUTO_TEST_CASE(round_trips_over_tls_with_certificate_made_now)
{
    auto dir = catena::webhooks::test::make_temp_dir("catena-tls");
    auto files = catena::webhooks::test::make_self_signed(dir);
    auto o = base_options();
    o.tls.certificate_file = files.certificate;
    o.tls.private_key_file = files.private_key;
    server s(o);
    cs::endpoint ep = s.ep();
    ep.tls = true;
    ep.ca_file = files.certificate; // verify the server against the certificate we made
    cs::client c(ep, no_retry());
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(c.send(make_message("vehicle.added", "tls-" + std::to_string(i)), secret).status == 202u);
    BOOST_TEST(s.wait_events(3));
    // Plain HTTP to the TLS port is not served: the failed handshake closes the connection
    // (a receiver that merely never answered would end the exchange by the client's timeout).
    auto const plain = raw_exchange_ending(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 30s);
    BOOST_TEST(status_of(plain.bytes) == 0u);
    BOOST_TEST((plain.end != exchange_end::timed_out));
}

BOOST_AUTO_TEST_CASE(simulator_retries_like_catena)
{
    // Every attempt fails authentication and is answered 503, so the simulator retries.
    auto o = base_options();
    o.unverified_status = 503;
    server s(o);
    cs::send_options so;
    so.backoff = {10ms, 20ms, 40ms};
    cs::client c(s.ep(), so);
    auto r = c.deliver(make_message(), "wrong-secret-value");
    BOOST_REQUIRE(r.attempts.size() == 4u); // the first try and 3 retries
    std::set<std::string> ids;
    for(auto const& a : r.attempts)
    {
        BOOST_TEST(a.status == 503u);
        ids.insert(a.request_id);
    }
    BOOST_TEST(ids.size() == 4u); // a new X-Request-ID per attempt
    BOOST_TEST(!r.delivered());

    // A later attempt differs in timestamp, signature, header and body attempt counters.
    cw::timestamp const t1 = cw::system_now();
    auto const a1 = cs::build_request(make_message(), secret, 1, t1, false, "r1");
    auto const a2 = cs::build_request(make_message(), secret, 2, t1 + 1s, false, "r2");
    auto header = [](cs::wire_request const& w, std::string_view name) {
        for(auto const& [k, v] : w.headers)
            if(k == name)
                return v;
        return std::string();
    };
    BOOST_TEST(header(a2, "X-Delivery-Attempt") == "2");
    BOOST_TEST(header(a1, "X-Catena-Signature") != header(a2, "X-Catena-Signature"));
    BOOST_TEST(header(a1, "X-Catena-Timestamp") != header(a2, "X-Catena-Timestamp"));
    BOOST_TEST(a2.body.find(R"("delivery_attempt":2)") != std::string::npos);
    // ...and each attempt verifies on its own.
    cw::secret_ring ring;
    ring.add(webhook_id, secret);
    cw::verifier v;
    std::string buf;
    auto const sig = header(a2, "X-Catena-Signature"), ts = header(a2, "X-Catena-Timestamp"), wid = header(a2, "X-Webhook-ID");
    cw::delivery_headers h{.signature = sig, .timestamp = ts, .webhook_id = wid};
    BOOST_TEST(v.verify(h, a2.body, ring, t1 + 1s, buf).has_value());
}

BOOST_AUTO_TEST_CASE(start_reports_bad_options_and_bind_failures)
{
    net::io_context ioc;
    auto o = base_options();
    o.unverified_status = 418;
    cw::receiver bad(ioc.get_executor(), o);
    BOOST_TEST((bad.start() == cw::error::invalid_options));
    auto o2 = base_options();
    o2.tls.certificate_file = "/nonexistent/cert.pem";
    o2.tls.private_key_file = "/nonexistent/key.pem";
    cw::receiver no_tls(ioc.get_executor(), o2);
    BOOST_TEST(static_cast<bool>(no_tls.start()));
    BOOST_TEST(no_tls.start_detail().find("/nonexistent/cert.pem") != std::string::npos); // names the file

    cw::receiver first(ioc.get_executor(), base_options());
    BOOST_REQUIRE(!first.start());
    auto o3 = base_options();
    o3.listen = first.local_endpoint();
    cw::receiver second(ioc.get_executor(), o3);
    BOOST_TEST((second.start() == boost::system::errc::address_in_use));
    BOOST_TEST((first.start() == cw::error::already_started));
}

// A receiver with no live secret refuses every Catena delivery; it starts (secrets can come
// later through set_secrets()) and says so once through on_error, as set_secrets() does.
BOOST_AUTO_TEST_CASE(a_receiver_without_a_live_secret_says_so_when_it_starts)
{
    auto const now = cw::system_now();
    auto const start_with = [](cw::secret_ring ring, std::vector<std::string>& reports) {
        net::io_context ioc;
        auto o = base_options();
        o.secrets = std::move(ring);
        cw::receiver rx(ioc.get_executor(), o);
        rx.on_error([&reports](cw::error_report const& r) {
            if(r.ec == cw::error::no_usable_secret)
                reports.push_back(r.detail);
        });
        BOOST_REQUIRE(!rx.start());
        auto const at_start = reports.size();
        rx.set_secrets(cw::secret_ring{});
        BOOST_TEST(reports.size() == at_start + 1, "set_secrets() with nothing live says so too");
        rx.stop();
        reports.resize(at_start);
    };
    std::vector<std::string> reports;
    cw::secret_ring unset;
    BOOST_TEST(!unset.add("5f0c1e2a-0000-4000-8000-00000000a001", "")); // an unset environment variable
    start_with(unset, reports);
    BOOST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0].find("no secret was added") != std::string::npos, reports[0]);

    reports.clear();
    cw::secret_ring expired;
    expired.add("5f0c1e2a-0000-4000-8000-00000000a001", "an-old-secret", now - std::chrono::hours(1));
    start_with(expired, reports);
    BOOST_TEST(reports.size() == 1u);

    reports.clear();
    cw::secret_ring default_not_tried;
    default_not_tried.add_default("a-default-secret"); // the policy still rejects unknown ids
    start_with(default_not_tried, reports);
    BOOST_TEST(reports.size() == 1u);

    reports.clear();
    for(auto live : {0, 1})
    {
        cw::secret_ring ring;
        if(live == 0)
            ring.add("5f0c1e2a-0000-4000-8000-00000000a001", "a-secret", now + std::chrono::hours(1));
        else
        {
            ring.add_default("a-default-secret");
            ring.set_unknown_policy(cw::unknown_webhook_policy::try_defaults);
        }
        start_with(ring, reports);
    }
    BOOST_TEST(reports.empty(), "a live secret is not reported");
}

BOOST_AUTO_TEST_CASE(graceful_stop_loses_no_acknowledged_delivery)
{
    auto o = base_options();
    o.timeouts.shutdown_grace = 2000ms;
    // Slow processing keeps a backlog in the inbox when stop() comes: it must still be
    // processed, as must the requests in flight.
    auto s = std::make_unique<server>(o, [](cw::receiver& rx) {
        rx.on("vehicle.added", [](cw::event const&) { std::this_thread::sleep_for(2ms); });
    });
    std::mutex m;
    std::set<std::string> acked;
    std::atomic<bool> go{true};
    std::vector<std::thread> senders;
    for(int t = 0; t < 4; ++t)
        senders.emplace_back([&, t] {
            cs::client c(s->ep(), no_retry());
            for(int i = 0; go.load() && i < 100000; ++i)
            {
                auto r = c.send(make_message("vehicle.added", "t" + std::to_string(t) + "-" + std::to_string(i)), secret);
                if(r.status == 202u)
                {
                    std::lock_guard lock(m);
                    acked.insert(r.request_id);
                }
                else if(r.status == 0)
                    break; // refused or closed by the stopping receiver
            }
        });
    // Stop while deliveries are in flight: once a good number has been acknowledged.
    BOOST_REQUIRE(tst::eventually([&] {
        std::lock_guard lock(m);
        return acked.size() >= 100;
    }));
    s->rx.stop();
    go = false;
    for(auto& t : senders)
        t.join();
    // run() returns once the receiver has drained and processed its inbox.
    s->shutdown();
    std::set<std::string> processed;
    for(auto const& e : s->events)
        processed.insert(e.request_id);
    BOOST_TEST_MESSAGE(acked.size() << " deliveries acknowledged before stop, " << processed.size() << " processed");
    BOOST_TEST(acked.size() > 10u);
    BOOST_TEST(processed.size() >= acked.size());
    std::size_t lost = 0;
    for(auto const& id : acked)
        lost += processed.count(id) == 0;
    BOOST_TEST(lost == 0u);
    // After stop nothing listens any more.
    cs::client late(s->ep(), no_retry());
    BOOST_TEST(late.send(make_message(), secret).status == 0u);
}

BOOST_AUTO_TEST_CASE(scenario_with_retries_and_shuffling_gives_each_event_once_and_expected_fleet_states)
{
    cs::scenario_options so;
    so.fleets = 20;
    so.seed = 11;
    so.duplicate_rate = 0.3;
    so.jitter = 1500ms; // sent out of occurrence order
    so.start = cw::system_now() - 1h;
    auto const sc = cs::make_scenario(so, {}, webhook_id);

    auto o = base_options();
    o.processing.reorder_window = 3000ms; // the whole scenario arrives within it
    std::mutex tm;
    std::vector<cw::transition> transitions;
    std::vector<std::future<cw::operation_result>> operations;
    std::map<std::string, cw::operation_status> expected_operations;
    server s(o, [&](cw::receiver& rx) {
        rx.on_transition([&](cw::transition const& t) {
            std::lock_guard lock(tm);
            transitions.push_back(t);
        });
    });
    // Track every operation the scenario completes, as a service would after its write.
    for(auto const& m : sc.messages)
        if(!m.duplicate && (m.msg.event_name == "resource_operation.succeeded" || m.msg.event_name == "resource_operation.failed"))
        {
            auto const id = std::string(m.msg.data[0].as_object().at("id").as_string());
            expected_operations[id] = m.msg.event_name.ends_with("succeeded") ? cw::operation_status::success
                                                                              : cw::operation_status::failed;
            operations.push_back(s.rx.track_operation(id, 60s));
        }

    cs::client c(s.ep(), no_retry());
    for(auto const& m : sc.messages)
        BOOST_REQUIRE(c.send(m.msg, secret, m.duplicate ? 2 : 1).status == 202u);
    BOOST_REQUIRE(s.wait_events(sc.unique_records));
    s.shutdown(); // whatever was still to come has come
    BOOST_TEST(s.event_count() == sc.unique_records); // each event once
    auto const st = s.rx.stats();
    BOOST_TEST(st.late_events == 0u);
    BOOST_TEST(st.duplicate_events == sc.messages.size() - sc.unique_events);

    // Events are released in occurrence order.
    std::lock_guard lock(s.m);
    for(std::size_t i = 1; i < s.events.size(); ++i)
    {
        auto time = [](cw::event const& e) { return cw::detail::order_key_of(e, e.event_id, 0, 0, {}).time; };
        BOOST_TEST((time(s.events[i - 1]) <= time(s.events[i])), "event " << i);
    }
    // Every fleet ends where the scenario says, and its transitions came through on_transition.
    for(auto const& f : sc.fleets)
    {
        BOOST_TEST_CONTEXT(f.fleet_ref)
        {
            auto const fs = s.rx.fleet("ref:" + f.fleet_ref);
            BOOST_REQUIRE(fs.has_value());
            BOOST_TEST(cw::to_string(fs->stage) == f.stage);
            BOOST_TEST(cw::to_string(fs->health) == f.health);
            if(!f.fleet_id.empty())
                BOOST_TEST(fs->key == f.fleet_id);
            auto h = s.rx.history(fs->key);
            std::erase_if(h, [](cw::transition const& t) { return t.what != cw::dimension::stage; });
            BOOST_REQUIRE(!h.empty());
            BOOST_TEST(h.front().from.empty());
            BOOST_TEST(h.front().to == "invited");
        }
    }
    {
        std::lock_guard tl(tm);
        BOOST_TEST(transitions.size() == st.transitions);
    }
    for(auto& f : operations)
    {
        BOOST_REQUIRE((f.wait_for(5s) == std::future_status::ready));
        auto const r = f.get();
        BOOST_TEST((r.status == expected_operations.at(r.operation_id)));
        if(r.status == cw::operation_status::failed)
            BOOST_TEST(r.error_type == "auth");
        else
            BOOST_TEST(!r.resource_id.empty());
    }
    BOOST_TEST(!operations.empty());
    auto const metrics = s.rx.metrics_text();
    BOOST_TEST(metrics.find("catena_webhooks_duplicate_events_total ") != std::string::npos);
    BOOST_TEST(metrics.find("catena_webhooks_transitions_total ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_subscription_health_events)
{
    std::promise<cw::subscription_event> got;
    server s(base_options(), [&](cw::receiver& rx) {
        rx.on_subscription([&](cw::subscription_event const& e) { got.set_value(e); });
    });
    cs::message m;
    m.webhook_id = webhook_id;
    m.event_name = "webhook.staled";
    m.event_id = "01936b2e-7c00-7000-8000-00000000beef";
    m.data.push_back(boost::json::object{{"id", "sub-7"}, {"url", "https://partner.example/catena"},
                                         {"event_name", "vehicle_location.added"}, {"status", "stale"}});
    cs::client c(s.ep(), no_retry());
    BOOST_TEST(c.send(m, secret).status == 202u);
    auto f = got.get_future();
    BOOST_REQUIRE((f.wait_for(5s) == std::future_status::ready));
    auto const e = f.get();
    BOOST_TEST(e.subscription_id == "sub-7");
    BOOST_TEST(e.action == "staled");
    BOOST_TEST(e.delivery_stopped());
}

BOOST_AUTO_TEST_CASE(flushes_held_events_on_stop)
{
    auto o = base_options();
    o.processing.reorder_window = 60s; // far longer than the test
    server s(o);
    cs::client c(s.ep(), no_retry());
    BOOST_TEST(c.send(make_message("vehicle.added", "held-1"), secret).status == 202u);
    // Held (the window is a minute): the counter says so once the delivery is processed.
    BOOST_TEST(tst::eventually([&] { return s.rx.stats().held_events != 0; }));
    BOOST_TEST(s.rx.stats().held_events == 1u);
    BOOST_TEST(s.event_count() == 0u);
    s.shutdown();
    BOOST_TEST(s.event_count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END() // receiver_

} // namespace integration_receiver
