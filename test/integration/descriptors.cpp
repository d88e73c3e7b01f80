// SPDX-License-Identifier: BSL-1.0
// test/integration/descriptors.cpp - catena-webhookd at its descriptor limit: idle connections make room, accept backs off.
#include "daemon_probe.hpp"
#include "process.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace integration_descriptors { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
using namespace tst::probe; // cs, cw, net, json, tcp and the helpers

// CPU ticks (user + system) a process used so far.
unsigned long cpu_ticks(int pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string field;
    for(int i = 0; i < 13 && stat >> field; ++i)
    {
    }
    unsigned long utime = 0, stime = 0;
    stat >> utime >> stime;
    return utime + stime;
}

// The test process holds many sockets of its own.
void raise_own_descriptor_limit(std::size_t need)
{
    rlimit rl{};
    BOOST_REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = rl.rlim_max;
    BOOST_REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    BOOST_REQUIRE_MESSAGE(rl.rlim_cur >= need, "this test needs " << need << " descriptors; the hard limit is "
                                                                  << rl.rlim_max);
}

} // namespace

// Not run in the sanitizer build (.ci/run says why): with no descriptor left, the
// sanitizer runtimes report false errors of their own. The plain run covers it.
BOOST_AUTO_TEST_SUITE(descriptors)

// At systemd's default limit of 1024 descriptors, 1 100 idle sockets used to starve every
// client. The bound now derives from the limit and idle connections make room.
BOOST_AUTO_TEST_CASE(idle_connections_at_the_descriptor_limit_make_room_for_a_good_client)
{
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/prlimit"), "prlimit (util-linux) is needed");
    raise_own_descriptor_limit(1700);
    auto dir = tst::make_temp_dir("exposure");
    auto a = args(dir, {"--memory"});
    a.insert(a.begin(), {"/usr/bin/prlimit", "--nofile=1024:1024"});
    tst::child_process p(a, env(), dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    net::io_context ioc;
    std::vector<tcp::socket> idle;
    for(int i = 0; i < 1500; ++i)
    {
        idle.emplace_back(ioc);
        boost::system::error_code ec;
        idle.back().connect({net::ip::make_address("127.0.0.1"), port}, ec);
        BOOST_REQUIRE_MESSAGE(!ec, "connection " << i << ": " << ec.message());
    }
    cs::client good(at(port), no_retry());
    BOOST_TEST(good.send(message("good-2"), secret).status == 202u);
    auto const m = metrics(port);
    BOOST_TEST(metric(m, "catena_webhooks_connections_evicted_total") > 0.0);
    BOOST_TEST(metric(m, "catena_webhooks_accept_errors_total") == 0.0);
    BOOST_TEST(metric(m, "catena_webhooks_connections_active") < 1024.0);
    idle.clear();
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

// A bound set above the descriptor limit: accept fails with EMFILE, and the loop backs off
// instead of spinning.
BOOST_AUTO_TEST_CASE(accept_backs_off_when_out_of_descriptors_and_recovers)
{
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/prlimit"), "prlimit (util-linux) is needed");
    auto dir = tst::make_temp_dir("exposure");
    auto a = args(dir, {"--memory", "--max-connections", "100"});
    a.insert(a.begin(), {"/usr/bin/prlimit", "--nofile=40:40"});
    tst::child_process p(a, env(), dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    {
        net::io_context ioc;
        std::vector<tcp::socket> held;
        for(int i = 0; i < 60; ++i)
        {
            held.emplace_back(ioc);
            boost::system::error_code ec;
            held.back().connect({net::ip::make_address("127.0.0.1"), port}, ec);
        }
        BOOST_REQUIRE(p.wait_stderr("accept failed"));
        // Backing off, not spinning: the CPU used across a window while starved.
        auto const before = cpu_ticks(p.pid());
        std::this_thread::sleep_for(1000ms); // the window measured, not a synchronization
        auto const used = cpu_ticks(p.pid()) - before;
        BOOST_TEST_MESSAGE("cpu ticks in 1 s while starved: " << used);
        BOOST_TEST(used < 50u); // a spinning loop uses ~100 (one core)
        BOOST_TEST(p.stderr_text().find("Too many open files") != std::string::npos); // names the errno
    }
    bool served = false;
    for(int i = 0; i < 50 && !served; ++i)
    {
        cs::client c(at(port), no_retry());
        served = c.send(message("e1"), secret).status == 202u;
        if(!served)
            std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST(served);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END() // descriptors

} // namespace integration_descriptors
