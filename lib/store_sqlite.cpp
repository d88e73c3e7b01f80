// SPDX-License-Identifier: BSL-1.0
// lib/store_sqlite.cpp - the SQLite store: WAL, one writer thread committing appends in groups.
#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/gzip.hpp>

#include "detail/lifecycle.hpp"
#include "detail/store.hpp"
#include "detail/coalescing_vfs.hpp"

#include <filesystem>
#include <limits>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <variant>

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <unistd.h>

namespace catena::webhooks::detail {

namespace {

constexpr int application_id = 0x43415445; // "CATE"
// How long the writer waits for a database another connection holds (a checkpoint rewinding
// the WAL) before a commit fails.
constexpr int busy_timeout_ms = 5000;
constexpr int schema_version = 4;

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

std::int64_t micros(timestamp t) noexcept { return t.time_since_epoch().count(); }
timestamp from_micros(std::int64_t v) noexcept { return timestamp{std::chrono::microseconds(v)}; }

// A prepared statement, reset after each use.
class statement
{
public:
    statement() = default;
    statement(sqlite3* db, char const* sql)
    {
        if(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
            s_ = nullptr;
    }
    ~statement() { sqlite3_finalize(s_); }
    statement(statement&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    statement& operator=(statement&& o) noexcept
    {
        std::swap(s_, o.s_);
        return *this;
    }
    explicit operator bool() const noexcept { return s_ != nullptr; }

    statement& bind(int i, std::int64_t v)
    {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    statement& bind(int i, std::string_view v)
    {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        return *this;
    }
    statement& bind_blob(int i, void const* p, std::size_t n)
    {
        sqlite3_bind_blob(s_, i, p, static_cast<int>(n), SQLITE_STATIC);
        return *this;
    }
    int step() { return sqlite3_step(s_); }
    void reset()
    {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }
    std::string text(int i) const
    {
        auto const* p = reinterpret_cast<char const*>(sqlite3_column_blob(s_, i));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string();
    }
    std::size_t bytes(int i) const { return static_cast<std::size_t>(sqlite3_column_bytes(s_, i)); }
    void const* blob(int i) const { return sqlite3_column_blob(s_, i); }

private:
    sqlite3_stmt* s_ = nullptr;
};

struct connection
{
    sqlite3* db = nullptr;
    ~connection() { sqlite3_close_v2(db); }
    bool exec(char const* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
    std::string message() const { return db ? sqlite3_errmsg(db) : "out of memory"; }
    std::int64_t pragma(char const* sql)
    {
        statement s(db, sql);
        if(!s || s.step() != SQLITE_ROW)
            return -1;
        return s.integer(0);
    }
};

// Processed inbox sequences: disjoint inclusive ranges, none adjacent to another.
class seq_ranges
{
public:
    using range = std::pair<std::uint64_t, std::uint64_t>;

    /// Adds [lo, hi]. Returns the range that now holds it; the starts of the ranges merged
    /// into it (other than its own) go to `merged`.
    range add(std::uint64_t lo, std::uint64_t hi, std::vector<std::uint64_t>& merged)
    {
        auto it = m_.upper_bound(lo);
        if(it != m_.begin())
        {
            auto prev = std::prev(it);
            if(prev->second + 1 >= lo)
            {
                lo = prev->first;
                hi = std::max(hi, prev->second);
                it = prev;
                ++it;
            }
        }
        while(it != m_.end() && it->first <= hi + 1)
        {
            hi = std::max(hi, it->second);
            if(it->first != lo)
                merged.push_back(it->first);
            it = m_.erase(it);
        }
        m_[lo] = hi;
        return {lo, hi};
    }

    /// The sequences in [from, upto] outside every range.
    std::deque<range> gaps(std::uint64_t from, std::uint64_t upto) const
    {
        std::deque<range> out;
        for(auto const& [lo, hi] : m_)
        {
            if(from > upto || lo > upto)
                break;
            if(lo > from)
                out.emplace_back(from, lo - 1);
            from = std::max(from, hi + 1);
        }
        if(from <= upto)
            out.emplace_back(from, upto);
        return out;
    }

    std::map<std::uint64_t, std::uint64_t> const& all() const noexcept { return m_; }
    void clear() { m_.clear(); }
    void put(std::uint64_t lo, std::uint64_t hi) { m_[lo] = hi; }

private:
    std::map<std::uint64_t, std::uint64_t> m_;
};

class sqlite_store final : public store
{
public:
    sqlite_store(sqlite_options o, store_limits l)
        : o_(std::move(o)), limits_(l), inline_commits_(o_.run_commits && o_.level == durability::process),
          request_ids_(l.request_id_memory, l.max_request_ids)
    {
    }

    ~sqlite_store() override
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        checkpoint_cv_.notify_all();
        if(checkpointer_.joinable())
            checkpointer_.join();
        if(writer_thread_.joinable())
            writer_thread_.join();
        if(lock_fd_ >= 0)
            ::close(lock_fd_);
    }

    error_code open(std::string& why)
    {
        // One process per store: an advisory lock beside the file.
        auto const lock_path = o_.path + ".lock";
        lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if(lock_fd_ < 0)
        {
            why = "cannot open " + lock_path + ": " + std::strerror(errno);
            return error::store_failure;
        }
        if(::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
        {
            why = o_.path + " is in use by another process (" + lock_path + " is locked)";
            return error::store_locked;
        }
        if(auto ec = open_connection(w_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, why))
            return ec;
        // Before anything writes: is it ours? A foreign or corrupt file is left as it is.
        auto const app = w_.pragma("PRAGMA application_id");
        if(app < 0)
        {
            why = o_.path + " is not a SQLite database or is corrupt: " + w_.message();
            return error::store_not_ours;
        }
        auto const version = w_.pragma("PRAGMA user_version");
        auto const objects = w_.pragma("SELECT count(*) FROM sqlite_schema");
        if(app == 0 && objects == 0)
        {
            if(!w_.exec("PRAGMA journal_mode=WAL") || !w_.exec("BEGIN") || !w_.exec(schema_v1) || !w_.exec(migrate_v2) ||
               !w_.exec(migrate_v3) || !w_.exec(migrate_v4) ||
               !w_.exec(("PRAGMA application_id=" + std::to_string(application_id)).c_str()) ||
               !w_.exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str()) || !w_.exec("COMMIT"))
            {
                why = "cannot create the store in " + o_.path + ": " + w_.message();
                return error::store_failure;
            }
        }
        else if(app != application_id)
        {
            why = o_.path + " is a SQLite database of something else (application_id " + std::to_string(app) +
                  "); it was left untouched";
            return error::store_not_ours;
        }
        else if(version > schema_version)
        {
            why = o_.path + " was written by a newer version (schema " + std::to_string(version) + ", this one reads " +
                  std::to_string(schema_version) + "); it was left untouched";
            return error::store_newer_schema;
        }
        else if(version < schema_version)
        {
            // Migrations, each in the transaction that records the new version.
            if(!w_.exec("BEGIN IMMEDIATE") || (version < 2 && !w_.exec(migrate_v2)) ||
               (version < 3 && !w_.exec(migrate_v3)) || (version < 4 && !w_.exec(migrate_v4)) ||
               !w_.exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str()) || !w_.exec("COMMIT"))
            {
                why = "cannot upgrade " + o_.path + " from schema " + std::to_string(version) + ": " + w_.message();
                w_.exec("ROLLBACK");
                return error::store_failure;
            }
        }
        if(!w_.exec("PRAGMA journal_mode=WAL") ||
           !w_.exec(o_.level == durability::power ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") ||
           !w_.exec("PRAGMA foreign_keys=OFF") || sqlite3_busy_timeout(w_.db, busy_timeout_ms) != SQLITE_OK ||
           // A larger page cache: appends and their index pages stay in memory.
           !w_.exec("PRAGMA cache_size=-32768") ||
           !w_.exec("PRAGMA temp_store=MEMORY"))
        {
            why = "cannot configure " + o_.path + ": " + w_.message();
            return error::store_failure;
        }
        if(o_.max_page_count)
            w_.exec(("PRAGMA max_page_count=" + std::to_string(o_.max_page_count)).c_str());
        // Checkpoints (copying the WAL into the database, with an fsync) run on a thread of
        // their own, so that they rarely hold up the commits that acknowledge deliveries.
        w_.exec("PRAGMA wal_autocheckpoint=0");
        // A rewound WAL is cut back to the size it may reach.
        w_.exec(("PRAGMA journal_size_limit=" + std::to_string(std::uint64_t{o_.wal_restart_frames} * 4096)).c_str());
        if(auto ec = open_connection(c_, SQLITE_OPEN_READWRITE, why))
            return ec;
        // A RESTART checkpoint waits for readers of the WAL (lookups on r_, one batch long)
        // while the writer waits for it: in short sleeps, and not for long, as it is tried
        // again at the next round.
        sqlite3_busy_handler(
            c_.db,
            [](void*, int n) {
                std::this_thread::sleep_for(std::chrono::microseconds(100));
                return n < 2000 ? 1 : 0;
            },
            nullptr);
        // A connection finds the WAL on its first read; until then it checkpoints nothing
        // (sqlite3_wal_checkpoint_v2 answers SQLITE_OK with -1 frames).
        c_.pragma("SELECT count(*) FROM sqlite_schema");
        if(auto ec = open_connection(r_, SQLITE_OPEN_READWRITE, why))
            return ec;
        r_.exec("PRAGMA busy_timeout=5000");
        r_.exec("PRAGMA query_only=1");
        r_.exec("PRAGMA cache_size=-16384");
        if(!prepare(why))
            return error::store_failure;
        return {};
    }

    //--------------------------------------------------------------------------

    error_code recover(recovered_state& out, timestamp now) override
    {
        out = {};
        {
            statement s(w_.db, "SELECT snapshot FROM fleets");
            while(s && s.step() == SQLITE_ROW)
                out.fleets.push_back(s.text(0));
        }
        {
            statement s(w_.db, "SELECT doc FROM (SELECT id, doc, row_number() OVER (PARTITION BY fleet_key ORDER BY id DESC) "
                               "AS n FROM transitions) WHERE n <= ? ORDER BY id");
            if(s)
            {
                s.bind(1, static_cast<std::int64_t>(o_.history_per_fleet));
                while(s.step() == SQLITE_ROW)
                    if(auto t = transition_from_json(s.text(0)))
                        out.transitions.push_back(std::move(*t));
            }
        }
        {
            // The next prune bounds every fleet's history, also one an earlier run left long.
            statement s(w_.db, "SELECT DISTINCT fleet_key FROM transitions");
            while(s && s.step() == SQLITE_ROW)
                history_touched_.insert(s.text(0));
        }
        {
            auto const from = first_row_at_or_after("identities", "seen_at", now - o_.identity_retention);
            statement s(w_.db, "SELECT digest, seen_at FROM identities WHERE id >= ? ORDER BY id DESC LIMIT ?");
            if(s)
            {
                s.bind(1, from);
                s.bind(2, static_cast<std::int64_t>(o_.max_identities_loaded));
                while(s.step() == SQLITE_ROW)
                {
                    identity_digest d;
                    if(s.bytes(0) != 16)
                        continue;
                    std::memcpy(&d.hi, s.blob(0), 8);
                    std::memcpy(&d.lo, static_cast<char const*>(s.blob(0)) + 8, 8);
                    out.identities.emplace_back(d, from_micros(s.integer(1)));
                }
                std::reverse(out.identities.begin(), out.identities.end());
            }
        }
        out.identities_to_recall = w_.pragma("SELECT EXISTS (SELECT 1 FROM identity_keys)") == 1;
        {
            // What is not in a processed range is the backlog, read by take() gap by gap.
            statement r(w_.db, "SELECT lo, hi FROM processed_ranges");
            statement m(w_.db, "SELECT coalesce(max(seq), 0) FROM inbox");
            statement c(w_.db, "SELECT count(*), coalesce(sum(length(body)), 0) FROM inbox WHERE seq >= ? AND seq <= ?");
            if(!r || !m || !c || m.step() != SQLITE_ROW)
                return error::store_failure;
            ranges_.clear();
            while(r.step() == SQLITE_ROW)
                ranges_.put(static_cast<std::uint64_t>(r.integer(0)), static_cast<std::uint64_t>(r.integer(1)));
            auto gaps = ranges_.gaps(1, static_cast<std::uint64_t>(m.integer(0)));
            std::size_t rows = 0, bytes = 0;
            for(auto const& [lo, hi] : gaps)
            {
                c.bind(1, static_cast<std::int64_t>(lo)).bind(2, static_cast<std::int64_t>(hi));
                if(c.step() == SQLITE_ROW)
                {
                    rows += static_cast<std::size_t>(c.integer(0));
                    bytes += static_cast<std::size_t>(c.integer(1));
                }
                c.reset();
            }
            std::lock_guard lock(mutex_);
            backlog_ = rows;
            backlog_bytes_ = bytes;
            gaps_ = std::move(gaps);
            out.unprocessed = backlog_;
        }
        update_size();
        writer_thread_ = std::thread([this] { run_writer(); });
        checkpointer_ = std::thread([this] { run_checkpointer(); });
        return {};
    }

    void append(inbox_entry e, timestamp now, append_handler done) override
    {
        auto status = append_status::kept;
        auto const rid = e.request_id.empty() ? identity_digest{} : digest_of(e.request_id);
        bool wake = false, post_flush = false;
        {
            std::lock_guard lock(mutex_);
            auto const bytes = e.bytes();
            if(!e.request_id.empty() && request_ids_.contains(rid, now))
                status = append_status::duplicate;
            else if(stopping_ || backlog_ + pending_appends_ >= limits_.max_backlog_entries ||
                    backlog_bytes_ + pending_bytes_ + bytes > limits_.max_backlog_bytes)
                status = append_status::full;
            else
            {
                ++pending_appends_;
                pending_bytes_ += bytes;
                queue_.emplace_back(append_item{std::move(e), std::move(done), now, rid});
                if(commits_inline())
                    post_flush = arm_flush();
                else
                    wake = writer_needs_wake();
            }
        }
        if(status == append_status::duplicate)
            return done(status, 0, {});
        if(status == append_status::full)
            return done(status, 0, error::inbox_full);
        if(wake)
            cv_.notify_one();
        if(post_flush)
            post_flush_inline();
    }

    // With inline commits (sqlite_options::run_commits), on an I/O thread. While appends keep
    // coming, it goes to the back of the I/O threads' queue again, behind what they have to do
    // (reading the next requests, verifying them); it commits once a look finds no new append,
    // so a transaction holds what the I/O threads had to give, or when o_.linger has passed.
    // It never waits: for a database the writer thread holds (a progress commit, a prune, a
    // checkpoint that rewinds the WAL) or a queue that holds progress, it hands the batch
    // to the writer thread instead.
    void flush_inline()
    {
        std::vector<item> batch;
        bool again = false;
        {
            std::lock_guard lock(mutex_);
            auto const n = queue_.size();
            if(!commits_inline() || n == 0 || progress_queued_ != 0)
            {
                // The writer thread has it (it was woken for the progress, or by sync()).
                flush_posted_ = false;
                flush_seen_ = 0;
                return;
            }
            if(n != flush_seen_ && n < o_.max_batch && std::chrono::steady_clock::now() - flush_started_ < o_.linger)
            {
                flush_seen_ = n;
                again = true;
            }
            else
            {
                flush_posted_ = false;
                flush_seen_ = 0;
                while(!queue_.empty() && batch.size() < o_.max_batch)
                {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
                ++inline_writing_;
            }
        }
        if(again)
            return post_flush_inline();
        std::string why;
        bool ok = false;
        bool handed_over = false;
        {
            std::unique_lock db(db_mutex_, std::try_to_lock);
            if(!db.owns_lock())
                handed_over = true;
            else
            {
                // Busy (which the writer holding db_mutex_ should rule out) is no reason to
                // wait here either.
                sqlite3_busy_timeout(w_.db, 0);
                ok = write(batch, why);
                sqlite3_busy_timeout(w_.db, busy_timeout_ms);
                handed_over = !ok && begin_busy_;
            }
        }
        if(handed_over)
        {
            {
                std::lock_guard lock(mutex_);
                requeue(batch);
                --inline_writing_;
            }
            cv_.notify_one();
            idle_cv_.notify_all();
            return;
        }
        settle(batch, ok, true);
        bool more = false;
        {
            std::lock_guard lock(mutex_);
            --inline_writing_;
            // What came beyond max_batch.
            more = commits_inline() && !queue_.empty() && progress_queued_ == 0 && arm_flush();
        }
        idle_cv_.notify_all();
        if(more)
            post_flush_inline();
    }

    // Under mutex_.
    bool commits_inline() const noexcept { return inline_commits_ && !handover_ && !stopping_; }

    // Under mutex_: whether the caller is to post a flush_inline() for what is queued (none is
    // on its way yet); the batch's linger starts now.
    bool arm_flush()
    {
        if(flush_posted_)
            return false;
        flush_posted_ = true;
        flush_started_ = std::chrono::steady_clock::now();
        return true;
    }

    void post_flush_inline()
    {
        o_.run_commits([this] { flush_inline(); });
    }

    std::vector<inbox_entry> take(std::size_t max) override
    {
        std::vector<inbox_entry> v;
        std::unique_lock read_lock(db_mutex_);
        // Rows left unprocessed by an earlier run come first, read in chunks, gap by gap.
        while(!gaps_.empty() && v.size() < max)
        {
            auto& gap = gaps_.front();
            statement& s = read_unprocessed_;
            s.bind(1, static_cast<std::int64_t>(gap.first));
            s.bind(2, static_cast<std::int64_t>(gap.second));
            s.bind(3, static_cast<std::int64_t>(max - v.size()));
            bool any = false;
            while(s.step() == SQLITE_ROW)
            {
                any = true;
                inbox_entry e;
                e.sequence = static_cast<std::uint64_t>(s.integer(0));
                e.received_at = from_micros(s.integer(1));
                e.sent_at = from_micros(s.integer(2));
                e.webhook_id = s.text(3);
                e.request_id = s.text(4);
                e.event_type = s.text(5);
                e.delivery_attempt = static_cast<std::uint32_t>(s.integer(6));
                if(s.integer(9) == 1)
                {
                    // Verified when it arrived; a body that no longer inflates is left empty
                    // and becomes an undecodable dead letter.
                    // Limits were applied on arrival; these only guard against a damaged file.
                    inflate_limits const trusted{std::size_t{1} << 30, std::size_t{1} << 20, 0};
                    if(inflater_.inflate({static_cast<char const*>(s.blob(7)), s.bytes(7)}, e.body, trusted))
                        e.body.clear();
                }
                else
                    e.body = s.text(7);
                e.replay = s.integer(8) != 0;
                gap.first = e.sequence + 1;
                v.push_back(std::move(e));
            }
            s.reset();
            if(!any || gap.first > gap.second)
                gaps_.pop_front();
        }
        read_lock.unlock();
        std::lock_guard lock(mutex_);
        while(!ready_.empty() && v.size() < max)
        {
            v.push_back(std::move(ready_.front()));
            ready_.pop_front();
        }
        return v;
    }

    void commit(progress p) override
    {
        if(p.empty())
            return;
        bool wake;
        {
            std::lock_guard lock(mutex_);
            queue_.emplace_back(std::move(p));
            ++progress_queued_;
            wake = writer_needs_wake();
        }
        if(wake)
            cv_.notify_one();
    }

    std::size_t backlog() const override
    {
        std::lock_guard lock(mutex_);
        return backlog_;
    }
    std::size_t backlog_bytes() const override
    {
        std::lock_guard lock(mutex_);
        return backlog_bytes_;
    }
    // The oldest delivery kept but not handed to processing yet.
    std::optional<timestamp> oldest_unprocessed() const override
    {
        std::lock_guard lock(mutex_);
        if(ready_.empty())
            return std::nullopt;
        return ready_.front().received_at;
    }
    // On the processing thread's own connection: WAL readers wait for no writer. An identity
    // committed after this read began was pushed after it too, so the pipeline still holds it.
    bool recall(identity_key const& k) override
    {
        unsigned char raw[16];
        std::memcpy(raw, &k.digest.hi, 8);
        std::memcpy(raw + 8, &k.digest.lo, 8);
        // One read transaction for the bracket: a read that begins after a commit starts
        // with an empty page cache, so one per lookup would read the tree from the WAL again.
        if(recall_bracket_ && !recall_reading_)
            recall_reading_ = r_.exec("BEGIN");
        auto& s = recall_;
        s.bind(1, k.at_ms).bind_blob(2, raw, 16);
        bool const found = s.step() == SQLITE_ROW;
        s.reset();
        return found;
    }
    void begin_recalls() override { recall_bracket_ = true; }
    void end_recalls() override
    {
        recall_bracket_ = false;
        if(recall_reading_)
            r_.exec("COMMIT");
        recall_reading_ = false;
    }
    bool keeps_state() const noexcept override { return true; }
    std::uint64_t size_on_disk() const override { return size_.load(std::memory_order_relaxed); }
    store_stats stats() const override
    {
        store_stats s;
        s.transactions = transactions_.load(std::memory_order_relaxed);
        s.appends = appends_.load(std::memory_order_relaxed);
        s.pages_written = pages_written_.load(std::memory_order_relaxed);
        s.failures = failures_.load(std::memory_order_relaxed);
        return s;
    }

    std::vector<dead_letter> dead_letters(std::size_t max) const override
    {
        std::vector<dead_letter> v;
        std::lock_guard lock(db_mutex_);
        statement s(w_.db, "SELECT kind, reason, seq, request_id, webhook_id, event_type, body, idempotency_key, handler, "
                           "error_text, attempts FROM (SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?) ORDER BY id");
        if(!s)
            return v;
        s.bind(1, static_cast<std::int64_t>(max));
        while(s.step() == SQLITE_ROW)
        {
            v.push_back(dead_letter_at(s, 0));
        }
        return v;
    }

    // Also guarantees that the writer holds no handler any more: an owner that calls sync()
    // before destroying the store is never destroyed from the writer thread.
    // Inline commits stop here: the I/O threads that would run them may be gone.
    void sync() override
    {
        std::unique_lock lock(mutex_);
        handover_ = true;
        if(!queue_.empty() && writer_needs_wake())
            cv_.notify_one();
        idle_cv_.wait(lock, [this] { return queue_.empty() && !writing_ && inline_writing_ == 0; });
    }

    //--------------------------------------------------------------------------
    // Offline dead-letter access (no writer thread running).

    std::vector<stored_dead_letter> list_dead(std::size_t max, std::int64_t only = 0)
    {
        std::vector<stored_dead_letter> v;
        statement s(w_.db, only ? "SELECT id, created_at, kind, reason, seq, request_id, webhook_id, event_type, body, "
                                  "idempotency_key, handler, error_text, attempts FROM dead_letters WHERE id = ?"
                                : "SELECT * FROM (SELECT id, created_at, kind, reason, seq, request_id, webhook_id, "
                                  "event_type, body, idempotency_key, handler, error_text, attempts FROM dead_letters "
                                  "ORDER BY id DESC LIMIT ?) ORDER BY id");
        if(!s)
            return v;
        s.bind(1, only ? only : static_cast<std::int64_t>(max));
        while(s.step() == SQLITE_ROW)
        {
            stored_dead_letter x;
            x.id = s.integer(0);
            x.created_at = from_micros(s.integer(1));
            x.letter = dead_letter_at(s, 2);
            v.push_back(std::move(x));
        }
        return v;
    }

    error_code replay_dead(std::int64_t id, std::string& why)
    {
        auto found = list_dead(1, id);
        if(found.empty())
        {
            why = "no dead letter " + std::to_string(id);
            return error::invalid_options;
        }
        auto const& d = found.front().letter;
        if(!w_.exec("BEGIN IMMEDIATE"))
        {
            why = w_.message();
            return error::store_failure;
        }
        bool ok = false;
        if(d.kind == dead_letter_kind::undecodable)
        {
            statement s(w_.db, "INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, body, "
                               "replay) VALUES(?, ?, ?, ?, ?, 1, ?, 1)");
            auto const now = micros(system_now());
            std::string const rid = "replay-" + std::to_string(id) + "-" + d.request_id;
            ok = s && (s.bind(1, now).bind(2, now).bind(3, d.webhook_id).bind(4, rid).bind(5, d.event_type)
                           .bind_blob(6, d.body.data(), d.body.size()),
                       s.step() == SQLITE_DONE);
        }
        else
        {
            statement s(w_.db, "INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, body, "
                               "replay, encoding) SELECT received_at, sent_at, webhook_id, request_id, event_type, "
                               "attempt, body, 1, encoding "
                               "FROM inbox WHERE seq = ?");
            ok = s && (s.bind(1, static_cast<std::int64_t>(d.sequence)), s.step() == SQLITE_DONE) &&
                 sqlite3_changes(w_.db) == 1;
            if(!ok && why.empty())
                why = "the delivery of dead letter " + std::to_string(id) + " (inbox " + std::to_string(d.sequence) +
                      ") was pruned; its record is in the letter's body";
        }
        if(ok)
        {
            statement del(w_.db, "DELETE FROM dead_letters WHERE id = ?");
            ok = del && (del.bind(1, id), del.step() == SQLITE_DONE);
        }
        if(!ok || !w_.exec("COMMIT"))
        {
            if(why.empty())
                why = w_.message();
            w_.exec("ROLLBACK");
            return error::store_failure;
        }
        return {};
    }

private:
    struct append_item
    {
        inbox_entry e;
        append_handler done;
        timestamp now;
        identity_digest request_id; // digest of e.request_id
    };
    using item = std::variant<append_item, progress>;

    // A dead letter from the current row, whose columns from `first` on are: kind, reason, seq,
    // request_id, webhook_id, event_type, body, idempotency_key, handler, error_text, attempts.
    static dead_letter dead_letter_at(statement const& s, int first)
    {
        dead_letter d;
        d.kind = s.text(first) == "callback_failed" ? dead_letter_kind::callback_failed : dead_letter_kind::undecodable;
        d.reason = reason_named(s.text(first + 1));
        d.sequence = static_cast<std::uint64_t>(s.integer(first + 2));
        d.request_id = s.text(first + 3);
        d.webhook_id = s.text(first + 4);
        d.event_type = s.text(first + 5);
        d.body = s.text(first + 6);
        d.idempotency_key = s.text(first + 7);
        d.handler = s.text(first + 8);
        d.error_text = s.text(first + 9);
        d.attempts = static_cast<unsigned>(s.integer(first + 10));
        return d;
    }

    static std::string_view reason_named(std::string const& r)
    {
        // Dead-letter reasons are error reason codes: map back to their static strings.
        for(int ev = 1;; ++ev)
        {
            auto const name = reason(make_error_code(static_cast<error>(ev)));
            if(name == "internal")
                return name;
            if(name == r)
                return name;
        }
    }

    error_code open_connection(connection& c, int flags, std::string& why)
    {
        if(sqlite3_open_v2(o_.path.c_str(), &c.db, flags | SQLITE_OPEN_NOMUTEX, coalescing_vfs()) != SQLITE_OK)
        {
            why = "cannot open " + o_.path + ": " + c.message();
            return error::store_failure;
        }
        sqlite3_extended_result_codes(c.db, 1);
        return {};
    }

    bool prepare(std::string& why)
    {
        begin_ = statement(w_.db, "BEGIN IMMEDIATE");
        commit_ = statement(w_.db, "COMMIT");
        rollback_ = statement(w_.db, "ROLLBACK");
        insert_inbox_ = statement(w_.db, "INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, "
                                         "attempt, body, encoding) VALUES(?,?,?,?,?,?,?,?)");
        put_range_ = statement(w_.db, "INSERT OR REPLACE INTO processed_ranges(lo, hi) VALUES(?, ?)");
        drop_range_ = statement(w_.db, "DELETE FROM processed_ranges WHERE lo = ?");
        // A replayed delivery's identities are there already: the first sighting stays.
        insert_identity_ = statement(w_.db, "INSERT OR IGNORE INTO identity_keys(at_ms, digest, seen_at) VALUES(?, ?, ?)");
        recall_ = statement(r_.db, "SELECT 1 FROM identity_keys WHERE at_ms = ? AND digest = ?");
        upsert_fleet_ = statement(w_.db, "INSERT INTO fleets(key, snapshot) VALUES(?, ?) "
                                         "ON CONFLICT(key) DO UPDATE SET snapshot = excluded.snapshot");
        delete_fleet_ = statement(w_.db, "DELETE FROM fleets WHERE key = ?");
        insert_transition_ = statement(w_.db, "INSERT INTO transitions(fleet_key, doc) VALUES(?, ?)");
        insert_dead_ = statement(w_.db, "INSERT INTO dead_letters(kind, reason, seq, request_id, webhook_id, event_type, "
                                        "body, idempotency_key, handler, error_text, attempts, created_at) "
                                        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
        read_unprocessed_ = statement(w_.db, "SELECT seq, received_at, sent_at, webhook_id, request_id, event_type, "
                                             "attempt, body, replay, encoding FROM inbox WHERE seq >= ? AND seq <= ? "
                                             "ORDER BY seq LIMIT ?");
        bool const ok = begin_ && commit_ && rollback_ && insert_inbox_ && put_range_ && drop_range_ && insert_identity_ && recall_ &&
                        upsert_fleet_ && delete_fleet_ &&
                        insert_transition_ && insert_dead_ && read_unprocessed_;
        if(!ok)
            why = "cannot prepare statements on " + o_.path + ": " + w_.message();
        return ok;
    }

    void update_size()
    {
        auto const pages = w_.pragma("PRAGMA page_count");
        auto const size = w_.pragma("PRAGMA page_size");
        if(pages >= 0 && size >= 0)
            size_.store(static_cast<std::uint64_t>(pages * size), std::memory_order_relaxed);
    }

    // Writes one batch in one transaction. Returns false (and rolls back) on failure.
    bool write(std::vector<item>& batch, std::string& why)
    {
        auto step = [](statement& st) {
            int const rc = st.step();
            st.reset();
            return rc == SQLITE_DONE;
        };
        begin_busy_ = false;
        if(!step(begin_))
        {
            why = w_.message();
            begin_busy_ = (sqlite3_errcode(w_.db) & 0xff) == SQLITE_BUSY;
            return false;
        }
        auto fail = [&] {
            why = w_.message();
            step(rollback_);
            return false;
        };
        // Applied to ranges_ once committed: a rolled-back batch is retried from the same state.
        // Copied only by a batch that marks progress: the map holds a range per gap, which
        // reordering makes hundreds, and most batches are appends alone.
        std::optional<seq_ranges> ranges;
        std::vector<std::uint64_t> merged;
        for(auto& it : batch)
        {
            if(auto* a = std::get_if<append_item>(&it))
            {
                auto& s = insert_inbox_;
                auto const& e = a->e;
                s.bind(1, micros(e.received_at))
                    .bind(2, micros(e.sent_at))
                    .bind(3, e.webhook_id)
                    .bind(4, e.request_id)
                    .bind(5, e.event_type)
                    .bind(6, static_cast<std::int64_t>(e.delivery_attempt));
                if(e.gzip_body.empty())
                    s.bind_blob(7, e.body.data(), e.body.size()).bind(8, 0);
                else
                    s.bind_blob(7, e.gzip_body.data(), e.gzip_body.size()).bind(8, 1);
                int const rc = s.step();
                s.reset();
                if(rc != SQLITE_DONE)
                    return fail();
                a->e.sequence = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(w_.db));
                continue;
            }
            auto& p = std::get<progress>(it);
            if(!ranges)
                ranges.emplace(ranges_);
            auto run = [&](statement& s) {
                int const rc = s.step();
                s.reset();
                return rc == SQLITE_DONE;
            };
            // Sequences finish nearly in order: a commit mostly extends one range.
            std::sort(p.processed.begin(), p.processed.end());
            for(std::size_t i = 0; i < p.processed.size();)
            {
                auto j = i + 1;
                while(j < p.processed.size() && p.processed[j] <= p.processed[j - 1] + 1)
                    ++j;
                merged.clear();
                auto const [lo, hi] = ranges->add(p.processed[i], p.processed[j - 1], merged);
                for(auto m : merged)
                    if(!run(drop_range_.bind(1, static_cast<std::int64_t>(m))))
                        return fail();
                if(!run(put_range_.bind(1, static_cast<std::int64_t>(lo)).bind(2, static_cast<std::int64_t>(hi))))
                    return fail();
                i = j;
            }
            for(auto const& [k, t] : p.identities)
            {
                unsigned char raw[16];
                std::memcpy(raw, &k.digest.hi, 8);
                std::memcpy(raw + 8, &k.digest.lo, 8);
                if(!run(insert_identity_.bind(1, k.at_ms).bind_blob(2, raw, 16).bind(3, micros(t))))
                    return fail();
            }
            for(auto const& k : p.removed_fleets)
                if(!run(delete_fleet_.bind(1, k)))
                    return fail();
            for(auto const& [k, snap] : p.fleets)
                if(!run(upsert_fleet_.bind(1, k).bind(2, snap)))
                    return fail();
            for(auto const& t : p.transitions)
            {
                auto const doc = transition_to_json(t);
                if(!run(insert_transition_.bind(1, t.fleet_key).bind(2, doc)))
                    return fail();
                history_touched_.insert(t.fleet_key);
            }
            for(auto const& d : p.dead_letters)
            {
                auto& s = insert_dead_;
                s.bind(1, d.kind == dead_letter_kind::callback_failed ? "callback_failed" : "undecodable")
                    .bind(2, d.reason)
                    .bind(3, static_cast<std::int64_t>(d.sequence))
                    .bind(4, d.request_id)
                    .bind(5, d.webhook_id)
                    .bind(6, d.event_type)
                    .bind_blob(7, d.body.data(), d.body.size())
                    .bind(8, d.idempotency_key)
                    .bind(9, d.handler)
                    .bind(10, d.error_text)
                    .bind(11, static_cast<std::int64_t>(d.attempts))
                    .bind(12, micros(system_now()));
                if(!run(s))
                    return fail();
            }
        }
        if(!step(commit_))
            return fail();
        if(ranges)
            ranges_ = std::move(*ranges);
        int pages = 0, highwater = 0;
        sqlite3_db_status(w_.db, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &highwater, 1);
        pages_written_.fetch_add(static_cast<std::uint64_t>(pages), std::memory_order_relaxed);
        return true;
    }

    // Rows of inbox and identities are appended in time order, so the first row at or after
    // an instant is found by a binary search on the row id: no index on the time column (an
    // index would cost a page write in every commit).
    std::int64_t first_row_at_or_after(char const* table, char const* time_column, timestamp t)
    {
        auto const sql_bounds = std::string("SELECT coalesce(min(rowid), 0), coalesce(max(rowid), 0) FROM ") + table;
        auto const sql_probe = std::string("SELECT rowid, ") + time_column + " FROM " + table +
                               " WHERE rowid >= ? ORDER BY rowid LIMIT 1";
        statement bounds(w_.db, sql_bounds.c_str());
        statement probe(w_.db, sql_probe.c_str());
        if(!bounds || !probe || bounds.step() != SQLITE_ROW)
            return 0;
        std::int64_t lo = bounds.integer(0), hi = bounds.integer(1) + 1;
        while(lo < hi)
        {
            auto const mid = lo + (hi - lo) / 2;
            probe.bind(1, mid);
            if(probe.step() != SQLITE_ROW)
            {
                probe.reset();
                hi = mid;
                continue;
            }
            auto const id = probe.integer(0);
            auto const at = from_micros(probe.integer(1));
            probe.reset();
            if(at < t)
                lo = id + 1;
            else
                hi = mid;
        }
        return lo;
    }

    void prune(timestamp now)
    {
        // Processed rows received before the cut go, range by range. The newest row always
        // stays: SQLite gives a new row max(seq) + 1, and a sequence must never be reused
        // (a processed range may cover it).
        auto const inbox_cut = static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, first_row_at_or_after("inbox", "received_at", now - o_.processed_retention)));
        auto const newest = static_cast<std::uint64_t>(std::max<std::int64_t>(0, w_.pragma("SELECT max(seq) FROM inbox")));
        auto const below = std::min(inbox_cut, newest);
        statement a(w_.db, "DELETE FROM inbox WHERE seq >= ? AND seq <= ?");
        for(auto const& [lo, hi] : ranges_.all())
        {
            if(!a || lo >= below)
                break;
            a.bind(1, static_cast<std::int64_t>(lo)).bind(2, static_cast<std::int64_t>(std::min(hi, below - 1)));
            a.step();
            a.reset();
        }
        auto const identity_cut = first_row_at_or_after("identities", "seen_at", now - o_.identity_retention);
        statement b(w_.db, "DELETE FROM identities WHERE id < ?");
        if(b)
        {
            b.bind(1, identity_cut);
            b.step();
        }
        // Identities seen before the retention, by key ranges: those whose own time is older
        // too (nearly all), and those whose time lies implausibly far ahead (a record stamped
        // years ahead would otherwise stay until then). An old identity seen again recently
        // keeps its first sighting's row until both have aged.
        auto const cut = now - o_.identity_retention;
        auto const cut_ms = std::chrono::duration_cast<std::chrono::milliseconds>(cut.time_since_epoch()).count();
        auto const ahead_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>((now + std::chrono::hours(24)).time_since_epoch()).count();
        std::pair<char const*, std::int64_t> const ranges[] = {
            {"DELETE FROM identity_keys WHERE at_ms < ? AND seen_at < ?", cut_ms},
            {"DELETE FROM identity_keys WHERE at_ms > ? AND seen_at < ?", ahead_ms}};
        for(auto const& [sql, bound] : ranges)
        {
            statement c(w_.db, sql);
            if(!c)
                continue;
            c.bind(1, bound).bind(2, micros(cut));
            c.step();
        }
        prune_history();
        update_size();
    }

    // Each fleet's history beyond the newest o_.history_per_fleet transitions goes (what a
    // restart would load anyway), for the fleets given transitions since the last prune:
    // one lookup of the cut on the (fleet_key, id) index and a range delete each, in one
    // transaction.
    void prune_history()
    {
        if(history_touched_.empty() || !w_.exec("BEGIN"))
            return;
        statement d(w_.db, o_.history_per_fleet == 0
                               ? "DELETE FROM transitions WHERE fleet_key = ?1"
                               : "DELETE FROM transitions WHERE fleet_key = ?1 AND id < (SELECT id FROM transitions "
                                 "WHERE fleet_key = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
        bool ok = static_cast<bool>(d);
        for(auto const& k : history_touched_)
        {
            if(!ok)
                break;
            d.bind(1, k);
            if(o_.history_per_fleet > 0)
                d.bind(2, static_cast<std::int64_t>(o_.history_per_fleet - 1));
            ok = d.step() == SQLITE_DONE;
            d.reset();
        }
        if(ok && w_.exec("COMMIT"))
            history_touched_.clear();
        else
            w_.exec("ROLLBACK");
    }

    // After a batch is written (or not): each append is answered, and what was kept is handed
    // to processing. On the writer thread, or on an I/O thread (flush_inline()), where the
    // answers are given at once. Returns the number of appends.
    std::size_t settle(std::vector<item>& batch, bool ok, bool on_io_thread)
    {
        auto const appends = static_cast<std::size_t>(
            std::count_if(batch.begin(), batch.end(), [](item const& i) { return i.index() == 0; }));
        if(ok)
        {
            transactions_.fetch_add(1, std::memory_order_relaxed);
            appends_.fetch_add(appends, std::memory_order_relaxed);
        }
        // Each append's handler and sequence; when the write failed, all are told so.
        auto completions = std::make_shared<std::vector<std::pair<append_handler, std::uint64_t>>>();
        completions->reserve(appends);
        {
            std::lock_guard lock(mutex_);
            for(auto& it : batch)
            {
                if(auto* a = std::get_if<append_item>(&it))
                {
                    --pending_appends_;
                    pending_bytes_ -= a->e.bytes();
                    completions->emplace_back(std::move(a->done), a->e.sequence);
                    if(!ok)
                        continue;
                    ++backlog_;
                    backlog_bytes_ += a->e.bytes();
                    if(!a->e.request_id.empty())
                        request_ids_.insert(a->request_id, a->now);
                    a->e.gzip_body = std::string();
                    ready_.push_back(std::move(a->e));
                }
                else if(ok)
                {
                    auto const& p = std::get<progress>(it);
                    backlog_ -= std::min(backlog_, p.processed.size());
                    backlog_bytes_ -= std::min(backlog_bytes_, p.processed_bytes);
                }
            }
            if(!ok)
                failures_.fetch_add(1, std::memory_order_relaxed);
        }
        // Completions outside the lock: they write responses.
        if(!completions->empty())
        {
            auto run = [completions, ok] {
                for(auto& [done, seq] : *completions)
                    if(ok)
                        done(append_status::kept, seq, {});
                    else
                        done(append_status::failed, 0, error::store_failure);
            };
            if(o_.run_completions && !on_io_thread)
                o_.run_completions(std::move(run));
            else
                run();
        }
        // Handlers may own the last reference to their owner: release them before this
        // thread reports idle (see sync()).
        completions.reset();
        if(!ok)
        {
            std::vector<item> retry;
            for(auto& it : batch)
                if(it.index() == 1)
                    retry.push_back(std::move(it));
            std::lock_guard lock(mutex_);
            requeue(retry);
        }
        return appends;
    }

    void run_writer()
    {
        auto last_prune = std::chrono::steady_clock::now();
        std::vector<item> batch;
        for(;;)
        {
            {
                std::unique_lock lock(mutex_);
                writer_ = writer_state::idle;
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if(queue_.empty() && stopping_)
                    return;
                writer_ = writer_state::busy;
                // Everything waiting goes in one transaction (group commit). Under load (the
                // last batch held several appends) linger for more, so that one commit covers
                // many deliveries; alone, a delivery waits for nothing.
                if(last_appends_ > 1 && o_.linger.count() > 0 && !stopping_)
                    linger(lock);
                while(!queue_.empty() && batch.size() < o_.max_batch)
                {
                    if(queue_.front().index() == 1)
                        --progress_queued_;
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
                writing_ = true;
            }
            std::string why;
            bool ok;
            {
                std::lock_guard db(db_mutex_);
                ok = write(batch, why);
            }
            last_appends_ = settle(batch, ok, false);
            batch.clear();
            auto const now = std::chrono::steady_clock::now();
            if(now - last_prune >= o_.prune_interval)
            {
                last_prune = now;
                std::lock_guard db(db_mutex_);
                prune(system_now());
            }
            {
                std::lock_guard lock(mutex_);
                writing_ = false;
            }
            idle_cv_.notify_all();
            if(!ok)
                std::this_thread::sleep_for(std::chrono::milliseconds(50)); // a full disk: do not spin
        }
    }

    // Waits for more appends while they keep coming: the writer yields the processor and
    // stops as soon as a yield brought none (whoever appends had nothing more to give, or
    // wanted no processor time), the batch reached twice the last one, or o_.linger passed.
    // Where the I/O threads share the writer's core, it thus commits when they run out of
    // work, not on a timer: a timed wait left the core idle whenever every request in flight
    // waited for this very commit (64 closed-loop connections: 8% idle, 8% fewer deliveries
    // a second). Where they do not, a yield returns at once and the batch goes.
    void linger(std::unique_lock<std::mutex>& lock)
    {
        auto const target = std::min(last_appends_ * 2, o_.max_batch);
        auto const until = std::chrono::steady_clock::now() + o_.linger;
        while(!stopping_ && queue_.size() < target)
        {
            auto const before = queue_.size();
            lock.unlock();
            sched_yield();
            lock.lock();
            if(queue_.size() == before || std::chrono::steady_clock::now() >= until)
                break;
        }
    }

    // Whether an append or commit just queued must wake the writer (under mutex_): only when
    // it waits for work. A busy writer looks at the queue when it is done, and a lingering one
    // between its yields.
    bool writer_needs_wake() const noexcept { return writer_ == writer_state::idle; }

    void run_checkpointer()
    {
        std::unique_lock lock(mutex_);
        while(!stopping_)
        {
            checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(200));
            if(stopping_)
                break;
            lock.unlock();
            int frames = 0, done = 0;
            sqlite3_wal_checkpoint_v2(c_.db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &done);
            // Under sustained writes a passive checkpoint never catches up with the last
            // commit, so the WAL is never rewound and grows without end, and every page read
            // searches all of its index (sqlite3WalFindFrame, 90% of the CPU after 2 million
            // deliveries). Past the bound, a RESTART checkpoint copies what is left while the
            // writer waits, so that its next commit rewinds the WAL. The writer waits on
            // db_mutex_, not in SQLite's busy handler, whose growing sleeps would hold it up
            // for longer than the checkpoint itself; and what is left is little, as passive
            // checkpoints are repeated first while each still finds much committed during the
            // one before (bounded, in case committing outpaces copying).
            if(frames >= 0 && static_cast<std::uint32_t>(frames) >= o_.wal_restart_frames)
            {
                for(int pass = 0; pass < 8; ++pass)
                {
                    int const before = frames;
                    if(sqlite3_wal_checkpoint_v2(c_.db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &done) != SQLITE_OK ||
                       frames - before < static_cast<int>(o_.wal_restart_frames / 64))
                        break;
                }
                std::lock_guard db(db_mutex_);
                sqlite3_wal_checkpoint_v2(c_.db, nullptr, SQLITE_CHECKPOINT_RESTART, &frames, &done);
            }
            lock.lock();
        }
    }

    // Under mutex_: items taken from the queue go back to its front, in their order. Failed
    // progress commits are retried first, in their order: the processing state must reach the
    // disk, and a later snapshot of a fleet must not be overwritten by an earlier one.
    void requeue(std::vector<item>& items)
    {
        for(auto it = items.rbegin(); it != items.rend(); ++it)
        {
            progress_queued_ += it->index() == 1;
            queue_.emplace_front(std::move(*it));
        }
    }

    sqlite_options o_;
    store_limits limits_;
    int lock_fd_ = -1;
    connection w_;                // used under db_mutex_ once the writer runs
    connection c_;                // the checkpointer's
    connection r_;                // the processing thread's, for recall()
    mutable std::mutex db_mutex_;
    statement begin_, commit_, rollback_, insert_inbox_, put_range_, drop_range_, insert_identity_, upsert_fleet_, delete_fleet_, insert_transition_,
        insert_dead_, read_unprocessed_;
    statement recall_; // on r_
    inflater inflater_; // take(), under db_mutex_
    std::set<std::string> history_touched_; // fleets given transitions since the last prune (under db_mutex_)
    bool recall_bracket_ = false, recall_reading_ = false;

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::condition_variable checkpoint_cv_; // its own: a notify_one meant for the writer must not wake it
    std::deque<item> queue_;
    std::deque<inbox_entry> ready_;
    bool stopping_ = false;
    bool writing_ = false;
    // Inline commits (sqlite_options::run_commits), under mutex_: whether a flush_inline() is
    // on its way, the queue's length when it last looked, when its first append came, how many
    // are writing now, and whether sync() has handed everything to the writer thread.
    bool const inline_commits_;
    bool flush_posted_ = false;
    std::size_t flush_seen_ = 0;
    std::chrono::steady_clock::time_point flush_started_;
    int inline_writing_ = 0;
    bool handover_ = false;
    std::size_t progress_queued_ = 0; // progress items in queue_
    bool begin_busy_ = false;         // the last write() found the database locked (db_mutex_)
    std::size_t pending_appends_ = 0, pending_bytes_ = 0;
    std::size_t backlog_ = 0, backlog_bytes_ = 0;
    std::deque<seq_ranges::range> gaps_; // unprocessed sequences left by an earlier run (db_mutex_)
    seq_ranges ranges_;                   // as committed (writer thread, or before it starts)
    deduper request_ids_; // digests of the X-Request-IDs kept recently
    std::atomic<std::uint64_t> size_{0};
    std::atomic<std::uint64_t> failures_{0};
    std::atomic<std::uint64_t> transactions_{0}, appends_{0}, pages_written_{0};
    std::thread writer_thread_;
    std::thread checkpointer_;
    enum class writer_state { busy, idle };
    writer_state writer_ = writer_state::busy; // under mutex_
    std::size_t last_appends_ = 0; // writer thread only
};

} // namespace

std::unique_ptr<store> make_sqlite_store(sqlite_options const& o, store_limits limits, error_code& ec, std::string& why)
{
    auto s = std::make_unique<sqlite_store>(o, limits);
    ec = s->open(why);
    if(ec)
        return nullptr;
    return s;
}

} // namespace catena::webhooks::detail

namespace catena::webhooks {

struct dead_letter_box::impl
{
    std::unique_ptr<detail::sqlite_store> s;
};

std::optional<dead_letter_box> dead_letter_box::open(std::string const& data_dir, error_code& ec, std::string& why)
{
    auto const path = (std::filesystem::path(data_dir) / "catena-webhooks.db").string();
    if(!std::filesystem::exists(path))
    {
        ec = error::invalid_options;
        why = "no store in " + data_dir + " (" + path + " does not exist)";
        return std::nullopt;
    }
    detail::sqlite_options o;
    o.path = path;
    auto s = std::make_unique<detail::sqlite_store>(o, detail::store_limits{});
    ec = s->open(why);
    if(ec)
        return std::nullopt;
    auto p = std::make_unique<impl>();
    p->s = std::move(s);
    return dead_letter_box(std::move(p));
}

dead_letter_box::dead_letter_box(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
dead_letter_box::dead_letter_box(dead_letter_box&&) noexcept = default;
dead_letter_box& dead_letter_box::operator=(dead_letter_box&&) noexcept = default;
dead_letter_box::~dead_letter_box() = default;

std::vector<stored_dead_letter> dead_letter_box::list(std::size_t max) const { return impl_->s->list_dead(max); }

std::optional<stored_dead_letter> dead_letter_box::get(std::int64_t id) const
{
    auto v = impl_->s->list_dead(1, id);
    if(v.empty())
        return std::nullopt;
    return std::move(v.front());
}

error_code dead_letter_box::replay(std::int64_t id, std::string& why) { return impl_->s->replay_dead(id, why); }

std::size_t dead_letter_box::replay_all(std::string& why)
{
    std::size_t n = 0;
    for(auto const& d : impl_->s->list_dead(std::numeric_limits<std::int64_t>::max()))
    {
        std::string w;
        if(impl_->s->replay_dead(d.id, w))
        {
            if(why.empty())
                why = w;
            continue;
        }
        ++n;
    }
    return n;
}

} // namespace catena::webhooks
