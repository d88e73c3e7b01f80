// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/apply.cpp - `catena-webhookd subscriptions apply FILE` and the secrets file.
#include "apply.hpp"

#include "apply_flow.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace webhookd {

namespace cw = catena::webhooks;
namespace json = boost::json;

std::string generate_secret()
{
    unsigned char raw[32];
    if(RAND_bytes(raw, sizeof raw) != 1)
    {
        std::fprintf(stderr, "catena-webhookd: the random generator failed\n");
        std::exit(1);
    }
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned bits = 0, acc = 0;
    for(unsigned char c : raw)
    {
        acc = (acc << 8) | c;
        bits += 8;
        while(bits >= 6)
        {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 63]);
        }
    }
    if(bits > 0)
        out.push_back(alphabet[(acc << (6 - bits)) & 63]);
    return out;
}

std::string add_secrets(std::string const& file, std::vector<std::pair<std::string, std::string>> const& entries)
{
    std::string old;
    if(std::ifstream in(file, std::ios::binary); in)
    {
        std::stringstream ss;
        ss << in.rdbuf();
        old = ss.str();
    }
    std::string text;
    for(auto const& [id, secret] : entries)
        text += id + " " + secret + "\n";
    text += old;
    auto const dir = std::filesystem::path(file).parent_path().empty() ? std::filesystem::path(".")
                                                                       : std::filesystem::path(file).parent_path();
    std::string tmp = (dir / (".secrets.XXXXXX")).string();
    int const fd = ::mkstemp(tmp.data()); // mode 0600
    if(fd < 0)
        return "cannot write beside " + file + ": " + std::strerror(errno);
    bool ok = ::fchmod(fd, 0600) == 0;
    // The file keeps its owner: the packaged service reads it as its own user, while this
    // command runs as root.
    if(struct stat st{}; ok && ::stat(file.c_str(), &st) == 0 && (st.st_uid != ::geteuid() || st.st_gid != ::getegid()))
        ok = ::fchown(fd, st.st_uid, st.st_gid) == 0 || errno == EPERM;
    for(std::size_t done = 0; ok && done < text.size();)
    {
        auto const n = ::write(fd, text.data() + done, text.size() - done);
        ok = n > 0;
        done += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if(!ok || ::rename(tmp.c_str(), file.c_str()) != 0)
    {
        auto const why = std::string(std::strerror(errno));
        ::unlink(tmp.c_str());
        return "cannot write " + file + ": " + why;
    }
    if(int const d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); d >= 0)
    {
        ::fsync(d);
        ::close(d);
    }
    return {};
}

