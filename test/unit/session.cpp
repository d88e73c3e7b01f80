// SPDX-License-Identifier: BSL-1.0
// test/unit/session.cpp - one connection's session over an in-memory stream: reads, routes, answers.
#include "http/session.hpp"

#include "session_host.hpp"
#include "support.hpp"
#include "vectors.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace unit_session { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

receiver_options options()
{
    receiver_options o;
    o.secrets.add(tst::webhook_id, tst::tv1_secret);
    o.clock = [] { return tst::vector_time(); };
    o.limits.max_body_bytes = 64 << 10;
    return o;
}

std::string raw_request(tst::wire_delivery const& d, std::string_view extra_headers = {})
{
    std::string r = "POST /webhooks/catena HTTP/1.1\r\nHost: receiver\r\n";
    r += "X-Catena-Signature: " + d.signature + "\r\n";
    r += "X-Catena-Timestamp: " + d.timestamp + "\r\n";
    r += "X-Webhook-ID: " + d.webhook_id + "\r\n";
    r += "X-Request-ID: " + d.request_id + "\r\n";
    r += "X-Delivery-Attempt: " + d.delivery_attempt + "\r\n";
    if(!d.content_encoding.empty())
        r += "Content-Encoding: " + d.content_encoding + "\r\n";
    r += extra_headers;
    r += "Content-Length: " + std::to_string(d.body.size()) + "\r\n\r\n" + d.body;
    return r;
}

std::string get(std::string_view target, std::string_view method = "GET", std::string_view host = "receiver")
{
    return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n";
}

// One connection: the client's bytes go in as the given pieces (the session runs between
// them), then the client closes and the session runs to its end.
struct connection
{
    net::io_context ioc;
    std::shared_ptr<tst::memory_host> host;
    beast::test::stream client{ioc};
    bool reset = false; // the session closed the connection before every piece was written

    explicit connection(std::vector<std::string> const& pieces, receiver_options o = options(),
                        detail::routes served = detail::routes::all)
        : host(std::make_shared<tst::memory_host>(std::move(o)))
    {
        host->serve(served);
        beast::test::stream server(ioc);
        client.connect(server);
        std::make_shared<detail::session<beast::test::stream>>(host, std::move(server))->run();
        for(auto const& piece : pieces)
        {
            error_code ec;
            net::write(client, net::buffer(piece), ec);
            if(ec)
            {
                reset = true;
                break;
            }
            ioc.poll();
        }
        client.close();
        ioc.run();
    }

    // The responses the session wrote, in order.
    std::vector<http::response<http::string_body>> responses()
    {
        std::vector<http::response<http::string_body>> v;
        beast::flat_buffer b;
        auto const s = client.str();
        net::buffer_copy(b.prepare(s.size()), net::buffer(s));
        b.commit(s.size());
        while(b.size() > 0)
        {
            http::response_parser<http::string_body> p;
            p.eager(true);
            error_code ec;
            b.consume(p.put(b.data(), ec));
            BOOST_REQUIRE_MESSAGE(!ec && p.is_done(), "a whole response: " << ec.message());
            v.push_back(p.release());
        }
        return v;
    }
};

std::string const json_body(tst::tv1_body);

} // namespace

BOOST_AUTO_TEST_SUITE(session_)

BOOST_AUTO_TEST_CASE(a_delivery_split_at_every_byte_is_answered_202_and_kept_once)
{
    auto const request = raw_request(tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time()));
    for(std::size_t cut = 1; cut < request.size(); ++cut)
    {
        BOOST_TEST_CONTEXT("cut at " << cut)
        {
            connection c({request.substr(0, cut), request.substr(cut)});
            auto const rs = c.responses();
            BOOST_REQUIRE(rs.size() == 1u);
            BOOST_TEST(rs[0].result_int() == 202u);
            BOOST_TEST(c.host->kept == 1);
            BOOST_TEST(c.host->store().backlog() == 1u);
            BOOST_TEST(c.host->opened_count == 1);
            BOOST_TEST(c.host->closed_count == 1);
        }
    }
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order_on_one_connection)
{
    auto d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time());
    connection c({get("/healthz") + raw_request(d) + get("/metrics") + get("/nowhere") + get("/healthz", "DELETE")});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 5u);
    BOOST_TEST(rs[0].result_int() == 200u);
    BOOST_TEST(rs[0].body() == "ok\n");
    BOOST_TEST(rs[1].result_int() == 202u);
    BOOST_TEST(rs[2].result_int() == 200u);
    BOOST_TEST(rs[2].body() == "catena_webhooks_test 1\n");
    BOOST_TEST(rs[3].result_int() == 404u);
    BOOST_TEST(rs[4].result_int() == 405u);
    BOOST_TEST(rs[4][http::field::allow] == "GET, HEAD");
    BOOST_TEST(c.host->kept == 1);
}

