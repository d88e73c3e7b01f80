// SPDX-License-Identifier: BSL-1.0
// lib/receiver/receiver_impl.hpp - the receiver's parts wired together: the store, intake, listeners,
// processing, healing and polling, the watchdog of stop(), and the queries the state API reads.
#ifndef CATENA_WEBHOOKS_RECEIVER_RECEIVER_IMPL_HPP
#define CATENA_WEBHOOKS_RECEIVER_RECEIVER_IMPL_HPP

#include <catena/webhooks/receiver.hpp>

#include "delivery/handler_registry.hpp"
#include "delivery/processor.hpp"
#include "detail/counters.hpp"
#include "detail/subscription_book.hpp"
#include "clients/healer.hpp"
#include "http/intake.hpp"
#include "http/listener.hpp"
#include "http/receive_gate.hpp"
#include "http/state_api.hpp"
#include "providers/route_table.hpp"
#include "receiver/metrics.hpp"
#include "receiver/options_check.hpp"
#include "clients/operation_poller.hpp"
#include "processing/fleet_directory.hpp"
#include "store/open.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <sys/resource.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace catena::webhooks {

namespace net = boost::asio;

struct receiver::impl : std::enable_shared_from_this<receiver::impl>, detail::state_source
{
    impl(net::any_io_executor ex_, receiver_options o)
        : ex(std::move(ex_))
        , opts(std::move(o))
        , in(opts, counts, reporter())
        , http(ex, opts, counts, in, reporter(), opts.admin_listen ? detail::routes::deliveries : detail::routes::all)
        , gate(http)
        , proc(ex, opts, handlers, counts, reporter(), in.routes())
    {
        if(opts.admin_listen)
            admin.emplace(ex, opts, counts, in, reporter(), detail::routes::admin);
        in.track_subscriptions(book);
        proc.track_subscriptions(book);
    }

    ~impl()
    {
        // First: a shared store's election thread calls into the members below.
        store.reset();
        end_watchdog();
    }

    net::any_io_executor ex;
    receiver_options const opts;
    detail::counters counts;
    detail::handler_registry handlers; // frozen by start()
    detail::subscription_book book;
    std::unique_ptr<detail::healer> heal; // set by start() when options.heal.enabled
    std::unique_ptr<detail::operation_poller> poll; // set by start() when options.operations.enabled
    std::unique_ptr<detail::store> store; // set by start()
    detail::intake in;
    detail::listener http;
    detail::receive_gate gate; // receive(): requests from the partner's own server, as http's
    std::optional<detail::listener> admin;
    detail::processor proc;
    // The ways deliveries come in that have not drained since stop(): the listener and
    // receive(). Once both have, processing is told that nothing more is coming.
    std::atomic<int> ways_open{2};
    void way_drained()
    {
        if(ways_open.fetch_sub(1) == 1)
            proc.no_more_deliveries();
    }
    std::string start_detail; // why start() failed, in one line
    std::atomic<bool> started{false};
    // A shared store: whether this receiver has led (processing holds the fleets since), and
    // while it stands by, the fleets as the leader last committed them.
    std::atomic<bool> has_led{false};
    mutable std::mutex mirror_mutex;
    std::shared_ptr<detail::fleet_directory const> mirror; // under mirror_mutex

    // The bound on stop(): a thread of its own, so that it holds no work in the io_context
    // and fires even when the I/O threads are stuck.
    std::mutex stop_mutex;
    std::condition_variable stop_cv;
    std::optional<std::chrono::steady_clock::time_point> stop_deadline; // under stop_mutex
    bool watchdog_done = false;                                           // under stop_mutex
    bool waited = false;                                                  // under stop_mutex
    std::atomic<bool> timed_out{false};
    std::thread watchdog;

    void arm_watchdog()
    {
        std::lock_guard lock(stop_mutex);
        if(stop_deadline)
            return;
        stop_deadline = std::chrono::steady_clock::now() + opts.timeouts.shutdown_timeout;
        watchdog = std::thread([this, deadline = *stop_deadline] {
            std::unique_lock wait_lock(stop_mutex);
            if(stop_cv.wait_until(wait_lock, deadline, [this] { return watchdog_done; }))
                return;
            wait_lock.unlock();
            give_up();
        });
    }

