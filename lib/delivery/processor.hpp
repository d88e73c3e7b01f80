// SPDX-License-Identifier: BSL-1.0
// lib/delivery/processor.hpp - the processing loop: inbox -> pipeline -> callbacks -> progress.
#ifndef CATENA_WEBHOOKS_DELIVERY_PROCESSOR_HPP
#define CATENA_WEBHOOKS_DELIVERY_PROCESSOR_HPP

#include <catena/webhooks/receiver_options.hpp>

#include "delivery/dispatcher.hpp"
#include "delivery/handler_registry.hpp"
#include "delivery/progress.hpp"
#include "detail/counters.hpp"
#include "detail/subscription_book.hpp"
#include "processing/pipeline.hpp"
#include "providers/route_table.hpp"
#include "store/store.hpp"

#include <catena/webhooks/gzip.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace catena::webhooks::detail {

/** Takes kept deliveries from the store on the processing strand, runs them through the
    pipeline, hands what comes out to the dispatcher (the registered callbacks, in order per
    fleet), and commits progress once the callbacks of a delivery's events are done.

    @par Thread safety
    schedule() and stats from any thread; everything else on the processing strand (the
    owner posts there).
*/
class processor final : pipeline_sink
{
public:
    /// How a problem is reported (the receiver's on_error, guarded).
    using report_fn = detail::report_fn;

    processor(boost::asio::any_io_executor ex, receiver_options const& opts, handler_registry const& handlers,
              counters& counts, report_fn report, route_table const& routes);

    /** Takes what the store kept from an earlier run; `keep_alive` is held by every
        handler this object posts (the receiver's own state). */
    void attach(store& s, recovered_state r, std::weak_ptr<void> keep_alive);

    /// Something was kept: process it soon (any thread).
    void schedule();
    /// Every session is gone: process what is left, release everything held, then stop (any thread).
    void no_more_deliveries();
    /// stop() ran out of time: process nothing more; what is in the inbox stays there.
    void abandon();
    bool closed() const noexcept { return sessions_closed_.load(); }

    /// Tracks an operation (see pipeline::track); on the processing strand.
    error_code track(operation_ref ref, operation_handler h, timestamp deadline);
    /// An outcome found by polling (see pipeline::complete_polled); on the processing strand.
    void complete_polled(operation_result r);
    /** Where the operations to poll go, on the processing strand: `watch` for each one tracked
        (those taken back from the store at once), `forget` once decided. */
    void watch_operations(std::function<void(operation_ref)> watch, std::function<void(std::string)> forget);
    /// The operations tracked and not decided (any thread).
    std::vector<pending_operation> pending_operations() const;

    fleet_directory const& fleets() const noexcept { return pipe_.fleets(); }
    /// Called on the processing strand with every webhook.* event that stopped a delivery.
    void watch_stopped(std::function<void(subscription_event const&)> f) { stopped_hook_ = std::move(f); }
    /// A heal step, as a webhook.* event of the receiver's own (on the processing strand).
    void report_step(subscription_event e) { on_subscription(std::move(e)); }
    /// A delivery gap to the on_delivery_gap handlers (on the processing strand).
    void report_gap(delivery_gap g);
    /// Where webhook.* events are recorded per subscription (before start).
    void track_subscriptions(subscription_book& b) noexcept { book_ = &b; }
    pipeline_stats pipeline_snapshot() const;
    dispatcher const& callbacks() const noexcept { return *disp_; }
    boost::asio::strand<boost::asio::any_io_executor> const& strand() const noexcept { return strand_; }

private:
    struct slice;
    std::shared_ptr<void> hold() const { return keep_alive_.lock(); }
    void process_some();
    bool release_some(std::size_t at_least, std::chrono::steady_clock::time_point end);
    /// Hands one kept delivery to the pipeline; the events it holds for release.
    std::size_t push(inbox_entry& e, timestamp now);
    void request_flush();
    void flush_progress();
    void arm_release_timer();
    void final_flush();
    void publish();
    void keep_dead_letter(dead_letter&& d);
    template<class H, class Arg>
    void enqueue_calls(std::string const& queue, std::vector<H> const& handlers, std::string const& name,
                       std::shared_ptr<Arg const> const& arg, std::string const& key,
                       std::shared_ptr<event const> const& ev, std::string (*describe)(Arg const&));

    // pipeline_sink
    void on_event(event&& e) override;
    void on_transition(transition&& t) override;
    void on_merge(fleet_merge&& m) override;
    void on_dead_letter(dead_letter&& d) override;
    void on_problem(error_code ec, std::string text, event const* ev) override;
    void on_operation(operation_result&& r, operation_handler&& h) override;
    void on_subscription(subscription_event&& s) override;
    void on_settled(std::uint64_t sequence, std::string const& fleet_key) override;
    void on_outcome(stored_operation&& op) override;
    void on_tracked(pending_operation const& p) override;
    void on_decided(std::string const& operation_id) override;

    receiver_options const& opts_;
    subscription_book* book_ = nullptr;
    std::function<void(subscription_event const&)> stopped_hook_;
    std::function<void(operation_ref)> watch_hook_;
    std::function<void(std::string)> forget_hook_;
    bool restoring_ = false; // attach(): what the store gave back is not written again
    handler_registry const& handlers_;
    counters& counts_;
    report_fn report_;
    store* store_ = nullptr;
    std::weak_ptr<void> keep_alive_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer release_timer_;
    boost::asio::steady_timer backlog_timer_;
    boost::asio::steady_timer flush_timer_;
    pipeline pipe_;
    std::shared_ptr<dispatcher> disp_;
    progress_tracker progress_;
    std::optional<timestamp> release_at_; // when release_timer_ is set to fire
    bool flush_scheduled_ = false;
    route_table const& routes_; // the delivery paths' providers: how a kept delivery decodes
    inflater inflater_; // compressed bodies, on the processing strand
    std::string inflated_;
    std::vector<inbox_entry> pending_; // taken from the store, pushed from next_ on
    std::size_t next_ = 0;
    bool store_has_more_ = false; // the last take() was a full batch
    bool flushed_ = false; // the final flush ran: nothing more comes
    std::atomic<bool> scheduled_{false};
    std::atomic<bool> sessions_closed_{false};

    mutable std::mutex stats_mutex_; // pipeline stats, refreshed after each turn; pending operations
    pipeline_stats stats_;
    std::map<std::string, pending_operation> pending_view_;
};

} // namespace catena::webhooks::detail

#endif
