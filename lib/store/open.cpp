// SPDX-License-Identifier: BSL-1.0
// lib/store/open.cpp - the store a receiver's options name: shared PostgreSQL, SQLite in a data directory, or memory.
#include "store/open.hpp"

#include "store/conninfo.hpp"
#include "store/memory.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"

#include <catena/webhooks/version.hpp>
#if CATENA_WEBHOOKS_HAS_POSTGRESQL
#include "store/postgres_store.hpp"
#endif

#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace catena::webhooks::detail {

namespace {

std::atomic<std::uint64_t> max_store_pages{0};

#if CATENA_WEBHOOKS_HAS_POSTGRESQL
// Shared with other receivers: appends from now on, processing once elected (store::lead()).
std::unique_ptr<store> open_shared(receiver_options const& o, store_limits const& limits, store_threads& t,
                                   error_code& ec, std::string& why)
{
    postgres_options po;
    po.conninfo = o.store.postgres;
    if(o.store.instance.empty())
    {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        po.name = std::string(host) + ":" + std::to_string(::getpid());
    }
    else
        po.name = o.store.instance;
    po.processed_retention = o.store.processed_retention;
    po.identity_retention = o.processing.dedup_retention;
    po.history_per_fleet = o.processing.max_history_per_fleet;
    po.run_completions = std::move(t.run_completions);
    return make_postgres_store(po, limits, ec, why);
}
#else
std::unique_ptr<store> open_shared(receiver_options const& o, store_limits const&, store_threads&, error_code& ec,
                                   std::string& why)
{
    ec = error::invalid_options;
    why = no_postgresql_support(o.store.postgres);
    return nullptr;
}
#endif

} // namespace

std::unique_ptr<store> open_store(receiver_options const& o, store_threads t, recovered_state& r, error_code& ec,
                                  std::string& why)
{
    ec = {};
    store_limits limits;
    limits.max_backlog_entries = o.limits.max_inbox_entries;
    limits.max_backlog_bytes = o.limits.max_inbox_bytes;
    limits.request_id_memory = o.request_id_memory;
    if(!o.store.postgres.empty())
        return open_shared(o, limits, t, ec, why);
    if(o.store.data_dir.empty())
        return make_memory_store(limits);
    std::error_code fs_ec;
    std::filesystem::create_directories(o.store.data_dir, fs_ec);
    if(fs_ec)
    {
        why = "cannot create " + o.store.data_dir + ": " + fs_ec.message();
        ec = error::store_failure;
        return nullptr;
    }
    sqlite_options so;
    so.path = database_path(o.store.data_dir);
    so.level = o.store.level;
    so.processed_retention = o.store.processed_retention;
    so.identity_retention = o.processing.dedup_retention;
    so.max_identities_loaded = o.processing.dedup_max_identities;
    so.history_per_fleet = o.processing.max_history_per_fleet;
    so.max_page_count = max_store_pages.load(std::memory_order_relaxed);
    so.run_completions = std::move(t.run_completions);
    so.run_commits = std::move(t.run_commits);
    auto s = make_sqlite_store(so, limits, ec, why);
    if(ec)
        return nullptr;
    if(auto rec = s->recover(r, o.clock()))
    {
        why = "cannot read the store in " + o.store.data_dir;
        ec = rec;
        return nullptr;
    }
    return s;
}

void set_max_store_pages(std::uint64_t pages) noexcept
{
    max_store_pages.store(pages, std::memory_order_relaxed);
}

} // namespace catena::webhooks::detail
