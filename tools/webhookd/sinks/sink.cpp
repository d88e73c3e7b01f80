// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/sink.cpp - what every sink shares: a queue of messages kept until acknowledged, reconnects and back-off.
#include "sink.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

namespace webhookd::sinks {

namespace net = boost::asio;

sink::sink(net::any_io_executor ex, std::string name)
    : strand_(net::make_strand(ex)), name_(std::move(name)), timer_(strand_)
{
    status_.name = name_;
}

void sink::start()
{
    net::dispatch(strand_, [self = shared_from_this()] { self->open(); });
}

void sink::stop()
{
    net::dispatch(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->ready_ = false;
        self->timer_.cancel();
        self->close();
    });
}

void sink::hand(std::shared_ptr<message const> m, ack_fn ack)
{
    net::post(strand_, [self = shared_from_this(), m = std::move(m), ack = std::move(ack)]() mutable {
        auto const id = self->next_id_++;
        self->entries_.emplace(id, entry{std::move(m), std::move(ack), clock::now()});
        self->publish();
        self->pump();
    });
}

// Sends what waits, oldest first, while the window allows.
void sink::pump()
{
    if(!ready_ || waiting_ || stopped_)
        return;
    for(auto& [id, e] : entries_)
    {
        if(out_ >= window())
            break;
        if(e.out)
            continue;
        e.out = true;
        ++out_;
        {
            std::lock_guard lock(status_mutex_);
            ++status_.sent;
            if(e.sends > 0)
                ++status_.retries;
        }
        ++e.sends;
        transmit(id, *e.msg);
        if(!ready_)
            return; // transmit() found the connection gone
    }
}

void sink::ready()
{
    ready_ = true;
    {
        std::lock_guard lock(status_mutex_);
        status_.connected = true;
        status_.last_error.clear();
    }
    pump();
}

void sink::lost(std::string const& why)
{
    if(stopped_)
        return;
    ready_ = false;
    // Whatever was out may or may not have arrived: it goes out again (same idempotency key).
    for(auto& [id, e] : entries_)
        e.out = false;
    out_ = 0;
    {
        std::lock_guard lock(status_mutex_);
        status_.connected = false;
    }
    note(why);
    back_off([this] { open(); });
}

void sink::acknowledged(std::uint64_t id)
{
    auto it = entries_.find(id);
    if(it == entries_.end() || !it->second.out)
        return; // an answer to a copy sent before a reconnect
    auto ack = std::move(it->second.ack);
    entries_.erase(it);
    --out_;
    failures_ = 0;
    {
        std::lock_guard lock(status_mutex_);
        ++status_.acknowledged;
    }
    publish();
    ack();
    pump();
}

void sink::refused(std::uint64_t id, std::string const& why)
{
    auto it = entries_.find(id);
    if(it == entries_.end() || !it->second.out)
        return;
    it->second.out = false;
    --out_;
    note(why);
    if(!waiting_)
        back_off([this] { pump(); });
}

void sink::back_off(std::function<void()> then)
{
    if(stopped_)
        return;
    ++failures_;
    auto const ms = std::min<long>(5000, 100L << std::min(failures_ - 1, 6u));
    waiting_ = true;
    // A back-off that replaces a running one cancels it: the cancelled wait must not end the new one.
    auto const generation = ++wait_generation_;
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([self = shared_from_this(), then = std::move(then), generation](boost::system::error_code) {
        if(generation != self->wait_generation_)
            return;
        self->waiting_ = false;
        if(self->stopped_)
            return;
        then();
    });
}

void sink::set_connected(bool up)
{
    std::lock_guard lock(status_mutex_);
    status_.connected = up;
    if(up)
        status_.last_error.clear();
}

void sink::note(std::string const& error)
{
    std::lock_guard lock(status_mutex_);
    status_.last_error = error;
}

void sink::publish()
{
    std::lock_guard lock(status_mutex_);
    status_.pending = entries_.size();
    if(!entries_.empty())
        oldest_ = entries_.begin()->second.since;
}

catena::webhooks::sink_status sink::status() const
{
    std::lock_guard lock(status_mutex_);
    auto s = status_;
    if(s.pending > 0)
        s.lag_seconds = std::chrono::duration<double>(clock::now() - oldest_).count();
    return s;
}

} // namespace webhookd::sinks
