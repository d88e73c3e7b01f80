// SPDX-License-Identifier: BSL-1.0
// lib/state/codec.cpp - fleet captures and transitions to JSON documents and back.
#include "state/codec.hpp"

#include "detail/json_writer.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace catena::webhooks::detail::codec {


namespace {

namespace json = boost::json;

// A time as microseconds since the epoch, or null.
void write_time(json_writer& w, std::string_view k, std::optional<timestamp> t)
{
    if(t)
        w.number_field(k, t->time_since_epoch().count());
    else
        w.null_field(k);
}

std::optional<timestamp> time_of(json::object const& o, std::string_view k)
{
    if(auto const* v = o.if_contains(k); v && v->is_int64())
        return timestamp{std::chrono::microseconds(v->get_int64())};
    return std::nullopt;
}

std::string str_of(json::object const& o, std::string_view k)
{
    if(auto const* v = o.if_contains(k); v && v->is_string())
        return std::string(v->get_string());
    return {};
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
    k.envelope_id = str_of(o, "e");
    if(auto const* i = o.if_contains("i"); i && i->is_number())
        k.record_index = static_cast<std::uint32_t>(i->to_number<std::uint64_t>());
    k.record_id = str_of(o, "r");
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
    write_time(w, "last_occurred_at", st.last_occurred_at);
    auto streams = w.object_field("streams");
    for(auto const& [name, k] : c.streams)
    {
        auto d = streams.object_field(name);
        d.number_field("t", k.time.time_since_epoch().count());
        d.field("e", k.envelope_id);
        d.number_field("i", k.record_index);
        d.field("r", k.record_id);
        d.number_field("s", k.sequence);
        d.close();
    }
    streams.close();
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
    st.key = str_of(o, "key");
    if(st.key.empty())
        return std::nullopt;
    st.fleet_id = str_of(o, "fleet_id");
    st.fleet_ref = str_of(o, "fleet_ref");
    st.invitation_ids = strings_of(o, "invitation_ids");
    st.connection_ids = strings_of(o, "connection_ids");
    st.stage = parse_stage(str_of(o, "stage")).value_or(stage::none);
    st.health = parse_health(str_of(o, "health")).value_or(health::ok);
    if(auto const* n = o.if_contains("failed_executions"); n && n->is_number())
        st.failed_executions = n->to_number<std::uint64_t>();
    st.last_event = str_of(o, "last_event");
    st.last_occurred_at = time_of(o, "last_occurred_at");
    if(auto const* s = o.if_contains("streams"); s && s->is_object())
        for(auto const& kv : s->get_object())
            if(kv.value().is_object())
                c.streams.emplace_back(std::string(kv.key()), key_of(kv.value().get_object()));
    return c;
}

std::string encode(transition const& t)
{
    std::string out;
    out.reserve(384);
    json_writer w(out);
    w.field("fleet_key", t.fleet_key);
    w.field("fleet_id", t.fleet_id);
    w.field("fleet_ref", t.fleet_ref);
    w.field("dimension", to_string(t.what));
    w.field("from", t.from);
    w.field("to", t.to);
    w.field("cause", t.cause);
    w.field("event_id", t.event_id);
    w.field("record_id", t.record_id);
    write_time(w, "occurred_at", t.occurred_at);
    w.field("idempotency_key", t.idempotency_key);
    w.close();
    return out;
}

std::optional<transition> decode_transition(std::string_view doc)
{
    auto const obj = object_of(doc);
    if(!obj)
        return std::nullopt;
    auto const& o = *obj;
    transition t;
    t.fleet_key = str_of(o, "fleet_key");
    t.fleet_id = str_of(o, "fleet_id");
    t.fleet_ref = str_of(o, "fleet_ref");
    t.what = str_of(o, "dimension") == "health" ? dimension::health : dimension::stage;
    auto name = [&](std::string const& s) -> std::string_view {
        if(t.what == dimension::health)
            return parse_health(s) ? to_string(*parse_health(s)) : std::string_view{};
        return parse_stage(s) ? to_string(*parse_stage(s)) : std::string_view{};
    };
    t.from = name(str_of(o, "from"));
    t.to = name(str_of(o, "to"));
    t.cause = str_of(o, "cause");
    t.event_id = str_of(o, "event_id");
    t.record_id = str_of(o, "record_id");
    t.occurred_at = time_of(o, "occurred_at");
    t.idempotency_key = str_of(o, "idempotency_key");
    return t;
}

} // namespace catena::webhooks::detail::codec
