// SPDX-License-Identifier: BSL-1.0
// lib/detail/json_forms.hpp - the one list of JSON fields of each public type, for every writer.
#ifndef CATENA_WEBHOOKS_DETAIL_JSON_FORMS_HPP
#define CATENA_WEBHOOKS_DETAIL_JSON_FORMS_HPP

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/operation.hpp>

#include "detail/json_writer.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/** Where a document goes, which decides how a type's fields are written
    (docs/architecture.md).
    One function per type writes its fields for every form, the differences spelled out
    in it; `W` is json_writer (text) or json_object_writer (a json::object). */
enum class json_form
{
    line,  ///< catena-webhookd's output (json_lines.hpp): empty text as null, times RFC 3339.
    api,   ///< The admin API's answers (docs/openapi.json): as the line, within their fleet.
    stored ///< The store's documents (state/codec): text as it is, times in microseconds.
};

/// Text; empty text is null but where stored.
template<class W>
void text_field(W& w, std::string_view k, std::string_view v, json_form f)
{
    if(f == json_form::stored)
        w.field(k, v);
    else
        w.field_or_null(k, v);
}

/// A time, or null: RFC 3339 in UTC, or microseconds since the epoch where stored.
template<class W>
void time_field(W& w, std::string_view k, std::optional<timestamp> const& t, json_form f)
{
    if(!t)
        w.null_field(k);
    else if(f == json_form::stored)
        w.number_field(k, t->time_since_epoch().count());
    else
        w.field(k, format_rfc3339(*t, utc_suffix::z));
}

inline std::string_view dead_letter_kind_name(dead_letter_kind k) noexcept
{
    return k == dead_letter_kind::undecodable ? "undecodable" : "callback_failed";
}

//------------------------------------------------------------------------------
// The output records (json_lines.hpp): "kind" first, then the type's fields.

template<class W>
void write_fields(W& w, event const& e, bool with_record)
{
    w.field("kind", "event");
    if(e.provider != "catena")
        w.field("provider", e.provider);
    w.field("event_name", e.event_name);
    w.field_or_null("event_id", e.event_id);
    w.field("webhook_id", e.webhook_id);
    w.field("record_id", e.record_id);
    w.field_or_null("fleet_id", e.fleet_id);
    w.field_or_null("fleet_ref", e.fleet_ref);
    w.field_or_null("connection_id", e.connection_id);
    time_field(w, "occurred_at", e.occurred_at, json_form::line);
    w.bool_field("late", e.late);
    w.field("idempotency_key", e.idempotency_key);
    if(with_record)
        w.value_field("record", e.record);
}

/** A transition: in the line, "kind" and its fleet first, entity_id only for a part, no
    record_id; in the admin API, within its fleet's history (no fleet fields), with
    record_id, and entity_id last as that answer has always had it; stored, every field. */
template<class W>
void write_fields(W& w, transition const& t, json_form f)
{
    if(f == json_form::line)
        w.field("kind", "transition");
    if(f != json_form::api)
    {
        w.field("fleet_key", t.fleet_key);
        text_field(w, "fleet_id", t.fleet_id, f);
        text_field(w, "fleet_ref", t.fleet_ref, f);
    }
    w.field("dimension", to_string(t.what));
    if(f == json_form::stored || (f == json_form::line && !t.entity_id.empty()))
        w.field("entity_id", t.entity_id);
    text_field(w, "from", t.from, f);
    w.field("to", t.to);
    w.field("cause", t.cause);
    text_field(w, "event_id", t.event_id, f);
    if(f != json_form::line)
        text_field(w, "record_id", t.record_id, f);
    time_field(w, "occurred_at", t.occurred_at, f);
    w.field("idempotency_key", t.idempotency_key);
    if(f == json_form::api && !t.entity_id.empty())
        w.field("entity_id", t.entity_id);
}

template<class W>
void write_fields(W& w, fleet_merge const& m)
{
    w.field("kind", "merge");
    w.field("from", m.from);
    w.field("into", m.into);
    w.field("cause", m.cause);
    w.field_or_null("event_id", m.event_id);
}

/// A dead letter as it happens (the line): what and why, not the body.
template<class W>
void write_fields(W& w, dead_letter const& d)
{
    w.field("kind", "dead_letter");
    w.field("reason", d.reason);
    w.field("dead_letter", dead_letter_kind_name(d.kind));
    w.field_or_null("request_id", d.request_id);
    w.field_or_null("webhook_id", d.webhook_id);
    if(!d.route.empty())
        w.field("route", d.route);
}

/// A dead letter as kept (the admin API, `catena-webhookd dead-letters`): a listing leaves
/// the body out (`with_body` false) and gives its size.
template<class W>
void write_fields(W& w, stored_dead_letter const& x, bool with_body)
{
    auto const& d = x.letter;
    w.number_field("id", x.id);
    time_field(w, "created_at", x.created_at, json_form::api);
    w.field("kind", dead_letter_kind_name(d.kind));
    w.field("reason", d.reason);
    w.number_field("inbox_sequence", d.sequence);
    w.field_or_null("request_id", d.request_id);
    w.field_or_null("webhook_id", d.webhook_id);
    w.field_or_null("event_type", d.event_type);
    w.field_or_null("idempotency_key", d.idempotency_key);
    w.field_or_null("handler", d.handler);
    w.field_or_null("error", d.error_text);
    w.number_field("attempts", d.attempts);
    w.number_field("body_bytes", x.body_bytes);
    if(with_body)
        w.field("body", d.body);
}

