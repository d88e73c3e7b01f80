// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/main.cpp - catena-webhookd: the standalone receiver.
#include "notify.hpp"
#include "options.hpp"
#include "report_log.hpp"
#include "sinks/sink_set.hpp"
#include "subscriptions.hpp"

#include <catena/webhooks.hpp>


#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <csignal>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <atomic>
#include <condition_variable>
#include <optional>
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

using namespace webhookd;

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
        if((a == "--data-dir" || a == "--store") && i + 1 < argc)
            dir = argv[++i];
        else if(a.rfind("--data-dir=", 0) == 0)
            dir = a.substr(11);
        else if(a.rfind("--store=", 0) == 0)
            dir = a.substr(8);
        else if(verb.empty())
            verb = a;
        else if(arg.empty())
            arg = a;
        else
            fail("dead-letters: unexpected argument " + a);
    }
    if(verb != "list" && verb != "show" && verb != "replay")
        fail("dead-letters: say list, show ID or replay ID|--all (see --help)");
    if(cw::is_postgres_conninfo(dir) && cw::conninfo_has_password(dir))
        fail("dead-letters: the password is never given on the command line: put it in PGPASSWORD or ~/.pgpass");
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
    if(argc > 1 && std::string_view(argv[1]) == "subscriptions")
        return subscriptions_command(argc, argv);
    auto const o = parse(argc, argv);

    std::string problem;
    auto secrets = load_secrets(o, problem);
    if(!secrets)
        fail(problem);
    if(secrets->empty())
        std::fprintf(stderr, "catena-webhookd: warning: no secrets configured (%s is unset, no --secrets-file): "
                             "every delivery to %s will be answered %u\n",
                     o.secret_env.c_str(), o.path.c_str(), o.unverified_status);

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

    // The sinks' URIs are checked (and their secrets read from the environment) before anything listens.
    std::optional<webhookd::sinks::sink_set> sinks;
    try
    {
        sinks.emplace(o.sinks);
    }
    catch(webhookd::sinks::sink_error const& e)
    {
        fail(e.what());
    }

    auto ro = receiver_options_of(o, std::move(*secrets));
    auto const routes = ro.routes;

    net::io_context ioc(static_cast<int>(o.threads));
    cw::receiver rx(ioc.get_executor(), std::move(ro));
    bool const with_records = o.with_records;
    rx.on_any([&](cw::event const& e) { lines.append(cw::to_json_line(e, with_records)); });
    if(!sinks->empty())
    {
        // Each event and transition goes to every sink; its delivery is recorded as processed
        // only once all of them acknowledged it (the completion), so progress never runs
        // ahead of what the sinks hold.
        rx.on_any_async([&](cw::event const& e, cw::completion c) {
            sinks->hand(std::make_shared<webhookd::sinks::message const>(
                            webhookd::sinks::message{"event", e.idempotency_key, cw::to_json_line(e, with_records)}),
                        std::move(c));
        });
        rx.on_transition_async([&](cw::transition const& t, cw::completion c) {
            sinks->hand(std::make_shared<webhookd::sinks::message const>(
                            webhookd::sinks::message{"transition", t.idempotency_key, cw::to_json_line(t)}),
                        std::move(c));
        });
        rx.report_sinks([&] { return sinks->status(); });
    }
    rx.on_before_progress([&] { lines.flush(); });
    rx.on_transition([&](cw::transition const& t) { lines.append(cw::to_json_line(t)); });
    rx.on_merge([&](cw::fleet_merge const& m) { lines.append(cw::to_json_line(m)); });
    rx.on_dead_letter([&](cw::dead_letter const& d) { lines.append(cw::to_json_line(d)); });
    rx.on_subscription([&](cw::subscription_event const& e) {
        lines.append(cw::to_json_line(e));
        if(e.delivery_stopped() || e.delivered_by.empty())
            std::fprintf(stderr, "catena-webhookd: subscription %s %s%s\n", e.subscription_id.c_str(), e.action.c_str(),
                         e.delivery_stopped() ? ": Catena stopped delivering to it" : "");
    });
    rx.on_delivery_gap([&](cw::delivery_gap const& g) {
        lines.append(cw::to_json_line(g));
        std::fprintf(stderr, "catena-webhookd: subscription %s delivered nothing from %s to %s (%s): fetch that window "
                             "from the REST API\n",
                     g.subscription_id.c_str(), cw::format_rfc3339(g.from, cw::utc_suffix::z).c_str(),
                     cw::format_rfc3339(g.to, cw::utc_suffix::z).c_str(), g.cause.c_str());
    });
    // Rejections are operators' news, not events: they go to stderr, rate-limited per second,
    // with a line for what was suppressed (report_log), summarised once a second.
    report_log reports(stderr);
    net::steady_timer report_timer(ioc);
    std::function<void(boost::system::error_code)> summarise = [&](boost::system::error_code ec) {
        if(ec)
            return;
        reports.flush();
        report_timer.expires_after(std::chrono::seconds(1));
        report_timer.async_wait(summarise);
    };
    // Another receiver leads a shared store now: this one stops, so that its service manager
    // starts it again as a standby (exit 75, EX_TEMPFAIL).
    std::atomic<bool> leadership_lost{false};
    std::function<void()> stop_receiving; // set once the signals are ours
    rx.on_error([&](cw::error_report const& r) {
        if(r.ec == cw::error::leadership_lost && !leadership_lost.exchange(true))
            net::post(ioc, [&] {
                std::fprintf(stderr, "catena-webhookd: leadership of the shared store lost; stopping\n");
                stop_receiving();
            });
        reports.write(r);
    });

    // A drain waits for the sinks' acknowledgements for as long as --shutdown-timeout allows;
    // then what they did not acknowledge is given up (processed again at the next start), so
    // that the io_context runs out of work and the daemon exits 1 (a drain cut short).
    struct deadline
    {
        webhookd::sinks::sink_set& sinks;
        std::chrono::milliseconds after;
        std::thread timer;
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        void arm()
        {
            if(sinks.empty() || timer.joinable())
                return;
            timer = std::thread([this] {
                std::unique_lock lock(m);
                if(!cv.wait_for(lock, after, [this] { return done; }))
                    sinks.abandon();
            });
        }
        ~deadline()
        {
            {
                std::lock_guard lock(m);
                done = true;
            }
            cv.notify_all();
            if(timer.joinable())
                timer.join();
        }
    } sink_deadline{*sinks, std::chrono::milliseconds(o.shutdown_timeout_ms), {}, {}, {}, false};

    // The signals are ours before the first line says "listening": a SIGTERM sent as soon as it
    // appears (or as soon as systemd hears READY) drains instead of killing the process.
    net::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
    std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int sig) {
        if(ec)
            return;
        if(sig == SIGHUP)
        {
            notify_reloading();
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
            notify_ready(fresh ? "listening; secrets reloaded" : "listening; secrets not reloaded: " + why);
            signals.async_wait(on_signal);
            return;
        }
        std::fprintf(stderr, "catena-webhookd: draining\n");
        notify_stopping("draining");
        rx.stop();
        sink_deadline.arm();
        signals.cancel();
        report_timer.cancel();
    };
    signals.async_wait(on_signal);
    stop_receiving = [&] {
        rx.stop();
        sink_deadline.arm();
        signals.cancel();
        report_timer.cancel();
    };

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
    auto const text = [](net::ip::tcp::endpoint const& ep) {
        std::string addr = ep.address().to_string();
        if(ep.address().is_v6())
            addr = "[" + addr + "]";
        return addr + ":" + std::to_string(ep.port());
    };
    std::fprintf(stderr, "listening on %s\n", text(rx.local_endpoint()).c_str());
    for(auto const& r : routes)
        std::fprintf(stderr, "route %s (%s): token %s, %zu allowed networks\n", r.path.c_str(),
                     r.kind == cw::provider::foxtrot ? "foxtrot" : "catena",
                     r.token.empty() ? "none" : r.token_header.empty() ? "in the path" : r.token_header.c_str(),
                     r.allow.size());
    if(auto admin = rx.admin_endpoint())
        std::fprintf(stderr, "admin (health, metrics, state API, status page) on %s\n", text(*admin).c_str());
    if(!o.store.empty())
        std::fprintf(stderr, "store: PostgreSQL, shared; processing once this receiver leads (metric "
                             "catena_webhooks_store_leader)\n");
    for(auto const& st : sinks->status())
        std::fprintf(stderr, "sink %s\n", st.name.c_str());
    sinks->start();
    notify_ready("listening on " + text(rx.local_endpoint()));
    summarise({});

    std::vector<std::thread> pool;
    for(unsigned i = 1; i < o.threads; ++i)
        pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for(auto& t : pool)
        t.join();
    // The store writes what processing finished, within what is left of the shutdown timeout.
    bool drained = rx.wait_stopped();
    if(auto const n = sinks->abandoned())
    {
        std::fprintf(stderr, "catena-webhookd: %zu messages not acknowledged by the sinks within --shutdown-timeout\n", n);
        drained = false;
    }
    lines.flush();
    reports.flush(true);
    if(!drained)
    {
        std::fprintf(stderr, "catena-webhookd: stopped without a full drain (--shutdown-timeout %ld ms): what was "
                             "not written stays in the inbox and is processed at the next start\n",
                     o.shutdown_timeout_ms);
        return 1;
    }
    if(leadership_lost.load())
    {
        std::fprintf(stderr, "catena-webhookd: stopped (leadership lost)\n");
        return 75;
    }
    std::fprintf(stderr, "catena-webhookd: stopped\n");
    return 0;
}