BOOST_AUTO_TEST_CASE(a_replayed_request_is_answered_202_and_not_kept_twice)
{
    auto const request = raw_request(tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time()));
    connection c({request + request});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 2u);
    BOOST_TEST(rs[0].result_int() == 202u);
    BOOST_TEST(rs[1].result_int() == 202u);
    BOOST_TEST(c.host->kept == 1);
    BOOST_TEST(c.host->counts().get(detail::counters::id::duplicate_requests) == 1u);
}

BOOST_AUTO_TEST_CASE(a_forged_delivery_is_answered_401_and_nothing_is_kept)
{
    auto d = tst::make_delivery("another-secret-entirely", tst::webhook_id, json_body, tst::vector_time());
    connection c({raw_request(d)});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].result_int() == 401u);
    BOOST_TEST(rs[0].body().find("\"reason\":\"unauthenticated\"") != std::string::npos);
    BOOST_TEST(c.host->kept == 0);
    BOOST_TEST(c.host->store().backlog() == 0u);
}

BOOST_AUTO_TEST_CASE(an_unsigned_body_over_the_limit_is_answered_401_without_being_read_and_the_connection_closes)
{
    std::string const head = "POST /webhooks/catena HTTP/1.1\r\nHost: r\r\nContent-Length: " +
                             std::to_string(64u << 20) + "\r\n\r\n";
    connection c({head, std::string(1000, 'x'), get("/healthz")});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 1u); // nothing after it is answered
    BOOST_TEST(rs[0].result_int() == 401u);
    BOOST_TEST(rs[0].body().find("\"unauthenticated\"") != std::string::npos);
    BOOST_TEST(!rs[0].keep_alive());
    BOOST_TEST(c.host->kept == 0);
    BOOST_TEST((c.host->counts().load().by_reason[static_cast<int>(error::missing_signature)] == 1u));
}

BOOST_AUTO_TEST_CASE(a_signed_body_over_the_limit_is_answered_503_with_retry_after_never_413)
{
    auto d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time());
    d.body.resize((64u << 10) + 1, 'x'); // announced and sent: over the limit, headers valid
    connection c({raw_request(d), get("/healthz")});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].result_int() == 503u);
    BOOST_TEST(rs[0][http::field::retry_after] == "1");
    BOOST_TEST(rs[0].body().find("\"body_too_large\"") != std::string::npos);
    BOOST_TEST(c.host->counts().get(detail::counters::id::deferred_deliveries) == 1u);
    BOOST_TEST(c.host->kept == 0);
}

BOOST_AUTO_TEST_CASE(a_chunked_signed_body_growing_over_the_limit_is_answered_503)
{
    auto d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time());
    std::string r = raw_request(d);
    r = r.substr(0, r.find("Content-Length:")) + "Transfer-Encoding: chunked\r\n\r\n";
    std::string const chunk(40u << 10, 'x');
    std::string const framed = "a000\r\n" + chunk + "\r\n";
    connection c({r, framed, framed, "0\r\n\r\n"});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].result_int() == 503u);
    BOOST_TEST(rs[0].body().find("\"body_too_large\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_body_that_does_not_fit_the_budget_is_answered_503_and_the_budget_is_given_back)
{
    auto o = options();
    o.limits.body_budget_bytes = 1000;
    auto const d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time());
    auto big = d;
    big.body.resize(1001, 'x');
    connection c({raw_request(big)}, o);
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].result_int() == 503u);
    BOOST_TEST(rs[0].body().find("\"body_budget_exhausted\"") != std::string::npos);
    BOOST_TEST(c.host->deliveries().gate().body_bytes() == 0u);
    // One that fits is read, kept, and gives its bytes back.
    connection ok({raw_request(d)}, o);
    BOOST_REQUIRE(ok.responses().size() == 1u);
    BOOST_TEST(ok.responses()[0].result_int() == 202u);
    BOOST_TEST(ok.host->deliveries().gate().body_bytes() == 0u);
}

