// SPDX-License-Identifier: BSL-1.0
// test/integration/foxtrot_commands.cpp - `catena-webhookd subscriptions --provider foxtrot ...` against a fake of
// Foxtrot's API: every command, tables and JSON, exit codes, apply with its replace steps.
#include "fake_foxtrot_api.hpp"
#include "process.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

namespace integration_foxtrot_commands { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
namespace json = boost::json;
using fake = tst::fake_foxtrot_api;

struct fixture
{
    std::string dir = tst::make_temp_dir("foxtrot-cli");
    fake api{dir};
    std::vector<std::string> outputs;

    struct ran
    {
        int status;
        std::string out, err;
    };

    ran cli(std::vector<std::string> words, bool key = true)
    {
        std::vector<std::string> argv{CATENA_WEBHOOKD_PATH, "subscriptions", "--provider", "foxtrot"};
        argv.insert(argv.end(), words.begin(), words.end());
        for(auto const& x : {std::string("--api-url"), api.api_url(), std::string("--ca-file"), api.ca_file()})
            argv.push_back(x);
        std::map<std::string, std::string> env;
        if(key)
            env = {{"FOXTROT_API_KEY", fake::api_key}};
        tst::child_process p(argv, env, dir);
        auto const rc = p.wait(std::chrono::seconds(60)).value_or(-1);
        ran r{rc, p.stdout_text(), p.stderr_text()};
        outputs.push_back(r.out + r.err);
        return r;
    }

    void write(std::string const& name, std::string const& text) const { std::ofstream(dir + "/" + name) << text; }

