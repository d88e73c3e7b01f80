// SPDX-License-Identifier: BSL-1.0
// lib/delivery/processor.cpp - the processing loop: inbox -> pipeline -> callbacks -> progress.
#include "delivery/processor.hpp"

#include "state/codec.hpp"

#include <catena/webhooks/json_lines.hpp>

#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace catena::webhooks::detail {

namespace net = boost::asio;

namespace {

pipeline_options pipeline_options_of(receiver_options const& o)
{
    pipeline_options p;
    auto const& q = o.processing;
    p.processing = {q.reorder_window,
                    q.reorder_max_events,
                    q.reorder_max_bytes,
                    q.dedup_retention,
                    q.dedup_max_identities,
                    q.max_history_per_fleet,
                    q.max_tracked_operations,
                    q.max_record_versions,
                    q.dedup_across_subscriptions,
                    q.cross_subscription_window,
                    q.max_cross_subscription_events};
    p.envelope = o.limits.envelope;
    p.identity_clock_margin = o.window.max_future + std::chrono::seconds(10);
    return p;
}

// What a dead-lettered call was about, as JSON (values escaped by Boost.JSON).
std::string describe_transition(transition const& t) { return codec::encode(t); }

// A merge, a subscription event or a gap: its output record (json_lines.hpp).
std::string describe_merge(fleet_merge const& m) { return to_json_line(m); }

std::string describe_operation(operation_result const& r)
{
    return boost::json::serialize(boost::json::object{{"kind", "operation"}, {"operation_id", r.operation_id}});
}

std::string describe_subscription(subscription_event const& e) { return to_json_line(e); }

std::string describe_gap(delivery_gap const& g) { return to_json_line(g); }

constexpr std::size_t batch_size = 256;
constexpr std::size_t flush_at_finished = 1024;
// How long one turn on the processing strand may run before it gives the thread back to the
// I/O waiting there: every acknowledgement on the thread waits behind a turn. A turn pushes
// kept deliveries for up to push_budget (what it took but did not push waits for the next
// turn), then releases at least as many events as it pushed (so the reorder buffer keeps pace
// with arrivals) and more, in steps, while the turn is under turn_budget. Release steps are a
// few µs an event (the lifecycle and the callbacks that run inline).
constexpr auto push_budget = std::chrono::microseconds(400);
constexpr auto turn_budget = std::chrono::microseconds(800);
constexpr std::size_t release_step = 32;
// At most this many due events beyond those pushed in one turn.
constexpr std::size_t release_slice = 256;

} // namespace

processor::processor(net::any_io_executor ex, receiver_options const& opts, handler_registry const& handlers,
                     counters& counts, report_fn report, route_table const& routes)
    : opts_(opts)
    , handlers_(handlers)
    , counts_(counts)
    , report_(std::move(report))
    , strand_(net::make_strand(ex))
    , release_timer_(strand_)
    , backlog_timer_(strand_)
    , flush_timer_(strand_)
    , pipe_(pipeline_options_of(opts), *this)
    , routes_(routes)
{
    dispatcher::hooks h;
    h.report = [this](error_code ec, std::string text, callback_job const& job) {
        if(ec == error::handler_exception)
            counts_.add(counters::id::callback_errors);
        report_(ec, 0, std::move(text), job.ev ? job.ev->request_id : std::string(),
                job.ev ? job.ev->webhook_id : std::string());
    };
    h.dead_letter = [this](dead_letter&& d) { keep_dead_letter(std::move(d)); };
    disp_ = std::make_shared<dispatcher>(strand_, opts.processing.callback_executor, opts.processing.callbacks,
                                         std::move(h));
}

void processor::attach(store& s, recovered_state r, std::weak_ptr<void> keep_alive)
{
    store_ = &s;
    keep_alive_ = std::move(keep_alive);
    pipe_.restore(std::move(r.fleets), r.transitions, r.identities);
    restoring_ = true;
    pipe_.restore_operations(std::move(r.operations));
    restoring_ = false;
    // Identities committed by earlier runs are on disk, seen before now; memory holds those
    // seen from here on.
    if(s.keeps_state())
        pipe_.recall_with([st = &s](identity_key const& k) { return st->recall(k); },
                          r.identities_to_recall ? opts_.clock() : timestamp{});
    publish();
}