    // Out of time: close every connection and stop processing; what is not written stays in
    // the inbox.
    void give_up()
    {
        if(timed_out.exchange(true))
            return;
        reporter()(error::shutdown_timed_out, 0,
                   "not drained within " + std::to_string(opts.timeouts.shutdown_timeout.count()) +
                       " ms; closing every connection and giving up on processing",
                   {}, {});
        http.stop_hard();
        if(admin)
            admin->stop_hard();
        proc.abandon();
    }

    void end_watchdog()
    {
        {
            std::lock_guard lock(stop_mutex);
            watchdog_done = true;
        }
        stop_cv.notify_all();
        if(watchdog.joinable() && watchdog.get_id() != std::this_thread::get_id())
            watchdog.join();
    }

    bool wait_stopped()
    {
        std::optional<std::chrono::steady_clock::time_point> deadline;
        {
            std::lock_guard lock(stop_mutex);
            if(waited)
                return !timed_out.load();
            waited = true;
            deadline = stop_deadline;
        }
        bool drained = true;
        if(store)
            drained = store->sync_until(deadline ? *deadline : std::chrono::steady_clock::time_point::max());
        if(!drained && !timed_out.exchange(true))
            reporter()(error::shutdown_timed_out, 0,
                       "the store could not write everything within " +
                           std::to_string(opts.timeouts.shutdown_timeout.count()) +
                           " ms; what was not written is processed again at the next start",
                       {}, {});
        end_watchdog();
        return !timed_out.load();
    }

