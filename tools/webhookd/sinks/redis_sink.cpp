// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/redis_sink.cpp - XADD to a Redis stream, pipelined on one connection.
#include "redis_sink.hpp"

#include <hiredis/hiredis.h>

#include <array>
#include <vector>

namespace webhookd::sinks {

namespace net = boost::asio;

namespace {

std::string format(std::vector<std::string> const& args)
{
    std::vector<char const*> argv;
    std::vector<std::size_t> lens;
    for(auto const& a : args)
    {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    char* cmd = nullptr;
    int const n = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
    if(n < 0 || !cmd)
        throw std::bad_alloc();
    std::string out(cmd, static_cast<std::size_t>(n));
    redisFreeCommand(cmd);
    return out;
}

} // namespace

std::string redis_xadd(redis_target const& t, message const& m)
{
    std::vector<std::string> args{"XADD", t.stream};
    if(t.maxlen)
    {
        args.insert(args.end(), {"MAXLEN", "~", std::to_string(t.maxlen)});
    }
    args.insert(args.end(), {"*", "kind", m.kind, "idempotency_key", m.idempotency_key, "event", m.json});
    return format(args);
}

redis_sink::redis_sink(net::any_io_executor ex, std::string name, redis_target t)
    : tcp_sink(std::move(ex), std::move(name), t.host, t.port), target_(std::move(t))
{
}

redis_sink::~redis_sink()
{
    if(reader_)
        redisReaderFree(reader_);
}

void redis_sink::connected()
{
    if(reader_)
        redisReaderFree(reader_);
    reader_ = redisReaderCreate();
    if(!reader_)
        throw std::bad_alloc();
    awaiting_.clear();
    if(!target_.password.empty())
    {
        awaiting_.push_back(std::nullopt);
        send(format({"AUTH", target_.password}));
    }
    ready();
}

void redis_sink::transmit(std::uint64_t id, message const& m)
{
    awaiting_.push_back(id);
    send(redis_xadd(target_, m));
}

void redis_sink::received(std::string_view bytes, std::uint64_t generation)
{
    if(redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK)
        return fail(generation, "unreadable reply");
    for(;;)
    {
        void* r = nullptr;
        if(redisReaderGetReply(reader_, &r) != REDIS_OK)
            return fail(generation, std::string("protocol error: ") + reader_->errstr);
        if(!r)
            return;
        auto* reply = static_cast<redisReply*>(r);
        bool const error = reply->type == REDIS_REPLY_ERROR;
        std::string const text = error ? std::string(reply->str, reply->len) : std::string();
        freeReplyObject(reply);
        if(awaiting_.empty())
            return fail(generation, "a reply nothing asked for");
        auto const id = awaiting_.front();
        awaiting_.pop_front();
        if(!id)
        {
            if(error)
                return fail(generation, "AUTH: " + text);
            continue;
        }
        if(error)
            refused(*id, "XADD: " + text);
        else
            acknowledged(*id);
        if(generation != this->generation())
            return;
    }
}

void redis_sink::dropped() { awaiting_.clear(); }

} // namespace webhookd::sinks
