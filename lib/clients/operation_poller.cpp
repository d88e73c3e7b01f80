// SPDX-License-Identifier: BSL-1.0
// lib/clients/operation_poller.cpp - polling of resource operations whose result webhook did not come.
#include "clients/operation_poller.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

namespace catena::webhooks::detail {

namespace net = boost::asio;

poll_schedule::poll_schedule(operation_polling_options const& o) : opts_(o) {}

std::chrono::seconds poll_schedule::backoff(unsigned n) const
{
    auto d = std::max(opts_.initial_backoff, std::chrono::seconds(1));
    for(unsigned i = 1; i < n && d < opts_.max_backoff; ++i)
        d *= 2;
    return std::min(d, std::max(opts_.max_backoff, opts_.initial_backoff));
}

void poll_schedule::watch(operation_ref const& ref, timestamp now)
{
    auto [it, fresh] = ops_.try_emplace(ref.operation_id);
    auto& s = it->second;
    bool const learned = !ref.connection_id.empty() && s.ref.connection_id.empty();
    if(!ref.connection_id.empty())
        s.ref.connection_id = ref.connection_id;
    if(!ref.resource.empty())
        s.ref.resource = ref.resource;
    s.ref.operation_id = ref.operation_id;
    // The grace runs from the tracking, or from when the connection became known.
    if((fresh || learned) && !s.ref.connection_id.empty() && !s.in_flight)
        s.due = now + opts_.grace;
}

void poll_schedule::forget(std::string const& id) { ops_.erase(id); }

void poll_schedule::cover(timestamp now)
{
    for(auto& [id, s] : ops_)
        if(!s.ref.connection_id.empty() && !s.in_flight)
        {
            s.due = now;
            s.listing = true;
        }
}

std::vector<poll_schedule::job> poll_schedule::take(timestamp now)
{
    while(!sent_.empty() && sent_.front() + opts_.per <= now)
        sent_.pop_front();
    // Due operations, the longest-waiting first.
    std::vector<std::pair<timestamp, std::string const*>> due;
    for(auto const& [id, s] : ops_)
        if(!s.in_flight && s.due && *s.due <= now)
            due.emplace_back(*s.due, &id);
    std::sort(due.begin(), due.end(), [](auto const& a, auto const& b) { return a.first < b.first; });

    std::vector<job> jobs;
    std::map<std::pair<std::string, std::string>, std::size_t> listing_of; // (connection, resource) -> job
    for(auto const& [when, id] : due)
    {
        auto& s = ops_.at(*id);
        if(s.listing)
            if(auto it = listing_of.find({s.ref.connection_id, s.ref.resource}); it != listing_of.end())
            {
                jobs[it->second].operation_ids.push_back(*id);
                s.in_flight = true;
                s.due.reset();
                continue;
            }
        if(sent_.size() >= opts_.max_polls)
        {
            ++deferred_;
            break;
        }
        sent_.push_back(now);
        job j;
        j.listing = s.listing;
        j.connection_id = s.ref.connection_id;
        j.resource = s.ref.resource;
        j.operation_ids.push_back(*id);
        if(s.listing)
            listing_of.emplace(std::pair{s.ref.connection_id, s.ref.resource}, jobs.size());
        jobs.push_back(std::move(j));
        s.in_flight = true;
        s.due.reset();
    }
    return jobs;
}

void poll_schedule::answered(std::string const& id, answer a, timestamp now, std::string problem)
{
    auto it = ops_.find(id);
    if(it == ops_.end())
        return;
    auto& s = it->second;
    s.in_flight = false;
    s.listing = false;
    switch(a)
    {
    case answer::decided: ops_.erase(it); return;
    case answer::not_listed: s.due = now; return;
    case answer::pending:
        ++s.polls;
        s.failures_in_a_row = 0;
        s.last_problem.clear();
        s.due = now + backoff(s.polls);
        return;
    case answer::failed:
        ++s.polls;
        ++s.failures_in_a_row;
        s.last_problem = std::move(problem);
        s.due = now + backoff(s.polls);
        return;
    }
}

std::optional<timestamp> poll_schedule::next_due() const
{
    std::optional<timestamp> d;
    for(auto const& [id, s] : ops_)
        if(!s.in_flight && s.due && (!d || *s.due < *d))
            d = s.due;
    if(d && sent_.size() >= opts_.max_polls && !sent_.empty())
        d = std::max(*d, sent_.front() + opts_.per);
    return d;
}

//------------------------------------------------------------------------------

namespace {

bool carries_operations(std::string_view event_name)
{
    // Unknown, a wildcard of everything, or resource_operation.*: the gap may hide a result.
    return event_name.empty() || event_name == "*" || event_name.starts_with("resource_operation");
}

} // namespace

struct operation_poller::impl : std::enable_shared_from_this<impl>
{
    impl(net::any_io_executor ex, operation_polling_options const& o, hooks hk)
        : strand(net::make_strand(ex)), opts(o), h(std::move(hk)), api(strand, o.api), timer(strand), schedule(o)
    {
    }

    net::strand<net::any_io_executor> strand;
    operation_polling_options const opts;
    hooks h;
    notifications_client api;
    net::steady_timer timer;
    bool stopping = false;

    mutable std::mutex mutex; // schedule: changed on the strand, read by snapshot()
    poll_schedule schedule;

    std::atomic<std::uint64_t> requests{0}, listings{0}, found{0}, still_pending{0}, failures{0}, gaps{0};

    // Wakes when the schedule next has something to do, but at least every second, so that
    // the receiver's clock (which may jump, or be a test's) is followed. Armed once at a time:
    // an operation watched meanwhile is due a grace period later and found at that wake, so
    // tracking many operations costs no scan of the schedule each.
    bool armed = false;

