// SPDX-License-Identifier: BSL-1.0
// lib/clients/subscriptions.cpp - the Notifications API's shapes to and from JSON.
#include <catena/webhooks/subscriptions.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>

namespace catena::webhooks {

namespace json = boost::json;

namespace {

api_error bad_response(std::string what)
{
    api_error e;
    e.ec = make_error_code(error::api_bad_response);
    e.message = std::move(what);
    return e;
}

// Lenient field readers: a missing or null field reads as empty; a field of the wrong type is
// an error only where the caller needs it (ids).
std::string text(json::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    if(!v || !v->is_string())
        return {};
    return std::string(v->get_string());
}

std::optional<double> real(json::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    if(!v || !v->is_number())
        return std::nullopt;
    double const d = v->to_number<double>();
    return std::isfinite(d) ? std::optional(d) : std::nullopt;
}

std::uint64_t count(json::object const& o, std::string_view key)
{
    auto const d = real(o, key);
    return d && *d >= 0 ? static_cast<std::uint64_t>(*d) : 0;
}

std::optional<std::vector<std::string>> string_list(json::value const* v)
{
    if(!v || !v->is_array())
        return std::nullopt;
    std::vector<std::string> out;
    for(auto const& x : v->get_array())
        if(x.is_string())
            out.emplace_back(x.get_string());
    return out;
}

json::value list_json(std::optional<std::vector<std::string>> const& l)
{
    if(!l)
        return nullptr;
    json::array a;
    for(auto const& s : *l)
        a.emplace_back(s);
    return a;
}

template<class T, class F>
api_result<api_page<T>> page_of(json::value const& v, F parse_item)
{
    if(!v.is_object() || !v.get_object().contains("items") || !v.get_object().at("items").is_array())
        return bad_response("a page without an items array");
    auto const& o = v.get_object();
    api_page<T> p;
    for(auto const& item : o.at("items").get_array())
    {
        auto r = parse_item(item);
        if(!r)
            return r.error();
        p.items.push_back(std::move(*r));
    }
    p.next_page = text(o, "next_page");
    return p;
}

} // namespace

json::value to_json(webhook_filters const& f)
{
    return json::object{{"fleet_ids", list_json(f.fleet_ids)}, {"fleet_refs", list_json(f.fleet_refs)}};
}

json::value to_json(webhook_create const& c)
{
    json::object o{{"url", c.url}, {"event_name", c.event_name}};
    o["filters"] = c.filters ? to_json(*c.filters) : json::value(nullptr);
    if(!c.secret.empty())
        o["secret"] = c.secret;
    return o;
}

json::value to_json(webhook_update const& u)
{
    json::object o;
    if(u.url)
        o["url"] = *u.url;
    if(u.clear_filters)
        o["filters"] = nullptr;
    else if(u.filters)
        o["filters"] = to_json(*u.filters);
    if(u.secret)
        o["secret"] = *u.secret;
    if(u.status)
        o["status"] = *u.status;
    return o;
}

api_result<webhook_subscription> parse_subscription(json::value const& v)
{
    if(!v.is_object())
        return bad_response("a subscription that is not an object");
    auto const& o = v.get_object();
    webhook_subscription s;
    s.id = text(o, "id");
    if(s.id.empty())
        return bad_response("a subscription without an id");
    s.url = text(o, "url");
    s.event_name = text(o, "event_name");
    if(auto const* f = o.if_contains("filters"); f && f->is_object())
        s.filters = webhook_filters{string_list(f->get_object().if_contains("fleet_ids")),
                                    string_list(f->get_object().if_contains("fleet_refs"))};
    s.secret = text(o, "secret");
    s.status = text(o, "status");
    s.partner_id = text(o, "partner_id");
    s.created_at = text(o, "created_at");
    s.updated_at = text(o, "updated_at");
    s.deleted_at = text(o, "deleted_at");
    return s;
}

api_result<std::vector<webhook_subscription>> parse_created(json::value const& v)
{
    std::vector<webhook_subscription> out;
    if(v.is_array())
    {
        for(auto const& x : v.get_array())
        {
            auto s = parse_subscription(x);
            if(!s)
                return s.error();
            out.push_back(std::move(*s));
        }
        return out;
    }
    auto s = parse_subscription(v);
    if(!s)
        return s.error();
    out.push_back(std::move(*s));
    return out;
}

api_result<api_page<webhook_subscription>> parse_subscription_page(json::value const& v)
{
    return page_of<webhook_subscription>(v, parse_subscription);
}

api_result<webhook_metrics> parse_metrics(json::value const& v)
{
    if(!v.is_object())
        return bad_response("metrics that are not an object");
    auto const& o = v.get_object();
    webhook_metrics m;
    m.webhook_id = text(o, "webhook_id");
    m.ewma_success_rate = real(o, "ewma_success_rate");
    m.dlq_count = count(o, "dlq_count");
    // Each measure is an object keyed by window: gather them per window.
    for(auto const* measure : {"http_attempts", "http_success_attempts", "http_failure_attempts", "message_count",
                               "message_success_count", "success_rate", "avg_response_time_ms"})
    {
        auto const* per = o.if_contains(measure);
        if(!per || !per->is_object())
            continue;
        for(auto const& [window, value] : per->get_object())
        {
            auto& w = m.windows[std::string(window)];
            json::object one{{measure, value}};
            std::string_view const name = measure;
            if(name == "http_attempts") w.http_attempts = count(one, name);
            else if(name == "http_success_attempts") w.http_success_attempts = count(one, name);
            else if(name == "http_failure_attempts") w.http_failure_attempts = count(one, name);
            else if(name == "message_count") w.message_count = count(one, name);
            else if(name == "message_success_count") w.message_success_count = count(one, name);
            else if(name == "success_rate") w.success_rate = real(one, name);
            else w.avg_response_time_ms = real(one, name);
        }
    }
    return m;
}

api_result<api_page<webhook_log>> parse_log_page(json::value const& v)
{
    return page_of<webhook_log>(v, [](json::value const& x) -> api_result<webhook_log> {
        if(!x.is_object())
            return bad_response("a log entry that is not an object");
        auto const& o = x.get_object();
        webhook_log l;
        l.created_at = text(o, "created_at");
        l.webhook_id = text(o, "webhook_id");
        l.message_id = text(o, "message_id");
        l.event_name = text(o, "event_name");
        l.status = text(o, "status");
        if(auto c = real(o, "status_code"); c && *c >= 0 && *c < 1000)
            l.status_code = static_cast<unsigned>(*c);
        l.error_message = text(o, "error_message");
        l.response_time_ms = real(o, "response_time_ms");
        return l;
    });
}

api_result<event_schema> parse_schema(json::value const& v)
{
    if(!v.is_object())
        return bad_response("a schema that is not an object");
    auto const& o = v.get_object();
    event_schema s;
    s.event_name = text(o, "event_name");
    s.version = text(o, "version");
    s.created_at = text(o, "created_at");
    if(auto const* d = o.if_contains("openapi_schema"))
        s.openapi_schema = d->is_string() ? std::string(d->get_string()) : json::serialize(*d);
    s.changelog = text(o, "changelog");
    if(s.event_name.empty() || s.version.empty())
        return bad_response("a schema without event_name or version");
    return s;
}

api_error parse_api_error(unsigned status, std::string_view body, std::optional<std::chrono::seconds> retry_after_header)
{
    api_error e;
    e.status = status;
    e.ec = make_error_code(status == 400 || status == 422   ? error::api_bad_request
                           : status == 401 || status == 403 ? error::api_unauthorized
                           : status == 404                  ? error::api_not_found
                           : status == 409                  ? error::api_conflict
                           : status == 429                  ? error::api_rate_limited
                           : status >= 500                  ? error::api_server_error
                                                            : error::api_bad_response);
    e.retry_after = retry_after_header;
    json::error_code jec;
    auto const v = json::parse(body, jec);
    if(jec || !v.is_object())
    {
        // Not the API's error shape (a proxy's page): its first line, bounded.
        auto line = body.substr(0, body.find('\n')).substr(0, 200);
        e.message = std::string(line);
        return e;
    }
    auto const& o = v.get_object();
    e.code = text(o, "code");
    e.message = text(o, "message");
    if(e.code.empty())
        if(auto const* c = o.if_contains("code"); c && c->is_number())
            e.code = json::serialize(*c);
    if(auto const* d = o.if_contains("detail"))
    {
        if(d->is_array())
            for(auto const& x : d->get_array())
            {
                if(!x.is_object())
                    continue;
                auto const& xo = x.get_object();
                field_error f;
                if(auto const* p = xo.if_contains("path"))
                    f.path = p->is_string() ? std::string(p->get_string()) : json::serialize(*p);
                if(auto const* in = xo.if_contains("input"))
                    f.input = in->is_string() ? std::string(in->get_string()) : json::serialize(*in);
                f.message = text(xo, "message");
                f.error_type = text(xo, "error_type");
                e.details.push_back(std::move(f));
            }
        else if(d->is_object())
        {
            if(auto s = real(d->get_object(), "retry_after_seconds"); s && *s >= 0)
                e.retry_after = std::chrono::seconds(static_cast<long long>(std::ceil(*s)));
            if(e.message.empty())
                e.message = text(d->get_object(), "message");
        }
        else if(d->is_string() && e.message.empty())
            e.message = std::string(d->get_string());
    }
    return e;
}

} // namespace catena::webhooks
