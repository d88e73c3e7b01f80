// SPDX-License-Identifier: BSL-1.0
// lib/store/sqlite_store.cpp - the SQLite store: its SQL, its checkpoints and its pruning.
#include "store/sqlite_store.hpp"

#include <catena/webhooks/gzip.hpp>

#include "store/dead_letter_rows.hpp"
#include "store/group_commit.hpp"
#include "store/retention.hpp"
#include "store/schema.hpp"
#include "store/seq_ranges.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

namespace catena::webhooks::detail {

namespace {

// An identity digest as the 16-byte key the identity tables hold.
struct digest_blob
{
    unsigned char raw[16];
    explicit digest_blob(identity_digest const& d) noexcept
    {
        std::memcpy(raw, &d.hi, 8);
        std::memcpy(raw + 8, &d.lo, 8);
    }
};

bool run(statement& s)
{
    int const rc = s.step();
    s.reset();
    return rc == SQLITE_DONE;
}

class sqlite_store final : public store, group_commit::database
{
public:
    sqlite_store(sqlite_options o, store_limits l)
        : o_(std::move(o)), commits_(commit_options(o_, l), *this, db_mutex_)
    {
    }

    ~sqlite_store() override
    {
        {
            std::lock_guard lock(checkpoint_mutex_);
            stopping_ = true;
        }
        checkpoint_cv_.notify_all();
        if(checkpointer_.joinable())
            checkpointer_.join();
        commits_.stop();
    }

    error_code open(std::string& why)
    {
        if(auto ec = lock_.acquire(o_.path, why))
            return ec;
        if(auto ec = open_schema(w_, o_.path, {o_.level, o_.wal_restart_frames, o_.max_page_count}, why))
            return ec;
        sqlite3_busy_handler(w_.db, &sqlite_store::on_busy, this);
        if(auto ec = open_connection(c_, o_.path, SQLITE_OPEN_READWRITE, why))
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
        if(auto ec = open_connection(r_, o_.path, SQLITE_OPEN_READWRITE, why))
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
                if(auto f = codec::decode_fleet(s.text(0)))
                    out.fleets.push_back(std::move(*f));
        }
        {
            statement s(w_.db, "SELECT doc FROM (SELECT id, doc, row_number() OVER (PARTITION BY fleet_key ORDER BY id DESC) "
                               "AS n FROM transitions) WHERE n <= ? ORDER BY id");
            if(s)
            {
                s.bind(1, static_cast<std::int64_t>(o_.history_per_fleet));
                while(s.step() == SQLITE_ROW)
                    if(auto t = codec::decode_transition(s.text(0)))
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
            auto const from = first_row_at_or_after(w_, "identities", "seen_at", now - o_.identity_retention);
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
            statement s(w_.db, "SELECT updated_at, completed_at, doc FROM operations WHERE completed_at >= ?");
            if(s)
            {
                s.bind(1, micros(now - o_.operation_memory));
                while(s.step() == SQLITE_ROW)
                    if(auto r = codec::decode_operation(s.text(2)))
                        out.operations.push_back(
                            stored_operation{std::move(*r), from_micros(s.integer(0)), from_micros(s.integer(1))});
            }
        }
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
            gaps_ = std::move(gaps);
            out.unprocessed = rows;
            commits_.start(rows, bytes);
        }
        update_size();
        checkpointer_ = std::thread([this] { run_checkpointer(); });
        return {};
    }

    void append(inbox_entry e, timestamp now, append_handler done) override
    {
        commits_.append(std::move(e), now, std::move(done));
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
                // Kept as it arrived; processing inflates a compressed body.
                e.body.assign(static_cast<char const*>(s.blob(7)), s.bytes(7));
                e.compressed = s.integer(9) == 1;
                e.replay = s.integer(8) != 0;
                e.route = s.text(10);
                gap.first = e.sequence + 1;
                v.push_back(std::move(e));
            }
            s.reset();
            if(!any || gap.first > gap.second)
                gaps_.pop_front();
        }
        read_lock.unlock();
        commits_.take_ready(v, max);
        return v;
    }

    void commit(progress p) override { commits_.commit(std::move(p)); }
    std::size_t backlog() const override { return commits_.backlog(); }
    std::size_t backlog_bytes() const override { return commits_.backlog_bytes(); }
    // The oldest delivery kept but not handed to processing yet.
    std::optional<timestamp> oldest_unprocessed() const override { return commits_.oldest_ready(); }
    // On the processing thread's own connection: WAL readers wait for no writer. An identity
    // committed after this read began was pushed after it too, so the pipeline still holds it.
    bool recall(identity_key const& k) override
    {
        digest_blob const key(k.digest);
        // One read transaction for the bracket: a read that begins after a commit starts
        // with an empty page cache, so one per lookup would read the tree from the WAL again.
        if(recall_bracket_ && !recall_reading_)
            recall_reading_ = r_.exec("BEGIN");
        auto& s = recall_;
        s.bind(1, k.at_ms).bind_blob(2, key.raw, 16);
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
        s.transactions = commits_.transactions();
        s.appends = commits_.appends();
        s.pages_written = pages_written_.load(std::memory_order_relaxed);
        s.failures = commits_.failures();
        s.lock_waits = lock_waits_.load(std::memory_order_relaxed);
        return s;
    }

    // On a reader connection of their own (opened when first asked): a listing neither waits
    // for the writer nor makes it wait (WAL readers see the last commit).
    std::vector<stored_dead_letter> dead_letters(std::size_t max) const override
    {
        std::lock_guard lock(dead_mutex_);
        return reader() ? list_dead_letters(dead_reader_, max) : std::vector<stored_dead_letter>{};
    }
    std::optional<stored_dead_letter> dead_letter(std::int64_t id) const override
    {
        std::lock_guard lock(dead_mutex_);
        return reader() ? read_dead_letter(dead_reader_, id) : std::nullopt;
    }

    bool sync_until(std::chrono::steady_clock::time_point deadline) override { return commits_.sync_until(deadline); }