void processor::schedule()
{
    if(!scheduled_.exchange(true))
        net::post(strand_, [this, hold = hold()] { process_some(); });
}

void processor::no_more_deliveries()
{
    if(!sessions_closed_.exchange(true))
        schedule();
}

void processor::abandon()
{
    net::post(strand_, [this, hold = hold()] {
        flushed_ = true;
        sessions_closed_.store(true);
        release_at_.reset();
        release_timer_.cancel();
        backlog_timer_.cancel();
        flush_timer_.cancel();
        disp_->hurry();
    });
}

// Times one turn on the processing strand into the slice histogram.
struct processor::slice
{
    counters& counts;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    ~slice() { counts.observe_slice(std::chrono::steady_clock::now() - t0); }
};

void processor::process_some()
{
    slice timed{counts_};
    scheduled_.store(false);
    // Not attached: a standby of a shared store, which another receiver processes.
    if(flushed_ || !store_)
        return;
    auto const now = opts_.clock();
    if(next_ == pending_.size() && disp_->backlog() >= opts_.processing.max_callback_backlog && !sessions_closed_.load())
    {
        // Callbacks are behind: leave deliveries in the inbox (which answers 503 when full)
        // and look again shortly.
        backlog_timer_.expires_after(std::chrono::milliseconds(5));
        backlog_timer_.async_wait([this, hold = hold()](error_code ec) {
            if(!ec)
                schedule();
        });
        return;
    }
    std::size_t pushed = 0; // events held by this turn's deliveries
    {
        struct recalls
        {
            store& s;
            explicit recalls(store& st) : s(st) { s.begin_recalls(); }
            ~recalls() { s.end_recalls(); }
        } bracket(*store_);
        if(next_ == pending_.size())
        {
            // A bounded batch from the store; what this turn does not push waits in pending_.
            pending_ = store_->take(batch_size);
            next_ = 0;
            store_has_more_ = pending_.size() == batch_size;
        }
        auto const push_end = timed.t0 + push_budget;
        while(next_ < pending_.size())
        {
            pushed += push(pending_[next_++], now);
            if(std::chrono::steady_clock::now() >= push_end)
                break;
        }
    }
    bool const more_due = release_some(pushed, timed.t0 + turn_budget);
    if(progress_.finished() >= flush_at_finished)
        flush_progress();
    if(next_ < pending_.size() || store_has_more_ || more_due)
        schedule();
    else if(sessions_closed_.load())
        return final_flush();
    arm_release_timer();
    publish();
}

// Releases at least `at_least` due events, then more in steps while the turn has time left,
// up to release_slice beyond; true when due events remain.
bool processor::release_some(std::size_t at_least, std::chrono::steady_clock::time_point end)
{
    auto const now = opts_.clock();
    bool more_due = pipe_.release(now, at_least);
    for(std::size_t extra = 0; more_due && extra < release_slice && std::chrono::steady_clock::now() < end;
        extra += release_step)
        more_due = pipe_.release(now, release_step);
    return more_due;
}

std::size_t processor::push(inbox_entry& e, timestamp now)
{
    progress_.started(e.sequence, e.bytes(), now);
    if(e.compressed && !e.json.empty())
    {
        // Inflated already, as it streamed through verification.
        e.body.swap(e.json);
        e.compressed = false;
    }
    bool const inflated = e.compressed;
    if(inflated)
    {
        // Verified when it arrived, under the configured limits; these only guard against a
        // damaged file. A body that no longer inflates becomes an undecodable dead letter.
        inflate_limits const trusted{std::size_t{1} << 32, std::size_t{1} << 20, 0};
        if(inflater_.inflate(e.body, inflated_, trusted))
            inflated_.clear();
        e.body.swap(inflated_);
        e.compressed = false;
    }
    auto r = routes_.decode(e, pipe_, now);
    if(inflated)
    {
        // The buffer goes back for the next body, unless it grew past what a typical one needs.
        e.body.swap(inflated_);
        if(inflated_.capacity() > (std::size_t{8} << 20))
            std::string().swap(inflated_);
    }
    auto const events = r.events;
    if(progress_.pushed(e.sequence, r.events, std::move(r.identities)))
        request_flush();
    return events;
}

