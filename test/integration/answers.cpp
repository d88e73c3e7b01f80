// SPDX-License-Identifier: BSL-1.0
// test/integration/answers.cpp - what the receiver answers each kind of request over loopback: rejections, limits, timeouts, routes.
#include <catena/webhooks/receiver.hpp>

#include <catena/webhooks/gzip.hpp>

#include "receiver_server.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace integration_answers { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::test::loopback;
namespace json = boost::json;

// The body of every answer: a JSON object of exactly the answer's status and a reason.
void check_body(http_answer const& a, std::string_view reason)
{
    BOOST_TEST(a.header("content-type") == "application/json");
    boost::system::error_code ec;
    auto const v = json::parse(a.body, ec);
    BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not a JSON object: " << a.body);
    auto const& o = v.as_object();
    BOOST_TEST(o.size() == 2u, a.body);
    BOOST_TEST((o.contains("status") && o.at("status").is_int64() && o.at("status").as_int64() == a.status), a.body);
    BOOST_TEST((o.contains("reason") && o.at("reason").is_string() && o.at("reason").as_string() == reason), a.body);
}

// Every 503 says when to come back: Retry-After with the configured seconds (7 in these tests).
void check_503(http_answer const& a, std::string_view reason)
{
    BOOST_TEST(a.status == 503u);
    BOOST_TEST(a.header("retry-after") == "7");
    check_body(a, reason);
}

cw::receiver_options retry_after_7()
{
    auto o = base_options();
    o.timeouts.retry_after = 7s;
    return o;
}

// The answer to `bytes` sent on a connection of its own (the limit bounds a failure only).
http_answer answer_to(server& s, std::string const& bytes)
{
    return parse_answer(raw_exchange(s.port(), bytes, 30s));
}

// A delivery the receiver cannot compress well: 8 KB of random letters in one record.
cs::message bulky(int i)
{
    auto m = make_message("vehicle.added", "b" + std::to_string(i));
    std::mt19937 rng(static_cast<unsigned>(i));
    std::string padding(8000, ' ');
    for(auto& c : padding)
        c = static_cast<char>('a' + rng() % 26);
    m.data[0].as_object()["padding"] = padding;
    return m;
}

// The value of a metric without labels in the receiver's metrics text (-1 when missing).
double metric(server& s, std::string const& name)
{
    auto const text = s.rx.metrics_text();
    auto const at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

} // namespace

BOOST_AUTO_TEST_SUITE(answers)

BOOST_AUTO_TEST_CASE(rejects_bad_signature_with_401_and_keeps_nothing)
{
    server s;
    cs::client c(s.ep(), no_retry());
    auto r = c.send(make_message(), "not-the-secret-value");
    BOOST_TEST(r.status == 401u);
    // On the wire every authentication failure looks the same; the precise reason is reported.
    BOOST_TEST(r.body == "{\"status\":401,\"reason\":\"unauthenticated\"}\n");
    auto wr = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "x");
    for(auto& [k, v] : wr.headers)
        if(k == "X-Webhook-ID")
            v = "unknown-subscription";
    auto u = c.send_raw("POST", "/webhooks/catena", wr);
    BOOST_TEST(u.status == 401u);
    BOOST_TEST(u.body == r.body);
    // Reported and counted before the answer was written.
    BOOST_TEST(s.rx.stats().accepted == 0u);
    BOOST_TEST(s.reported("signature_mismatch"));
    BOOST_TEST(s.reported("unknown_webhook_id"));
    BOOST_TEST(s.rx.metrics_text().find("catena_webhooks_rejections_total{reason=\"unknown_webhook_id\"} 1") !=
               std::string::npos);
    s.shutdown();
    BOOST_TEST(s.rx.stats().events == 0u);
    std::lock_guard lock(s.m);
    BOOST_TEST(s.errors.size() == 2u);
    // Reports never carry the secret.
    for(auto const& e : s.errors)
        BOOST_TEST(e.detail.find(secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_stale_timestamp_with_401)
{
    server s;
    cs::send_options o = no_retry();
    o.clock = [] { return cw::system_now() - 400s; };
    cs::client c(s.ep(), o);
    auto r = c.send(make_message(), secret);
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(r.body.find("unauthenticated") != std::string::npos);
    BOOST_TEST(s.reported("timestamp_too_old"));
    // The skew is visible: 400 s behind.
    BOOST_TEST(s.rx.metrics_text().find("catena_webhooks_timestamp_skew_seconds_bucket{le=\"300\"} 0") !=
               std::string::npos);
    BOOST_TEST(s.rx.metrics_text().find("catena_webhooks_timestamp_skew_seconds_bucket{le=\"600\"} 1") !=
               std::string::npos);
}

// unverified_status 503 (catena-webhookd --unverified-status 503): every authentication
// failure, at the headers or by the MAC, is a 503 that Catena retries and keeps for replay.
BOOST_AUTO_TEST_CASE(answers_503_with_retry_after_to_every_authentication_failure_when_policy_says_so)
{
    auto o = retry_after_7();
    o.unverified_status = 503;
    server s(o);
    auto const forged = cs::build_request(make_message(), "wrong-secret-value", 1, cw::system_now(), true, "u1");
    auto unknown = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "u2");
    set_header(unknown, "X-Webhook-ID", "unknown-subscription");
    auto stale = cs::build_request(make_message(), secret, 1, cw::system_now() - 400s, true, "u3");
    for(cs::wire_request const* wr : std::initializer_list<cs::wire_request const*>{&forged, &unknown, &stale})
        check_503(answer_to(s, render_request(*wr)), "unauthenticated");
    // No signature at all: answered at the headers, the same way.
    check_503(answer_to(s, "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"),
              "unauthenticated");
    BOOST_TEST(s.reported("signature_mismatch"));
    BOOST_TEST(s.reported("unknown_webhook_id"));
    BOOST_TEST(s.reported("timestamp_too_old"));
    BOOST_TEST(s.rx.stats().accepted == 0u);
}

