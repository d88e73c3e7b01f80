// SPDX-License-Identifier: BSL-1.0
// lib/state/codec.cpp - fleet captures and transitions to JSON documents and back.
#include "state/codec.hpp"

#include "detail/json_forms.hpp"
#include "detail/json_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <functional>

namespace catena::webhooks::detail::codec {


namespace {

namespace json = boost::json;

// 3: the parts' real-world times (ends, deletions, alarms) and the evidence of ingestion;
// 2: the fleet's parts, and versions per record; 1: stage and health, versions per stream.
constexpr int format_version = 3;

std::optional<timestamp> time_of(json::object const& o, std::string_view k)
{
    if(auto const* v = o.if_contains(k); v && v->is_int64())
        return timestamp{std::chrono::microseconds(v->get_int64())};
    return std::nullopt;
}

std::vector<std::string> strings_of(json::object const& o, std::string_view k)
{
    std::vector<std::string> v;
    if(auto const* a = o.if_contains(k); a && a->is_array())
        for(auto const& e : a->get_array())
            if(e.is_string())
                v.emplace_back(e.get_string());
    return v;
}

bool bool_of(json::object const& o, std::string_view k)
{
    auto const* v = o.if_contains(k);
    return v && v->is_bool() && v->get_bool();
}

// The objects of the array under `k` (others skipped).
std::vector<std::reference_wrapper<json::object const>> objects_deref(json::object const& o, std::string_view k)
{
    std::vector<std::reference_wrapper<json::object const>> v;
    if(auto const* a = o.if_contains(k); a && a->is_array())
        for(auto const& e : a->get_array())
            if(auto const* x = e.if_object())
                v.push_back(*x);
    return v;
}

// A version 1 document held the stage and health only: parts that derive them again, so
// that the fleet goes on from where it stood (named "legacy" where its ids were not kept).
void legacy_parts(fleet_state& st)
{
    auto const invitation_id = st.invitation_ids.empty() ? std::string("legacy") : st.invitation_ids.front();
    auto const connection_id = st.connection_ids.empty() ? std::string("legacy") : st.connection_ids.front();
    auto invite = [&](invitation_state s) { st.invitations.push_back(invitation_info{invitation_id, s, {}, {}}); };
    auto connect = [&](bool linked) {
        connection_info c;
        c.id = connection_id;
        c.reported = true;
        c.linked = linked;
        c.failed_executions = st.failed_executions;
        st.connections.push_back(std::move(c));
    };
    switch(st.stage)
    {
    case stage::none: break;
    case stage::invited: invite(invitation_state::created); break;
    case stage::viewed: invite(invitation_state::viewed); break;
    case stage::accepted: invite(invitation_state::accepted); break;
    case stage::declined: invite(invitation_state::declined); break;
    case stage::expired: invite(invitation_state::expired); break;
    case stage::deleted: invite(invitation_state::deleted); break;
    case stage::agreement: st.agreements.push_back(agreement_info{"legacy", true, {}}); break;
    case stage::connection:
        st.agreements.push_back(agreement_info{"legacy", true, {}});
        connect(false);
        break;
    case stage::connected:
        st.agreements.push_back(agreement_info{"legacy", true, {}});
        connect(true);
        break;
    case stage::revoked: st.agreements.push_back(agreement_info{"legacy", false, {}}); break;
    }
    if(st.health == health::ok)
        return;
    if(st.connections.empty())
        connect(false), st.connections.back().reported = false;
    auto& c = st.connections.front();
    if(st.health == health::halted)
        c.schedules.push_back(schedule_info{"legacy", "", false, {}, {}});
    else
        c.health = st.health;
}

// A document older than version 3 kept its parts' states without their times. The times they
// are given keep each part where it stood: an invitation's end and step, the version of its
// last record (else the fleet's last event's time); an agreement's deletion and a
// connection's or schedule's alarm, the fleet's last event's time (the alarm was no later):
// evidence of ingestion after that clears it, as it would have.
void untimed_parts(fleet_capture& c)
{
    auto& st = c.state;
    auto const last = st.last_occurred_at.value_or(timestamp{});
    auto version_time = [&c, last](std::string const& id) {
        for(auto const& [name, k] : c.versions)
            if(name == "invitation/" + id)
                return k.time;
        return last;
    };
    for(auto& i : st.invitations)
    {
        bool const ended = i.state == invitation_state::declined || i.state == invitation_state::expired ||
                           i.state == invitation_state::deleted;
        if(ended && !i.ended_at)
            i.ended_at = version_time(i.id);
        if(!ended && !i.stepped_at)
            i.stepped_at = version_time(i.id);
    }
    for(auto& a : st.agreements)
        if(!a.active && !a.deleted_at)
            a.deleted_at = last;
    for(auto& cn : st.connections)
    {
        if(cn.health == health::stale && !cn.staled_at)
            cn.staled_at = last;
        if(cn.health == health::degraded && !cn.failed_at)
            cn.failed_at = last;
        for(auto& s : cn.schedules)
            if(!s.active && !s.deactivated_at)
                s.deactivated_at = last;
    }
}

// The document as a JSON object, if it is one.
std::optional<json::object> object_of(std::string_view doc)
{
    error_code ec;
    auto v = json::parse(doc, ec);
    if(ec || !v.is_object())
        return std::nullopt;
    return std::move(v.get_object());
}

order_key key_of(json::object const& o)
{
    order_key k;
    k.time = time_of(o, "t").value_or(timestamp{});
    if(auto const* r = o.if_contains("k"); r && r->is_number())
        k.rank = static_cast<std::uint8_t>(r->to_number<std::uint64_t>());
    if(auto const* x = o.if_contains("x"); x && x->is_number())
        k.tie = static_cast<std::uint8_t>(x->to_number<std::uint64_t>());
    k.updated = time_of(o, "u").value_or(timestamp{});
    k.envelope_id = string_field(o, "e");
    if(auto const* i = o.if_contains("i"); i && i->is_number())
        k.record_index = static_cast<std::uint32_t>(i->to_number<std::uint64_t>());
    k.record_id = string_field(o, "r");
    if(auto const* q = o.if_contains("s"); q && q->is_number())
        k.sequence = q->to_number<std::uint64_t>();
    return k;
}

} // namespace

std::string encode(fleet_capture const& c)
{
    auto const& st = c.state;
    std::string out;
    out.reserve(512);
    json_writer w(out);
    w.field("key", st.key);
    w.field("fleet_id", st.fleet_id);
    w.field("fleet_ref", st.fleet_ref);
    w.strings_field("invitation_ids", st.invitation_ids);
    w.strings_field("connection_ids", st.connection_ids);
    w.field("stage", to_string(st.stage));
    w.field("health", to_string(st.health));
    w.number_field("failed_executions", st.failed_executions);
    w.field("last_event", st.last_event);
    time_field(w, "last_occurred_at", st.last_occurred_at, json_form::stored);
    w.number_field("v", format_version);
    write_parts(w, st, json_form::stored);
    // Version keys hold record ids (any text): written as escaped values, not as keys.
    // In name order, so that one state always encodes to one document. Sorted here, where a
    // capture is encoded (the last of a fleet's per commit), not at every capture.
    std::vector<std::pair<std::string, order_key> const*> sorted;
    sorted.reserve(c.versions.size());
    for(auto const& v : c.versions)
        sorted.push_back(&v);
    std::sort(sorted.begin(), sorted.end(), [](auto const* a, auto const* b) { return a->first < b->first; });
    w.objects_field("versions", sorted, [](json_writer& d, std::pair<std::string, order_key> const* v) {
        auto const& [name, k] = *v;
        d.field("n", name);
        d.number_field("t", k.time.time_since_epoch().count());
        d.number_field("k", k.rank);
        d.number_field("x", k.tie);
        d.number_field("u", k.updated.time_since_epoch().count());
        d.field("e", k.envelope_id);
        d.number_field("i", k.record_index);
        d.field("r", k.record_id);
        d.number_field("s", k.sequence);
    });
    std::vector<std::pair<std::string, timestamp> const*> evidence;
    evidence.reserve(c.evidence.size());
    for(auto const& e : c.evidence)
        evidence.push_back(&e);
    std::sort(evidence.begin(), evidence.end(), [](auto const* a, auto const* b) { return a->first < b->first; });
    w.objects_field("evidence", evidence, [](json_writer& d, std::pair<std::string, timestamp> const* e) {
        d.field("n", e->first);
        d.number_field("t", e->second.time_since_epoch().count());
    });
    w.close();
    return out;
}

std::optional<fleet_capture> decode_fleet(std::string_view doc)
{
    auto const obj = object_of(doc);
    if(!obj)
        return std::nullopt;
    auto const& o = *obj;
    fleet_capture c;
    auto& st = c.state;
    st.key = string_field(o, "key");
    if(st.key.empty())
        return std::nullopt;
    st.fleet_id = string_field(o, "fleet_id");
    st.fleet_ref = string_field(o, "fleet_ref");
    st.invitation_ids = strings_of(o, "invitation_ids");
    st.connection_ids = strings_of(o, "connection_ids");
    st.stage = parse_stage(string_field(o, "stage")).value_or(stage::none);
    st.health = parse_health(string_field(o, "health")).value_or(health::ok);
    if(auto const* n = o.if_contains("failed_executions"); n && n->is_number())
        st.failed_executions = n->to_number<std::uint64_t>();
    st.last_event = string_field(o, "last_event");
    st.last_occurred_at = time_of(o, "last_occurred_at");
    auto const* v = o.if_contains("v");
    int const version = v && v->is_int64() ? static_cast<int>(v->get_int64()) : 1;
    if(version < 2)
    {
        legacy_parts(st);
        untimed_parts(c);
        return c; // a version 1 document's streams were per resource, not per record
    }
    for(json::object const& i : objects_deref(o, "invitations"))
        if(auto s = parse_invitation_state(string_field(i, "state")))
            st.invitations.push_back(
                invitation_info{string_field(i, "id"), *s, time_of(i, "stepped_at"), time_of(i, "ended_at")});
    for(json::object const& a : objects_deref(o, "agreements"))
        st.agreements.push_back(agreement_info{string_field(a, "id"), bool_of(a, "active"), time_of(a, "deleted_at")});
    for(json::object const& co : objects_deref(o, "connections"))
    {
        connection_info ci;
        ci.id = string_field(co, "id");
        ci.source_name = string_field(co, "source_name");
        ci.tsp_id = string_field(co, "tsp_id");
        ci.health = parse_health(string_field(co, "health")).value_or(health::ok);
        ci.reported = bool_of(co, "reported");
        ci.linked = bool_of(co, "linked");
        if(auto const* n = co.if_contains("failed_executions"); n && n->is_number())
            ci.failed_executions = n->to_number<std::uint64_t>();
        ci.staled_at = time_of(co, "staled_at");
        ci.failed_at = time_of(co, "failed_at");
        for(json::object const& sc : objects_deref(co, "schedules"))
            ci.schedules.push_back(schedule_info{string_field(sc, "id"), string_field(sc, "resource"), bool_of(sc, "active"),
                                                 time_of(sc, "deactivated_at"), std::nullopt});
        st.connections.push_back(std::move(ci));
    }
    for(json::object const& ve : objects_deref(o, "versions"))
        c.versions.emplace_back(string_field(ve, "n"), key_of(ve));
    for(json::object const& e : objects_deref(o, "evidence"))
        if(auto t = time_of(e, "t"))
            c.evidence.emplace_back(string_field(e, "n"), *t);
    if(version < 3)
        untimed_parts(c);
    return c;
}

std::string encode(transition const& t) { return json_text_of(384, t, json_form::stored); }

std::optional<transition> decode_transition(std::string_view doc)
{
    auto const obj = object_of(doc);
    if(!obj)
        return std::nullopt;
    auto const& o = *obj;
    transition t;
    t.fleet_key = string_field(o, "fleet_key");
    t.fleet_id = string_field(o, "fleet_id");
    t.fleet_ref = string_field(o, "fleet_ref");
    auto const dim = string_field(o, "dimension");
    t.what = dimension::stage;
    for(auto d : {dimension::stage, dimension::health, dimension::invitation, dimension::agreement, dimension::connection,
                  dimension::schedule})
        if(to_string(d) == dim)
            t.what = d;
    t.entity_id = string_field(o, "entity_id");
    // State names point to static storage: the stored ones are mapped back to it.
    auto name = [&](std::string const& s) -> std::string_view {
        switch(t.what)
        {
        case dimension::stage: return parse_stage(s) ? to_string(*parse_stage(s)) : std::string_view{};
        case dimension::health:
        case dimension::connection:
            if(s == "linked")
                return "linked";
            return parse_health(s) ? to_string(*parse_health(s)) : std::string_view{};
        case dimension::invitation:
            return parse_invitation_state(s) ? to_string(*parse_invitation_state(s)) : std::string_view{};
        case dimension::agreement: return s == "active" ? "active" : s == "deleted" ? "deleted" : std::string_view{};
        case dimension::schedule: return s == "active" ? "active" : s == "deactivated" ? "deactivated" : std::string_view{};
        }
        return {};
    };
    t.from = name(string_field(o, "from"));
    t.to = name(string_field(o, "to"));
    t.cause = string_field(o, "cause");
    t.event_id = string_field(o, "event_id");
    t.record_id = string_field(o, "record_id");
    t.occurred_at = time_of(o, "occurred_at");
    t.idempotency_key = string_field(o, "idempotency_key");
    return t;
}

std::string encode(operation_result const& r) { return json_text_of(256, r); }

std::optional<operation_result> decode_operation(std::string_view doc)
{
    auto const obj = object_of(doc);
    if(!obj)
        return std::nullopt;
    auto const& o = *obj;
    operation_result r;
    r.operation_id = string_field(o, "operation_id");
    if(r.operation_id.empty())
        return std::nullopt;
    auto const st = string_field(o, "status");
    for(auto s : {operation_status::pending, operation_status::success, operation_status::failed, operation_status::timed_out})
        if(to_string(s) == st)
            r.status = s;
    // Outcomes stored before polling existed have no source: a webhook decided them.
    auto const source = string_field(o, "source");
    for(auto s : {operation_source::webhook, operation_source::poll, operation_source::timeout})
        if(to_string(s) == source)
            r.source = s;
    r.resource = string_field(o, "resource");
    r.operation_type = string_field(o, "operation_type");
    r.resource_id = string_field(o, "resource_id");
    r.source_id = string_field(o, "source_id");
    r.connection_id = string_field(o, "connection_id");
    r.fleet_ref = string_field(o, "fleet_ref");
    r.fleet_key = string_field(o, "fleet_key");
    r.error_type = string_field(o, "error_type");
    r.error_details = string_field(o, "error_details");
    if(auto const* c = o.if_contains("response_status_code"); c && c->is_int64())
        r.response_status_code = static_cast<int>(c->get_int64());
    r.event_id = string_field(o, "event_id");
    r.idempotency_key = string_field(o, "idempotency_key");
    return r;
}

} // namespace catena::webhooks::detail::codec
