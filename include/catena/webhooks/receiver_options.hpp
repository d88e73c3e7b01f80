// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/receiver_options.hpp - everything a receiver can be configured with.
#ifndef CATENA_WEBHOOKS_RECEIVER_OPTIONS_HPP
#define CATENA_WEBHOOKS_RECEIVER_OPTIONS_HPP

#include <catena/webhooks/envelope.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/heal_options.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks {

/** Size and count limits of the listener and the inbox. */
struct receiver_limits
{
    /// Largest request body as sent (compressed), bytes. Beyond it a delivery whose headers
    /// pass is answered 503 + Retry-After (Catena keeps it for replay), never a 4xx.
    std::size_t max_body_bytes = 16u << 20;
    /// Largest request line plus headers, bytes. 431 beyond it.
    std::size_t max_header_bytes = 16u << 10;
    /// Most connections open at once. 0 (the default): derived from the descriptor limit
    /// (RLIMIT_NOFILE, raised to its hard limit at start), less a reserve for the store and
    /// accept. At the bound the longest-idle keep-alive connection makes room; with none
    /// idle the newcomer gets 503 and is closed.
    std::size_t max_connections = 0;
    /// Raise the soft RLIMIT_NOFILE to the hard limit at start().
    bool raise_descriptor_limit = true;
    /// Most connections open at once from one address (an IPv6 address's /64); 0 (default)
    /// for no bound (Catena sends from few addresses). Over it a connection gets 503 and is
    /// closed. Connections from a trusted proxy (trusted_proxies) are not bounded by it.
    std::size_t max_connections_per_peer = 0;
    /// Body bytes being read or verified at once, across all connections. A body that does
    /// not fit is answered 503 + Retry-After instead of being buffered.
    std::size_t body_budget_bytes = 64u << 20;
    /// Signature (MAC) failures one address may cause for one subscription within a minute;
    /// at this many, that address's bodies for that subscription are verified at most one
    /// per `penalty_verify_interval` for `auth_failure_penalty`, and the others are answered
    /// 503 + Retry-After (Catena retries them, then keeps them for replay). Never a 4xx, and
    /// never another subscription's deliveries: Catena sends every customer's events from a
    /// few shared addresses. Failures at the headers (unknown subscription, stale timestamp)
    /// cost nothing to answer and are not counted. 0 turns penalties off.
    std::size_t max_auth_failures_per_minute = 100;
    std::chrono::seconds auth_failure_penalty{60};
    std::chrono::milliseconds penalty_verify_interval{1000};
    /// An answer given before the request's body was read (401, 503 for a body that cannot
    /// be kept...) is followed by reading and discarding up to this many bytes of the body
    /// (within timeouts.linger), so that a client still sending reads the answer instead
    /// of a reset.
    std::size_t linger_bytes = 16u << 20;
    /// Most deliveries kept but not yet processed. 503 + Retry-After beyond it.
    std::size_t max_inbox_entries = 100'000;
    /// Most bytes of deliveries kept but not yet processed. 503 + Retry-After beyond it.
    std::size_t max_inbox_bytes = 512u << 20;
    /// Bounds on decompression (128 MiB inflated, ratio 256:1 by default).
    inflate_limits inflate{};
    /// Bounds on the decoded envelope.
    envelope_limits envelope{};
};