// RFC 9112 §6.3: whatever a proxy in front may have made of these, the receiver answers 400
// and reads nothing after them on the connection.
BOOST_AUTO_TEST_CASE(every_smuggling_shape_is_answered_400_and_nothing_after_it_is_answered)
{
    std::string const smuggled = get("/metrics");
    std::vector<std::pair<std::string, std::string>> const shapes{
        {"Transfer-Encoding: gzip\r\n", "bad_transfer_encoding"},
        {"Transfer-Encoding: identity\r\n", "bad_transfer_encoding"},
        {"Transfer-Encoding: xchunked\r\n", "bad_transfer_encoding"},
        {"Transfer-Encoding: chunked, identity\r\n", "bad_transfer_encoding"},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "bad_transfer_encoding"},
    };
    for(auto const& [te, why] : shapes)
    {
        BOOST_TEST_CONTEXT(te)
        {
            std::string const r = "POST /webhooks/catena HTTP/1.1\r\nHost: r\r\n" + te + "\r\n" + smuggled;
            connection c({r});
            auto const rs = c.responses();
            BOOST_REQUIRE(rs.size() == 1u);
            BOOST_TEST(rs[0].result_int() == 400u);
            BOOST_TEST(rs[0].body().find(why) != std::string::npos);
            BOOST_TEST(!rs[0].keep_alive());
        }
    }
    for(std::string const host : {"", "Host: a\r\nHost: b\r\n"})
    {
        BOOST_TEST_CONTEXT("host lines: " << host)
        {
            connection c({"GET /healthz HTTP/1.1\r\n" + host + "\r\n", smuggled});
            auto const rs = c.responses();
            BOOST_REQUIRE(rs.size() == 1u);
            BOOST_TEST(rs[0].result_int() == 400u);
            BOOST_TEST(rs[0].body().find("bad_host") != std::string::npos);
        }
    }
    // HTTP/1.0 needs no Host.
    connection old({"GET /healthz HTTP/1.0\r\n\r\n"});
    BOOST_REQUIRE(old.responses().size() == 1u);
    BOOST_TEST(old.responses()[0].result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(with_an_admin_listener_each_listener_serves_only_its_routes)
{
    auto const d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time());
    connection deliveries({get("/metrics"), raw_request(d)}, options(), detail::routes::deliveries);
    auto rs = deliveries.responses();
    BOOST_REQUIRE(rs.size() == 2u);
    BOOST_TEST(rs[0].result_int() == 404u);
    BOOST_TEST(rs[1].result_int() == 202u);
    auto admin_options = options();
    admin_options.admin_hosts = {"receiver"};
    connection admin({get("/metrics", "GET", "localhost:9090"), get("/healthz"), raw_request(d)}, admin_options,
                     detail::routes::admin);
    rs = admin.responses();
    BOOST_REQUIRE(rs.size() == 3u);
    BOOST_TEST(rs[0].result_int() == 200u);
    BOOST_TEST(rs[1].result_int() == 200u);
    BOOST_TEST(rs[2].result_int() == 404u);
    BOOST_TEST(admin.host->kept == 0);
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_http_are_answered_400_and_the_connection_closes)
{
    connection c({"\x16\x03\x01 this is not a request\r\n\r\n", get("/healthz")});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].result_int() == 400u);
    BOOST_TEST(!rs[0].keep_alive());
    BOOST_TEST(c.host->closed_count == 1);
}

BOOST_AUTO_TEST_CASE(head_of_the_metrics_route_has_no_body)
{
    connection c({get("/metrics", "HEAD")});
    auto const s = c.client.str();
    BOOST_TEST(s.starts_with("HTTP/1.1 200"));
    BOOST_TEST(s.find("catena_webhooks_test") == std::string::npos);
}


//------------------------------------------------------------------------------
// Who is asking: the admin listener's Host, proxies, headers every answer carries.

