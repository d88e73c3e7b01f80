// SPDX-License-Identifier: BSL-1.0
// test/integration/exposure.cpp - catena-webhookd exposed to the internet: what hostile clients get, over loopback.
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

namespace integration_exposure { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
using namespace tst::probe; // cs, cw, net, json, tcp and the helpers

} // namespace

BOOST_AUTO_TEST_SUITE(exposure)

// 150 connections announcing 4 MiB bodies without any signature header were answered only
// after their whole body was buffered (RSS +600 MiB in 0.7 s). Now they are answered at their
// headers, and a good client is served meanwhile.
BOOST_AUTO_TEST_CASE(unsigned_bodies_are_refused_at_their_headers_and_memory_stays_flat)
{
    auto dir = tst::make_temp_dir("exposure");
    // All from one address here, where the attackers would have many: no per-address budget.
    tst::child_process p(args(dir, {"--memory", "--max-auth-failures", "0"}), env(), dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    cs::client warm(at(port), no_retry());
    BOOST_REQUIRE(warm.send(message("warm-up"), secret).status == 202u);
    long const idle = rss_kib(p.pid());

    net::io_context ioc;
    std::vector<tcp::socket> attackers;
    std::string const chunk(64u << 10, 'x');
    for(int i = 0; i < 150; ++i)
    {
        attackers.emplace_back(ioc);
        attackers.back().connect({net::ip::make_address("127.0.0.1"), port});
        receive_timeout(attackers.back(), 10);
        net::write(attackers.back(), net::buffer(head(nullptr, 4u << 20) + chunk));
    }
    long peak = 0;
    int refused = 0;
    for(auto& s : attackers)
    {
        auto const [status, body] = read_response(s);
        refused += status == 401u && body.find("\"unauthenticated\"") != std::string::npos;
        peak = std::max(peak, rss_kib(p.pid()));
    }
    BOOST_TEST(refused == 150);
    // While all 150 still hold their connections, an honest delivery is served.
    cs::client good(at(port), no_retry());
    auto const r = good.send(message("good-1"), secret);
    BOOST_TEST(r.status == 202u);
    double const ms = std::chrono::duration<double, std::milli>(r.latency).count();
    BOOST_TEST_MESSAGE("good client answered in " << ms << " ms; RSS idle " << idle << " KiB, peak " << peak << " KiB");
    peak = std::max(peak, rss_kib(p.pid()));
    BOOST_TEST(peak - idle < 64 * 1024);
    auto const m = metrics(port);
    BOOST_TEST(m.find("catena_webhooks_rejections_total{reason=\"missing_signature\"} 150") != std::string::npos);
    attackers.clear();
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

// With a default secret every webhook id passes the header checks, so a forger can make the
// receiver read bodies: the budget of body bytes in flight bounds what that costs.
BOOST_AUTO_TEST_CASE(bodies_beyond_the_budget_get_503_instead_of_being_buffered)
{
    auto dir = tst::make_temp_dir("exposure");
    tst::child_process p(args(dir, {"--memory", "--body-budget", std::to_string(32u << 20)}), env(), dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    auto const forged = cs::build_request(message("forged"), "not-the-secret", 1, cw::system_now(), true, "f");
    net::io_context ioc;
    std::vector<tcp::socket> senders;
    for(int i = 0; i < 40; ++i)
    {
        senders.emplace_back(ioc);
        senders.back().connect({net::ip::make_address("127.0.0.1"), port});
        receive_timeout(senders.back(), 10);
        net::write(senders.back(), net::buffer(head(&forged, 4u << 20)));
    }
    // 8 bodies of 4 MiB fit 32 MiB: their senders are waited for; the other 32 are told at once.
    auto const refusals = [&] {
        auto const m = metrics(port);
        std::string const name = "catena_webhooks_rejections_total{reason=\"body_budget_exhausted\"} ";
        auto const at = m.find(name);
        return at == std::string::npos ? 0 : std::stoi(m.substr(at + name.size()));
    };
    for(int i = 0; i < 250 && refusals() < 32; ++i)
        std::this_thread::sleep_for(20ms); // a counter reaching its value
    BOOST_TEST(refusals() == 32);
    BOOST_TEST(metric(metrics(port), "catena_webhooks_body_budget_bytes") == double(32u << 20));
    int answered = 0;
    for(auto& s : senders)
    {
        receive_timeout(s, 0);
        s.non_blocking(true);
        char c;
        boost::system::error_code ec;
        answered += s.read_some(net::buffer(&c, 1), ec) == 1;
    }
    BOOST_TEST(answered == 32); // the rest are still being waited for
    senders.clear(); // the held budget comes back when they go
    for(int i = 0; i < 100 && metric(metrics(port), "catena_webhooks_body_budget_bytes") != 0; ++i)
        std::this_thread::sleep_for(20ms); // a gauge reaching its value
    BOOST_TEST(metric(metrics(port), "catena_webhooks_body_budget_bytes") == 0.0);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

// Over the per-address bound, or at the connection bound with no idle connection to close,
// a newcomer gets a short 503 and is closed.
BOOST_AUTO_TEST_CASE(connections_over_the_bounds_get_503_and_are_closed)
{
    auto dir = tst::make_temp_dir("exposure");
    tst::child_process p(args(dir, {"--memory", "--max-connections", "4", "--max-connections-per-peer", "2"}), env(), dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    net::io_context ioc;
    // Two connections from 127.0.0.1, each in the middle of its headers (not idle).
    std::vector<tcp::socket> busy;
    for(int i = 0; i < 2; ++i)
    {
        busy.emplace_back(ioc);
        busy.back().connect({net::ip::make_address("127.0.0.1"), port});
        net::write(busy.back(), net::buffer(std::string("POST /webhooks/catena HTTP/1.1\r\nHost: r\r\n")));
    }
    tcp::socket third(ioc);
    third.connect({net::ip::make_address("127.0.0.1"), port});
    receive_timeout(third, 10);
    auto const [status, body] = read_response(third);
    BOOST_TEST(status == 503u);
    BOOST_TEST(body.find("peer_connection_limit") != std::string::npos);
    // From another address (127.0.0.2 is loopback too), up to the global bound of 4.
    std::vector<tcp::socket> others;
    for(int i = 0; i < 2; ++i)
    {
        others.emplace_back(ioc);
        others.back().open(tcp::v4());
        others.back().bind({net::ip::make_address("127.0.0.2"), 0});
        others.back().connect({net::ip::make_address("127.0.0.1"), port});
        net::write(others.back(), net::buffer(std::string("POST /webhooks/catena HTTP/1.1\r\nHost: r\r\n")));
    }
    tcp::socket fifth(ioc);
    fifth.open(tcp::v4());
    fifth.bind({net::ip::make_address("127.0.0.3"), 0});
    fifth.connect({net::ip::make_address("127.0.0.1"), port});
    receive_timeout(fifth, 10);
    auto const [status5, body5] = read_response(fifth);
    BOOST_TEST(status5 == 503u);
    BOOST_TEST(body5.find("too_many_connections") != std::string::npos);
    busy.clear();
    others.clear();
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

// A client still writing a 9 MiB body reads the early answer instead of a broken pipe.
BOOST_AUTO_TEST_CASE(an_early_answer_to_a_9_mib_body_is_readable)
{
    auto dir = tst::make_temp_dir("exposure");
    tst::child_process p(args(dir, {"--memory", "--max-body", std::to_string(4u << 20)}), env(), dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    auto const good = cs::build_request(message("nine"), secret, 1, cw::system_now(), true, "nine");
    std::string const body(9u << 20, 'x');
    for(auto const* wr : {static_cast<cs::wire_request const*>(nullptr), &good})
    {
        net::io_context ioc;
        tcp::socket s(ioc);
        s.connect({net::ip::make_address("127.0.0.1"), port});
        receive_timeout(s, 10);
        boost::system::error_code write_ec;
        std::thread writer([&] { net::write(s, net::buffer(head(wr, body.size()) + body), write_ec); });
        auto const [status, text] = read_response(s);
        writer.join();
        BOOST_TEST_CONTEXT((wr ? "signed" : "unsigned"))
        {
            BOOST_TEST(status == (wr ? 503u : 401u));
            BOOST_TEST(text.find(wr ? "body_too_large" : "unauthenticated") != std::string::npos);
            BOOST_TEST(!write_ec); // the whole body was taken (and dropped)
        }
    }
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

// SIGTERM on a full disk used to leave the process alive, retrying forever and holding the
// data directory. Now it ends within --shutdown-timeout with exit 1, and the next start
// processes every acknowledged delivery.
BOOST_AUTO_TEST_CASE(sigterm_on_a_full_disk_ends_within_the_timeout_and_loses_nothing_acknowledged)
{
    auto dir = tst::make_temp_dir("exposure");
    std::vector<std::string> const store{"--data-dir", dir + "/data"};
    std::set<std::string> acked;
    {
        auto a = args(dir, store);
        for(auto const* f : {"--max-store-pages", "64", "--shutdown-timeout", "2000", "--progress-interval", "10"})
            a.push_back(f);
        tst::child_process p(a, env(), dir);
        BOOST_REQUIRE(p.wait_stderr("listening on"));
        cs::client c(at(p.listening_port()), no_retry());
        int refused = 0;
        std::mt19937_64 rng(7);
        for(int i = 0; i < 400 && refused < 5; ++i)
        {
            auto m = message("d-" + std::to_string(i));
            std::string pad; // incompressible: the store fills
            for(int k = 0; k < 40; ++k)
                pad += cs::random_uuid(rng);
            m.data[0].as_object()["pad"] = pad;
            auto const r = c.send(m, secret);
            if(r.status == 202u)
                acked.insert("d-" + std::to_string(i));
            else
                refused += r.status == 503u;
        }
        BOOST_REQUIRE(refused >= 5); // the disk is full
        BOOST_REQUIRE(!acked.empty());
        auto const t0 = std::chrono::steady_clock::now();
        p.signal(SIGTERM);
        auto const code = p.wait(20s);
        BOOST_TEST_MESSAGE("stopped in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                                         << " s");
        BOOST_REQUIRE(code.has_value());
        BOOST_TEST(*code == 1);
        BOOST_TEST(p.stderr_text().find("stopped without a full drain") != std::string::npos);
        BOOST_TEST(p.stderr_text().find("shutdown_timed_out") != std::string::npos);
    }
    // Room again: the next start processes what the first could not record as processed.
    tst::child_process p(args(dir, store), env(), dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    p.signal(SIGTERM);
    BOOST_TEST(p.wait(20s).value_or(-1) == 0);
    std::set<std::string> seen;
    std::ifstream in(dir + "/events.jsonl");
    for(std::string line; std::getline(in, line);)
        if(!line.empty())
            if(auto const o = json::parse(line).as_object(); o.contains("record_id"))
                seen.insert(std::string(o.at("record_id").as_string()));
    for(auto const& id : acked)
        BOOST_TEST(seen.contains(id), id << " was acknowledged and is processed");
}

BOOST_AUTO_TEST_CASE(an_admin_listener_takes_health_and_metrics_off_the_delivery_listener)
{
    auto dir = tst::make_temp_dir("exposure");
    tst::child_process p(args(dir, {"--memory", "--admin-listen", "127.0.0.1:0"}), env(), dir);
    std::string const says = "admin (health, metrics, state API, status page) on 127.0.0.1:";
    BOOST_REQUIRE(p.wait_stderr(says));
    auto const port = p.listening_port();
    auto const err = p.stderr_text();
    auto const admin_port = static_cast<unsigned short>(std::stoul(err.substr(err.find(says) + says.size())));
    BOOST_TEST(metrics(admin_port).find("catena_webhooks_requests_total") != std::string::npos);
    BOOST_TEST(metrics(port).find("not_found") != std::string::npos); // 404 on the public side
    cs::client c(at(port), no_retry());
    BOOST_TEST(c.send(message("via-public"), secret).status == 202u);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(a_secrets_file_others_can_read_is_warned_about_or_refused_and_memory_mode_makes_no_directory)
{
    auto dir = tst::make_temp_dir("exposure");
    auto const file = dir + "/secrets";
    std::ofstream(file) << "wh-a " << secret << "\n";
    ::chmod(file.c_str(), 0644);
    tst::child_process lax(args(dir, {"--memory", "--secrets-file", file}), {}, dir);
    BOOST_REQUIRE(lax.wait_stderr("listening on"));
    BOOST_TEST(lax.stderr_text().find(" warn  secrets file " + file + " is accessible by group or others") !=
                   std::string::npos,
               lax.stderr_text());
    lax.signal(SIGTERM);
    BOOST_TEST(lax.wait().value_or(-1) == 0);
    BOOST_TEST(!std::filesystem::exists(dir + "/catena-data")); // --memory touches no directory

    tst::child_process strict(args(dir, {"--memory", "--secrets-file", file, "--strict-secrets"}), {}, dir);
    BOOST_TEST(strict.wait().value_or(-1) == 2);
    BOOST_TEST(strict.stderr_text().find(file) != std::string::npos);
    ::chmod(file.c_str(), 0600);
    tst::child_process ok(args(dir, {"--memory", "--secrets-file", file, "--strict-secrets"}), {}, dir);
    BOOST_REQUIRE(ok.wait_stderr("listening on"));
    BOOST_TEST(ok.stderr_text().find(" warn ") == std::string::npos, ok.stderr_text());
    ok.signal(SIGTERM);
    BOOST_TEST(ok.wait().value_or(-1) == 0);

    tst::child_process bad_tls(args(dir, {"--memory", "--tls-cert", dir + "/nope.pem", "--tls-key", dir + "/nope.key"}),
                               env(), dir);
    BOOST_TEST(bad_tls.wait().value_or(-1) == 2);
    BOOST_TEST(bad_tls.stderr_text().find(dir + "/nope.pem") != std::string::npos); // names the file
}

// TLS 1.2 only with ECDHE and AEAD: a client offering static RSA or CBC suites only is
// refused; --tls-min-version 1.3 refuses TLS 1.2 altogether.
BOOST_AUTO_TEST_CASE(tls_accepts_only_forward_secret_aead_suites_and_the_minimum_version)
{
    auto dir = tst::make_temp_dir("exposure");
    auto files = tst::make_self_signed(dir);
    auto handshake = [](unsigned short port, char const* ciphers) {
        net::io_context ioc;
        net::ssl::context ctx(net::ssl::context::tls_client);
        SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(ctx.native_handle(), ciphers);
        net::ssl::stream<tcp::socket> s(ioc, ctx);
        s.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
        boost::system::error_code ec;
        s.handshake(net::ssl::stream_base::client, ec);
        return !ec;
    };
    std::vector<std::string> const tls{"--memory", "--tls-cert", files.certificate, "--tls-key", files.private_key};
    {
        tst::child_process p(args(dir, tls), env(), dir);
        BOOST_REQUIRE(p.wait_stderr("listening on"));
        BOOST_TEST(handshake(p.listening_port(), "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"));
        BOOST_TEST(handshake(p.listening_port(), "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"));
        BOOST_TEST(!handshake(p.listening_port(), "AES128-SHA:AES256-GCM-SHA384"));            // static RSA
        BOOST_TEST(!handshake(p.listening_port(), "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA")); // CBC
        p.signal(SIGTERM);
        BOOST_TEST(p.wait().value_or(-1) == 0);
    }
    auto strict = tls;
    strict.insert(strict.end(), {"--tls-min-version", "1.3"});
    auto const dir2 = tst::make_temp_dir("exposure"); // a log file of its own
    tst::child_process p(args(dir2, strict), env(), dir2);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    BOOST_TEST(!handshake(p.listening_port(), "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"));
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

// Catena takes any answer below 500 as delivered and never retries it: whatever others send
// from its address (its other customers share its egress; the operator's proxy is one
// address), an authentic delivery is kept, or answered 503 so that Catena retries it.
BOOST_AUTO_TEST_CASE(no_failure_from_an_address_costs_an_authentic_delivery_a_4xx)
{
    auto dir = tst::make_temp_dir("exposure");
    std::ofstream(dir + "/secrets") << "wh-a " << secret << "\nwh-b " << secret << "\n";
    ::chmod((dir + "/secrets").c_str(), 0600);
    // No default secret: a subscription not in the file is unknown.
    std::map<std::string, std::string> e{{"FOXTROT_TOKEN", "foxtrot-token-0123456789"}};
    tst::child_process p(args(dir, {"--memory", "--secrets-file", dir + "/secrets", "--route",
                                    "/webhooks/foxtrot=foxtrot,token-env=FOXTROT_TOKEN,token-header=X-Token"}),
                         e, dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    cs::client c(at(port), no_retry());
    auto as = [](cs::message m, std::string id) {
        m.webhook_id = std::move(id);
        return m;
    };
    int n = 0;
    auto next = [&n] { return message("m-" + std::to_string(++n)); };

    // 150 deliveries for a subscription this receiver does not serve (another Catena customer's).
    for(int i = 0; i < 150; ++i)
        BOOST_REQUIRE(c.send(as(next(), "wh-unknown"), secret).status == 401u);
    BOOST_TEST(c.send(next(), secret).status == 202u);

    // 150 wrong route tokens from the same address.
    for(int i = 0; i < 150; ++i)
    {
        cs::foxtrot_message f;
        f.id = "fx-" + std::to_string(i);
        f.event = "ROUTE_CREATED";
        auto const r = c.send_raw("POST", "/webhooks/foxtrot",
                                  cs::build_foxtrot_request(f, "X-Token", "not-the-token-at-all", cw::system_now(), true));
        BOOST_REQUIRE(r.status == 401u);
    }
    BOOST_TEST(c.send(next(), secret).status == 202u);

    // 150 bad signatures for wh-a: wh-a's deliveries from this address are rationed (503, never
    // a 4xx); wh-b's are not touched.
    for(int i = 0; i < 150; ++i)
    {
        auto const r = c.send(next(), "not-the-secret-at-all");
        BOOST_REQUIRE_MESSAGE(r.status == (i < 100 ? 401u : 503u), "forged delivery " << i << ": " << r.status);
    }
    for(int i = 0; i < 10; ++i)
    {
        auto const r = c.send(next(), secret);
        BOOST_TEST((r.status == 202u || r.status == 503u), "authentic delivery " << i << " answered " << r.status);
    }
    BOOST_TEST(c.send(as(next(), "wh-b"), secret).status == 202u);

    // The penalty's start is in the log although the flood's own lines were rate-limited.
    auto const err = p.stderr_text();
    BOOST_TEST(err.find("penalty_started") != std::string::npos);
    BOOST_TEST(err.find("address 127.0.0.1 failed the signature of webhook wh-a 100 times") != std::string::npos);
    BOOST_TEST(p.wait_stderr("lines suppressed")); // summarised within a second
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

// Behind the operator's reverse proxy every request comes from one address: the client is
// the proxy's X-Forwarded-For, and only from the proxy.
BOOST_AUTO_TEST_CASE(behind_a_trusted_proxy_clients_are_budgeted_apart_and_others_cannot_claim_to_forward)
{
    auto dir = tst::make_temp_dir("exposure");
    tst::child_process p(args(dir, {"--memory", "--trusted-proxy", "127.0.0.1/32", "--max-auth-failures", "3"}), env(),
                         dir);
    BOOST_REQUIRE(p.wait_stderr("listening on"));
    auto const port = p.listening_port();
    auto post = [port](std::string const& forwarded_for, std::string_view with_secret, std::string id) {
        auto const w = cs::build_request(message(id), with_secret, 1, cw::system_now(), true, "req-" + id);
        cs::client c(at(port), no_retry());
        cs::wire_request r = w;
        r.headers.emplace_back("X-Forwarded-For", forwarded_for);
        return c.send_raw("POST", "/webhooks/catena", r).status;
    };
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(post("198.51.100.7", "forged-secret-abc", "f" + std::to_string(i)) == 401u);
    BOOST_TEST(post("198.51.100.8", secret, "good-1") == 202u); // another client behind the proxy
    BOOST_TEST(post("198.51.100.7", secret, "good-2") == 503u); // the one that failed: rationed
    BOOST_TEST(p.stderr_text().find("address 198.51.100.7 failed") != std::string::npos);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);

    // Without --trusted-proxy the header is the client's own word: ignored.
    auto dir2 = tst::make_temp_dir("exposure");
    tst::child_process q(args(dir2, {"--memory", "--max-auth-failures", "3"}), env(), dir2);
    BOOST_REQUIRE(q.wait_stderr("listening on"));
    auto post2 = [port = q.listening_port()](std::string const& forwarded_for, std::string_view with_secret,
                                             std::string id) {
        auto w = cs::build_request(message(id), with_secret, 1, cw::system_now(), true, "req-" + id);
        w.headers.emplace_back("X-Forwarded-For", forwarded_for);
        cs::client c(at(port), no_retry());
        return c.send_raw("POST", "/webhooks/catena", w).status;
    };
    for(int i = 0; i < 3; ++i)
        BOOST_TEST(post2("198.51.100." + std::to_string(i), "forged-secret-abc", "f" + std::to_string(i)) == 401u);
    BOOST_TEST(post2("198.51.100.99", secret, "good-3") == 503u); // counted as 127.0.0.1's, whatever it claims
    q.signal(SIGTERM);
    BOOST_TEST(q.wait().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(an_admin_token_without_an_admin_listener_is_refused_at_start)
{
    auto dir = tst::make_temp_dir("exposure");
    auto e = env();
    e["ADMIN_TOKEN"] = "an-admin-token-of-some-length";
    tst::child_process p(args(dir, {"--memory", "--admin-token-env", "ADMIN_TOKEN"}), e, dir);
    BOOST_TEST(p.wait().value_or(-1) != 0);
    BOOST_TEST(p.stderr_text().find("needs --admin-listen") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_admin_listener_refuses_a_rebinding_host_with_421)
{
    auto dir = tst::make_temp_dir("exposure");
    tst::child_process p(args(dir, {"--memory", "--admin-listen", "127.0.0.1:0", "--admin-host", "ops.example"}), env(),
                         dir);
    std::string const says = "admin (health, metrics, state API, status page) on 127.0.0.1:";
    BOOST_REQUIRE(p.wait_stderr(says));
    auto const err = p.stderr_text();
    auto const admin_port = static_cast<unsigned short>(std::stoul(err.substr(err.find(says) + says.size())));
    auto get = [admin_port](std::string const& host) {
        net::io_context ioc;
        tcp::socket s(ioc);
        s.connect({net::ip::make_address("127.0.0.1"), admin_port});
        receive_timeout(s, 10);
        net::write(s, net::buffer("GET /v1/fleets HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"));
        return read_response(s);
    };
    auto const [rebound, body] = get("attacker.example:9090");
    BOOST_TEST(rebound == 421u);
    BOOST_TEST(body.find("host_not_allowed") != std::string::npos);
    BOOST_TEST(get("localhost:9090").first == 200u);
    BOOST_TEST(get("ops.example").first == 200u);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END() // exposure

} // namespace integration_exposure
