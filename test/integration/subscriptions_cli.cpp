// SPDX-License-Identifier: BSL-1.0
// test/integration/subscriptions_cli.cpp - `catena-webhookd subscriptions ...` against a fake of
// Catena's Notifications API: every command, tables and JSON, exit codes, apply and its plan.
#include "fake_catena_api.hpp"
#include "process.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <fstream>
#include <sstream>

namespace integration_subscriptions_cli { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
namespace json = boost::json;
using fake = tst::fake_catena_api;

constexpr char daemon_path[] = CATENA_WEBHOOKD_PATH;

struct fixture
{
    std::string dir = tst::make_temp_dir("subscriptions-cli");
    fake api{dir};
    std::string secrets = dir + "/secrets";
    std::vector<std::string> outputs; // everything the commands printed, for the leak check

    struct ran
    {
        int status;
        std::string out, err;
    };

    ran cli(std::vector<std::string> words, bool credentials = true)
    {
        std::vector<std::string> argv{daemon_path, "subscriptions"};
        argv.insert(argv.end(), words.begin(), words.end());
        for(auto const& x : {std::string("--api-url"), api.api_url(), std::string("--auth-url"), api.auth_url(),
                             std::string("--ca-file"), api.ca_file()})
            argv.push_back(x);
        std::map<std::string, std::string> env;
        if(credentials)
            env = {{"CATENA_CLIENT_ID", fake::client_id}, {"CATENA_CLIENT_SECRET", fake::client_secret}};
        tst::child_process p(argv, env, dir);
        auto const rc = p.wait(std::chrono::seconds(60)).value_or(-1);
        ran r{rc, p.stdout_text(), p.stderr_text()};
        outputs.push_back(r.out + r.err);
        return r;
    }

