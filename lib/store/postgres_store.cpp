// SPDX-License-Identifier: BSL-1.0
// lib/store/postgres_store.cpp - the shared store: one PostgreSQL database for several receivers, one of them leading.
#include "store/postgres_store.hpp"

#include "store/group_commit.hpp"
#include "store/pg.hpp"
#include "store/pg_leadership.hpp"
#include "store/pg_schema.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace catena::webhooks::detail {

namespace {

// One statement per append: the request's and the envelope's keys are remembered in the
// shared table unless another receiver kept them within the memory (a key older than that
// is taken over), and the delivery is kept only when both were new.
constexpr char const* append_sql =
    "WITH r AS (INSERT INTO request_keys(hi, lo, seen_at) SELECT $1, $2, $3 WHERE $4 "
    "           ON CONFLICT (hi, lo) DO UPDATE SET seen_at = excluded.seen_at WHERE request_keys.seen_at < $5 "
    "           RETURNING 1), "
    "     e AS (INSERT INTO request_keys(hi, lo, seen_at) SELECT $6, $7, $3 WHERE $8 "
    "           ON CONFLICT (hi, lo) DO UPDATE SET seen_at = excluded.seen_at WHERE request_keys.seen_at < $5 "
    "           RETURNING 1), "
    "     i AS (INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, body, encoding, "
    "                             route) "
    "           SELECT $9, $10, $11, $12, $13, $14, $15, $16, $17 "
    "           WHERE (NOT $4 OR EXISTS (SELECT 1 FROM r)) AND (NOT $8 OR EXISTS (SELECT 1 FROM e)) RETURNING seq) "
    "SELECT (SELECT seq FROM i), EXISTS (SELECT 1 FROM r)";

// What became visible, in the order it did (see pg_schema.cpp), after the cursor.
constexpr char const* take_sql =
    "SELECT seq, txid::text, received_at, sent_at, webhook_id, request_id, event_type, attempt, body, encoding, "
    "replay, route FROM inbox WHERE NOT processed AND (txid, seq) > ($1::text::xid8, $2) "
    "AND txid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY txid, seq LIMIT $3";

std::int64_t as_int(std::uint64_t v) noexcept { return static_cast<std::int64_t>(v); }

class postgres_store final : public store, group_commit::database
{
public:
    postgres_store(postgres_options o, store_limits l)
        : o_(std::move(o)), limits_(l),
          leadership_({o_.name, o_.leader_poll, o_.refresh_interval, o_.history_per_fleet},
                      [this](pg_backlog const& b) {
                          oldest_.store(b.oldest_micros, std::memory_order_relaxed);
                          commits_.set_backlog(b.entries, b.bytes);
                      }),
          commits_(commit_options(o_, l), *this, db_mutex_)
    {
    }

    ~postgres_store() override
    {
        leadership_.stop();
        commits_.stop();
    }

    error_code open(std::string& why)
    {
        where_ = redact_conninfo(o_.conninfo);
        auto const conninfo = pg_conninfo::for_session(o_.conninfo, o_.name, why);
        if(!conninfo || !w_.open(*conninfo, why) || !r_.open(*conninfo, why) || !leadership_.open(*conninfo, why))
        {
            why += " (" + where_ + ")";
            return error::store_failure;
        }
        if(auto ec = open_pg_schema(w_, where_, why))
            return ec;
        pg_backlog b;
        if(!count_backlog(w_, b))
        {
            why = "cannot read the inbox in " + where_ + ": " + w_.message();
            return error::store_failure;
        }
        commits_.start(b.entries, b.bytes);
        return {};
    }

    //--------------------------------------------------------------------------

    bool shared() const noexcept override { return true; }

    void lead(leadership_hooks h) override
    {
        leadership_.start(std::move(h));
    }

