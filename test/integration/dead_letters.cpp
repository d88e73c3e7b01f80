// SPDX-License-Identifier: BSL-1.0
// test/integration/dead_letters.cpp - what could not be delivered is kept in the store: listed,
// shown and replayed by catena-webhookd dead-letters, and still there after a restart.
#include <catena/webhooks/receiver.hpp>

#include "embedded_receiver.hpp"
#include "process.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace integration_dead_letters { // this file's own: the test binaries compile a few files as one (unity build)

#ifndef CATENA_WEBHOOKD_PATH
#error "CATENA_WEBHOOKD_PATH must name the catena-webhookd binary"
#endif

namespace {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace tst = catena::webhooks::test;
namespace json = boost::json;
using namespace std::chrono_literals;
using tst::embedded;
using tst::eventually;

constexpr char daemon_path[] = CATENA_WEBHOOKD_PATH;
constexpr char const* secret = tst::durable_secret;

std::vector<std::string> lines_of(std::string const& text)
{
    std::vector<std::string> v;
    std::istringstream in(text);
    for(std::string l; std::getline(in, l);)
        if(!l.empty())
            v.push_back(l);
    return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dead_letters)

BOOST_AUTO_TEST_CASE(dead_letters_are_kept_listed_shown_and_replayed)
{
    auto const dir = tst::make_temp_dir("deadletters");
    cs::message fails;
    fails.webhook_id = "wh-dl";
    fails.event_name = "vehicle.added";
    fails.event_id = "0193-dl-1";
    fails.data.push_back(json::object{{"id", "v-1"}, {"fleet_id", "f-1"}});
    cs::message undecodable = fails;
    undecodable.event_id = "0193-dl-2";
    undecodable.data = json::array{json::object{{"no_id", true}}};
    {
        // A callback that fails every attempt, and a delivery that cannot be decoded.
        embedded e(
            dir, 0,
            [](cw::receiver_options& o) {
                o.processing.callbacks.max_attempts = 2;
                o.processing.callbacks.initial_backoff = 1ms;
            },
            [](cw::receiver& rx) { rx.on("vehicle.added", [](cw::event const&) { throw std::runtime_error("db down"); }); });
        BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
        cs::client c(e.ep(), {});
        BOOST_TEST(c.send(fails, secret).status == 202u);
        BOOST_TEST(c.send(undecodable, secret).status == 202u);
        BOOST_TEST(eventually([&] { return e.rx.dead_letters().size() >= 2; }));
        BOOST_TEST(e.rx.dead_letters().size() == 2u);
    }

    auto cli = [&](std::vector<std::string> args) {
        std::vector<std::string> argv{daemon_path, "dead-letters"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--data-dir", dir});
        auto p = std::make_unique<tst::child_process>(argv, std::map<std::string, std::string>{}, dir);
        int const code = p->wait().value_or(-1); // before reading what it wrote
        return std::make_pair(code, p->stdout_text() + p->stderr_text());
    };
    auto [rc, out] = cli({"list"});
    BOOST_TEST(rc == 0);
    auto const listed = lines_of(out);
    BOOST_REQUIRE_MESSAGE(listed.size() == 2u, "rc " << rc << ": " << out);
    auto const failed = json::parse(listed[0]).as_object().at("kind") == "callback_failed" ? json::parse(listed[0])
                                                                                           : json::parse(listed[1]);
    BOOST_TEST(failed.at("handler").as_string() == "on(vehicle.added)");
    BOOST_TEST(failed.at("error").as_string() == "db down");
    auto const id = std::to_string(failed.at("id").as_int64());
    std::tie(rc, out) = cli({"show", id});
    BOOST_TEST(rc == 0);
    BOOST_TEST(out.find("\\\"v-1\\\"") != std::string::npos);
    std::tie(rc, out) = cli({"show", "999"});
    BOOST_TEST(rc == 2);
    std::tie(rc, out) = cli({"replay", "--all"});
    BOOST_TEST(rc == 0, out);
    std::tie(rc, out) = cli({"list"});
    BOOST_TEST(lines_of(out).empty());

    // Started again with a working callback: the replayed event is delivered, although its
    // identity was seen; the undecodable delivery is dead-lettered again.
    embedded e(dir);
    BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
    BOOST_TEST(eventually([&] {
        std::lock_guard lock(e.m);
        return !e.events.empty() && e.rx.dead_letters().size() == 1u;
    }));
    std::lock_guard lock(e.m);
    BOOST_REQUIRE(e.events.size() == 1u);
    BOOST_TEST(e.events[0].record_id == "v-1");
    BOOST_TEST(e.rx.dead_letters().size() == 1u);

    // While a receiver runs on the directory, the command says so.
    std::tie(rc, out) = cli({"list"});
    BOOST_TEST(rc == 2);
    BOOST_TEST(out.find("in use by another process") != std::string::npos);
}

// The store is the one record of dead letters: what an earlier run kept is listed at once by
// the next receiver on the directory (it used to keep its own copy, empty after a restart).
BOOST_AUTO_TEST_CASE(dead_letters_kept_by_an_earlier_run_are_listed_after_a_restart)
{
    auto const dir = tst::make_temp_dir("deadletters-restart");
    cs::message undecodable;
    undecodable.webhook_id = "wh-dl";
    undecodable.event_name = "vehicle.added";
    undecodable.event_id = "0193-dl-restart";
    undecodable.data = json::array{json::object{{"no_id", true}}};
    {
        embedded e(dir);
        BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
        cs::client c(e.ep(), {});
        BOOST_TEST(c.send(undecodable, secret).status == 202u);
    } // stop() drains: the dead letter is committed before the receiver is gone
    embedded again(dir);
    BOOST_REQUIRE_MESSAGE(!again.start(), again.rx.start_detail());
    auto const letters = again.rx.dead_letters();
    BOOST_REQUIRE(letters.size() == 1u);
    BOOST_TEST((letters[0].letter.kind == cw::dead_letter_kind::undecodable));
    BOOST_TEST(letters[0].letter.webhook_id == "wh-dl");
}

BOOST_AUTO_TEST_SUITE_END() // dead_letters

} // namespace integration_dead_letters