namespace {

struct wanted
{
    std::string url;
    std::string event; // concrete or RESOURCE.*
    std::optional<cw::webhook_filters> filters;
    std::string status = "active";
};

[[noreturn]] void bad_file(std::string const& file, std::string const& what)
{
    std::fprintf(stderr, "catena-webhookd subscriptions apply: %s: %s\n", file.c_str(), what.c_str());
    std::exit(2);
}

std::optional<std::vector<std::string>> strings_of(json::object const& o, char const* key, std::string const& file)
{
    auto const* v = o.if_contains(key);
    if(!v || v->is_null())
        return std::nullopt;
    if(!v->is_array())
        bad_file(file, std::string(key) + " must be a list of strings");
    std::vector<std::string> out;
    for(auto const& x : v->get_array())
    {
        if(!x.is_string())
            bad_file(file, std::string(key) + " must be a list of strings");
        out.emplace_back(x.get_string());
    }
    return out;
}

// {"subscriptions": [{"url": …, "events": […], "filters": {"fleet_ids": […], "fleet_refs": […]}, "status": …}]}
std::vector<wanted> read_file(std::string const& file)
{
    std::ifstream in(file, std::ios::binary);
    if(!in)
        bad_file(file, std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    json::error_code ec;
    auto const v = json::parse(ss.str(), ec);
    if(ec)
        bad_file(file, "not JSON: " + ec.message());
    if(!v.is_object() || !v.get_object().contains("subscriptions") || !v.get_object().at("subscriptions").is_array())
        bad_file(file, "expected {\"subscriptions\": [...]}");
    std::vector<wanted> out;
    for(auto const& entry : v.get_object().at("subscriptions").get_array())
    {
        if(!entry.is_object())
            bad_file(file, "each subscription is an object");
        auto const& o = entry.get_object();
        for(auto const& [k, x] : o)
            if(k != "url" && k != "events" && k != "filters" && k != "status")
                bad_file(file, "unknown field " + std::string(k));
        if(!o.contains("url") || !o.at("url").is_string() || !o.at("url").get_string().starts_with("https://"))
            bad_file(file, "each subscription needs an https:// url");
        auto events = strings_of(o, "events", file);
        if(!events || events->empty())
            bad_file(file, "each subscription needs events (names or RESOURCE.* wildcards)");
        std::optional<cw::webhook_filters> filters;
        if(auto const* f = o.if_contains("filters"); f && !f->is_null())
        {
            if(!f->is_object())
                bad_file(file, "filters is an object of fleet_ids and fleet_refs");
            filters = cw::webhook_filters{strings_of(f->get_object(), "fleet_ids", file),
                                          strings_of(f->get_object(), "fleet_refs", file)};
        }
        std::string status = "active";
        if(auto const* s = o.if_contains("status"))
        {
            if(!s->is_string() || (s->get_string() != "active" && s->get_string() != "paused"))
                bad_file(file, "status is active or paused");
            status = std::string(s->get_string());
        }
        for(auto const& e : *events)
            out.push_back({std::string(o.at("url").get_string()), e, filters, status});
    }
    return out;
}

// The read model redacts the URL's path ("https://host/*****"): as far as it shows, it must agree.
bool url_matches(std::string const& existing, std::string const& desired)
{
    if(existing == desired)
        return true;
    auto const star = existing.find("*****");
    return star != std::string::npos && desired.starts_with(existing.substr(0, star));
}

bool event_matches(std::string const& existing, std::string const& desired)
{
    if(desired.ends_with(".*"))
        return existing.starts_with(desired.substr(0, desired.size() - 1));
    return existing == desired;
}

bool same_filters(std::optional<cw::webhook_filters> const& a, std::optional<cw::webhook_filters> const& b)
{
    auto norm = [](std::optional<cw::webhook_filters> const& f) {
        cw::webhook_filters n = f.value_or(cw::webhook_filters{});
        if(n.fleet_ids && n.fleet_ids->empty())
            n.fleet_ids.reset();
        if(n.fleet_refs && n.fleet_refs->empty())
            n.fleet_refs.reset();
        return n;
    };
    return norm(a) == norm(b);
}

struct step
{
    enum kind { create, update, remove, keep } what;
    std::string id;           // update, remove, keep
    std::string event;        // what it is about
    std::string url;
    cw::webhook_create create_body;
    cw::webhook_update update_body;
    std::string why;
};

std::vector<step> plan(std::vector<wanted> const& want, std::vector<cw::webhook_subscription> const& have, bool prune)
{
    std::vector<step> out;
    std::vector<bool> used(have.size(), false);
    for(auto const& w : want)
    {
        std::vector<std::size_t> exact, near;
        for(std::size_t i = 0; i < have.size(); ++i)
        {
            auto const& h = have[i];
            if(h.status == "deleted" || !url_matches(h.url, w.url) || !event_matches(h.event_name, w.event))
                continue;
            (same_filters(h.filters, w.filters) ? exact : near).push_back(i);
        }
        auto settle = [&](std::size_t i, bool filters_differ) {
            used[i] = true;
            auto const& h = have[i];
            bool const status_differs = h.status != w.status && !(w.status == "active" && h.status.empty());
            if(!filters_differ && !status_differs)
            {
                out.push_back({step::keep, h.id, h.event_name, h.url, {}, {}, {}});
                return;
            }
            step s{step::update, h.id, h.event_name, w.url, {}, {}, {}};
            if(filters_differ)
            {
                if(w.filters)
                    s.update_body.filters = *w.filters;
                else
                    s.update_body.clear_filters = true;
                s.why = "filters";
            }
            if(status_differs)
            {
                s.update_body.status = w.status;
                s.why += std::string(s.why.empty() ? "" : ", ") + "status " + h.status + " -> " + w.status;
            }
            out.push_back(std::move(s));
        };
        std::size_t taken = 0;
        for(auto i : exact)
            if(!used[i])
                settle(i, false), ++taken;
        if(taken == 0)
            for(auto i : near)
                if(!used[i])
                {
                    settle(i, true), ++taken;
                    if(!w.event.ends_with(".*"))
                        break;
                }
        if(taken == 0)
        {
            step s{step::create, {}, w.event, w.url, {}, {}, {}};
            s.create_body.url = w.url;
            s.create_body.event_name = w.event;
            s.create_body.filters = w.filters;
            if(w.status == "paused")
                s.why = "then pause";
            out.push_back(std::move(s));
        }
    }
    // Subscriptions to the same receiver that the file does not want.
    for(std::size_t i = 0; i < have.size(); ++i)
    {
        if(used[i] || have[i].status == "deleted")
            continue;
        bool ours = false;
        for(auto const& w : want)
            ours = ours || url_matches(have[i].url, w.url);
        if(ours)
            out.push_back({step::remove, have[i].id, have[i].event_name, have[i].url, {}, {},
                           prune ? std::string() : std::string("not in the file; kept without --prune")});
    }
    return out;
}

} // namespace

int apply_command(boost::asio::io_context& ioc, cw::notifications_client& api, std::string const& file, bool yes,
                  bool prune, std::string const& secrets_file, bool as_json)
{
    auto const want = read_file(file);
    auto have = run_call<std::vector<cw::webhook_subscription>>(ioc, [&](auto h) { api.list({}, h); });
    if(!have)
    {
        std::fprintf(stderr, "catena-webhookd subscriptions apply: %s\n", have.error().what().c_str());
        return 1;
    }
    auto const steps = plan(want, *have, prune);
    bool const creates = std::any_of(steps.begin(), steps.end(), [](auto const& s) { return s.what == step::create; });
    if(creates && secrets_file.empty())
    {
        std::fprintf(stderr, "catena-webhookd subscriptions apply: creating subscriptions needs --secrets-file FILE "
                             "to keep their secrets\n");
        return 2;
    }

    apply_plan p{"catena-webhookd subscriptions apply", file, "subscriptions", {}, {}, {}};
    for(auto const& s : steps)
    {
        static constexpr char const* names[] = {"create", "update", "delete", "unchanged"};
        bool const skipped = s.what == step::remove && !prune;
        p.steps.push_back(
            {s.what == step::keep ? plan_step::kind::unchanged : skipped ? plan_step::kind::skipped : plan_step::kind::change,
             json::object{{"action", skipped ? "keep" : names[s.what]},
                          {"id", s.id.empty() ? json::value(nullptr) : json::value(s.id)},
                          {"event_name", s.event},
                          {"url", s.url},
                          {"detail", s.why.empty() ? json::value(nullptr) : json::value(s.why)}},
             (s.what == step::create ? "+ create " : s.what == step::update ? "~ update " : skipped ? "? keep   " : "- delete ") +
                 s.event + (s.id.empty() ? "" : " (" + s.id + ")") + " -> " + s.url +
                 (s.why.empty() ? "" : " [" + s.why + "]")});
    }
    if(creates)
        p.applied_note = "; new secrets are in " + secrets_file +
                         ": send catena-webhookd SIGHUP (systemctl reload catena-webhookd)";
    p.carry_out = [&](std::size_t i) -> std::optional<step_failure> {
        auto const& s = steps[i];
        auto fail = [&](cw::api_error const& e) {
            return step_failure{std::string(s.what == step::create ? "create" : s.what == step::update ? "update" : "delete") +
                                " " + s.event + ": " + e.what()};
        };
        if(s.what == step::create)
        {
            auto body = s.create_body;
            body.secret = generate_secret();
            auto made = run_call<std::vector<cw::webhook_subscription>>(ioc, [&](auto h) { api.create(body, h); });
            if(!made)
                return fail(made.error());
            std::vector<std::pair<std::string, std::string>> entries;
            for(auto const& m : *made)
                entries.emplace_back(m.id, body.secret);
            if(auto why = add_secrets(secrets_file, entries); !why.empty())
                return step_failure{"created " + s.event + " but " + why, false};
            if(s.why == "then pause")
                for(auto const& m : *made)
                    if(auto r = run_call<cw::webhook_subscription>(ioc, [&](auto h) { api.pause(m.id, h); }); !r)
                        return fail(r.error());
            return std::nullopt;
        }
        if(s.what == step::update)
        {
            auto r = run_call<cw::webhook_subscription>(ioc, [&](auto h) { api.update(s.id, s.update_body, h); });
            return r ? std::nullopt : std::optional(fail(r.error()));
        }
        auto r = run_call<void>(ioc, [&](auto h) { api.remove(s.id, h); });
        return r ? std::nullopt : std::optional(fail(r.error()));
    };
    return run_apply(p, yes, as_json);
}

} // namespace webhookd
