// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/subscriptions.cpp - `catena-webhookd subscriptions ...`.
#include "subscriptions.hpp"

#include "apply.hpp"
#include "foxtrot_commands.hpp"
#include "manager.hpp"

#include <catena/webhooks.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace webhookd {

namespace cw = catena::webhooks;
namespace json = boost::json;

namespace {

constexpr char usage[] = R"(usage: catena-webhookd subscriptions COMMAND [ARGS] [options]

Manages webhook subscriptions: Catena's through its Notifications API (credentials from
CATENA_CLIENT_ID and CATENA_CLIENT_SECRET), Foxtrot's with --provider foxtrot. list, enable,
disable, delete and apply work alike for both.

  list [--event NAME] [--status active|paused|stale|deleted]
  get ID
  create --url URL --event NAME|RESOURCE.* [--fleet-id ID]... [--fleet-ref REF]...
         [--secrets-file FILE]     the new X-Webhook-IDs and their generated secret are added
                                   to FILE (mode 0600); without it the secret is printed once
  update ID [--url URL] [--status active|paused] [--fleet-id ID]... [--fleet-ref REF]...
         [--clear-filters] [--new-secret --secrets-file FILE]
  delete ID | activate ID (or enable) | pause ID (or disable) | replay ID | metrics ID
  logs ID [--status success|failed] [--since RFC3339] [--until RFC3339]
  apply FILE [--yes] [--prune] [--secrets-file FILE]
                                   makes the subscriptions match FILE: prints the plan, and
                                   carries it out with --yes (see the README)

Foxtrot (--provider foxtrot; the key from FOXTROT_API_KEY, --api-url required):
  list | create --url URL --event TYPE [--event TYPE]... [--dc-id DC]...
  enable ID | disable ID | delete ID
  apply FILE [--yes] [--prune]     {"subscriptions": [{"url", "events", "dc_ids", "enabled"}]};
                                   Foxtrot changes only enabled, so a webhook whose events or
                                   DCs differ is deleted and created again ("replace")

Options:
  --provider catena|foxtrot   whose API (default catena)
  --api-key-header NAME       Foxtrot: the header carrying the key (default Authorization,
                              as "Bearer KEY"; the reference does not say)
  --json              print JSON instead of a table
  --api-url URL       the API's base URL (default https://api.catenatelematics.com)
  --auth-url URL      the token endpoint
  --ca-file FILE      trust FILE's CAs instead of the system's

Exit status: 0 done, 1 the API could not be reached or answered an error (one line says
which), 2 a usage error.
)";

[[noreturn]] void usage_error(std::string const& what)
{
    std::fprintf(stderr, "catena-webhookd subscriptions: %s (see --help)\n", what.c_str());
    std::exit(2);
}

struct args
{
    std::string verb;
    std::vector<std::string> positional;
    bool json = false, yes = false, prune = false, clear_filters = false, new_secret = false;
    std::string api_url, auth_url, ca_file, url, event, status, since, until, secrets_file;
    std::vector<std::string> fleet_ids, fleet_refs;
    std::string provider = "catena", key_header;
    std::vector<std::string> events, dc_ids; // every --event; --dc-id (Foxtrot)
};

args parse_args(int argc, char** argv)
{
    args a;
    for(int i = 2; i < argc; ++i)
    {
        std::string s = argv[i];
        std::string inline_value;
        bool has_inline = false;
        if(auto eq = s.find('='); s.rfind("--", 0) == 0 && eq != std::string::npos)
        {
            inline_value = s.substr(eq + 1);
            s = s.substr(0, eq);
            has_inline = true;
        }
        auto value = [&]() -> std::string {
            if(has_inline)
                return inline_value;
            if(i + 1 >= argc)
                usage_error(s + " needs a value");
            return argv[++i];
        };
        if(s == "--help" || s == "-h")
        {
            std::fputs(usage, stdout);
            std::exit(0);
        }
        else if(s == "--json") a.json = true;
        else if(s == "--yes") a.yes = true;
        else if(s == "--prune") a.prune = true;
        else if(s == "--clear-filters") a.clear_filters = true;
        else if(s == "--new-secret") a.new_secret = true;
        else if(s == "--api-url") a.api_url = value();
        else if(s == "--auth-url") a.auth_url = value();
        else if(s == "--ca-file") a.ca_file = value();
        else if(s == "--url") a.url = value();
        else if(s == "--event") a.events.push_back(a.event = value());
        else if(s == "--provider") a.provider = value();
        else if(s == "--api-key-header") a.key_header = value();
        else if(s == "--dc-id") a.dc_ids.push_back(value());
        else if(s == "--status") a.status = value();
        else if(s == "--since") a.since = value();
        else if(s == "--until") a.until = value();
        else if(s == "--secrets-file") a.secrets_file = value();
        else if(s == "--fleet-id") a.fleet_ids.push_back(value());
        else if(s == "--fleet-ref") a.fleet_refs.push_back(value());
        else if(s.rfind("--", 0) == 0) usage_error("unknown option " + s);
        else if(a.verb.empty()) a.verb = s;
        else a.positional.push_back(s);
    }
    return a;
}