    // A session that looks up may be one the server dropped (a restart): what fails is read
    // again on a new session, a few times, and never taken for an empty store.
    error_code recover(recovered_state& out, timestamp now) override
    {
        std::lock_guard lock(read_mutex_);
        for(int attempt = 0; attempt < 5; ++attempt)
        {
            if(attempt)
                std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
            out = {};
            if(!r_.ensure())
                continue;
            if(!pg_load_state(r_, o_.history_per_fleet, out.fleets, out.transitions))
            {
                r_.close();
                continue;
            }
            auto const any = r_.exec("SELECT 1 FROM identity_keys LIMIT 1");
            auto const ops = r_.exec("SELECT updated_at, completed_at, doc FROM operations WHERE completed_at >= $1",
                                     pg_params().integer(micros(now - o_.operation_memory)));
            pg_backlog b;
            if(!any.ok() || !ops.ok() || !count_backlog(r_, b))
            {
                r_.close();
                continue;
            }
            out.identities_to_recall = any.rows() > 0;
            for(int i = 0; i < ops.rows(); ++i)
                if(auto r = codec::decode_operation(ops.bytes(i, 2)))
                    out.operations.push_back(
                        stored_operation{std::move(*r), from_micros(ops.integer(i, 0)), from_micros(ops.integer(i, 1))});
            out.unprocessed = b.entries;
            cursor_txid_ = "0";
            cursor_seq_ = 0;
            return {};
        }
        return error::store_failure;
    }

    void append(inbox_entry e, timestamp now, append_handler done) override
    {
        commits_.append(std::move(e), now, std::move(done));
    }

    std::vector<inbox_entry> take(std::size_t max) override
    {
        std::vector<inbox_entry> v;
        if(!leadership_.leading())
            return v;
        std::lock_guard lock(read_mutex_);
        if(!r_.ensure())
            return v;
        auto const r = r_.exec_prepared(
            "take", take_sql, pg_params().text(cursor_txid_).integer(as_int(cursor_seq_)).integer(as_int(max)));
        for(int i = 0; i < r.rows(); ++i)
        {
            inbox_entry e;
            e.sequence = static_cast<std::uint64_t>(r.integer(i, 0));
            e.received_at = from_micros(r.integer(i, 2));
            e.sent_at = from_micros(r.integer(i, 3));
            e.webhook_id = r.text(i, 4);
            e.request_id = r.text(i, 5);
            e.event_type = r.text(i, 6);
            e.delivery_attempt = static_cast<std::uint32_t>(r.integer(i, 7));
            e.body = r.text(i, 8);
            e.compressed = r.integer(i, 9) == 1;
            e.replay = r.boolean(i, 10);
            e.route = r.text(i, 11);
            cursor_txid_ = r.text(i, 1);
            cursor_seq_ = e.sequence;
            v.push_back(std::move(e));
        }
        return v;
    }

    void commit(progress p) override
    {
        if(leadership_.leading())
            commits_.commit(std::move(p));
    }
    std::size_t backlog() const override { return commits_.backlog(); }
    std::size_t backlog_bytes() const override { return commits_.backlog_bytes(); }
    std::optional<timestamp> oldest_unprocessed() const override
    {
        auto const t = oldest_.load(std::memory_order_relaxed);
        if(t == 0)
            return std::nullopt;
        return from_micros(t);
    }

    // A lookup that fails is tried once more on a new session (the server may have dropped
    // this one): an identity taken for unseen would be applied again.
    bool recall(identity_key const& k) override
    {
        std::lock_guard lock(read_mutex_);
        auto const p = pg_params().integer(k.at_ms).integer(as_int(k.digest.hi)).integer(as_int(k.digest.lo));
        for(int attempt = 0; attempt < 2; ++attempt)
        {
            if(!r_.ensure())
                continue;
            auto const r = r_.exec_prepared("recall", "SELECT 1 FROM identity_keys WHERE at_ms = $1 AND hi = $2 AND lo = $3", p);
            if(r.ok())
                return r.rows() > 0;
        }
        return false;
    }
    bool keeps_state() const noexcept override { return true; }
    std::uint64_t size_on_disk() const override { return size_.load(std::memory_order_relaxed); }
    store_stats stats() const override
    {
        store_stats s;
        s.transactions = commits_.transactions();
        s.appends = commits_.appends();
        s.failures = commits_.failures();
        s.shared = true;
        s.leader = leadership_.leading();
        s.leadership_changes = leadership_.changes();
        s.round_trips = pg_connection::round_trips();
        s.errors = pg_connection::failures();
        return s;
    }

