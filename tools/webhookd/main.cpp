// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/main.cpp - catena-webhookd: the standalone receiver.
#include "dead_letters.hpp"
#include "log.hpp"
#include "notify.hpp"
#include "options.hpp"
#include "report_log.hpp"
#include "sinks/sink_set.hpp"
#include "subscriptions.hpp"
#include "usage.hpp"

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
        append_with([line](std::string& buf) { buf += line; });
    }

    /// A line written straight into the buffer (cw::append_json_line): no string of its own.
    template<class Write>
    void append_with(Write&& write)
    {
        std::lock_guard lock(mutex_);
        auto const size = buf_.size();
        try
        {
            write(buf_);
        }
        catch(...)
        {
            buf_.resize(size); // no half line left behind
            throw;
        }
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

// `catena-webhookd COMMAND ...`: the command's exit status; nothing for the daemon itself.
std::optional<int> run_command(int argc, char** argv)
{
    std::string_view const name = argv[1];
    for(auto const& c : daemon_commands)
    {
        if(c.name != name)
            continue;
        if(name == "subscriptions")
            return subscriptions_command(argc, argv);
        if(name == "dead-letters")
            return dead_letters_command(argc, argv);
        fail("command " + std::string(name) + " is listed in --help but not built");
    }
    if(!name.empty() && name.front() != '-')
    {
        std::string names;
        for(auto const& c : daemon_commands)
            names += (names.empty() ? "" : ", ") + std::string(c.name);
        fail("unknown command " + std::string(name) + " (" + names + "; see --help)");
    }
    return std::nullopt;
}

std::string endpoint_text(net::ip::tcp::endpoint const& ep)
{
    std::string addr = ep.address().to_string();
    if(ep.address().is_v6())
        addr = "[" + addr + "]";
    return addr + ":" + std::to_string(ep.port());
}

} // namespace

int main(int argc, char** argv)
{
    if(argc > 1)
        if(auto const rc = run_command(argc, argv))
            return *rc;
    auto const o = parse(argc, argv);
    // From here on, every line on stderr is a log line in the format the options ask for.
    auto& log = daemon_log();
    log.configure(o.log_as, o.log_from);
    auto const store = !o.store.empty() ? std::string("postgresql") : o.memory ? std::string("memory") : o.data_dir;
    log.debug("options read", {{"listen", o.listen}, {"store", store}, {"events", o.events}, {"threads", o.threads},
                               {"reorder_window_ms", o.reorder_window_ms}, {"routes", o.routes.size()},
                               {"sinks", o.sinks.size()}});

    std::string problem;
    auto secrets = load_secrets(o, problem);
    if(!secrets)
        fail(problem);
    if(secrets->empty())
        log.warn("no secrets configured (" + o.secret_env + " is unset, no --secrets-file): every delivery to " +
                 o.path + " will be answered " + std::to_string(o.unverified_status));

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
    rx.on_any([&](cw::event const& e) {
        lines.append_with([&](std::string& buf) { cw::append_json_line(buf, e, with_records); });
        if(log.enabled(log_level::debug))
            log.debug("event", {{"event_name", e.event_name}, {"record_id", e.record_id}, {"webhook_id", e.webhook_id},
                                {"sequence", e.sequence}, {"idempotency_key", e.idempotency_key}});
    });
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
    rx.on_transition([&](cw::transition const& t) {
        lines.append_with([&](std::string& buf) { cw::append_json_line(buf, t); });
    });
    rx.on_merge([&](cw::fleet_merge const& m) { lines.append(cw::to_json_line(m)); });
    rx.on_dead_letter([&](cw::dead_letter const& d) { lines.append(cw::to_json_line(d)); });
    rx.on_subscription([&](cw::subscription_event const& e) {
        lines.append(cw::to_json_line(e));
        if(e.delivery_stopped() || e.delivered_by.empty())
            log.write(e.delivery_stopped() ? log_level::warn : log_level::info,
                      "subscription " + e.subscription_id + " " + e.action +
                          (e.delivery_stopped() ? ": Catena stopped delivering to it" : ""),
                      {{"subscription_id", e.subscription_id}, {"action", e.action}});
    });
    rx.on_delivery_gap([&](cw::delivery_gap const& g) {
        lines.append(cw::to_json_line(g));
        auto const from = cw::format_rfc3339(g.from, cw::utc_suffix::z), to = cw::format_rfc3339(g.to, cw::utc_suffix::z);
        log.warn("subscription " + g.subscription_id + " delivered nothing from " + from + " to " + to + " (" + g.cause +
                     "): fetch that window from the REST API",
                 {{"subscription_id", g.subscription_id}, {"from", from}, {"to", to}, {"cause", g.cause}});
    });
    // Rejections are operators' news, not events: they go to the log, rate-limited per second,
    // with a line for what was suppressed (report_log), summarised once a second.
    report_log reports(log);
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
                log.warn("leadership of the shared store lost; stopping");
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
                log.info("secrets reloaded (" + std::to_string(fresh->subscription_count()) + " subscriptions, " +
                             std::to_string(fresh->default_count()) + " default)",
                         {{"subscriptions", fresh->subscription_count()}, {"defaults", fresh->default_count()}});
                rx.set_secrets(std::move(*fresh));
            }
            else
            {
                log.error("secrets not reloaded, keeping the previous ones: " + why);
            }
            notify_ready(fresh ? "listening; secrets reloaded" : "listening; secrets not reloaded: " + why);
            signals.async_wait(on_signal);
            return;
        }
        log.info("draining", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
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
    // The addresses end their lines: scripts read the port that follows "listening on ".
    log.info("listening on " + endpoint_text(rx.local_endpoint()));
    for(auto const& r : routes)
        log.info("route " + r.path + " (" + r.provider + "): token " +
                 (r.token.empty() ? "none" : r.token_header.empty() ? "in the path" : r.token_header) + ", " +
                 std::to_string(r.allow.size()) + " allowed networks");
    if(auto admin = rx.admin_endpoint())
        log.info("admin (health, metrics, state API, status page) on " + endpoint_text(*admin));
    if(!o.store.empty())
        log.info("store: PostgreSQL, shared; processing once this receiver leads (metric catena_webhooks_store_leader)");
    for(auto const& st : sinks->status())
        log.info("sink " + st.name);
    sinks->start();
    notify_ready("listening on " + endpoint_text(rx.local_endpoint()));
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
        log.warn(std::to_string(n) + " messages not acknowledged by the sinks within --shutdown-timeout",
                 {{"messages", n}});
        drained = false;
    }
    lines.flush();
    reports.flush(true);
    if(!drained)
    {
        log.error("stopped without a full drain (--shutdown-timeout " + std::to_string(o.shutdown_timeout_ms) +
                  " ms): what was not written stays in the inbox and is processed at the next start");
        return 1;
    }
    if(leadership_lost.load())
    {
        log.warn("stopped (leadership lost)");
        return 75;
    }
    log.info("stopped");
    return 0;
}
