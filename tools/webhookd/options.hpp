// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/options.hpp - catena-webhookd's command line and secrets.
#ifndef CATENA_WEBHOOKD_OPTIONS_HPP
#define CATENA_WEBHOOKD_OPTIONS_HPP

#include "log.hpp"

#include <catena/webhooks.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace webhookd {

namespace cw = catena::webhooks;

/** The command line, parsed. */
struct options
{
    std::string listen = "127.0.0.1:8080";
    std::string path = "/webhooks/catena";
    std::string secret_env = "CATENA_WEBHOOK_SECRET";
    std::string secrets_file;
    std::string data_dir = "./catena-data";
    /// --store: a PostgreSQL connection string or URI (shared by several receivers); empty: data_dir.
    std::string store;
    std::string instance;
    bool memory = false;
    cw::durability level = cw::durability::process;
    std::string events = "-";
    long reorder_window_ms = 2000;
    long progress_interval_ms = -1; // the library's default
    std::string tls_cert, tls_key;
    unsigned unverified_status = 401;
    std::size_t max_body = 16u << 20;
    std::size_t body_budget = 64u << 20;
    std::size_t max_connections = 0;
    std::size_t max_connections_per_peer = 0;
    std::size_t max_auth_failures = 100;
    long shutdown_timeout_ms = 30'000;
    std::string admin_listen;
    std::string admin_token_env;
    bool heal = false;
    long heal_poll_s = 300;
    std::string api_url, auth_url, api_ca_file;
    std::string tls_min_version = "1.2";
    bool strict_secrets = false;
    std::uint64_t max_store_pages = 0;
    unsigned threads = 1;
    std::vector<std::string> routes; // --route specs, parsed by receiver_options_of
    std::vector<std::string> sinks;  // --sink URIs, checked by sinks::sink_set
    bool with_records = false;
    std::vector<std::string> trusted_proxies;
    bool proxy_protocol = false;
    std::vector<std::string> admin_hosts;
    std::string public_metrics; // "", "on" or "off"
    log_format log_as = log_format::text;
    log_level log_from = log_level::info;
    /// --version was asked for: nothing else was read.
    bool show_version = false;
};

/// Exits 2 saying MSG: in the log at error once daemon_log() is configured (the options are
/// known), before that as a plain "catena-webhookd: MSG" line (a refusal of the options).
[[noreturn]] void fail(std::string const& msg);

/// Parses the command line (after the --config file's options, which it overrides); --help
/// prints the usage and exits 0, --version the version, a bad flag or config line fails
/// (a config line as "FILE:LINE: ...").
options parse(int argc, char** argv);

/// "catena-webhookd 0.1.0 (commit abcdef123456)": the --version line, without its newline.
std::string version_line();

/// A config file's "name = value" lines as flags ("--name=value"), with "FILE:LINE" of each
/// in `origins`; fails naming the line.
std::vector<std::string> config_args(std::string const& file, std::vector<std::string>& origins);

/// ADDR:PORT (IPv6 in brackets) as an endpoint, or fails naming `flag`.
boost::asio::ip::tcp::endpoint parse_endpoint(std::string const& flag, std::string const& v);

/// The secrets: the file's entries (its permissions checked), plus the environment's secret
/// as the default for subscriptions the file does not name. `problem` names the file.
cw::result<cw::secret_ring> load_secrets(options const& o, std::string& problem);

/// A --route spec: PATH=PROVIDER[,token-env=NAME][,token-header=NAME][,allow=CIDR[;CIDR...]]
/// [,event-field=NAME][,id-field=NAME]; fails naming what is wrong.
cw::route_options parse_route(std::string const& spec);

/// The receiver's options from the command line's.
cw::receiver_options receiver_options_of(options const& o, cw::secret_ring secrets);

} // namespace webhookd

#endif
