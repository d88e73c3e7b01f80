// SPDX-License-Identifier: BSL-1.0
// test/integration/webhookd.cpp - the catena-webhookd binary as an operator runs it.
#include "daemon_probe.hpp"
#include "daemon_run.hpp"
#include "process.hpp"
#include "receiver_server.hpp"
#include "scenario.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

namespace integration_webhookd { // this file's own: the test binaries compile a few files as one (unity build)

#ifndef CATENA_WEBHOOKD_PATH
#error "CATENA_WEBHOOKD_PATH must name the catena-webhookd binary"
#endif

namespace {

namespace cs = catena::webhooks::sim;
namespace cw = catena::webhooks;
namespace tst = catena::webhooks::test;
using tst::probe::read_events;
namespace json = boost::json;
using namespace std::chrono_literals;

using namespace tst::daemon_run;

BOOST_AUTO_TEST_SUITE(webhookd)

BOOST_AUTO_TEST_CASE(prints_help_and_rejects_bad_flags_with_exit_2)
{
    auto dir = tst::make_temp_dir("webhookd");
    {
        tst::child_process p({daemon_path, "--help"}, {}, dir);
        BOOST_TEST(p.wait().value_or(-1) == 0);
        for(char const* flag : {"--listen", "--path", "--secret-env", "--secrets-file", "--data-dir", "--events",
                                "--reorder-window", "--tls-cert", "--tls-key", "--unverified-status", "--max-body",
                                "--threads", "--admin-listen", "--tls-min-version", "--strict-secrets", "--body-budget",
                                "--max-connections", "--max-connections-per-peer", "--max-auth-failures",
                                "--shutdown-timeout", "--max-store-pages", "--log-format", "--log-level", "--config",
                                "--version"})
            BOOST_TEST(p.stdout_text().find(flag) != std::string::npos, flag);
    }
    struct
    {
        std::vector<std::string> argv;
        char const* says;
    } cases[] = {
        {{daemon_path, "--bogus"}, "unknown option --bogus"},
        {{daemon_path, "--listen", "nowhere"}, "ADDR:PORT"},
        {{daemon_path, "--listen", "127.0.0.1:99999"}, "too large"},
        {{daemon_path, "--unverified-status", "402"}, "401 or 503"},
        {{daemon_path, "--threads", "0"}, "--threads"},
        {{daemon_path, "--secrets-file", "/nonexistent/secrets"}, "cannot read secrets file"},
        {{daemon_path, "--tls-cert", "x.pem"}, "go together"},
        {{daemon_path, "--secret", "abc"}, "never taken on the command line"},
        {{daemon_path, "--admin-listen", "nowhere"}, "--admin-listen wants ADDR:PORT"},
        {{daemon_path, "--tls-min-version", "1.1"}, "1.2 or 1.3"},
        {{daemon_path, "--log-format", "logfmt"}, "--log-format must be text or json, not logfmt"},
        {{daemon_path, "--log-level", "verbose"}, "--log-level must be debug, info, warn or error, not verbose"},
        {{daemon_path, "subscriptoins"}, "unknown command subscriptoins (subscriptions, dead-letters; see --help)"},
    };
    for(auto const& c : cases)
    {
        BOOST_TEST_CONTEXT(c.argv.back())
        {
            tst::child_process p(c.argv, {}, dir);
            BOOST_TEST(p.wait().value_or(-1) == 2);
            auto err = p.stderr_text();
            BOOST_TEST(err.find(c.says) != std::string::npos, err);
            BOOST_TEST(std::count(err.begin(), err.end(), '\n') == 1);
        }
    }
}

// --unverified-status 503: a delivery that fails authentication is answered 503 with
// Retry-After, so that Catena retries it and keeps it for replay instead of dropping it.
BOOST_AUTO_TEST_CASE(unverified_status_503_answers_authentication_failures_with_503_and_retry_after)
{
    namespace lb = tst::loopback;
    auto dir = tst::make_temp_dir("webhookd");
    tst::child_process p(args(dir, {"--unverified-status", "503"}), {{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}}, dir);
    BOOST_REQUIRE_MESSAGE(p.wait_stderr("listening on 127.0.0.1:"), p.stderr_text());
    auto const forged = cs::build_request(message("wh-a", "vehicle.added", "v1"), "wrong-secret-123", 1,
                                          cw::system_now(), true, "forged-1");
    auto const a = lb::parse_answer(lb::raw_exchange(p.listening_port(), lb::render_request(forged), 30s));
    BOOST_TEST(a.status == 503u);
    BOOST_TEST(!a.header("retry-after").empty());
    BOOST_TEST(json::parse(a.body) == json::parse(R"({"status":503,"reason":"unauthenticated"})"));
    cs::endpoint ep;
    ep.port = p.listening_port();
    cs::client c(ep, no_retry());
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "v2"), "daemon-secret-123").status == 202u);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait(60s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(writes_events_as_json_lines_and_drains_on_sigterm)
{
    auto dir = tst::make_temp_dir("webhookd");
    tst::child_process p(args(dir), {{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}}, dir);
    BOOST_REQUIRE(p.wait_stderr("listening on 127.0.0.1:"));
    cs::endpoint ep;
    ep.port = p.listening_port();
    cs::client c(ep, no_retry());
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "v1"), "daemon-secret-123").status == 202u);
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "v2"), "wrong-secret-123").status == 401u);
    // Quotes, backslashes, control characters and UTF-8 come back as they were sent.
    std::string const awkward = "v3 \"quoted\" back\\slash \n\t\x01\x1f caf\xc3\xa9 end";
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", awkward), "daemon-secret-123").status == 202u);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
    auto ev = read_events(dir + "/events.jsonl");
    BOOST_REQUIRE(ev.size() == 2u);
    if(ev[0].at("record_id").as_string() != "v1")
        std::swap(ev[0], ev[1]);
    BOOST_TEST(ev[1].at("record_id").as_string() == awkward);
    BOOST_TEST(ev[0].at("kind").as_string() == "event");
    BOOST_TEST(ev[0].at("event_name").as_string() == "vehicle.added");
    BOOST_TEST(ev[0].at("record_id").as_string() == "v1");
    BOOST_TEST(ev[0].at("fleet_id").as_string() == "f-1");
    BOOST_TEST(ev[0].at("fleet_ref").as_string() == "FLEET-1");
    BOOST_TEST(ev[0].at("connection_id").is_null());
    BOOST_TEST(ev[0].at("occurred_at").as_string() == "2025-12-11T14:21:30Z");
    BOOST_TEST(ev[0].at("late").as_bool() == false);
    BOOST_TEST(!ev[0].at("idempotency_key").as_string().empty());
    for(char const* key : {"event_id", "webhook_id"})
        BOOST_TEST(ev[0].contains(key));
    BOOST_TEST(p.stderr_text().find("signature_mismatch") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reloads_secrets_file_on_sighup)
{
    auto dir = tst::make_temp_dir("webhookd");
    auto const secrets = dir + "/secrets";
    std::ofstream(secrets) << "wh-a old-secret-value\n";
    tst::child_process p(args(dir, {"--secrets-file", secrets}), {}, dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    cs::endpoint ep;
    ep.port = p.listening_port();
    cs::client c(ep, no_retry());
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "r1"), "old-secret-value").status == 202u);
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "r2"), "new-secret-value").status == 401u);

    // Rotation: the new secret first, the old one still accepted.
    std::ofstream(secrets) << "wh-a new-secret-value\nwh-a old-secret-value\n";
    p.signal(SIGHUP);
    BOOST_REQUIRE(p.wait_stderr("secrets reloaded"));
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "r3"), "new-secret-value").status == 202u);
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "r4"), "old-secret-value").status == 202u);

    // A broken file is refused and the previous secrets stay.
    std::ofstream(secrets) << "wh-a\n";
    p.signal(SIGHUP);
    BOOST_REQUIRE(p.wait_stderr("secrets not reloaded"));
    BOOST_TEST(p.stderr_text().find("new-secret-value") == std::string::npos);
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "r5"), "new-secret-value").status == 202u);

    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
    BOOST_TEST(read_events(dir + "/events.jsonl").size() == 4u);
}