template<class W>
void write_fields(W& w, subscription_event const& s)
{
    w.field("kind", "subscription");
    w.field("action", s.action);
    w.field("subscription_id", s.subscription_id);
    w.field_or_null("delivered_by", s.delivered_by);
    w.field_or_null("status", s.status);
    w.bool_field("delivery_stopped", s.delivery_stopped());
    w.field_or_null("url", s.url);
    w.field_or_null("event_name", s.event_name);
    time_field(w, "occurred_at", s.occurred_at, json_form::line);
    w.field("idempotency_key", s.idempotency_key);
}

template<class W>
void write_fields(W& w, delivery_gap const& g)
{
    w.field("kind", "delivery_gap");
    w.field("subscription_id", g.subscription_id);
    w.field("cause", g.cause);
    time_field(w, "from", g.from, json_form::line);
    time_field(w, "to", g.to, json_form::line);
    w.strings_field("events", g.events);
}

//------------------------------------------------------------------------------
// A fleet. Its parts are one list for the admin API and the store; the store adds when each
// part changed (the API answers states, not their times). The fleet around them is the
// API's form here; the store's capture (state/codec) is a view of its own: versioned ("v"),
// with the record versions and the evidence of ingestion.

template<class W>
void write_fields(W& w, invitation_info const& i, json_form f)
{
    w.field("id", i.id);
    w.field("state", to_string(i.state));
    if(f == json_form::stored)
    {
        time_field(w, "stepped_at", i.stepped_at, f);
        time_field(w, "ended_at", i.ended_at, f);
    }
}

template<class W>
void write_fields(W& w, agreement_info const& a, json_form f)
{
    w.field("id", a.id);
    w.bool_field("active", a.active);
    if(f == json_form::stored)
        time_field(w, "deleted_at", a.deleted_at, f);
}

template<class W>
void write_fields(W& w, schedule_info const& sc, json_form f)
{
    w.field("id", sc.id);
    text_field(w, "resource", sc.resource, f);
    w.bool_field("active", sc.active);
    if(f == json_form::stored)
        time_field(w, "deactivated_at", sc.deactivated_at, f);
}

template<class W>
void write_fields(W& w, connection_info const& cn, json_form f)
{
    w.field("id", cn.id);
    text_field(w, "source_name", cn.source_name, f);
    text_field(w, "tsp_id", cn.tsp_id, f);
    w.field("health", to_string(cn.health));
    w.bool_field("reported", cn.reported);
    w.bool_field("linked", cn.linked);
    w.number_field("failed_executions", cn.failed_executions);
    if(f == json_form::stored)
    {
        time_field(w, "staled_at", cn.staled_at, f);
        time_field(w, "failed_at", cn.failed_at, f);
    }
    w.objects_field("schedules", cn.schedules, [f](auto& o, schedule_info const& sc) { write_fields(o, sc, f); });
}

/// "invitations", "agreements" and "connections", one after the other.
template<class W>
void write_parts(W& w, fleet_state const& st, json_form f)
{
    w.objects_field("invitations", st.invitations, [f](auto& o, invitation_info const& i) { write_fields(o, i, f); });
    w.objects_field("agreements", st.agreements, [f](auto& o, agreement_info const& a) { write_fields(o, a, f); });
    w.objects_field("connections", st.connections, [f](auto& o, connection_info const& c) { write_fields(o, c, f); });
}

/// A fleet as the admin API answers it (/v1/fleets, /v1/fleets/{key}).
template<class W>
void write_fields(W& w, fleet_state const& st)
{
    w.field("key", st.key);
    w.field_or_null("fleet_id", st.fleet_id);
    w.field_or_null("fleet_ref", st.fleet_ref);
    w.field_or_null("stage", to_string(st.stage));
    w.field("health", to_string(st.health));
    w.strings_field("invitation_ids", st.invitation_ids);
    w.strings_field("connection_ids", st.connection_ids);
    write_parts(w, st, json_form::api);
    w.number_field("failed_executions", st.failed_executions);
    w.field_or_null("last_event", st.last_event);
    time_field(w, "last_occurred_at", st.last_occurred_at, json_form::api);
}

/// An operation's outcome, as the store keeps it (the admin API lists the operations still
/// pending, another type).
template<class W>
void write_fields(W& w, operation_result const& r)
{
    w.field("operation_id", r.operation_id);
    w.field("status", to_string(r.status));
    w.field("source", to_string(r.source));
    w.field("resource", r.resource);
    w.field("operation_type", r.operation_type);
    w.field("resource_id", r.resource_id);
    w.field("source_id", r.source_id);
    w.field("connection_id", r.connection_id);
    w.field("fleet_ref", r.fleet_ref);
    w.field("fleet_key", r.fleet_key);
    w.field("error_type", r.error_type);
    w.field("error_details", r.error_details);
    if(r.response_status_code)
        w.number_field("response_status_code", *r.response_status_code);
    else
        w.null_field("response_status_code");
    w.field("event_id", r.event_id);
    w.field("idempotency_key", r.idempotency_key);
}

//------------------------------------------------------------------------------

/// write_fields(args...) as text, one object (`size_hint`: the bytes to reserve).
template<class... Args>
std::string json_text_of(std::size_t size_hint, Args const&... args)
{
    std::string out;
    out.reserve(size_hint);
    json_writer w(out);
    write_fields(w, args...);
    w.close();
    return out;
}

/// write_fields(args...) as text, one object appended to `out` (a buffer reused across lines).
template<class... Args>
void append_json_text(std::string& out, Args const&... args)
{
    json_writer w(out);
    write_fields(w, args...);
    w.close();
}

/// write_fields(args...) as a json::object.
template<class... Args>
boost::json::object json_object_of(Args const&... args)
{
    boost::json::object o;
    json_object_writer w(o);
    write_fields(w, args...);
    return o;
}

} // namespace catena::webhooks::detail

#endif
