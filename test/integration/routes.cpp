// SPDX-License-Identifier: BSL-1.0
// test/integration/routes.cpp - another provider's route (Foxtrot, unsigned) over loopback: token, allowlist, dedup, dead letters.
#include <catena/webhooks/receiver.hpp>

#include "receiver_server.hpp"
#include "sim.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#ifdef CATENA_WEBHOOKD_PATH
#include "process.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>

#include <csignal>
#include <fstream>
#include <set>
#endif

#include <string>

namespace integration_routes { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::test::loopback;

constexpr std::string_view token = "foxtrot-route-token-0123456789";

cw::route_options foxtrot_route(std::string token_header = "X-Foxtrot-Token")
{
    cw::route_options r;
    r.path = "/webhooks/foxtrot";
    r.provider = "foxtrot";
    r.token = token;
    r.token_header = std::move(token_header);
    return r;
}

cw::receiver_options with_route(cw::route_options r)
{
    auto o = base_options();
    o.routes.push_back(std::move(r));
    return o;
}

cs::foxtrot_message route_created(std::string id)
{
    cs::foxtrot_message m;
    m.id = std::move(id);
    m.event = "ROUTE_CREATED";
    m.dc_id = "dc-7";
    m.data = boost::json::object{{"route_id", "r-1"}, {"stops", 12}};
    return m;
}

cs::attempt_result post(server& s, std::string const& target, cs::wire_request const& wr)
{
    cs::client c(s.ep(), no_retry());
    return c.send_raw("POST", target, wr);
}

cs::wire_request foxtrot_request(cs::foxtrot_message const& m, std::string_view header = "X-Foxtrot-Token",
                                 std::string_view tok = token, bool gzip = false)
{
    return cs::build_foxtrot_request(m, header, tok, cw::system_now(), gzip);
}

} // namespace

BOOST_AUTO_TEST_SUITE(routes)

BOOST_AUTO_TEST_CASE(a_token_in_a_header_admits_a_delivery_whose_event_reaches_the_same_handlers)
{
    std::vector<cw::event> created;
    std::mutex m;
    server s(with_route(foxtrot_route()), [&](cw::receiver& rx) {
        rx.on("ROUTE_CREATED", [&](cw::event const& e) {
            std::lock_guard lock(m);
            created.push_back(e);
        });
    });
    BOOST_TEST(post(s, "/webhooks/foxtrot", foxtrot_request(route_created("evt-1"))).status == 202u);
    BOOST_TEST(post(s, "/webhooks/foxtrot", foxtrot_request(route_created("evt-2"), "X-Foxtrot-Token", token, true))
                   .status == 202u); // gzip too
    // Catena's path is served as before, beside it.
    cs::client c(s.ep(), no_retry());
    BOOST_TEST(c.send(make_message(), secret).status == 202u);
    BOOST_REQUIRE(s.wait_events(3));
    std::lock_guard lock(m);
    BOOST_REQUIRE_EQUAL(created.size(), 2u);
    auto const& e = created.front();
    BOOST_TEST(e.provider == "foxtrot");
    BOOST_TEST(e.event_name == "ROUTE_CREATED");
    BOOST_TEST(e.event_id == "evt-1");
    BOOST_TEST(e.webhook_id == "/webhooks/foxtrot");
    BOOST_TEST(e.fleet_key.empty());
    BOOST_TEST(e.idempotency_key == "foxtrot//webhooks/foxtrot/evt-1");
    BOOST_TEST(e.record.at("dc_id").as_string() == "dc-7");
    BOOST_TEST(e.record.at("data").as_object().at("stops").as_int64() == 12);
    BOOST_TEST(e.occurred_at.has_value()); // from created_at
    BOOST_TEST(created.back().event_id == "evt-2");
}

BOOST_AUTO_TEST_CASE(a_wrong_or_missing_token_is_refused_with_the_uniform_401_and_keeps_nothing)
{
    server s(with_route(foxtrot_route()));
    auto const wrong = post(s, "/webhooks/foxtrot", foxtrot_request(route_created("evt-1"), "X-Foxtrot-Token",
                                                                     "foxtrot-route-token-0123456780"));
    BOOST_TEST(wrong.status == 401u);
    BOOST_TEST(wrong.body == "{\"status\":401,\"reason\":\"unauthenticated\"}\n");
    auto const missing = post(s, "/webhooks/foxtrot", foxtrot_request(route_created("evt-2"), "", ""));
    BOOST_TEST(missing.status == 401u);
    BOOST_TEST(s.reported("route_token_mismatch"));
    // What came through afterwards is the only event.
    BOOST_TEST(post(s, "/webhooks/foxtrot", foxtrot_request(route_created("evt-3"))).status == 202u);
    BOOST_REQUIRE(s.wait_events(1));
    s.shutdown();
    BOOST_TEST(s.event_count() == 1u);
    BOOST_TEST(s.event_at(0).event_id == "evt-3");
}

