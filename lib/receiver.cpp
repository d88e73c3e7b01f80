// SPDX-License-Identifier: BSL-1.0
// lib/receiver.cpp - the HTTP(S) listener, its sessions, and the processing of kept deliveries.
#include <catena/webhooks/receiver.hpp>

#include <catena/webhooks/envelope.hpp>
#include <catena/webhooks/verifier.hpp>

#include "delivery/dispatcher.hpp"
#include "detail/metrics.hpp"
#include "processing/pipeline.hpp"
#include "store/memory.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <deque>
#include <filesystem>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace catena::webhooks {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

struct string_hash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template<class T>
using string_map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;

// A verifier with its decompression buffer. Pooled: one per connection would keep zlib
// and MAC state for every idle keep-alive connection.
struct verifier_slot
{
    explicit verifier_slot(verify_options o) : v(o) {}
    verifier v;
    std::string buffer;
};

class session_base
{
public:
    virtual ~session_base() = default;
    // Called through the session's executor when the receiver stops.
    virtual void stop_soft() = 0;
    virtual void stop_hard() = 0;
};

} // namespace

//------------------------------------------------------------------------------

namespace {

detail::pipeline_options pipeline_options_of(receiver_options const& o)
{
    detail::pipeline_options p;
    auto const& q = o.processing;
    p.processing = {q.reorder_window,     q.reorder_max_events,    q.reorder_max_bytes,     q.dedup_retention,
                    q.dedup_max_identities, q.max_history_per_fleet, q.max_tracked_operations};
    p.envelope = o.limits.envelope;
    p.identity_clock_margin = o.window.max_future + std::chrono::seconds(10);
    return p;
}

} // namespace

struct receiver::impl : std::enable_shared_from_this<receiver::impl>, detail::pipeline_sink
{
    impl(net::any_io_executor ex_, receiver_options o)
        : ex(std::move(ex_))
        , opts(std::move(o))
        , accept_strand(net::make_strand(ex))
        , processing(net::make_strand(ex))
        , accept_retry(accept_strand)
        , grace_timer(accept_strand)
        , release_timer(processing)
        , backlog_timer(processing)
        , flush_timer(processing)
        , secrets(std::make_shared<secret_ring const>(opts.secrets))
        , pipe(pipeline_options_of(opts), *this)
    {
        detail::dispatcher::hooks h;
        h.report = [this](error_code ec, std::string text, detail::callback_job const& job) {
            if(ec == error::handler_exception)
                metrics.callback_errors.fetch_add(1, std::memory_order_relaxed);
            report(ec, 0, std::move(text), job.ev ? job.ev->request_id : std::string(),
                   job.ev ? job.ev->webhook_id : std::string());
        };
        h.dead_letter = [this](dead_letter&& d) { keep_dead_letter(std::move(d)); };
        disp = std::make_shared<detail::dispatcher>(processing, opts.processing.callback_executor,
                                                    opts.processing.callbacks, std::move(h));
    }

    net::any_io_executor ex;
    receiver_options opts;
    net::strand<net::any_io_executor> accept_strand;
    net::strand<net::any_io_executor> processing;
    std::optional<tcp::acceptor> acceptor;
    net::steady_timer accept_retry;
    net::steady_timer grace_timer;
    net::steady_timer release_timer; // on the processing strand
    net::steady_timer backlog_timer; // on the processing strand
    net::steady_timer flush_timer;   // on the processing strand
    std::unique_ptr<ssl::context> tls;
    tcp::endpoint bound;

    detail::metrics metrics;
    std::unique_ptr<detail::store> store; // set by start()
    std::string start_detail;             // why start() failed, in one line
    std::atomic<std::shared_ptr<secret_ring const>> secrets;

    // Handlers: written before start(), read-only afterwards.
    string_map<std::vector<event_handler>> exact_handlers;
    string_map<std::vector<event_handler>> resource_handlers;
    std::vector<event_handler> any_handlers;
    event_handler unhandled_handler;
    error_handler error_hook;
    dead_letter_handler dead_letter_hook;
    std::vector<transition_handler> transition_handlers;
    std::vector<merge_handler> merge_handlers;
    std::vector<subscription_handler> subscription_handlers;
    std::function<void()> before_progress_hook;

    std::atomic<bool> started{false};
    std::atomic<bool> stopping{false};
    std::atomic<bool> processing_scheduled{false};

    std::mutex pool_mutex;
    std::vector<std::unique_ptr<verifier_slot>> pool;

    std::mutex sessions_mutex;
    std::unordered_map<session_base*, std::weak_ptr<session_base>> sessions;

    // Processing: the pipeline and the dispatcher are used on the processing strand only.
    detail::pipeline pipe;
    std::shared_ptr<detail::dispatcher> disp;
    std::optional<timestamp> release_at; // when release_timer is set to fire
    bool flushed = false;                 // stop() completed processing
    std::atomic<bool> sessions_closed{false};
    std::atomic<bool> accepting_closed{false};

    // Snapshots for other threads, refreshed after each processing turn.
    mutable std::mutex snapshot_mutex;
    detail::pipeline_stats pipe_stats;
    std::deque<dead_letter> recent_dead_letters;
    static constexpr std::size_t max_recent_dead_letters = 1000;

    //--------------------------------------------------------------------------

    void report(error_code ec, unsigned status, std::string detail_text, std::string request_id = {},
                std::string webhook_id = {}) noexcept
    {
        if(!error_hook)
            return;
        try
        {
            error_report r{ec, reason(ec), status, std::move(detail_text), std::move(request_id), std::move(webhook_id)};
            error_hook(r);
        }
        catch(...)
        {
            // The error hook must not throw; if it does, the report is dropped rather
            // than the connection or the processing loop.
        }
    }

    std::unique_ptr<verifier_slot> acquire_verifier()
    {
        {
            std::lock_guard lock(pool_mutex);
            if(!pool.empty())
            {
                auto s = std::move(pool.back());
                pool.pop_back();
                return s;
            }
        }
        return std::make_unique<verifier_slot>(verify_options{opts.window, opts.limits.inflate});
    }

