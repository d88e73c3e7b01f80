// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/options.cpp - catena-webhookd's command line and secrets.
#include "options.hpp"
#include "option_parsing.hpp"
#include "usage.hpp"

#include <catena/webhooks/version.hpp>

#include "store/open.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace webhookd {

namespace net = boost::asio;

[[noreturn]] void fail(std::string const& msg)
{
    if(auto& log = daemon_log(); log.configured())
        log.error(msg);
    else
        std::fprintf(stderr, "catena-webhookd: %s\n", msg.c_str());
    std::exit(2);
}

std::string version_line()
{
    return std::string("catena-webhookd ") + cw::version() + " (commit " + cw::build_commit() + ")";
}

namespace {

[[noreturn]] void refuse(std::string const& msg) { throw option_error(msg); }

unsigned long long parse_number(std::string const& flag, std::string const& v, unsigned long long max)
{
    if(v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19)
        refuse(flag + ": not a number: " + v);
    auto n = std::stoull(v);
    if(n > max)
        refuse(flag + ": " + v + " is too large (at most " + std::to_string(max) + ")");
    return n;
}

} // namespace

namespace {

std::string trim(std::string s)
{
    auto const b = s.find_first_not_of(" \t\r");
    if(b == std::string::npos)
        return {};
    auto const e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

} // namespace

std::vector<std::string> config_lines(std::string_view text, std::string const& file, std::vector<std::string>* origins)
{
    std::istringstream in{std::string(text)};
    std::vector<std::string> out;
    std::size_t const before = origins ? origins->size() : 0;
    std::size_t n = 0;
    for(std::string line; std::getline(in, line);)
    {
        ++n;
        auto const where = file + ":" + std::to_string(n) + ": ";
        if(auto hash = line.find('#'); hash != std::string::npos)
            line.resize(hash);
        line = trim(line);
        if(line.empty())
            continue;
        auto const eq = line.find('=');
        if(eq == std::string::npos)
            refuse(where + "expected \"name = value\"");
        auto name = trim(line.substr(0, eq));
        auto v = trim(line.substr(eq + 1));
        if(v.size() >= 2 && v.front() == '"' && v.back() == '"')
            v = v.substr(1, v.size() - 2);
        if(name.empty() || name.rfind("-", 0) == 0 || name == "config" || name == "help" || name == "version")
            refuse(where + "not an option name: " + name);
        if(name == "secret")
            refuse(where + "secrets are never kept in the config file: use secret-env or secrets-file");
        if(name == "memory" || name == "strict-secrets" || name == "heal" || name == "with-records")
        {
            if(v != "true" && v != "false")
                refuse(where + name + " is a switch: true or false, not " + v);
            if(v == "true")
                out.push_back("--" + name);
        }
        else
            out.push_back("--" + name + "=" + v);
        if(origins)
            origins->resize(before + out.size(), file + ":" + std::to_string(n));
    }
    return out;
}

std::vector<std::string> config_args(std::string const& file, std::vector<std::string>& origins)
{
    std::ifstream in(file, std::ios::binary);
    if(!in)
        fail("--config: cannot read " + file + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    try
    {
        origins.clear();
        return config_lines(text.str(), file, &origins);
    }
    catch(option_error const& e)
    {
        fail(e.what());
    }
}

namespace {

enum class flag_result
{
    applied,
    help,
    version,
};

// One flag into `o`; `value()` takes its value. Throws option_error.
template<class Value>
flag_result apply_flag(options& o, std::string const& a, Value const& value)
{
    if(a == "--help" || a == "-h")
        return flag_result::help;
    else if(a == "--version")
        return flag_result::version;
    else if(a == "--listen") o.listen = value();
    else if(a == "--path") o.path = value();
    else if(a == "--secret-env") o.secret_env = value();
    else if(a == "--secrets-file") o.secrets_file = value();
    else if(a == "--data-dir") o.data_dir = value();
    else if(a == "--store")
    {
        auto v = value();
        if(cw::is_postgres_conninfo(v))
        {
            if(cw::conninfo_has_password(v))
                refuse("--store: the password is never given on the command line or in the config file: put it "
                     "in PGPASSWORD or ~/.pgpass");
            o.store = v;
        }
        else
            o.data_dir = v;
    }
    else if(a == "--instance") o.instance = value();
    else if(a == "--memory") o.memory = true;
    else if(a == "--durability")
    {
        auto v = value();
        if(v != "process" && v != "power")
            refuse("--durability must be process or power, not " + v);
        o.level = v == "power" ? cw::durability::power : cw::durability::process;
    }
    else if(a == "--events") o.events = value();
    else if(a == "--reorder-window") o.reorder_window_ms = static_cast<long>(parse_number(a, value(), 3'600'000));
    else if(a == "--progress-interval")
        o.progress_interval_ms = static_cast<long>(parse_number(a, value(), 60'000));
    else if(a == "--tls-cert") o.tls_cert = value();
    else if(a == "--tls-key") o.tls_key = value();
    else if(a == "--unverified-status")
    {
        auto v = value();
        if(v != "401" && v != "503")
            refuse("--unverified-status must be 401 or 503, not " + v);
        o.unverified_status = static_cast<unsigned>(std::stoul(v));
    }
    else if(a == "--max-body") o.max_body = parse_number(a, value(), 1ull << 32);
    else if(a == "--body-budget") o.body_budget = parse_number(a, value(), 1ull << 40);
    else if(a == "--max-connections") o.max_connections = parse_number(a, value(), 1'000'000);
    else if(a == "--max-connections-per-peer") o.max_connections_per_peer = parse_number(a, value(), 1'000'000);
    else if(a == "--max-auth-failures") o.max_auth_failures = parse_number(a, value(), 1'000'000);
    else if(a == "--shutdown-timeout") o.shutdown_timeout_ms = static_cast<long>(parse_number(a, value(), 3'600'000));
    else if(a == "--admin-listen") o.admin_listen = value();
    else if(a == "--admin-token-env") o.admin_token_env = value();
    else if(a == "--route") o.routes.push_back(value());
    else if(a == "--sink") o.sinks.push_back(value());
    else if(a == "--with-records") o.with_records = true;
    else if(a == "--trusted-proxy") o.trusted_proxies.push_back(value());
    else if(a == "--proxy-protocol") o.proxy_protocol = true;
    else if(a == "--admin-host") o.admin_hosts.push_back(value());
    else if(a == "--public-metrics")
    {
        o.public_metrics = value();
        if(o.public_metrics != "on" && o.public_metrics != "off")
            refuse("--public-metrics must be on or off, not " + o.public_metrics);
    }
    else if(a == "--heal") o.heal = true;
    else if(a == "--heal-poll") o.heal_poll_s = static_cast<long>(parse_number(a, value(), 86'400));
    else if(a == "--api-url") o.api_url = value();
    else if(a == "--auth-url") o.auth_url = value();
    else if(a == "--api-ca-file") o.api_ca_file = value();
    else if(a == "--config") (void)value(); // read before the flags (see with_config)
    else if(a == "--strict-secrets") o.strict_secrets = true;
    else if(a == "--max-store-pages") o.max_store_pages = parse_number(a, value(), 1ull << 40);
    else if(a == "--tls-min-version")
    {
        o.tls_min_version = value();
        if(o.tls_min_version != "1.2" && o.tls_min_version != "1.3")
            refuse("--tls-min-version must be 1.2 or 1.3, not " + o.tls_min_version);
    }
    else if(a == "--log-format")
    {
        auto const v = value();
        auto const f = log_format_of(v);
        if(!f)
            refuse("--log-format must be text or json, not " + v);
        o.log_as = *f;
    }
    else if(a == "--log-level")
    {
        auto const v = value();
        auto const l = log_level_of(v);
        if(!l)
            refuse("--log-level must be debug, info, warn or error, not " + v);
        o.log_from = *l;
    }
    else if(a == "--threads") o.threads = static_cast<unsigned>(parse_number(a, value(), 256));
    else if(a == "--secret")
        refuse("secrets are never taken on the command line: use --secret-env or --secrets-file");
    else
        refuse("unknown option " + a + " (see --help)");
    return flag_result::applied;
}

} // namespace

std::optional<options> parse_flags(std::vector<std::string> const& all, std::size_t from_file,
                                   std::vector<std::string> const& origins)
{
    options o;
    // "FILE:LINE: " of the config line that set a flag's value last; none once the command
    // line set it again.
    std::map<std::string, std::string, std::less<>> set_at;
    auto const at = [&set_at](std::string_view flag) {
        auto const it = set_at.find(flag);
        return it == set_at.end() ? std::string() : it->second;
    };
    int const argc = static_cast<int>(all.size()) + 1;
    for(int i = 1; i < argc; ++i)
    {
        auto const index = static_cast<std::size_t>(i - 1);
        std::string const origin = index < from_file && index < origins.size() ? origins[index] + ": " : "";
        std::string a = all[index];
        auto const next_arg = [&]() -> std::string {
            // A flag read from the file takes its value inline (name=value), never the next line's.
            if(static_cast<std::size_t>(i) <= from_file || i + 1 >= argc)
                refuse(a + " needs a value");
            return all[static_cast<std::size_t>(i++)];
        };
        std::string inline_value;
        bool has_inline = false;
        if(auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos)
        {
            inline_value = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_inline = true;
        }
        auto value = [&]() -> std::string { return has_inline ? inline_value : next_arg(); };
        flag_result r = flag_result::applied;
        try
        {
            r = apply_flag(o, a, value);
        }
        catch(option_error const& e)
        {
            if(origin.empty())
                throw;
            refuse(origin + e.what());
        }
        if(r == flag_result::help)
            return std::nullopt;
        if(r == flag_result::version)
        {
            options v;
            v.show_version = true;
            return v;
        }
        set_at[a] = origin;
    }
    if(o.threads == 0)
        refuse(at("--threads") + "--threads must be at least 1");
    if(o.max_body == 0)
        refuse(at("--max-body") + "--max-body must be at least 1");
    if(o.shutdown_timeout_ms == 0)
        refuse(at("--shutdown-timeout") + "--shutdown-timeout must be at least 1");
    // Addresses are checked now, before anything else is said.
    auto const check_address = [&at](char const* flag, std::string const& v) {
        try
        {
            (void)endpoint_of(flag, v);
        }
        catch(option_error const& e)
        {
            refuse(at(flag) + e.what());
        }
    };
    check_address("--listen", o.listen);
    if(!o.admin_listen.empty())
        check_address("--admin-listen", o.admin_listen);
    if(o.tls_cert.empty() != o.tls_key.empty())
        refuse(at(o.tls_cert.empty() ? "--tls-key" : "--tls-cert") + "--tls-cert and --tls-key go together");
    return o;
}

options parse(int argc, char** argv)
{
    // The config file's options first, so that the command line's override them.
    std::vector<std::string> all, origins;
    for(int i = 1; i < argc; ++i)
    {
        std::string const a = argv[i];
        if(a == "--config" && i + 1 < argc)
            all = config_args(argv[i + 1], origins);
        else if(a.rfind("--config=", 0) == 0)
            all = config_args(a.substr(9), origins);
    }
    std::size_t const from_file = all.size();
    for(int i = 1; i < argc; ++i)
        all.emplace_back(argv[i]);
    try
    {
        auto o = parse_flags(all, from_file, origins);
        if(!o)
        {
            std::fputs(daemon_usage().c_str(), stdout);
            std::exit(0);
        }
        if(o->show_version)
        {
            std::printf("%s\n", version_line().c_str());
            std::exit(0);
        }
        return *o;
    }
    catch(option_error const& e)
    {
        fail(e.what());
    }
}

net::ip::tcp::endpoint endpoint_of(std::string const& flag, std::string const& v)
{
    auto colon = v.rfind(':');
    if(colon == std::string::npos)
        refuse(flag + " wants ADDR:PORT, got " + v);
    std::string host = v.substr(0, colon);
    if(host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    auto addr = net::ip::make_address(host, ec);
    if(ec)
        refuse(flag + ": not an IP address: " + host);
    auto port = parse_number(flag, v.substr(colon + 1), 65535);
    return {addr, static_cast<unsigned short>(port)};
}

net::ip::tcp::endpoint parse_endpoint(std::string const& flag, std::string const& v)
{
    try
    {
        return endpoint_of(flag, v);
    }
    catch(option_error const& e)
    {
        fail(e.what());
    }
}

// The secrets: the file's entries, plus the environment's secret as the default for
// subscriptions the file does not name.
cw::result<cw::secret_ring> load_secrets(options const& o, std::string& problem)
{
    cw::secret_ring ring;
    if(!o.secrets_file.empty())
    {
        std::ifstream in(o.secrets_file, std::ios::binary);
        if(!in)
        {
            problem = "cannot read secrets file " + o.secrets_file + ": " + std::strerror(errno);
            return make_error_code(cw::error::invalid_secrets_file);
        }
        // Secrets readable by others are not secret: like ssh with its keys, say so (or refuse).
        struct stat st{};
        if(::stat(o.secrets_file.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
            std::string const what = "secrets file " + o.secrets_file + " is accessible by group or others (mode " +
                                     mode + "); chmod 600 it";
            if(o.strict_secrets)
            {
                problem = what + " (--strict-secrets)";
                return make_error_code(cw::error::invalid_secrets_file);
            }
            daemon_log().warn(what);
        }
        std::stringstream ss;
        ss << in.rdbuf();
        std::size_t line = 0;
        auto parsed = cw::secret_ring::parse(ss.str(), &line);
        if(!parsed)
        {
            problem = o.secrets_file + ":" + std::to_string(line) + ": expected \"WEBHOOK_ID SECRET [NOT_AFTER]\"";
            return parsed.error();
        }
        ring = std::move(*parsed);
    }
    if(char const* env = std::getenv(o.secret_env.c_str()); env && *env)
    {
        ring.add_default(env);
        ring.set_unknown_policy(cw::unknown_webhook_policy::try_defaults);
    }
    return ring;
}


cw::route_options route_of(std::string const& spec)
{
    auto const bad = [&spec](std::string const& why) { refuse("--route " + spec + ": " + why); };
    cw::route_options r;
    auto const eq = spec.find('=');
    if(eq == std::string::npos)
        bad("expected PATH=PROVIDER[,KEY=VALUE...]");
    r.path = spec.substr(0, eq);
    std::vector<std::string> parts;
    for(std::size_t at = eq + 1;;)
    {
        auto const comma = spec.find(',', at);
        parts.push_back(spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if(comma == std::string::npos)
            break;
        at = comma + 1;
    }
    // Which names exist is the library's to say (receiver_options::check, at start).
    r.provider = parts.front();
    for(std::size_t i = 1; i < parts.size(); ++i)
    {
        auto const kv = parts[i].find('=');
        auto const key = parts[i].substr(0, kv);
        auto const val = kv == std::string::npos ? std::string() : parts[i].substr(kv + 1);
        if(val.empty())
            bad(key + " needs a value");
        if(key == "token-env")
        {
            char const* t = std::getenv(val.c_str());
            if(!t || std::strlen(t) < 16)
                bad(val + " must hold a token of at least 16 characters");
            r.token = t;
        }
        else if(key == "token-header")
            r.token_header = val;
        else if(key == "allow")
            for(std::size_t at = 0;;)
            {
                auto const semi = val.find(';', at);
                r.allow.push_back(val.substr(at, semi == std::string::npos ? std::string::npos : semi - at));
                if(semi == std::string::npos)
                    break;
                at = semi + 1;
            }
        else if(key == "event-field")
            r.event_field = val;
        else if(key == "id-field")
            r.id_field = val;
        else
            bad("unknown key " + key + " (token-env, token-header, allow, event-field, id-field)");
    }
    return r;
}

cw::route_options parse_route(std::string const& spec)
{
    try
    {
        return route_of(spec);
    }
    catch(option_error const& e)
    {
        fail(e.what());
    }
}

cw::receiver_options receiver_options_of(options const& o, cw::secret_ring secrets)
{
    cw::receiver_options ro;
    for(auto const& spec : o.routes)
        ro.routes.push_back(parse_route(spec));
    ro.listen = parse_endpoint("--listen", o.listen);
    if(!o.admin_listen.empty())
        ro.admin_listen = parse_endpoint("--admin-listen", o.admin_listen);
    if(o.heal)
    {
        ro.heal.enabled = true;
        ro.heal.poll_interval = std::chrono::seconds(o.heal_poll_s);
        if(!o.api_url.empty())
            ro.heal.api.api_url = o.api_url;
        if(!o.auth_url.empty())
            ro.heal.api.auth_url = o.auth_url;
        ro.heal.api.ca_file = o.api_ca_file;
        if(char const* id = std::getenv("CATENA_CLIENT_ID"))
            ro.heal.api.client_id = id;
        if(char const* secret = std::getenv("CATENA_CLIENT_SECRET"))
            ro.heal.api.client_secret = secret;
        if(auto problem = cw::check_notifications_options(ro.heal.api); !problem.empty())
            fail("--heal: " + problem);
    }
    if(!o.admin_token_env.empty())
    {
        char const* t = std::getenv(o.admin_token_env.c_str());
        if(!t || std::strlen(t) < 16)
            fail("--admin-token-env: " + o.admin_token_env + " must hold a token of at least 16 characters");
        ro.admin_token = t;
    }
    ro.trusted_proxies = o.trusted_proxies;
    ro.proxy_protocol = o.proxy_protocol;
    ro.admin_hosts = o.admin_hosts;
    if(!o.public_metrics.empty())
        ro.public_metrics = o.public_metrics == "on";
    ro.path = o.path;
    ro.secrets = std::move(secrets);
    ro.unverified_status = o.unverified_status;
    ro.limits.max_body_bytes = o.max_body;
    ro.limits.body_budget_bytes = o.body_budget;
    ro.limits.max_connections = o.max_connections;
    ro.limits.max_connections_per_peer = o.max_connections_per_peer;
    ro.limits.max_auth_failures_per_minute = o.max_auth_failures;
    ro.timeouts.shutdown_timeout = std::chrono::milliseconds(o.shutdown_timeout_ms);
    ro.tls.certificate_file = o.tls_cert;
    ro.tls.private_key_file = o.tls_key;
    ro.tls.min_version = o.tls_min_version == "1.3" ? cw::tls_version::v1_3 : cw::tls_version::v1_2;
    ro.processing.reorder_window = std::chrono::milliseconds(o.reorder_window_ms);
    if(o.progress_interval_ms >= 0)
        ro.store.progress_interval = std::chrono::milliseconds(o.progress_interval_ms);
    if(!o.store.empty())
        ro.store.postgres = o.store;
    else if(!o.memory)
        ro.store.data_dir = o.data_dir;
    ro.store.instance = o.instance;
    ro.store.level = o.level;
    // A test hook of the library (not an option of receivers): process-wide, one receiver here.
    cw::detail::set_max_store_pages(o.max_store_pages);
    return ro;
}

} // namespace webhookd
