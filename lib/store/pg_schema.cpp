// SPDX-License-Identifier: BSL-1.0
// lib/store/pg_schema.cpp - the PostgreSQL store's tables: created, upgraded, and the dead letters read offline.
#include "store/pg_schema.hpp"

#include "store/dead_letter_rows.hpp"
#include "store/inbox_entry.hpp"
#include "store/sqlite.hpp"

namespace catena::webhooks::detail {

namespace {

constexpr std::int64_t schema_lock = 0x43415445'53434845; // "CATESCHE"

// Times are microseconds since the epoch (as in SQLite), digests two int8 halves.
// The inbox is read by the leader in the order its rows became visible: by the id of the
// transaction that wrote them, below the oldest transaction still running (pg_snapshot_xmin),
// so that a row a slower receiver commits later with a lower seq is never skipped.
constexpr char const* schema_v1 = R"sql(
CREATE TABLE catena_meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE catena_leader(
  id int PRIMARY KEY CHECK (id = 1),
  epoch bigint NOT NULL,
  holder text NOT NULL,
  since timestamptz,
  beat timestamptz,
  fleets_version bigint NOT NULL DEFAULT 0
);
INSERT INTO catena_leader(id, epoch, holder) VALUES (1, 0, '');
CREATE TABLE inbox(
  seq bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  received_at bigint NOT NULL,
  sent_at bigint NOT NULL,
  webhook_id text NOT NULL,
  request_id text NOT NULL,
  event_type text NOT NULL,
  attempt bigint NOT NULL,
  body bytea NOT NULL,
  encoding bigint NOT NULL DEFAULT 0,
  replay boolean NOT NULL DEFAULT false,
  route text NOT NULL DEFAULT '',
  processed boolean NOT NULL DEFAULT false
);
CREATE INDEX inbox_pending ON inbox(txid, seq) WHERE NOT processed;
CREATE TABLE request_keys(hi bigint NOT NULL, lo bigint NOT NULL, seen_at bigint NOT NULL, PRIMARY KEY(hi, lo));
CREATE TABLE identity_keys(
  at_ms bigint NOT NULL, hi bigint NOT NULL, lo bigint NOT NULL, seen_at bigint NOT NULL,
  PRIMARY KEY(at_ms, hi, lo)
);
CREATE TABLE fleets(key text PRIMARY KEY, snapshot text NOT NULL);
CREATE TABLE transitions(id bigserial PRIMARY KEY, fleet_key text NOT NULL, doc text NOT NULL);
CREATE INDEX transitions_fleet ON transitions(fleet_key, id);
CREATE TABLE dead_letters(
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  reason text NOT NULL,
  seq bigint NOT NULL,
  request_id text NOT NULL,
  webhook_id text NOT NULL,
  event_type text NOT NULL,
  body bytea NOT NULL,
  idempotency_key text NOT NULL,
  handler text NOT NULL,
  error_text text NOT NULL,
  attempts bigint NOT NULL,
  created_at bigint NOT NULL,
  route text NOT NULL DEFAULT ''
);
CREATE TABLE operations(id text PRIMARY KEY, updated_at bigint NOT NULL, completed_at bigint NOT NULL, doc text NOT NULL);
)sql";

// Upgrades from each older version to the next, in order: migrations[v - 1] takes v to v + 1.
constexpr char const* migrations[] = {nullptr};

bool ok(pg_result const& r) { return r.ok(); }

stored_dead_letter letter_at(pg_result const& r, int row)
{
    stored_dead_letter x;
    x.id = r.integer(row, 0);
    x.created_at = from_micros(r.integer(row, 1));
    auto& d = x.letter;
    d.kind = r.text(row, 2) == "callback_failed" ? dead_letter_kind::callback_failed : dead_letter_kind::undecodable;
    d.reason = dead_letter_reason(r.text(row, 3));
    d.sequence = static_cast<std::uint64_t>(r.integer(row, 4));
    d.request_id = r.text(row, 5);
    d.webhook_id = r.text(row, 6);
    d.event_type = r.text(row, 7);
    d.body = r.text(row, 8);
    d.idempotency_key = r.text(row, 9);
    d.handler = r.text(row, 10);
    d.error_text = r.text(row, 11);
    d.attempts = static_cast<unsigned>(r.integer(row, 12));
    d.route = r.text(row, 13);
    x.body_bytes = static_cast<std::size_t>(r.integer(row, 14));
    return x;
}

} // namespace