    void release_verifier(std::unique_ptr<verifier_slot> s)
    {
        // Do not keep a huge inflate buffer around because of one large body.
        if(s->buffer.capacity() > (1u << 20))
            std::string().swap(s->buffer);
        std::lock_guard lock(pool_mutex);
        if(pool.size() < 64)
            pool.push_back(std::move(s));
    }

    void add_session(session_base* p, std::weak_ptr<session_base> w)
    {
        std::lock_guard lock(sessions_mutex);
        sessions.emplace(p, std::move(w));
    }

    void remove_session(session_base* p)
    {
        bool last = false;
        {
            std::lock_guard lock(sessions_mutex);
            sessions.erase(p);
            last = sessions.empty();
        }
        metrics.connections_active.fetch_sub(1, std::memory_order_relaxed);
        if(last && accepting_closed.load())
        {
            net::post(accept_strand, [self = shared_from_this()] { self->grace_timer.cancel(); });
            no_more_deliveries();
        }
    }

    // Every session is gone and the acceptor is closed: the inbox will receive nothing more.
    void no_more_deliveries()
    {
        if(!sessions_closed.exchange(true))
            schedule_processing();
    }

    template<class F>
    void for_each_session(F f)
    {
        std::vector<std::shared_ptr<session_base>> live;
        {
            std::lock_guard lock(sessions_mutex);
            for(auto& [p, w] : sessions)
                if(auto s = w.lock())
                    live.push_back(std::move(s));
        }
        for(auto& s : live)
            f(s);
    }

    //--------------------------------------------------------------------------
    // Request handling

    struct answer
    {
        unsigned status = 202;
        error_code ec;
    };

    // Verifies and keeps one delivery, then calls done(answer) once the store has kept it or
    // refused it: at once on a verification failure, otherwise possibly from the store's
    // writer thread. Runs on the session's strand; never blocks.
    template<class Fields, class Done>
    void deliver(http::request<http::string_body, Fields>& req, std::string const& remote, Done done)
    {
        auto field = [&req](std::string_view name) -> std::string_view {
            auto it = req.find(name);
            return it == req.end() ? std::string_view{} : std::string_view(it->value());
        };
        delivery_headers h{field(header::signature),  field(header::timestamp),  field(header::webhook_id),
                           field(http::to_string(http::field::content_encoding)), field(header::event_type),
                           field(header::request_id), field(header::delivery_attempt)};
        auto const now = opts.clock();
        auto slot = acquire_verifier();
        auto const ring = secrets.load(std::memory_order_acquire);
        auto r = slot->v.verify(h, req.body(), *ring, now, slot->buffer);
        if(!r)
        {
            release_verifier(std::move(slot));
            answer a{http_status(r.error()), r.error()};
            if(r.error() == condition::unauthenticated)
                a.status = opts.unverified_status;
            report(r.error(), a.status, "delivery from " + remote, std::string(h.request_id), std::string(h.webhook_id));
            return done(a);
        }

        detail::inbox_entry e;
        // An identity body is the request body itself: move it instead of copying.
        if(r->body.data() == req.body().data())
            e.body = std::move(req.body());
        else
        {
            e.body.assign(r->body);
            // A store on disk writes the compressed body: about half the bytes.
            if(store->keeps_state())
                e.gzip_body = std::move(req.body());
        }
        release_verifier(std::move(slot));
        e.webhook_id = h.webhook_id;
        e.request_id = h.request_id;
        e.event_type = h.event_type;
        e.delivery_attempt = parse_delivery_attempt(h.delivery_attempt).value_or(1);
        e.sent_at = r->sent_at;
        e.received_at = now;
        std::string request_id(h.request_id), webhook_id(h.webhook_id);
        store->append(std::move(e), now,
                      [self = shared_from_this(), done = std::move(done), remote, request_id = std::move(request_id),
                       webhook_id = std::move(webhook_id)](detail::append_status st, std::uint64_t, error_code ec) mutable {
                          switch(st)
                          {
                          case detail::append_status::kept:
                              self->schedule_processing();
                              return done(answer{202, {}});
                          case detail::append_status::duplicate:
                              self->metrics.count_duplicate_request();
                              return done(answer{202, {}});
                          case detail::append_status::full:
                          case detail::append_status::failed:
                              break;
                          }
                          answer a{503, ec ? ec : make_error_code(error::store_failure)};
                          self->report(a.ec, a.status,
                                       (st == detail::append_status::full ? "backlog full; delivery from "
                                                                           : "could not keep the delivery from ") +
                                           remote,
                                       std::move(request_id), std::move(webhook_id));
                          done(a);
                      });
    }

    //--------------------------------------------------------------------------
    // Processing (on the processing strand)

    void schedule_processing()
    {
        if(!processing_scheduled.exchange(true))
            net::post(processing, [self = shared_from_this()] { self->process_some(); });
    }

    void process_some()
    {
        processing_scheduled.store(false);
        if(flushed)
            return;
        // A bounded batch per turn so that a long backlog does not starve other work on
        // the same executor.
        auto const now = opts.clock();
        if(disp->backlog() >= opts.processing.max_callback_backlog && !sessions_closed.load())
        {
            // Callbacks are behind: leave deliveries in the inbox (which answers 503 when
            // full) and look again shortly.
            backlog_timer.expires_after(std::chrono::milliseconds(5));
            backlog_timer.async_wait([self = shared_from_this()](error_code ec) {
                if(!ec)
                    self->schedule_processing();
            });
            return;
        }
        auto batch = store->take(256);
        {
            struct recalls
            {
                detail::store& s;
                explicit recalls(detail::store& st) : s(st) { s.begin_recalls(); }
                ~recalls() { s.end_recalls(); }
            } bracket(*store);
            for(auto& e : batch)
                push(e, now);
        }
        pipe.release(opts.clock());
        if(pending.processed.size() >= 1024)
            flush_progress();
        if(batch.size() == 256)
            schedule_processing();
        else if(sessions_closed.load())
            return final_flush();
        arm_release_timer();
        publish_snapshot();
    }

    //--------------------------------------------------------------------------
    // Progress: a delivery is processed once every event it held has settled and every
    // callback of those events has finished (a marker job behind them in their fleet's
    // queue). Then its processed mark, identities, the fleet snapshots its events left and
    // their transitions are committed together, so a restart neither skips nor repeats.

