// SPDX-License-Identifier: BSL-1.0
// test/integration/webhookd_cli.cpp - catena-webhookd explains itself: --version, --help and
// its commands, and a log whose every line has its time and level, as text or JSON.
#include "daemon_probe.hpp"
#include "daemon_run.hpp"
#include "support.hpp"
#include "process.hpp"
#include "sim.hpp"
#include "tls_material.hpp" // make_temp_dir

#include <catena/webhooks/version.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace integration_webhookd_cli { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cs = catena::webhooks::sim;
namespace cw = catena::webhooks;
namespace tst = catena::webhooks::test;
using tst::probe::read_events;
namespace json = boost::json;
using namespace std::chrono_literals;

using namespace tst::daemon_run;

std::vector<std::string> lines_of(std::string const& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for(std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

// A port nothing listens on now: bound, read and closed.
unsigned short free_port()
{
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

bool accepts(unsigned short port)
{
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

// One forged delivery (a warning in the log) and one authentic (an event).
void send_forged_and_authentic(unsigned short port)
{
    cs::endpoint ep;
    ep.port = port;
    cs::client c(ep, no_retry());
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "v1"), "wrong-secret-123").status == 401u);
    BOOST_TEST(c.send(message("wh-a", "vehicle.added", "v2"), "daemon-secret-123").status == 202u);
}

std::regex const utc_millis(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

BOOST_AUTO_TEST_SUITE(webhookd_cli)

BOOST_AUTO_TEST_CASE(version_prints_one_line_with_the_version_and_the_commit_and_starts_nothing)
{
    auto dir = tst::make_temp_dir("webhookd");
    std::string const expected = std::string("catena-webhookd ") + CATENA_WEBHOOKS_VERSION_STRING + " (commit " +
                                 cw::build_commit() + ")\n";
    BOOST_TEST(std::regex_match(std::string(cw::build_commit()), std::regex("[0-9a-f]{12}(\\+dirty)?|unknown")),
               cw::build_commit());
    for(auto const& argv : {std::vector<std::string>{daemon_path, "--version"},
                            std::vector<std::string>{daemon_path, "--listen", "127.0.0.1:0", "--version", "--bogus"}})
    {
        tst::child_process p(argv, {}, dir);
        BOOST_TEST(p.wait().value_or(-1) == 0);
        BOOST_TEST(p.stdout_text() == expected);
        BOOST_TEST(p.stderr_text().empty(), p.stderr_text());
    }
    BOOST_TEST(!std::filesystem::exists(dir + "/catena-data"));
}

// --help lists the binary's commands, one line each, and each answers --help with its usage.
BOOST_AUTO_TEST_CASE(help_lists_every_command_and_each_answers_help_with_its_usage)
{
    auto dir = tst::make_temp_dir("webhookd");
    tst::child_process help({daemon_path, "--help"}, {}, dir);
    BOOST_TEST(help.wait().value_or(-1) == 0);
    auto const lines = lines_of(help.stdout_text());
    auto at = std::find(lines.begin(), lines.end(), "Commands:");
    BOOST_REQUIRE(at != lines.end());
    std::vector<std::string> commands;
    for(++at; at != lines.end() && !at->empty(); ++at)
    {
        BOOST_TEST(at->size() <= 100u, *at); // one line each
        std::istringstream words(*at);
        std::string name, first_word;
        words >> name >> first_word;
        BOOST_TEST(!first_word.empty(), *at);
        commands.push_back(name);
    }
    for(char const* expected : {"subscriptions", "dead-letters"})
        BOOST_TEST((std::find(commands.begin(), commands.end(), expected) != commands.end()), expected);
    for(auto const& name : commands)
    {
        BOOST_TEST_CONTEXT(name)
        {
            tst::child_process c({daemon_path, name, "--help"}, {}, dir);
            BOOST_TEST(c.wait().value_or(-1) == 0);
            BOOST_TEST(c.stdout_text().starts_with("usage: catena-webhookd " + name + " "), c.stdout_text());
            BOOST_TEST(c.stderr_text().empty(), c.stderr_text());
        }
    }
}

// Every line the daemon writes to stderr is a log line: a UTC time with milliseconds, a level,
// the message and its fields. events.jsonl stays data: events only.
BOOST_AUTO_TEST_CASE(every_log_line_says_its_time_and_level_and_events_stay_out_of_the_log)
{
    auto dir = tst::make_temp_dir("webhookd");
    tst::child_process p(args(dir), {{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}}, dir);
    BOOST_REQUIRE(p.wait_stderr("listening on 127.0.0.1:"));
    send_forged_and_authentic(p.listening_port());
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
    std::regex const line(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info |warn |error) \S.*$)");
    std::set<std::string> said;
    auto const lines = lines_of(p.stderr_text());
    for(auto const& l : lines)
    {
        BOOST_TEST(std::regex_match(l, line), l);
        if(l.size() > 31)
            said.insert(l.substr(25, 6) + l.substr(31, l.find(' ', 31) - 31)); // level and first word
    }
    for(char const* expected : {"info  listening", "warn  delivery", "info  draining", "info  stopped"})
        BOOST_TEST(said.contains(expected), expected << " in " << p.stderr_text());
    auto const forged = std::find_if(lines.begin(), lines.end(),
                                     [](auto const& l) { return l.find("reason=signature_mismatch") != l.npos; });
    BOOST_REQUIRE(forged != lines.end());
    BOOST_TEST(forged->find(" warn  ") == 24u, *forged);
    BOOST_TEST(forged->find(" status=401") != std::string::npos, *forged);
    auto const ev = read_events(dir + "/events.jsonl");
    BOOST_REQUIRE(ev.size() == 1u);
    BOOST_TEST(ev[0].at("kind").as_string() == "event");
}

// --log-format json (here from the config file): one object a line; --log-level debug shows
// each event too.
BOOST_AUTO_TEST_CASE(log_format_json_writes_one_object_a_line_and_debug_says_more)
{
    auto dir = tst::make_temp_dir("webhookd");
    std::ofstream(dir + "/webhookd.conf") << "log-format = json\n";
    tst::child_process p(args(dir, {"--config", dir + "/webhookd.conf", "--log-level", "debug"}),
                         {{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}}, dir);
    BOOST_REQUIRE(p.wait_stderr("listening on 127.0.0.1:"));
    send_forged_and_authentic(p.listening_port());
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
    std::map<std::string, json::object> by_message;
    for(auto const& l : lines_of(p.stderr_text()))
    {
        json::value v;
        BOOST_REQUIRE_NO_THROW(v = json::parse(l));
        auto const& o = v.as_object();
        BOOST_TEST(std::regex_match(std::string(o.at("time").as_string()), utc_millis), l);
        auto const level = std::string(o.at("level").as_string());
        BOOST_TEST((level == "debug" || level == "info" || level == "warn" || level == "error"), l);
        auto const message = std::string(o.at("message").as_string());
        by_message[message.substr(0, message.find(' '))] = o;
    }
    BOOST_REQUIRE(by_message.contains("listening"));
    BOOST_TEST(by_message["listening"].at("level").as_string() == "info");
    BOOST_REQUIRE(by_message.contains("event"));
    BOOST_TEST(by_message["event"].at("level").as_string() == "debug");
    BOOST_TEST(by_message["event"].at("event_name").as_string() == "vehicle.added");
    BOOST_TEST(by_message["event"].at("record_id").as_string() == "v2");
    BOOST_REQUIRE(by_message.contains("delivery"));
    BOOST_TEST(by_message["delivery"].at("level").as_string() == "warn");
    BOOST_TEST(by_message["delivery"].at("reason").as_string() == "signature_mismatch");
    BOOST_TEST(by_message["delivery"].at("status").as_int64() == 401);
    BOOST_TEST(read_events(dir + "/events.jsonl").size() == 1u);
}

BOOST_AUTO_TEST_CASE(log_level_leaves_out_the_lines_below_it)
{
    auto dir = tst::make_temp_dir("webhookd");
    auto const port = free_port(); // at warn, "listening on" is not said
    tst::child_process p(args(dir, {"--listen", "127.0.0.1:" + std::to_string(port), "--log-level", "warn"}),
                         {{"CATENA_WEBHOOK_SECRET", "daemon-secret-123"}}, dir);
    BOOST_REQUIRE_MESSAGE(tst::eventually([&] { return accepts(port); }, 60s), p.stderr_text());
    send_forged_and_authentic(port);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
    auto const lines = lines_of(p.stderr_text());
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(lines[0].find(" warn  ") == 24u, lines[0]);
    BOOST_TEST(lines[0].find("reason=signature_mismatch") != std::string::npos, lines[0]);
}

BOOST_AUTO_TEST_SUITE_END() // webhookd_cli

} // namespace

} // namespace integration_webhookd_cli
