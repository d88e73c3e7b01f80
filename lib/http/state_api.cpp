// SPDX-License-Identifier: BSL-1.0
// lib/http/state_api.cpp - the admin listener's routes: state API (/v1/...), status page, metrics.
#include "http/state_api.hpp"

#include "detail/json_forms.hpp"
#include "detail/token.hpp"
#include "detail/url.hpp"
#include "http/openapi.hpp"
#include "http/status_page.hpp"

#include <catena/webhooks/json_lines.hpp>
#include <catena/webhooks/version.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace catena::webhooks::detail {

namespace json = boost::json;

namespace {

json::value text_or_null(std::string_view s) { return s.empty() ? json::value(nullptr) : json::value(s); }

json::value time_or_null(std::optional<timestamp> const& t)
{
    return t ? json::value(format_rfc3339(*t, utc_suffix::z)) : json::value(nullptr);
}

json::object subscription_json(subscription_seen const& s)
{
    return json::object{{"webhook_id", s.webhook_id},
                        {"deliveries", s.deliveries},
                        {"duplicate_deliveries", s.duplicate_deliveries},
                        {"deferred_deliveries", s.deferred_deliveries},
                        {"last_delivery_at", time_or_null(s.last_delivery_at)},
                        {"last_deferred_at", time_or_null(s.last_deferred_at)},
                        {"last_event_type", text_or_null(s.last_event_type)},
                        {"last_action", text_or_null(s.last_action)},
                        {"status", text_or_null(s.status)},
                        {"last_status_at", time_or_null(s.last_status_at)},
                        {"delivery_stopped", s.delivery_stopped},
                        {"url", text_or_null(s.url)},
                        {"event_name", text_or_null(s.event_name)}};
}

// The build, the time, then every number under its metric's name (summary_number).
json::object summary_json(std::vector<summary_number> const& numbers)
{
    json::object o{{"version", version()}, {"commit", build_commit()}, {"time", format_rfc3339(system_now(), utc_suffix::z)}};
    for(auto const& n : numbers)
    {
        if(n.label.empty())
        {
            o[n.name] = n.value;
            continue;
        }
        auto& family = o[n.name];
        if(!family.is_object())
            family = json::object{};
        family.as_object()[n.label] = n.value;
    }
    return o;
}

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// past U+10FFFF).
bool valid_utf8(std::string_view s) noexcept
{
    for(std::size_t i = 0; i < s.size();)
    {
        auto const c = static_cast<unsigned char>(s[i]);
        std::size_t const n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if(n == 0 || i + n > s.size())
            return false;
        std::uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for(std::size_t k = 1; k < n; ++k)
        {
            auto const t = static_cast<unsigned char>(s[i + k]);
            if((t & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (t & 0x3f);
        }
        static constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        if(cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

// Text from the request, as an error message may quote it: JSON holds only UTF-8, so bytes
// that are not are shown percent-encoded.
std::string quoted(std::string_view s) { return "'" + (valid_utf8(s) ? std::string(s) : percent_encode(s)) + "'"; }

admin_reply json_reply(json::object const& o) { return {200, json::serialize(o) + "\n"}; }

admin_reply problem(unsigned status, error e, std::string detail) { return admin_problem(status, e, std::move(detail)); }

// The query string's parameters, decoded; a parameter not in `known` is an error.
struct query
{
    std::vector<std::pair<std::string, std::string>> params;
    std::string error;

    std::optional<std::string> get(std::string_view name) const
    {
        for(auto const& [k, v] : params)
            if(k == name)
                return v;
        return std::nullopt;
    }
};

query parse_query(std::string_view q, std::initializer_list<std::string_view> known)
{
    query out;
    while(!q.empty())
    {
        auto const amp = q.find('&');
        auto const part = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
        if(part.empty())
            continue;
        auto const eq = part.find('=');
        auto k = percent_decode(part.substr(0, eq), true);
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
        if(!k || !v)
        {
            out.error = "malformed percent-encoding in the query";
            return out;
        }
        if(std::find(known.begin(), known.end(), *k) == known.end())
        {
            out.error = "unknown query parameter " + quoted(*k);
            return out;
        }
        out.params.emplace_back(std::move(*k), std::move(*v));
    }
    return out;
}

std::optional<std::size_t> parse_limit(std::string const& s, std::size_t max)
{
    std::size_t n = 0;
    auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if(ec != std::errc{} || p != s.data() + s.size() || n == 0 || n > max)
        return std::nullopt;
    return n;
}

admin_reply fleets_route(state_source const& src, std::string_view q)
{
    auto const qp = parse_query(q, {"stage", "health", "cursor", "limit"});
    if(!qp.error.empty())
        return problem(400, error::bad_query, qp.error);
    fleet_query fq;
    if(auto s = qp.get("stage"))
    {
        fq.stage = parse_stage(*s);
        if(!fq.stage)
            return problem(400, error::bad_query, "stage: no stage named " + quoted(*s));
    }
    if(auto h = qp.get("health"))
    {
        fq.health = parse_health(*h);
        if(!fq.health)
            return problem(400, error::bad_query, "health: no health named " + quoted(*h));
    }
    if(auto c = qp.get("cursor"))
        fq.after = *c;
    if(auto l = qp.get("limit"))
    {
        auto n = parse_limit(*l, 1000);
        if(!n)
            return problem(400, error::bad_query, "limit: a number from 1 to 1000, not " + quoted(*l));
        fq.limit = *n;
    }
    auto page = src.fleet_page_of(fq);
    json::array fleets;
    for(auto const& f : page.fleets)
        fleets.emplace_back(to_json(f));
    return json_reply(json::object{{"fleets", std::move(fleets)},
                                   {"matched", page.matched},
                                   {"next_cursor", text_or_null(page.next_cursor)}});
}

admin_reply fleet_route(state_source const& src, std::string_view rest, std::string_view q)
{
    if(!parse_query(q, {}).error.empty())
        return problem(400, error::bad_query, "this route takes no query parameters");
    bool const history = rest.size() > 8 && rest.substr(rest.size() - 8) == "/history";
    auto const encoded = history ? rest.substr(0, rest.size() - 8) : rest;
    auto key = percent_decode(encoded, false);
    if(!key || key->empty() || encoded.find('/') != std::string_view::npos)
        return problem(404, error::not_found, "no such route (a fleet key with '/' is written %2F)");
    auto f = src.fleet_of(*key);
    if(!f)
        return problem(404, error::not_found, "no fleet is known under " + quoted(*key));
    if(!history)
        return json_reply(to_json(*f));
    json::array ts;
    for(auto const& t : src.history_of(f->key))
        ts.emplace_back(json_object_of(t, json_form::api));
    return json_reply(json::object{{"fleet_key", f->key}, {"transitions", std::move(ts)}});
}

} // namespace

std::string admin_problem_body(unsigned status, error_code const& ec, std::string_view detail)
{
    return json::serialize(json::object{{"status", status}, {"reason", reason(ec)}, {"detail", detail}}) + "\n";
}

admin_reply admin_problem(unsigned status, error e, std::string detail)
{
    auto const ec = make_error_code(e);
    admin_reply r{status, admin_problem_body(status, ec, detail)};
    r.ec = ec;
    return r;
}

admin_reply answer_admin(state_source const& src, receiver_options const& opts, std::string_view target,
                         std::string_view authorization)
{
    auto const qmark = target.find('?');
    auto const path = target.substr(0, qmark);
    auto const q = qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
    if(path == "/")
    {
        admin_reply r{200, std::string(status_page_html())};
        r.content_type = "text/html; charset=utf-8";
        r.page = true;
        return r;
    }
    bool const is_metrics = !opts.metrics_path.empty() && path == opts.metrics_path;
    if(!is_metrics && path != "/v1" && path.substr(0, 4) != "/v1/")
        return problem(404, error::not_found, "no such route");
    if(!opts.admin_token.empty() && !bearer_matches(authorization, opts.admin_token))
    {
        auto r = problem(401, error::admin_unauthorized, "send Authorization: Bearer <admin token>");
        r.challenge = true;
        return r;
    }
    if(is_metrics)
    {
        admin_reply r{200, src.metrics()};
        r.content_type = "text/plain; version=0.0.4";
        return r;
    }
    auto const no_query = [&]() { return parse_query(q, {}).error.empty(); };
    if(path == "/v1/summary")
        return no_query() ? json_reply(summary_json(src.summary()))
                          : problem(400, error::bad_query, "this route takes no query parameters");
    if(path == "/v1/openapi.json")
        return no_query() ? admin_reply{200, std::string(openapi_document())}
                          : problem(400, error::bad_query, "this route takes no query parameters");
    if(path == "/v1/fleets")
        return fleets_route(src, q);
    if(path.substr(0, 11) == "/v1/fleets/")
        return fleet_route(src, path.substr(11), q);
    if(path == "/v1/dead-letters")
    {
        auto const qp = parse_query(q, {"limit"});
        if(!qp.error.empty())
            return problem(400, error::bad_query, qp.error);
        std::size_t limit = 100;
        if(auto l = qp.get("limit"))
        {
            auto n = parse_limit(*l, 1000);
            if(!n)
                return problem(400, error::bad_query, "limit: a number from 1 to 1000, not " + quoted(*l));
            limit = *n;
        }
        // Metadata only, as many as asked: a listing reads no body.
        auto const all = src.recent_dead_letters(limit); // oldest first
        json::array out;
        for(auto i = all.size(); i > 0; --i)
            out.emplace_back(to_json(all[i - 1], false));
        return json_reply(json::object{{"dead_letters", std::move(out)}});
    }
    if(path.substr(0, 17) == "/v1/dead-letters/")
    {
        if(!no_query())
            return problem(400, error::bad_query, "this route takes no query parameters");
        auto const id = path.substr(17);
        std::int64_t n = 0;
        auto const [end, err] = std::from_chars(id.data(), id.data() + id.size(), n);
        if(id.empty() || err != std::errc{} || end != id.data() + id.size() || n <= 0)
            return problem(404, error::not_found, "no dead letter " + quoted(id));
        auto x = src.dead_letter_of(n);
        if(!x)
            return problem(404, error::not_found, "no dead letter " + std::to_string(n));
        return json_reply(to_json(*x, true));
    }
    if(path == "/v1/subscriptions")
    {
        if(!no_query())
            return problem(400, error::bad_query, "this route takes no query parameters");
        json::array out;
        for(auto const& s : src.seen_subscriptions())
            out.emplace_back(subscription_json(s));
        return json_reply(json::object{{"subscriptions", std::move(out)}});
    }
    if(path == "/v1/sinks")
    {
        if(!no_query())
            return problem(400, error::bad_query, "this route takes no query parameters");
        json::array out;
        for(auto const& x : src.sinks_now())
            out.emplace_back(json::object{{"name", x.name},
                                          {"connected", x.connected},
                                          {"sent", x.sent},
                                          {"acknowledged", x.acknowledged},
                                          {"retries", x.retries},
                                          {"pending", x.pending},
                                          {"lag_seconds", x.lag_seconds},
                                          {"last_error", x.last_error.empty() ? json::value(nullptr) : json::value(x.last_error)}});
        return json_reply(json::object{{"sinks", std::move(out)}});
    }
    if(path == "/v1/operations")
    {
        if(!no_query())
            return problem(400, error::bad_query, "this route takes no query parameters");
        // Bounded by processing.max_tracked_operations.
        json::array out;
        for(auto const& p : src.pending_operations())
            out.emplace_back(json::object{{"operation_id", p.operation_id},
                                          {"connection_id", p.connection_id},
                                          {"resource", p.resource},
                                          {"deadline", format_rfc3339(p.deadline, utc_suffix::z)},
                                          {"next_poll", time_or_null(p.next_poll)},
                                          {"polls", p.polls},
                                          {"last_problem", p.last_problem}});
        return json_reply(json::object{{"operations", std::move(out)}});
    }
    return problem(404, error::not_found, "no such route");
}

} // namespace catena::webhooks::detail
