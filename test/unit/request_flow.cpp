// SPDX-License-Identifier: BSL-1.0
// test/unit/request_flow.cpp - one path for every way in: the listener's session, receive() and verify() answer each request alike.
#include "http/request_flow.hpp"

#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/verifier.hpp>

#include "http/receive_gate.hpp"
#include "http/session.hpp"
#include "session_host.hpp"
#include "support.hpp"
#include "vectors.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/test/unit_test.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace unit_request_flow { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A request as a client sends it: its headers in order (Host among them), its body.
struct wire_case
{
    std::string name;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string method = "POST";
    std::string target = "/webhooks/catena";
    bool length = true;      // a Content-Length header for the body
    bool verifiable = true;  // a delivery whose fate verify() alone decides (no listener limit, framing, route)
};

wire_case delivery_case(std::string name, tst::wire_delivery const& d)
{
    wire_case c;
    c.name = std::move(name);
    c.headers.emplace_back("Host", "receiver");
    auto add = [&](char const* n, std::string const& v) {
        if(!v.empty())
            c.headers.emplace_back(n, v);
    };
    add("X-Catena-Signature", d.signature);
    add("X-Catena-Timestamp", d.timestamp);
    add("X-Webhook-ID", d.webhook_id);
    add("Content-Encoding", d.content_encoding);
    add("X-Event-Type", d.event_type);
    add("X-Request-ID", d.request_id);
    add("X-Delivery-Attempt", d.delivery_attempt);
    c.body = d.body;
    return c;
}

std::string render(wire_case const& c)
{
    std::string r = c.method + " " + c.target + " HTTP/1.1\r\n";
    for(auto const& [n, v] : c.headers)
        r += n + ": " + v + "\r\n";
    if(c.length)
        r += "Content-Length: " + std::to_string(c.body.size()) + "\r\n";
    return r + "\r\n" + c.body;
}

// An answer as a client reads it; the framing (Content-Length, Connection) is the server's.
struct seen
{
    unsigned status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
};

