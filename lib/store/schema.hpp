// SPDX-License-Identifier: BSL-1.0
// lib/store/schema.hpp - the store's file: its lock, its tables, their upgrades, its settings.
#ifndef CATENA_WEBHOOKS_STORE_SCHEMA_HPP
#define CATENA_WEBHOOKS_STORE_SCHEMA_HPP

#include <catena/webhooks/receiver_options.hpp>

#include "store/sqlite.hpp"

#include <cstdint>
#include <string>

namespace catena::webhooks::detail {

/// How long the writer waits for a database another connection holds (a checkpoint
/// rewinding the WAL) before a commit fails.
constexpr int busy_timeout_ms = 5000;

/// The database file of a data directory: the one place its name is spelled.
std::string database_path(std::string const& data_dir);

/** An exclusive advisory lock on `<database>.lock`, held while the object lives: two
    processes on one store would each believe they own its state. */
class store_lock
{
public:
    store_lock() = default;
    store_lock(store_lock const&) = delete;
    store_lock& operator=(store_lock const&) = delete;
    ~store_lock();

    /// error::store_locked when another process holds it; `why` says so in one line.
    error_code acquire(std::string const& db_path, std::string& why);

private:
    int fd_ = -1;
};

struct schema_settings
{
    durability level = durability::process;
    /// The WAL is cut back to this many pages when it is rewound.
    std::uint32_t wal_restart_frames = 2048;
    /// Test hook: the file may not grow beyond this many pages (0: no limit).
    std::uint64_t max_page_count = 0;
};

/** Opens the writer's connection on `path`, creating the schema in an empty file and
    upgrading an older one in place (each upgrade in the transaction that records the new
    version), then configures it (WAL, synchronous per durability, no automatic checkpoints).
    A file that is not ours, or of a newer schema, is left untouched:
    error::store_not_ours, error::store_newer_schema. */
error_code open_schema(connection& w, std::string const& path, schema_settings const& s, std::string& why);

} // namespace catena::webhooks::detail

#endif
