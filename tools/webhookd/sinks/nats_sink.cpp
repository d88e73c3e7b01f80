// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/nats_sink.cpp - publishes to NATS JetStream, each message acknowledged by its PubAck.
#include "nats_sink.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <random>

namespace webhookd::sinks {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

// The whitespace-separated words of a protocol line.
std::vector<std::string_view> words(std::string_view line)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while(i < line.size())
    {
        while(i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        auto const start = i;
        while(i < line.size() && line[i] != ' ' && line[i] != '\t')
            ++i;
        if(i > start)
            out.push_back(line.substr(start, i - start));
    }
    return out;
}

std::optional<std::size_t> number(std::string_view s)
{
    std::size_t n = 0;
    auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if(ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return n;
}

bool starts_with_op(std::string_view line, std::string_view op)
{
    if(line.size() < op.size())
        return false;
    for(std::size_t i = 0; i < op.size(); ++i)
        if(std::toupper(static_cast<unsigned char>(line[i])) != op[i])
            return false;
    return line.size() == op.size() || line[op.size()] == ' ' || line[op.size()] == '\t';
}

// The largest payload accepted from the server (its default max_payload is 1 MiB).
constexpr std::size_t max_payload = 64u << 20;

} // namespace

bool nats_parser::feed(std::string_view bytes)
{
    if(!error_.empty())
        return false;
    buf_.append(bytes);
    if(buf_.size() > max_payload + 4096)
    {
        error_ = "a server message over 64 MiB";
        return false;
    }
    return true;
}

std::optional<nats_op> nats_parser::next()
{
    if(!error_.empty())
        return std::nullopt; // broken: nothing more until the connection is made again
    auto const eol = buf_.find("\r\n");
    if(eol == std::string::npos)
        return std::nullopt;
    std::string_view const line(buf_.data(), eol);
    nats_op op;
    std::size_t consumed = eol + 2;
    if(starts_with_op(line, "MSG") || starts_with_op(line, "HMSG"))
    {
        bool const with_headers = starts_with_op(line, "HMSG");
        auto const w = words(line);
        // MSG subject sid [reply] bytes; HMSG subject sid [reply] header_bytes total_bytes
        std::size_t const fixed = with_headers ? 5 : 4;
        if(w.size() != fixed && w.size() != fixed - 1)
        {
            error_ = "malformed " + std::string(line.substr(0, 200));
            return nats_op{nats_op::err, {}, {}, error_};
        }
        auto const total = number(w.back());
        auto const head = with_headers ? number(w[w.size() - 2]) : std::optional<std::size_t>(0);
        if(!total || !head || *head > *total || *total > max_payload)
        {
            error_ = "malformed sizes in " + std::string(line.substr(0, 200));
            return nats_op{nats_op::err, {}, {}, error_};
        }
        if(buf_.size() < consumed + *total + 2)
            return std::nullopt; // the payload is still coming
        op.kind = nats_op::msg;
        op.subject = std::string(w[1]);
        op.headers = buf_.substr(consumed, *head);
        op.payload = buf_.substr(consumed + *head, *total - *head);
        consumed += *total + 2;
    }
    else if(starts_with_op(line, "PING"))
        op.kind = nats_op::ping;
    else if(starts_with_op(line, "PONG"))
        op.kind = nats_op::pong;
    else if(starts_with_op(line, "+OK"))
        op.kind = nats_op::ok;
    else if(starts_with_op(line, "-ERR"))
    {
        op.kind = nats_op::err;
        op.payload = std::string(line.substr(std::min<std::size_t>(line.size(), 5)));
    }
    else if(starts_with_op(line, "INFO"))
    {
        op.kind = nats_op::info;
        op.payload = std::string(line.substr(5));
    }
    else
    {
        error_ = "unknown operation " + std::string(line.substr(0, 40));
        return nats_op{nats_op::err, {}, {}, error_};
    }
    buf_.erase(0, consumed);
    return op;
}

std::string nats_hpub(std::string const& subject, std::string const& reply, message const& m)
{
    std::string const headers = "NATS/1.0\r\nNats-Msg-Id: " + m.idempotency_key + "\r\n\r\n";
    return "HPUB " + subject + " " + reply + " " + std::to_string(headers.size()) + " " +
           std::to_string(headers.size() + m.json.size()) + "\r\n" + headers + m.json + "\r\n";
}

std::string nats_reply_problem(nats_op const& reply)
{
    // A status in the header block: 503 is "no responders" (no stream takes the subject).
    if(reply.headers.rfind("NATS/1.0 ", 0) == 0)
    {
        auto const status = reply.headers.substr(9, reply.headers.find("\r\n") - 9);
        if(status.rfind("503", 0) == 0)
            return "no responders: no JetStream stream takes the subject";
        return "status " + status;
    }
    boost::system::error_code ec;
    auto const v = json::parse(reply.payload, ec);
    if(ec || !v.is_object())
        return "not a JetStream reply: " + reply.payload.substr(0, 200);
    auto const& o = v.as_object();
    if(auto const* e = o.if_contains("error"))
    {
        // A stream created already with another configuration is there, which is what we asked.
        if(e->is_object())
            if(auto const* code = e->as_object().if_contains("err_code"); code && code->is_int64() && code->as_int64() == 10058)
                return {};
        return "JetStream: " + json::serialize(*e);
    }
    if(o.contains("stream") || o.contains("config"))
        return {};
    return "not a JetStream reply: " + reply.payload.substr(0, 200);
}

nats_sink::nats_sink(net::any_io_executor ex, std::string name, nats_target t)
    : tcp_sink(std::move(ex), std::move(name), t.host, t.port), target_(std::move(t))
{
}

void nats_sink::open()
{
    phase_ = phase::connecting;
    tcp_sink::open();
}

void nats_sink::connected()
{
    parser_ = nats_parser{};
    std::random_device rd;
    std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
    char id[17];
    std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
    inbox_ = std::string("_INBOX.") + id + ".";
    phase_ = phase::handshake; // INFO comes first
}

void nats_sink::transmit(std::uint64_t id, message const& m)
{
    send(nats_hpub(target_.subject, inbox_ + std::to_string(id), m));
}

void nats_sink::handle(nats_op const& op, std::uint64_t generation)
{
    switch(op.kind)
    {
    case nats_op::info:
        if(phase_ == phase::handshake)
        {
            json::object connect{{"verbose", false}, {"pedantic", false}, {"headers", true}, {"no_responders", true},
                                 {"protocol", 1}, {"lang", "cpp"}, {"version", "0.1.0"}, {"name", "catena-webhookd"}};
            if(!target_.token.empty())
                connect["auth_token"] = target_.token;
            // The PONG to this PING says the server took CONNECT and SUB.
            send("CONNECT " + json::serialize(connect) + "\r\nSUB " + inbox_ + "* 1\r\nPING\r\n");
        }
        return;
    case nats_op::ping:
        return send("PONG\r\n");
    case nats_op::ok:
        return;
    case nats_op::err:
        return fail(generation, "server: " + op.payload);
    case nats_op::pong:
        if(phase_ != phase::handshake)
            return;
        if(!target_.stream.empty())
        {
            phase_ = phase::creating;
            json::object config{{"name", target_.stream},
                                {"subjects", json::array{json::value(target_.subject)}},
                                {"duplicate_window", 120'000'000'000LL}};
            auto const body = json::serialize(config);
            return send("PUB $JS.API.STREAM.CREATE." + target_.stream + " " + inbox_ + "create " +
                        std::to_string(body.size()) + "\r\n" + body + "\r\n");
        }
        phase_ = phase::open;
        return ready();
    case nats_op::msg:
        break;
    }
    if(op.subject.rfind(inbox_, 0) != 0)
        return; // not ours: a reply from before a reconnect
    auto const tail = op.subject.substr(inbox_.size());
    auto const problem = nats_reply_problem(op);
    if(tail == "create")
    {
        if(phase_ != phase::creating)
            return;
        if(!problem.empty())
            return fail(generation, "stream " + target_.stream + ": " + problem);
        phase_ = phase::open;
        return ready();
    }
    auto const id = number(tail);
    if(!id)
        return;
    if(problem.empty())
        acknowledged(*id);
    else
        refused(*id, problem);
}

void nats_sink::received(std::string_view bytes, std::uint64_t generation)
{
    if(!parser_.feed(bytes))
        return fail(generation, parser_.error());
    while(auto op = parser_.next())
    {
        handle(*op, generation);
        if(generation != this->generation())
            return;
    }
}

} // namespace webhookd::sinks
