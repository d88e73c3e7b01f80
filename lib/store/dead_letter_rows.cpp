// SPDX-License-Identifier: BSL-1.0
// lib/store/dead_letter_rows.cpp - the dead_letters table: written by the store, read and replayed offline.
#include "store/dead_letter_rows.hpp"

namespace catena::webhooks::detail {

std::string_view dead_letter_reason(std::string const& r)
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

namespace {

// A dead letter from the current row, whose columns from `first` on are: kind, reason, seq,
// request_id, webhook_id, event_type, body, idempotency_key, handler, error_text, attempts, route.
dead_letter dead_letter_at(statement const& s, int first)
{
    dead_letter d;
    d.kind = s.text(first) == "callback_failed" ? dead_letter_kind::callback_failed : dead_letter_kind::undecodable;
    d.reason = dead_letter_reason(s.text(first + 1));
    d.sequence = static_cast<std::uint64_t>(s.integer(first + 2));
    d.request_id = s.text(first + 3);
    d.webhook_id = s.text(first + 4);
    d.event_type = s.text(first + 5);
    d.body = s.text(first + 6);
    d.idempotency_key = s.text(first + 7);
    d.handler = s.text(first + 8);
    d.error_text = s.text(first + 9);
    d.attempts = static_cast<unsigned>(s.integer(first + 10));
    d.route = s.text(first + 11);
    return d;
}

} // namespace

char const* const dead_letter_insert_sql =
    "INSERT INTO dead_letters(kind, reason, seq, request_id, webhook_id, event_type, body, idempotency_key, handler, "
    "error_text, attempts, created_at, route) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";

bool write_dead_letter(statement& s, dead_letter const& d, timestamp now)
{
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
        .bind(12, micros(now))
        .bind(13, d.route);
    int const rc = s.step();
    s.reset();
    return rc == SQLITE_DONE;
}

namespace {

// The columns stored_dead_letter_at() reads; the body itself only when `with_body`.
std::string dead_letter_columns(bool with_body)
{
    std::string columns = "id, created_at, kind, reason, seq, request_id, webhook_id, event_type, ";
    columns += with_body ? "body" : "NULL";
    columns += ", idempotency_key, handler, error_text, attempts, route, length(body)";
    return columns;
}

stored_dead_letter stored_dead_letter_at(statement const& s)
{
    stored_dead_letter x;
    x.id = s.integer(0);
    x.created_at = from_micros(s.integer(1));
    x.letter = dead_letter_at(s, 2);
    x.body_bytes = static_cast<std::size_t>(s.integer(14));
    return x;
}

} // namespace

std::vector<stored_dead_letter> list_dead_letters(connection& c, std::size_t max)
{
    std::vector<stored_dead_letter> v;
    statement s(c.db, ("SELECT * FROM (SELECT " + dead_letter_columns(false) +
                       " FROM dead_letters ORDER BY id DESC LIMIT ?) ORDER BY id")
                          .c_str());
    if(!s)
        return v;
    s.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(max, INT64_MAX)));
    while(s.step() == SQLITE_ROW)
        v.push_back(stored_dead_letter_at(s));
    return v;
}

std::optional<stored_dead_letter> read_dead_letter(connection& c, std::int64_t id)
{
    statement s(c.db, ("SELECT " + dead_letter_columns(true) + " FROM dead_letters WHERE id = ?").c_str());
    if(!s)
        return std::nullopt;
    s.bind(1, id);
    if(s.step() != SQLITE_ROW)
        return std::nullopt;
    return stored_dead_letter_at(s);
}

error_code replay_dead_letter(connection& c, std::int64_t id, std::string& why)
{
    auto found = read_dead_letter(c, id);
    if(!found)
    {
        why = "no dead letter " + std::to_string(id);
        return error::invalid_options;
    }
    auto const& d = found->letter;
    if(!c.exec("BEGIN IMMEDIATE"))
    {
        why = c.message();
        return error::store_failure;
    }
    bool ok = false;
    if(d.kind == dead_letter_kind::undecodable)
    {
        statement s(c.db, "INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, body, "
                           "replay, route) VALUES(?, ?, ?, ?, ?, 1, ?, 1, ?)");
        auto const now = micros(system_now());
        std::string const rid = "replay-" + std::to_string(id) + "-" + d.request_id;
        ok = s && (s.bind(1, now).bind(2, now).bind(3, d.webhook_id).bind(4, rid).bind(5, d.event_type)
                       .bind_blob(6, d.body.data(), d.body.size()).bind(7, d.route),
                   s.step() == SQLITE_DONE);
    }
    else
    {
        statement s(c.db, "INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, body, "
                           "replay, encoding, route) SELECT received_at, sent_at, webhook_id, request_id, event_type, "
                           "attempt, body, 1, encoding, route "
                           "FROM inbox WHERE seq = ?");
        ok = s && (s.bind(1, static_cast<std::int64_t>(d.sequence)), s.step() == SQLITE_DONE) &&
             sqlite3_changes(c.db) == 1;
        if(!ok && why.empty())
            why = "the delivery of dead letter " + std::to_string(id) + " (inbox " + std::to_string(d.sequence) +
                  ") was pruned; its record is in the letter's body";
    }
    if(ok)
    {
        statement del(c.db, "DELETE FROM dead_letters WHERE id = ?");
        ok = del && (del.bind(1, id), del.step() == SQLITE_DONE);
    }
    if(!ok || !c.exec("COMMIT"))
    {
        if(why.empty())
            why = c.message();
        c.exec("ROLLBACK");
        return error::store_failure;
    }
    return {};
}

} // namespace catena::webhooks::detail