    struct entry_progress
    {
        std::int64_t outstanding = 0; // events not settled-and-called-back yet
        bool pushing = true;
        std::size_t bytes = 0;
        std::vector<detail::identity_key> identities;
        timestamp seen{};
    };
    std::unordered_map<std::uint64_t, entry_progress> entries;
    detail::progress pending;
    std::unordered_map<std::string, detail::fleet_capture> pending_snapshots; // serialized at flush
    std::vector<std::string> settle_removed;          // merges since the last settled event
    std::vector<transition> settle_transitions;       // transitions since the last settled event
    bool flush_scheduled = false;

    void push(detail::inbox_entry const& e, timestamp now)
    {
        auto& ep = entries[e.sequence];
        ep.bytes = e.bytes();
        ep.seen = now;
        auto r = pipe.push(e, now);
        auto it = entries.find(e.sequence);
        it->second.identities = std::move(r.identities);
        it->second.outstanding += static_cast<std::int64_t>(r.events);
        it->second.pushing = false;
        if(it->second.outstanding <= 0)
            complete(it);
    }

    void complete(std::unordered_map<std::uint64_t, entry_progress>::iterator it)
    {
        pending.processed.push_back(it->first);
        pending.processed_bytes += it->second.bytes;
        for(auto const& d : it->second.identities)
            pending.identities.emplace_back(d, it->second.seen);
        entries.erase(it);
        request_flush();
    }

    void on_settled(std::uint64_t sequence, std::string const& fleet_key) override
    {
        auto job = detail::callback_job{};
        job.internal = true;
        job.handler = "settle";
        // A store that keeps nothing across restarts needs no fleet snapshots.
        std::optional<detail::fleet_capture> snapshot;
        if(!fleet_key.empty() && store->keeps_state())
            snapshot = pipe.fleets().capture(fleet_key);
        job.call = [this, sequence, key = fleet_key, snapshot = std::move(snapshot), removed = std::move(settle_removed),
                    ts = std::move(settle_transitions)]() mutable {
            for(auto& k : removed)
            {
                pending_snapshots.erase(k);
                pending.removed_fleets.push_back(std::move(k));
            }
            if(snapshot)
                pending_snapshots[key] = std::move(*snapshot);
            for(auto& t : ts)
                pending.transitions.push_back(std::move(t));
            if(auto it = entries.find(sequence); it != entries.end())
                if(--it->second.outstanding <= 0 && !it->second.pushing)
                    complete(it);
            request_flush();
        };
        settle_removed.clear();
        settle_transitions.clear();
        dispatcher().enqueue(fleet_key, std::move(job));
    }

    // Progress is written behind, coalesced over opts.store.progress_interval: a lost mark
    // only means a delivery is processed again after a crash. A flush that comes first (a
    // full batch, the final one) leaves the timer armed; arming it again cancels that wait,
    // whose handler then must not flush too (it did: from then on every settled delivery
    // cancelled the wait before it and so committed its progress at once, alone).
    void request_flush()
    {
        if(flush_scheduled)
            return;
        flush_scheduled = true;
        // After the final flush (stopping), what settles late is written at once: a pending
        // wait would keep the io_context running for up to the interval.
        flush_timer.expires_after(flushed ? std::chrono::milliseconds(0) : opts.store.progress_interval);
        flush_timer.async_wait([self = shared_from_this()](error_code ec) {
            if(ec != net::error::operation_aborted)
                self->flush_progress();
        });
    }

    void flush_progress()
    {
        flush_scheduled = false;
        if(!store)
            return;
        for(auto& [k, snap] : pending_snapshots)
            pending.fleets.push_back(std::move(snap));
        pending_snapshots.clear();
        if(pending.empty())
            return;
        if(before_progress_hook)
        {
            try
            {
                before_progress_hook();
            }
            catch(std::exception const& e)
            {
                // Not recorded yet: tried again with the next flush.
                report(error::handler_exception, 0, std::string("on_before_progress threw: ") + e.what(), {}, {});
                if(!stopping.load())
                    request_flush();
                return;
            }
        }
        store->commit(std::move(pending));
        pending = {};
    }