    std::string read(std::string const& file) const
    {
        std::ifstream in(file);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    void no_credentials_printed() const
    {
        for(auto const& o : outputs)
        {
            BOOST_TEST(o.find(fake::client_secret) == std::string::npos, o);
            BOOST_TEST(o.find("tok-") == std::string::npos, o);
        }
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(subscriptions_cli, fixture)

BOOST_AUTO_TEST_CASE(every_command_works_with_tables_and_json_and_errors_exit_1_in_one_line)
{
    auto created = cli({"create", "--url", "https://rx.example/webhooks/catena", "--event", "vehicle.added", "--fleet-ref",
                        "FLEET-1", "--secrets-file", secrets, "--json"});
    BOOST_REQUIRE_MESSAGE(created.status == 0, created.err);
    auto const made = json::parse(created.out).as_array();
    BOOST_REQUIRE(made.size() == 1u);
    auto const id = std::string(made[0].at("id").as_string());
    struct stat st{};
    BOOST_REQUIRE(::stat(secrets.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    auto const kept = read(secrets);
    auto const secret = std::string(api.stored(id).at("secret").as_string());
    BOOST_TEST(kept == id + " " + secret + "\n");
    BOOST_TEST(secret.size() == 43u); // 32 random bytes, base64url
    BOOST_TEST(created.out.find(secret) == std::string::npos);
    BOOST_TEST(created.err.find(secret) == std::string::npos);

    auto list = cli({"list"});
    BOOST_TEST(list.status == 0);
    BOOST_TEST(list.out.find("ID") == 0u);
    BOOST_TEST(list.out.find(id + "  vehicle.added  active  https://rx.example/*****  fleet_ref=FLEET-1") !=
                   std::string::npos,
               list.out);
    BOOST_TEST(json::parse(cli({"list", "--status", "active", "--json"}).out).as_array().size() == 1u);
    BOOST_TEST(json::parse(cli({"list", "--status", "stale", "--json"}).out).as_array().empty());

    BOOST_TEST(cli({"pause", id}).out.find("paused") != std::string::npos);
    BOOST_TEST(json::parse(cli({"get", id, "--json"}).out).as_array()[0].at("status").as_string() == "paused");
    BOOST_TEST(cli({"activate", id}).out.find("active") != std::string::npos);
    // The packaged service owns its secrets file; the command runs as root and keeps the owner.
    BOOST_REQUIRE_MESSAGE(::chown(secrets.c_str(), 65534, 65534) == 0, "chown needs root, as CI runs");
    auto update = cli({"update", id, "--fleet-ref", "FLEET-2", "--new-secret", "--secrets-file", secrets});
    BOOST_TEST(update.status == 0, update.err);
    BOOST_REQUIRE(::stat(secrets.c_str(), &st) == 0);
    BOOST_TEST(st.st_uid == 65534u);
    BOOST_TEST(st.st_gid == 65534u);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_TEST(api.stored(id).at("filters").at("fleet_refs").as_array()[0].as_string() == "FLEET-2");
    auto const rotated = std::string(api.stored(id).at("secret").as_string());
    BOOST_TEST(read(secrets) == id + " " + rotated + "\n" + id + " " + secret + "\n"); // new first, old kept

    auto metrics = cli({"metrics", id});
    BOOST_TEST(metrics.status == 0);
    BOOST_TEST(metrics.out.find("24h     120") != std::string::npos, metrics.out);
    BOOST_TEST(json::parse(cli({"metrics", id, "--json"}).out).at("dlq_count").to_number<int>() == 0);
    api.add_logs(id, 3);
    auto logs = cli({"logs", id, "--json"});
    BOOST_TEST(json::parse(logs.out).as_array().size() == 3u);
    BOOST_TEST(cli({"replay", id}).status == 0);
    BOOST_TEST(api.seen().replays[id] == 1u);
    BOOST_TEST(cli({"delete", id}).status == 0);

    auto gone = cli({"get", id});
    BOOST_TEST(gone.status == 1);
    BOOST_TEST(gone.err == "catena-webhookd subscriptions: HTTP 404 not_found: Webhook not found\n");
    auto bad = cli({"create", "--url", "http://plain.example/x", "--event", "vehicle.added"});
    BOOST_TEST(bad.status == 1);
    BOOST_TEST(bad.err.find("HTTP 422 validation_error") != std::string::npos, bad.err);
    BOOST_TEST(std::count(bad.err.begin(), bad.err.end(), '\n') == 1);
    no_credentials_printed();
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_and_an_unreachable_api_exits_1)
{
    for(auto const& words : std::vector<std::vector<std::string>>{{}, {"frobnicate"}, {"get"}, {"create", "--url", "x"},
                                                                   {"list", "--colour"}, {"apply"}})
    {
        auto r = cli(words);
        BOOST_TEST(r.status == 2, r.err);
        BOOST_TEST(r.err.find("catena-webhookd subscriptions:") == 0u, r.err);
    }
    auto no_credentials = cli({"list"}, false);
    BOOST_TEST(no_credentials.status == 2);
    BOOST_TEST(no_credentials.err.find("CATENA_CLIENT_ID") != std::string::npos);
    tst::child_process down({daemon_path, "subscriptions", "list", "--api-url", "https://127.0.0.1:1", "--auth-url",
                             "https://127.0.0.1:1/token"},
                            {{"CATENA_CLIENT_ID", "x"}, {"CATENA_CLIENT_SECRET", "y"}}, dir);
    BOOST_TEST(down.wait(std::chrono::seconds(60)).value_or(-1) == 1);
    BOOST_TEST(down.stderr_text().find("cannot connect to 127.0.0.1:1") != std::string::npos, down.stderr_text());
    BOOST_TEST(cli({"--help"}).out.find("usage: catena-webhookd subscriptions") == 0u);
}

BOOST_AUTO_TEST_CASE(apply_plans_creates_with_yes_then_plans_nothing_and_updates_and_prunes_what_changed)
{
    auto const file = dir + "/wanted.json";
    std::ofstream(file) << R"({"subscriptions": [
        {"url": "https://rx.example/webhooks/catena", "events": ["invitation.*", "vehicle.added"]},
        {"url": "https://rx.example/webhooks/catena", "events": ["trailer.added"], "filters": {"fleet_refs": ["FLEET-1"]}}
    ]})";
    auto dry = cli({"apply", file, "--secrets-file", secrets});
    BOOST_TEST(dry.status == 0, dry.err);
    BOOST_TEST(dry.out.find("+ create invitation.* -> https://rx.example/webhooks/catena") != std::string::npos, dry.out);
    BOOST_TEST(dry.out.find("3 changes, 0 unchanged; run again with --yes to apply") != std::string::npos, dry.out);
    BOOST_TEST(api.subscription_count() == 0u);

    auto applied = cli({"apply", file, "--secrets-file", secrets, "--yes"});
    BOOST_TEST(applied.status == 0, applied.err);
    BOOST_TEST(api.subscription_count() == 9u); // 7 invitation actions, vehicle.added, trailer.added
    std::istringstream lines(read(secrets));
    std::size_t n = 0;
    for(std::string line; std::getline(lines, line); ++n)
    {
        auto const id = line.substr(0, line.find(' '));
        BOOST_TEST(api.stored(id).at("secret").as_string() == line.substr(line.find(' ') + 1));
    }
    BOOST_TEST(n == 9u);

    auto again = cli({"apply", file, "--secrets-file", secrets, "--yes"});
    BOOST_TEST(again.status == 0);
    BOOST_TEST(again.out == "nothing to do: 9 subscriptions match " + file + "\n");
    BOOST_TEST(api.subscription_count() == 9u);

    std::ofstream(file) << R"({"subscriptions": [
        {"url": "https://rx.example/webhooks/catena", "events": ["invitation.*"]},
        {"url": "https://rx.example/webhooks/catena", "events": ["trailer.added"], "filters": {"fleet_refs": ["FLEET-2"]}}
    ]})";
    auto kept = cli({"apply", file, "--yes"});
    BOOST_TEST(kept.status == 0, kept.err);
    BOOST_TEST(kept.out.find("~ update trailer.added") != std::string::npos, kept.out);
    BOOST_TEST(kept.out.find("? keep   vehicle.added") != std::string::npos, kept.out);
    // A delete without --prune is shown but neither counted nor made.
    BOOST_TEST(kept.out.find("\n1 changes, 7 unchanged\napplied 1 changes\n") != std::string::npos, kept.out);
    auto pruned = cli({"apply", file, "--yes", "--prune", "--json"});
    BOOST_TEST(pruned.status == 0, pruned.err);
    auto const plan = json::parse(pruned.out);
    BOOST_TEST(plan.at("changes").to_number<int>() == 1);
    BOOST_TEST(plan.at("applied").as_bool());
    BOOST_TEST(cli({"apply", file, "--prune"}).out == "nothing to do: 8 subscriptions match " + file + "\n");