BOOST_AUTO_TEST_CASE(a_token_in_the_path_is_the_last_segment_and_nothing_else_is_served)
{
    server s(with_route(foxtrot_route("")));
    auto const request = foxtrot_request(route_created("evt-1"), "", "");
    BOOST_TEST(post(s, "/webhooks/foxtrot/" + std::string(token), request).status == 202u);
    BOOST_TEST(post(s, "/webhooks/foxtrot/not-the-token-0123456789", request).status == 401u);
    BOOST_TEST(post(s, "/webhooks/foxtrot", request).status == 401u);
    BOOST_TEST(post(s, "/webhooks/foxtrot/" + std::string(token) + "/more", request).status == 404u);
    BOOST_TEST(post(s, "/webhooks/foxtrotx", request).status == 404u);
    BOOST_REQUIRE(s.wait_events(1));
    s.shutdown();
    BOOST_TEST(s.event_count() == 1u);
}

BOOST_AUTO_TEST_CASE(an_allowlist_admits_only_its_addresses)
{
    auto outside = foxtrot_route();
    outside.token.clear();
    outside.allow = {"10.0.0.0/8", "2001:db8::/32"};
    server away(with_route(outside));
    BOOST_TEST(post(away, "/webhooks/foxtrot", foxtrot_request(route_created("evt-1"), "", "")).status == 401u);
    BOOST_TEST(away.reported("address_not_allowed"));

    auto inside = outside;
    inside.allow = {"127.0.0.0/8"};
    server here(with_route(inside));
    BOOST_TEST(post(here, "/webhooks/foxtrot", foxtrot_request(route_created("evt-1"), "", "")).status == 202u);
    BOOST_REQUIRE(here.wait_events(1));
    away.shutdown();
    BOOST_TEST(away.event_count() == 0u);
}

BOOST_AUTO_TEST_CASE(an_event_id_sent_again_is_one_event)
{
    server s(with_route(foxtrot_route()));
    for(int i = 0; i < 3; ++i)
    {
        auto m = route_created("evt-1");
        m.data["attempt"] = i; // a resend need not be byte for byte the same
        BOOST_TEST(post(s, "/webhooks/foxtrot", foxtrot_request(m)).status == 202u);
    }
    BOOST_TEST(post(s, "/webhooks/foxtrot", foxtrot_request(route_created("evt-2"))).status == 202u);
    BOOST_REQUIRE(s.wait_events(2));
    s.shutdown(); // drains: whatever was kept is processed
    BOOST_TEST(s.event_count() == 2u);
    BOOST_TEST(s.rx.stats().duplicate_events >= 2u);
}

// With the id in another field than "id", intake does not read it: processing's identity
// memory is what drops the copies.
BOOST_AUTO_TEST_CASE(an_id_in_a_configured_field_is_deduplicated_by_processing)
{
    auto r = foxtrot_route();
    r.id_field = "event_uuid";
    r.event_field = "type";
    server s(with_route(r));
    auto request = [](std::string const& id, int n) {
        auto wr = foxtrot_request(route_created("ignored"));
        wr.body = boost::json::serialize(boost::json::object{{"event_uuid", id}, {"type", "ROUTE_STARTED"}, {"n", n}});
        return wr;
    };
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(post(s, "/webhooks/foxtrot", request("u-1", i)).status == 202u);
    BOOST_TEST(post(s, "/webhooks/foxtrot", request("u-2", 0)).status == 202u);
    BOOST_REQUIRE(s.wait_events(2));
    s.shutdown();
    BOOST_TEST(s.event_count() == 2u);
    BOOST_TEST(s.event_at(0).event_id == "u-1");
    BOOST_TEST(s.event_at(0).event_name == "ROUTE_STARTED");
    BOOST_TEST(s.rx.stats().duplicate_events == 2u);
}

BOOST_AUTO_TEST_CASE(a_body_without_its_event_field_or_not_json_is_a_dead_letter_naming_the_route)
{
    auto r = foxtrot_route();
    r.event_field = "type";
    server s(with_route(r));
    // The simulator writes "event": this route reads "type".
    BOOST_TEST(post(s, "/webhooks/foxtrot", foxtrot_request(route_created("evt-1"))).status == 202u);
    auto garbage = foxtrot_request(route_created("evt-2"));
    garbage.body = "{not json";
    BOOST_TEST(post(s, "/webhooks/foxtrot", garbage).status == 202u);
    BOOST_REQUIRE(s.wait_dead(2));
    std::lock_guard lock(s.m);
    BOOST_TEST(s.dead[0].reason == "event_field_missing");
    BOOST_TEST(s.dead[0].route == "/webhooks/foxtrot");
    BOOST_TEST(s.dead[0].body.find("evt-1") != std::string::npos);
    BOOST_TEST(s.dead[1].reason == "json_syntax");
}

