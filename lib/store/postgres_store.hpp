// SPDX-License-Identifier: BSL-1.0
// lib/store/postgres_store.hpp - the shared store: one PostgreSQL database for several receivers, one of them leading.
#ifndef CATENA_WEBHOOKS_STORE_POSTGRES_STORE_HPP
#define CATENA_WEBHOOKS_STORE_POSTGRES_STORE_HPP

#include "store/store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace catena::webhooks::detail {

struct postgres_options
{
    /// A libpq connection string or URI. The password comes from PGPASSWORD or ~/.pgpass
    /// (libpq reads both), never from argv.
    std::string conninfo;
    /// This receiver, as catena_leader.holder and application_name show it.
    std::string name = "catena-webhookd";
    std::size_t max_batch = 1024;      ///< Most appends per transaction.
    /// Under load, how long a commit of appends waits for more (see group_commit_options).
    std::chrono::microseconds linger{500};
    std::chrono::seconds processed_retention{std::chrono::hours(24)};
    std::chrono::seconds prune_interval{60};
    std::chrono::seconds identity_retention{std::chrono::hours(24 * 15)};
    std::size_t history_per_fleet = 256;
    std::chrono::seconds operation_memory{3600};
    /// How often a standby tries the leader's lock, and the leader checks its session. A new
    /// leader takes over within about this after the old one's session ends (plus, for a
    /// host that vanished, the TCP keepalive's 5 + 2 x 2 s).
    std::chrono::milliseconds leader_poll{250};
    /// How often the backlog is counted, and a standby looks for new fleet state.
    std::chrono::milliseconds refresh_interval{1000};
    /// Where append handlers run: all of one transaction's in one call (see sqlite_options).
    std::function<void(std::function<void()>)> run_completions;
};

/** Connects to the database o.conninfo names, creating or upgrading its schema; several
    receivers may open the same one. Appends are committed by each receiver (in groups, a
    202 only once PostgreSQL confirmed the commit); processing waits for lead().
    @param why set to a one-line explanation on failure (the password never in it).
*/
std::unique_ptr<store> make_postgres_store(postgres_options const& o, store_limits limits, error_code& ec,
                                           std::string& why);

} // namespace catena::webhooks::detail

#endif
