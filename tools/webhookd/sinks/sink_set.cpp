// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/sink_set.cpp - the daemon's sinks: parsed from --sink URIs, run on a thread of their own, one completion per message for all of them.
#include "sink_set.hpp"

#include "http_sink.hpp"
#include "nats_sink.hpp"
#include "redis_sink.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace webhookd::sinks {

namespace net = boost::asio;

namespace {

std::string percent_decoded(std::string_view s, std::string const& uri)
{
    std::string out;
    for(std::size_t i = 0; i < s.size(); ++i)
    {
        if(s[i] != '%')
        {
            out += s[i];
            continue;
        }
        unsigned v = 0;
        if(i + 2 >= s.size() ||
           std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3)
            throw sink_error("--sink " + uri + ": a bad %-escape");
        out += static_cast<char>(v);
        i += 2;
    }
    return out;
}

std::string from_env(std::string const& uri, std::string const& var)
{
    char const* v = std::getenv(var.c_str());
    if(!v || !*v)
        throw sink_error("--sink " + uri + ": the environment variable " + var + " is not set");
    return v;
}

bool is_port(std::string const& p)
{
    unsigned v = 0;
    auto const [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    return !p.empty() && ec == std::errc() && end == p.data() + p.size() && v > 0 && v < 65536;
}

} // namespace

sink_uri sink_uri::parse(std::string const& text)
{
    sink_uri u;
    auto const scheme_end = text.find("://");
    if(scheme_end == std::string::npos)
        throw sink_error("--sink " + text + ": not a URI (redis://, nats://, http:// or https://)");
    u.scheme = text.substr(0, scheme_end);
    if(u.scheme != "redis" && u.scheme != "nats" && u.scheme != "http" && u.scheme != "https")
        throw sink_error("--sink " + text + ": unknown scheme " + u.scheme + " (redis, nats, http or https)");
    auto rest = std::string_view(text).substr(scheme_end + 3);
    auto const q = rest.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
    rest = rest.substr(0, q);
    auto const slash = rest.find('/');
    auto const authority = rest.substr(0, slash);
    u.path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
    if(authority.find('@') != std::string_view::npos)
        throw sink_error("--sink " + text +
                         ": credentials never go in the URI (seen by ps and in logs): use password-env= or token-env=");
    if(!authority.empty() && authority.front() == '[')
    {
        auto const close = authority.find(']');
        if(close == std::string_view::npos)
            throw sink_error("--sink " + text + ": an unclosed [ in the host");
        u.host = std::string(authority.substr(1, close - 1));
        if(close + 1 < authority.size())
        {
            if(authority[close + 1] != ':')
                throw sink_error("--sink " + text + ": a bad host");
            u.port = std::string(authority.substr(close + 2));
        }
    }
    else
    {
        auto const colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if(colon != std::string_view::npos)
            u.port = std::string(authority.substr(colon + 1));
    }
    if(u.host.empty())
        throw sink_error("--sink " + text + ": no host");
    if(u.port.empty())
        u.port = u.scheme == "redis" ? "6379" : u.scheme == "nats" ? "4222" : u.scheme == "http" ? "80" : "443";
    if(!is_port(u.port))
        throw sink_error("--sink " + text + ": a bad port " + u.port);
    while(!query.empty())
    {
        auto const amp = query.find('&');
        auto const pair = query.substr(0, amp);
        auto const eq = pair.find('=');
        if(eq == std::string_view::npos || eq == 0)
            throw sink_error("--sink " + text + ": a query parameter without a value");
        u.query.emplace_back(std::string(pair.substr(0, eq)), percent_decoded(pair.substr(eq + 1), text));
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    std::string const host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    u.name = u.scheme + "://" + host + ":" + u.port + "/" + u.path;
    return u;
}

namespace {

std::shared_ptr<sink> make_sink(net::any_io_executor ex, std::string const& text)
{
    auto const u = sink_uri::parse(text);
    auto const unknown = [&](std::string const& k) {
        return sink_error("--sink " + text + ": unknown parameter " + k);
    };
    if(u.scheme == "redis")
    {
        redis_target t;
        t.host = u.host;
        t.port = u.port;
        t.stream = percent_decoded(u.path, text);
        if(t.stream.empty())
            throw sink_error("--sink " + text + ": no stream (redis://HOST:PORT/STREAM)");
        for(auto const& [k, v] : u.query)
        {
            if(k == "maxlen")
            {
                auto const [end, ec] = std::from_chars(v.data(), v.data() + v.size(), t.maxlen);
                if(ec != std::errc() || end != v.data() + v.size() || t.maxlen == 0)
                    throw sink_error("--sink " + text + ": maxlen wants a positive number");
            }
            else if(k == "password-env")
                t.password = from_env(text, v);
            else
                throw unknown(k);
        }
        return std::make_shared<redis_sink>(ex, u.name, std::move(t));
    }
    if(u.scheme == "nats")
    {
        nats_target t;
        t.host = u.host;
        t.port = u.port;
        t.subject = percent_decoded(u.path, text);
        auto const token_ok = [](std::string const& s) {
            return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
                return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '*' || c == '>';
            });
        };
        if(!token_ok(t.subject) || t.subject.front() == '.' || t.subject.back() == '.' ||
           t.subject.find("..") != std::string::npos)
            throw sink_error("--sink " + text + ": wants a subject without wildcards (nats://HOST:PORT/SUBJECT)");
        for(auto const& [k, v] : u.query)
        {
            if(k == "stream")
            {
                if(!token_ok(v) || v.find('.') != std::string::npos)
                    throw sink_error("--sink " + text + ": a bad stream name " + v);
                t.stream = v;
            }
            else if(k == "token-env")
                t.token = from_env(text, v);
            else
                throw unknown(k);
        }
        return std::make_shared<nats_sink>(ex, u.name, std::move(t));
    }
    http_target t;
    t.tls = u.scheme == "https";
    t.host = u.host;
    t.port = u.port;
    t.target = "/" + u.path;
    for(auto const& [k, v] : u.query)
    {
        if(k == "ca" && t.tls)
            t.ca_file = v;
        else if(k == "token-env")
            t.token = from_env(text, v);
        else
            throw unknown(k);
    }
    try
    {
        return std::make_shared<http_sink>(ex, u.name, std::move(t));
    }
    catch(std::runtime_error const& e)
    {
        throw sink_error("--sink " + text + ": " + e.what());
    }
}

} // namespace