// The marker behind an event's callbacks in its fleet's queue: when it runs, the event has
// settled. The fleet's snapshot is taken now, as the event left it.
void processor::on_settled(std::uint64_t sequence, std::string const& fleet_key)
{
    callback_job job;
    job.internal = true;
    job.handler = "settle";
    // A store that keeps nothing across restarts needs no fleet snapshots.
    std::optional<fleet_capture> snapshot;
    if(!fleet_key.empty() && store_->keeps_state())
        snapshot = pipe_.fleets().capture(fleet_key);
    job.call = [this, s = progress_.settle_point(sequence, fleet_key, std::move(snapshot))]() mutable {
        progress_.settled(std::move(s));
        request_flush();
    };
    disp_->enqueue(fleet_key, std::move(job));
}

// Progress is written behind, coalesced over opts.store.progress_interval: a lost mark only
// means a delivery is processed again after a crash. A flush that comes first (a full batch,
// the final one) leaves the timer armed; arming it again cancels that wait, whose handler
// then must not flush too (it did: from then on every settled delivery cancelled the wait
// before it and so committed its progress at once, alone).
void processor::request_flush()
{
    if(flush_scheduled_)
        return;
    flush_scheduled_ = true;
    // After the final flush (stopping), what settles late is written at once: a pending
    // wait would keep the io_context running for up to the interval.
    flush_timer_.expires_after(flushed_ ? std::chrono::milliseconds(0) : opts_.store.progress_interval);
    flush_timer_.async_wait([this, hold = hold()](error_code ec) {
        if(ec == net::error::operation_aborted)
            return;
        slice timed{counts_};
        flush_progress();
    });
}

void processor::flush_progress()
{
    flush_scheduled_ = false;
    if(progress_.empty())
        return;
    if(auto const& hook = handlers_.before_progress.current)
    {
        try
        {
            hook();
        }
        catch(std::exception const& e)
        {
            // Not recorded yet: tried again with the next flush.
            report_(error::handler_exception, 0, std::string("on_before_progress threw: ") + e.what(), {}, {});
            if(!sessions_closed_.load())
                request_flush();
            return;
        }
    }
    store_->commit(progress_.take());
}

// Wakes the processing strand when the next held event or operation deadline is due.
void processor::arm_release_timer()
{
    auto const due = pipe_.next_due();
    if(!due || (release_at_ && *release_at_ <= *due))
        return;
    release_at_ = due;
    auto const wait = *due - opts_.clock();
    release_timer_.expires_after(wait.count() > 0 ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait)
                                                  : std::chrono::steady_clock::duration::zero());
    release_timer_.async_wait([this, hold = hold()](error_code ec) {
        if(ec)
            return;
        release_at_.reset();
        if(flushed_)
            return;
        slice timed{counts_};
        if(release_some(0, timed.t0 + turn_budget))
            schedule();
        arm_release_timer();
        publish();
    });
}

// After stop(): the last session is gone, so nothing more enters the inbox. Process what it
// holds, release everything held, and let failing callbacks retry without waiting.
void processor::final_flush()
{
    if(flushed_)
        return;
    for(; next_ < pending_.size(); ++next_)
        push(pending_[next_], opts_.clock());
    // A shared store's inbox is the next leader's to go on with (others keep adding to it).
    if(!store_->shared())
        for(auto batch = store_->take(batch_size); !batch.empty(); batch = store_->take(batch_size))
            for(auto& e : batch)
                push(e, opts_.clock());
    pipe_.flush(opts_.clock());
    flush_progress();
    flush_timer_.cancel();
    flushed_ = true;
    release_at_.reset();
    release_timer_.cancel();
    disp_->hurry();
    publish();
}