error_code open_pg_schema(pg_connection& c, std::string const& where, std::string& why)
{
    auto fail = [&](std::string what) {
        why = what + " in " + where + ": " + c.message();
        c.exec("ROLLBACK");
        return make_error_code(error::store_failure);
    };
    if(!ok(c.exec("BEGIN")) || !ok(c.exec(("SELECT pg_advisory_xact_lock(" + std::to_string(schema_lock) + ")").c_str())))
        return fail("cannot lock the schema");
    auto const found = c.exec("SELECT to_regclass('catena_meta') IS NOT NULL, to_regclass('inbox') IS NOT NULL, "
                              "(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())",
                              {}, false);
    if(!found.ok() || found.rows() != 1)
        return fail("cannot read the schema");
    bool const ours = found.text(0, 0) == "t";
    bool const tables = found.text_integer(0, 2) > 0;
    if(!ours && tables)
    {
        c.exec("ROLLBACK");
        why = where + " holds tables of something else (no catena_meta table beside them); it was left untouched";
        return error::store_not_ours;
    }
    if(!ours)
    {
        if(!ok(c.exec(schema_v1)) ||
           !ok(c.exec(("INSERT INTO catena_meta(key, value) VALUES ('application', 'catena-webhooks'), "
                       "('schema_version', '" + std::to_string(pg_schema_version) + "')")
                          .c_str())) ||
           !ok(c.exec("COMMIT")))
            return fail("cannot create the store");
        return {};
    }
    auto const v = c.exec("SELECT value FROM catena_meta WHERE key = 'schema_version'", {}, false);
    auto const app = c.exec("SELECT value FROM catena_meta WHERE key = 'application'", {}, false);
    if(!v.ok() || v.rows() != 1 || !app.ok() || app.rows() != 1 || app.text(0, 0) != "catena-webhooks")
    {
        c.exec("ROLLBACK");
        why = where + " has a catena_meta table that is not catena-webhooks'; it was left untouched";
        return error::store_not_ours;
    }
    auto const version = v.text_integer(0, 0);
    // Schema 1 was the first: anything below it (0, or no number) would "upgrade" through
    // migrations[-1].
    if(version < 1)
    {
        c.exec("ROLLBACK");
        why = where + " has a catena_meta table whose schema_version \"" + v.text(0, 0) +
              "\" is no version of catena-webhooks'; it was left untouched";
        return error::store_not_ours;
    }
    if(version > pg_schema_version)
    {
        c.exec("ROLLBACK");
        why = where + " was written by a newer version (schema " + std::to_string(version) + ", this one reads " +
              std::to_string(pg_schema_version) + "); it was left untouched";
        return error::store_newer_schema;
    }
    for(auto from = version; from < pg_schema_version; ++from)
        if(!ok(c.exec(migrations[from - 1])))
            return fail("cannot upgrade the store from schema " + std::to_string(from));
    if(version < pg_schema_version &&
       !ok(c.exec(("UPDATE catena_meta SET value = '" + std::to_string(pg_schema_version) +
                   "' WHERE key = 'schema_version'")
                      .c_str())))
        return fail("cannot record the schema version");
    if(!ok(c.exec("COMMIT")))
        return fail("cannot commit the schema");
    return {};
}

std::string pg_int_array(std::vector<std::int64_t> const& v)
{
    std::string s = "{";
    for(std::size_t i = 0; i < v.size(); ++i)
    {
        if(i)
            s += ',';
        s += std::to_string(v[i]);
    }
    return s + "}";
}

std::string pg_text_array(std::vector<std::string_view> const& v)
{
    std::string s = "{";
    for(std::size_t i = 0; i < v.size(); ++i)
    {
        if(i)
            s += ',';
        s += '"';
        for(char ch : v[i])
        {
            if(ch == '"' || ch == '\\')
                s += '\\';
            s += ch;
        }
        s += '"';
    }
    return s + "}";
}

namespace {

// The columns letter_at() reads; the body itself only when `with_body`.
std::string dead_letter_columns(bool with_body)
{
    return std::string("id, created_at, kind, reason, seq, request_id, webhook_id, event_type, ") +
           (with_body ? "body" : "''::bytea") +
           ", idempotency_key, handler, error_text, attempts, route, octet_length(body)::bigint";
}

} // namespace

std::vector<stored_dead_letter> pg_list_dead_letters(pg_connection& c, std::size_t max)
{
    std::vector<stored_dead_letter> v;
    auto const r = c.exec(("SELECT * FROM (SELECT " + dead_letter_columns(false) +
                           " FROM dead_letters ORDER BY id DESC LIMIT $1) AS newest ORDER BY id")
                              .c_str(),
                          pg_params().integer(static_cast<std::int64_t>(std::min<std::size_t>(max, INT64_MAX))));
    for(int i = 0; i < r.rows(); ++i)
        v.push_back(letter_at(r, i));
    return v;
}