    std::vector<stored_dead_letter> dead_letters(std::size_t max) const override
    {
        std::lock_guard lock(read_mutex_);
        return r_.ensure() ? pg_list_dead_letters(r_, max) : std::vector<stored_dead_letter>{};
    }
    std::optional<stored_dead_letter> dead_letter(std::int64_t id) const override
    {
        std::lock_guard lock(read_mutex_);
        return r_.ensure() ? pg_read_dead_letter(r_, id) : std::nullopt;
    }

    bool sync_until(std::chrono::steady_clock::time_point deadline) override { return commits_.sync_until(deadline); }

private:
    static group_commit_options commit_options(postgres_options const& o, store_limits l)
    {
        group_commit_options g;
        g.max_batch = o.max_batch;
        g.linger = o.linger;
        g.run_completions = o.run_completions;
        g.limits = l;
        g.hand_to_processing = false;
        return g;
    }

    // The backlog as the inbox holds it (every receiver's appends), and its oldest row.
    bool count_backlog(pg_connection& c, pg_backlog& b)
    {
        if(!pg_count_backlog(c, b))
            return false;
        oldest_.store(b.oldest_micros, std::memory_order_relaxed);
        return true;
    }

    //--------------------------------------------------------------------------
    // The writer (group_commit's thread), under db_mutex_.

    bool write(std::vector<commit_item>& batch, bool, bool& busy) override
    {
        busy = false;
        if(!w_.ensure())
            return false;
        if(!w_.exec("BEGIN").ok())
            return false;
        auto fail = [&] {
            if(w_.healthy())
                w_.exec("ROLLBACK");
            return false;
        };
        bool const has_progress = std::any_of(batch.begin(), batch.end(), [](auto const& i) { return i.index() == 1; });
        bool fenced = false;
        if(has_progress)
        {
            // The fence: progress is written only under the epoch this receiver was elected
            // in. A new leader raises the epoch before it loads the state, so a commit of
            // the old leader's either comes before (and is loaded) or fails here.
            bool const fleets = std::any_of(batch.begin(), batch.end(), [](auto const& i) {
                auto const* p = std::get_if<progress>(&i);
                return p && (!p->fleets.empty() || !p->removed_fleets.empty());
            });
            auto const r = w_.exec_prepared("fence",
                                            "UPDATE catena_leader SET beat = now(), fleets_version = fleets_version + $2 "
                                            "WHERE id = 1 AND epoch = $1",
                                            pg_params().integer(leadership_.epoch()).integer(fleets ? 1 : 0));
            if(!r.ok())
                return fail();
            fenced = r.affected() == 0;
        }
        bool kept = false;
        for(auto& it : batch)
        {
            if(auto* a = std::get_if<append_item>(&it))
            {
                if(!write_append(*a))
                    return fail();
                kept = kept || a->status == append_status::kept;
            }
            else if(!fenced && !write_progress(std::get<progress>(it)))
                return fail();
        }
        if(kept && !w_.exec((std::string("NOTIFY ") + pg_inbox_channel).c_str()).ok())
            return fail();
        if(!w_.exec("COMMIT").ok())
            return fail();
        if(fenced)
            leadership_.fenced();
        return true;
    }

    bool write_append(append_item& a)
    {
        auto const& e = a.e;
        auto const now = micros(a.now);
        auto const memory = micros(a.now - limits_.request_id_memory);
        pg_params p;
        p.integer(as_int(a.request_id.request.hi)).integer(as_int(a.request_id.request.lo)).integer(now);
        p.boolean(!e.request_id.empty()).integer(memory);
        p.integer(as_int(a.request_id.envelope.hi)).integer(as_int(a.request_id.envelope.lo));
        p.boolean(!e.envelope_key.empty());
        p.integer(micros(e.received_at)).integer(micros(e.sent_at)).text(e.webhook_id).text(e.request_id);
        p.text(e.event_type).integer(e.delivery_attempt).bytes(e.body.data(), e.body.size());
        p.integer(e.compressed ? 1 : 0).text(e.route);
        auto const r = w_.exec_prepared("append", append_sql, p);
        if(!r.ok() || r.rows() != 1)
            return false;
        if(r.null(0, 0))
        {
            a.status = !e.request_id.empty() && !r.boolean(0, 1) ? append_status::duplicate
                                                                   : append_status::duplicate_envelope;
            return true;
        }
        a.status = append_status::kept;
        a.e.sequence = static_cast<std::uint64_t>(r.integer(0, 0));
        return true;
    }