    // Wakes the processing strand when the next held event or operation deadline is due.
    void arm_release_timer()
    {
        auto const due = pipe.next_due();
        if(!due || (release_at && *release_at <= *due))
            return;
        release_at = due;
        auto const wait = *due - opts.clock();
        release_timer.expires_after(wait.count() > 0 ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait)
                                                     : std::chrono::steady_clock::duration::zero());
        release_timer.async_wait([self = shared_from_this()](error_code ec) {
            if(ec)
                return;
            self->release_at.reset();
            if(self->flushed)
                return;
            self->pipe.release(self->opts.clock());
            self->arm_release_timer();
            self->publish_snapshot();
        });
    }

    // After stop(): the last session is gone, so nothing more enters the inbox. Process what
    // it holds, release everything held, and let failing callbacks retry without waiting.
    void final_flush()
    {
        if(flushed)
            return;
        for(auto batch = store->take(256); !batch.empty(); batch = store->take(256))
            for(auto& e : batch)
                push(e, opts.clock());
        pipe.flush(opts.clock());
        flush_progress();
        flush_timer.cancel();
        flushed = true;
        release_at.reset();
        release_timer.cancel();
        disp->hurry();
        publish_snapshot();
    }

    std::string metrics_text() const
    {
        detail::metrics::gauges g;
        if(store)
        {
            g.inbox_depth = store->backlog();
            g.inbox_bytes = store->backlog_bytes();
            if(auto oldest = store->oldest_unprocessed())
                g.processing_lag_seconds = std::chrono::duration<double>(opts.clock() - *oldest).count();
        }
        detail::pipeline_stats p;
        {
            std::lock_guard lock(snapshot_mutex);
            p = pipe_stats;
        }
        auto d = [](auto v) { return static_cast<double>(v); };
        auto const w = store ? store->stats() : detail::store_stats{};
        g.extras = {
            {"duplicate_events_total", "Retries and replays of events already seen, not dispatched again.", true, d(p.duplicate_events)},
            {"late_events_total", "Events dispatched flagged late (older than what their fleet had released).", true, d(p.late_events)},
            {"transitions_total", "Fleet stage and health transitions.", true, d(p.transitions)},
            {"fleet_merges_total", "Journeys merged into their fleet once linked.", true, d(p.merges)},
            {"impossible_transitions_total", "Events whose stage move the lifecycle does not allow (not applied).", true, d(p.impossible_transitions)},
            {"released_early_total", "Events released before their reorder window ended (buffer full).", true, d(p.released_early)},
            {"dedup_evicted_early_total", "Event identities forgotten from memory before their retention ended (memory bound; with a data dir they are looked up on disk).", true, d(p.dedup_evicted_early)},
            {"dedup_lookups_total", "Event identities looked up on disk (older than memory covers).", true, d(p.identity_lookups)},
            {"dedup_recalled_total", "Of those, found on disk: duplicates older than memory covers.", true, d(p.identities_recalled)},
            {"operations_completed_total", "Tracked resource operations completed.", true, d(p.operations_completed)},
            {"operations_timed_out_total", "Tracked resource operations that timed out.", true, d(p.operations_timed_out)},
            {"callback_retries_total", "Callback attempts retried after a failure.", true, d(disp->retries())},
            {"callback_dead_letters_total", "Callbacks dead-lettered after every attempt failed.", true, d(disp->dead_lettered())},
            {"reorder_held_events", "Events held in the reorder window.", false, d(p.held)},
            {"reorder_held_bytes", "Approximate bytes held in the reorder window.", false, d(p.held_bytes)},
            {"dedup_identities", "Event identities held in memory.", false, d(p.identities)},
            {"dedup_memory_bytes", "Bytes of the in-memory identity table.", false, d(p.identity_memory_bytes)},
            {"fleets", "Fleets known.", false, d(p.fleets)},
            {"tracked_operations", "Resource operations awaiting their outcome.", false, d(p.tracked_operations)},
            {"callback_backlog", "Callback calls queued or waiting for a retry.", false, d(disp->backlog())},
            {"store_bytes", "Size of the durable store on disk (0 in memory).", false,
             d(store ? store->size_on_disk() : 0)},
            {"store_transactions_total", "Write transactions committed to the durable store.", true, d(w.transactions)},
            {"store_appends_total", "Deliveries those transactions kept (per transaction: the group-commit batch).", true, d(w.appends)},
            {"store_pages_written_total", "Database pages those transactions wrote.", true, d(w.pages_written)},
            {"store_write_failures_total", "Write transactions that failed and were rolled back (answered 503).", true, d(w.failures)},
        };
        return metrics.render(g);
    }

    void publish_snapshot()
    {
        auto st = pipe.stats();
        std::lock_guard lock(snapshot_mutex);
        pipe_stats = st;
    }

    //--------------------------------------------------------------------------
    // pipeline_sink (on the processing strand)

    detail::dispatcher& dispatcher() { return *disp; }

    void keep_dead_letter(dead_letter&& d)
    {
        metrics.dead_letters.fetch_add(1, std::memory_order_relaxed);
        pending.dead_letters.push_back(d);
        request_flush();
        {
            std::lock_guard lock(snapshot_mutex);
            recent_dead_letters.push_back(d);
            if(recent_dead_letters.size() > max_recent_dead_letters)
                recent_dead_letters.pop_front();
        }
        if(dead_letter_hook)
            if(auto failure = detail::invoke_callback([&] { dead_letter_hook(d); }))
                report(error::handler_exception, 0, "on_dead_letter threw: " + *failure, d.request_id, d.webhook_id);
    }

    void on_dead_letter(dead_letter&& d) override
    {
        report(d.ec, 202, "dead letter: authentic delivery could not be decoded", d.request_id, d.webhook_id);
        keep_dead_letter(std::move(d));
    }

    void on_problem(error_code ec, std::string text, event const* ev) override
    {
        report(ec, 0, std::move(text), ev ? ev->request_id : std::string(), ev ? ev->webhook_id : std::string());
    }

    template<class H, class Arg>
    void enqueue_calls(std::string const& queue, std::vector<H> const& handlers, std::string const& name,
                       std::shared_ptr<Arg const> const& arg, std::string const& key,
                       std::shared_ptr<event const> const& ev, std::string (*describe)(Arg const&))
    {
        for(auto const& h : handlers)
        {
            detail::callback_job job;
            job.call = [&h, arg] { h(*arg); };
            job.handler = name;
            job.idempotency_key = key;
            job.ev = ev;
            if(!ev && describe)
                job.description = describe(*arg);
            dispatcher().enqueue(queue, std::move(job));
        }
    }

    void on_event(event&& e) override
    {
        metrics.events.fetch_add(1, std::memory_order_relaxed);
        auto ev = std::make_shared<event const>(std::move(e));
        bool handled = false;
        auto run = [&](std::vector<event_handler> const& hs, std::string const& name) {
            if(hs.empty())
                return;
            handled = true;
            enqueue_calls<event_handler, event>(ev->fleet_key, hs, name, ev, ev->idempotency_key, ev, nullptr);
        };
        if(auto it = exact_handlers.find(ev->event_name); it != exact_handlers.end())
            run(it->second, "on(" + it->first + ")");
        if(auto it = resource_handlers.find(ev->resource()); it != resource_handlers.end())
            run(it->second, "on(" + it->first + ".*)");
        run(any_handlers, "on_any");
        if(!handled)
        {
            metrics.unhandled_events.fetch_add(1, std::memory_order_relaxed);
            if(unhandled_handler)
                run_unhandled(ev);
        }
    }

    void run_unhandled(std::shared_ptr<event const> const& ev)
    {
        detail::callback_job job;
        job.call = [this, ev] { unhandled_handler(*ev); };
        job.handler = "on_unhandled";
        job.idempotency_key = ev->idempotency_key;
        job.ev = ev;
        dispatcher().enqueue(ev->fleet_key, std::move(job));
    }

    // What a dead-lettered call was about, as JSON (values escaped by Boost.JSON).
    static std::string describe_transition(transition const& t) { return detail::codec::encode(t); }

    static std::string describe_merge(fleet_merge const& m)
    {
        return boost::json::serialize(boost::json::object{{"kind", "merge"}, {"from", m.from}, {"into", m.into}});
    }

    static std::string describe_operation(operation_result const& r)
    {
        return boost::json::serialize(boost::json::object{{"kind", "operation"}, {"operation_id", r.operation_id}});
    }

    static std::string describe_subscription(subscription_event const& e)
    {
        return boost::json::serialize(boost::json::object{
            {"kind", "subscription"}, {"action", e.action}, {"subscription_id", e.subscription_id}});
    }

    void on_transition(transition&& t) override
    {
        settle_transitions.push_back(t);
        auto p = std::make_shared<transition const>(std::move(t));
        enqueue_calls<transition_handler, transition>(p->fleet_key, transition_handlers, "on_transition", p,
                                                      p->idempotency_key, nullptr, &describe_transition);
    }

    void on_merge(fleet_merge&& m) override
    {
        auto p = std::make_shared<fleet_merge const>(std::move(m));
        settle_removed.push_back(p->from);
        dispatcher().merge(p->from, p->into);
        enqueue_calls<merge_handler, fleet_merge>(p->into, merge_handlers, "on_merge", p,
                                                  "merge/" + p->from + "/" + p->into, nullptr, &describe_merge);
    }

    void on_operation(operation_result&& r, operation_handler&& h) override
    {
        auto p = std::make_shared<operation_result const>(std::move(r));
        detail::callback_job job;
        job.call = [h = std::move(h), p] { h(*p); };
        job.handler = "track_operation(" + p->operation_id + ")";
        job.idempotency_key = p->idempotency_key;
        job.description = describe_operation(*p);
        dispatcher().enqueue(p->fleet_key, std::move(job));
    }

    void on_subscription(subscription_event&& e) override
    {
        auto p = std::make_shared<subscription_event const>(std::move(e));
        enqueue_calls<subscription_handler, subscription_event>("", subscription_handlers, "on_subscription", p,
                                                                p->idempotency_key, nullptr, &describe_subscription);
    }

    //--------------------------------------------------------------------------
    // Accepting

    void do_accept();
    void on_accept(error_code ec, tcp::socket socket);
    void begin_stop();
    error_code validate() const;
    error_code setup_tls();

    // Opens the store and takes back what an earlier run left in it.
    error_code open_store()
    {
        if(store)
            return {};
        detail::store_limits limits;
        limits.max_backlog_entries = opts.limits.max_inbox_entries;
        limits.max_backlog_bytes = opts.limits.max_inbox_bytes;
        limits.request_id_memory = opts.request_id_memory;
        if(opts.store.data_dir.empty())
        {
            store = detail::make_memory_store(limits);
            return {};
        }
        std::error_code fs_ec;
        std::filesystem::create_directories(opts.store.data_dir, fs_ec);
        if(fs_ec)
        {
            start_detail = "cannot create " + opts.store.data_dir + ": " + fs_ec.message();
            return error::store_failure;
        }
        detail::sqlite_options so;
        so.path = detail::database_path(opts.store.data_dir);
        so.level = opts.store.level;
        so.processed_retention = opts.store.processed_retention;
        so.identity_retention = opts.processing.dedup_retention;
        so.max_identities_loaded = opts.processing.dedup_max_identities;
        so.history_per_fleet = opts.processing.max_history_per_fleet;
        so.max_page_count = opts.store.max_page_count;
        // A transaction's completions come back to the I/O threads in one hand-off; each
        // answer then reaches its connection's strand without another trip through the queue.
        so.run_completions = [ex = ex](std::function<void()> f) { net::post(ex, std::move(f)); };
        // Commits of appends on the I/O threads (durability process). The store lives as long
        // as this impl: a commit posted after it is gone does nothing.
        so.run_commits = [ex = ex, weak = weak_from_this()](std::function<void()> f) {
            net::post(ex, [weak, f = std::move(f)] {
                if(auto self = weak.lock())
                    f();
            });
        };
        error_code ec;
        auto s = detail::make_sqlite_store(so, limits, ec, start_detail);
        if(ec)
            return ec;
        detail::recovered_state r;
        if(auto rec = s->recover(r, opts.clock()))
        {
            start_detail = "cannot read the store in " + opts.store.data_dir;
            return rec;
        }
        pipe.restore(std::move(r.fleets), r.transitions, r.identities);
        // Identities committed by earlier runs are on disk, seen before now; memory holds
        // those seen from here on.
        pipe.recall_with([st = s.get()](detail::identity_key const& k) { return st->recall(k); },
                         r.identities_to_recall ? opts.clock() : timestamp{});
        store = std::move(s);
        publish_snapshot();
        return {};
    }
};

