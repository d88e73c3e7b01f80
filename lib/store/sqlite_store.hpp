// SPDX-License-Identifier: BSL-1.0
// lib/store/sqlite_store.hpp - the durable store: one SQLite file in WAL mode, appends committed in groups.
#ifndef CATENA_WEBHOOKS_STORE_SQLITE_STORE_HPP
#define CATENA_WEBHOOKS_STORE_SQLITE_STORE_HPP

#include <catena/webhooks/receiver_options.hpp>

#include "store/store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace catena::webhooks::detail {

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
    /// How long resource operations' outcomes are kept for a track_operation() that comes late.
    std::chrono::seconds operation_memory{3600};
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
std::unique_ptr<store> make_sqlite_store(sqlite_options const& o, store_limits limits, error_code& ec, std::string& why);

} // namespace catena::webhooks::detail

#endif
