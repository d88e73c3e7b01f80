// SPDX-License-Identifier: BSL-1.0
// bench/session_bench.cpp - CPU per delivery of the listener's request path: one session over Beast's in-memory stream.
#include "http/session.hpp"

#include "session_host.hpp"
#include "support.hpp"
#include "vectors.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

#include <ctime>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace cw = catena::webhooks;
namespace tst = catena::webhooks::test;
namespace net = boost::asio;
namespace beast = boost::beast;

// 200 signed gzip deliveries (distinct envelopes) on one connection, each verified, kept in a
// memory store and answered 202; the CPU time of the thread per delivery, median and minimum
// over ROUNDS connections. Usage: bench_session [ROUNDS]
int main(int argc, char** argv)
{
    int const rounds = argc > 1 ? std::atoi(argv[1]) : 30;
    int const per_connection = 200;
    cw::receiver_options o;
    o.secrets.add(tst::webhook_id, tst::tv1_secret);
    o.clock = [] { return tst::vector_time(); };
    std::vector<std::string> requests;
    for(int i = 0; i < per_connection; ++i)
    {
        std::string body(tst::tv1_body);
        auto const id = std::to_string(100000 + i);
        body.replace(body.find("000000000001"), 12, "000000" + id);
        auto d = tst::make_delivery(tst::tv1_secret, tst::webhook_id, body, tst::vector_time(), true);
        std::string r = "POST /webhooks/catena HTTP/1.1\r\nHost: receiver\r\n";
        r += "X-Catena-Signature: " + d.signature + "\r\nX-Catena-Timestamp: " + d.timestamp +
             "\r\nX-Webhook-ID: " + d.webhook_id + "\r\nX-Request-ID: rid-" + std::to_string(i) +
             "\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(d.body.size()) + "\r\n\r\n" + d.body;
        requests.push_back(r);
    }
    std::vector<double> per_delivery_ns;
    for(int round = 0; round < rounds; ++round)
    {
        auto host = std::make_shared<tst::memory_host>(o);
        net::io_context ioc;
        beast::test::stream client(ioc), server(ioc);
        client.connect(server);
        std::make_shared<cw::detail::session<beast::test::stream>>(host, std::move(server))->run();
        // CPU time of this thread: the machine is shared, wall time would measure the others.
        auto const cpu = [] {
            timespec ts{};
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            return ts.tv_sec * 1e9 + ts.tv_nsec;
        };
        auto const t0 = cpu();
        for(auto const& r : requests)
        {
            net::write(client, net::buffer(r));
            ioc.poll();
        }
        auto const t1 = cpu();
        client.close();
        ioc.run();
        if(host->kept.load() != per_connection)
            return std::printf("kept %d of %d\n", host->kept.load(), per_connection), 1;
        if(client.str().find("HTTP/1.1 202") == std::string::npos)
            return std::printf("no 202\n"), 1;
        per_delivery_ns.push_back((t1 - t0) / per_connection);
    }
    std::sort(per_delivery_ns.begin(), per_delivery_ns.end());
    std::printf("CPU per delivery: median %.0f ns, min %.0f ns over %d rounds of %d\n", per_delivery_ns[per_delivery_ns.size() / 2],
                per_delivery_ns.front(), rounds, per_connection);
}