//------------------------------------------------------------------------------
// Sessions

namespace {

template<class Stream>
class session final : public session_base, public std::enable_shared_from_this<session<Stream>>
{
public:
    using core_ptr = std::shared_ptr<receiver::impl>;

    template<class... Args>
    session(core_ptr core, tcp::socket&& socket, Args&&... args)
        : core_(std::move(core))
        , stream_(std::move(socket), std::forward<Args>(args)...)
        , timer_(stream_.get_executor())
    {
        error_code ec;
        auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        if(!ec)
            remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    }

    ~session() override { core_->remove_session(this); }

    void run()
    {
        core_->add_session(this, this->weak_from_this());
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
    }

    void stop_soft() override
    {
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
            self->close_after_response_ = true;
            // Waiting for a request that has not begun: nothing is lost by closing now.
            if(self->phase_ == phase::idle)
                self->cancel_io();
        });
    }

    void stop_hard() override
    {
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
            self->close_after_response_ = true;
            self->cancel_io();
            self->close_socket();
        });
    }

private:
    enum class phase
    {
        handshake,
        idle,
        header,
        body,
        processing,
        writing,
        closing,
    };

    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

    void start()
    {
        if constexpr(is_tls)
        {
            phase_ = phase::handshake;
            arm(core_->opts.timeouts.header);
            stream_.async_handshake(ssl::stream_base::server,
                                    [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
        }
        else
        {
            do_read();
        }
    }

    void on_handshake(error_code ec)
    {
        if(ec)
            return finish(ec);
        do_read();
    }

    // Waits for the first bytes of the next request under the idle timeout, then reads the
    // headers under the header timeout: a slow client gets `header` from its first byte,
    // however long it idled before.
    void do_read()
    {
        if(close_after_response_)
            return do_close();
        if(buffer_.size() > 0)
            return do_read_header();
        phase_ = phase::idle;
        arm(core_->opts.timeouts.idle);
        stream_.async_read_some(buffer_.prepare(4096),
                                [self = this->shared_from_this()](error_code ec, std::size_t n) {
                                    self->buffer_.commit(n);
                                    if(ec)
                                        return self->finish(ec);
                                    self->do_read_header();
                                });
    }

    void do_read_header()
    {
        phase_ = phase::header;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(core_->opts.limits.max_header_bytes));
        parser_->body_limit(core_->opts.limits.max_body_bytes);
        arm(core_->opts.timeouts.header);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(error_code ec)
    {
        if(ec)
            return on_read_error(ec);
        auto const& req = parser_->get();
        auto target = std::string_view(req.target());
        target = target.substr(0, target.find('?'));
        auto const& o = core_->opts;
        if(target == o.path)
        {
            if(req.method() != http::verb::post)
                return reject(error::method_not_allowed, "POST");
            if(auto len = parser_->content_length(); len && *len > o.limits.max_body_bytes)
                return reject(error::body_too_large);
            phase_ = phase::body;
            arm(o.timeouts.body);
            return http::async_read(stream_, buffer_, *parser_,
                                    [self = this->shared_from_this()](error_code e, std::size_t) { self->on_body(e); });
        }
        bool const is_health = !o.health_path.empty() && target == o.health_path;
        bool const is_metrics = !o.metrics_path.empty() && target == o.metrics_path;
        if(!is_health && !is_metrics)
            return reject(error::not_found);
        if(req.method() != http::verb::get && req.method() != http::verb::head)
            return reject(error::method_not_allowed, "GET, HEAD");
        if(!parser_->is_done())
            return reject(error::bad_request); // a GET with a body: not worth reading
        if(is_health)
        {
            bool const up = !core_->stopping.load();
            core_->metrics.count_response(up ? 200 : 503, {});
            return respond(up ? 200 : 503, up ? "ok\n" : "stopping\n", "text/plain");
        }
        core_->metrics.count_response(200, {});
        respond(200, core_->metrics_text(), "text/plain; version=0.0.4");
    }

    void on_body(error_code ec)
    {
        if(ec)
            return on_read_error(ec);
        phase_ = phase::processing;
        disarm();
        auto const t0 = std::chrono::steady_clock::now();
        // The answer waits for the store (a commit on disk); it comes back to this strand.
        core_->deliver(parser_->get(), remote_, [self = this->shared_from_this(), t0](receiver::impl::answer a) {
            net::dispatch(self->stream_.get_executor(), [self, a, t0] {
                self->core_->metrics.count_response(a.status, a.ec);
                if(a.status == 202)
                    self->core_->metrics.observe_ack_latency(std::chrono::steady_clock::now() - t0);
                self->respond_status(a.status, a.ec);
            });
        });
    }

    void on_read_error(error_code ec)
    {
        // The reading phase tells a slow-loris from a client that went away.
        if(timed_out_)
        {
            if(phase_ == phase::header)
                return reject(error::header_timeout, {}, true);
            if(phase_ == phase::body)
                return reject(error::body_timeout, {}, true);
        }
        if(ec == http::error::header_limit)
            return reject(error::headers_too_large, {}, true);
        if(ec == http::error::body_limit)
            return reject(error::body_too_large, {}, true);
        if(ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == ssl::error::stream_truncated)
            return finish({});
        if(ec.category() == http::make_error_code(http::error::bad_method).category())
            return reject(error::bad_request, {}, true);
        finish(ec);
    }

    void reject(error e, std::string_view allow = {}, bool force_close = false)
    {
        auto const ec = make_error_code(e);
        unsigned const status = http_status(ec);
        core_->metrics.count_response(status, ec);
        std::string rid, wid;
        if(parser_ && parser_->is_header_done())
        {
            auto const& req = parser_->get();
            if(auto it = req.find(header::request_id); it != req.end())
                rid = it->value();
            if(auto it = req.find(header::webhook_id); it != req.end())
                wid = it->value();
        }
        core_->report(ec, status, "request from " + remote_, std::move(rid), std::move(wid));
        // A body we did not read leaves the stream unusable for a next request.
        if(force_close || !parser_ || !parser_->is_done())
            close_after_response_ = true;
        respond_status(status, ec, allow);
    }

    void respond_status(unsigned status, error_code ec, std::string_view allow = {})
    {
        std::string body = R"({"status":)" + std::to_string(status) + R"(,"reason":")" +
                           std::string(ec ? reason(ec) : std::string_view("accepted")) + "\"}\n";
        respond(status, std::move(body), "application/json", allow, status == 503);
    }

    void respond(unsigned status, std::string body, std::string_view content_type, std::string_view allow = {},
                 bool retry_after = false)
    {
        unsigned const version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
        bool keep_alive = parser_ && parser_->is_header_done() ? parser_->get().keep_alive() : false;
        if(close_after_response_ || core_->stopping.load())
            keep_alive = false;
        res_ = {};
        res_.version(version);
        res_.result(status);
        res_.set(http::field::server, "catena-webhooks");
        res_.set(http::field::content_type, content_type);
        if(!allow.empty())
            res_.set(http::field::allow, allow);
        if(retry_after)
            res_.set(http::field::retry_after, std::to_string(core_->opts.timeouts.retry_after.count()));
        bool const head = parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head;
        res_.body() = head ? std::string() : std::move(body);
        res_.keep_alive(keep_alive);
        res_.prepare_payload();
        close_after_response_ = !keep_alive;

        phase_ = phase::writing;
        arm(core_->opts.timeouts.write);
        http::async_write(stream_, res_,
                          [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(error_code ec)
    {
        if(ec)
            return finish(ec);
        if(close_after_response_)
            return do_close();
        do_read();
    }

    void do_close()
    {
        phase_ = phase::closing;
        if constexpr(is_tls)
        {
            arm(core_->opts.timeouts.write);
            stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->finish({}); });
        }
        else
        {
            error_code ignored;
            beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
            finish({});
        }
    }

    void finish(error_code ec)
    {
        disarm();
        // end_of_stream, aborted operations during stop and TLS truncation after a
        // complete message are how connections normally end; only the rest is news.
        if(ec && ec != net::error::operation_aborted && ec != net::error::eof && ec != http::error::end_of_stream &&
           ec != ssl::error::stream_truncated && ec != net::error::connection_reset &&
           !(timed_out_ && phase_ == phase::idle))
            core_->report(ec, 0, "connection " + remote_);
        close_socket();
    }

    void close_socket()
    {
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

    void cancel_io()
    {
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().cancel(ignored);
    }

    void arm(std::chrono::milliseconds d)
    {
        timed_out_ = false;
        ++timer_generation_;
        timer_.expires_after(d);
        timer_.async_wait([self = this->shared_from_this(), gen = timer_generation_](error_code ec) {
            if(ec || gen != self->timer_generation_)
                return;
            self->timed_out_ = true;
            self->cancel_io();
            // A stalled write or TLS shutdown: nothing more can be said to this peer.
            if(self->phase_ == phase::writing || self->phase_ == phase::closing || self->phase_ == phase::handshake)
                self->close_socket();
        });
    }

    void disarm()
    {
        ++timer_generation_;
        timer_.cancel();
    }

    core_ptr core_;
    Stream stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
    std::string remote_;
    phase phase_ = phase::idle;
    std::uint64_t timer_generation_ = 0;
    bool timed_out_ = false;
    bool close_after_response_ = false;
};

bool transient_accept_error(error_code ec)
{
    return ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
           ec == net::error::connection_aborted || ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

} // namespace

//------------------------------------------------------------------------------

void receiver::impl::do_accept()
{
    if(stopping.load() || !acceptor || !acceptor->is_open())
        return;
    // Each connection gets its own strand.
    acceptor->async_accept(net::make_strand(ex), [self = shared_from_this()](error_code ec, tcp::socket s) {
        self->on_accept(ec, std::move(s));
    });
}

void receiver::impl::on_accept(error_code ec, tcp::socket socket)
{
    if(ec == net::error::operation_aborted || stopping.load())
        return;
    if(ec)
    {
        metrics.accept_errors.fetch_add(1, std::memory_order_relaxed);
        report(ec, 0, "accept failed; retrying");
        // Out of descriptors and the like: pause instead of spinning, then go on.
        accept_retry.expires_after(transient_accept_error(ec) ? std::chrono::milliseconds(50)
                                                              : std::chrono::milliseconds(10));
        accept_retry.async_wait([self = shared_from_this()](error_code e) {
            if(!e)
                self->do_accept();
        });
        return;
    }
    if(metrics.connections_active.load(std::memory_order_relaxed) >= opts.limits.max_connections)
    {
        metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
        error_code ignored;
        socket.close(ignored);
    }
    else
    {
        metrics.connections_accepted.fetch_add(1, std::memory_order_relaxed);
        metrics.connections_active.fetch_add(1, std::memory_order_relaxed);
        socket.set_option(tcp::no_delay(true), ec);
        if(tls)
            std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(shared_from_this(), std::move(socket), *tls)->run();
        else
            std::make_shared<session<beast::tcp_stream>>(shared_from_this(), std::move(socket))->run();
    }
    do_accept();
}

error_code receiver::impl::validate() const
{
    auto const& o = opts;
    bool const ok = !o.path.empty() && o.path.front() == '/' && (o.health_path.empty() || o.health_path.front() == '/') &&
                    (o.metrics_path.empty() || o.metrics_path.front() == '/') && o.health_path != o.path &&
                    o.metrics_path != o.path && (o.unverified_status == 401 || o.unverified_status == 503) &&
                    o.limits.max_body_bytes > 0 && o.limits.max_header_bytes >= 1024 && o.limits.max_connections > 0 &&
                    o.limits.max_inbox_entries > 0 && o.limits.max_inbox_bytes > 0 &&
                    o.limits.inflate.max_inflated_bytes > 0 && o.timeouts.header.count() > 0 &&
                    o.timeouts.body.count() > 0 && o.timeouts.idle.count() > 0 && o.timeouts.write.count() > 0 &&
                    o.window.max_past.count() >= 0 && o.window.max_future.count() >= 0 && o.clock &&
                    o.store.progress_interval.count() >= 0 &&
                    (o.tls.certificate_file.empty() == o.tls.private_key_file.empty());
    return ok ? error_code{} : make_error_code(error::invalid_options);
}

error_code receiver::impl::setup_tls()
{
    if(opts.tls.certificate_file.empty())
        return {};
    tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    error_code ec;
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                     ec);
    if(!ec)
        tls->use_certificate_chain_file(opts.tls.certificate_file, ec);
    if(!ec)
        tls->use_private_key_file(opts.tls.private_key_file, ssl::context::pem, ec);
    if(ec)
        tls.reset();
    return ec;
}

void receiver::impl::begin_stop()
{
    error_code ignored;
    if(acceptor)
        acceptor->close(ignored);
    accept_retry.cancel();
    accepting_closed.store(true);
    bool any = false;
    for_each_session([&any](auto const& s) {
        any = true;
        s->stop_soft();
    });
    if(!any)
        return no_more_deliveries();
    grace_timer.expires_after(opts.timeouts.shutdown_grace);
    grace_timer.async_wait([self = shared_from_this()](error_code ec) {
        if(ec)
            return;
        self->for_each_session([](auto const& s) { s->stop_hard(); });
    });
}

//------------------------------------------------------------------------------

receiver::receiver(net::any_io_executor ex, receiver_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts)))
{
}