std::string one_id(args const& a)
{
    if(a.positional.size() != 1)
        usage_error(a.verb + " needs one subscription id");
    return a.positional[0];
}

// One call to completion; an error ends the command (exit 1).
template<class T, class Call>
T await(boost::asio::io_context& ioc, Call call)
{
    return await_or_exit<T>(ioc, std::move(call), "catena-webhookd subscriptions");
}

std::string filters_text(std::optional<cw::webhook_filters> const& f)
{
    if(!f || (!f->fleet_ids && !f->fleet_refs))
        return "-";
    std::string s;
    auto add = [&s](char const* name, std::optional<std::vector<std::string>> const& l) {
        if(!l)
            return;
        for(auto const& x : *l)
            s += (s.empty() ? "" : ",") + std::string(name) + "=" + x;
    };
    add("fleet_id", f->fleet_ids);
    add("fleet_ref", f->fleet_refs);
    return s.empty() ? "-" : s;
}

void print_subscriptions(std::vector<cw::webhook_subscription> const& subs, bool as_json)
{
    if(as_json)
    {
        json::array a;
        for(auto const& s : subs)
            a.push_back(subscription_json(s));
        std::cout << json::serialize(a) << '\n';
        return;
    }
    std::vector<std::vector<std::string>> rows{{"ID", "EVENT", "STATUS", "URL", "FILTERS"}};
    for(auto const& s : subs)
        rows.push_back({s.id, s.event_name, s.status, s.url, filters_text(s.filters)});
    print_table(rows);
}

// Catena's side of the commands every provider has.
class catena_manager final : public subscription_manager
{
public:
    catena_manager(boost::asio::io_context& ioc, cw::notifications_client& api, cw::webhook_query q,
                   std::string secrets_file)
        : ioc_(ioc), api_(api), query_(std::move(q)), secrets_file_(std::move(secrets_file))
    {
    }

    int list(bool as_json) override
    {
        print_subscriptions(await<std::vector<cw::webhook_subscription>>(ioc_, [&](auto h) { api_.list(query_, h); }),
                            as_json);
        return 0;
    }

    int set_enabled(std::string const& id, bool enabled, bool as_json) override
    {
        auto s = await<cw::webhook_subscription>(ioc_, [&](auto h) {
            if(enabled)
                api_.activate(id, h);
            else
                api_.pause(id, h);
        });
        print_subscriptions({s}, as_json);
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
        return apply_command(ioc_, api_, file, yes, prune, secrets_file_, as_json);
    }

private:
    boost::asio::io_context& ioc_;
    cw::notifications_client& api_;
    cw::webhook_query query_;
    std::string secrets_file_;
};

std::optional<cw::webhook_filters> filters_of(args const& a)
{
    if(a.fleet_ids.empty() && a.fleet_refs.empty())
        return std::nullopt;
    cw::webhook_filters f;
    if(!a.fleet_ids.empty())
        f.fleet_ids = a.fleet_ids;
    if(!a.fleet_refs.empty())
        f.fleet_refs = a.fleet_refs;
    return f;
}

} // namespace