sink_set::sink_set(std::vector<std::string> const& uris)
{
    for(auto const& u : uris)
        sinks_.push_back(make_sink(ioc_.get_executor(), u));
}

sink_set::~sink_set()
{
    abandon();
    if(thread_.joinable())
        thread_.join();
}

void sink_set::start()
{
    if(sinks_.empty())
        return;
    for(auto& s : sinks_)
        s->start();
    thread_ = std::thread([this] {
        auto work = net::make_work_guard(ioc_);
        ioc_.run();
    });
}

void sink_set::hand(std::shared_ptr<message const> m, catena::webhooks::completion c)
{
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        if(abandoned_)
        {
            ++given_up_;
            return c.abandon();
        }
        id = next_++;
        waiting_.emplace(id, waiting{std::move(c), sinks_.size()});
    }
    for(auto& s : sinks_)
        s->hand(m, [this, id] {
            catena::webhooks::completion done;
            {
                std::lock_guard lock(mutex_);
                auto it = waiting_.find(id);
                if(it == waiting_.end() || --it->second.remaining > 0)
                    return;
                done = std::move(it->second.c);
                waiting_.erase(it);
            }
            done.done();
        });
}

std::size_t sink_set::abandoned() const
{
    std::lock_guard lock(mutex_);
    return given_up_;
}

std::vector<catena::webhooks::sink_status> sink_set::status() const
{
    std::vector<catena::webhooks::sink_status> out;
    for(auto const& s : sinks_)
        out.push_back(s->status());
    return out;
}

void sink_set::abandon()
{
    std::unordered_map<std::uint64_t, waiting> left;
    {
        std::lock_guard lock(mutex_);
        if(abandoned_)
            return;
        abandoned_ = true;
        left.swap(waiting_);
        given_up_ = left.size();
    }
    for(auto& [id, w] : left)
        w.c.abandon();
    for(auto& s : sinks_)
        s->stop();
    ioc_.stop();
}

} // namespace webhookd::sinks