    bool write_progress(progress const& p)
    {
        auto run = [&](char const* name, char const* sql, pg_params const& params) {
            return w_.exec_prepared(name, sql, params).ok();
        };
        if(!p.processed.empty())
        {
            std::vector<std::int64_t> seqs(p.processed.begin(), p.processed.end());
            if(!run("processed", "UPDATE inbox SET processed = true WHERE seq = ANY($1::int8[])",
                    pg_params().literal(pg_int_array(seqs))))
                return false;
        }
        if(!p.identities.empty())
        {
            // A replayed delivery's identities are there already: the first sighting stays.
            std::vector<std::int64_t> at, hi, lo, seen;
            for(auto const& [k, t] : p.identities)
            {
                at.push_back(k.at_ms);
                hi.push_back(as_int(k.digest.hi));
                lo.push_back(as_int(k.digest.lo));
                seen.push_back(micros(t));
            }
            if(!run("identities",
                    "INSERT INTO identity_keys(at_ms, hi, lo, seen_at) SELECT * FROM unnest($1::int8[], $2::int8[], "
                    "$3::int8[], $4::int8[]) ON CONFLICT DO NOTHING",
                    pg_params().literal(pg_int_array(at)).literal(pg_int_array(hi)).literal(pg_int_array(lo)).literal(
                        pg_int_array(seen))))
                return false;
        }
        if(!p.removed_fleets.empty())
        {
            std::vector<std::string_view> keys(p.removed_fleets.begin(), p.removed_fleets.end());
            if(!run("unfleet", "DELETE FROM fleets WHERE key = ANY($1::text[])", pg_params().literal(pg_text_array(keys))))
                return false;
        }
        if(!p.fleets.empty())
        {
            // One row per key: of two snapshots of a fleet in one commit, the later.
            std::vector<std::string> docs;
            std::vector<std::string_view> keys, views;
            std::set<std::string_view> seen;
            for(auto it = p.fleets.rbegin(); it != p.fleets.rend(); ++it)
                if(seen.insert(it->state.key).second)
                {
                    keys.push_back(it->state.key);
                    docs.push_back(codec::encode(*it));
                }
            for(auto const& d : docs)
                views.push_back(d);
            if(!run("fleets",
                    "INSERT INTO fleets(key, snapshot) SELECT * FROM unnest($1::text[], $2::text[]) "
                    "ON CONFLICT (key) DO UPDATE SET snapshot = excluded.snapshot",
                    pg_params().literal(pg_text_array(keys)).literal(pg_text_array(views))))
                return false;
        }
        if(!p.transitions.empty())
        {
            std::vector<std::string> docs;
            std::vector<std::string_view> keys, views;
            for(auto const& t : p.transitions)
            {
                keys.push_back(t.fleet_key);
                docs.push_back(codec::encode(t));
                history_touched_.insert(t.fleet_key);
            }
            for(auto const& d : docs)
                views.push_back(d);
            if(!run("transitions",
                    "INSERT INTO transitions(fleet_key, doc) SELECT k, d FROM unnest($1::text[], $2::text[]) "
                    "WITH ORDINALITY AS t(k, d, n) ORDER BY n",
                    pg_params().literal(pg_text_array(keys)).literal(pg_text_array(views))))
                return false;
        }
        for(auto const& d : p.dead_letters)
            if(!run("dead_letter",
                    "INSERT INTO dead_letters(kind, reason, seq, request_id, webhook_id, event_type, body, "
                    "idempotency_key, handler, error_text, attempts, created_at, route) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    pg_params()
                        .text(d.kind == dead_letter_kind::callback_failed ? "callback_failed" : "undecodable")
                        .text(d.reason)
                        .integer(as_int(d.sequence))
                        .text(d.request_id)
                        .text(d.webhook_id)
                        .text(d.event_type)
                        .bytes(d.body.data(), d.body.size())
                        .text(d.idempotency_key)
                        .text(d.handler)
                        .text(d.error_text)
                        .integer(d.attempts)
                        .integer(micros(system_now()))
                        .text(d.route)))
                return false;
        // Of two outcomes of one operation, the newer record wins, whatever order they came in.
        for(auto const& op : p.operations)
            if(!run("operation",
                    "INSERT INTO operations(id, updated_at, completed_at, doc) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, completed_at = "
                    "excluded.completed_at, doc = excluded.doc WHERE excluded.updated_at >= operations.updated_at",
                    pg_params()
                        .text(op.result.operation_id)
                        .integer(micros(op.updated_at))
                        .integer(micros(op.completed_at))
                        .text(codec::encode(op.result))))
                return false;
        return true;
    }

