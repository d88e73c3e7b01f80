// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_daemon_config.cpp - catena-webhookd's config file, its flags, listen addresses and --route specs.
//
// Input: the text of a config file.
// Invariants:
// - config_lines turns exactly the lines a plain reference of the documented format accepts
//   ("name = value", '#' comments, blank lines, a value in double quotes, the switches
//   memory, strict-secrets, heal and with-records as true or false; never secret, config, help,
//   version or a name starting with '-') into the same flags, and refuses the first other line
//   naming it ("FILE:LINE: ..."); each flag's origin is the line that gave it.
// - What it gives, written back one "name = \"value\"" line a flag, gives the same flags.
// - Options that parse, written back as a config file of every option, parse to the same
//   options; their addresses written back as ADDR:PORT give the same endpoints; their
//   --route specs that parse, written back, give the same routes.
// - A refused flag or route names itself in its message; a flag refused, or a value it left
//   (--threads 0, a --listen that is no address), names a line of the file that gave a flag.
// Nothing outlives an input but the environment variable the routes' token-env may name.
#include "option_parsing.hpp"

#include "fuzz_support.hpp"

#include <cstdlib>
#include <sstream>

namespace {

namespace cw = catena::webhooks;
using cw::fuzz::require;
using webhookd::option_error;

constexpr char token_variable[] = "CATENA_FUZZ_ROUTE_TOKEN";
constexpr char token_value[] = "route-token-0123456789";

std::string trim(std::string_view s)
{
    auto const b = s.find_first_not_of(" \t\r");
    if(b == std::string_view::npos)
        return {};
    return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

/// The documented format read plainly: the flags, or the number of the first bad line.
struct reference_result
{
    std::vector<std::string> flags;
    std::size_t bad_line = 0;
    std::vector<std::size_t> lines; // the line of each flag
};

reference_result reference_config(std::string_view text)
{
    reference_result r;
    std::size_t n = 0;
    while(!text.empty())
    {
        ++n;
        auto const nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        line = line.substr(0, line.find('#'));
        auto const content = trim(line);
        if(content.empty())
            continue;
        auto const eq = content.find('=');
        if(eq == std::string::npos)
            return {{}, n, {}};
        auto const name = trim(std::string_view(content).substr(0, eq));
        auto value = trim(std::string_view(content).substr(eq + 1));
        if(value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if(name.empty() || name.front() == '-' || name == "config" || name == "help" || name == "version" ||
           name == "secret")
            return {{}, n, {}};
        if(name == "memory" || name == "strict-secrets" || name == "heal" || name == "with-records")
        {
            if(value != "true" && value != "false")
                return {{}, n, {}};
            if(value == "true")
            {
                r.flags.push_back("--" + name);
                r.lines.push_back(n);
            }
            continue;
        }
        r.flags.push_back("--" + name + "=" + value);
        r.lines.push_back(n);
    }
    return r;
}

// A flag as a config line that reads back as itself.
std::string as_line(std::string const& flag)
{
    auto const body = flag.substr(2);
    auto const eq = body.find('=');
    if(eq == std::string::npos)
        return body + " = true\n"; // a switch
    return body.substr(0, eq) + " = \"" + body.substr(eq + 1) + "\"\n";
}

std::vector<std::string> lines_of(std::string const& text) { return webhookd::config_lines(text, "fuzz.conf"); }

// What this target wrote must read back: a refusal breaks the invariant `what`.
std::vector<std::string> reread(std::string const& text, char const* what)
{
    try
    {
        return lines_of(text);
    }
    catch(option_error const&)
    {
        require(false, what);
    }
    return {};
}

// Every option, as a config file (progress-interval only when set: its default has no spelling).
std::string as_config(webhookd::options const& o)
{
    std::ostringstream c;
    auto const put = [&c](char const* name, auto const& v) { c << name << " = \"" << v << "\"\n"; };
    put("listen", o.listen);
    put("path", o.path);
    put("secret-env", o.secret_env);
    put("secrets-file", o.secrets_file);
    put("data-dir", o.data_dir);
    if(!o.store.empty())
        put("store", o.store);
    put("instance", o.instance);
    put("memory", o.memory ? "true" : "false");
    put("durability", o.level == cw::durability::power ? "power" : "process");
    put("events", o.events);
    put("reorder-window", o.reorder_window_ms);
    if(o.progress_interval_ms >= 0)
        put("progress-interval", o.progress_interval_ms);
    put("tls-cert", o.tls_cert);
    put("tls-key", o.tls_key);
    put("unverified-status", o.unverified_status);
    put("max-body", o.max_body);
    put("body-budget", o.body_budget);
    put("max-connections", o.max_connections);
    put("max-connections-per-peer", o.max_connections_per_peer);
    put("max-auth-failures", o.max_auth_failures);
    put("shutdown-timeout", o.shutdown_timeout_ms);
    put("admin-listen", o.admin_listen);
    put("admin-token-env", o.admin_token_env);
    put("heal", o.heal ? "true" : "false");
    put("heal-poll", o.heal_poll_s);
    put("api-url", o.api_url);
    put("auth-url", o.auth_url);
    put("api-ca-file", o.api_ca_file);
    put("tls-min-version", o.tls_min_version);
    put("strict-secrets", o.strict_secrets ? "true" : "false");
    put("max-store-pages", o.max_store_pages);
    put("threads", o.threads);
    put("log-format", o.log_as == webhookd::log_format::json ? "json" : "text");
    put("log-level", webhookd::name_of(o.log_from));
    for(auto const& r : o.routes)
        put("route", r);
    return c.str();
}

bool same(webhookd::options const& a, webhookd::options const& b)
{
    auto const tie = [](webhookd::options const& o) {
        return std::tie(o.listen, o.path, o.secret_env, o.secrets_file, o.data_dir, o.store, o.instance, o.memory,
                        o.level, o.events, o.reorder_window_ms, o.progress_interval_ms, o.tls_cert, o.tls_key,
                        o.unverified_status, o.max_body, o.body_budget, o.max_connections, o.max_connections_per_peer,
                        o.max_auth_failures, o.shutdown_timeout_ms, o.admin_listen, o.admin_token_env, o.heal,
                        o.heal_poll_s, o.api_url, o.auth_url, o.api_ca_file, o.tls_min_version, o.strict_secrets,
                        o.max_store_pages, o.threads, o.routes, o.log_as, o.log_from, o.show_version);
    };
    return tie(a) == tie(b);
}

std::string as_text(boost::asio::ip::tcp::endpoint const& e)
{
    auto const a = e.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

// A route as a spec that reads back as itself, when its token came from our variable.
std::optional<std::string> as_spec(cw::route_options const& r)
{
    if(!r.token.empty() && r.token != token_value)
        return std::nullopt; // another variable of the environment: its name is not in the route
    std::string s = r.path + "=" + r.provider;
    if(!r.token.empty())
        s += std::string(",token-env=") + token_variable;
    if(!r.token_header.empty())
        s += ",token-header=" + r.token_header;
    if(!r.allow.empty())
    {
        s += ",allow=";
        for(std::size_t i = 0; i < r.allow.size(); ++i)
            s += (i ? ";" : "") + r.allow[i];
    }
    s += ",event-field=" + r.event_field + ",id-field=" + r.id_field;
    return s;
}

bool same_route(cw::route_options const& a, cw::route_options const& b)
{
    return a.path == b.path && a.provider == b.provider && a.token == b.token && a.token_header == b.token_header &&
           a.allow == b.allow && a.event_field == b.event_field && a.id_field == b.id_field;
}

void check_options(webhookd::options const& o)
{
    // Every option written back.
    char const* const differ = "options written back as a config file parse to other options";
    std::optional<webhookd::options> again;
    try
    {
        again = webhookd::parse_flags(reread(as_config(o), differ), 0);
    }
    catch(option_error const&)
    {
        require(false, differ);
    }
    require(again && same(*again, o), differ);

    // The addresses, as ADDR:PORT.
    for(auto const* text : {&o.listen, &o.admin_listen})
    {
        if(text->empty())
            continue;
        auto const e = webhookd::endpoint_of("--listen", *text); // parse_flags checked it
        bool same_endpoint = false;
        try
        {
            same_endpoint = webhookd::endpoint_of("--listen", as_text(e)) == e;
        }
        catch(option_error const&)
        {
        }
        require(same_endpoint, "an endpoint written back reads differently");
    }

    // The routes, as specs.
    for(auto const& spec : o.routes)
    {
        std::optional<cw::route_options> r;
        try
        {
            r = webhookd::route_of(spec);
        }
        catch(option_error const& e)
        {
            // The message is a C string: a NUL in the spec ends it there.
            auto const named = "--route " + spec + ": ";
            require(std::string_view(e.what()).starts_with(named.substr(0, named.find('\0'))),
                    "a refused route does not name itself");
            continue;
        }
        require(r->path == spec.substr(0, spec.find('=')), "a route lost its path");
        auto const written = as_spec(*r);
        if(!written)
            continue;
        bool same_spec = false;
        try
        {
            same_spec = same_route(webhookd::route_of(*written), *r);
        }
        catch(option_error const&)
        {
        }
        require(same_spec, "a route written back as a spec reads differently");
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    // Immutable setup: the token a route's token-env may name.
    setenv(token_variable, token_value, 1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string const text(reinterpret_cast<char const*>(data), size);
    auto const ref = reference_config(text);
    std::vector<std::string> flags, origins;
    try
    {
        flags = webhookd::config_lines(text, "fuzz.conf", &origins);
        require(ref.bad_line == 0, "config_lines accepted a line the documented format refuses");
        require(flags == ref.flags, "config_lines and the reference give other flags");
        std::vector<std::string> expected_origins;
        for(auto const line : ref.lines)
            expected_origins.push_back("fuzz.conf:" + std::to_string(line));
        require(origins == expected_origins, "config_lines gave a flag the origin of another line");
    }
    catch(option_error const& e)
    {
        require(ref.bad_line != 0, "config_lines refused a file the documented format accepts");
        require(std::string_view(e.what()).starts_with("fuzz.conf:" + std::to_string(ref.bad_line) + ": "),
                "config_lines named another line than the first bad one");
        return 0;
    }

    // The flags written back, one line each.
    std::string written;
    for(auto const& f : flags)
        written += as_line(f);
    char const* const differ = "flags written back as config lines read differently";
    require(reread(written, differ) == flags, differ);

    std::optional<webhookd::options> o;
    try
    {
        o = webhookd::parse_flags(flags, flags.size(), origins);
    }
    catch(option_error const& e)
    {
        // Every flag came from the file: what is refused names one of its lines.
        std::string_view const what = e.what();
        bool named = false;
        for(auto const& origin : origins)
            named = named || what.starts_with(origin + ": ");
        require(named, "a refused flag of the config file does not name its line");
        return 0;
    }
    require(o && !o->show_version, "a config file asked for the usage or the version");
    check_options(*o);
    return 0;
}
