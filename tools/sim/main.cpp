// SPDX-License-Identifier: BSL-1.0
// tools/sim/main.cpp - catena-webhook-sim: sends Catena-shaped deliveries to a receiver.
#include "command_line.hpp"
#include "history.hpp"
#include "load.hpp"
#include "scenario.hpp"
#include "sim.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cs = catena::webhooks::sim;
namespace json = boost::json;
using namespace std::chrono;
using simtool::fail;
using simtool::options;
using simtool::parse;

namespace {

struct tally
{
    std::mutex m;
    std::map<unsigned, std::size_t> by_status; // 0 = no answer
    std::vector<double> latencies_ms;          // per acknowledged delivery, last attempt
    std::size_t sent = 0, attempts = 0, retried = 0;

    void add(cs::delivery_result const& r)
    {
        std::lock_guard lock(m);
        ++sent;
        attempts += r.attempts.size();
        retried += r.attempts.size() > 1;
        ++by_status[r.status()];
        if(r.status() >= 200 && r.status() < 300)
            latencies_ms.push_back(duration<double, std::milli>(r.attempts.back().latency).count());
    }
};

void print_summary(options const& o, tally& t, double elapsed_s, json::object extra = {})
{
    std::sort(t.latencies_ms.begin(), t.latencies_ms.end());
    auto pct = [&](double p) {
        if(t.latencies_ms.empty())
            return 0.0;
        auto idx = static_cast<std::size_t>(p * static_cast<double>(t.latencies_ms.size() - 1) + 0.5);
        return t.latencies_ms[std::min(idx, t.latencies_ms.size() - 1)];
    };
    std::size_t acked = 0;
    for(auto const& [s, n] : t.by_status)
        if(s >= 200 && s < 300)
            acked += n;
    json::object out = std::move(extra);
    out["sent"] = t.sent;
    out["attempts"] = t.attempts;
    out["retried"] = t.retried;
    json::object st;
    for(auto const& [s, n] : t.by_status)
        st[s == 0 ? std::string("no_answer") : std::to_string(s)] = n;
    out["by_status"] = std::move(st);
    out["acked"] = acked;
    out["elapsed_s"] = elapsed_s;
    out["throughput_per_s"] = elapsed_s > 0 ? static_cast<double>(acked) / elapsed_s : 0.0;
    out["latency_ms"] = json::object{{"p50", pct(0.50)}, {"p90", pct(0.90)}, {"p99", pct(0.99)}, {"p999", pct(0.999)},
                                     {"max", t.latencies_ms.empty() ? 0.0 : t.latencies_ms.back()}};
    if(o.json_out)
    {
        std::cout << json::serialize(out) << std::endl;
        return;
    }
    std::printf("sent %zu deliveries in %.3f s (%zu attempts, %zu retried)\n", t.sent, elapsed_s, t.attempts, t.retried);
    for(auto const& [s, n] : t.by_status)
        std::printf("  %s: %zu\n", s == 0 ? "no answer" : std::to_string(s).c_str(), n);
    std::printf("throughput %.0f acked/s\n", out["throughput_per_s"].as_double());
    std::printf("ack latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", pct(0.5), pct(0.9), pct(0.99),
                pct(0.999), t.latencies_ms.empty() ? 0.0 : t.latencies_ms.back());
}

cs::send_options send_opts(options const& o)
{
    cs::send_options so;
    so.gzip = o.gzip;
    if(!o.retry)
        so.max_retries = 0;
    return so;
}

int run_scenario(options const& o, std::string const& secret)
{
    auto sc = cs::make_scenario(o.sc, {}, o.webhook_id);
    if(!o.expect_file.empty())
    {
        std::ofstream f(o.expect_file);
        if(!f)
            fail("cannot write " + o.expect_file);
        f << cs::expectations_jsonl(sc);
    }
    if(!o.dropped_file.empty())
    {
        std::ofstream f(o.dropped_file);
        if(!f)
            fail("cannot write " + o.dropped_file);
        for(auto const& op : sc.dropped_operations)
            f << json::serialize(op) << "\n";
    }
    tally t;
    std::atomic<std::size_t> next{0};
    auto const t0 = steady_clock::now();
    std::vector<std::thread> threads;
    for(std::size_t c = 0; c < o.connections; ++c)
        threads.emplace_back([&] {
            cs::client cl(o.ep, send_opts(o));
            for(std::size_t i; (i = next.fetch_add(1)) < sc.messages.size();)
            {
                auto const& m = sc.messages[i];
                if(o.realtime)
                    std::this_thread::sleep_until(t0 + m.send_at);
                // A Catena retry is its second attempt; everything else a first one.
                if(m.attempt > 1)
                    t.add(cs::delivery_result{{cl.send(m.msg, secret, m.attempt)}});
                else
                    t.add(cl.deliver(m.msg, secret));
            }
        });
    for(auto& th : threads)
        th.join();
    double const elapsed = duration<double>(steady_clock::now() - t0).count();
    print_summary(o, t, elapsed,
                  json::object{{"mode", "scenario"}, {"fleets", sc.fleets.size()}, {"unique_events", sc.unique_events},
                               {"unique_records", sc.unique_records}, {"messages", sc.messages.size()},
                               {"dropped_operation_results", sc.dropped_operations.size()}});
    return t.by_status.size() == 1 && t.by_status.count(202) ? 0 : 1;
}

int run_load(options const& o, std::string const& secret)
{
    tally t;
    std::atomic<std::size_t> issued{0};
    auto const t0 = steady_clock::now();
    auto const deadline = t0 + duration_cast<steady_clock::duration>(duration<double>(o.duration_s));
    std::vector<std::thread> threads;
    for(std::size_t c = 0; c < o.connections; ++c)
        threads.emplace_back([&, c] {
            cs::load_stream stream(o.profile, o.webhook_id, std::random_device{}() + c);
            cs::client cl(o.ep, send_opts(o));
            auto const interval = o.rate > 0 ? duration<double>(static_cast<double>(o.connections) / o.rate)
                                             : duration<double>(0);
            auto next_send = steady_clock::now();
            for(;;)
            {
                std::size_t const n = issued.fetch_add(1);
                if(o.count && n >= o.count)
                    break;
                if(o.duration_s > 0 && steady_clock::now() >= deadline)
                    break;
                if(o.rate > 0)
                {
                    std::this_thread::sleep_until(next_send);
                    next_send += duration_cast<steady_clock::duration>(interval);
                }
                t.add(cl.deliver(stream.next(n).m, secret));
            }
        });
    for(auto& th : threads)
        th.join();
    double const elapsed = duration<double>(steady_clock::now() - t0).count();
    print_summary(o, t, elapsed, json::object{{"mode", "load"}, {"connections", o.connections}, {"rate", o.rate}});
    return 0;
}

// Writes the load mode's deliveries as complete HTTP/1.1 requests, signed and timestamped now,
// each preceded by its length in decimal and a newline. Built on all cores, written in order.
int run_prepare(options const& o, std::string const& secret)
{
    unsigned const workers = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::string> parts(workers);
    std::vector<std::thread> threads;
    std::string const host = o.ep.host + ":" + std::to_string(o.ep.port);
    for(unsigned w = 0; w < workers; ++w)
        threads.emplace_back([&, w] {
            std::mt19937_64 rng(std::random_device{}() + w);
            cs::load_stream stream(o.profile, o.webhook_id, rng());
            auto& out = parts[w];
            for(std::size_t n = w; n < o.count; n += workers)
            {
                auto const d = stream.next(n);
                auto const wr = cs::build_request(d.m, secret, d.attempt, catena::webhooks::system_now(), o.gzip,
                                                  cs::random_uuid(rng));
                std::string req = "POST " + o.ep.path + " HTTP/1.1\r\nHost: " + host + "\r\n";
                for(auto const& [k, v] : wr.headers)
                    req += k + ": " + v + "\r\n";
                req += "Content-Length: " + std::to_string(wr.body.size()) + "\r\n\r\n";
                req += wr.body;
                out += std::to_string(req.size());
                out += '\n';
                out += req;
            }
        });
    for(auto& th : threads)
        th.join();
    std::ofstream f(o.out_file, std::ios::binary | std::ios::trunc);
    // Interleave the workers' slices back into delivery order (n = w, w + workers, ...).
    std::vector<std::size_t> pos(workers, 0);
    for(std::size_t n = 0; n < o.count; ++n)
    {
        auto const w = n % workers;
        auto const& part = parts[w];
        auto const nl = part.find('\n', pos[w]);
        auto const len = std::stoul(part.substr(pos[w], nl - pos[w]));
        f.write(part.data() + pos[w], static_cast<std::streamsize>(nl + 1 + len - pos[w]));
        pos[w] = nl + 1 + len;
    }
    if(!f.flush())
        fail("cannot write " + o.out_file);
    std::fprintf(stderr, "prepared %zu requests in %s\n", o.count, o.out_file.c_str());
    return 0;
}

int run_send(options const& o, std::string const& secret)
{
    cs::message m;
    m.webhook_id = o.webhook_id;
    m.event_name = o.event_name;
    std::mt19937_64 rng(std::random_device{}());
    m.event_id = cs::uuid_v7(catena::webhooks::system_now(), rng);
    try
    {
        m.data.push_back(json::parse(o.record));
    }
    catch(std::exception const&)
    {
        fail("--record is not JSON");
    }
    cs::client cl(o.ep, send_opts(o));
    auto r = cl.deliver(m, secret);
    for(auto const& a : r.attempts)
        std::printf("attempt: status %u%s%s %s\n", a.status, a.ec ? " error " : "", a.ec ? a.ec.message().c_str() : "",
                    a.body.c_str());
    return r.status() >= 200 && r.status() < 300 ? 0 : 1;
}

// Prints a random history (tools/sim/history.hpp), or delivers it in the order Catena emits it.
int run_histories(options const& o, std::string const& secret)
{
    auto const h = cs::make_history(o.history);
    if(!o.send)
    {
        std::fputs(cs::to_text(h).c_str(), stdout);
        return 0;
    }
    tally t;
    cs::client cl(o.ep, send_opts(o));
    auto const t0 = steady_clock::now();
    for(auto const& f : h.facts)
        t.add(cl.deliver(f.msg, secret));
    print_summary(o, t, duration<double>(steady_clock::now() - t0).count(),
                  json::object{{"mode", "histories"}, {"seed", o.history.seed}, {"fleets", o.history.fleets}});
    return t.by_status.size() == 1 && t.by_status.count(202) ? 0 : 1;
}

// Foxtrot-shaped deliveries (a guess at their shape: see the usage), unsigned, with the token.
int run_foxtrot(options const& o)
{
    char const* token = std::getenv(o.token_env.c_str());
    if(!token || !*token)
        fail("environment variable " + o.token_env + " (the route's token) is not set");
    static constexpr char const* events[] = {"ROUTE_CREATED", "ROUTE_STARTED", "ROUTE_ETAS_CHANGED",
                                             "WAYPOINT_STATUS_CHANGED"};
    std::mt19937_64 rng(o.sc.seed);
    std::uniform_real_distribution<double> coin(0, 1);
    auto const target = o.token_header.empty() ? o.ep.path + "/" + token : o.ep.path;
    cs::client cl(o.ep, send_opts(o));
    std::map<unsigned, std::size_t> by_status;
    for(std::size_t n = 0; n < o.count; ++n)
    {
        cs::foxtrot_message m;
        m.id = cs::random_uuid(rng);
        m.event = events[n % 4];
        m.dc_id = "dc-" + std::to_string(n % 5);
        m.data = json::object{{"route_id", "route-" + std::to_string(n / 4)}, {"sequence", n}};
        auto const wr = cs::build_foxtrot_request(m, o.token_header, token, catena::webhooks::system_now(), o.gzip);
        ++by_status[cl.send_raw("POST", target, wr).status];
        if(coin(rng) < o.sc.duplicate_rate)
            ++by_status[cl.send_raw("POST", target, wr).status];
    }
    bool ok = true;
    for(auto const& [status, count] : by_status)
    {
        std::printf("%u: %zu\n", status, count);
        ok = ok && status == 202;
    }
    return ok ? 0 : 1;
}

} // namespace

