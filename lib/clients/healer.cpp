// SPDX-License-Identifier: BSL-1.0
// lib/clients/healer.cpp - self-healing of stopped subscriptions.
#include "clients/healer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <map>
#include <set>

namespace catena::webhooks::detail {

namespace net = boost::asio;

struct healer::impl : std::enable_shared_from_this<impl>
{
    impl(net::any_io_executor ex, heal_options const& o, hooks hk)
        : strand(net::make_strand(ex))
        , opts(o)
        , h(std::move(hk))
        , api(strand, o.api)
        , poll_timer(strand)
        , replay_timer(strand)
    {
    }

    struct pending
    {
        std::string cause;
        timestamp since{};
    };

    net::strand<net::any_io_executor> strand;
    heal_options const opts;
    hooks h;
    notifications_client api;
    net::steady_timer poll_timer;
    net::steady_timer replay_timer;
    bool stopping = false;
    bool replaying = false;
    std::chrono::steady_clock::time_point last_replay{};
    std::map<std::string, pending> healing;   // id -> why and since when; reactivation in flight
    std::vector<std::string> replay_queue;     // reactivated, replay not asked yet
    std::set<std::string> queued;

    std::atomic<std::uint64_t> activations{0}, replays{0}, failures{0}, gaps{0}, polls{0};

    void fail(api_error const& e, std::string const& what)
    {
        ++failures;
        h.report(e.ec, what + ": " + e.what() + " (tried again at the next poll)");
    }

    void heal(std::string const& id, std::string cause, timestamp since)
    {
        if(stopping || healing.contains(id) || !h.serves(id))
            return;
        healing.emplace(id, pending{std::move(cause), since});
        api.activate(id, [self = shared_from_this(), id](api_result<webhook_subscription> r) {
            self->on_activated(id, std::move(r));
        });
    }

    void on_activated(std::string const& id, api_result<webhook_subscription> r)
    {
        auto const p = healing.at(id);
        healing.erase(id);
        if(stopping)
            return;
        if(!r)
            return fail(r.error(), "cannot reactivate subscription " + id);
        ++activations;
        auto const now = h.clock();
        subscription_event e;
        e.action = "reactivated";
        e.subscription_id = id;
        e.status = r->status.empty() ? "active" : r->status;
        e.url = r->url;
        e.event_name = r->event_name;
        e.occurred_at = now;
        e.idempotency_key = "heal/" + id + "/reactivated/" + format_rfc3339(now, utc_suffix::z);
        h.step(std::move(e));
        delivery_gap g;
        g.subscription_id = id;
        g.cause = p.cause;
        g.from = std::min(p.since, now);
        g.to = now;
        if(!r->event_name.empty())
            g.events.push_back(r->event_name);
        ++gaps;
        h.gap(std::move(g));
        if(queued.insert(id).second)
            replay_queue.push_back(id);
        replay_next();
    }

    // Replays one at a time, at most one per replay_interval.
    void replay_next()
    {
        if(stopping || replaying || replay_queue.empty())
            return;
        auto const due = last_replay + opts.replay_interval;
        if(std::chrono::steady_clock::now() < due)
        {
            replaying = true;
            replay_timer.expires_at(due);
            replay_timer.async_wait([self = shared_from_this()](error_code ec) {
                self->replaying = false;
                if(!ec)
                    self->replay_next();
            });
            return;
        }
        auto const id = replay_queue.front();
        replay_queue.erase(replay_queue.begin());
        queued.erase(id);
        replaying = true;
        last_replay = std::chrono::steady_clock::now();
        api.replay(id, [self = shared_from_this(), id](api_result<void> r) {
            self->replaying = false;
            if(self->stopping)
                return;
            if(!r)
                self->fail(r.error(), "cannot replay the dead-letter queue of subscription " + id);
            else
            {
                ++self->replays;
                subscription_event e;
                e.action = "replay_requested";
                e.subscription_id = id;
                e.status = "active";
                e.occurred_at = self->h.clock();
                e.idempotency_key = "heal/" + id + "/replay/" + format_rfc3339(*e.occurred_at, utc_suffix::z);
                self->h.step(std::move(e));
            }
            self->replay_next();
        });
    }

    void poll()
    {
        if(stopping)
            return;
        ++polls;
        webhook_query q;
        q.status = "stale";
        api.list(q, [self = shared_from_this()](api_result<std::vector<webhook_subscription>> r) {
            if(self->stopping)
                return;
            if(!r)
                self->fail(r.error(), "cannot list the stale subscriptions");
            else
                for(auto const& s : *r)
                    self->heal(s.id, "poll", self->h.last_delivery(s.id).value_or(self->h.clock()));
            self->arm_poll();
        });
    }

    void arm_poll()
    {
        if(stopping || opts.poll_interval.count() <= 0)
            return;
        poll_timer.expires_after(opts.poll_interval);
        poll_timer.async_wait([self = shared_from_this()](error_code ec) {
            if(!ec)
                self->poll();
        });
    }
};

healer::healer(net::any_io_executor ex, heal_options const& opts, hooks h)
    : impl_(std::make_shared<impl>(std::move(ex), opts, std::move(h)))
{
}

healer::~healer() { stop(); }

void healer::start()
{
    net::post(impl_->strand, [self = impl_] {
        if(self->opts.poll_interval.count() > 0)
            self->poll();
    });
}

void healer::stop()
{
    net::post(impl_->strand, [self = impl_] {
        self->stopping = true;
        self->poll_timer.cancel();
        self->replay_timer.cancel();
        self->api.cancel();
    });
}

void healer::stopped(subscription_event const& e)
{
    if(e.action != "staled" && e.action != "paused")
        return;
    net::post(impl_->strand, [self = impl_, id = e.subscription_id, cause = e.action,
                              since = e.occurred_at.value_or(impl_->h.clock())] { self->heal(id, cause, since); });
}

heal_stats healer::stats() const
{
    heal_stats s;
    s.activations = impl_->activations.load();
    s.replays = impl_->replays.load();
    s.failures = impl_->failures.load();
    s.gaps = impl_->gaps.load();
    s.polls = impl_->polls.load();
    return s;
}

} // namespace catena::webhooks::detail
