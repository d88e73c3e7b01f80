// SPDX-License-Identifier: BSL-1.0
// lib/store/schema.cpp - the store's file: its lock, its tables, their upgrades, its settings.
#include "store/schema.hpp"

#include "state/codec.hpp"

#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace catena::webhooks::detail {

namespace {

constexpr int application_id = 0x43415445; // "CATE"
constexpr int schema_version = 6;

constexpr char const* schema_v1 = R"sql(
CREATE TABLE inbox(
  seq INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  webhook_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  body BLOB NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0,
  replay INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbox_unprocessed ON inbox(seq) WHERE processed = 0;

-- Schema 1 kept identities here, read back into memory at start; schema 2 reads what is
-- left (until pruned) but writes identity_keys.
CREATE TABLE identities(id INTEGER PRIMARY KEY, seen_at INTEGER NOT NULL, digest BLOB NOT NULL);

CREATE TABLE fleets(key TEXT PRIMARY KEY, snapshot TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE transitions(id INTEGER PRIMARY KEY, fleet_key TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX transitions_fleet ON transitions(fleet_key, id);
CREATE TABLE dead_letters(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  reason TEXT NOT NULL,
  seq INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  body BLOB NOT NULL,
  idempotency_key TEXT NOT NULL,
  handler TEXT NOT NULL,
  error_text TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
)sql";

// Schema 1 -> 2: identities looked up on disk. Keyed by the time the identity carries first
// (a UUID v7 envelope id's, a record's occurred_at), so that new identities, whose times are
// all about now, are appended at the right edge of the tree: a commit touches a page or two,
// not one random page per identity.
constexpr char const* migrate_v2 = R"sql(
CREATE TABLE identity_keys(
  at_ms INTEGER NOT NULL,
  digest BLOB NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY(at_ms, digest)
) WITHOUT ROWID;
)sql";

// Schema 2 -> 3: progress as ranges of processed sequences instead of a flag on each row.
// Marking a delivery processed was an UPDATE of its row (rewriting a page the append had just
// written, and the partial index); a range row is extended instead. The processed column
// stays, unused.
constexpr char const* migrate_v3 = R"sql(
CREATE TABLE processed_ranges(lo INTEGER PRIMARY KEY, hi INTEGER NOT NULL);
INSERT INTO processed_ranges(lo, hi)
  SELECT min(seq), max(seq) FROM (SELECT seq, seq - row_number() OVER (ORDER BY seq) AS island
                                  FROM inbox WHERE processed = 1)
  GROUP BY island;
DROP INDEX inbox_unprocessed;
)sql";

// Schema 3 -> 4: bodies that arrived gzip-compressed are kept so (encoding 1), about half the
// bytes to write; they are inflated again when read back.
constexpr char const* migrate_v4 = R"sql(
ALTER TABLE inbox ADD COLUMN encoding INTEGER NOT NULL DEFAULT 0;
)sql";


// Schema 4 -> 5: resource operations' outcomes survive a restart; fleet snapshots hold the
// fleet's parts (format 2), rewritten from the stage and health they held (rewrite_fleets).
constexpr char const* migrate_v5 = R"sql(
CREATE TABLE IF NOT EXISTS operations(
  id TEXT PRIMARY KEY,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER NOT NULL,
  doc TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Schema 5 -> 6: deliveries of other providers' routes (receiver_options::routes) name their
// route; '' is Catena's path.
constexpr char const* migrate_v6 = R"sql(
ALTER TABLE inbox ADD COLUMN route TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN route TEXT NOT NULL DEFAULT '';
)sql";

// Every fleet snapshot read (a format 1 document becomes parts) and written again as format 2.
bool rewrite_fleets(connection& w)
{
    std::vector<std::pair<std::string, std::string>> docs;
    {
        statement read(w.db, "SELECT key, snapshot FROM fleets");
        while(read && read.step() == SQLITE_ROW)
            if(auto f = codec::decode_fleet(read.text(1)))
                docs.emplace_back(read.text(0), codec::encode(*f));
    }
    statement put(w.db, "UPDATE fleets SET snapshot = ? WHERE key = ?");
    for(auto const& [key, doc] : docs)
    {
        if(!put)
            return false;
        put.bind(1, doc).bind(2, key);
        int const rc = put.step();
        put.reset();
        if(rc != SQLITE_DONE)
            return false;
    }
    return true;
}

} // namespace