std::string lower(std::string s)
{
    for(auto& ch : s)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

// Each request on a connection of its own, all on one host (penalties and budgets are the host's).
std::vector<seen> through_listener(std::shared_ptr<tst::memory_host> const& host, std::vector<wire_case> const& cases)
{
    std::vector<seen> out;
    for(auto const& c : cases)
    {
        net::io_context ioc;
        beast::test::stream client(ioc), server(ioc);
        client.connect(server);
        std::make_shared<detail::session<beast::test::stream>>(host, std::move(server))->run();
        net::write(client, net::buffer(render(c)));
        ioc.poll();
        client.close();
        ioc.run();
        http::response_parser<http::string_body> p;
        p.eager(true);
        error_code ec;
        auto const bytes = client.str();
        p.put(net::buffer(bytes), ec);
        BOOST_REQUIRE_MESSAGE(!ec && p.is_done(), c.name << ": a whole answer: " << ec.message());
        auto const& res = p.get();
        seen s{res.result_int(), {}, res.body()};
        for(auto const& f : res)
            if(f.name() != http::field::content_length && f.name() != http::field::connection)
                s.headers[lower(std::string(f.name_string()))] = std::string(f.value());
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<seen> through_receive(tst::memory_host& host, std::vector<wire_case> const& cases)
{
    detail::receive_gate gate(host);
    gate.open();
    std::vector<seen> out;
    for(auto const& c : cases)
    {
        std::vector<header_field> fields;
        for(auto const& [n, v] : c.headers)
            fields.push_back({n, v});
        auto const length = std::to_string(c.body.size());
        if(c.length)
            fields.push_back({"Content-Length", length});
        request_view v;
        v.method = c.method;
        v.target = c.target;
        v.headers = fields;
        v.body = c.body;
        v.peer = detail::stream_ops<beast::test::stream>::next_peer;
        std::optional<response> got;
        gate.receive(v, std::string(c.body), [&](response r) { got = std::move(r); });
        // The memory store keeps at once: the answer is there when receive() returns.
        BOOST_REQUIRE_MESSAGE(got, c.name << ": answered");
        seen s{got->status, {}, got->body};
        for(auto const& [n, val] : got->headers)
            s.headers[lower(n)] = val;
        out.push_back(std::move(s));
    }
    BOOST_TEST(gate.in_flight() == 0u);
    return out;
}

receiver_options base_options()
{
    receiver_options o;
    o.secrets.add(tst::webhook_id, tst::tv1_secret);
    o.clock = [] { return tst::vector_time(); };
    o.limits.max_body_bytes = 64 << 10;
    o.timeouts.retry_after = std::chrono::seconds(7);
    return o;
}

// The same requests through a session and through receive(), each way on a host of its own:
// the same answers (status, headers, body), the same reasons reported, the same deliveries
// kept. Returns the answers and the reasons.
std::pair<std::vector<seen>, std::vector<error_code>> both_ways(receiver_options const& o,
                                                                std::vector<wire_case> const& cases)
{
    auto listener_host = std::make_shared<tst::memory_host>(o);
    tst::memory_host receive_host(o);
    auto const by_listener = through_listener(listener_host, cases);
    auto const by_receive = through_receive(receive_host, cases);
    BOOST_REQUIRE(by_listener.size() == by_receive.size());
    for(std::size_t i = 0; i < cases.size(); ++i)
        BOOST_TEST_CONTEXT(cases[i].name)
        {
            BOOST_TEST(by_listener[i].status == by_receive[i].status);
            BOOST_TEST(by_listener[i].body == by_receive[i].body);
            BOOST_TEST((by_listener[i].headers == by_receive[i].headers));
        }
    auto const reasons = listener_host->answered_reasons();
    BOOST_TEST((reasons == receive_host.answered_reasons()));
    BOOST_TEST(listener_host->kept.load() == receive_host.kept.load());
    BOOST_TEST(listener_host->reports.load() == receive_host.reports.load());
    BOOST_TEST(listener_host->store().backlog() == receive_host.store().backlog());
    return {by_listener, reasons};
}

tst::wire_delivery signed_delivery(std::string_view request_id, bool gzip = true)
{
    auto d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, tst::tv1_body, tst::vector_time(), gzip);
    d.request_id = request_id;
    return d;
}

// Every kind of delivery the answer table names, good and bad.
std::vector<wire_case> table_cases()
{
    std::vector<wire_case> v;
    v.push_back(delivery_case("gzip delivery", signed_delivery("r1")));
    v.push_back(delivery_case("identity delivery", signed_delivery("r2", false)));
    v.push_back(delivery_case("replayed request id", signed_delivery("r1")));
    auto d = signed_delivery("r3");
    d.signature.clear();
    v.push_back(delivery_case("no signature", d));
    d = signed_delivery("r4");
    d.timestamp.clear();
    v.push_back(delivery_case("no timestamp", d));
    d = signed_delivery("r5");
    d.webhook_id.clear();
    v.push_back(delivery_case("no webhook id", d));
    d = signed_delivery("r6");
    d.signature = tst::malformed_doc_signature;
    v.push_back(delivery_case("malformed signature", d));
    d = signed_delivery("r7");
    d.timestamp = "yesterday";
    v.push_back(delivery_case("malformed timestamp", d));
    d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, tst::tv1_body, tst::vector_time() - std::chrono::seconds(400));
    v.push_back(delivery_case("stale timestamp", d));
    d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, tst::tv1_body, tst::vector_time() + std::chrono::seconds(90));
    v.push_back(delivery_case("timestamp ahead", d));
    d = tst::make_delivery(tst::tv1_secret, "unknown-subscription", tst::tv1_body, tst::vector_time());
    v.push_back(delivery_case("unknown subscription", d));
    d = signed_delivery("r8", false);
    d.body[10] ^= 1;
    v.push_back(delivery_case("a changed byte", d));
    d = signed_delivery("r9", false);
    d.content_encoding = "br";
    v.push_back(delivery_case("unknown encoding", d));
    d = signed_delivery("r10");
    d.body.resize(d.body.size() / 2);
    v.push_back(delivery_case("truncated gzip", d));
    d = signed_delivery("r11");
    d.body[0] ^= 0x55; // not a gzip header
    v.push_back(delivery_case("corrupt gzip", d));
    d = signed_delivery("r12");
    d.body.append("trailing");
    v.push_back(delivery_case("garbage after the body", d));
    return v;
}

