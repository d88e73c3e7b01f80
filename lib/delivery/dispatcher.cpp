// SPDX-License-Identifier: BSL-1.0
// lib/delivery/dispatcher.cpp - ordered, isolated, retried callbacks.
#include "delivery/dispatcher.hpp"

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>

namespace catena::webhooks::detail {

namespace net = boost::asio;

std::optional<std::string> invoke_callback(std::function<void()> const& call) noexcept
{
    try
    {
        call();
        return std::nullopt;
    }
    catch(std::exception const& x)
    {
        try
        {
            return std::string(x.what());
        }
        catch(...)
        {
            return std::optional<std::string>(std::in_place);
        }
    }
    catch(...)
    {
        try
        {
            return std::string("unknown exception");
        }
        catch(...)
        {
            return std::optional<std::string>(std::in_place);
        }
    }
}

dispatcher::dispatcher(net::strand<net::any_io_executor> processing, net::any_io_executor callback_executor,
                       callback_policy policy, hooks h)
    : strand_(std::move(processing)), callback_ex_(std::move(callback_executor)), policy_(policy), hooks_(std::move(h))
{
    if(policy_.max_attempts == 0)
        policy_.max_attempts = 1;
}

void dispatcher::enqueue(std::string const& queue, callback_job job)
{
    backlog_.fetch_add(1, std::memory_order_relaxed);
    if(running_here_)
    {
        // Enqueued by the job running inline below: it goes after that job, whatever
        // becomes of it.
        deferred_.emplace_back(queue, std::move(job));
        return;
    }
    place(queue, std::move(job));
    while(!deferred_.empty())
    {
        auto next = std::move(deferred_.front());
        deferred_.pop_front();
        place(next.first, std::move(next.second));
    }
}

void dispatcher::place(std::string const& queue, callback_job job)
{
    // The common case: nothing waits in the job's queue and the job runs here. It runs at
    // once, without a queue made and unmade around it; a queue is made only if it fails.
    if((!callback_ex_ || job.internal) && !job.async_call && !queues_.contains(queue))
    {
        running_here_ = true;
        auto failure = invoke_callback(job.call);
        running_here_ = false;
        if(!failure)
        {
            backlog_.fetch_sub(1, std::memory_order_relaxed);
            return;
        }
        auto q = queue_named(queue);
        q->jobs.push_back(std::move(job));
        if(finish(q, failure))
            pump(q);
        return;
    }
    auto q = queue_named(queue);
    q->jobs.push_back(std::move(job));
    pump(q);
}

dispatcher::queue_ptr dispatcher::queue_named(std::string const& queue)
{
    auto& q = queues_[queue];
    if(!q)
    {
        q = std::make_shared<queue_state>();
        q->name = queue;
    }
    return q;
}

void dispatcher::merge(std::string const& from, std::string const& into)
{
    auto f = queues_.find(from);
    if(f == queues_.end() || queues_.contains(into))
        return; // nothing waits under `from`, or both have work: each keeps its own order
    auto q = std::move(f->second);
    queues_.erase(f);
    q->name = into;
    queues_.emplace(into, std::move(q));
}

void dispatcher::hurry()
{
    hurry_ = true;
    for(auto& [name, q] : queues_)
        if(q->timer)
            q->timer->cancel();
}

std::chrono::milliseconds dispatcher::backoff(unsigned attempts) const
{
    auto const factor = std::pow(policy_.backoff_multiplier, static_cast<double>(attempts > 0 ? attempts - 1 : 0));
    auto const ms = static_cast<double>(policy_.initial_backoff.count()) * factor;
    return std::chrono::milliseconds(
        static_cast<long long>(std::min(ms, static_cast<double>(policy_.max_backoff.count()))));
}

void dispatcher::retire_if_idle(queue_ptr const& q)
{
    if(q->busy || !q->jobs.empty())
        return;
    if(auto it = queues_.find(q->name); it != queues_.end() && it->second == q)
        queues_.erase(it);
}

void dispatcher::pump(queue_ptr const& q)
{
    while(!q->busy && !q->jobs.empty())
    {
        if(q->jobs.front().async_call)
            return start_async(q);
        if(!callback_ex_ || q->jobs.front().internal)
        {
            // Busy while it runs, so that what it enqueues waits behind it.
            q->busy = true;
            auto failure = invoke_callback(q->jobs.front().call);
            q->busy = false;
            if(!finish(q, failure))
                return;
            continue;
        }
        q->busy = true;
        net::post(callback_ex_, [self = shared_from_this(), q, call = q->jobs.front().call] {
            auto failure = invoke_callback(call);
            net::post(self->strand_, [self, q, failure = std::move(failure)] {
                q->busy = false;
                if(self->finish(q, failure))
                    self->pump(q);
            });
        });
        return;
    }
    retire_if_idle(q);
}

// The queue stays busy until the completion comes back; its outcome is posted to the strand
// (never handled inline, so a handler that completes at once does not re-enter pump). The
// completion holds outstanding work on the strand's executor: a drain waits for it.
void dispatcher::start_async(queue_ptr const& q)
{
    q->busy = true;
    auto work = net::prefer(net::any_io_executor(strand_), net::execution::outstanding_work.tracked);
    completion c([self = shared_from_this(), q, work](std::optional<std::string> failure) {
        net::post(self->strand_, [self, q, failure = std::move(failure)] {
            q->busy = false;
            if(self->finish(q, failure))
                self->pump(q);
        });
    });
    auto start = [call = q->jobs.front().async_call, c = std::make_shared<completion>(std::move(c))]() mutable {
        // A handler that throws drops its completion, which fails the call.
        (void)invoke_callback([&] { call(std::move(*c)); });
    };
    if(callback_ex_)
        net::post(callback_ex_, std::move(start));
    else
        start();
}

bool dispatcher::finish(queue_ptr const& q, std::optional<std::string> const& failure)
{
    auto& job = q->jobs.front();
    ++job.attempts;
    if(!failure)
    {
        q->jobs.pop_front();
        backlog_.fetch_sub(1, std::memory_order_relaxed);
        return true;
    }
    if(hooks_.report)
        hooks_.report(error::handler_exception,
                      job.handler + " threw on attempt " + std::to_string(job.attempts) + ": " + *failure, job);
    if(job.attempts >= policy_.max_attempts)
    {
        dead_letter d;
        d.kind = dead_letter_kind::callback_failed;
        d.ec = error::callback_dead_lettered;
        d.reason = reason(d.ec);
        if(job.ev)
        {
            d.sequence = job.ev->sequence;
            d.request_id = job.ev->request_id;
            d.webhook_id = job.ev->webhook_id;
            d.event_type = job.ev->event_name;
            d.body = boost::json::serialize(job.ev->record);
        }
        else
            d.body = job.description;
        d.idempotency_key = job.idempotency_key.empty() && job.ev ? job.ev->idempotency_key : job.idempotency_key;
        d.handler = job.handler;
        d.error_text = *failure;
        d.attempts = job.attempts;
        if(hooks_.report)
            hooks_.report(error::callback_dead_lettered,
                          job.handler + " failed " + std::to_string(job.attempts) + " times; dead-lettered", job);
        q->jobs.pop_front();
        backlog_.fetch_sub(1, std::memory_order_relaxed);
        dead_lettered_.fetch_add(1, std::memory_order_relaxed);
        if(hooks_.dead_letter)
            hooks_.dead_letter(std::move(d));
        return true;
    }
    retries_.fetch_add(1, std::memory_order_relaxed);
    if(hurry_)
        return true; // retry at once
    q->busy = true;
    q->timer = std::make_unique<net::steady_timer>(strand_);
    q->timer->expires_after(backoff(job.attempts));
    q->timer->async_wait([self = shared_from_this(), q](error_code) {
        q->busy = false;
        q->timer.reset();
        self->pump(q);
    });
    return false;
}

} // namespace catena::webhooks::detail
