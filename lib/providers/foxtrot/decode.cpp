// SPDX-License-Identifier: BSL-1.0
// lib/providers/foxtrot/decode.cpp - a Foxtrot delivery's JSON as an event.
#include "providers/foxtrot/decode.hpp"

#include <boost/json/parse.hpp>

namespace catena::webhooks::detail::foxtrot {

namespace json = boost::json;

namespace {

// The deepest nesting read, as for Catena's envelopes.
constexpr std::size_t max_depth = 32;

std::optional<timestamp> time_of(json::object const& o)
{
    for(auto const* name : {"timestamp", "occurred_at", "created_at"})
        if(auto const* v = o.if_contains(name); v && v->is_string())
            if(auto t = parse_rfc3339(v->get_string()))
                return *t;
    return std::nullopt;
}

} // namespace

result<event> decode(route_options const& r, inbox_entry const& e)
{
    json::parse_options po;
    po.max_depth = max_depth;
    json::error_code jec;
    auto v = json::parse(e.body, jec, {}, po);
    if(jec)
        return make_error_code(jec == json::error::too_deep ? error::json_too_deep : error::json_syntax);
    if(!v.is_object())
        return make_error_code(error::envelope_not_object);
    auto& o = v.get_object();
    auto const* type = o.if_contains(r.event_field);
    if(!type || !type->is_string() || type->get_string().empty())
        return make_error_code(error::event_field_missing);
    auto const* id = o.if_contains(r.id_field);
    std::string id_text;
    if(id && id->is_string())
        id_text = std::string(id->get_string());
    else if(id && id->is_int64())
        id_text = std::to_string(id->get_int64());
    else if(id && id->is_uint64())
        id_text = std::to_string(id->get_uint64());
    if(id_text.empty())
        return make_error_code(error::event_id_missing);

    event ev;
    ev.provider = "foxtrot";
    ev.event_name = std::string(type->get_string());
    ev.event_id = std::move(id_text);
    ev.record_id = ev.event_id;
    ev.webhook_id = r.path;
    ev.request_id = e.request_id;
    ev.occurred_at = time_of(o);
    ev.delivery_attempt = e.delivery_attempt;
    ev.sequence = e.sequence;
    // Stable across retries, replays and restarts: the route and the provider's id.
    ev.idempotency_key = "foxtrot/" + r.path + "/" + ev.event_id;
    ev.record = std::move(o);
    return ev;
}

} // namespace catena::webhooks::detail::foxtrot
