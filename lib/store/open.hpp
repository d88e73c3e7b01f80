// SPDX-License-Identifier: BSL-1.0
// lib/store/open.hpp - the store a receiver's options name: shared PostgreSQL, SQLite in a data directory, or memory.
#ifndef CATENA_WEBHOOKS_STORE_OPEN_HPP
#define CATENA_WEBHOOKS_STORE_OPEN_HPP

#include <catena/webhooks/receiver_options.hpp>

#include "store/store.hpp"

#include <functional>
#include <memory>
#include <string>

namespace catena::webhooks::detail {

/// Where a store's work comes back to the receiver (see sqlite_options).
struct store_threads
{
    /// Append handlers, all of one transaction's in one call.
    std::function<void(std::function<void()>)> run_completions;
    /// Commits of appends under durability `process` (SQLite).
    std::function<void(std::function<void()>)> run_commits;
};

/** Opens the store `o.store` names: the PostgreSQL database of store.postgres (shared; its
    state is read once this receiver is elected), else SQLite in store.data_dir (created if
    missing; what an earlier run left is read into `r`), else memory.
    @param why set to a one-line explanation on failure.
*/
std::unique_ptr<store> open_store(receiver_options const& o, store_threads t, recovered_state& r, error_code& ec,
                                  std::string& why);

/** Test hook: the SQLite stores opened from now on may not grow beyond `pages` pages, as if
    the disk were full (0, the default: no bound). Process-wide: set it around
    receiver::start(), where the store is opened (the tests, the daemon's --max-store-pages). */
void set_max_store_pages(std::uint64_t pages) noexcept;

} // namespace catena::webhooks::detail

#endif