void print_table(std::vector<std::vector<std::string>> const& rows)
{
    std::vector<std::size_t> width;
    for(auto const& r : rows)
        for(std::size_t i = 0; i < r.size(); ++i)
        {
            width.resize(std::max(width.size(), r.size()));
            width[i] = std::max(width[i], r[i].size());
        }
    for(auto const& r : rows)
    {
        std::string line;
        for(std::size_t i = 0; i < r.size(); ++i)
        {
            line += r[i];
            if(i + 1 < r.size())
                line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        std::cout << line << '\n';
    }
}

json::object subscription_json(cw::webhook_subscription const& s)
{
    auto null_if_empty = [](std::string const& v) { return v.empty() ? json::value(nullptr) : json::value(v); };
    json::object o{{"id", s.id},
                   {"event_name", s.event_name},
                   {"status", s.status},
                   {"url", s.url},
                   {"filters", s.filters ? cw::to_json(*s.filters) : json::value(nullptr)},
                   {"created_at", null_if_empty(s.created_at)},
                   {"updated_at", null_if_empty(s.updated_at)}};
    return o;
}

int subscriptions_command(int argc, char** argv)
{
    auto const a = parse_args(argc, argv);
    if(a.verb.empty())
        usage_error("say which command");
    if(a.provider == "foxtrot")
    {
        foxtrot_args f;
        f.verb = a.verb;
        f.positional = a.positional;
        f.json = a.json;
        f.yes = a.yes;
        f.prune = a.prune;
        f.api_url = a.api_url;
        f.ca_file = a.ca_file;
        f.key_header = a.key_header;
        f.url = a.url;
        f.events = a.events;
        f.dc_ids = a.dc_ids;
        return foxtrot_command(f);
    }
    if(a.provider != "catena")
        usage_error("unknown provider " + a.provider + " (catena, foxtrot)");
    if(!a.dc_ids.empty() || !a.key_header.empty())
        usage_error("--dc-id and --api-key-header are Foxtrot's (--provider foxtrot)");
    cw::notifications_options o;
    if(!a.api_url.empty())
        o.api_url = a.api_url;
    if(!a.auth_url.empty())
        o.auth_url = a.auth_url;
    o.ca_file = a.ca_file;
    if(char const* id = std::getenv("CATENA_CLIENT_ID"))
        o.client_id = id;
    if(char const* secret = std::getenv("CATENA_CLIENT_SECRET"))
        o.client_secret = secret;
    if(auto problem = cw::check_notifications_options(o); !problem.empty())
        usage_error(problem);

    boost::asio::io_context ioc;
    cw::notifications_client api(ioc.get_executor(), o);
    using subs = std::vector<cw::webhook_subscription>;
    using sub = cw::webhook_subscription;

    cw::webhook_query listing;
    listing.event_name = a.event;
    listing.status = a.status;
    catena_manager common(ioc, api, listing, a.secrets_file);
    if(auto rc = common_command(common, a.verb, a.positional, a.json, a.yes, a.prune))
        return *rc;
    if(a.verb == "get")
    {
        auto const id = one_id(a);
        print_subscriptions({await<sub>(ioc, [&](auto h) { api.get(id, h); })}, a.json);
        return 0;
    }
    if(a.verb == "replay")
    {
        auto const id = one_id(a);
        await<void>(ioc, [&](auto h) { api.replay(id, h); });
        std::cout << "replay of the dead-letter queue started for " << id << '\n';
        return 0;
    }
    if(a.verb == "create")
    {
        if(a.url.empty() || a.event.empty())
            usage_error("create needs --url and --event");
        cw::webhook_create c;
        c.url = a.url;
        c.event_name = a.event;
        c.filters = filters_of(a);
        c.secret = generate_secret();
        auto made = await<subs>(ioc, [&](auto h) { api.create(c, h); });
        if(!a.secrets_file.empty())
        {
            std::vector<std::pair<std::string, std::string>> add;
            for(auto const& s : made)
                add.emplace_back(s.id, s.secret.empty() || s.secret == "*****" ? c.secret : s.secret);
            if(auto why = add_secrets(a.secrets_file, add); !why.empty())
            {
                std::fprintf(stderr, "catena-webhookd subscriptions: created, but %s\n", why.c_str());
                return 1;
            }
            std::fprintf(stderr, "%zu secrets added to %s: send catena-webhookd SIGHUP (systemctl reload catena-webhookd)\n",
                         made.size(), a.secrets_file.c_str());
        }
        else
            std::fprintf(stderr, "the secret of the new subscriptions (shown once; --secrets-file FILE keeps it): %s\n",
                         c.secret.c_str());
        print_subscriptions(made, a.json);
        return 0;
    }
    if(a.verb == "update")
    {
        auto const id = one_id(a);
        cw::webhook_update u;
        if(!a.url.empty())
            u.url = a.url;
        if(!a.status.empty())
            u.status = a.status;
        u.filters = filters_of(a);
        u.clear_filters = a.clear_filters;
        if(a.new_secret)
        {
            if(a.secrets_file.empty())
                usage_error("--new-secret needs --secrets-file FILE to keep it");
            u.secret = generate_secret();
        }
        auto s = await<sub>(ioc, [&](auto h) { api.update(id, u, h); });
        if(u.secret)
        {
            if(auto why = add_secrets(a.secrets_file, {{id, *u.secret}}); !why.empty())
            {
                std::fprintf(stderr, "catena-webhookd subscriptions: updated, but %s\n", why.c_str());
                return 1;
            }
            std::fprintf(stderr, "the new secret is first for %s in %s (the old one stays until you remove it): send "
                                 "catena-webhookd SIGHUP\n",
                         id.c_str(), a.secrets_file.c_str());
        }
        print_subscriptions({s}, a.json);
        return 0;
    }
    if(a.verb == "metrics")
    {
        auto const id = one_id(a);
        auto m = await<cw::webhook_metrics>(ioc, [&](auto h) { api.metrics(id, h); });
        auto opt = [](std::optional<double> v, int digits) {
            if(!v)
                return std::string("-");
            char b[32];
            std::snprintf(b, sizeof b, "%.*f", digits, *v);
            return std::string(b);
        };
        if(a.json)
        {
            json::object w;
            for(auto const& [name, x] : m.windows)
                w[name] = json::object{{"http_attempts", x.http_attempts},
                                       {"http_success_attempts", x.http_success_attempts},
                                       {"http_failure_attempts", x.http_failure_attempts},
                                       {"message_count", x.message_count},
                                       {"message_success_count", x.message_success_count},
                                       {"success_rate", x.success_rate ? json::value(*x.success_rate) : nullptr},
                                       {"avg_response_time_ms",
                                        x.avg_response_time_ms ? json::value(*x.avg_response_time_ms) : nullptr}};
            std::cout << json::serialize(json::object{
                             {"webhook_id", m.webhook_id},
                             {"windows", w},
                             {"ewma_success_rate", m.ewma_success_rate ? json::value(*m.ewma_success_rate) : nullptr},
                             {"dlq_count", m.dlq_count}})
                      << '\n';
            return 0;
        }
        std::vector<std::vector<std::string>> rows{{"WINDOW", "ATTEMPTS", "OK", "FAILED", "MESSAGES", "SUCCESS %", "AVG MS"}};
        for(auto const* name : {"6h", "24h", "7d", "14d"})
            if(auto it = m.windows.find(name); it != m.windows.end())
                rows.push_back({name, std::to_string(it->second.http_attempts),
                                std::to_string(it->second.http_success_attempts),
                                std::to_string(it->second.http_failure_attempts), std::to_string(it->second.message_count),
                                opt(it->second.success_rate, 1), opt(it->second.avg_response_time_ms, 1)});
        print_table(rows);
        std::cout << "ewma success rate " << opt(m.ewma_success_rate, 3) << " (below 0.95: stale), dead-letter queue "
                  << m.dlq_count << '\n';
        return 0;
    }
    if(a.verb == "logs")
    {
        auto const id = one_id(a);
        cw::log_query q;
        q.status = a.status;
        q.start_date = a.since;
        q.end_date = a.until;
        auto logs = await<std::vector<cw::webhook_log>>(ioc, [&](auto h) { api.logs(id, q, h); });
        if(a.json)
        {
            json::array out;
            for(auto const& l : logs)
                out.push_back(json::object{{"created_at", l.created_at},
                                           {"message_id", l.message_id},
                                           {"event_name", l.event_name},
                                           {"status", l.status},
                                           {"status_code", l.status_code ? json::value(*l.status_code) : nullptr},
                                           {"error_message", l.error_message.empty() ? json::value(nullptr)
                                                                                     : json::value(l.error_message)},
                                           {"response_time_ms",
                                            l.response_time_ms ? json::value(*l.response_time_ms) : nullptr}});
            std::cout << json::serialize(out) << '\n';
            return 0;
        }
        std::vector<std::vector<std::string>> rows{{"TIME", "EVENT", "STATUS", "CODE", "MESSAGE", "ERROR"}};
        for(auto const& l : logs)
            rows.push_back({l.created_at, l.event_name, l.status, l.status_code ? std::to_string(*l.status_code) : "-",
                            l.message_id, l.error_message.empty() ? "-" : l.error_message});
        print_table(rows);
        return 0;
    }
    usage_error("unknown command " + a.verb);
}

} // namespace webhookd