/** Timeouts of the listener. */
struct receiver_timeouts
{
    /// From the first byte of a request to the end of its headers. 408 beyond it.
    std::chrono::milliseconds header{10'000};
    /// From the end of the headers to the end of the body. 408 beyond it.
    std::chrono::milliseconds body{30'000};
    /// A keep-alive connection idle this long between requests is closed.
    std::chrono::milliseconds idle{60'000};
    /// Writing one response.
    std::chrono::milliseconds write{10'000};
    /// stop() lets in-flight requests finish for this long, then cancels them.
    std::chrono::milliseconds shutdown_grace{5'000};
    /// stop() ends within this long whatever the store does: what could not be written by
    /// then stays in the inbox for the next start (see receiver::wait_stopped()).
    std::chrono::milliseconds shutdown_timeout{30'000};
    /// How long an answer given before the body was read lingers (see linger_bytes).
    std::chrono::milliseconds linger{2'000};
    /// Retry-After sent with 503 answers.
    std::chrono::seconds retry_after{1};
};

/** Oldest TLS version accepted. */
enum class tls_version
{
    v1_2, ///< TLS 1.2 with ECDHE key exchange and AEAD ciphers only, and TLS 1.3.
    v1_3, ///< TLS 1.3 only.
};

/** TLS material; TLS is on when both files are given. The server's cipher order wins. */
struct receiver_tls
{
    std::string certificate_file; ///< PEM certificate chain.
    std::string private_key_file; ///< PEM private key.
    tls_version min_version = tls_version::v1_2;
};

/** What happens when a callback throws. */
struct callback_policy
{
    /// Attempts in all, the first included; then the call goes to the dead letters.
    unsigned max_attempts = 3;
    /// Wait before the first retry; each further retry waits `backoff_multiplier` times longer.
    std::chrono::milliseconds initial_backoff{200};
    /// How much longer each further retry waits than the one before (2: doubling).
    double backoff_multiplier = 2.0;
    /// The longest wait between two attempts, however many came before.
    std::chrono::milliseconds max_backoff{10'000};
};

/** How kept deliveries become ordered, de-duplicated events and fleet transitions. */
struct processing_options
{
    /// How long an event is held so that events that occurred before it, but arrive
    /// after it, can still be released first. Catena retries within about 5 s.
    std::chrono::milliseconds reorder_window{2000};
    /// Bounds of the reorder buffer; beyond them the oldest events are released early
    /// (reported as error::released_early) rather than intake being blocked.
    std::size_t reorder_max_events = 100'000;
    std::size_t reorder_max_bytes = 256u << 20;
    /// How long event identities are remembered. Catena keeps its dead-letter queue 14 days,
    /// so a replay can arrive that late.
    std::chrono::seconds dedup_retention{std::chrono::hours(24 * 15)};
    /// Most identities held in memory (32 bytes each at most). With a data dir, memory is a
    /// cache of the identities on disk: older ones are looked up there. Without one, memory
    /// is all there is: beyond the bound the oldest are forgotten early
    /// (error::dedup_memory_full).
    std::size_t dedup_max_identities = 1'000'000;
    /// Records whose latest content and newest applied version are remembered: the memory
    /// behind last-writer-wins per data record (a `vehicle.modified` older than the one
    /// applied is late) and behind duplicates without an envelope id. Oldest forgotten first.
    std::size_t max_record_versions = 200'000;
    /// Drop an event that already came through another subscription (an invitation's
    /// callback_url beside an org-wide subscription delivers every lifecycle event twice,
    /// with different envelope ids): same event name, record id and content. Counted in
    /// catena_webhooks_cross_subscription_duplicates_total.
    bool dedup_across_subscriptions = true;
    /// How long events are remembered for that, and how many: this many first delivered
    /// through the first subscription the receiver hears of, a third as many through others.
    std::chrono::seconds cross_subscription_window{3600};
    std::size_t max_cross_subscription_events = 200'000;
    /// Transitions kept per fleet for receiver::history().
    std::size_t max_history_per_fleet = 256;
    /// Most operations tracked at once (receiver::track_operation).
    std::size_t max_tracked_operations = 100'000;
    /// Most callback calls queued (slow callbacks on a callback_executor, or a fleet waiting
    /// out retries). Beyond it the inbox is not read, so it fills and intake answers 503.
    std::size_t max_callback_backlog = 100'000;
    /// Callback failures: retries, backoff, then dead letters.
    callback_policy callbacks{};
    /// Where callbacks run. Empty (the default): on the receiver's processing strand, one at
    /// a time. Otherwise on this executor, still one at a time per fleet, fleets in parallel
    /// if the executor has several threads.
    boost::asio::any_io_executor callback_executor{};
};

/** What a 202 survives when the store is on disk. */
enum class durability
{
    /// A crash or kill of the process (SQLite WAL, synchronous=NORMAL). Not an OS crash or
    /// power loss: the last transactions may then be lost.
    process,
    /// Power loss and OS crashes too: every commit waits for fsync (synchronous=FULL).
    power,
};

/** Where kept deliveries and the processing state live. */
struct store_options
{
    /// Directory of the durable store (one SQLite file, `catena-webhooks.db`, locked against
    /// other processes). Empty: everything is kept in memory and a 202 survives nothing
    /// but a graceful stop.
    std::string data_dir;
    /** A PostgreSQL database shared by several receivers, as a libpq connection string or
        URI ("postgresql://app@db.internal/catena"); set, data_dir is not used. Every receiver
        keeps deliveries in it (a 202 once PostgreSQL confirmed the commit); one of them, the
        leader (an advisory lock), processes, and another takes over within about a second
        when its session ends. The password comes from PGPASSWORD or ~/.pgpass. */
    std::string postgres;
    /// This receiver's name in a shared store (who leads, application_name); empty: host:pid.
    std::string instance;
    durability level = durability::process;
    /// Processed deliveries are kept this long (for inspection), then pruned.
    std::chrono::seconds processed_retention{std::chrono::hours(24)};
    /// How long processing progress is gathered before it is committed: the processed
    /// marks, event identities, fleet snapshots and transitions of the deliveries finished
    /// meanwhile go in one transaction (sooner once 1024 deliveries wait). Longer writes
    /// less per delivery (each busy fleet's snapshot once per interval); after a crash, the
    /// deliveries finished in the last interval are processed again (their callbacks run
    /// again, with the same idempotency keys).
    std::chrono::milliseconds progress_interval{50};
};

/** Whether `store` names a PostgreSQL database (a postgres:// or postgresql:// URI, or a libpq
    keyword string starting host=, hostaddr=, port=, dbname=, user= or service=) rather than a
    data directory. */
CATENA_WEBHOOKS_DECL bool is_postgres_conninfo(std::string_view store) noexcept;

/** Whether a connection string carries a password or an sslpassword (URI user:password@,
    password=..., sslpassword=..., as libpq reads it): one that belongs in PGPASSWORD or
    ~/.pgpass (or an sslpassword-free key), not on a command line or in a config file. */
CATENA_WEBHOOKS_DECL bool conninfo_has_password(std::string const& conninfo);

/** A further path the receiver takes deliveries on, and whose they are.

    A route for a provider that signs nothing (Foxtrot) is authenticated by what an operator
    can configure for an unsigned webhook: a shared token, in a header or as the path's last
    segment, compared in constant time, and an address allowlist. At least one of the two is
    required. Its JSON body's event type and id are read from configurable fields; the id is
    deduplicated like an envelope id (scoped by the route), every delivery goes to the same
    durable inbox, and its events go to the same on("ROUTE_CREATED", …) handlers, with
    event::provider saying whose they are. No fleet lifecycle is derived from them. */
struct route_options
{
    /// The request path, e.g. "/webhooks/foxtrot". With the token in the path, deliveries are
    /// posted to path + "/" + token.
    std::string path;
    /** Whose deliveries the route receives: "foxtrot" (Foxtrot's webhooks: unsigned, as
        below) or "catena" (signed deliveries of spec §4-§5, verified as on
        receiver_options::path). receiver::start() refuses any other name. */
    std::string provider = "foxtrot";
    /// The shared token; empty: none (then `allow` must be set).
    std::string token;
    /// The header that carries the token (its value, or "Bearer " + token). Empty: the token
    /// is the path's last segment.
    std::string token_header;
    /// Addresses deliveries may come from, as CIDRs ("203.0.113.0/24", "2001:db8::/32") or
    /// single addresses. Empty: any address.
    std::vector<std::string> allow;
    /// The top-level fields holding the event type and the event id. A delivery without
    /// them is kept as a dead letter (event_field_missing, event_id_missing).
    std::string event_field = "event";
    std::string id_field = "id";
};

/** Options of a receiver. Validated by receiver::start(). */
struct receiver_options
{
    /// Address and port to listen on; port 0 picks a free port (see receiver::local_endpoint).
    boost::asio::ip::tcp::endpoint listen{boost::asio::ip::make_address_v4("127.0.0.1"), 8080};
    /** Whether the receiver listens on `listen` itself (the default). False: it binds no
        socket and deliveries come only through receiver::receive() from the partner's own
        HTTP server, with the same admission, verification and keeping; `listen` then only
        says whether the delivery side is on a loopback address (public_metrics). The admin
        listener, when set, still runs. */
    bool own_listener = true;
    /// The path Catena posts to.
    std::string path = "/webhooks/catena";
    /// Further delivery paths, each with its provider (see route_options).
    std::vector<route_options> routes{};
    /// GET route answering 200 while accepting; empty turns it off.
    std::string health_path = "/healthz";
    /// GET route with Prometheus text metrics; empty turns it off.
    std::string metrics_path = "/metrics";
    /** When set, the health and metrics routes are served here (plain HTTP) and no longer on
        the delivery listener, which then serves nothing but deliveries; so are the state API
        (`/v1/...`) and the status page (`/`). */
    std::optional<boost::asio::ip::tcp::endpoint> admin_listen{};
    /** The bearer token the admin listener asks for (`Authorization: Bearer …`) on every
        route but the health route and the status page itself (which holds no data and asks
        the user for the token). Required when admin_listen is not a loopback address; an
        error at start() without admin_listen (it would protect nothing). */
    std::string admin_token{};
    /** Host names the admin listener answers to, besides loopback names and addresses and its
        own listen address (a reverse proxy's or tunnel's name). A request with any other Host
        gets 421: a web page the operator opens cannot read the state API through a name
        that resolves to the admin address (DNS rebinding). */
    std::vector<std::string> admin_hosts{};
    /** Serve the metrics route on the delivery listener when no admin listener is set.
        Unset (the default): only when the delivery listener is on a loopback address (a
        public listener would tell anyone the subscriptions served and why requests fail). */
    std::optional<bool> public_metrics{};
    /** Reverse proxies (CIDRs or addresses) whose word on the client is taken: from them, the
        client is the right-most address of X-Forwarded-For that is not itself a trusted
        proxy (or, with proxy_protocol, the address of their PROXY header). Every per-address
        bound (penalties, connections, route allowlists) then counts the client. From any
        other peer X-Forwarded-For is ignored. */
    std::vector<std::string> trusted_proxies{};
    /** Connections from a trusted proxy begin with a PROXY protocol header (version 1 or 2,
        as HAProxy's send-proxy and nginx's proxy_protocol send it), which names the client. */
    bool proxy_protocol = false;
    /// The signing secrets. Replace them at run time with receiver::set_secrets.
    secret_ring secrets{};
    /// How far X-Catena-Timestamp may lie from our clock.
    freshness_window window{};
    /// Status for deliveries that fail authentication: 401 (default) or 503. On the wire the
    /// reason is always `unauthenticated`; the precise one goes to metrics and on_error. A 4xx ends
    /// Catena's retries, so a genuine delivery rejected during a secret rotation is lost;
    /// 503 sends it to Catena's dead-letter queue for replay instead (spec §5.2).
    unsigned unverified_status = 401;
    /// Sizes and counts a request, a connection, a client and the inbox may reach (receiver_limits).
    receiver_limits limits{};
    /// How long each step of a connection, and stopping, may take (receiver_timeouts).
    receiver_timeouts timeouts{};
    /// HTTPS on the delivery listener; empty files: plain HTTP (receiver_tls).
    receiver_tls tls{};
    /// Between the 202 and the callbacks: reordering, de-duplication, callback retries (processing_options).
    processing_options processing{};
    /// Where deliveries and state are kept, and how durably (store_options).
    store_options store{};
    /// Self-healing of the subscriptions served; off by default (heal_options).
    heal_options heal{};
    /// Asking the Integrations API for operations whose result webhook did not come; off by
    /// default (operation_polling_options).
    operation_polling_options operations{};
    /// How long an X-Request-ID is remembered to drop a replayed copy of one request.
    std::chrono::seconds request_id_memory{900};
    /// The clock; tests inject their own.
    clock_function clock = system_now;
};

} // namespace catena::webhooks

#endif