BOOST_AUTO_TEST_CASE(refuses_a_data_dir_in_use)
{
    auto dir = tst::make_temp_dir("webhookd");
    tst::child_process first(args(dir), {}, dir);
    BOOST_REQUIRE(first.wait_stderr("listening on"));
    tst::child_process second(args(dir), {}, dir);
    BOOST_TEST(second.wait().value_or(-1) == 2);
    BOOST_TEST(second.stderr_text().find("in use by another catena-webhookd") != std::string::npos);
    first.signal(SIGINT);
    BOOST_TEST(first.wait().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(serves_https_with_tls_flags)
{
    auto dir = tst::make_temp_dir("webhookd");
    auto files = tst::make_self_signed(dir);
    tst::child_process p(args(dir, {"--tls-cert", files.certificate, "--tls-key", files.private_key}),
                         {{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}}, dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    cs::endpoint ep;
    ep.port = p.listening_port();
    ep.tls = true;
    ep.ca_file = files.certificate;
    cs::client c(ep, no_retry());
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "t1"), "daemon-secret-123").status == 202u);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(simulator_scenario_reaches_daemon_complete)
{
    auto dir = tst::make_temp_dir("webhookd");
    tst::child_process p(args(dir), {{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}}, dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    cs::endpoint ep;
    ep.port = p.listening_port();
    cs::scenario_options so;
    so.fleets = 25;
    so.seed = 7;
    auto sc = cs::make_scenario(so);
    cs::client c(ep, no_retry());
    for(auto const& m : sc.messages)
        BOOST_REQUIRE(c.deliver(m.msg, "daemon-secret-123").status() == 202u);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
    auto lines = read_events(dir + "/events.jsonl");
    std::size_t events = 0;
    // The last stage and health transition of each fleet, by fleet_ref.
    std::map<std::string, std::string> stage, health;
    for(auto const& l : lines)
    {
        auto const kind = l.at("kind").as_string();
        if(kind == "event")
            ++events;
        else if(kind == "transition" && l.at("fleet_ref").is_string() &&
                (l.at("dimension") == "stage" || l.at("dimension") == "health")) // not a part's own transition
        {
            auto& m = l.at("dimension").as_string() == "stage" ? stage : health;
            m[std::string(l.at("fleet_ref").as_string())] = std::string(l.at("to").as_string());
        }
    }
    BOOST_TEST(events == sc.unique_records);
    for(auto const& f : sc.fleets)
    {
        BOOST_TEST_CONTEXT(f.fleet_ref)
        {
            BOOST_TEST(stage[f.fleet_ref] == f.stage);
            BOOST_TEST((health.contains(f.fleet_ref) ? health[f.fleet_ref] : std::string("ok")) == f.health);
        }
    }
}

// Catena's real world through the daemon with a data directory: 200 fleets of one to three
// TSPs, re-invitations, late steps, 10 % envelopes without id, 20 % retries, lifecycle events
// also through a second subscription, 2 s of reordering, telematics lagging up to two
// minutes; once straight through and once with a kill -9 and a restart midway. Every fleet
// ends with the stage, health, invitations and connection health the simulator's own model
// expects, read from the daemon's JSON lines.
void run_realistic_scenario(bool crash_midway)
{
    auto dir = tst::make_temp_dir("webhookd-real");
    std::map<std::string, std::string> env{{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}};
    cs::scenario_options so;
    so.fleets = 200;
    so.seed = 11;
    so.duplicate_rate = 0.2;
    so.second_subscription_rate = 0.2;
    so.jitter = 2000ms;
    so.null_id_rate = 0.1;
    so.max_tsps = 3;
    so.reinvite_rate = 0.2;
    so.late_invitation_rate = 0.2;
    so.telematics_lag = 120s;
    so.start = cw::system_now() - 1h;
    auto const sc = cs::make_scenario(so);
    auto extra = std::vector<std::string>{"--reorder-window", "2000"};

    auto send = [&](std::size_t from, std::size_t to) {
        auto p = std::make_unique<tst::child_process>(args(dir, extra), env, dir);
        BOOST_REQUIRE(p->wait_stderr("listening on"));
        cs::endpoint ep;
        ep.port = p->listening_port();
        cs::client c(ep, no_retry());
        for(auto i = from; i < to; ++i)
            BOOST_REQUIRE(c.send(sc.messages[i].msg, "daemon-secret-123", sc.messages[i].attempt).status == 202u);
        return p;
    };
    auto const half = sc.messages.size() / 2;
    if(crash_midway)
    {
        auto first = send(0, half);
        first->signal(SIGKILL);
        first->wait();
        auto second = send(half, sc.messages.size());
        second->signal(SIGTERM);
        BOOST_TEST(second->wait().value_or(-1) == 0);
    }
    else
    {
        auto p = send(0, sc.messages.size());
        p->signal(SIGTERM);
        BOOST_TEST(p->wait().value_or(-1) == 0);
    }

    // Each line to its fleet: by fleet id, fleet ref, or (before a link) connection.
    std::map<std::string, std::size_t> by_id, by_ref, by_connection;
    for(std::size_t i = 0; i < sc.fleets.size(); ++i)
    {
        auto const& f = sc.fleets[i];
        if(!f.fleet_id.empty())
            by_id[f.fleet_id] = i;
        by_ref[f.fleet_ref] = i;
        for(auto const& [cid, h] : f.connection_health)
            by_connection["connection:" + cid] = i;
    }
    std::vector<std::string> stage(sc.fleets.size()), health(sc.fleets.size(), "ok");
    std::map<std::string, std::string> invitation_state, connection_health;
    std::size_t events = 0;
    for(auto const& l : read_events(dir + "/events.jsonl"))
    {
        if(l.at("kind") == "event")
        {
            ++events;
            continue;
        }
        if(l.at("kind") != "transition")
            continue;
        auto const dim = std::string(l.at("dimension").as_string());
        auto const to = std::string(l.at("to").as_string());
        if(dim == "invitation")
            invitation_state[std::string(l.at("entity_id").as_string())] = to;
        else if(dim == "connection" && to != "linked")
            connection_health[std::string(l.at("entity_id").as_string())] = to;
        if(dim != "stage" && dim != "health")
            continue;
        std::optional<std::size_t> fleet;
        auto find = [&](auto const& m, json::value const& v) {
            if(v.is_string())
                if(auto it = m.find(std::string(v.as_string())); it != m.end())
                    fleet = it->second;
        };
        find(by_id, l.at("fleet_id"));
        if(!fleet)
            find(by_ref, l.at("fleet_ref"));
        if(!fleet)
            find(by_connection, l.at("fleet_key"));
        BOOST_REQUIRE_MESSAGE(fleet, "a transition of no fleet: " << json::serialize(l));
        (dim == "stage" ? stage : health)[*fleet] = to;
    }
    {
        std::map<std::string, long> expected_by_name, got_by_name;
        for(auto const& m : sc.messages)
            if(!m.duplicate)
                expected_by_name[m.msg.event_name] += static_cast<long>(m.msg.data.size());
        for(auto const& l : read_events(dir + "/events.jsonl"))
            if(l.at("kind") == "event")
                got_by_name[std::string(l.at("event_name").as_string())] += 1;
        for(auto const& [n, c] : expected_by_name)
            if(got_by_name[n] != c)
                BOOST_TEST_MESSAGE(n << ": " << c << " records sent once, " << got_by_name[n] << " events");
    }
    BOOST_TEST(events >= sc.unique_records); // after a kill -9, at least once
    if(!crash_midway)
        BOOST_TEST(events == sc.unique_records);
    for(std::size_t i = 0; i < sc.fleets.size(); ++i)
    {
        auto const& f = sc.fleets[i];
        BOOST_TEST_CONTEXT(f.fleet_ref)
        {
            BOOST_TEST(stage[i] == f.stage);
            BOOST_TEST(health[i] == f.health);
            for(auto const& [id, st] : f.invitations)
                BOOST_TEST(invitation_state[id] == st, id);
            for(auto const& [cid, h] : f.connection_health)
                BOOST_TEST((connection_health.contains(cid) ? connection_health[cid] : std::string("ok")) == h, cid);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_realistic_scenario_ends_in_the_simulators_states)
{
    run_realistic_scenario(false);
}

BOOST_AUTO_TEST_CASE(a_realistic_scenario_ends_in_the_simulators_states_after_a_kill_and_restart_midway)
{
    run_realistic_scenario(true);
}

BOOST_AUTO_TEST_SUITE_END() // webhookd

} // namespace

} // namespace integration_webhookd
