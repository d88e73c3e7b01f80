// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/main.cpp - catena-webhookd: the standalone receiver.
#include <catena/webhooks.hpp>


#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <csignal>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>


namespace cw = catena::webhooks;
namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr char usage[] = R"(usage: catena-webhookd [options]

Receives Catena webhook deliveries, answers 202 once a delivery is verified and kept,
and writes each event as one JSON line.

  --listen ADDR:PORT         address to listen on (default 127.0.0.1:8080; port 0 picks one)
  --path PATH                delivery path (default /webhooks/catena)
  --secret-env NAME          environment variable holding the default secret, tried for every
                             X-Webhook-ID without its own (default CATENA_WEBHOOK_SECRET)
  --secrets-file FILE        lines "WEBHOOK_ID SECRET [NOT_AFTER]"; several lines per id for
                             rotation; reloaded on SIGHUP
  --data-dir DIR             where the durable store lives (default ./catena-data)
  --durability process|power what a 202 survives: a crash of the process (default), or
                             power loss too (fsync at every commit)
  --memory                   keep everything in memory instead (a 202 then survives only a
                             graceful stop)
  --events FILE|-            JSON Lines output of events and dead letters (default -: stdout)
  --reorder-window MS        how long events are held to be put in occurred_at order (default 2000)
  --progress-interval MS     how long processing progress is gathered before it is committed
                             (default 50; what a crash makes processed again)
  --tls-cert FILE            PEM certificate chain; with --tls-key turns on HTTPS
  --tls-key FILE             PEM private key
  --unverified-status 401|503  answer to deliveries that fail authentication (default 401;
                             503 makes Catena keep them in its dead-letter queue)
  --max-body BYTES           largest request body (default 4194304)
  --threads N                I/O threads (default 1)
  --help                     this text

Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the secrets.

Dead letters (while no catena-webhookd runs on the data directory):
  catena-webhookd dead-letters list [--data-dir DIR]        one JSON line per dead letter
  catena-webhookd dead-letters show ID [--data-dir DIR]     one, with its body
  catena-webhookd dead-letters replay ID|--all [--data-dir DIR]
                             put the delivery back into the inbox; it is processed at the
                             next start, even though its events were seen before
)";

struct options
{
    std::string listen = "127.0.0.1:8080";
    std::string path = "/webhooks/catena";
    std::string secret_env = "CATENA_WEBHOOK_SECRET";
    std::string secrets_file;
    std::string data_dir = "./catena-data";
    bool memory = false;
    cw::durability level = cw::durability::process;
    std::string events = "-";
    long reorder_window_ms = 2000;
    long progress_interval_ms = -1; // the library's default
    std::string tls_cert, tls_key;
    unsigned unverified_status = 401;
    std::size_t max_body = 4u << 20;
    unsigned threads = 1;
};

[[noreturn]] void fail(std::string const& msg)
{
    std::fprintf(stderr, "catena-webhookd: %s\n", msg.c_str());
    std::exit(2);
}

unsigned long long parse_number(std::string const& flag, std::string const& v, unsigned long long max)
{
    if(v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19)
        fail(flag + ": not a number: " + v);
    auto n = std::stoull(v);
    if(n > max)
        fail(flag + ": " + v + " is too large (at most " + std::to_string(max) + ")");
    return n;
}

options parse(int argc, char** argv)
{
    options o;
    for(int i = 1; i < argc; ++i)
    {
        std::string a = argv[i];
        std::string inline_value;
        bool has_inline = false;
        if(auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos)
        {
            inline_value = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_inline = true;
        }
        auto value = [&]() -> std::string {
            if(has_inline)
                return inline_value;
            if(i + 1 >= argc)
                fail(a + " needs a value");
            return argv[++i];
        };
        if(a == "--help" || a == "-h")
        {
            std::fputs(usage, stdout);
            std::exit(0);
        }
        else if(a == "--listen") o.listen = value();
        else if(a == "--path") o.path = value();
        else if(a == "--secret-env") o.secret_env = value();
        else if(a == "--secrets-file") o.secrets_file = value();
        else if(a == "--data-dir") o.data_dir = value();
        else if(a == "--memory") o.memory = true;
        else if(a == "--durability")
        {
            auto v = value();
            if(v != "process" && v != "power")
                fail("--durability must be process or power, not " + v);
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
                fail("--unverified-status must be 401 or 503, not " + v);
            o.unverified_status = static_cast<unsigned>(std::stoul(v));
        }
        else if(a == "--max-body") o.max_body = parse_number(a, value(), 1ull << 30);
        else if(a == "--threads") o.threads = static_cast<unsigned>(parse_number(a, value(), 256));
        else if(a == "--secret")
            fail("secrets are never taken on the command line: use --secret-env or --secrets-file");
        else
            fail("unknown option " + a + " (see --help)");
    }
    if(o.threads == 0)
        fail("--threads must be at least 1");
    if(o.max_body == 0)
        fail("--max-body must be at least 1");
    if(o.tls_cert.empty() != o.tls_key.empty())
        fail("--tls-cert and --tls-key go together");
    return o;
}

