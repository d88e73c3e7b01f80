// SPDX-License-Identifier: BSL-1.0
// lib/store/pg_leadership.cpp - which of the receivers sharing a PostgreSQL database processes: the election.
#include "store/pg_leadership.hpp"

#include <poll.h>

#include <algorithm>

namespace catena::webhooks::detail {

pg_leadership::pg_leadership(pg_leadership_options o, std::function<void(pg_backlog const&)> backlog)
    : o_(std::move(o)), backlog_(std::move(backlog))
{
}

pg_leadership::~pg_leadership() { stop(); }

void pg_leadership::start(leadership_hooks h)
{
    hooks_ = std::move(h);
    thread_ = std::thread([this] { run(); });
}

void pg_leadership::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if(thread_.joinable())
        thread_.join();
}

void pg_leadership::fenced()
{
    fence_hit_.store(true);
    cv_.notify_all();
}

void pg_leadership::run()
{
    auto next_refresh = std::chrono::steady_clock::now();
    std::int64_t fleets_seen = -1;
    auto next_mirror = std::chrono::steady_clock::now();
    bool session_lost = false;
    for(;;)
    {
        {
            std::unique_lock lock(mutex_);
            if(stopping_)
                break;
        }
        if(fence_hit_.load())
            lose();
        if(!lost_ && leading_.load() && l_.healthy() && !session_lost)
            session_lost = !watch_as_leader();
        else
            wait(o_.leader_poll);
        if(stopped())
            break;
        if(lost_)
        {
            refresh_backlog(next_refresh);
            continue;
        }
        // A leader's session that went is its lock gone: ensure() connects a new session
        // without it, so the loss is noted first.
        if(leading_.load() && !l_.healthy())
            session_lost = true;
        if(!l_.ensure())
            continue;
        if(leading_.load() && session_lost)
        {
            // The session (and its lock) went and came back: still ours only if nobody
            // was elected meanwhile.
            session_lost = false;
            if(!try_lock() || current_epoch() != epoch_.load() || !listen())
                lose();
        }
        else if(!leading_.load())
        {
            if(try_lock())
                elect();
            else
                refresh_standby(fleets_seen, next_mirror);
        }
        refresh_backlog(next_refresh);
    }
}

bool pg_leadership::stopped()
{
    std::lock_guard lock(mutex_);
    return stopping_;
}

void pg_leadership::wait(std::chrono::milliseconds d)
{
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, d, [this] { return stopping_ || fence_hit_.load(); });
}

// The leader waits for notifications of kept deliveries (or the poll interval); false
// when its session is gone.
bool pg_leadership::watch_as_leader()
{
    pollfd pfd{PQsocket(l_.native()), POLLIN, 0};
    if(pfd.fd < 0)
        return false;
    ::poll(&pfd, 1, static_cast<int>(std::min<std::int64_t>(o_.leader_poll.count(), 100)));
    if(!PQconsumeInput(l_.native()))
        return false;
    bool any = false;
    while(PGnotify* n = PQnotifies(l_.native()))
    {
        PQfreemem(n);
        any = true;
    }
    if(any && hooks_.arrived)
        hooks_.arrived();
    // A session whose server is gone is noticed by a round trip.
    if(std::chrono::steady_clock::now() >= next_beat_)
    {
        next_beat_ = std::chrono::steady_clock::now() + o_.leader_poll;
        return l_.exec("SELECT 1").ok();
    }
    return l_.healthy();
}

bool pg_leadership::try_lock()
{
    auto const r = l_.exec(("SELECT pg_try_advisory_lock(" + std::to_string(pg_leader_lock) + ")").c_str(), {}, false);
    return r.ok() && r.rows() == 1 && r.text(0, 0) == "t";
}

std::int64_t pg_leadership::current_epoch()
{
    auto const r = l_.exec("SELECT epoch FROM catena_leader WHERE id = 1", {});
    return r.ok() && r.rows() == 1 ? r.integer(0, 0) : -1;
}

bool pg_leadership::listen() { return l_.exec((std::string("LISTEN ") + pg_inbox_channel).c_str()).ok(); }

void pg_leadership::elect()
{
    auto const r = l_.exec("UPDATE catena_leader SET epoch = epoch + 1, holder = $1, since = now(), beat = now() "
                           "WHERE id = 1 RETURNING epoch",
                           pg_params().text(o_.name));
    if(!r.ok() || r.rows() != 1 || !listen())
    {
        l_.close(); // the lock goes with the session; tried again at the next poll
        return;
    }
    epoch_.store(r.integer(0, 0));
    leading_.store(true);
    changes_.fetch_add(1, std::memory_order_relaxed);
    if(hooks_.gained)
        hooks_.gained();
}

void pg_leadership::lose()
{
    if(lost_)
        return;
    lost_ = true;
    fence_hit_.store(false);
    bool const was = leading_.exchange(false);
    epoch_.store(-1);
    l_.close();
    if(was)
        changes_.fetch_add(1, std::memory_order_relaxed);
    if(hooks_.lost)
        hooks_.lost();
}

// At most once per refresh interval: a reload reads every fleet.
void pg_leadership::refresh_standby(std::int64_t& fleets_seen, std::chrono::steady_clock::time_point& next)
{
    auto const now = std::chrono::steady_clock::now();
    if(!hooks_.shared_state || now < next)
        return;
    next = now + o_.refresh_interval;
    auto const r = l_.exec("SELECT fleets_version FROM catena_leader WHERE id = 1", {});
    if(!r.ok() || r.rows() != 1 || r.integer(0, 0) == fleets_seen)
        return;
    std::vector<fleet_capture> fleets;
    std::vector<transition> transitions;
    if(!pg_load_state(l_, o_.history_per_fleet, fleets, transitions))
        return;
    fleets_seen = r.integer(0, 0);
    hooks_.shared_state(std::move(fleets), std::move(transitions));
}

void pg_leadership::refresh_backlog(std::chrono::steady_clock::time_point& next)
{
    auto const now = std::chrono::steady_clock::now();
    if(now < next || !l_.ensure())
        return;
    next = now + o_.refresh_interval;
    pg_backlog b;
    if(!pg_count_backlog(l_, b))
        return;
    backlog_(b);
    // A safety net under the notifications: a take() that failed (a session the server
    // dropped) is not followed by one, but the backlog is looked at every interval.
    if(b.entries > 0 && leading_.load() && hooks_.arrived)
        hooks_.arrived();
}

} // namespace catena::webhooks::detail
