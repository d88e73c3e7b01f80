// SPDX-License-Identifier: BSL-1.0
// lib/receiver/receiver.cpp - the facade: the receiver's public members (register, start, stop, receive, query) over its parts (receiver_impl.hpp).
#include <catena/webhooks/receiver.hpp>

#include "receiver/receiver_impl.hpp"

namespace catena::webhooks {

//------------------------------------------------------------------------------

receiver::receiver(net::any_io_executor ex, receiver_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts)))
{
}

receiver::~receiver()
{
    stop();
    // The store's writer may still hold completion handlers that own the receiver's state:
    // wait until it has let go of them (or time is up), so that it is never destroyed from
    // that thread.
    if(impl_->started.load())
        impl_->wait_stopped();
    else if(impl_->store)
        impl_->store->sync();
}

bool receiver::wait_stopped() noexcept
{
    if(!impl_->started.load())
        return true;
    stop();
    try
    {
        return impl_->wait_stopped();
    }
    catch(...)
    {
        return false;
    }
}

receiver& receiver::on(std::string_view pattern, event_handler h)
{
    return impl_->registered(*this, impl_->handlers.add_event(pattern, std::move(h)), "on(\"" + std::string(pattern) + "\")");
}

receiver& receiver::on_any(event_handler h) { return on("*", std::move(h)); }

receiver& receiver::on_unhandled(event_handler h)
{
    return impl_->add(*this, impl_->handlers.unhandled, std::move(h), "on_unhandled()");
}
receiver& receiver::on_error(error_handler h) { return impl_->add(*this, impl_->handlers.errors, std::move(h), "on_error()"); }
receiver& receiver::on_dead_letter(dead_letter_handler h)
{
    return impl_->add(*this, impl_->handlers.dead_letters, std::move(h), "on_dead_letter()");
}
receiver& receiver::on_transition(transition_handler h)
{
    return impl_->add(*this, impl_->handlers.transitions, std::move(h), "on_transition()");
}
receiver& receiver::on_merge(merge_handler h) { return impl_->add(*this, impl_->handlers.merges, std::move(h), "on_merge()"); }
receiver& receiver::on_before_progress(std::function<void()> h)
{
    return impl_->add(*this, impl_->handlers.before_progress, std::move(h), "on_before_progress()");
}
receiver& receiver::on_any_async(async_event_handler h)
{
    return impl_->add(*this, impl_->handlers.any_async, std::move(h), "on_any_async()");
}
receiver& receiver::on_transition_async(async_transition_handler h)
{
    return impl_->add(*this, impl_->handlers.transitions_async, std::move(h), "on_transition_async()");
}
receiver& receiver::report_sinks(std::function<std::vector<sink_status>()> f)
{
    return impl_->add(*this, impl_->handlers.sinks, std::move(f), "report_sinks()");
}
receiver& receiver::on_subscription(subscription_handler h)
{
    return impl_->add(*this, impl_->handlers.subscriptions, std::move(h), "on_subscription()");
}

receiver& receiver::on_delivery_gap(gap_handler h)
{
    return impl_->add(*this, impl_->handlers.gaps, std::move(h), "on_delivery_gap()");
}

void receiver::track_operation(std::string operation_id, operation_handler h, std::chrono::seconds timeout)
{
    // Posted, never run inline: a callback on the processing strand may call this while the
    // pipeline is in the middle of completing operations.
    track_operation(operation_ref{std::move(operation_id), {}, {}}, std::move(h), timeout);
}

std::future<operation_result> receiver::track_operation(std::string operation_id, std::chrono::seconds timeout)
{
    return track_operation(operation_ref{std::move(operation_id), {}, {}}, timeout);
}

void receiver::track_operation(operation_ref op, operation_handler h, std::chrono::seconds timeout)
{
    auto const deadline = impl_->opts.clock() + timeout;
    net::post(impl_->proc.strand(), [self = impl_, op = std::move(op), h = std::move(h), deadline]() mutable {
        auto const id = op.operation_id;
        if(auto ec = self->proc.track(std::move(op), std::move(h), deadline))
            self->reporter()(ec, 0, "cannot track operation " + id, {}, {});
    });
}

std::future<operation_result> receiver::track_operation(operation_ref op, std::chrono::seconds timeout)
{
    auto promise = std::make_shared<std::promise<operation_result>>();
    auto f = promise->get_future();
    auto const deadline = impl_->opts.clock() + timeout;
    net::post(impl_->proc.strand(), [self = impl_, op = std::move(op), promise, deadline]() mutable {
        auto const id = op.operation_id;
        auto ec = self->proc.track(std::move(op), [promise](operation_result const& r) { promise->set_value(r); }, deadline);
        if(ec)
            promise->set_exception(std::make_exception_ptr(boost::system::system_error(ec, id)));
    });
    return f;
}

std::vector<pending_operation> receiver::pending_operations() const { return impl_->pending_operations(); }

