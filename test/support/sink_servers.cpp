// SPDX-License-Identifier: BSL-1.0
// test/support/sink_servers.cpp - real redis-server and nats-server -js on loopback for the sinks' tests, and what they hold.
#include "sink_servers.hpp"

#include "support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>

namespace catena::webhooks::test {

namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;

std::string find_program(std::string const& name, std::string const& package)
{
    std::vector<std::string> dirs;
    if(char const* path = std::getenv("PATH"))
        for(std::string_view p = path; !p.empty();)
        {
            auto const colon = p.find(':');
            dirs.emplace_back(p.substr(0, colon));
            p = colon == std::string_view::npos ? std::string_view() : p.substr(colon + 1);
        }
    dirs.insert(dirs.end(), {"/usr/sbin", "/usr/bin", "/usr/local/bin"});
    for(auto const& d : dirs)
    {
        auto const full = d + "/" + name;
        if(::access(full.c_str(), X_OK) == 0)
            return full;
    }
    throw std::runtime_error(name + " is not installed (Debian package " + package +
                             "; scripts/setup installs it): this test cannot run");
}

unsigned short free_port()
{
    net::io_context ioc;
    tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

namespace {

bool accepts(unsigned short port)
{
    net::io_context ioc;
    tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

} // namespace

//------------------------------------------------------------------------------

redis_server::redis_server(std::string dir)
    : dir_(std::move(dir)), program_(find_program("redis-server", "redis-server")), port_(free_port())
{
    start();
}

redis_server::~redis_server() = default;

void redis_server::start()
{
    // appendonly with appendfsync always: what it acknowledged is in the file before the reply
    // (with everysec the write itself may wait up to 2 s, and a kill loses it).
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{program_, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
                                 "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no", "--logfile", ""},
        std::map<std::string, std::string>{}, dir_);
    if(!eventually([&] { return accepts(port_); }, std::chrono::seconds(30)))
        throw std::runtime_error("redis-server did not start: " + process_->stdout_text() + process_->stderr_text());
}

void redis_server::kill()
{
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(30));
    process_.reset();
}

void redis_server::pause_writes() const
{
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnect("127.0.0.1", port_), redisFree);
    if(!c || c->err)
        throw std::runtime_error("cannot connect to redis-server");
    auto* r = static_cast<redisReply*>(redisCommand(c.get(), "CLIENT PAUSE 600000 WRITE"));
    bool const ok = r && r->type == REDIS_REPLY_STATUS;
    if(r)
        freeReplyObject(r);
    if(!ok)
        throw std::runtime_error("CLIENT PAUSE failed");
}

std::vector<stored_message> redis_server::stream(std::string const& name) const
{
    std::vector<stored_message> out;
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnect("127.0.0.1", port_), redisFree);
    if(!c || c->err)
        throw std::runtime_error("cannot connect to redis-server");
    std::string from = "-";
    for(;;)
    {
        auto* r = static_cast<redisReply*>(
            redisCommand(c.get(), "XRANGE %b %b + COUNT 1000", name.data(), name.size(), from.data(), from.size()));
        if(!r || r->type != REDIS_REPLY_ARRAY)
            throw std::runtime_error("XRANGE failed");
        std::unique_ptr<redisReply, void (*)(void*)> hold(r, freeReplyObject);
        if(r->elements == 0)
            break;
        for(std::size_t i = 0; i < r->elements; ++i)
        {
            auto const* entry = r->element[i];
            auto const* fields = entry->element[1];
            stored_message m;
            for(std::size_t f = 0; f + 1 < fields->elements; f += 2)
            {
                std::string const k(fields->element[f]->str, fields->element[f]->len);
                std::string v(fields->element[f + 1]->str, fields->element[f + 1]->len);
                if(k == "kind")
                    m.kind = std::move(v);
                else if(k == "idempotency_key")
                    m.idempotency_key = std::move(v);
                else if(k == "event")
                    m.json = std::move(v);
            }
            out.push_back(std::move(m));
            from = "(" + std::string(entry->element[0]->str, entry->element[0]->len);
        }
    }
    return out;
}

//------------------------------------------------------------------------------

nats_server::nats_server(std::string dir)
    : dir_(std::move(dir)), program_(find_program("nats-server", "nats-server")), port_(free_port())
{
    start();
}

nats_server::~nats_server() = default;