error_code processor::track(operation_ref ref, operation_handler h, timestamp deadline)
{
    if(auto ec = pipe_.track(std::move(ref), std::move(h), deadline))
        return ec;
    if(!flushed_)
        arm_release_timer();
    publish();
    return {};
}

void processor::complete_polled(operation_result r)
{
    // Found while stopping, after the last callbacks ran: it stays pending in the store and
    // is asked again at the next start.
    if(flushed_)
        return;
    pipe_.complete_polled(std::move(r), opts_.clock());
    publish();
}

void processor::watch_operations(std::function<void(operation_ref)> watch, std::function<void(std::string)> forget)
{
    watch_hook_ = std::move(watch);
    forget_hook_ = std::move(forget);
    for(auto const& p : pipe_.pending())
        watch_hook_(operation_ref{p.operation_id, p.connection_id, p.resource});
}

std::vector<pending_operation> processor::pending_operations() const
{
    std::vector<pending_operation> out;
    std::lock_guard lock(stats_mutex_);
    out.reserve(pending_view_.size());
    for(auto const& [id, p] : pending_view_)
        out.push_back(p);
    return out;
}

void processor::on_tracked(pending_operation const& p)
{
    {
        std::lock_guard lock(stats_mutex_);
        pending_view_.insert_or_assign(p.operation_id, p);
    }
    if(watch_hook_)
        watch_hook_(operation_ref{p.operation_id, p.connection_id, p.resource});
    // Kept as pending until its deadline, so that it is tracked (and polled) after a restart:
    // an outcome (a newer updated_at) replaces the row, never the other way round.
    if(restoring_ || !store_ || !store_->keeps_state())
        return;
    operation_result r;
    r.operation_id = p.operation_id;
    r.connection_id = p.connection_id;
    r.resource = p.resource;
    progress_.operation(stored_operation{std::move(r), timestamp{}, p.deadline});
    request_flush();
}

void processor::on_decided(std::string const& operation_id)
{
    {
        std::lock_guard lock(stats_mutex_);
        pending_view_.erase(operation_id);
    }
    if(forget_hook_)
        forget_hook_(operation_id);
}

void processor::publish()
{
    auto st = pipe_.stats();
    std::lock_guard lock(stats_mutex_);
    stats_ = st;
}

pipeline_stats processor::pipeline_snapshot() const
{
    std::lock_guard lock(stats_mutex_);
    return stats_;
}

//------------------------------------------------------------------------------
// What the pipeline releases, in order (on the processing strand)

void processor::keep_dead_letter(dead_letter&& d)
{
    counts_.add(counters::id::dead_letters);
    if(auto const& hook = handlers_.dead_letters.current)
        if(auto failure = invoke_callback([&] { hook(d); }))
            report_(error::handler_exception, 0, "on_dead_letter threw: " + *failure, d.request_id, d.webhook_id);
    progress_.dead_letter(std::move(d));
    request_flush();
}

void processor::on_dead_letter(dead_letter&& d)
{
    report_(d.ec, 202, "dead letter: authentic delivery could not be decoded", d.request_id, d.webhook_id);
    keep_dead_letter(std::move(d));
}

void processor::on_problem(error_code ec, std::string text, event const* ev)
{
    report_(ec, 0, std::move(text), ev ? ev->request_id : std::string(), ev ? ev->webhook_id : std::string());
}

template<class H, class Arg>
void processor::enqueue_calls(std::string const& queue, std::vector<H> const& handlers, std::string const& name,
                              std::shared_ptr<Arg const> const& arg, std::string const& key,
                              std::shared_ptr<event const> const& ev, std::string (*describe)(Arg const&))
{
    for(auto const& h : handlers)
    {
        callback_job job;
        job.call = [&h, arg] { h(*arg); };
        job.handler = name;
        if(!ev)
            job.idempotency_key = key;
        job.ev = ev;
        if(!ev && describe)
            job.description = describe(*arg);
        disp_->enqueue(queue, std::move(job));
    }
}