receiver::~receiver()
{
    stop();
    // The store's writer may still hold completion handlers that own the receiver's state:
    // wait until it has let go of them, so that it is never destroyed from that thread.
    if(impl_->store)
        impl_->store->sync();
}

receiver& receiver::on(std::string_view pattern, event_handler h)
{
    if(impl_->started.load())
    {
        impl_->report(error::already_started, 0, "on(\"" + std::string(pattern) + "\") after start() is ignored");
        return *this;
    }
    if(pattern == "*")
        impl_->any_handlers.push_back(std::move(h));
    else if(pattern.size() > 2 && pattern.ends_with(".*"))
        impl_->resource_handlers[std::string(pattern.substr(0, pattern.size() - 2))].push_back(std::move(h));
    else
        impl_->exact_handlers[std::string(pattern)].push_back(std::move(h));
    return *this;
}

receiver& receiver::on_any(event_handler h) { return on("*", std::move(h)); }

receiver& receiver::on_unhandled(event_handler h)
{
    if(!impl_->started.load())
        impl_->unhandled_handler = std::move(h);
    return *this;
}

receiver& receiver::on_error(error_handler h)
{
    if(!impl_->started.load())
        impl_->error_hook = std::move(h);
    return *this;
}

receiver& receiver::on_dead_letter(dead_letter_handler h)
{
    if(!impl_->started.load())
        impl_->dead_letter_hook = std::move(h);
    return *this;
}

