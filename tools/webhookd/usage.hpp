// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/usage.hpp - catena-webhookd's --help: its commands, options, signals and logs.
#ifndef CATENA_WEBHOOKD_USAGE_HPP
#define CATENA_WEBHOOKD_USAGE_HPP

#include <string>
#include <string_view>

namespace webhookd {

/// A command of the binary besides the daemon itself: `catena-webhookd NAME ...`; each answers
/// --help with its usage. --help lists them all, one line each.
struct daemon_command
{
    std::string_view name;
    std::string_view summary;
};

inline constexpr daemon_command daemon_commands[] = {
    {"subscriptions", "manage subscriptions through Catena's API, or Foxtrot's with --provider foxtrot"},
    {"dead-letters", "list, show and replay the dead letters of a store no catena-webhookd runs on"},
};

inline constexpr char daemon_usage_options[] = R"(Options:
  --listen ADDR:PORT         address to listen on (default 127.0.0.1:8080; port 0 picks one)
  --path PATH                delivery path (default /webhooks/catena)
  --secret-env NAME          environment variable holding the default secret, tried for every
                             X-Webhook-ID without its own (default CATENA_WEBHOOK_SECRET)
  --secrets-file FILE        lines "WEBHOOK_ID SECRET [NOT_AFTER]"; several lines per id for
                             rotation; reloaded on SIGHUP
  --data-dir DIR             where the durable store lives (default ./catena-data)
  --store DIR|CONNINFO       the store: a directory (as --data-dir), or a PostgreSQL database
                             shared by several receivers ("postgresql://user@host/db" or
                             "host=... dbname=..."; the password from PGPASSWORD or ~/.pgpass,
                             never here): each keeps deliveries, one (the leader) processes
  --instance NAME            this receiver's name in a shared store (default host:pid)
  --durability process|power what a 202 survives: a crash of the process (default), or
                             power loss too (fsync at every commit)
  --memory                   keep everything in memory instead (a 202 then survives only a
                             graceful stop)
  --events FILE|-            JSON Lines output of events and dead letters (default -: stdout)
  --with-records             event lines and sink messages carry the record as Catena sent it
                             ("record": {...})
  --sink URI                 also hand every event and transition to URI (repeatable), at
                             least once: a delivery is recorded as processed only once every
                             sink acknowledged its messages; a sink that is down holds
                             processing back (retried with back-off, never dropped).
                               redis://HOST:PORT/STREAM[?maxlen=N][&password-env=NAME]
                               nats://HOST:PORT/SUBJECT[?stream=NAME][&token-env=NAME]
                               http(s)://HOST[:PORT]/PATH[?ca=FILE][&token-env=NAME]
  --reorder-window MS        how long events are held to be put in occurred_at order (default 2000)
  --progress-interval MS     how long processing progress is gathered before it is committed
                             (default 50; what a crash makes processed again)
  --admin-listen ADDR:PORT   serve /healthz, /metrics, the state API (/v1/...) and the status
                             page (/) here (plain HTTP) and no longer on --listen, which then
                             serves deliveries only
  --admin-token-env NAME     environment variable holding the admin bearer token, asked for on
                             every admin route but /healthz and / (required when
                             --admin-listen is not a loopback address; needs --admin-listen)
  --admin-host NAME          a Host name the admin listener answers to besides loopback names
                             and addresses and its own address (repeatable); any other gets
                             421 (DNS rebinding)
  --public-metrics on|off    /metrics on --listen when there is no --admin-listen (default: on
                             only when --listen is a loopback address)
  --trusted-proxy CIDR       a reverse proxy whose word on the client is taken (repeatable):
                             from it, the client is the right-most X-Forwarded-For hop that
                             is not a trusted proxy; penalties, connection bounds and route
                             allowlists count that client
  --proxy-protocol           connections from trusted proxies begin with a PROXY protocol
                             header (v1 or v2) naming the client
  --heal                     reactivate a subscription served here when it goes stale or is
                             paused (its webhook.* event, or a poll), replay its dead-letter
                             queue, and write the delivery gap; credentials from
                             CATENA_CLIENT_ID and CATENA_CLIENT_SECRET
  --heal-poll SECONDS        how often the API is asked for stale subscriptions (default
                             300; 0: only webhook.* events trigger a heal)
  --api-url URL, --auth-url URL, --api-ca-file FILE
                             the Notifications API, its token endpoint and the CAs to trust
                             (defaults: Catena's, the system's)
  --log-format text|json     the log on stderr: text lines (default) "TIME LEVEL  MESSAGE
                             key=value...", or one JSON object a line with time, level,
                             message and the line's fields; TIME is UTC with milliseconds
  --log-level LEVEL          write the lines of LEVEL and above: debug, info (default), warn
                             or error
  --config FILE              read options from FILE first: one "name = value" per line, names
                             as the flags without "--" ("memory = true" for a switch); "#"
                             starts a comment; flags on the command line win. A line that is
                             wrong stops the start (exit 2), saying "FILE:LINE: why"
  --route PATH=PROVIDER[,KEY=VALUE...]
                             another provider's deliveries on PATH (repeatable). PROVIDER
                             foxtrot (unsigned: give a token, an allowlist or both) or catena.
                             Keys: token-env=NAME (environment variable holding the token,
                             at least 16 characters), token-header=NAME (where the token comes;
                             without it the token is the path's last segment: PATH/TOKEN),
                             allow=CIDR;CIDR... (addresses deliveries may come from),
                             event-field=NAME and id-field=NAME (top-level fields holding the
                             event type and id; default event and id)
  --tls-cert FILE            PEM certificate chain; with --tls-key turns on HTTPS
  --tls-key FILE             PEM private key
  --tls-min-version 1.2|1.3  oldest TLS version accepted (default 1.2: ECDHE + AEAD only)
  --strict-secrets           refuse a secrets file that group or others can read (default:
                             warn)
  --unverified-status 401|503  answer to deliveries that fail authentication (default 401;
                             503 makes Catena keep them in its dead-letter queue)
  --max-body BYTES           largest request body as sent (default 16777216); a larger one
                             whose headers pass is answered 503, never 413
  --body-budget BYTES        request body bytes in flight across all connections (default
                             67108864); beyond it bodies are answered 503 + Retry-After
  --max-connections N        connections open at once (default: from the descriptor limit)
  --max-connections-per-peer N  connections open at once from one address (default: no bound)
  --max-auth-failures N      signature failures of one address for one subscription within a
                             minute before that address's bodies for it are verified at most
                             one a second for a minute, the rest answered 503 (default 100;
                             0: no bound). Never a 4xx, never another subscription
  --shutdown-timeout MS      how long a drain may take before it is cut short (default 30000)
  --max-store-pages N        the store may not grow past N pages of 4 KiB, as if the disk
                             were full (to rehearse alerts and drains; default: no bound)
  --threads N                I/O threads (default 1)
  --version                  print the version and the commit it was built from, and exit
  --help                     this text

Signals: SIGTERM/SIGINT drain, then exit 0 (or 1 when the drain was cut short by
--shutdown-timeout: what was not written is processed at the next start); SIGHUP reloads
the secrets.

Logs go to stderr, one line a message with its time and level (--log-format, --log-level);
reports of rejected requests at most 20 lines a second, the rest counted in an "N lines
suppressed" line. Events go to --events, never to the log. A refusal of the command line or
the config file is one plain line, "catena-webhookd: why", before anything starts.
)";

/// The whole --help text.
inline std::string daemon_usage()
{
    std::string u = "usage: catena-webhookd [options]\n"
                    "       catena-webhookd COMMAND [ARGS]      (catena-webhookd COMMAND --help: its usage)\n\n"
                    "Receives Catena webhook deliveries, answers 202 once a delivery is verified and kept,\n"
                    "and writes each event as one JSON line.\n\nCommands:\n";
    for(auto const& c : daemon_commands)
    {
        u += "  ";
        u += c.name;
        u.append(c.name.size() < 16 ? 16 - c.name.size() : 1, ' ');
        u += c.summary;
        u += '\n';
    }
    return u + "\n" + daemon_usage_options;
}

} // namespace webhookd

#endif
