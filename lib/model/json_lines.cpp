// SPDX-License-Identifier: BSL-1.0
// lib/json_lines.cpp - events, transitions, merges and dead letters as JSON Lines records.
#include <catena/webhooks/json_lines.hpp>

#include "detail/json_writer.hpp"

#include <boost/json/serialize.hpp>

namespace catena::webhooks {

namespace {

void time_field(detail::json_writer& w, std::string_view k, std::optional<timestamp> const& t)
{
    if(t)
        w.field(k, format_rfc3339(*t, utc_suffix::z));
    else
        w.null_field(k);
}

// One record: {"kind":kind, then what `fields` writes}.
template<class F>
std::string record(std::string_view kind, std::size_t size_hint, F&& fields)
{
    std::string line;
    line.reserve(size_hint);
    detail::json_writer w(line);
    w.field("kind", kind);
    fields(w);
    w.close();
    return line;
}

} // namespace

// Written field by field rather than through a json::object: one line per event is the
// daemon's hot path.
std::string to_json_line(event const& e) { return to_json_line(e, false); }

std::string to_json_line(event const& e, bool with_record)
{
    return record("event", 512, [&](detail::json_writer& w) {
        if(e.provider != "catena")
            w.field("provider", e.provider);
        w.field("event_name", e.event_name);
        w.field_or_null("event_id", e.event_id);
        w.field("webhook_id", e.webhook_id);
        w.field("record_id", e.record_id);
        w.field_or_null("fleet_id", e.fleet_id);
        w.field_or_null("fleet_ref", e.fleet_ref);
        w.field_or_null("connection_id", e.connection_id);
        time_field(w, "occurred_at", e.occurred_at);
        w.bool_field("late", e.late);
        w.field("idempotency_key", e.idempotency_key);
        if(with_record)
            w.raw_field("record", boost::json::serialize(e.record));
    });
}

std::string to_json_line(transition const& t)
{
    return record("transition", 384, [&](detail::json_writer& w) {
        w.field("fleet_key", t.fleet_key);
        w.field_or_null("fleet_id", t.fleet_id);
        w.field_or_null("fleet_ref", t.fleet_ref);
        w.field("dimension", to_string(t.what));
        if(!t.entity_id.empty())
            w.field("entity_id", t.entity_id);
        w.field_or_null("from", t.from);
        w.field("to", t.to);
        w.field("cause", t.cause);
        w.field_or_null("event_id", t.event_id);
        time_field(w, "occurred_at", t.occurred_at);
        w.field("idempotency_key", t.idempotency_key);
    });
}

std::string to_json_line(fleet_merge const& m)
{
    return record("merge", 128, [&](detail::json_writer& w) {
        w.field("from", m.from);
        w.field("into", m.into);
        w.field("cause", m.cause);
        w.field_or_null("event_id", m.event_id);
    });
}

std::string to_json_line(dead_letter const& d)
{
    return record("dead_letter", 128, [&](detail::json_writer& w) {
        w.field("reason", d.reason);
        w.field("dead_letter", d.kind == dead_letter_kind::undecodable ? "undecodable" : "callback_failed");
        w.field_or_null("request_id", d.request_id);
        w.field_or_null("webhook_id", d.webhook_id);
        if(!d.route.empty())
            w.field("route", d.route);
    });
}

std::string to_json_line(subscription_event const& s)
{
    return record("subscription", 256, [&](detail::json_writer& w) {
        w.field("action", s.action);
        w.field("subscription_id", s.subscription_id);
        w.field_or_null("delivered_by", s.delivered_by);
        w.field_or_null("status", s.status);
        w.bool_field("delivery_stopped", s.delivery_stopped());
        w.field_or_null("url", s.url);
        w.field_or_null("event_name", s.event_name);
        time_field(w, "occurred_at", s.occurred_at);
        w.field("idempotency_key", s.idempotency_key);
    });
}

std::string to_json_line(delivery_gap const& g)
{
    return record("delivery_gap", 256, [&](detail::json_writer& w) {
        w.field("subscription_id", g.subscription_id);
        w.field("cause", g.cause);
        time_field(w, "from", g.from);
        time_field(w, "to", g.to);
        w.strings_field("events", g.events);
    });
}

} // namespace catena::webhooks