private:
    static group_commit_options commit_options(sqlite_options const& o, store_limits l)
    {
        group_commit_options g;
        g.max_batch = o.max_batch;
        g.linger = o.linger;
        g.run_completions = o.run_completions;
        // An fsync per commit (power) does not belong on an I/O thread.
        if(o.level == durability::process)
            g.run_commits = o.run_commits;
        g.limits = l;
        return g;
    }

    bool prepare(std::string& why)
    {
        begin_ = statement(w_.db, "BEGIN IMMEDIATE");
        commit_ = statement(w_.db, "COMMIT");
        rollback_ = statement(w_.db, "ROLLBACK");
        insert_inbox_ = statement(w_.db, "INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, "
                                         "attempt, body, encoding, route) VALUES(?,?,?,?,?,?,?,?,?)");
        put_range_ = statement(w_.db, "INSERT OR REPLACE INTO processed_ranges(lo, hi) VALUES(?, ?)");
        drop_range_ = statement(w_.db, "DELETE FROM processed_ranges WHERE lo = ?");
        // A replayed delivery's identities are there already: the first sighting stays.
        insert_identity_ = statement(w_.db, "INSERT OR IGNORE INTO identity_keys(at_ms, digest, seen_at) VALUES(?, ?, ?)");
        recall_ = statement(r_.db, "SELECT 1 FROM identity_keys WHERE at_ms = ? AND digest = ?");
        upsert_fleet_ = statement(w_.db, "INSERT INTO fleets(key, snapshot) VALUES(?, ?) "
                                         "ON CONFLICT(key) DO UPDATE SET snapshot = excluded.snapshot");
        delete_fleet_ = statement(w_.db, "DELETE FROM fleets WHERE key = ?");
        insert_transition_ = statement(w_.db, "INSERT INTO transitions(fleet_key, doc) VALUES(?, ?)");
        insert_dead_ = statement(w_.db, dead_letter_insert_sql);
        // Of two outcomes of one operation, the newer record wins, whatever order they came in.
        upsert_operation_ = statement(w_.db, "INSERT INTO operations(id, updated_at, completed_at, doc) VALUES(?, ?, ?, ?) "
                                             "ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, "
                                             "completed_at = excluded.completed_at, doc = excluded.doc "
                                             "WHERE excluded.updated_at >= operations.updated_at");
        read_unprocessed_ = statement(w_.db, "SELECT seq, received_at, sent_at, webhook_id, request_id, event_type, "
                                             "attempt, body, replay, encoding, route FROM inbox WHERE seq >= ? AND seq <= ? "
                                             "ORDER BY seq LIMIT ?");
        bool const ok = begin_ && commit_ && rollback_ && insert_inbox_ && put_range_ && drop_range_ && insert_identity_ &&
                        recall_ && upsert_fleet_ && delete_fleet_ && insert_transition_ && insert_dead_ &&
                        upsert_operation_ && read_unprocessed_;
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
    bool write(std::vector<commit_item>& batch, bool no_wait, bool& busy) override
    {
        if(!no_wait)
            return write(batch, busy);
        no_wait_ = true;
        bool const ok = write(batch, busy);
        no_wait_ = false;
        return ok;
    }

    // The writer waits for another connection's lock as sqlite3_busy_timeout() would (SQLite's
    // own steps, busy_timeout_ms in all), or not at all for a no_wait write; every wait is
    // counted (store_stats::lock_waits: another process holds the database).
    static int on_busy(void* self, int n)
    {
        auto& s = *static_cast<sqlite_store*>(self);
        if(n == 0)
            s.lock_waits_.fetch_add(1, std::memory_order_relaxed);
        if(s.no_wait_)
            return 0;
        static constexpr int steps[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
        constexpr int count = static_cast<int>(std::size(steps));
        int waited = 0;
        for(int i = 0; i < n; ++i)
            waited += steps[std::min(i, count - 1)];
        if(waited >= busy_timeout_ms)
            return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(steps[std::min(n, count - 1)]));
        return 1;
    }

    bool write(std::vector<commit_item>& batch, bool& busy)
    {
        busy = false;
        if(!run(begin_))
        {
            busy = (sqlite3_errcode(w_.db) & 0xff) == SQLITE_BUSY;
            return false;
        }
        auto fail = [&] {
            run(rollback_);
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
                s.bind_blob(7, e.body.data(), e.body.size()).bind(8, e.compressed ? 1 : 0).bind(9, e.route);
                if(!run(s))
                    return fail();
                a->e.sequence = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(w_.db));
                continue;
            }
            auto& p = std::get<progress>(it);
            if(!ranges)
                ranges.emplace(ranges_);
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
                digest_blob const key(k.digest);
                if(!run(insert_identity_.bind(1, k.at_ms).bind_blob(2, key.raw, 16).bind(3, micros(t))))
                    return fail();
            }
            for(auto const& k : p.removed_fleets)
                if(!run(delete_fleet_.bind(1, k)))
                    return fail();
            for(auto const& f : p.fleets)
            {
                auto const doc = codec::encode(f);
                if(!run(upsert_fleet_.bind(1, f.state.key).bind(2, doc)))
                    return fail();
            }
            for(auto const& t : p.transitions)
            {
                auto const doc = codec::encode(t);
                if(!run(insert_transition_.bind(1, t.fleet_key).bind(2, doc)))
                    return fail();
                history_touched_.insert(t.fleet_key);
            }
            for(auto const& d : p.dead_letters)
                if(!write_dead_letter(insert_dead_, d, system_now()))
                    return fail();
            for(auto const& op : p.operations)
            {
                auto const doc = codec::encode(op.result);
                if(!run(upsert_operation_.bind(1, op.result.operation_id)
                            .bind(2, micros(op.updated_at))
                            .bind(3, micros(op.completed_at))
                            .bind(4, doc)))
                    return fail();
            }
        }
        if(!run(commit_))
            return fail();
        if(ranges)
            ranges_ = std::move(*ranges);
        int pages = 0, highwater = 0;
        sqlite3_db_status(w_.db, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &highwater, 1);
        pages_written_.fetch_add(static_cast<std::uint64_t>(pages), std::memory_order_relaxed);
        return true;
    }

    // Every o_.prune_interval (0: after every commit), old rows go.
    void upkeep() override
    {
        auto const now = std::chrono::steady_clock::now();
        if(now - last_prune_ < o_.prune_interval)
            return;
        last_prune_ = now;
        std::lock_guard db(db_mutex_);
        prune_old_rows(w_, ranges_,
                       {o_.processed_retention, o_.identity_retention, o_.operation_memory, o_.history_per_fleet},
                       system_now(), history_touched_);
        update_size();
    }

    void run_checkpointer()
    {
        std::unique_lock lock(checkpoint_mutex_);
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

    // Under dead_mutex_.
    bool reader() const
    {
        if(dead_reader_.db)
            return true;
        std::string why;
        if(open_connection(dead_reader_, o_.path, SQLITE_OPEN_READONLY, why))
            return false;
        dead_reader_.exec("PRAGMA busy_timeout=5000");
        dead_reader_.exec("PRAGMA cache_size=-1024");
        return true;
    }

    // Under mutex_: items taken from the queue go back to its front, in their order. Failed
    // progress commits are retried first, in their order: the processing state must reach the
    // disk, and a later snapshot of a fleet must not be overwritten by an earlier one.
    sqlite_options o_;
    store_lock lock_;
    mutable connection w_;        // used under db_mutex_ once the writer runs (dead_letters() too)
    connection c_;                // the checkpointer's
    connection r_;                // the processing thread's, for recall()
    mutable connection dead_reader_; // dead-letter listings' (under dead_mutex_)
    std::atomic<std::uint64_t> lock_waits_{0};
    bool no_wait_ = false; // the writer's, under db_mutex_
    mutable std::mutex dead_mutex_;
    mutable std::mutex db_mutex_;
    statement begin_, commit_, rollback_, insert_inbox_, put_range_, drop_range_, insert_identity_, upsert_fleet_,
        delete_fleet_, insert_transition_, insert_dead_, upsert_operation_, read_unprocessed_;
    statement recall_; // on r_
    std::set<std::string> history_touched_; // fleets given transitions since the last prune (under db_mutex_)
    bool recall_bracket_ = false, recall_reading_ = false;
    std::deque<seq_ranges::range> gaps_; // unprocessed sequences left by an earlier run (db_mutex_)
    seq_ranges ranges_;                   // as committed (writer thread, or before it starts)
    std::chrono::steady_clock::time_point last_prune_ = std::chrono::steady_clock::now(); // writer thread
    std::atomic<std::uint64_t> size_{0};
    std::atomic<std::uint64_t> pages_written_{0};

    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_cv_;
    bool stopping_ = false; // under checkpoint_mutex_
    std::thread checkpointer_;

    // Last: its writer thread stops before anything it writes through goes.
    group_commit commits_;
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