void processor::on_event(event&& e)
{
    counts_.add(counters::id::events);
    auto ev = std::make_shared<event const>(std::move(e));
    bool handled = false;
    handlers_.for_each_match(ev->event_name, ev->resource(), [&](auto const& hs, std::string const& name) {
        handled = true;
        enqueue_calls<event_handler, event>(ev->fleet_key, hs, name, ev, ev->idempotency_key, ev, nullptr);
    });
    for(auto const& h : handlers_.any_async.all)
    {
        handled = true;
        callback_job job;
        job.async_call = [&h, ev](completion c) { h(*ev, std::move(c)); };
        job.handler = "on_any_async";
        job.ev = ev;
        disp_->enqueue(ev->fleet_key, std::move(job));
    }
    if(handled)
        return;
    counts_.add(counters::id::unhandled_events);
    if(auto const& h = handlers_.unhandled.current)
    {
        callback_job job;
        job.call = [&h, ev] { h(*ev); };
        job.handler = "on_unhandled";
        job.ev = ev;
        disp_->enqueue(ev->fleet_key, std::move(job));
    }
}

void processor::on_transition(transition&& t)
{
    progress_.transitioned(t);
    auto p = std::make_shared<transition const>(std::move(t));
    enqueue_calls<transition_handler, transition>(p->fleet_key, handlers_.transitions.all, "on_transition", p,
                                                           p->idempotency_key, nullptr, &describe_transition);
    for(auto const& h : handlers_.transitions_async.all)
    {
        callback_job job;
        job.async_call = [&h, p](completion c) { h(*p, std::move(c)); };
        job.handler = "on_transition_async";
        job.idempotency_key = p->idempotency_key;
        job.description = describe_transition(*p);
        disp_->enqueue(p->fleet_key, std::move(job));
    }
}

void processor::on_merge(fleet_merge&& m)
{
    auto p = std::make_shared<fleet_merge const>(std::move(m));
    progress_.merged(p->from);
    disp_->merge(p->from, p->into);
    enqueue_calls<merge_handler, fleet_merge>(p->into, handlers_.merges.all, "on_merge", p,
                                                       "merge/" + p->from + "/" + p->into, nullptr, &describe_merge);
}

void processor::on_operation(operation_result&& r, operation_handler&& h)
{
    auto p = std::make_shared<operation_result const>(std::move(r));
    callback_job job;
    job.call = [h = std::move(h), p] { h(*p); };
    job.handler = "track_operation(" + p->operation_id + ")";
    job.idempotency_key = p->idempotency_key;
    job.description = describe_operation(*p);
    disp_->enqueue(p->fleet_key, std::move(job));
}

void processor::on_outcome(stored_operation&& op)
{
    // Kept only where state survives a restart.
    if(!store_->keeps_state())
        return;
    progress_.operation(std::move(op));
    request_flush();
}

void processor::on_subscription(subscription_event&& e)
{
    if(book_)
        book_->status(e, opts_.clock());
    if(stopped_hook_ && e.delivery_stopped())
        stopped_hook_(e);
    auto p = std::make_shared<subscription_event const>(std::move(e));
    enqueue_calls<subscription_handler, subscription_event>(
        "", handlers_.subscriptions.all, "on_subscription", p, p->idempotency_key, nullptr, &describe_subscription);
}

void processor::report_gap(delivery_gap g)
{
    auto p = std::make_shared<delivery_gap const>(std::move(g));
    enqueue_calls<gap_handler, delivery_gap>(
        "", handlers_.gaps.all, "on_delivery_gap", p,
        "gap/" + p->subscription_id + "/" + format_rfc3339(p->from, utc_suffix::z), nullptr, &describe_gap);
}

} // namespace catena::webhooks::detail