std::vector<wire_case> refused_before_verification()
{
    std::vector<wire_case> v;
    auto c = delivery_case("over max_body_bytes", signed_delivery("big", false));
    c.body.append(70 << 10, ' ');
    c.verifiable = false;
    v.push_back(c);
    c = delivery_case("GET on the delivery path", signed_delivery("m1"));
    c.method = "GET";
    c.body.clear();
    c.verifiable = false;
    v.push_back(c);
    c = delivery_case("another path", signed_delivery("p1"));
    c.target = "/elsewhere";
    c.verifiable = false;
    v.push_back(c);
    c = delivery_case("Transfer-Encoding other than chunked", signed_delivery("te"));
    c.headers.emplace_back("Transfer-Encoding", "identity");
    c.length = false;
    c.body.clear();
    c.verifiable = false;
    v.push_back(c);
    c = delivery_case("two Hosts", signed_delivery("h2"));
    c.headers.emplace_back("Host", "other");
    c.verifiable = false;
    v.push_back(c);
    c = delivery_case("no Host", signed_delivery("h0"));
    c.headers.erase(c.headers.begin());
    c.verifiable = false;
    v.push_back(c);
    return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_flow)

BOOST_AUTO_TEST_CASE(listener_and_receive_answer_every_row_of_the_answer_table_alike)
{
    auto cases = table_cases();
    auto const more = refused_before_verification();
    cases.insert(cases.end(), more.begin(), more.end());
    auto const [answers, reasons] = both_ways(base_options(), cases);
    std::vector<unsigned> statuses;
    for(auto const& a : answers)
        statuses.push_back(a.status);
    // The rows: two kept, a copy answered 202, the proven forgeries 401, what may be Catena's 503,
    // then the listener's own refusals.
    std::vector<unsigned> const expected{202, 202, 202, 401, 401, 401, 401, 401, 401, 401, 401, 401,
                                         503, 503, 503, 503, 503, 405, 404, 400, 400, 400};
    BOOST_TEST(statuses == expected, boost::test_tools::per_element());
    BOOST_TEST(answers[12].headers.at("retry-after") == "7");
    BOOST_TEST(answers[17].headers.at("allow") == "POST");
}

BOOST_AUTO_TEST_CASE(unverified_status_503_applies_to_receive_as_to_the_listener)
{
    auto o = base_options();
    o.unverified_status = 503;
    auto const [answers, reasons] = both_ways(o, table_cases());
    for(std::size_t i = 3; i < 12; ++i)
    {
        BOOST_TEST(answers[i].status == 503u);
        BOOST_TEST(answers[i].body == "{\"status\":503,\"reason\":\"unauthenticated\"}\n");
    }
}

