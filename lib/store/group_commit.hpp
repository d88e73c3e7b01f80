// SPDX-License-Identifier: BSL-1.0
// lib/store/group_commit.hpp - many appends in one transaction: the concurrency core of a durable store.
#ifndef CATENA_WEBHOOKS_STORE_GROUP_COMMIT_HPP
#define CATENA_WEBHOOKS_STORE_GROUP_COMMIT_HPP

#include "store/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

namespace catena::webhooks::detail {

/** One append waiting for its transaction. */
struct append_item
{
    inbox_entry e;
    store::append_handler done;
    timestamp now;
    request_ids::keys request_id; ///< request_ids::keys_of(e)
    /// Set by a database that remembers requests itself (shared by several receivers): a copy
    /// another receiver kept is answered as a duplicate, not kept.
    append_status status = append_status::kept;
};

/** What a transaction writes: appends (answered once committed) and progress (retried until committed). */
using commit_item = std::variant<append_item, progress>;

struct group_commit_options
{
    std::size_t max_batch = 1024; ///< Most items per transaction.
    /// Under load, how long a commit of appends waits for more (at most; it stops waiting as
    /// soon as they stop coming).
    std::chrono::microseconds linger{500};
    /// Where append handlers run: all of one transaction's in one call (sqlite_options).
    std::function<void(std::function<void()>)> run_completions;
    /// Where appends are committed instead of the writer thread, when set (sqlite_options).
    std::function<void(std::function<void()>)> run_commits;
    store_limits limits{};
    /// Whether committed appends wait in a ready queue for take_ready(). A store shared by
    /// several receivers reads its inbox back from the database instead (the backlog is then
    /// what set_backlog() last said, plus what was kept since).
    bool hand_to_processing = true;
};

/** Gathers appends and progress from every thread and commits them in groups: one
    transaction covers every append that came while the last one was written, so the cost of
    a commit is shared by many deliveries.

    Appends are committed on a writer thread, or, with run_commits, on an I/O thread once
    the I/O threads have no more appends to give (see flush_inline()); progress always on the
    writer thread. A failed transaction answers its appends `failed` (the client retries)
    and puts its progress back at the front of the queue. What was committed waits in a
    ready queue until processing takes it.

    The database itself is the owner's, behind `database`; every write holds `db_mutex`,
    which the owner also holds for its own use of the connection.

    @par Thread safety
    append() and commit() from any thread; take_ready() and the queries from any thread.
*/
class group_commit
{
public:
    class database
    {
    public:
        virtual ~database() = default;
        /** Writes `batch` in one transaction, setting each append's sequence; false after a
            rollback. With `no_wait` (on an I/O thread) a database held by another connection
            is not waited for: `busy` is set instead. Called under db_mutex. */
        virtual bool write(std::vector<commit_item>& batch, bool no_wait, bool& busy) = 0;
        /// On the writer thread after each transaction, no lock held: periodic upkeep.
        virtual void upkeep() = 0;
    };

    group_commit(group_commit_options o, database& db, std::mutex& db_mutex);
    group_commit(group_commit const&) = delete;
    group_commit& operator=(group_commit const&) = delete;
    ~group_commit();

    /// Starts the writer thread; the backlog is what an earlier run left unprocessed.
    void start(std::size_t backlog, std::size_t backlog_bytes);
    /// Commits what is queued, then stops the writer thread. Idempotent.
    void stop();

    void append(inbox_entry e, timestamp now, store::append_handler done);
    void commit(progress p);
    /// Waits until everything queued is written and no thread holds a handler; from then on
    /// appends are committed by the writer thread only (the I/O threads may be gone).
    void sync();
    /** sync() until `deadline`; then what is still queued is dropped (progress is written
        again by processing the same deliveries at the next start) and false is returned. */
    bool sync_until(std::chrono::steady_clock::time_point deadline);

    /// Moves up to `max - out.size()` committed appends into `out`, oldest first.
    void take_ready(std::vector<inbox_entry>& out, std::size_t max);

    /// The backlog as the shared database counts it (hand_to_processing off).
    void set_backlog(std::size_t entries, std::size_t bytes);
    std::size_t backlog() const;
    std::size_t backlog_bytes() const;
    std::optional<timestamp> oldest_ready() const;
    std::uint64_t transactions() const noexcept { return transactions_.load(std::memory_order_relaxed); }
    std::uint64_t appends() const noexcept { return appends_.load(std::memory_order_relaxed); }
    std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

private:
    void flush_inline();
    bool commits_inline() const noexcept;
    bool arm_flush();
    void post_flush_inline();
    std::size_t settle(std::vector<commit_item>& batch, bool ok, bool on_io_thread);
    void run_writer();
    void linger(std::unique_lock<std::mutex>& lock);
    bool writer_needs_wake() const noexcept;
    void requeue(std::vector<commit_item>& items);

    group_commit_options const o_;
    database& db_;
    std::mutex& db_mutex_;
    bool const inline_commits_;

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::deque<commit_item> queue_;
    std::deque<inbox_entry> ready_;
    request_ids request_ids_;
    bool stopping_ = false;
    bool writing_ = false;
    bool abandoned_ = false; // sync_until() ran out of time: failed progress is not retried
    // Inline commits, under mutex_: whether a flush_inline() is on its way, the queue's length
    // when it last looked, when its first append came, how many are writing now, and whether
    // sync() has handed everything to the writer thread.
    bool flush_posted_ = false;
    std::size_t flush_seen_ = 0;
    std::chrono::steady_clock::time_point flush_started_;
    int inline_writing_ = 0;
    bool handover_ = false;
    bool handed_to_writer_ = false; // flush_inline() gave a batch back for the writer thread
    std::size_t progress_queued_ = 0; // progress items in queue_
    std::size_t pending_appends_ = 0, pending_bytes_ = 0;
    std::size_t backlog_ = 0, backlog_bytes_ = 0;
    enum class writer_state
    {
        busy,
        idle
    };
    writer_state writer_ = writer_state::busy; // under mutex_
    std::size_t last_appends_ = 0;             // writer thread only
    std::atomic<std::uint64_t> transactions_{0}, appends_{0}, failures_{0};
    std::thread writer_thread_;
};

} // namespace catena::webhooks::detail

#endif