    // The leader prunes, every o_.prune_interval, each kind of row in a statement of its own.
    void upkeep() override
    {
        auto const now = std::chrono::steady_clock::now();
        if(!leadership_.leading() || now - last_prune_ < o_.prune_interval)
            return;
        last_prune_ = now;
        std::lock_guard db(db_mutex_);
        if(!w_.ensure())
            return;
        auto const t = system_now();
        auto const cut = micros(t - o_.identity_retention);
        auto ms = [](timestamp x) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(x.time_since_epoch()).count();
        };
        // Processed rows received before the cut: rows are appended in about time order, so
        // the first row at or after the cut bounds them; with none after it, every processed
        // row is older (a bigserial is never given out twice, so none need stay).
        w_.exec("DELETE FROM inbox WHERE processed AND seq < (SELECT coalesce(min(seq), 9223372036854775807) FROM "
                "inbox WHERE received_at >= $1)",
                pg_params().integer(micros(t - o_.processed_retention)));
        w_.exec("DELETE FROM request_keys WHERE seen_at < $1", pg_params().integer(micros(t - limits_.request_id_memory)));
        w_.exec("DELETE FROM identity_keys WHERE at_ms < $1 AND seen_at < $2",
                pg_params().integer(ms(t - o_.identity_retention)).integer(cut));
        w_.exec("DELETE FROM identity_keys WHERE at_ms > $1 AND seen_at < $2",
                pg_params().integer(ms(t + std::chrono::hours(24))).integer(cut));
        w_.exec("DELETE FROM operations WHERE completed_at < $1", pg_params().integer(micros(t - o_.operation_memory)));
        if(!history_touched_.empty() && o_.history_per_fleet > 0)
        {
            std::vector<std::string_view> keys(history_touched_.begin(), history_touched_.end());
            w_.exec("DELETE FROM transitions t USING (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY "
                    "fleet_key ORDER BY id DESC) AS n FROM transitions WHERE fleet_key = ANY($1::text[])) AS x WHERE n > "
                    "$2) AS old WHERE t.id = old.id",
                    pg_params().literal(pg_text_array(keys)).integer(as_int(o_.history_per_fleet)));
            history_touched_.clear();
        }
        auto const size = w_.exec("SELECT pg_database_size(current_database())", {});
        if(size.ok() && size.rows() == 1)
            size_.store(static_cast<std::uint64_t>(size.integer(0, 0)), std::memory_order_relaxed);
    }

    postgres_options const o_;
    store_limits const limits_;
    std::string where_;             // the conninfo without its password
    pg_connection w_;               // the writer's (group commit), under db_mutex_
    mutable pg_connection r_;       // processing's (take, recall, recover) and dead_letters(), under read_mutex_
    mutable std::mutex db_mutex_, read_mutex_;
    std::string cursor_txid_ = "0"; // the last row taken (processing thread)
    std::uint64_t cursor_seq_ = 0;
    std::set<std::string> history_touched_; // writer thread
    std::chrono::steady_clock::time_point last_prune_ = std::chrono::steady_clock::now();
    std::atomic<std::uint64_t> size_{0};
    std::atomic<std::int64_t> oldest_{0};
    pg_leadership leadership_; // its thread sets the backlog below and oldest_

    // Last: its writer thread stops before anything it writes through goes.
    group_commit commits_;
};

} // namespace

std::unique_ptr<store> make_postgres_store(postgres_options const& o, store_limits limits, error_code& ec,
                                           std::string& why)
{
    auto s = std::make_unique<postgres_store>(o, limits);
    ec = s->open(why);
    if(ec)
        return nullptr;
    return s;
}

} // namespace catena::webhooks::detail
