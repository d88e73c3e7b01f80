// SPDX-License-Identifier: BSL-1.0
// test/unit/sink_set.cpp - --sink URIs: what is accepted, and a clear answer for what is not.
#include "sinks/sink_set.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>

namespace unit_sink_set { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace webhookd::sinks;

std::string refusal(std::string const& uri)
{
    try
    {
        sink_set s({uri});
    }
    catch(sink_error const& e)
    {
        return e.what();
    }
    return {};
}

BOOST_AUTO_TEST_SUITE(sink_set_)

BOOST_AUTO_TEST_CASE(reads_host_port_path_and_parameters)
{
    auto const u = sink_uri::parse("nats://[::1]:4223/catena.events?stream=CATENA&token-env=T");
    BOOST_TEST(u.scheme == "nats");
    BOOST_TEST(u.host == "::1");
    BOOST_TEST(u.port == "4223");
    BOOST_TEST(u.path == "catena.events");
    BOOST_REQUIRE(u.query.size() == 2u);
    BOOST_TEST(u.query[0].second == "CATENA");
    BOOST_TEST(u.name == "nats://[::1]:4223/catena.events"); // no parameters in metrics
    BOOST_TEST(sink_uri::parse("https://hooks.example.com/in").port == "443");
    BOOST_TEST(sink_uri::parse("redis://r/s").port == "6379");
}

BOOST_AUTO_TEST_CASE(makes_each_kind_of_sink)
{
    ::setenv("CATENA_TEST_SINK_SECRET", "s3cret", 1);
    sink_set s({"redis://127.0.0.1:6379/catena?maxlen=100&password-env=CATENA_TEST_SINK_SECRET",
                "nats://127.0.0.1:4222/a.b?stream=S", "http://127.0.0.1:8081/in?token-env=CATENA_TEST_SINK_SECRET"});
    auto const st = s.status();
    BOOST_REQUIRE(st.size() == 3u);
    BOOST_TEST(st[0].name == "redis://127.0.0.1:6379/catena");
    BOOST_TEST(!st[0].connected); // not started
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_use_saying_why)
{
    BOOST_TEST(refusal("kafka://h/t").find("unknown scheme kafka") != std::string::npos);
    BOOST_TEST(refusal("redis://user:pw@h/s").find("credentials never go in the URI") != std::string::npos);
    BOOST_TEST(refusal("redis://h:0/s").find("a bad port 0") != std::string::npos);
    BOOST_TEST(refusal("redis://h/").find("no stream") != std::string::npos);
    BOOST_TEST(refusal("redis://h/s?maxlen=x").find("maxlen wants a positive number") != std::string::npos);
    BOOST_TEST(refusal("nats://h/a.*").find("without wildcards") != std::string::npos);
    BOOST_TEST(refusal("nats://h/a?stream=x.y").find("a bad stream name") != std::string::npos);
    BOOST_TEST(refusal("http://h/in?ca=/x").find("unknown parameter ca") != std::string::npos); // TLS only
    BOOST_TEST(refusal("https://h/in?ca=/nonexistent.pem").find("cannot load the CA file") != std::string::npos);
    BOOST_TEST(refusal("http://h/in?token-env=CATENA_TEST_UNSET_VARIABLE").find("is not set") != std::string::npos);
    BOOST_TEST(refusal("http://h/%zz").empty()); // the HTTP path is sent as written
    BOOST_TEST(refusal("redis://h/%zz").find("a bad %-escape") != std::string::npos);
    BOOST_TEST(refusal("/var/run/redis.sock").find("not a URI") != std::string::npos);
    BOOST_TEST(refusal("http://h/in?flag").find("without a value") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END() // sink_set_

} // namespace

} // namespace unit_sink_set
