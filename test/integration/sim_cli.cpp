// SPDX-License-Identifier: BSL-1.0
// test/integration/sim_cli.cpp - catena-webhook-sim as a first-time user runs it: every mode
// answers --help, and a receiver that is not there is said at once, in one line.
#include "process.hpp"
#include "tls_material.hpp"

#include <catena/webhooks/version.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace integration_sim_cli { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr char sim_path[] = CATENA_WEBHOOK_SIM_PATH;

struct ran
{
    std::optional<int> status;
    std::string out, err;
};

ran sim(std::vector<std::string> args)
{
    auto const dir = tst::make_temp_dir("sim-cli");
    args.insert(args.begin(), sim_path);
    tst::child_process p(args, {{"CATENA_WEBHOOK_SECRET", "a-secret-of-16-chars"}}, dir);
    auto const status = p.wait(120s); // a guard against a hang, not a measure
    return {status, p.stdout_text(), p.stderr_text()};
}

// A port nothing listens on: bound, read and closed.
unsigned short closed_port()
{
    net::io_context ioc;
    net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
    auto const port = a.local_endpoint().port();
    a.close();
    return port;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_cli)

// --help lists the modes, one line each; every mode answers --help (wherever it is among its
// options) with its own usage and exit 0.
BOOST_AUTO_TEST_CASE(every_mode_answers_help_with_its_usage_and_exit_0)
{
    auto const help = sim({"--help"});
    BOOST_TEST((help.status == 0), help.err);
    std::istringstream lines(help.out);
    std::vector<std::string> modes;
    bool listing = false;
    for(std::string line; std::getline(lines, line);)
    {
        if(line == "Modes:")
            listing = true;
        else if(listing && line.empty())
            break;
        else if(listing)
        {
            BOOST_TEST(line.size() <= 100u, line); // one line each
            modes.push_back(line.substr(2, line.find(' ', 2) - 2));
        }
    }
    for(char const* expected : {"scenario", "load", "prepare", "send", "histories", "foxtrot"})
        BOOST_TEST((std::find(modes.begin(), modes.end(), expected) != modes.end()), expected);
    for(auto const& mode : modes)
    {
        for(auto const& args : {std::vector<std::string>{mode, "--help"},
                                std::vector<std::string>{mode, "--seed", "3", "-h", "--bogus"}})
        {
            auto const r = sim(args);
            BOOST_TEST((r.status == 0), mode << ": " << r.err);
            BOOST_TEST(r.out.starts_with("usage: catena-webhook-sim " + mode + " [options]\n"), mode << ": " << r.out);
            BOOST_TEST(r.err.empty(), r.err);
        }
    }
    // Each mode's usage names its own options.
    BOOST_TEST(sim({"scenario", "--help"}).out.find("--fleets") != std::string::npos);
    BOOST_TEST(sim({"load", "--help"}).out.find("--rate") != std::string::npos);
    BOOST_TEST(sim({"prepare", "--help"}).out.find("--out FILE") != std::string::npos);
    BOOST_TEST(sim({"send", "--help"}).out.find("--event NAME") != std::string::npos);
    BOOST_TEST(sim({"histories", "--help"}).out.find("--start") != std::string::npos);
    BOOST_TEST(sim({"foxtrot", "--help"}).out.find("--token-header") != std::string::npos);

    auto const none = sim({});
    BOOST_TEST((none.status == 2));
    BOOST_TEST(none.err.find("usage:") != std::string::npos);
    auto const unknown = sim({"scenarios", "--help"});
    BOOST_TEST((unknown.status == 2));
    BOOST_TEST(unknown.err.find("unknown mode 'scenarios'") != std::string::npos, unknown.err);
}

BOOST_AUTO_TEST_CASE(version_prints_one_line_with_the_version_and_the_commit)
{
    std::string const expected = std::string("catena-webhook-sim ") + catena::webhooks::version() + " (commit " +
                                 catena::webhooks::build_commit() + ")\n";
    for(auto const& args : {std::vector<std::string>{"--version"}, std::vector<std::string>{"load", "--version"}})
    {
        auto const r = sim(args);
        BOOST_TEST((r.status == 0), r.err);
        BOOST_TEST(r.out == expected);
        BOOST_TEST(r.err.empty(), r.err);
    }
}

// It used to retry every delivery against the closed port, silently (38 s for one fleet).
BOOST_AUTO_TEST_CASE(a_receiver_that_is_not_there_is_said_in_one_line_before_anything_is_sent)
{
    auto const port = std::to_string(closed_port());
    for(std::vector<std::string> args : {std::vector<std::string>{"scenario", "--fleets", "3"},
                                         std::vector<std::string>{"send", "--event", "vehicle.added"},
                                         std::vector<std::string>{"load", "--count", "10"}})
    {
        args.insert(args.end(), {"--target", "127.0.0.1:" + port});
        auto const r = sim(args);
        BOOST_TEST((r.status == 2), args[0] << ": " << r.err);
        BOOST_TEST(r.err.find("cannot reach the receiver at 127.0.0.1:" + port) != std::string::npos, r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
        BOOST_TEST(r.out.empty(), r.out);
    }
}

BOOST_AUTO_TEST_SUITE_END() // sim_cli

} // namespace integration_sim_cli