BOOST_AUTO_TEST_CASE(a_catena_route_is_a_second_path_for_signed_deliveries)
{
    cw::route_options r;
    r.path = "/hooks/catena-2";
    r.provider = "catena";
    server s(with_route(r));
    auto const signed_request = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "req-1");
    BOOST_TEST(post(s, "/hooks/catena-2", signed_request).status == 202u);
    auto forged = cs::build_request(make_message("invitation.sent", "inv-2"), "not-the-secret", 1, cw::system_now(),
                                    true, "req-2");
    BOOST_TEST(post(s, "/hooks/catena-2", forged).status == 401u);
    BOOST_REQUIRE(s.wait_events(1));
    s.shutdown();
    BOOST_TEST(s.event_count() == 1u);
    BOOST_TEST(s.event_at(0).provider == "catena");
    BOOST_TEST(s.event_at(0).fleet_key == "ref:FLEET-42"); // the lifecycle as on the main path
}

BOOST_AUTO_TEST_CASE(a_route_with_neither_token_nor_allowlist_does_not_start)
{
    auto r = foxtrot_route();
    r.token.clear();
    net::io_context ioc;
    cw::receiver rx(ioc.get_executor(), with_route(r));
    BOOST_TEST((rx.start() == cw::error::invalid_options));
    BOOST_TEST(rx.start_detail().find("token or an address allowlist") != std::string::npos);
}

#ifdef CATENA_WEBHOOKD_PATH
// What a 202 promised survives kill -9: the daemon holds every event (a reorder window of a
// minute) when it is killed, so each must come back from the inbox at the next start.
BOOST_AUTO_TEST_CASE(the_daemon_keeps_route_deliveries_across_kill_9_and_still_knows_their_ids)
{
    namespace tst = catena::webhooks::test;
    auto const dir = tst::make_temp_dir("routes");
    auto const daemon = [&](std::string const& events, std::string const& window) {
        return std::vector<std::string>{CATENA_WEBHOOKD_PATH, "--listen", "127.0.0.1:0", "--data-dir", dir + "/data",
                                        "--events", events, "--reorder-window", window,
                                        "--route", "/hooks/foxtrot=foxtrot,token-env=FOXTROT_TOKEN,allow=127.0.0.1/32"};
    };
    std::map<std::string, std::string> const env{{"FOXTROT_TOKEN", std::string(token)}};
    auto const send = [](unsigned short port, std::string const& id) {
        cs::endpoint ep;
        ep.port = port;
        cs::client c(ep, no_retry());
        return c.send_raw("POST", "/hooks/foxtrot/" + std::string(token), foxtrot_request(route_created(id), "", ""))
            .status;
    };
    std::set<std::string> acked;
    {
        tst::child_process p(daemon(dir + "/events-1.jsonl", "60000"), env, dir);
        BOOST_REQUIRE_MESSAGE(p.wait_stderr("listening on"), p.stderr_text());
        for(int i = 0; i < 40; ++i)
            if(send(p.listening_port(), "evt-" + std::to_string(i)) == 202u)
                acked.insert("evt-" + std::to_string(i));
        BOOST_REQUIRE_EQUAL(acked.size(), 40u);
        p.signal(SIGKILL);
        BOOST_TEST(p.wait().value_or(0) == -SIGKILL);
    }
    {
        tst::child_process p(daemon(dir + "/events-2.jsonl", "100"), env, dir);
        BOOST_REQUIRE_MESSAGE(p.wait_stderr("listening on"), p.stderr_text());
        BOOST_TEST(send(p.listening_port(), "evt-0") == 202u); // a resend: the same event
        p.signal(SIGTERM);
        BOOST_REQUIRE(p.wait(20s).value_or(-1) == 0);
    }
    std::multiset<std::string> first, second;
    for(auto [file, into] : {std::pair{"/events-1.jsonl", &first}, std::pair{"/events-2.jsonl", &second}})
    {
        std::ifstream in(dir + file);
        for(std::string line; std::getline(in, line);)
            if(auto const v = boost::json::parse(line); v.as_object().at("kind") == "event")
            {
                BOOST_TEST(v.as_object().at("provider") == "foxtrot");
                into->insert(std::string(v.as_object().at("event_id").as_string()));
            }
    }
    BOOST_TEST(first.empty()); // all held when killed
    for(auto const& id : acked)
        BOOST_TEST(second.count(id) == 1u, id << " was acknowledged and is processed once");
    BOOST_TEST(second.size() == acked.size());
}
#endif

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_routes