namespace {

// The address every in-memory connection opened while it lives comes from.
struct peer_is
{
    explicit peer_is(std::string_view a) { stream_ops::next_peer = net::ip::make_address(std::string(a)); }
    ~peer_is() { stream_ops::next_peer = net::ip::make_address_v4("192.0.2.1"); }
    using stream_ops = detail::stream_ops<beast::test::stream>;
};

std::vector<unsigned> statuses(connection& c)
{
    std::vector<unsigned> v;
    for(auto const& r : c.responses())
        v.push_back(r.result_int());
    return v;
}

// A Catena delivery signed with `secret`, from `forwarded_for` behind a proxy.
std::string delivery_from(std::string_view forwarded_for, std::string_view secret = tst::tv1_secret)
{
    auto const d = tst::make_delivery(secret, tst::webhook_id, json_body, tst::vector_time());
    return raw_request(d, "X-Forwarded-For: " + std::string(forwarded_for) + "\r\n");
}

receiver_options behind_proxy(std::size_t max_failures)
{
    auto o = options();
    o.trusted_proxies = {"10.0.0.0/8"};
    o.limits.max_auth_failures_per_minute = max_failures;
    return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_admin_listener_answers_421_to_a_host_it_does_not_serve)
{
    auto o = options();
    o.admin_listen = net::ip::tcp::endpoint(net::ip::make_address("192.0.2.10"), 9090);
    o.admin_hosts = {"ops.internal"};
    for(std::string_view host : {"localhost:9090", "LOCALHOST", "app.localhost", "127.0.0.1:9090", "127.9.9.9",
                                 "[::1]:9090", "192.0.2.10:9090", "ops.internal", "Ops.Internal.:9090"})
        BOOST_TEST_CONTEXT(host)
        {
            connection c({get("/metrics", "GET", host)}, o, detail::routes::admin);
            BOOST_TEST(statuses(c) == std::vector<unsigned>{200u}, boost::test_tools::per_element());
        }
    for(std::string_view host : {"evil.example", "evil.example:9090", "localhost.evil.example", "192.0.2.11",
                                 "[2001:db8::1]", "ops.internal.evil.example", "[::1"})
        BOOST_TEST_CONTEXT(host)
        {
            connection c({get("/v1/fleets", "GET", host)}, o, detail::routes::admin);
            BOOST_TEST(statuses(c) == std::vector<unsigned>{421u}, boost::test_tools::per_element());
            BOOST_TEST(c.client.str().find("host_not_allowed") != std::string::npos);
        }
    // The health route tells nothing: any Host may ask.
    connection health({get("/healthz", "GET", "evil.example")}, o, detail::routes::admin);
    BOOST_TEST(statuses(health) == std::vector<unsigned>{200u}, boost::test_tools::per_element());
}

// The admin listener's refusals before routing (a method, a Host) have its errors' shape;
// a delivery path's answers keep theirs, which say no more than Catena needs.
BOOST_AUTO_TEST_CASE(admin_listener_refusals_are_status_reason_and_detail)
{
    auto o = options();
    o.admin_listen = net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 9090);
    connection admin({get("/v1/fleets", "DELETE", "localhost"), get("/v1/summary", "GET", "evil.example")}, o,
                     detail::routes::admin);
    auto const rs = admin.responses();
    BOOST_REQUIRE(rs.size() == 2u);
    char const* const reasons[] = {"method_not_allowed", "host_not_allowed"};
    for(std::size_t i = 0; i < rs.size(); ++i)
        BOOST_TEST_CONTEXT(rs[i].result_int())
        {
            auto const j = boost::json::parse(rs[i].body()).as_object();
            BOOST_TEST(j.size() == 3u, rs[i].body());
            BOOST_TEST(j.at("status").to_number<unsigned>() == rs[i].result_int());
            BOOST_TEST(j.at("reason").as_string() == reasons[i]);
            BOOST_TEST(!j.at("detail").as_string().empty());
        }
    connection deliveries({get("/webhooks/catena")});
    auto const d = deliveries.responses();
    BOOST_REQUIRE(d.size() == 1u);
    BOOST_TEST(d[0].body() == "{\"status\":405,\"reason\":\"method_not_allowed\"}\n");
}

BOOST_AUTO_TEST_CASE(every_answer_says_nosniff_and_no_store)
{
    auto const good = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time());
    auto const forged = tst::make_delivery("not-the-secret-at-all", tst::webhook_id, json_body, tst::vector_time());
    connection c({raw_request(good), raw_request(forged), get("/metrics"), get("/nowhere"), get("/healthz")});
    auto const rs = c.responses();
    BOOST_REQUIRE(rs.size() == 5u);
    for(auto const& r : rs)
        BOOST_TEST_CONTEXT(r.result_int())
        {
            BOOST_TEST(r["X-Content-Type-Options"] == "nosniff");
            BOOST_TEST(r[http::field::cache_control] == "no-store");
        }
}

BOOST_AUTO_TEST_CASE(the_status_page_may_not_be_framed)
{
    http::response<http::string_body> res;
    detail::shape_response(res, 11, 200, "text/html", detail::extra_header::page, {}, std::nullopt);
    BOOST_TEST(std::string_view(res["Content-Security-Policy"]).find("frame-ancestors 'none'") != std::string_view::npos);
}