    void arm()
    {
        if(stopping || armed)
            return;
        std::optional<timestamp> due;
        {
            std::lock_guard lock(mutex);
            due = schedule.next_due();
        }
        if(!due)
            return;
        auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*due - h.clock());
        wait = std::clamp<std::chrono::steady_clock::duration>(wait, std::chrono::steady_clock::duration::zero(),
                                                               std::chrono::seconds(1));
        armed = true;
        timer.expires_after(wait);
        timer.async_wait([self = shared_from_this()](error_code ec) {
            self->armed = false;
            if(!ec)
                self->run();
        });
    }

    void run()
    {
        if(stopping)
            return;
        std::vector<poll_schedule::job> jobs;
        {
            std::lock_guard lock(mutex);
            jobs = schedule.take(h.clock());
        }
        for(auto& j : jobs)
        {
            ++requests;
            if(j.listing)
                list(std::move(j));
            else
                ask(std::move(j));
        }
        arm();
    }

    void answer(std::string const& id, poll_schedule::answer a, std::string problem = {})
    {
        std::lock_guard lock(mutex);
        schedule.answered(id, a, h.clock(), std::move(problem));
    }

    // An outcome from the API: a final one goes to processing, a pending one waits.
    void take_result(operation_result r)
    {
        if(r.status == operation_status::pending)
        {
            ++still_pending;
            answer(r.operation_id, poll_schedule::answer::pending);
            return;
        }
        ++found;
        answer(r.operation_id, poll_schedule::answer::decided);
        h.found(std::move(r));
    }

    void fail(std::vector<std::string> const& ids, api_error const& e, std::string const& what)
    {
        ++failures;
        auto const text = what + ": " + e.what();
        for(auto const& id : ids)
            answer(id, poll_schedule::answer::failed, text);
        h.report(e.ec, text + " (no outcome taken; asked again after a back-off)");
    }

    void ask(poll_schedule::job j)
    {
        auto const id = j.operation_ids.front();
        api.resource_operation(j.connection_id, id, [self = shared_from_this(), j](api_result<operation_result> r) {
            net::post(self->strand, [self, j, r = std::move(r)]() mutable {
                if(self->stopping)
                    return;
                if(!r)
                    self->fail(j.operation_ids, r.error(),
                               "cannot poll operation " + j.operation_ids.front() + " on connection " + j.connection_id);
                else
                    self->take_result(std::move(*r));
                self->arm();
            });
        });
    }

    void list(poll_schedule::job j)
    {
        ++listings;
        api.resource_operations(j.connection_id, j.resource,
                                [self = shared_from_this(), j](api_result<std::vector<operation_result>> r) {
                                    net::post(self->strand, [self, j, r = std::move(r)]() mutable {
                                        if(self->stopping)
                                            return;
                                        if(!r)
                                            self->fail(j.operation_ids, r.error(),
                                                       "cannot list the operations of connection " + j.connection_id);
                                        else
                                            self->take_listing(j, std::move(*r));
                                        self->arm();
                                    });
                                });
    }

    void take_listing(poll_schedule::job const& j, std::vector<operation_result> listed)
    {
        std::set<std::string> named;
        std::set<std::string> const wanted(j.operation_ids.begin(), j.operation_ids.end());
        for(auto& r : listed)
            if(wanted.contains(r.operation_id) && named.insert(r.operation_id).second)
                take_result(std::move(r));
        // What the listing of recent operations does not name is asked alone.
        for(auto const& id : j.operation_ids)
            if(!named.contains(id))
                answer(id, poll_schedule::answer::not_listed);
    }

    void cover()
    {
        ++gaps;
        {
            std::lock_guard lock(mutex);
            schedule.cover(h.clock());
        }
        run();
    }
};

operation_poller::operation_poller(net::any_io_executor ex, operation_polling_options const& opts, hooks h)
    : impl_(std::make_shared<impl>(std::move(ex), opts, std::move(h)))
{
}

operation_poller::~operation_poller() { stop(); }

void operation_poller::stop()
{
    net::post(impl_->strand, [self = impl_] {
        self->stopping = true;
        self->timer.cancel();
        self->api.cancel();
    });
}

void operation_poller::watch(operation_ref ref)
{
    net::post(impl_->strand, [self = impl_, ref = std::move(ref)] {
        {
            std::lock_guard lock(self->mutex);
            self->schedule.watch(ref, self->h.clock());
        }
        self->arm();
    });
}

void operation_poller::forget(std::string id)
{
    net::post(impl_->strand, [self = impl_, id = std::move(id)] {
        std::lock_guard lock(self->mutex);
        self->schedule.forget(id);
    });
}

void operation_poller::stopped(subscription_event const& e)
{
    if(!e.delivery_stopped() || !carries_operations(e.event_name))
        return;
    net::post(impl_->strand, [self = impl_] { self->cover(); });
}

void operation_poller::gap(delivery_gap const& g)
{
    bool const covers = g.events.empty() || std::any_of(g.events.begin(), g.events.end(), [](std::string const& n) {
                            return carries_operations(n);
                        });
    if(covers)
        net::post(impl_->strand, [self = impl_] { self->cover(); });
}

poll_stats operation_poller::stats() const
{
    poll_stats s;
    s.requests = impl_->requests.load();
    s.listings = impl_->listings.load();
    s.found = impl_->found.load();
    s.still_pending = impl_->still_pending.load();
    s.failures = impl_->failures.load();
    s.gaps = impl_->gaps.load();
    std::lock_guard lock(impl_->mutex);
    s.deferred = impl_->schedule.deferred();
    s.watched = impl_->schedule.size();
    return s;
}

std::map<std::string, poll_schedule::state> operation_poller::snapshot() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->schedule.operations();
}

} // namespace catena::webhooks::detail