net::ip::tcp::endpoint parse_listen(std::string const& v)
{
    auto colon = v.rfind(':');
    if(colon == std::string::npos)
        fail("--listen wants ADDR:PORT, got " + v);
    std::string host = v.substr(0, colon);
    if(host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    auto addr = net::ip::make_address(host, ec);
    if(ec)
        fail("--listen: not an IP address: " + host);
    auto port = parse_number("--listen", v.substr(colon + 1), 65535);
    return {addr, static_cast<unsigned short>(port)};
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

// Output lines, buffered; thread-safe (callbacks may run on a user executor).
class line_buffer
{
    std::ostream& out_;
    std::mutex mutex_;
    std::string buf_;

    void write_locked()
    {
        out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
        out_.flush();
        buf_.clear();
    }

public:
    explicit line_buffer(std::ostream& out) : out_(out) {}

    void append(std::string_view line)
    {
        std::lock_guard lock(mutex_);
        buf_ += line;
        buf_ += '\n';
        if(buf_.size() >= 64 * 1024)
            write_locked();
    }

    void flush()
    {
        std::lock_guard lock(mutex_);
        if(!buf_.empty())
            write_locked();
    }
};

json::value str_or_null(std::string const& s) { return s.empty() ? json::value(nullptr) : json::value(s); }


} // namespace

json::object dead_letter_json(cw::stored_dead_letter const& x, bool with_body)
{
    auto const& d = x.letter;
    json::object o{{"id", x.id},
                   {"created_at", cw::format_rfc3339(x.created_at, cw::utc_suffix::z)},
                   {"kind", d.kind == cw::dead_letter_kind::undecodable ? "undecodable" : "callback_failed"},
                   {"reason", d.reason},
                   {"inbox_sequence", d.sequence},
                   {"request_id", str_or_null(d.request_id)},
                   {"webhook_id", str_or_null(d.webhook_id)},
                   {"event_type", str_or_null(d.event_type)},
                   {"idempotency_key", str_or_null(d.idempotency_key)},
                   {"handler", str_or_null(d.handler)},
                   {"error", str_or_null(d.error_text)},
                   {"attempts", d.attempts}};
    if(with_body)
        o["body"] = d.body;
    return o;
}

// catena-webhookd dead-letters list|show ID|replay ID|replay --all [--data-dir DIR]
int dead_letters_command(int argc, char** argv)
{
    std::string dir = "./catena-data", verb, arg;
    for(int i = 2; i < argc; ++i)
    {
        std::string a = argv[i];
        if(a == "--data-dir" && i + 1 < argc)
            dir = argv[++i];
        else if(a.rfind("--data-dir=", 0) == 0)
            dir = a.substr(11);
        else if(verb.empty())
            verb = a;
        else if(arg.empty())
            arg = a;
        else
            fail("dead-letters: unexpected argument " + a);
    }
    if(verb != "list" && verb != "show" && verb != "replay")
        fail("dead-letters: say list, show ID or replay ID|--all (see --help)");
    cw::error_code ec;
    std::string why;
    auto box = cw::dead_letter_box::open(dir, ec, why);
    if(!box)
        fail(why);
    if(verb == "list")
    {
        for(auto const& x : box->list(std::numeric_limits<std::size_t>::max() / 2))
            std::cout << json::serialize(dead_letter_json(x, false)) << '\n';
        return 0;
    }
    if(verb == "replay" && arg == "--all")
    {
        auto const n = box->replay_all(why);
        std::fprintf(stderr, "catena-webhookd: %zu dead letters put back into the inbox%s%s\n", n,
                     why.empty() ? "" : "; not all: ", why.c_str());
        return why.empty() ? 0 : 1;
    }
    if(arg.empty() || arg.find_first_not_of("0123456789") != std::string::npos || arg.size() > 18)
        fail("dead-letters " + verb + ": needs a dead letter id (a number)");
    auto const id = std::stoll(arg);
    if(verb == "show")
    {
        auto x = box->get(id);
        if(!x)
            fail("no dead letter " + arg);
        std::cout << json::serialize(dead_letter_json(*x, true)) << '\n';
        return 0;
    }
    if(auto e = box->replay(id, why))
        fail("dead letter " + arg + " not replayed: " + why);
    std::fprintf(stderr, "catena-webhookd: dead letter %s put back into the inbox\n", arg.c_str());
    return 0;
}

int main(int argc, char** argv)
{
    if(argc > 1 && std::string_view(argv[1]) == "dead-letters")
        return dead_letters_command(argc, argv);
    auto const o = parse(argc, argv);
    auto const listen = parse_listen(o.listen);

    std::string problem;
    auto secrets = load_secrets(o, problem);
    if(!secrets)
        fail(problem);
    if(secrets->empty())
        std::fprintf(stderr, "catena-webhookd: warning: no secrets configured (%s is unset, no --secrets-file): "
                             "every delivery will be answered %u\n",
                     o.secret_env.c_str(), o.unverified_status);

    std::ofstream file_out;
    std::ostream* out = &std::cout;
    if(o.events != "-")
    {
        file_out.open(o.events, std::ios::app | std::ios::binary);
        if(!file_out)
            fail("cannot open --events file " + o.events + ": " + std::strerror(errno));
        out = &file_out;
    }
    // Lines are buffered and handed to the file in batches: before the receiver records
    // deliveries as processed (so a crash repeats, never loses, a line), and when 64 KiB pile up.
    line_buffer lines(*out);

    cw::receiver_options ro;
    ro.listen = listen;
    ro.path = o.path;
    ro.secrets = std::move(*secrets);
    ro.unverified_status = o.unverified_status;
    ro.limits.max_body_bytes = o.max_body;
    ro.tls.certificate_file = o.tls_cert;
    ro.tls.private_key_file = o.tls_key;
    ro.processing.reorder_window = std::chrono::milliseconds(o.reorder_window_ms);
    if(o.progress_interval_ms >= 0)
        ro.store.progress_interval = std::chrono::milliseconds(o.progress_interval_ms);
    if(!o.memory)
        ro.store.data_dir = o.data_dir;
    ro.store.level = o.level;

    net::io_context ioc(static_cast<int>(o.threads));
    cw::receiver rx(ioc.get_executor(), std::move(ro));
    rx.on_any([&](cw::event const& e) { lines.append(cw::to_json_line(e)); });
    rx.on_before_progress([&] { lines.flush(); });
    rx.on_transition([&](cw::transition const& t) { lines.append(cw::to_json_line(t)); });
    rx.on_merge([&](cw::fleet_merge const& m) { lines.append(cw::to_json_line(m)); });
    rx.on_dead_letter([&](cw::dead_letter const& d) { lines.append(cw::to_json_line(d)); });
    // Rejections are operators' news, not events: they go to stderr, rate-limited per second.
    std::mutex err_mutex;
    auto err_window = std::chrono::steady_clock::now();
    unsigned err_count = 0;
    rx.on_error([&](cw::error_report const& r) {
        std::lock_guard lock(err_mutex);
        auto now = std::chrono::steady_clock::now();
        if(now - err_window > std::chrono::seconds(1))
        {
            if(err_count > 20)
                std::fprintf(stderr, "catena-webhookd: %u more reports suppressed\n", err_count - 20);
            err_window = now;
            err_count = 0;
        }
        if(++err_count > 20)
            return;
        std::fprintf(stderr, "catena-webhookd: %.*s (%s)%s%s: %s\n", static_cast<int>(r.reason.size()), r.reason.data(),
                     r.http_status ? std::to_string(r.http_status).c_str() : "-",
                     r.request_id.empty() ? "" : " request ", r.request_id.c_str(), r.detail.c_str());
    });

    if(auto ec = rx.start())
    {
        // The store holds its directory's lock: two receivers on one data directory would
        // each believe they own its state.
        if(ec == cw::error::store_locked)
            fail("data directory " + o.data_dir + " is in use by another catena-webhookd (" + rx.start_detail() + ")");
        if(!rx.start_detail().empty())
            fail(rx.start_detail());
        fail("cannot listen on " + o.listen + ": " + ec.message());
    }
    auto const ep = rx.local_endpoint();
    std::string addr = ep.address().to_string();
    if(ep.address().is_v6())
        addr = "[" + addr + "]";
    std::fprintf(stderr, "listening on %s:%u\n", addr.c_str(), ep.port());

    net::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
    std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int sig) {
        if(ec)
            return;
        if(sig == SIGHUP)
        {
            std::string why;
            auto fresh = load_secrets(o, why);
            if(fresh)
            {
                std::fprintf(stderr, "catena-webhookd: secrets reloaded (%zu subscriptions, %zu default)\n",
                             fresh->subscription_count(), fresh->default_count());
                rx.set_secrets(std::move(*fresh));
            }
            else
            {
                std::fprintf(stderr, "catena-webhookd: secrets not reloaded, keeping the previous ones: %s\n", why.c_str());
            }
            signals.async_wait(on_signal);
            return;
        }
        std::fprintf(stderr, "catena-webhookd: draining\n");
        rx.stop();
        signals.cancel();
    };
    signals.async_wait(on_signal);

    std::vector<std::thread> pool;
    for(unsigned i = 1; i < o.threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for(auto& t : pool)
        t.join();
    lines.flush();
    std::fprintf(stderr, "catena-webhookd: stopped\n");
    return 0;
}
