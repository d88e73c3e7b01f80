// SPDX-License-Identifier: BSL-1.0
// lib/store/pg_leadership.hpp - which of the receivers sharing a PostgreSQL database processes: the election.
#ifndef CATENA_WEBHOOKS_STORE_PG_LEADERSHIP_HPP
#define CATENA_WEBHOOKS_STORE_PG_LEADERSHIP_HPP

#include "store/pg.hpp"
#include "store/pg_schema.hpp"
#include "store/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace catena::webhooks::detail {

struct pg_leadership_options
{
    std::string name;                           ///< catena_leader.holder when elected
    std::chrono::milliseconds leader_poll{250}; ///< lock attempts, and the leader's session check
    std::chrono::milliseconds refresh_interval{1000}; ///< backlog counts, a standby's state reload
    std::size_t history_per_fleet = 256;        ///< transitions a standby reloads per fleet
};

/** The election, on a thread and a PostgreSQL session of its own (the advisory lock
    pg_leader_lock is the session's): whoever holds the lock leads, under an epoch it raised
    in catena_leader when elected. A leader that loses its session, or whose commit finds a
    newer epoch (fenced()), has lost for good: it never leads again.

    Every refresh interval it also counts the shared inbox's backlog for `backlog` (any
    receiver's appends are in it), and a standby reloads the fleet state when the leader
    committed new state.

    @par Thread safety
    leading(), epoch(), changes() and fenced(): any thread. The rest: the owner's.
*/
class pg_leadership
{
public:
    pg_leadership(pg_leadership_options o, std::function<void(pg_backlog const&)> backlog);
    ~pg_leadership();
    pg_leadership(pg_leadership const&) = delete;
    pg_leadership& operator=(pg_leadership const&) = delete;

    /// Connects the election's session.
    bool open(pg_conninfo const& conninfo, std::string& why) { return l_.open(conninfo, why); }
    /// Starts the election thread; the hooks say what happens to this receiver.
    void start(leadership_hooks h);
    /// Stops and joins the thread (the lock goes with the session when this is destroyed).
    void stop();

    bool leading() const noexcept { return leading_.load(); }
    /// The epoch this receiver was elected in, -1 when not leading.
    std::int64_t epoch() const noexcept { return epoch_.load(); }
    /// Times this receiver gained or lost the leadership.
    std::uint64_t changes() const noexcept { return changes_.load(std::memory_order_relaxed); }
    /// A commit found catena_leader under a newer epoch: another receiver leads.
    void fenced();

private:
    void run();
    bool stopped();
    void wait(std::chrono::milliseconds d);
    bool watch_as_leader();
    bool try_lock();
    std::int64_t current_epoch();
    bool listen();
    void elect();
    void lose();
    void refresh_standby(std::int64_t& fleets_seen, std::chrono::steady_clock::time_point& next);
    void refresh_backlog(std::chrono::steady_clock::time_point& next);

    pg_leadership_options const o_;
    std::function<void(pg_backlog const&)> const backlog_;
    leadership_hooks hooks_;
    pg_connection l_; // the thread's: holds the advisory lock
    std::chrono::steady_clock::time_point next_beat_{};
    std::atomic<std::int64_t> epoch_{-1};
    std::atomic<bool> leading_{false}, fence_hit_{false};
    bool lost_ = false; // the thread's
    std::atomic<std::uint64_t> changes_{0};

    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false; // under mutex_
    std::thread thread_;
};

} // namespace catena::webhooks::detail

#endif
