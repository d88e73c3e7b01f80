// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/redis_sink.cpp - XADD to a Redis stream, pipelined on one connection.
#include "redis_sink.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include <hiredis/hiredis.h>

#include <array>
#include <vector>

namespace webhookd::sinks {

namespace net = boost::asio;
using tcp = net::ip::tcp;

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
    : sink(std::move(ex), std::move(name)), target_(std::move(t)), resolver_(strand_), socket_(strand_)
{
}

redis_sink::~redis_sink()
{
    if(reader_)
        redisReaderFree(reader_);
}

void redis_sink::reset_reader()
{
    if(reader_)
        redisReaderFree(reader_);
    reader_ = redisReaderCreate();
    if(!reader_)
        throw std::bad_alloc();
    awaiting_.clear();
    outgoing_.clear();
    writing_.clear();
    write_busy_ = false;
}

void redis_sink::open()
{
    auto const generation = ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    resolver_.async_resolve(target_.host, target_.port,
                            [self = std::static_pointer_cast<redis_sink>(shared_from_this()),
                             generation](boost::system::error_code ec, tcp::resolver::results_type r) {
                                if(ec)
                                    return self->fail(generation, "resolve " + self->target_.host + ": " + ec.message());
                                net::async_connect(self->socket_, r, [self, generation](boost::system::error_code cec, auto const&) {
                                    if(cec)
                                        return self->fail(generation, "connect: " + cec.message());
                                    self->on_connected(generation);
                                });
                            });
}

void redis_sink::on_connected(std::uint64_t generation)
{
    if(generation != generation_ || stopped())
        return;
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    reset_reader();
    if(!target_.password.empty())
    {
        outgoing_ += format({"AUTH", target_.password});
        awaiting_.push_back(std::nullopt);
        write(generation);
    }
    read(generation);
    ready();
}

void redis_sink::transmit(std::uint64_t id, message const& m)
{
    outgoing_ += redis_xadd(target_, m);
    awaiting_.push_back(id);
    write(generation_);
}

// One write at a time; what is queued meanwhile goes out together in the next.
void redis_sink::write(std::uint64_t generation)
{
    if(write_busy_ || outgoing_.empty())
        return;
    write_busy_ = true;
    writing_.swap(outgoing_);
    net::async_write(socket_, net::buffer(writing_),
                     [self = std::static_pointer_cast<redis_sink>(shared_from_this()), generation](boost::system::error_code ec,
                                                                                                   std::size_t) {
                         if(generation != self->generation_)
                             return;
                         self->write_busy_ = false;
                         self->writing_.clear();
                         if(ec)
                             return self->fail(generation, "write: " + ec.message());
                         self->write(generation);
                     });
}

void redis_sink::read(std::uint64_t generation)
{
    socket_.async_read_some(
        net::buffer(buffer_), [self = std::static_pointer_cast<redis_sink>(shared_from_this()), generation](
                                  boost::system::error_code ec, std::size_t n) {
            if(generation != self->generation_)
                return;
            if(ec)
                return self->fail(generation, ec == net::error::eof ? std::string("connection closed by the server")
                                                                    : "read: " + ec.message());
            if(redisReaderFeed(self->reader_, self->buffer_, n) != REDIS_OK)
                return self->fail(generation, "unreadable reply");
            for(;;)
            {
                void* r = nullptr;
                if(redisReaderGetReply(self->reader_, &r) != REDIS_OK)
                    return self->fail(generation, std::string("protocol error: ") + self->reader_->errstr);
                if(!r)
                    break;
                auto* reply = static_cast<redisReply*>(r);
                bool const error = reply->type == REDIS_REPLY_ERROR;
                std::string const text = error ? std::string(reply->str, reply->len) : std::string();
                freeReplyObject(reply);
                if(self->awaiting_.empty())
                    return self->fail(generation, "a reply nothing asked for");
                auto const id = self->awaiting_.front();
                self->awaiting_.pop_front();
                if(!id)
                {
                    if(error)
                        return self->fail(generation, "AUTH: " + text);
                    continue;
                }
                if(error)
                    self->refused(*id, "XADD: " + text);
                else
                    self->acknowledged(*id);
                if(generation != self->generation_)
                    return;
            }
            self->read(generation);
        });
}

void redis_sink::fail(std::uint64_t generation, std::string const& why)
{
    if(generation != generation_ || stopped())
        return;
    ++generation_; // every handler of this connection is stale now
    boost::system::error_code ignored;
    socket_.close(ignored);
    awaiting_.clear();
    lost(why);
}

void redis_sink::close()
{
    ++generation_;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.close(ignored);
}

} // namespace webhookd::sinks
