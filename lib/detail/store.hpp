// SPDX-License-Identifier: BSL-1.0
// lib/detail/store.hpp - where kept deliveries and processing state live: the contract of every backend.
#ifndef CATENA_WEBHOOKS_DETAIL_STORE_HPP
#define CATENA_WEBHOOKS_DETAIL_STORE_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include "detail/deduper.hpp"
#include "detail/inbox.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** What one processing step made durable: the deliveries it finished, and the state they produced. */
struct progress
{
    std::vector<std::uint64_t> processed;               ///< Inbox sequences whose events all reached their callbacks.
    std::size_t processed_bytes = 0;                    ///< Their inbox_entry::bytes(), summed.
    std::vector<std::pair<identity_key, timestamp>> identities; ///< Event identities of those deliveries, and when seen.
    std::vector<std::pair<std::string, std::string>> fleets;       ///< Fleet key → snapshot (upsert).
    std::vector<std::string> removed_fleets;            ///< Keys merged into another fleet.
    std::vector<transition> transitions;                ///< Appended to the history.
    std::vector<dead_letter> dead_letters;

    bool empty() const noexcept
    {
        return processed.empty() && identities.empty() && fleets.empty() && removed_fleets.empty() &&
               transitions.empty() && dead_letters.empty();
    }
};

/** What a store holds after a restart. */
struct recovered_state
{
    std::vector<std::string> fleets;                    ///< Snapshots.
    std::vector<transition> transitions;                ///< The newest of each fleet, oldest first.
    /// Identities to hold in memory (a store that cannot recall() them gives the recent ones).
    std::vector<std::pair<identity_digest, timestamp>> identities;
    /// Whether earlier runs left identities that only recall() can answer for.
    bool identities_to_recall = false;
    std::uint64_t unprocessed = 0;                      ///< Deliveries kept but not processed.
};

/** What a store has written since it opened (all zero in memory). */
struct store_stats
{
    std::uint64_t transactions = 0;     ///< Write transactions committed.
    std::uint64_t appends = 0;          ///< Deliveries they kept (appends / transactions: the group-commit batch).
    std::uint64_t pages_written = 0;    ///< Database pages they wrote (to the WAL).
    std::uint64_t failures = 0;         ///< Write transactions that failed and were rolled back.
};

enum class append_status
{
    kept,      ///< Durable (as the durability level promises); the sequence is set.
    duplicate, ///< A request with this X-Request-ID was kept recently: not kept again.
    full,      ///< The backlog is over its bound: not kept.
    failed,    ///< The write failed (disk full, I/O error): not kept.
};

/** The storage contract. The in-memory and SQLite backends implement it; the conformance
    tests run against each.

    @par Thread safety
    append() from any thread. take(), commit() and the queries from the processing thread.
*/
class CATENA_WEBHOOKS_DECL store
{
public:
    using append_handler = std::function<void(append_status, std::uint64_t sequence, error_code)>;

    virtual ~store() = default;

    /** Keeps `e` and calls `done` once it is kept or refused, possibly on another thread,
        never before the entry is as durable as the store promises. */
    virtual void append(inbox_entry e, timestamp now, append_handler done) = 0;

    /// Up to `max` kept deliveries not handed out yet, in sequence order.
    virtual std::vector<inbox_entry> take(std::size_t max) = 0;

    /// Makes `p` durable (asynchronously for stores that write behind).
    virtual void commit(progress p) = 0;

    /// What a previous run left. Call once, before anything else.
    virtual error_code recover(recovered_state& out, timestamp now) = 0;