    std::ofstream(dir + "/broken.json") << R"({"subscriptions": [{"url": "http://x", "events": ["a"]}]})";
    auto broken = cli({"apply", dir + "/broken.json"});
    BOOST_TEST(broken.status == 2);
    BOOST_TEST(broken.err.find("needs an https:// url") != std::string::npos, broken.err);
    no_credentials_printed();
}

BOOST_AUTO_TEST_CASE(the_daemon_with_heal_reactivates_a_stale_subscription_and_writes_the_gap_and_its_steps)
{
    auto made = cli({"create", "--url", "https://rx.example/webhooks/catena", "--event", "vehicle.added",
                     "--secrets-file", secrets, "--json"});
    BOOST_REQUIRE(made.status == 0);
    auto const id = std::string(json::parse(made.out).as_array()[0].at("id").as_string());
    api.set_status(id, "stale");
    auto const events = dir + "/events.jsonl";
    tst::child_process d({daemon_path, "--listen", "127.0.0.1:0", "--memory", "--events", events, "--secrets-file",
                          secrets, "--heal", "--heal-poll", "1", "--api-url", api.api_url(), "--auth-url",
                          api.auth_url(), "--api-ca-file", api.ca_file()},
                         {{"CATENA_CLIENT_ID", fake::client_id}, {"CATENA_CLIENT_SECRET", fake::client_secret}}, dir);
    BOOST_REQUIRE_MESSAGE(d.wait_stderr("delivered nothing from", std::chrono::seconds(20)), d.stderr_text());
    BOOST_REQUIRE(d.wait_stderr("subscription " + id + " replay_requested", std::chrono::seconds(20)));
    d.signal(SIGTERM);
    BOOST_TEST(d.wait().value_or(-1) == 0);
    BOOST_TEST(api.stored(id).at("status").as_string() == "active");
    BOOST_TEST(api.seen().replays[id] == 1u);
    std::vector<std::string> kinds;
    std::istringstream lines(read(events));
    for(std::string line; std::getline(lines, line);)
    {
        auto const o = json::parse(line).as_object();
        kinds.push_back(std::string(o.at("kind").as_string()) + (o.contains("action") ? " " + std::string(o.at("action").as_string()) : ""));
        if(o.at("kind") == "delivery_gap")
        {
            BOOST_TEST(o.at("subscription_id").as_string() == id);
            BOOST_TEST(o.at("cause").as_string() == "poll");
            BOOST_TEST(o.at("events").as_array()[0].as_string() == "vehicle.added");
        }
    }
    std::vector<std::string> const expected{"subscription reactivated", "delivery_gap", "subscription replay_requested"};
    BOOST_TEST(kinds == expected, boost::test_tools::per_element());
    outputs.push_back(d.stderr_text());
    no_credentials_printed();
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_subscriptions_cli