std::optional<fleet_state> receiver::fleet(std::string_view key) const { return impl_->fleets_view()->fleet(key); }
std::vector<fleet_state> receiver::fleets() const { return impl_->fleets_view()->fleets(); }
std::vector<fleet_state> receiver::fleets_in(stage s) const { return impl_->fleets_view()->fleets_in(s); }
std::vector<fleet_state> receiver::fleets_in(health h) const { return impl_->fleets_view()->fleets_in(h); }
std::vector<transition> receiver::history(std::string_view key) const { return impl_->fleets_view()->history(key); }

fleet_page receiver::fleets(fleet_query const& q) const { return impl_->fleets_view()->page(q); }
fleet_tally receiver::tally() const { return impl_->fleets_view()->tally(); }
std::vector<subscription_seen> receiver::subscriptions() const { return impl_->book.list(); }

std::vector<stored_dead_letter> receiver::dead_letters(std::size_t max) const
{
    return impl_->recent_dead_letters(std::min<std::size_t>(max, 1000));
}

std::optional<stored_dead_letter> receiver::dead_letter(std::int64_t id) const { return impl_->dead_letter_of(id); }

error_code receiver::start()
{
    auto& im = *impl_;
    if(im.started.load())
        return error::already_started;
    if(auto ec = detail::check_options(im.opts, im.start_detail))
        return ec;
    if(!im.store)
    {
        detail::recovered_state r;
        if(auto ec = im.open_store(r))
            return ec;
        im.in.attach(*im.store, [&proc = im.proc] { proc.schedule(); });
        if(!im.store->shared())
            im.proc.attach(*im.store, std::move(r), impl_);
    }
    if(im.opts.limits.raise_descriptor_limit)
        im.raise_descriptor_limit();
    auto metrics = [&im] { return im.metrics(); };
    auto const listen = im.opts.own_listener ? std::optional(im.opts.listen) : std::nullopt;
    if(auto ec = im.http.open(listen, impl_, metrics, nullptr, [&im] { im.way_drained(); }))
    {
        im.start_detail = im.http.open_detail();
        return ec;
    }
    if(im.admin)
        if(auto ec = im.admin->open(*im.opts.admin_listen, impl_, metrics, &im, [] {}))
        {
            im.start_detail = im.admin->open_detail();
            return ec;
        }
    if(im.opts.operations.enabled)
        im.start_polling();
    if(im.opts.heal.enabled)
        im.start_healing();
    im.watch_stopped();
    im.handlers.freeze();
    im.started.store(true);
    im.report_unusable(im.opts.secrets);
    im.gate.open();
    im.http.start_accepting();
    if(im.admin)
        im.admin->start_accepting();
    // Deliveries an earlier run kept but did not process go first; with a shared store, once
    // this receiver is elected.
    if(im.store->shared())
        im.lead();
    else
        im.proc.schedule();
    return {};
}

std::string const& receiver::start_detail() const noexcept { return impl_->start_detail; }

void receiver::stop() noexcept
{
    if(!impl_->started.load())
        return;
    try
    {
        impl_->http.stop();
        impl_->gate.close([im = impl_.get()] { im->way_drained(); });
        if(impl_->admin)
            impl_->admin->stop();
        if(impl_->heal)
            impl_->heal->stop();
        if(impl_->poll)
            impl_->poll->stop();
        impl_->arm_watchdog();
    }
    catch(...)
    {
        // dispatch can only fail by allocation; the acceptor is then closed by the destructor.
    }
}

net::ip::tcp::endpoint receiver::local_endpoint() const { return impl_->http.local_endpoint(); }

net::any_io_executor receiver::get_executor() const noexcept { return impl_->ex; }

void receiver::start_receive(request_view const& req, std::string body, std::function<void(response)> done)
{
    // The answer may come after the receiver is gone from the caller's hands: it holds the state.
    impl_->gate.receive(req, std::move(body), [self = impl_, done = std::move(done)](response r) { done(std::move(r)); });
}

response receiver::receive(request_view const& req)
{
    // On a thread that runs the executor, the store's completion could be queued behind this
    // very call: answered at once instead of waiting forever.
    auto const& ex = impl_->ex;
    auto const* io = ex.target<net::io_context::executor_type>();
    auto const* strand = ex.target<net::strand<net::io_context::executor_type>>();
    if((io && io->running_in_this_thread()) || (strand && strand->running_in_this_thread()))
        return impl_->gate.refuse(req, error::receive_would_block);
    auto p = std::make_shared<std::promise<response>>();
    auto f = p->get_future();
    start_receive(req, std::string(req.body), [p](response r) { p->set_value(std::move(r)); });
    return f.get();
}

std::optional<net::ip::tcp::endpoint> receiver::admin_endpoint() const
{
    if(!impl_->admin)
        return std::nullopt;
    return impl_->admin->local_endpoint();
}

void receiver::set_secrets(secret_ring ring)
{
    if(impl_->started.load())
        impl_->report_unusable(ring);
    impl_->in.set_secrets(std::move(ring));
}

receiver_stats receiver::stats() const { return detail::stats_of(impl_->snapshot()); }

std::string receiver::metrics_text() const { return impl_->metrics(); }

} // namespace catena::webhooks