// One connection to the target before anything is sent: a receiver that is not there is said
// at once, in one line, instead of every delivery retried against a closed port.
void require_reachable(cs::endpoint const& ep)
{
    namespace net = boost::asio;
    net::io_context ioc;
    net::ip::tcp::resolver resolver(ioc);
    net::ip::tcp::socket socket(ioc);
    net::steady_timer timer(ioc, seconds(3));
    boost::system::error_code result = net::error::timed_out;
    resolver.async_resolve(ep.host, std::to_string(ep.port), [&](boost::system::error_code ec, auto const& found) {
        if(ec)
        {
            result = ec;
            timer.cancel();
            return;
        }
        net::async_connect(socket, found, [&](boost::system::error_code ec2, auto const&) {
            result = ec2;
            timer.cancel();
        });
    });
    timer.async_wait([&](boost::system::error_code ec) {
        if(!ec)
        {
            resolver.cancel();
            socket.close();
        }
    });
    ioc.run();
    if(result && result != net::error::operation_aborted)
        fail("cannot reach the receiver at " + ep.host + ":" + std::to_string(ep.port) + ": " + result.message() +
             " (is it running? --target HOST:PORT names it)");
    if(result == net::error::operation_aborted)
        fail("cannot reach the receiver at " + ep.host + ":" + std::to_string(ep.port) +
             ": no answer to a connection within 3 s (--target HOST:PORT names it)");
}

int main(int argc, char** argv)
{
    auto const o = parse(argc, argv);
    bool const sends = o.mode != "prepare" && !(o.mode == "histories" && !o.send);
    if(sends)
        require_reachable(o.ep);
    if(o.mode == "foxtrot")
        return run_foxtrot(o);
    if(o.mode == "histories" && !o.send)
        return run_histories(o, {});
    char const* secret = std::getenv(o.secret_env.c_str());
    if(!secret || !*secret)
        fail("environment variable " + o.secret_env + " (the signing secret) is not set");
    if(o.mode == "scenario")
        return run_scenario(o, secret);
    if(o.mode == "load")
        return run_load(o, secret);
    if(o.mode == "prepare")
        return run_prepare(o, secret);
    if(o.mode == "histories")
        return run_histories(o, secret);
    return run_send(o, secret);
}