void nats_server::start()
{
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{program_, "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", dir_ + "/js"},
        std::map<std::string, std::string>{}, dir_);
    if(!process_->wait_stderr("Server is ready", std::chrono::seconds(30)))
        throw std::runtime_error("nats-server did not start: " + process_->stderr_text());
}

void nats_server::kill()
{
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(30));
    process_.reset();
}

namespace {

// A blocking NATS client of its own (not the daemon's), enough for requests.
class nats_requester
{
public:
    explicit nats_requester(unsigned short port) : socket_(ioc_)
    {
        socket_.connect({net::ip::make_address("127.0.0.1"), port});
        line(); // INFO
        put("CONNECT {\"verbose\":false,\"headers\":true}\r\nSUB _INBOX.test.* 1\r\nPING\r\n");
        for(;;)
            if(line() == "PONG")
                break;
    }

    void request(std::string const& subject, std::string const& reply, std::string const& body)
    {
        put("PUB " + subject + " _INBOX.test." + reply + " " + std::to_string(body.size()) + "\r\n" + body + "\r\n");
    }

    // The next reply: its subject's last token and payload.
    std::pair<std::string, std::string> reply()
    {
        for(;;)
        {
            auto const l = line();
            if(l == "PING")
            {
                put("PONG\r\n");
                continue;
            }
            if(l.rfind("MSG ", 0) != 0)
                continue;
            std::vector<std::string> w;
            for(std::size_t i = 0; i < l.size();)
            {
                auto const sp = l.find(' ', i);
                w.push_back(l.substr(i, sp - i));
                i = sp == std::string::npos ? l.size() : sp + 1;
            }
            auto const n = std::stoul(w.back());
            std::string payload = take(n + 2);
            payload.resize(n);
            return {w[1].substr(w[1].rfind('.') + 1), payload};
        }
    }

private:
    void put(std::string const& s) { net::write(socket_, net::buffer(s)); }
    std::string line()
    {
        auto const n = net::read_until(socket_, buf_, "\r\n");
        std::string l(net::buffers_begin(buf_.data()), net::buffers_begin(buf_.data()) + static_cast<long>(n) - 2);
        buf_.consume(n);
        return l;
    }
    std::string take(std::size_t n)
    {
        if(buf_.size() < n)
            net::read(socket_, buf_, net::transfer_exactly(n - buf_.size()));
        std::string s(net::buffers_begin(buf_.data()), net::buffers_begin(buf_.data()) + static_cast<long>(n));
        buf_.consume(n);
        return s;
    }

    net::io_context ioc_;
    tcp::socket socket_;
    net::streambuf buf_;
};

std::string base64_decoded(std::string const& in)
{
    std::string out(in.size() / 4 * 3 + 3, '\0');
    int const n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(in.data()), static_cast<int>(in.size()));
    if(n < 0)
        throw std::runtime_error("bad base64 from nats-server");
    std::size_t pad = 0;
    for(auto it = in.rbegin(); it != in.rend() && *it == '='; ++it)
        ++pad;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

} // namespace

std::vector<stored_message> nats_server::stream(std::string const& name) const
{
    nats_requester r(port_);
    r.request("$JS.API.STREAM.INFO." + name, "info", "");
    auto const info = json::parse(r.reply().second).as_object();
    auto const last = info.at("state").at("last_seq").to_number<std::uint64_t>();
    std::vector<stored_message> out;
    // In slices, so that the replies never fill the socket while requests are still written.
    for(std::uint64_t from = 1; from <= last; from += 256)
    {
        auto const to = std::min(last, from + 255);
        for(auto seq = from; seq <= to; ++seq)
            r.request("$JS.API.STREAM.MSG.GET." + name, std::to_string(seq), "{\"seq\":" + std::to_string(seq) + "}");
        for(auto seq = from; seq <= to; ++seq)
        {
            auto const v = json::parse(r.reply().second).as_object();
            if(!v.contains("message"))
                continue; // deleted (not expected here)
            auto const& m = v.at("message").as_object();
            stored_message s;
            s.json = base64_decoded(std::string(m.at("data").as_string()));
            if(auto const* h = m.if_contains("hdrs"))
            {
                auto const headers = base64_decoded(std::string(h->as_string()));
                auto const at = headers.find("Nats-Msg-Id: ");
                if(at != std::string::npos)
                    s.idempotency_key = headers.substr(at + 13, headers.find("\r\n", at) - at - 13);
            }
            s.kind = std::string(json::parse(s.json).at("kind").as_string());
            out.push_back(std::move(s));
        }
    }
    return out;
}

} // namespace catena::webhooks::test