std::string database_path(std::string const& data_dir)
{
    return (std::filesystem::path(data_dir) / "catena-webhooks.db").string();
}

store_lock::~store_lock()
{
    if(fd_ >= 0)
        ::close(fd_);
}

error_code store_lock::acquire(std::string const& db_path, std::string& why)
{
    // One process per store: an advisory lock beside the file.
    auto const lock_path = db_path + ".lock";
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if(fd_ < 0)
    {
        why = "cannot open " + lock_path + ": " + std::strerror(errno);
        return error::store_failure;
    }
    if(::flock(fd_, LOCK_EX | LOCK_NB) != 0)
    {
        why = db_path + " is in use by another process (" + lock_path + " is locked)";
        return error::store_locked;
    }
    return {};
}

error_code open_schema(connection& w, std::string const& path, schema_settings const& s, std::string& why)
{
    if(auto ec = open_connection(w, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, why))
        return ec;
    // Before anything writes: is it ours? A foreign or corrupt file is left as it is.
    auto const app = w.pragma("PRAGMA application_id");
    if(app < 0)
    {
        why = path + " is not a SQLite database or is corrupt: " + w.message();
        return error::store_not_ours;
    }
    auto const version = w.pragma("PRAGMA user_version");
    auto const objects = w.pragma("SELECT count(*) FROM sqlite_schema");
    if(app == 0 && objects == 0)
    {
        if(!w.exec("PRAGMA journal_mode=WAL") || !w.exec("BEGIN") || !w.exec(schema_v1) || !w.exec(migrate_v2) ||
           !w.exec(migrate_v3) || !w.exec(migrate_v4) || !w.exec(migrate_v5) || !w.exec(migrate_v6) ||
           !w.exec(("PRAGMA application_id=" + std::to_string(application_id)).c_str()) ||
           !w.exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str()) || !w.exec("COMMIT"))
        {
            why = "cannot create the store in " + path + ": " + w.message();
            return error::store_failure;
        }
    }
    else if(app != application_id)
    {
        why = path + " is a SQLite database of something else (application_id " + std::to_string(app) +
              "); it was left untouched";
        return error::store_not_ours;
    }
    else if(version > schema_version)
    {
        why = path + " was written by a newer version (schema " + std::to_string(version) + ", this one reads " +
              std::to_string(schema_version) + "); it was left untouched";
        return error::store_newer_schema;
    }
    else if(version < schema_version)
    {
        // Migrations, each in the transaction that records the new version.
        if(!w.exec("BEGIN IMMEDIATE") || (version < 2 && !w.exec(migrate_v2)) ||
           (version < 3 && !w.exec(migrate_v3)) || (version < 4 && !w.exec(migrate_v4)) ||
           (version < 5 && (!w.exec(migrate_v5) || !rewrite_fleets(w))) || (version < 6 && !w.exec(migrate_v6)) ||
           !w.exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str()) || !w.exec("COMMIT"))
        {
            why = "cannot upgrade " + path + " from schema " + std::to_string(version) + ": " + w.message();
            w.exec("ROLLBACK");
            return error::store_failure;
        }
    }
    if(!w.exec("PRAGMA journal_mode=WAL") ||
       !w.exec(s.level == durability::power ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") ||
       !w.exec("PRAGMA foreign_keys=OFF") || sqlite3_busy_timeout(w.db, busy_timeout_ms) != SQLITE_OK ||
       // A larger page cache: appends and their index pages stay in memory.
       !w.exec("PRAGMA cache_size=-32768") ||
       !w.exec("PRAGMA temp_store=MEMORY"))
    {
        why = "cannot configure " + path + ": " + w.message();
        return error::store_failure;
    }
    if(s.max_page_count)
        w.exec(("PRAGMA max_page_count=" + std::to_string(s.max_page_count)).c_str());
    // Checkpoints (copying the WAL into the database, with an fsync) run on a thread of
    // their own, so that they rarely hold up the commits that acknowledge deliveries.
    w.exec("PRAGMA wal_autocheckpoint=0");
    // A rewound WAL is cut back to the size it may reach.
    w.exec(("PRAGMA journal_size_limit=" + std::to_string(std::uint64_t{s.wal_restart_frames} * 4096)).c_str());
    return {};
}

} // namespace catena::webhooks::detail