BOOST_AUTO_TEST_CASE(the_body_budget_and_an_address_rationed_after_failed_signatures_refuse_receive_alike)
{
    auto o = base_options();
    o.limits.body_budget_bytes = 100; // less than any signed body here
    auto const [budget, budget_reasons] = both_ways(o, {delivery_case("over the budget", signed_delivery("b1"))});
    BOOST_TEST(budget.at(0).status == 503u);
    BOOST_TEST(budget.at(0).body.find("body_budget_exhausted") != std::string::npos);

    o = base_options();
    o.limits.max_auth_failures_per_minute = 2;
    o.limits.auth_failure_penalty = std::chrono::hours(1);
    o.limits.penalty_verify_interval = std::chrono::hours(1);
    std::vector<wire_case> forged;
    for(int i = 0; i < 5; ++i)
    {
        auto d = signed_delivery("f" + std::to_string(i), false);
        d.body[10] ^= 1;
        forged.push_back(delivery_case("forged " + std::to_string(i), d));
    }
    forged.push_back(delivery_case("authentic, same address and subscription", signed_delivery("ok")));
    auto const [answers, reasons] = both_ways(o, forged);
    std::vector<unsigned> statuses;
    for(auto const& a : answers)
        statuses.push_back(a.status);
    // Two failures start the penalty, which counts as the interval's verification: the rest
    // of that address's bodies for that subscription wait (503, never a 4xx), the authentic
    // one too, until the interval is over.
    std::vector<unsigned> const expected{401, 401, 503, 503, 503, 503};
    BOOST_TEST(statuses == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(another_providers_route_and_a_trusted_proxys_client_are_handled_alike)
{
    auto o = base_options();
    route_options r;
    r.path = "/webhooks/foxtrot";
    r.token = "route-token-1234";
    r.token_header = "X-Foxtrot-Token";
    o.routes.push_back(r);
    o.trusted_proxies = {"192.0.2.0/24"};
    auto route_case = [](std::string name, std::string token) {
        wire_case c;
        c.name = std::move(name);
        c.target = "/webhooks/foxtrot";
        c.headers = {{"Host", "receiver"}, {"X-Foxtrot-Token", std::move(token)}, {"X-Forwarded-For", "203.0.113.9"}};
        c.body = R"({"event":"ROUTE_CREATED","id":"fx-1"})";
        c.verifiable = false;
        return c;
    };
    auto unreadable = delivery_case("X-Forwarded-For naming no address", signed_delivery("x1"));
    unreadable.headers.emplace_back("X-Forwarded-For", "not an address");
    auto const [answers, reasons] =
        both_ways(o, {route_case("right token", "route-token-1234"), route_case("wrong token", "nope"), unreadable});
    BOOST_TEST(answers.at(0).status == 202u);
    BOOST_TEST(answers.at(1).status == 401u);
    BOOST_TEST(answers.at(2).status == 202u);
}

// verify() takes the listener's path (check_delivery_headers, then verify_body): on every
// delivery whose fate verification decides, its error is the reason the listener reported
// and answer_status() is the listener's status.
BOOST_AUTO_TEST_CASE(verify_agrees_with_the_listener_on_every_rejection_reason)
{
    for(unsigned unverified : {401u, 503u})
    {
        auto o = base_options();
        o.unverified_status = unverified;
        auto const cases = table_cases();
        auto const [answers, reasons] = both_ways(o, cases);
        std::size_t next_reason = 0;
        for(std::size_t i = 0; i < cases.size(); ++i)
            BOOST_TEST_CONTEXT(cases[i].name << ", unverified_status " << unverified)
            {
                std::vector<header_field> fields;
                for(auto const& [n, v] : cases[i].headers)
                    fields.push_back({n, v});
                auto const ec = verify(fields, cases[i].body, o.secrets, tst::vector_time(),
                                       verify_options{o.window, o.limits.inflate});
                BOOST_TEST(answer_status(ec, unverified) == answers[i].status);
                if(answers[i].status == 202)
                    BOOST_TEST(!ec);
                else
                {
                    BOOST_REQUIRE(next_reason < reasons.size());
                    BOOST_TEST(reason(ec) == reason(reasons[next_reason]));
                    ++next_reason;
                }
            }
    }
}

BOOST_AUTO_TEST_CASE(verify_agrees_with_the_listener_on_the_signature_vectors)
{
    struct vector_case
    {
        std::string name;
        std::string webhook_id, secret;
        tst::wire_delivery d;
        timestamp now;
        unsigned status;
    };
    auto tv2 = [] {
        tst::wire_delivery d;
        d.signature = tst::tv2_signature;
        d.timestamp = tst::tv2_timestamp;
        d.webhook_id = tst::webhook_id;
        d.content_encoding = "gzip";
        d.event_type = "webhook.staled";
        d.body = tst::base64_decode(tst::tv2_gzip_base64);
        return d;
    };
    std::vector<vector_case> vs;
    tst::wire_delivery d;
    d.signature = tst::tv1_signature;
    d.timestamp = tst::tv1_timestamp;
    d.webhook_id = tst::webhook_id;
    d.body = tst::tv1_body;
    vs.push_back({"TV-1", std::string(tst::webhook_id), std::string(tst::tv1_secret), d, tst::vector_time(), 202});
    vs.push_back({"TV-2 as sent, gzip", std::string(tst::webhook_id), std::string(tst::tv2_secret), tv2(),
                  tst::vector_time(), 202});
    d = tv2();
    d.content_encoding.clear();
    d.body = tst::tv2_body;
    d.timestamp = tst::tv3_timestamp;
    d.signature = tst::tv3_signature;
    vs.push_back({"TV-3", std::string(tst::webhook_id), std::string(tst::tv2_secret), d, tst::vector_time(), 202});
    tst::wire_delivery d4;
    d4.signature = tst::tv4_signature;
    d4.timestamp = tst::tv4_timestamp;
    d4.webhook_id = "tv4-hook";
    d4.content_encoding = "gzip";
    d4.body = gzip_compress(tst::tv4_body);
    vs.push_back({"TV-4", "tv4-hook", std::string(tst::tv4_secret), d4, *parse_rfc3339(tst::tv4_timestamp), 202});
    d = tv2();
    d.timestamp = tst::tv3_timestamp;
    vs.push_back({"N-1 respelled timestamp", std::string(tst::webhook_id), std::string(tst::tv2_secret), d,
                  tst::vector_time(), 401});
    d = tv2();
    d.signature = tst::tv2_hmac_over_gzip;
    vs.push_back({"N-2 signature over the gzip bytes", std::string(tst::webhook_id), std::string(tst::tv2_secret), d,
                  tst::vector_time(), 401});
    d = tv2();
    d.signature = tst::malformed_doc_signature;
    vs.push_back({"N-5 malformed signature", std::string(tst::webhook_id), std::string(tst::tv2_secret), d,
                  tst::vector_time(), 401});
    vs.push_back({"N-4 outside the window", std::string(tst::webhook_id), std::string(tst::tv2_secret), tv2(),
                  tst::vector_time() + std::chrono::seconds(301), 401});
    for(auto const& v : vs)
        BOOST_TEST_CONTEXT(v.name)
        {
            auto o = base_options();
            o.secrets = {};
            o.secrets.add(v.webhook_id, v.secret);
            o.clock = [now = v.now] { return now; };
            auto const c = delivery_case(v.name, v.d);
            auto const [answers, reasons] = both_ways(o, {c});
            BOOST_TEST(answers.at(0).status == v.status);
            auto const ec = verify(v.d.headers(), v.d.body, o.secrets, v.now);
            BOOST_TEST(answer_status(ec) == answers.at(0).status);
            if(v.status != 202)
            {
                BOOST_REQUIRE(reasons.size() == 1u);
                BOOST_TEST(reason(ec) == reason(reasons[0]));
            }
            // The decoded envelope of what verifies (TV-4's body is no envelope: authentic, so
            // still 202, kept as a dead letter).
            auto const e = verify_envelope(v.d.headers(), v.d.body, o.secrets, v.now);
            BOOST_TEST(answer_status(e ? error_code{} : e.error()) == v.status);
            BOOST_TEST(e.has_value() == (v.status == 202 && v.name != "TV-4"));
        }
}

// Where a request goes is a function of its head and of what the listener serves: no socket,
// no body, no state but the options.
BOOST_AUTO_TEST_CASE(routing_is_decided_on_the_head_alone)
{
    constexpr std::string_view foxtrot_token = "a-token-in-the-path-1234";
    auto opts = base_options();
    route_options fox;
    fox.path = "/webhooks/foxtrot";
    fox.token = std::string(foxtrot_token);
    opts.routes.push_back(fox);
    tst::memory_host host(opts);
    struct row
    {
        detail::routes served;
        http::verb method;
        std::string target;
        std::string host_name = "localhost";
        bool body = false;
        std::string te{};
        // expected
        detail::head_route::kind what;
        error refusal = {};
        std::string provider{};
        std::string rest{};
        std::string allow{};
    };
    using k = detail::head_route::kind;
    auto const all = detail::routes::all, admin = detail::routes::admin, deliveries = detail::routes::deliveries;
    std::vector<row> const rows{
        {all, http::verb::post, "/webhooks/catena", "localhost", true, {}, k::delivery, {}, "catena"},
        {all, http::verb::post, "/webhooks/catena?trace=1", "localhost", true, {}, k::delivery, {}, "catena"},
        {all, http::verb::post, "/webhooks/foxtrot/" + std::string(foxtrot_token), "localhost", true, {}, k::delivery, {},
         "foxtrot", std::string(foxtrot_token)},
        {all, http::verb::get, "/webhooks/catena", "localhost", false, {}, k::refuse, error::method_not_allowed, {}, {}, "POST"},
        {all, http::verb::post, "/webhooks/catena/extra", "localhost", true, {}, k::refuse, error::not_found},
        {all, http::verb::get, "/healthz", "localhost", false, {}, k::read},
        {all, http::verb::head, "/metrics", "localhost", false, {}, k::read},
        {all, http::verb::post, "/healthz", "localhost", true, {}, k::refuse, error::method_not_allowed, {}, {}, "GET, HEAD"},
        {all, http::verb::get, "/healthz", "localhost", true, {}, k::refuse, error::bad_request},
        {all, http::verb::get, "/nowhere", "localhost", false, {}, k::refuse, error::not_found},
        {all, http::verb::post, "/webhooks/catena", "", true, {}, k::refuse, error::bad_host},
        {all, http::verb::post, "/webhooks/catena", "localhost", true, "gzip", k::refuse, error::bad_transfer_encoding},
        {deliveries, http::verb::get, "/healthz", "localhost", false, {}, k::refuse, error::not_found},
        {admin, http::verb::post, "/webhooks/catena", "localhost", true, {}, k::refuse, error::not_found},
        {admin, http::verb::get, "/v1/fleets", "localhost", false, {}, k::read},
        {admin, http::verb::get, "/v1/fleets", "rebound.example", false, {}, k::refuse, error::host_not_allowed},
        {admin, http::verb::get, "/healthz", "rebound.example", false, {}, k::read},
    };
    for(auto const& r : rows)
    {
        BOOST_TEST_CONTEXT(r.target << " " << http::to_string(r.method) << " served " << static_cast<int>(r.served))
        {
            http::request<http::empty_body> req{r.method, r.target, 11};
            if(!r.host_name.empty())
                req.set(http::field::host, r.host_name);
            if(!r.te.empty())
                req.set(http::field::transfer_encoding, r.te);
            auto const route = detail::route_head(host, r.served, req.base(), r.body);
            BOOST_TEST((route.what == r.what));
            BOOST_TEST((route.refusal == r.refusal));
            BOOST_TEST(route.allow == r.allow);
            BOOST_TEST(route.close == (r.refusal == error::bad_host || r.refusal == error::bad_transfer_encoding));
            BOOST_TEST(route.route.has_value() == (r.what == k::delivery));
            if(route.route)
            {
                BOOST_TEST(route.route->provider->name() == r.provider);
                BOOST_TEST(route.route->rest == r.rest);
            }
            BOOST_TEST(route.is_health == (r.what == k::read && r.target == "/healthz"));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END() // request_flow

} // namespace unit_request_flow