    /// Kept deliveries not processed yet, and their bytes.
    virtual std::size_t backlog() const = 0;
    virtual std::size_t backlog_bytes() const = 0;
    virtual std::optional<timestamp> oldest_unprocessed() const = 0;
    /** Whether the identities committed here were seen before: within the identity retention,
        or beyond what the pipeline holds in memory. From the processing thread. A store that
        cannot look them up answers false (and gives them back from recover() instead). */
    virtual bool recall(identity_key const& k) = 0;
    /// Brackets many recall() calls: they may share one read of the store (one snapshot,
    /// which still holds every identity committed before the bracket began).
    virtual void begin_recalls() {}
    virtual void end_recalls() {}
    /// Whether fleet state committed here survives a restart (false: no snapshots needed).
    virtual bool keeps_state() const noexcept = 0;
    /// Bytes used on disk (0 in memory).
    virtual std::uint64_t size_on_disk() const = 0;
    /// Counters of what was written (any thread).
    virtual store_stats stats() const { return {}; }
    /// The most recent dead letters, oldest first.
    virtual std::vector<dead_letter> dead_letters(std::size_t max) const = 0;
    /// Waits until everything committed or appended so far is written (shutdown, tests).
    virtual void sync() = 0;
};

/** Bounds and durability of a store. */
struct store_limits
{
    std::size_t max_backlog_entries = 100'000;
    std::size_t max_backlog_bytes = 512u << 20;
    std::chrono::seconds request_id_memory{900};
    /// Most X-Request-IDs remembered (32 bytes each); the oldest are forgotten first. They only
    /// save re-keeping a replayed request: event identities catch its events regardless.
    std::size_t max_request_ids = 131'072;
};

/// The in-memory store: nothing survives the process.
CATENA_WEBHOOKS_DECL std::unique_ptr<store> make_memory_store(store_limits limits);

struct sqlite_options
{
    std::string path;                  ///< The database file.
    durability level = durability::process;
    std::size_t max_batch = 1024;      ///< Most appends per transaction.
    /// Under load, how long a commit of appends waits for more (at most; it stops waiting as
    /// soon as they stop coming), on the writer thread or on an I/O thread (run_commits).
    std::chrono::microseconds linger{500};
    std::chrono::seconds processed_retention{std::chrono::hours(24)}; ///< Processed rows kept this long.
    std::chrono::seconds prune_interval{60}; ///< How often old rows are pruned (0: after every commit).
    std::chrono::seconds identity_retention{std::chrono::hours(24 * 15)};
    /// Identities read back by recover() from a store written before identities were indexed.
    std::size_t max_identities_loaded = 1'000'000;
    std::size_t history_per_fleet = 256;
    /// WAL frames (pages) past which a checkpoint holds the writer back so that the WAL is
    /// rewound: the bound on the WAL's size (8 MiB of 4 KiB pages) under sustained load. The
    /// time the writer is held grows with the WAL (measured: 7 ms at 2048 frames, 27 ms at
    /// 16384, 100 ms at 65536), so a small bound rewound often costs the least latency.
    std::uint32_t wal_restart_frames = 2048;
    /// Test hook: refuse to grow the file beyond this many pages (0: no limit), as a full disk would.
    std::uint64_t max_page_count = 0;
    /** Where append handlers run. The writer hands over all the completions of one transaction
        in one call (to post them to an io_context, say: one hand-off per batch instead of one
        per delivery). Unset: they run on the writer thread. */
    std::function<void(std::function<void()>)> run_completions;
    /** Where appends are committed with durability `process`, whose commit writes the WAL and
        waits for no disk: a function that runs its argument on an I/O thread (posts it to an
        io_context, say). Set, the commit of appends runs there, once the I/O threads find no
        more appends to give it (or after `linger`), and answers them at once: no wake-up of
        the writer thread, no hand-back of the answers, no thread switch on a shared core. The
        writer thread still commits progress, prunes, and takes over whenever the database is
        held (a progress commit, a prune, a checkpoint that rewinds the WAL) or progress is
        queued, and from sync() on. Unset, or with `power` (an fsync per commit does not belong
        on an I/O thread): the writer thread commits everything. The function must not run its
        argument after the store is destroyed. */
    std::function<void(std::function<void()>)> run_commits;
};

/** Opens (creating if absent) the SQLite store at o.path, locked against other processes.
    @param why set to a one-line explanation on failure.
*/
CATENA_WEBHOOKS_DECL std::unique_ptr<store> make_sqlite_store(sqlite_options const& o, store_limits limits,
                                                              error_code& ec, std::string& why);

} // namespace catena::webhooks::detail

#endif