receiver& receiver::on_transition(transition_handler h)
{
    if(!impl_->started.load())
        impl_->transition_handlers.push_back(std::move(h));
    return *this;
}

receiver& receiver::on_merge(merge_handler h)
{
    if(!impl_->started.load())
        impl_->merge_handlers.push_back(std::move(h));
    return *this;
}

receiver& receiver::on_before_progress(std::function<void()> h)
{
    if(!impl_->started.load())
        impl_->before_progress_hook = std::move(h);
    return *this;
}

receiver& receiver::on_subscription(subscription_handler h)
{
    if(!impl_->started.load())
        impl_->subscription_handlers.push_back(std::move(h));
    return *this;
}

void receiver::track_operation(std::string operation_id, operation_handler h, std::chrono::seconds timeout)
{
    auto const deadline = impl_->opts.clock() + timeout;
    // Posted, never run inline: a callback on the processing strand may call this while the
    // pipeline is in the middle of completing operations.
    net::post(impl_->processing,
                  [self = impl_, id = std::move(operation_id), h = std::move(h), deadline]() mutable {
                      if(auto ec = self->pipe.track(id, std::move(h), deadline))
                      {
                          self->report(ec, 0, "cannot track operation " + id);
                          return;
                      }
                      if(!self->flushed)
                          self->arm_release_timer();
                  });
}