// A 4xx ends Catena's retries and the delivery is lost: only the MAC may prove it forged.
BOOST_AUTO_TEST_CASE(an_unknown_encoding_or_corrupt_gzip_gets_503_with_valid_headers_and_401_without)
{
    server s;
    cs::client c(s.ep(), no_retry());
    auto br = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "x1");
    set_header(br, "Content-Encoding", "br");
    auto r = c.send_raw("POST", "/webhooks/catena", br);
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(r.body.find("unsupported_encoding") != std::string::npos);
    auto cut = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "x2");
    cut.body.resize(cut.body.size() / 2);
    r = c.send_raw("POST", "/webhooks/catena", cut);
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(r.body.find("gzip_truncated") != std::string::npos);
    BOOST_TEST(s.rx.metrics_text().find("catena_webhooks_deferred_deliveries_total 2") != std::string::npos);
    // The same two with headers that fail: 401.
    set_header(br, "X-Webhook-ID", "unknown-subscription");
    set_header(cut, "X-Webhook-ID", "unknown-subscription");
    BOOST_TEST(c.send_raw("POST", "/webhooks/catena", br).status == 401u);
    BOOST_TEST(c.send_raw("POST", "/webhooks/catena", cut).status == 401u);
}

BOOST_AUTO_TEST_CASE(an_oversized_body_is_refused_without_being_read_503_when_its_headers_pass_and_401_otherwise)
{
    auto o = base_options();
    o.limits.max_body_bytes = 1000;
    server s(o);
    auto out = raw_exchange(s.port(), "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
    BOOST_TEST(status_of(out) == 401u);
    auto wr = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "big");
    wr.body.resize(5000, 'x');
    cs::client c(s.ep(), no_retry());
    auto r = c.send_raw("POST", "/webhooks/catena", wr);
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(r.body.find("body_too_large") != std::string::npos);
    BOOST_TEST(s.reported("body_too_large"));
    // Chunked bodies are cut at the limit too: signed, 503; unsigned, 401 at the headers.
    std::string chunks;
    for(int i = 0; i < 3; ++i)
        chunks += "1f4\r\n" + std::string(500, 'a') + "\r\n";
    std::string signed_head = "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n";
    for(auto const& [k, v] : wr.headers)
        if(k != "Content-Length")
            signed_head += k + ": " + v + "\r\n";
    BOOST_TEST(status_of(raw_exchange(s.port(), signed_head + "\r\n" + chunks)) == 503u);
    BOOST_TEST(status_of(raw_exchange(s.port(), "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                                "chunked\r\n\r\n" + chunks)) == 401u);
}

BOOST_AUTO_TEST_CASE(rejects_oversized_headers_with_431)
{
    auto o = base_options();
    o.limits.max_header_bytes = 2048;
    server s(o);
    auto out = raw_exchange(s.port(), "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') +
                                          "\r\nContent-Length: 0\r\n\r\n");
    BOOST_TEST(status_of(out) == 431u);
}

BOOST_AUTO_TEST_CASE(answers_404_405_and_400_for_wrong_requests)
{
    server s;
    BOOST_TEST(status_of(raw_exchange(s.port(), "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 404u);
    auto wrong_method = raw_exchange(s.port(), "GET /webhooks/catena HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(status_of(wrong_method) == 405u);
    BOOST_TEST(wrong_method.find("Allow: POST") != std::string::npos);
    BOOST_TEST(status_of(raw_exchange(s.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) == 405u);
    BOOST_TEST(status_of(raw_exchange(s.port(), "BLAH\r\n\r\n")) == 400u);
    BOOST_TEST(status_of(raw_exchange(s.port(), "POST /webhooks/catena HTTP/1.1\r\nContent-Length: zz\r\n\r\n")) == 400u);
}

BOOST_AUTO_TEST_CASE(serves_health_and_metrics)
{
    server s;
    auto h = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(status_of(h) == 200u);
    cs::client c(s.ep(), no_retry());
    c.send(make_message(), "bad-secret-value");
    auto m = raw_exchange(s.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(status_of(m) == 200u);
    BOOST_TEST(m.find("catena_webhooks_rejections_total{reason=\"signature_mismatch\"} 1") != std::string::npos, m);
    BOOST_TEST(m.find("catena_webhooks_requests_total{status=\"401\"} 1") != std::string::npos);
    BOOST_TEST(m.find("catena_webhooks_ack_latency_seconds_bucket") != std::string::npos);
    // Processing a delivery is timed in turns of the processing strand.
    BOOST_TEST(c.send(make_message(), secret).status == 202u);
    BOOST_REQUIRE(s.wait_events(1));
    auto const after = raw_exchange(s.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto const at = after.find("catena_webhooks_processing_slice_seconds_count ");
    BOOST_REQUIRE(at != std::string::npos);
    BOOST_TEST(std::stoul(after.substr(at + std::string_view("catena_webhooks_processing_slice_seconds_count ").size())) > 0u);
    BOOST_TEST(after.find("catena_webhooks_processing_slice_max_seconds ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(routes_can_be_turned_off)
{
    auto o = base_options();
    o.health_path.clear();
    o.metrics_path.clear();
    server s(o);
    BOOST_TEST(status_of(raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 404u);
    BOOST_TEST(status_of(raw_exchange(s.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 404u);
}

BOOST_AUTO_TEST_CASE(cuts_slow_loris_with_408_and_keeps_serving_others)
{
    {
        // Connections whose headers never finish do not hold up an honest sender: four of them,
        // more than the receiver's I/O threads, are open and unanswered while it is served (a
        // header timeout of a minute: none is cut meanwhile, however slow the machine).
        auto o = base_options();
        o.timeouts.header = 60s;
        server s(o);
        net::io_context ioc;
        std::vector<tcp::socket> loris;
        for(int i = 0; i < 4; ++i)
        {
            loris.emplace_back(ioc);
            loris.back().connect({net::ip::make_address("127.0.0.1"), s.port()});
            net::write(loris.back(), net::buffer(std::string("POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nX-Slow: ")));
        }
        BOOST_REQUIRE(tst::eventually([&] { return s.rx.stats().connections_active >= 4; }));
        cs::client c(s.ep(), no_retry());
        BOOST_TEST(c.send(make_message(), secret).status == 202u);
        for(auto& l : loris)
        {
            pollfd p{l.native_handle(), POLLIN, 0};
            BOOST_TEST(::poll(&p, 1, 0) == 0); // still open, nothing answered
        }
    }
    auto o = base_options();
    o.timeouts.header = 300ms;
    o.timeouts.body = 300ms;
    server s(o);
    std::vector<std::thread> loris;
    std::atomic<int> timed_out{0};
    for(int i = 0; i < 4; ++i)
        loris.emplace_back([&] {
            // Headers that never finish: answered 408 and closed (the limit bounds a failure only).
            auto const r = raw_exchange_ending(s.port(), "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nX-Slow: ", 30s);
            if(status_of(r.bytes) == 408u && r.end != exchange_end::timed_out)
                ++timed_out;
        });
    for(auto& t : loris)
        t.join();
    BOOST_TEST(timed_out.load() == 4);
    // A body that stalls gets 408 too (once its headers pass; otherwise it is not read at all).
    auto wr = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "slow");
    std::string head = "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\n";
    for(auto const& [k, v] : wr.headers)
        if(k != "Content-Length")
            head += k + ": " + v + "\r\n";
    auto const stalled = parse_answer(raw_exchange(s.port(), head + "Content-Length: 100\r\n\r\nabc", 30s));
    BOOST_TEST(stalled.status == 408u);
    check_body(stalled, "body_timeout");
}

BOOST_AUTO_TEST_CASE(closes_idle_keep_alive_connections_silently)
{
    auto o = base_options();
    o.timeouts.idle = 200ms;
    server s(o);
    // The limit only bounds a failure: the server closes after 200 ms. A receiver that never
    // closed would end the exchange by the client's own timeout, which is not a close.
    auto const r = raw_exchange_ending(s.port(), "", 30s);
    BOOST_TEST(r.bytes.empty());
    BOOST_TEST((r.end != exchange_end::timed_out), "the idle connection was not closed by the receiver");
}

BOOST_AUTO_TEST_CASE(answers_503_with_retry_after_when_inbox_is_full)
{
    auto o = retry_after_7();
    o.limits.max_inbox_entries = 2;
    // Released at once, so the blocked callback holds up processing right away.
    o.processing.reorder_window = 0ms;
    std::mutex gate_m;
    std::condition_variable gate_cv;
    bool open = false;
    server s(o, [&](cw::receiver& rx) {
        // The first event blocks processing, so the inbox fills up behind it.
        rx.on("vehicle.added", [&](cw::event const&) {
            std::unique_lock lock(gate_m);
            gate_cv.wait(lock, [&] { return open; });
        });
    });
    cs::client c(s.ep(), no_retry());
    std::vector<unsigned> statuses;
    for(int i = 0; i < 6; ++i)
        statuses.push_back(c.send(make_message("vehicle.added", "q" + std::to_string(i)), secret).status);
    BOOST_TEST(statuses[0] == 202u);
    BOOST_TEST(statuses.back() == 503u);
    auto wr = cs::build_request(make_message("vehicle.added", "q9"), secret, 1, cw::system_now(), true, "rq9");
    check_503(answer_to(s, render_request(wr)), "inbox_full");
    {
        std::lock_guard lock(gate_m);
        open = true;
    }
    gate_cv.notify_all();
    // Every 202 becomes an event; nothing answered 503 does.
    auto const accepted = static_cast<std::size_t>(std::count(statuses.begin(), statuses.end(), 202u));
    BOOST_REQUIRE(s.wait_events(accepted));
    // Once drained, the same delivery is kept.
    BOOST_TEST(c.send(make_message("vehicle.added", "q9"), secret).status == 202u);
    s.shutdown();
    BOOST_TEST(s.event_count() == accepted + 1);
}

// RFC 9112 §6.3 over a real socket: each shape is answered 400 and the request smuggled in
// its "body" is never answered.
BOOST_AUTO_TEST_CASE(smuggling_shapes_get_400_and_nothing_after_them_is_answered)
{
    server s;
    std::string const smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    for(std::string const te : {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: identity\r\n",
                                "Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: chunked, identity\r\n",
                                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"})
    {
        BOOST_TEST_CONTEXT(te)
        {
            auto const out = raw_exchange(s.port(), "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\n" + te + "\r\n" + smuggled);
            BOOST_TEST(status_of(out) == 400u);
            BOOST_TEST(out.find("bad_transfer_encoding") != std::string::npos);
            BOOST_TEST(out.find("HTTP/1.1", 1) == std::string::npos); // one answer only
        }
    }
    auto const out = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\n\r\n" + smuggled);
    BOOST_TEST(status_of(out) == 400u);
    BOOST_TEST(out.find("bad_host") != std::string::npos);
    BOOST_TEST(out.find("HTTP/1.1", 1) == std::string::npos);
}

// A forger with a default secret makes every request cost an inflate and a MAC: after 100
// failures a minute, that address's bodies for that subscription are verified at most one a
// second. Its other requests get 503 + Retry-After, never a 4xx: an authentic delivery among
// them is retried by Catena, not lost.
BOOST_AUTO_TEST_CASE(an_address_failing_a_subscription_100_times_a_minute_is_rationed_with_503)
{
    server s;
    cs::client c(s.ep(), no_retry());
    for(int i = 0; i < 100; ++i)
        BOOST_REQUIRE(c.send(make_message("vehicle.added", "f" + std::to_string(i)), "not-the-secret").status == 401u);
    auto const r = c.send(make_message("vehicle.added", "good"), secret);
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(r.body.find("peer_refused") != std::string::npos);
    BOOST_TEST(s.rx.stats().accepted == 0u);
}

// The README's table promises 503 + Retry-After for everything whose headers pass but that
// cannot be kept, and for a connection that cannot be served: each path, one by one.
BOOST_AUTO_TEST_CASE(every_503_carries_retry_after_and_its_reason)
{
    auto const signed_request = [](std::string body_or_empty, std::string rid) {
        auto wr = cs::build_request(make_message(), secret, 1, cw::system_now(), true, rid);
        if(!body_or_empty.empty())
            wr.body = std::move(body_or_empty);
        return wr;
    };
    {
        auto o = retry_after_7();
        o.limits.max_body_bytes = 1000;
        server s(o);
        check_503(answer_to(s, render_request(signed_request(std::string(5000, 'x'), "big"))), "body_too_large");
    }
    {
        auto o = retry_after_7();
        o.limits.inflate.max_inflated_bytes = 1u << 20;
        server s(o);
        auto wr = signed_request(cw::gzip_compress(std::string(4u << 20, 'a'), 9), "bomb");
        auto const a = answer_to(s, render_request(wr));
        check_503(a, a.body.find("ratio") != std::string::npos ? "inflate_ratio_exceeded" : "inflated_too_large");
    }
    {
        server s(retry_after_7());
        auto cut = signed_request({}, "cut");
        cut.body.resize(cut.body.size() / 2);
        check_503(answer_to(s, render_request(cut)), "gzip_truncated");
        auto br = signed_request({}, "br");
        set_header(br, "Content-Encoding", "br");
        check_503(answer_to(s, render_request(br)), "unsupported_encoding");
    }
    {
        auto o = retry_after_7();
        o.limits.body_budget_bytes = 1000;
        server s(o);
        check_503(answer_to(s, render_request(signed_request(std::string(5000, 'x'), "budget"))), "body_budget_exhausted");
    }
    {
        // The store fails to write: its file may not grow past 64 pages, as if the disk were full.
        auto o = retry_after_7();
        o.store.data_dir = tst::make_temp_dir("answers-full");
        server s(o, {}, 64);
        http_answer a;
        for(int i = 0; i < 200 && a.status != 503u; ++i)
            a = answer_to(s, render_request(cs::build_request(bulky(i), secret, 1, cw::system_now(), true, "f" + std::to_string(i))));
        check_503(a, "store_failure");
    }
    {
        // The connection bound, reached with no idle connection to close: the one open reads a body.
        auto o = retry_after_7();
        o.limits.max_connections = 1;
        server s(o);
        net::io_context ioc;
        tcp::socket busy(ioc);
        busy.connect({net::ip::make_address("127.0.0.1"), s.port()});
        auto const wr = signed_request({}, "busy");
        auto const head = render_request(wr).substr(0, render_request(wr).size() - wr.body.size());
        net::write(busy, net::buffer(head + wr.body.substr(0, 1)));
        BOOST_REQUIRE(tst::eventually([&] { return metric(s, "catena_webhooks_body_budget_bytes") > 0; }));
        check_503(answer_to(s, render_request(signed_request({}, "late"))), "too_many_connections");
    }
    {
        auto o = retry_after_7();
        o.limits.max_connections_per_peer = 1;
        server s(o);
        net::io_context ioc;
        tcp::socket held(ioc);
        held.connect({net::ip::make_address("127.0.0.1"), s.port()});
        BOOST_REQUIRE(tst::eventually([&] { return s.rx.stats().connections_active >= 1; }));
        check_503(answer_to(s, render_request(signed_request({}, "second"))), "peer_connection_limit");
    }
    {
        // A subscription failing from one address: its other requests are rationed with 503.
        auto o = retry_after_7();
        o.unverified_status = 503;
        o.limits.max_auth_failures_per_minute = 2;
        server s(o);
        for(int i = 0; i < 2; ++i)
            answer_to(s, render_request(cs::build_request(make_message(), "not-the-secret", 1, cw::system_now(), true, "x" + std::to_string(i))));
        check_503(answer_to(s, render_request(signed_request({}, "refused"))), "peer_refused");
    }
}

// Every status of the table answers {"status":…,"reason":"…"}: parsed as JSON, not searched.
BOOST_AUTO_TEST_CASE(every_answer_body_is_a_json_object_of_status_and_reason)
{
    auto o = base_options();
    o.limits.max_header_bytes = 2048;
    server s(o);
    check_body(answer_to(s, render_request(cs::build_request(make_message(), secret, 1, cw::system_now(), true, "ok"))),
               "accepted");
    check_body(answer_to(s, render_request(cs::build_request(make_message(), "forged", 1, cw::system_now(), true, "no"))),
               "unauthenticated");
    check_body(answer_to(s, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "not_found");
    check_body(answer_to(s, "GET /webhooks/catena HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "method_not_allowed");
    check_body(answer_to(s, "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
               "bad_transfer_encoding");
    check_body(answer_to(s, "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"),
               "headers_too_large");
}

// A copy of a request is not kept again within the request-id memory (15 min), and is kept
// again after it, as a new delivery (processing then finds its event a duplicate).
BOOST_AUTO_TEST_CASE(a_copy_of_a_request_is_kept_again_once_the_request_id_window_has_passed)
{
    auto const start = cw::system_now();
    auto offset = std::make_shared<std::atomic<std::int64_t>>(0); // seconds ahead of the real clock
    auto const now = [start, offset] { return start + std::chrono::seconds(offset->load()); };
    auto o = base_options();
    o.clock = now;
    server s(o);
    cs::client c(s.ep(), no_retry());
    auto const copy_at = [&](std::chrono::seconds later) {
        offset->store(later.count());
        // Catena's copy: the same X-Request-ID and envelope, timestamped and signed anew.
        return c.send_raw("POST", "/webhooks/catena", cs::build_request(make_message(), secret, 1, now(), true, "rid-w"));
    };
    BOOST_TEST(copy_at(0s).status == 202u);
    BOOST_TEST(copy_at(899s).status == 202u);
    BOOST_TEST(s.rx.stats().accepted == 1u);
    BOOST_TEST(s.rx.stats().duplicate_requests == 1u);
    BOOST_TEST(copy_at(901s).status == 202u);
    BOOST_TEST(s.rx.stats().accepted == 2u); // kept again
    BOOST_TEST(s.rx.stats().duplicate_requests == 1u);
    s.shutdown();
    BOOST_TEST(s.event_count() == 1u);
    BOOST_TEST(s.rx.stats().duplicate_events == 1u);
}

// The bounds of the freshness window are accepted; a microsecond past either is refused.
BOOST_AUTO_TEST_CASE(a_timestamp_exactly_at_either_bound_is_accepted_and_one_past_it_refused)
{
    auto const now = std::chrono::time_point_cast<std::chrono::seconds>(cw::system_now());
    auto o = base_options();
    o.clock = [now] { return cw::timestamp(now); };
    server s(o);
    cs::client c(s.ep(), no_retry());
    auto const sent_at = [&](cw::timestamp t, std::string rid) {
        return c.send_raw("POST", "/webhooks/catena", cs::build_request(make_message("vehicle.added", rid), secret, 1, t, true, rid)).status;
    };
    BOOST_TEST(sent_at(now + 60s, "ahead") == 202u);
    BOOST_TEST(sent_at(now + 60s + 1us, "too-far-ahead") == 401u);
    BOOST_TEST(s.reported("timestamp_in_future"));
    BOOST_TEST(sent_at(now - 300s, "behind") == 202u);
    BOOST_TEST(sent_at(now - 300s - 1us, "too-far-behind") == 401u);
    BOOST_TEST(s.reported("timestamp_too_old"));
    BOOST_TEST(s.rx.stats().accepted == 2u);
}

BOOST_AUTO_TEST_SUITE_END() // answers

} // namespace integration_answers