std::optional<stored_dead_letter> pg_read_dead_letter(pg_connection& c, std::int64_t id)
{
    auto const r = c.exec(("SELECT " + dead_letter_columns(true) + " FROM dead_letters WHERE id = $1").c_str(),
                          pg_params().integer(id));
    if(r.rows() != 1)
        return std::nullopt;
    return letter_at(r, 0);
}

error_code pg_replay_dead_letter(pg_connection& c, std::int64_t id, std::string& why)
{
    auto found = pg_read_dead_letter(c, id);
    if(!found)
    {
        why = "no dead letter " + std::to_string(id);
        return error::invalid_options;
    }
    auto const& d = found->letter;
    if(!c.exec("BEGIN").ok())
    {
        why = c.message();
        return error::store_failure;
    }
    bool done = false;
    if(d.kind == dead_letter_kind::undecodable)
    {
        auto const now = micros(system_now());
        auto const r = c.exec("INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, "
                              "body, replay, route) VALUES ($1, $1, $2, $3, $4, 1, $5, true, $6)",
                              pg_params()
                                  .integer(now)
                                  .text(d.webhook_id)
                                  .text("replay-" + std::to_string(id) + "-" + d.request_id)
                                  .text(d.event_type)
                                  .bytes(d.body.data(), d.body.size())
                                  .text(d.route));
        done = r.ok() && r.affected() == 1;
    }
    else
    {
        auto const r = c.exec("INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, "
                              "body, replay, encoding, route) SELECT received_at, sent_at, webhook_id, request_id, "
                              "event_type, attempt, body, true, encoding, route FROM inbox WHERE seq = $1",
                              pg_params().integer(static_cast<std::int64_t>(d.sequence)));
        done = r.ok() && r.affected() == 1;
        if(r.ok() && !done)
            why = "the delivery of dead letter " + std::to_string(id) + " (inbox " + std::to_string(d.sequence) +
                  ") was pruned; its record is in the letter's body";
    }
    if(done)
    {
        auto const del = c.exec("DELETE FROM dead_letters WHERE id = $1", pg_params().integer(id));
        done = del.ok() && del.affected() == 1;
    }
    if(done)
        done = c.exec((std::string("NOTIFY ") + pg_inbox_channel).c_str()).ok() && c.exec("COMMIT").ok();
    if(!done)
    {
        if(why.empty())
            why = c.message();
        c.exec("ROLLBACK");
        return error::store_failure;
    }
    return {};
}

bool pg_count_backlog(pg_connection& c, pg_backlog& b)
{
    auto const r = c.exec("SELECT count(*), coalesce(sum(length(body)), 0)::bigint, coalesce(min(received_at), 0) "
                          "FROM inbox WHERE NOT processed",
                          {});
    if(!r.ok() || r.rows() != 1)
        return false;
    b.entries = static_cast<std::size_t>(r.integer(0, 0));
    b.bytes = static_cast<std::size_t>(r.integer(0, 1)) + b.entries * sizeof(inbox_entry);
    b.oldest_micros = r.integer(0, 2);
    return true;
}

namespace {

bool read_state(pg_connection& c, std::size_t history_per_fleet, std::vector<fleet_capture>& fleets,
                std::vector<transition>& transitions)
{
    auto const f = c.exec("SELECT snapshot FROM fleets", {});
    auto const t = c.exec("SELECT doc FROM (SELECT id, doc, row_number() OVER (PARTITION BY fleet_key ORDER BY id "
                          "DESC) AS n FROM transitions) AS newest WHERE n <= $1 ORDER BY id",
                          pg_params().integer(static_cast<std::int64_t>(history_per_fleet)));
    if(!f.ok() || !t.ok())
        return false;
    for(int i = 0; i < f.rows(); ++i)
        if(auto x = codec::decode_fleet(f.bytes(i, 0)))
            fleets.push_back(std::move(*x));
    for(int i = 0; i < t.rows(); ++i)
        if(auto x = codec::decode_transition(t.bytes(i, 0)))
            transitions.push_back(std::move(*x));
    return true;
}

} // namespace

bool pg_load_state(pg_connection& c, std::size_t history_per_fleet, std::vector<fleet_capture>& fleets,
                   std::vector<transition>& transitions)
{
    if(!c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").ok())
        return false;
    bool const ok = read_state(c, history_per_fleet, fleets, transitions);
    c.exec(ok ? "COMMIT" : "ROLLBACK");
    return ok;
}

} // namespace catena::webhooks::detail