    ~fixture()
    {
        for(auto const& o : outputs)
            BOOST_TEST(o.find(fake::api_key) == std::string::npos, "the key is never printed: " << o);
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(foxtrot_commands, fixture)

BOOST_AUTO_TEST_CASE(create_list_enable_disable_and_delete_with_tables_and_json)
{
    auto made = cli({"create", "--url", "https://rx.example/webhooks/foxtrot/tok", "--event", "ROUTE_CREATED", "--event",
                     "ROUTE_STARTED", "--dc-id", "dc-9", "--json"});
    BOOST_REQUIRE_MESSAGE(made.status == 0, made.err);
    auto const w = json::parse(made.out).as_array().at(0).as_object();
    auto const id = std::string(w.at("id").as_string());
    BOOST_TEST(w.at("events").as_array().size() == 2u);
    BOOST_TEST(api.stored(id).as_object().at("dc_ids").as_array().at(0) == "dc-9");

    auto list = cli({"list"});
    BOOST_TEST(list.status == 0);
    BOOST_TEST(list.out.find("ID") == 0u);
    BOOST_TEST(list.out.find("ROUTE_CREATED,ROUTE_STARTED") != std::string::npos);
    BOOST_TEST(list.out.find("yes") != std::string::npos);

    BOOST_TEST(cli({"disable", id}).status == 0);
    BOOST_TEST(!api.stored(id).as_object().at("enabled").as_bool());
    BOOST_TEST(cli({"enable", id}).status == 0);
    BOOST_TEST(api.stored(id).as_object().at("enabled").as_bool());
    auto del = cli({"delete", id});
    BOOST_TEST(del.status == 0);
    BOOST_TEST(del.out == "deleted " + id + "\n");
    BOOST_TEST(api.count() == 0u);
}

BOOST_AUTO_TEST_CASE(api_errors_exit_1_in_one_line_and_usage_errors_exit_2)
{
    auto missing = cli({"delete", "wh-404"});
    BOOST_TEST(missing.status == 1);
    BOOST_TEST(missing.err.find("Webhook not found") != std::string::npos);
    BOOST_TEST(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
    auto bad = cli({"create", "--url", "nope", "--event", "ROUTE_CREATED"});
    BOOST_TEST(bad.status == 1);
    BOOST_TEST(bad.err.find("INVALID_URL") != std::string::npos);
    auto no_key = cli({"list"}, false);
    BOOST_TEST(no_key.status == 2);
    BOOST_TEST(no_key.err.find("FOXTROT_API_KEY") != std::string::npos);
    BOOST_TEST(cli({"replay", "wh-1"}).status == 2); // not Foxtrot's
    BOOST_TEST(cli({"create", "--url", "https://x.example/h"}).status == 2);
    BOOST_TEST(api.requests() == 2u); // usage errors call nothing
}

BOOST_AUTO_TEST_CASE(apply_plans_creates_toggles_replaces_and_prunes_and_a_second_run_plans_nothing)
{
    auto const url = std::string("https://rx.example/webhooks/foxtrot/tok");
    auto const same = api.add(url, {"ROUTE_CREATED"}, {"dc-1"}, false);                  // only enabled differs
    auto const changed = api.add(url, {"ROUTE_STARTED"}, {"dc-1"}, true);                 // events differ: replace
    auto const extra = api.add(url, {"ROUTE_ETAS_CHANGED", "ROUTE_STARTED"}, {}, true);  // not wanted: prune
    auto const elsewhere = api.add("https://other.example/h", {"ROUTE_CREATED"}, {}, true); // not this file's URL
    write("wanted.json", R"({"subscriptions": [
        {"url": ")" + url + R"(", "events": ["ROUTE_CREATED"], "dc_ids": ["dc-1"]},
        {"url": ")" + url + R"(", "events": ["ROUTE_STARTED", "WAYPOINT_STATUS_CHANGED"], "dc_ids": ["dc-1"]},
        {"url": "https://rx2.example/webhooks/foxtrot/tok", "events": ["ROUTE_CREATED"], "enabled": false}
    ]})");
    auto const before = api.requests();
    auto planned = cli({"apply", dir + "/wanted.json"});
    BOOST_REQUIRE_MESSAGE(planned.status == 0, planned.err);
    BOOST_TEST(planned.out.find("~ enable  " + same) != std::string::npos);
    BOOST_TEST(planned.out.find("± replace " + changed) != std::string::npos);
    BOOST_TEST(planned.out.find("delete, then create") != std::string::npos);
    BOOST_TEST(planned.out.find("+ create  ROUTE_CREATED -> https://rx2.example") != std::string::npos);
    BOOST_TEST(planned.out.find("? keep    " + extra) != std::string::npos);
    BOOST_TEST(planned.out.find(elsewhere) == std::string::npos);
    // The delete without --prune is shown but not counted.
    BOOST_TEST(planned.out.find("\n3 changes, 0 unchanged; run again with --yes to apply\n") != std::string::npos,
               planned.out);
    BOOST_TEST(api.requests() == before + 1); // the plan only lists

    auto applied = cli({"apply", dir + "/wanted.json", "--yes", "--prune", "--json"});
    BOOST_REQUIRE_MESSAGE(applied.status == 0, applied.err);
    auto const result = json::parse(applied.out).as_object();
    BOOST_TEST(result.at("changes") == 4);
    BOOST_TEST(result.at("applied").as_bool());
    BOOST_TEST(api.stored(same).as_object().at("enabled").as_bool());
    BOOST_TEST(api.stored(changed).is_null());
    BOOST_TEST(api.stored(extra).is_null());
    BOOST_TEST(!api.stored(elsewhere).is_null());
    BOOST_TEST(api.count() == 4u); // same, the replacement, the new one, elsewhere

    auto again = cli({"apply", dir + "/wanted.json", "--prune"});
    BOOST_TEST(again.status == 0);
    BOOST_TEST(again.out.find("nothing to do: 3 webhooks match") != std::string::npos, again.out);

    write("bad.json", R"({"subscriptions": [{"url": "https://x.example/h"}]})");
    auto bad = cli({"apply", dir + "/bad.json"});
    BOOST_TEST(bad.status == 2);
    BOOST_TEST(bad.err.find("needs events") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_foxtrot_commands