    // The descriptor limit: raised to its hard limit, so that the connection bound derived
    // from it is as high as the system allows.
    void raise_descriptor_limit()
    {
        rlimit rl{};
        if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
        {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }

    // Every report goes to the on_error hook, which must not throw; if it does, the report
    // is dropped rather than the connection or the processing loop.
    detail::intake::report_fn reporter()
    {
        return [this](error_code ec, unsigned status, std::string text, std::string request_id, std::string webhook_id) {
            auto const& hook = handlers.errors.current;
            if(!hook)
                return;
            try
            {
                hook(error_report{ec, reason(ec), status, std::move(text), std::move(request_id), std::move(webhook_id)});
            }
            catch(...)
            {
            }
        };
    }

    // A receiver that would refuse every Catena delivery says so once, when it starts (an unset
    // environment variable makes secrets.add() return false, which is easy to ignore).
    void report_unusable(secret_ring const& ring)
    {
        if(!ring.usable_at(opts.clock()))
            reporter()(error::no_usable_secret, 0,
                       ring.empty() ? "no secret was added (secrets.add() ignores an empty one): every delivery to " +
                                          opts.path + " will be answered " + std::to_string(opts.unverified_status)
                                    : "every secret has expired or only unused defaults are set: every delivery to " +
                                          opts.path + " will be answered " + std::to_string(opts.unverified_status),
                       {}, {});
    }

    // Every registration: recorded before start(), reported and ignored after it.
    receiver& registered(receiver& rx, error_code ec, std::string_view what)
    {
        if(ec)
            reporter()(ec, 0, std::string(what) + " after start() is ignored", {}, {});
        return rx;
    }
    template<class Slot, class H>
    receiver& add(receiver& rx, Slot& slot, H h, char const* what)
    {
        return registered(rx, handlers.add(slot, std::move(h)), what);
    }

    // Opens the store and takes back what an earlier run left in it.
    error_code open_store(detail::recovered_state& r)
    {
        detail::store_threads t;
        // A transaction's completions come back to the I/O threads in one hand-off; each
        // answer then reaches its connection's strand without another trip through the queue.
        t.run_completions = [ex = ex](std::function<void()> f) { net::post(ex, std::move(f)); };
        // Commits of appends on the I/O threads (durability process). The store lives as long
        // as this impl: a commit posted after it is gone does nothing.
        t.run_commits = [ex = ex, weak = weak_from_this()](std::function<void()> f) {
            net::post(ex, [weak, f = std::move(f)] {
                if(auto self = weak.lock())
                    f();
            });
        };
        error_code ec;
        store = detail::open_store(opts, std::move(t), r, ec, start_detail);
        return ec;
    }

    // The hooks run on the store's election thread, which store.reset() ends before any
    // member goes (~impl): they hold the receiver weakly, and what they post locks it there.
    void lead()
    {
        detail::leadership_hooks h;
        h.gained = [this] {
            net::post(proc.strand(), [weak = weak_from_this()] {
                if(auto self = weak.lock())
                    self->take_lead();
            });
        };
        h.lost = [this] {
            net::post(ex, [weak = weak_from_this()] {
                auto self = weak.lock();
                if(!self)
                    return;
                self->reporter()(error::leadership_lost, 0,
                                 "another receiver leads the shared store now; this one stopped processing and keeps "
                                 "deliveries only (restart it to stand by)",
                                 {}, {});
                self->proc.abandon();
            });
        };
        h.arrived = [this] { proc.schedule(); };
        h.shared_state = [this](std::vector<detail::fleet_capture> fleets, std::vector<transition> transitions) {
            auto d = std::make_shared<detail::fleet_directory>(opts.processing.max_history_per_fleet);
            for(auto& f : fleets)
                d->restore(std::move(f));
            d->restore_history(transitions);
            std::lock_guard lock(mirror_mutex);
            mirror = std::move(d);
        };
        store->lead(std::move(h));
    }

    // On the processing strand: elected, the state is loaded as a restart loads it.
    void take_lead()
    {
        if(proc.closed())
            return;
        detail::recovered_state r;
        if(auto ec = store->recover(r, opts.clock()))
        {
            reporter()(ec, 0, "elected, but cannot read the shared store; not processing", {}, {});
            return;
        }
        proc.attach(*store, std::move(r), shared_from_this());
        has_led.store(true);
        proc.schedule();
    }

    // The fleets queries read: processing's, or while a shared store's standby, the mirror.
    std::shared_ptr<detail::fleet_directory const> fleets_view() const
    {
        if(!store || !store->shared() || has_led.load())
            return {std::shared_ptr<void>(), &proc.fleets()};
        std::lock_guard lock(mirror_mutex);
        if(mirror)
            return mirror;
        return {std::shared_ptr<void>(), &proc.fleets()};
    }

    detail::metrics_snapshot snapshot() const
    {
        detail::metrics_snapshot m;
        m.requests = counts.load();
        m.pipeline = proc.pipeline_snapshot();
        m.callback_retries = proc.callbacks().retries();
        m.callback_dead_letters = proc.callbacks().dead_lettered();
        m.callback_backlog = proc.callbacks().backlog();
        if(store)
        {
            m.inbox_depth = store->backlog();
            m.inbox_bytes = store->backlog_bytes();
            if(auto oldest = store->oldest_unprocessed())
                m.processing_lag_seconds = std::chrono::duration<double>(opts.clock() - *oldest).count();
            m.store_bytes = store->size_on_disk();
            m.store = store->stats();
        }
        return m;
    }

    // Self-healing: the healer hears of stopped subscriptions from processing and reports
    // its steps and gaps back through it, on the processing strand.
    void start_healing()
    {
        // Every hook holds the receiver weakly: the healer's calls may end after it is gone.
        std::weak_ptr<impl> weak = shared_from_this();
        detail::healer::hooks h;
        h.serves = [weak](std::string const& id) {
            auto self = weak.lock();
            if(!self)
                return false;
            if(self->in.names(id))
                return true;
            auto const seen = self->book.find(id);
            return seen && seen->deliveries > 0;
        };
        h.last_delivery = [weak](std::string const& id) -> std::optional<timestamp> {
            auto self = weak.lock();
            auto const seen = self ? self->book.find(id) : std::nullopt;
            return seen ? seen->last_delivery_at : std::nullopt;
        };
        h.step = [weak](subscription_event e) {
            if(auto self = weak.lock())
                net::post(self->proc.strand(), [self, e = std::move(e)]() mutable { self->proc.report_step(std::move(e)); });
        };
        h.gap = [weak](delivery_gap g) {
            if(auto self = weak.lock())
            {
                if(self->poll)
                    self->poll->gap(g);
                net::post(self->proc.strand(), [self, g = std::move(g)]() mutable { self->proc.report_gap(std::move(g)); });
            }
        };
        h.report = [weak](error_code ec, std::string text) {
            if(auto self = weak.lock())
                self->reporter()(ec, 0, std::move(text), {}, {});
        };
        h.clock = opts.clock;
        heal = std::make_unique<detail::healer>(ex, opts.heal, std::move(h));
        heal->start();
    }

    // Polling of operations whose result webhook does not come: the poller hears of every
    // operation tracked and decided from processing, and hands what it finds back to it.
    void start_polling()
    {
        std::weak_ptr<impl> weak = shared_from_this();
        detail::operation_poller::hooks h;
        h.found = [weak](operation_result r) {
            if(auto self = weak.lock())
                net::post(self->proc.strand(), [self, r = std::move(r)]() mutable { self->proc.complete_polled(std::move(r)); });
        };
        h.report = [weak](error_code ec, std::string text) {
            if(auto self = weak.lock())
                self->reporter()(ec, 0, std::move(text), {}, {});
        };
        h.clock = opts.clock;
        poll = std::make_unique<detail::operation_poller>(ex, opts.operations, std::move(h));
        net::post(proc.strand(), [self = shared_from_this(), p = poll.get()] {
            self->proc.watch_operations([p](operation_ref r) { p->watch(std::move(r)); },
                                        [p](std::string id) { p->forget(std::move(id)); });
        });
    }

    // Every webhook.* event that stopped a subscription: a heal, and a gap for the poller.
    void watch_stopped()
    {
        if(!heal && !poll)
            return;
        proc.watch_stopped([hl = heal.get(), pl = poll.get()](subscription_event const& e) {
            if(hl)
                hl->stopped(e);
            if(pl)
                pl->stopped(e);
        });
    }

    std::vector<pending_operation> pending_operations() const override
    {
        auto out = proc.pending_operations();
        if(!poll)
            return out;
        auto const polled = poll->snapshot();
        for(auto& p : out)
            if(auto it = polled.find(p.operation_id); it != polled.end())
            {
                p.next_poll = it->second.in_flight ? std::optional(opts.clock()) : it->second.due;
                p.polls = it->second.polls;
                p.last_problem = it->second.last_problem;
            }
        return out;
    }

    // Everything the receiver reports, at one moment: /metrics and /v1/summary read this.
    detail::metrics_snapshot full_snapshot() const
    {
        auto m = snapshot();
        auto const view = fleets_view();
        m.fleets_by = view->tally();
        m.pipeline.fleets = view->fleet_count();
        m.subscriptions = book.list();
        if(heal)
            m.heal = heal->stats();
        m.sinks = sinks_now();
        if(poll)
            m.polls = poll->stats();
        return m;
    }

    std::string metrics() const override { return detail::render_metrics(full_snapshot()); }
    std::vector<detail::summary_number> summary() const override { return detail::summary_of(full_snapshot()); }

    // detail::state_source: what the admin listener's state API reads.
    fleet_page fleet_page_of(fleet_query const& q) const override { return fleets_view()->page(q); }
    std::optional<fleet_state> fleet_of(std::string_view key) const override { return fleets_view()->fleet(key); }
    std::vector<transition> history_of(std::string_view key) const override { return fleets_view()->history(key); }
    std::vector<stored_dead_letter> recent_dead_letters(std::size_t max) const override
    {
        return store ? store->dead_letters(max) : std::vector<stored_dead_letter>{};
    }
    std::optional<stored_dead_letter> dead_letter_of(std::int64_t id) const override
    {
        return store ? store->dead_letter(id) : std::nullopt;
    }
    std::vector<subscription_seen> seen_subscriptions() const override { return book.list(); }
    std::vector<sink_status> sinks_now() const override
    {
        return handlers.sinks ? handlers.sinks.current() : std::vector<sink_status>{};
    }
};

} // namespace catena::webhooks

#endif
