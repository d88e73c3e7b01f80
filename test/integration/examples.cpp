// SPDX-License-Identifier: BSL-1.0
// test/integration/examples.cpp - the examples of the README's two ways in, run as their users would run them.
#include <catena/webhooks/gzip.hpp>

#include "process.hpp"
#include "receiver_server.hpp"
#include "sim.hpp"
#include "tls_material.hpp"
#include "vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <iterator>

namespace integration_examples { // this file's own: the test binaries compile a few files as one (unity build)

#ifndef CATENA_WEBHOOKS_EXAMPLE_OWN_BEAST_SERVER
#error "the examples are built with CATENA_WEBHOOKS_BUILD_EXAMPLES=ON (test/CMakeLists.txt)"
#endif

namespace {

using namespace catena::webhooks::test::loopback;

void write_file(std::string const& path, std::string const& bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

// The request's headers as "Name: value" lines, as `curl -D` or a proxy's log has them.
std::string header_lines(cs::wire_request const& wr)
{
    std::string s = "POST /webhooks/catena HTTP/1.1\r\n";
    for(auto const& [n, v] : wr.headers)
        s += n + ": " + v + "\r\n";
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(examples)

BOOST_AUTO_TEST_CASE(own_beast_server_serves_its_route_and_keeps_a_signed_delivery_then_stops_cleanly)
{
    auto const dir = tst::make_temp_dir("own-beast");
    tst::child_process p({CATENA_WEBHOOKS_EXAMPLE_OWN_BEAST_SERVER, "127.0.0.1", "0"},
                         {{"CATENA_WEBHOOK_ID", std::string(webhook_id)}, {"CATENA_WEBHOOK_SECRET", std::string(secret)}},
                         dir);
    BOOST_REQUIRE_MESSAGE(p.wait_stderr("listening on", 60s), p.stderr_text());
    auto const port = p.listening_port();
    cs::endpoint ep;
    ep.port = port;
    {
        cs::client c(ep, no_retry());
        auto const r = c.send(make_message(), secret);
        BOOST_TEST(r.status == 202u);
        BOOST_TEST(c.send(make_message("vehicle.added", "v-1"), "not-the-secret").status == 401u);
    }
    auto const own = parse_answer(raw_exchange(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 30s));
    BOOST_TEST(own.status == 200u);
    BOOST_TEST(own.body == "hello from the partner's own server\n");
    p.signal(SIGTERM);
    auto const code = p.wait(60s);
    BOOST_REQUIRE(code.has_value());
    BOOST_TEST(*code == 0);
    // Stopping processed what was kept: the event reached the handler.
    BOOST_TEST(p.stdout_text().find("event invitation.accepted inv-1\n") != std::string::npos, p.stdout_text());
    BOOST_TEST(p.stdout_text().find("vehicle.added") == std::string::npos); // the forged one: nothing
    BOOST_TEST(p.stderr_text().find("signature_mismatch") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_only_tells_an_authentic_delivery_from_a_forged_one_and_verifies_a_spec_vector)
{
    auto const dir = tst::make_temp_dir("verify-only");
    auto const run = [&](std::string const& headers, std::string const& body, std::string const& secret_value,
                         std::vector<std::string> extra = {}) {
        write_file(dir + "/headers.txt", headers);
        write_file(dir + "/body.bin", body);
        std::vector<std::string> argv{CATENA_WEBHOOKS_EXAMPLE_VERIFY_ONLY, dir + "/headers.txt", dir + "/body.bin"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        tst::child_process p(argv, {{"CATENA_WEBHOOK_SECRET", secret_value}}, dir);
        auto const code = p.wait(60s);
        BOOST_REQUIRE(code.has_value());
        return std::make_pair(*code, p.stdout_text());
    };
    auto const wr = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "verify-1");
    auto [ok, ok_text] = run(header_lines(wr), wr.body, std::string(secret));
    BOOST_TEST(ok == 0);
    BOOST_TEST(ok_text == "authentic: invitation.accepted, 1 records; keep it, then answer 202\n");

    auto [forged, forged_text] = run(header_lines(wr), wr.body, "another-secret-1234");
    BOOST_TEST(forged == 1);
    BOOST_TEST(forged_text == "not authentic (signature_mismatch): answer 401\n");

    auto cut = wr.body.substr(0, wr.body.size() / 2);
    auto [truncated, truncated_text] = run(header_lines(wr), cut, std::string(secret));
    BOOST_TEST(truncated == 1);
    BOOST_TEST(truncated_text == "cannot be verified now (gzip_truncated): answer 503 with Retry-After\n");

    // TV-1 of the spec, at its own instant.
    std::string const tv1 = "X-Catena-Signature: " + std::string(tst::tv1_signature) +
                            "\nX-Catena-Timestamp: " + std::string(tst::tv1_timestamp) +
                            "\nX-Webhook-ID: " + std::string(tst::webhook_id) + "\n";
    auto [vector, vector_text] = run(tv1, std::string(tst::tv1_body), std::string(tst::tv1_secret),
                                     {"2024-11-28T10:30:00Z"});
    BOOST_TEST(vector == 0);
    BOOST_TEST(vector_text == "authentic: invitation.accepted, 1 records; keep it, then answer 202\n");
    // The clock decides without NOW: the vector is two years old.
    auto [stale, stale_text] = run(tv1, std::string(tst::tv1_body), std::string(tst::tv1_secret));
    BOOST_TEST(stale == 1);
    BOOST_TEST(stale_text == "not authentic (timestamp_too_old): answer 401\n");
}

// The README's first run, literally: its embedding example (the default listen address, only
// CATENA_WEBHOOK_SECRET set) and the simulator's defaults agree, and every delivery is accepted.
// The example takes 127.0.0.1:8080: nothing else in the suite listens there.
BOOST_AUTO_TEST_CASE(the_readme_example_and_the_simulator_agree_out_of_the_box)
{
    auto const dir = tst::make_temp_dir("embed");
    {
        tst::child_process unset({CATENA_WEBHOOKS_EXAMPLE_EMBED}, {{"CATENA_WEBHOOK_SECRET", ""}}, dir);
        BOOST_TEST((unset.wait(60s) == std::optional<int>(1)));
        BOOST_TEST(unset.stderr_text() == "set CATENA_WEBHOOK_SECRET\n");
    }
    tst::child_process rx({CATENA_WEBHOOKS_EXAMPLE_EMBED}, {{"CATENA_WEBHOOK_SECRET", "try-it"}}, dir);
    BOOST_REQUIRE_MESSAGE(tst::eventually(
                              [&] {
                                  net::io_context ioc;
                                  net::ip::tcp::socket sock(ioc);
                                  boost::system::error_code ec;
                                  sock.connect({net::ip::make_address("127.0.0.1"), 8080}, ec);
                                  return !ec;
                              },
                              60s),
                          "the example never listened on 127.0.0.1:8080: " << rx.stderr_text());
    tst::child_process sim({CATENA_WEBHOOK_SIM_PATH, "scenario", "--fleets", "3"}, {{"CATENA_WEBHOOK_SECRET", "try-it"}},
                           dir);
    auto const sent = sim.wait(300s);
    BOOST_TEST((sent == std::optional<int>(0)), "every delivery answered 202: " << sim.stdout_text() << sim.stderr_text());
    // The invitations of three fleets reached the handler; nothing was refused.
    BOOST_TEST(tst::eventually([&] { return rx.stdout_text().find("invitation.accepted ") != std::string::npos; }, 60s),
               rx.stdout_text());
    BOOST_TEST(rx.stdout_text().find("invitation.created ") != std::string::npos, rx.stdout_text());
    BOOST_TEST(rx.stderr_text().empty(), rx.stderr_text());
}

// The README shows examples/embed/main.cpp as it is.
BOOST_AUTO_TEST_CASE(the_readme_shows_the_embedding_example_as_it_is)
{
    auto const read = [](std::string const& path) {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    auto const example = read(std::string(CATENA_WEBHOOKS_SOURCE_DIR) + "/examples/embed/main.cpp");
    auto const readme = read(std::string(CATENA_WEBHOOKS_SOURCE_DIR) + "/README.md");
    auto const code = example.substr(example.find("#include <catena/webhooks.hpp>"));
    BOOST_TEST(readme.find("```cpp\n" + code + "```\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END() // examples

} // namespace integration_examples