BOOST_AUTO_TEST_CASE(metrics_are_on_the_delivery_listener_only_where_nobody_else_can_read_them)
{
    auto o = options();
    o.listen = net::ip::tcp::endpoint(net::ip::make_address("0.0.0.0"), 8080);
    connection open_to_all({get("/metrics")}, o);
    BOOST_TEST(statuses(open_to_all) == std::vector<unsigned>{404u}, boost::test_tools::per_element());
    o.public_metrics = true;
    connection asked({get("/metrics")}, o);
    BOOST_TEST(statuses(asked) == std::vector<unsigned>{200u}, boost::test_tools::per_element());
    connection loopback({get("/metrics")}); // 127.0.0.1 by default
    BOOST_TEST(statuses(loopback) == std::vector<unsigned>{200u}, boost::test_tools::per_element());
    o = options();
    o.public_metrics = false;
    connection refused({get("/metrics")}, o);
    BOOST_TEST(statuses(refused) == std::vector<unsigned>{404u}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(behind_a_trusted_proxy_each_forwarded_client_has_its_own_penalty)
{
    peer_is proxy("10.0.0.1");
    auto const o = behind_proxy(3);
    connection c({delivery_from("198.51.100.7", "forged-secret-abc"), delivery_from("198.51.100.7", "forged-secret-abc"),
                  delivery_from("198.51.100.7", "forged-secret-abc"),
                  delivery_from("203.0.113.1, 198.51.100.8"), // another client: verified
                  delivery_from("198.51.100.7")},             // the penalised one: rationed
                 o);
    BOOST_TEST(statuses(c) == (std::vector<unsigned>{401u, 401u, 401u, 202u, 503u}), boost::test_tools::per_element());
    BOOST_TEST(c.host->counts().get(detail::counters::id::penalties_started) == 1u);
}

BOOST_AUTO_TEST_CASE(an_untrusted_peers_forwarded_for_is_ignored)
{
    auto const o = behind_proxy(3);
    auto host = std::make_shared<tst::memory_host>(o);
    auto run = [&host](std::vector<std::string> const& pieces) {
        net::io_context ioc;
        beast::test::stream client(ioc), server(ioc);
        client.connect(server);
        std::make_shared<detail::session<beast::test::stream>>(host, std::move(server))->run();
        for(auto const& p : pieces)
        {
            net::write(client, net::buffer(p));
            ioc.poll();
        }
        client.close();
        ioc.run();
        return std::string(client.str());
    };
    {
        // 192.0.2.50 claims to forward for 198.51.100.7: its failures are its own.
        peer_is untrusted("192.0.2.50");
        run({delivery_from("198.51.100.7", "forged-secret-abc"), delivery_from("198.51.100.7", "forged-secret-abc"),
             delivery_from("198.51.100.7", "forged-secret-abc")});
        auto const s = run({delivery_from("203.0.113.1")});
        BOOST_TEST(s.starts_with("HTTP/1.1 503")); // the peer itself is penalised, whatever it forwards for
    }
    peer_is proxy("10.0.0.1");
    auto const s = run({delivery_from("198.51.100.7")});
    BOOST_TEST(s.starts_with("HTTP/1.1 202")); // 198.51.100.7 was never penalised
}

BOOST_AUTO_TEST_CASE(a_proxy_protocol_header_names_the_client_a_route_allowlist_sees)
{
    auto o = options();
    o.trusted_proxies = {"10.0.0.0/8"};
    o.proxy_protocol = true;
    route_options r;
    r.path = "/webhooks/foxtrot";
    r.allow = {"198.51.100.7"};
    o.routes = {r};
    std::string const body = R"({"id":"e-1","event":"ROUTE_CREATED","data":{}})";
    std::string const post = "POST /webhooks/foxtrot HTTP/1.1\r\nHost: r\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
    peer_is proxy("10.0.0.1");
    connection allowed({"PROXY TCP4 198.51.100.7 192.0.2.1 4711 443\r\n" + post}, o);
    BOOST_TEST(statuses(allowed) == std::vector<unsigned>{202u}, boost::test_tools::per_element());
    connection other({"PROXY TCP4 198.51.100.8 192.0.2.1 4711 443\r\n", post}, o); // the header alone, then the request
    BOOST_TEST(statuses(other) == std::vector<unsigned>{401u}, boost::test_tools::per_element());
    // A trusted proxy's connection that does not begin with the header is closed unanswered.
    connection missing({post}, o);
    BOOST_TEST(missing.client.str().empty());
    BOOST_TEST(missing.host->counts().get(detail::counters::id::proxy_header_errors) == 1u);
}

BOOST_AUTO_TEST_CASE(an_untrusted_peer_is_not_asked_for_a_proxy_header)
{
    auto o = options();
    o.trusted_proxies = {"10.0.0.0/8"};
    o.proxy_protocol = true;
    auto const d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, json_body, tst::vector_time());
    connection c({raw_request(d)}, o); // from 192.0.2.1
    BOOST_TEST(statuses(c) == std::vector<unsigned>{202u}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END() // session_

} // namespace unit_session