std::future<operation_result> receiver::track_operation(std::string operation_id, std::chrono::seconds timeout)
{
    auto promise = std::make_shared<std::promise<operation_result>>();
    auto f = promise->get_future();
    auto const deadline = impl_->opts.clock() + timeout;
    net::post(impl_->processing, [self = impl_, id = std::move(operation_id), promise, deadline]() mutable {
        auto ec = self->pipe.track(
            id, [promise](operation_result const& r) { promise->set_value(r); }, deadline);
        if(ec)
            promise->set_exception(std::make_exception_ptr(boost::system::system_error(ec, id)));
        else if(!self->flushed)
            self->arm_release_timer();
    });
    return f;
}

std::optional<fleet_state> receiver::fleet(std::string_view key) const { return impl_->pipe.fleets().fleet(key); }
std::vector<fleet_state> receiver::fleets() const { return impl_->pipe.fleets().fleets(); }
std::vector<fleet_state> receiver::fleets_in(stage s) const { return impl_->pipe.fleets().fleets_in(s); }
std::vector<fleet_state> receiver::fleets_in(health h) const { return impl_->pipe.fleets().fleets_in(h); }
std::vector<transition> receiver::history(std::string_view key) const { return impl_->pipe.fleets().history(key); }

std::vector<dead_letter> receiver::dead_letters() const
{
    std::lock_guard lock(impl_->snapshot_mutex);
    return {impl_->recent_dead_letters.begin(), impl_->recent_dead_letters.end()};
}

error_code receiver::start()
{
    auto& im = *impl_;
    if(im.started.load())
        return error::already_started;
    if(auto ec = im.validate())
        return ec;
    if(auto ec = im.setup_tls())
        return ec;
    if(auto ec = im.open_store())
        return ec;

    error_code ec;
    tcp::acceptor a(im.accept_strand);
    a.open(im.opts.listen.protocol(), ec);
    if(!ec)
        a.set_option(net::socket_base::reuse_address(true), ec);
    if(!ec)
        a.bind(im.opts.listen, ec);
    if(!ec)
        a.listen(net::socket_base::max_listen_connections, ec);
    if(!ec)
        im.bound = a.local_endpoint(ec);
    if(ec)
        return ec;
    im.acceptor.emplace(std::move(a));
    im.started.store(true);
    net::dispatch(im.accept_strand, [self = impl_] { self->do_accept(); });
    // Deliveries an earlier run kept but did not process go first.
    im.schedule_processing();
    return {};
}

std::string const& receiver::start_detail() const noexcept { return impl_->start_detail; }

void receiver::stop() noexcept
{
    auto& im = *impl_;
    if(!im.started.load() || im.stopping.exchange(true))
        return;
    try
    {
        net::dispatch(im.accept_strand, [self = impl_] { self->begin_stop(); });
    }
    catch(...)
    {
        // dispatch can only fail by allocation; the acceptor is then closed by the destructor.
    }
}

tcp::endpoint receiver::local_endpoint() const { return impl_->bound; }

void receiver::set_secrets(secret_ring ring)
{
    impl_->secrets.store(std::make_shared<secret_ring const>(std::move(ring)), std::memory_order_release);
    impl_->metrics.secrets_reloads.fetch_add(1, std::memory_order_relaxed);
}

receiver_stats receiver::stats() const
{
    auto const& m = impl_->metrics;
    receiver_stats s;
    s.accepted = m.accepted.load() - m.duplicate_requests.load();
    s.duplicate_requests = m.duplicate_requests.load();
    s.rejected = m.rejected.load();
    s.events = m.events.load();
    s.dead_letters = m.dead_letters.load();
    s.callback_errors = m.callback_errors.load();
    s.inbox_depth = impl_->store ? impl_->store->backlog() : 0;
    {
        std::lock_guard lock(impl_->snapshot_mutex);
        auto const& p = impl_->pipe_stats;
        s.duplicate_events = p.duplicate_events;
        s.late_events = p.late_events;
        s.transitions = p.transitions;
        s.merges = p.merges;
        s.impossible_transitions = p.impossible_transitions;
        s.released_early = p.released_early;
        s.held_events = p.held;
        s.fleets = p.fleets;
    }
    s.callback_retries = impl_->disp->retries();
    s.callback_backlog = impl_->disp->backlog();
    s.connections_active = m.connections_active.load();
    return s;
}

std::string receiver::metrics_text() const { return impl_->metrics_text(); }

} // namespace catena::webhooks
