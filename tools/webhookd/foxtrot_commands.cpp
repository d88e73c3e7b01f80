// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/foxtrot_commands.cpp - `catena-webhookd subscriptions --provider foxtrot …`: Foxtrot's webhooks from the command line.
#include "foxtrot_commands.hpp"

#include "apply.hpp"
#include "apply_flow.hpp"
#include "manager.hpp"

#include <catena/webhooks/foxtrot.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace webhookd {

namespace cw = catena::webhooks;
namespace fx = catena::webhooks::foxtrot;
namespace json = boost::json;

namespace {

[[noreturn]] void usage_error(std::string const& what)
{
    std::fprintf(stderr, "catena-webhookd subscriptions --provider foxtrot: %s (see --help)\n", what.c_str());
    std::exit(2);
}

template<class T, class Call>
T await(boost::asio::io_context& ioc, Call call)
{
    return await_or_exit<T>(ioc, std::move(call), "catena-webhookd subscriptions --provider foxtrot");
}

std::string joined(std::vector<std::string> const& v)
{
    std::string s;
    for(auto const& x : v)
        s += (s.empty() ? "" : ",") + x;
    return s.empty() ? "-" : s;
}

json::array array_of(std::vector<std::string> const& v)
{
    json::array a;
    for(auto const& x : v)
        a.emplace_back(x);
    return a;
}

json::object webhook_json(fx::webhook const& w)
{
    return {{"id", w.id}, {"url", w.url}, {"enabled", w.enabled}, {"events", array_of(w.events)},
            {"dc_ids", array_of(w.dc_ids)}};
}

void print_webhooks(std::vector<fx::webhook> const& all, bool as_json)
{
    if(as_json)
    {
        json::array a;
        for(auto const& w : all)
            a.push_back(webhook_json(w));
        std::cout << json::serialize(a) << '\n';
        return;
    }
    std::vector<std::vector<std::string>> rows{{"ID", "ENABLED", "EVENTS", "DC_IDS", "URL"}};
    for(auto const& w : all)
        rows.push_back({w.id, w.enabled ? "yes" : "no", joined(w.events), joined(w.dc_ids), w.url});
    print_table(rows);
}

//------------------------------------------------------------------------------
// apply

struct wanted
{
    std::string url;
    std::vector<std::string> events, dc_ids; // sorted: compared as sets
    bool enabled = true;
};

std::vector<std::string> sorted_strings(json::value const* v, std::string const& where)
{
    std::vector<std::string> out;
    if(!v)
        return out;
    if(!v->is_array())
        usage_error(where + " must be a list of strings");
    for(auto const& x : v->get_array())
    {
        if(!x.is_string() || x.get_string().empty())
            usage_error(where + " must be a list of strings");
        out.emplace_back(x.get_string());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<wanted> read_wanted(std::string const& file)
{
    std::ifstream in(file);
    if(!in)
        usage_error("cannot read " + file);
    std::stringstream ss;
    ss << in.rdbuf();
    json::error_code ec;
    auto const v = json::parse(ss.str(), ec);
    if(ec || !v.is_object() || !v.get_object().contains("subscriptions") ||
       !v.get_object().at("subscriptions").is_array())
        usage_error(file + ": expected {\"subscriptions\": [{\"url\", \"events\", \"dc_ids\", \"enabled\"}...]}");
    std::vector<wanted> out;
    std::size_t i = 0;
    for(auto const& x : v.get_object().at("subscriptions").get_array())
    {
        auto const where = file + ": subscription " + std::to_string(i++);
        if(!x.is_object())
            usage_error(where + " is not an object");
        auto const& o = x.get_object();
        wanted w;
        if(auto const* u = o.if_contains("url"); u && u->is_string())
            w.url = std::string(u->get_string());
        if(w.url.empty())
            usage_error(where + " needs a url");
        w.events = sorted_strings(o.if_contains("events"), where + " events");
        if(w.events.empty())
            usage_error(where + " needs events");
        w.dc_ids = sorted_strings(o.if_contains("dc_ids"), where + " dc_ids");
        if(auto const* e = o.if_contains("enabled"))
        {
            if(!e->is_bool())
                usage_error(where + " enabled must be true or false");
            w.enabled = e->get_bool();
        }
        for(auto const& k : o)
            if(k.key() != "url" && k.key() != "events" && k.key() != "dc_ids" && k.key() != "enabled")
                usage_error(where + ": unknown field " + std::string(k.key()));
        out.push_back(std::move(w));
    }
    return out;
}

bool same_scope(wanted const& w, fx::webhook const& h)
{
    auto events = h.events, dcs = h.dc_ids;
    std::sort(events.begin(), events.end());
    events.erase(std::unique(events.begin(), events.end()), events.end());
    std::sort(dcs.begin(), dcs.end());
    dcs.erase(std::unique(dcs.begin(), dcs.end()), dcs.end());
    return w.url == h.url && w.events == events && w.dc_ids == dcs;
}

/** One step of the plan. Foxtrot changes nothing but `enabled`: a webhook whose events or
    DCs differ is deleted and created again (`replace`). */
struct step
{
    enum kind { create, enable, disable, replace, remove, keep } what;
    wanted want;          // create, replace
    std::string id;       // enable, disable, replace, remove, keep
    std::string url;
    std::string why;
};

std::vector<step> plan(std::vector<wanted> const& want, std::vector<fx::webhook> const& have)
{
    std::vector<step> steps;
    std::vector<bool> used(have.size(), false);
    std::vector<wanted const*> unmatched;
    // Exact matches first (same URL, events and DCs): at most their enabled flag differs.
    for(auto const& w : want)
    {
        bool found = false;
        for(std::size_t i = 0; i < have.size() && !found; ++i)
            if(!used[i] && same_scope(w, have[i]))
            {
                used[i] = found = true;
                if(have[i].enabled != w.enabled)
                    steps.push_back({w.enabled ? step::enable : step::disable, w, have[i].id, w.url, {}});
                else
                    steps.push_back({step::keep, w, have[i].id, w.url, {}});
            }
        if(!found)
            unmatched.push_back(&w);
    }
    // Then a webhook to the same URL with other events or DCs is replaced; else one is created.
    for(auto const* w : unmatched)
    {
        bool found = false;
        for(std::size_t i = 0; i < have.size() && !found; ++i)
            if(!used[i] && have[i].url == w->url)
            {
                used[i] = found = true;
                steps.push_back({step::replace, *w, have[i].id, w->url,
                                 "events " + joined(have[i].events) + " dc_ids " + joined(have[i].dc_ids) +
                                     " -> events " + joined(w->events) + " dc_ids " + joined(w->dc_ids)});
            }
        if(!found)
            steps.push_back({step::create, *w, {}, w->url, {}});
    }
    // What else goes to the file's URLs is not wanted (deleted with --prune); other URLs are
    // not this file's business.
    std::set<std::string> urls;
    for(auto const& w : want)
        urls.insert(w.url);
    for(std::size_t i = 0; i < have.size(); ++i)
        if(!used[i] && urls.contains(have[i].url))
            steps.push_back({step::remove, {}, have[i].id, have[i].url, "events " + joined(have[i].events)});
    return steps;
}

int apply(boost::asio::io_context& ioc, fx::client& api, std::string const& file, bool yes, bool prune, bool as_json)
{
    auto const want = read_wanted(file);
    auto const have = await<std::vector<fx::webhook>>(ioc, [&](auto h) { api.list(h); });
    auto const steps = plan(want, have);
    static constexpr char const* names[] = {"create", "enable", "disable", "replace", "delete", "unchanged"};
    apply_plan p{"catena-webhookd subscriptions --provider foxtrot apply", file, "webhooks", {}, {}, {}};
    for(auto const& s : steps)
    {
        bool const skipped = s.what == step::remove && !prune;
        auto const events = s.what == step::create || s.what == step::replace ? joined(s.want.events) : std::string();
        p.steps.push_back(
            {s.what == step::keep ? plan_step::kind::unchanged : skipped ? plan_step::kind::skipped : plan_step::kind::change,
             json::object{{"action", skipped ? "keep" : names[s.what]},
                          {"id", s.id.empty() ? json::value(nullptr) : json::value(s.id)},
                          {"url", s.url},
                          {"detail", s.why.empty() ? json::value(nullptr) : json::value(s.why)}},
             std::string(s.what == step::create    ? "+ create  "
                         : s.what == step::enable  ? "~ enable  "
                         : s.what == step::disable ? "~ disable "
                         : s.what == step::replace ? "± replace "
                         : skipped                 ? "? keep    "
                                                   : "- delete  ") +
                 (s.id.empty() ? events : s.id) + " -> " + s.url +
                 (s.what == step::replace ? " (delete, then create: Foxtrot changes only enabled)" : "") +
                 (s.why.empty() ? "" : " [" + s.why + "]")});
    }
    auto make = [&](step const& s) -> cw::api_result<fx::webhook> {
        auto made = run_call<fx::webhook>(ioc, [&](auto h) { api.create({s.want.url, s.want.events, s.want.dc_ids}, h); });
        if(made && !s.want.enabled)
            return run_call<fx::webhook>(ioc, [&](auto h) { api.set_enabled(made->id, false, h); });
        return made;
    };
    p.carry_out = [&](std::size_t i) -> std::optional<step_failure> {
        auto const& s = steps[i];
        cw::api_result<void> r;
        switch(s.what)
        {
        case step::keep: break;
        case step::remove: r = run_call<void>(ioc, [&](auto h) { api.remove(s.id, h); }); break;
        case step::enable:
        case step::disable:
            if(auto x = run_call<fx::webhook>(ioc, [&](auto h) { api.set_enabled(s.id, s.what == step::enable, h); }); !x)
                r = x.error();
            break;
        case step::replace:
            r = run_call<void>(ioc, [&](auto h) { api.remove(s.id, h); });
            if(!r)
                break;
            [[fallthrough]];
        case step::create:
            if(auto x = make(s); !x)
                r = x.error();
            break;
        }
        if(r)
            return std::nullopt;
        return step_failure{std::string(names[s.what]) + " " + (s.id.empty() ? s.url : s.id) + ": " + r.error().what()};
    };
    return run_apply(p, yes, as_json);
}

// Foxtrot's side of the commands every provider has.
class foxtrot_manager final : public subscription_manager
{
public:
    foxtrot_manager(boost::asio::io_context& ioc, fx::client& api) : ioc_(ioc), api_(api) {}

    int list(bool as_json) override
    {
        print_webhooks(await<std::vector<fx::webhook>>(ioc_, [&](auto h) { api_.list(h); }), as_json);
        return 0;
    }

    int set_enabled(std::string const& id, bool enabled, bool as_json) override
    {
        print_webhooks({await<fx::webhook>(ioc_, [&](auto h) { api_.set_enabled(id, enabled, h); })}, as_json);
        return 0;
    }

    int remove(std::string const& id) override
    {
        await<void>(ioc_, [&](auto h) { api_.remove(id, h); });
        std::cout << "deleted " << id << '\n';
        return 0;
    }

    int apply(std::string const& file, bool yes, bool prune, bool as_json) override
    {
        return webhookd::apply(ioc_, api_, file, yes, prune, as_json);
    }

private:
    boost::asio::io_context& ioc_;
    fx::client& api_;
};

} // namespace

int foxtrot_command(foxtrot_args const& a)
{
    fx::client_options o;
    o.api_url = a.api_url;
    o.ca_file = a.ca_file;
    if(!a.key_header.empty())
        o.key_header = a.key_header;
    if(char const* key = std::getenv("FOXTROT_API_KEY"))
        o.api_key = key;
    if(a.verb == "get" || a.verb == "update" || a.verb == "replay" || a.verb == "metrics" || a.verb == "logs")
        usage_error("Foxtrot's API has no " + a.verb + " (list, create, enable, disable, delete, apply)");
    if(auto problem = fx::check_client_options(o); !problem.empty())
        usage_error(problem + (a.api_url.empty() ? " (--api-url URL)" : ""));
    boost::asio::io_context ioc;
    fx::client api(ioc.get_executor(), o);
    foxtrot_manager common(ioc, api);
    if(auto rc = common_command(common, a.verb, a.positional, a.json, a.yes, a.prune))
        return *rc;
    if(a.verb == "create")
    {
        if(a.url.empty() || a.events.empty())
            usage_error("create needs --url and at least one --event");
        auto w = await<fx::webhook>(ioc, [&](auto h) { api.create({a.url, a.events, a.dc_ids}, h); });
        print_webhooks({w}, a.json);
        return 0;
    }
    usage_error("unknown command " + a.verb);
}

} // namespace webhookd
