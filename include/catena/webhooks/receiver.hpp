// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/receiver.hpp - accepts signed Catena deliveries over HTTP(S) and dispatches their events.
#ifndef CATENA_WEBHOOKS_RECEIVER_HPP
#define CATENA_WEBHOOKS_RECEIVER_HPP

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/error.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/handlers.hpp>
#include <catena/webhooks/handoff.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/notifications.hpp> // reached through receiver_options.hpp before heal_options.hpp
#include <catena/webhooks/operation.hpp>
#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/request.hpp>
#include <catena/webhooks/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks {

/** Receives Catena webhook deliveries.

    Answers 202 once a delivery is verified and kept in the inbox, then decodes it off the
    I/O path and hands each record to the callbacks registered for its event name. Nothing
    is acknowledged that was not kept: a full inbox answers 503 with Retry-After, so Catena
    retries.

    @code
    net::io_context ioc;
    catena::webhooks::receiver_options opts;
    opts.secrets.add("247b2dea-...", "secret-from-the-create-response");
    catena::webhooks::receiver rx{ioc.get_executor(), std::move(opts)};
    rx.on("invitation.*", [](catena::webhooks::event const& e) { ... });
    if(auto ec = rx.start()) return 1;
    ioc.run();
    @endcode

    Between the 202 and the callbacks, events are de-duplicated by identity (a retry or a
    dead-letter replay of an event is not dispatched again), held for the reorder window
    and released in occurrence order, placed on their fleet, and applied to its lifecycle
    (see @ref stage and @ref health), which produces transitions.

    Callback order: per fleet, in release order; for each record every matching handler
    runs, exact name first, then `resource.*`, then on_any (a record no handler matches
    goes to on_unhandled), then on_transition for each transition it caused. Handlers run on
    processing_options::callback_executor, by default the receiver's processing strand. A
    handler that throws is reported, retried per processing_options::callbacks while its
    fleet waits (other fleets go on), then dead-lettered.

    @par Thread safety
    Register handlers before start(). start(), stop(), set_secrets(), stats(),
    metrics_text(), receive() and async_receive() may be called from any thread.

    @par Two ways in
    The receiver's own listener (options.listen), or the partner's own HTTP server handing
    each request to receive() / async_receive() (options.own_listener may then be false).
    Both run the same admission, verification, keeping and answers.

    @par Object lifetimes
    The receiver must outlive the io_context's run() or be stopped first; the destructor
    calls stop() and waits for nothing.
*/
class CATENA_WEBHOOKS_DECL receiver
{
public:
    // The callbacks' signatures (catena/webhooks/handlers.hpp), by their old names too.
    using event_handler = webhooks::event_handler;
    using error_handler = webhooks::error_handler;
    using dead_letter_handler = webhooks::dead_letter_handler;
    using transition_handler = webhooks::transition_handler;
    using merge_handler = webhooks::merge_handler;
    using subscription_handler = webhooks::subscription_handler;
    using gap_handler = webhooks::gap_handler;
    using async_event_handler = webhooks::async_event_handler;
    using async_transition_handler = webhooks::async_transition_handler;

    /// Creates a stopped receiver; nothing is bound until start().
    receiver(boost::asio::any_io_executor ex, receiver_options opts);
    ~receiver();
    receiver(receiver const&) = delete;
    receiver& operator=(receiver const&) = delete;

    /** Registers a handler for an event name: exact ("invitation.accepted"), a resource
        wildcard as Catena writes it ("invitation.*"), or "*" for every event.
        Ignored (and reported through on_error as error::already_started) after start().
    */
    receiver& on(std::string_view pattern, event_handler h);
    /// Same as on("*", h).
    receiver& on_any(event_handler h);
    /// Receives records that no other handler matched.
    receiver& on_unhandled(event_handler h);
    /// Receives every rejection, dead letter and callback failure. Must not throw.
    receiver& on_error(error_handler h);
    /// Receives what goes to the dead letters: authentic deliveries that could not be
    /// decoded (already answered 202) and callbacks that failed every attempt.
    receiver& on_dead_letter(dead_letter_handler h);
    /// Receives every stage and health transition of every fleet, in order per fleet.
    receiver& on_transition(transition_handler h);
    /// Receives the merge of two keys found to name one fleet.
    receiver& on_merge(merge_handler h);
    /// Receives webhook.* events: a subscription went stale, was paused, reactivated...
    receiver& on_subscription(subscription_handler h);
    /** Receives the windows during which a subscription delivered nothing, once the receiver
        healed it (options.heal): fetch their events from the REST API. Its heal steps
        reach on_subscription with action "reactivated" and "replay_requested". */
    receiver& on_delivery_gap(gap_handler h);
    /** Called just before deliveries are recorded as processed (every few milliseconds under
        load, and when stopping), on the processing strand. Every callback of those deliveries
        has returned by then. A handler that buffers what it receives (a batching file writer,
        a message producer) flushes here, so that nothing is recorded as processed before it
        has been handed on: after a crash, what was not flushed is delivered again. Must not
        throw; an exception is reported through on_error and the progress is recorded only
        after a later call succeeds.
    */
    receiver& on_before_progress(std::function<void()> h);

    /** Receives every event, as on_any, and completes it later (see @ref completion): its
        fleet's next call waits, and its delivery is recorded as processed only once the
        completion is done. For handing events on to another system at least once, progress
        gated by its acknowledgements. The handler itself runs where other callbacks run and
        must return at once; the completion may come from any thread.
    */
    receiver& on_any_async(async_event_handler h);
    /// The same for every transition (after the on_transition handlers of the same transition).
    receiver& on_transition_async(async_transition_handler h);
    /** What the program's sinks report about themselves (called from any thread, whenever
        the state API, the status page or /metrics is read; must be thread-safe and quick). */
    receiver& report_sinks(std::function<std::vector<sink_status>()> f);

    /** Tracks an asynchronous write: `h` is called once, in its fleet's callback order, with
        the outcome of `operation_id` (the id returned by Catena's 202) when
        resource_operation.succeeded or .failed arrives, or with operation_status::timed_out
        after `timeout`. An outcome that arrived shortly before the registration completes it
        at once. Thread-safe; may be called before or after start(). Over the bound on
        tracked operations, on_error receives error::too_many_operations and `h` is dropped.
        Operations still tracked when the receiver is destroyed are abandoned.
    */
    void track_operation(std::string operation_id, operation_handler h,
                         std::chrono::seconds timeout = std::chrono::hours(24));
    /// The same, completing a future (which throws std::future_error broken_promise if
    /// the operation is abandoned, or system_error too_many_operations over the bound).
    std::future<operation_result> track_operation(std::string operation_id,
                                                  std::chrono::seconds timeout = std::chrono::hours(24));
    /** The same for an operation known with its connection (parse_operation_response() of the
        write call's 202): with options.operations.enabled, when no result webhook came within
        operations.grace, or at once when a delivery gap (webhook.staled or .paused of a
        subscription carrying resource_operation events, a healed gap) covers it, Catena's
        Integrations API is asked; an outcome found there completes it as the webhook would,
        with operation_result::source == poll, and a webhook that comes after it is a
        duplicate. Tracked operations are kept in the store until decided: after a restart
        they are polled again, and a registration finds their outcome. */
    void track_operation(operation_ref op, operation_handler h, std::chrono::seconds timeout = std::chrono::hours(24));
    std::future<operation_result> track_operation(operation_ref op,
                                                  std::chrono::seconds timeout = std::chrono::hours(24));
    /// The operations tracked and not decided yet, with when each is polled next.
    std::vector<pending_operation> pending_operations() const;

    /// The state of the fleet known under `key`: a fleet_id, "ref:<fleet_ref>", "invitation:<id>"...
    std::optional<fleet_state> fleet(std::string_view key) const;
    std::vector<fleet_state> fleets() const;
    /// A page of fleets by key, filtered by stage and health.
    fleet_page fleets(fleet_query const& q) const;
    /// How many fleets stand in each stage and health.
    fleet_tally tally() const;
    std::vector<fleet_state> fleets_in(stage s) const;
    std::vector<fleet_state> fleets_in(health h) const;
    /// The fleet's transitions, oldest first.
    std::vector<transition> history(std::string_view key) const;
    /// The newest `max` dead letters (at most 1000), oldest first, without their bodies
    /// (stored_dead_letter::body_bytes says how large each is): a listing reads no body.
    std::vector<stored_dead_letter> dead_letters(std::size_t max = 100) const;
    /// One dead letter (stored_dead_letter::id) with its body.
    std::optional<stored_dead_letter> dead_letter(std::int64_t id) const;
    /// Every subscription this receiver has seen since it started, ordered by X-Webhook-ID.
    std::vector<subscription_seen> subscriptions() const;

    /** Validates the options, binds and starts accepting.

        Port 0 is allowed; local_endpoint() then reports the port.
        @return error::invalid_options, error::already_started, a bind or TLS error, or success.
    */
    [[nodiscard]] error_code start();

    /// After start() failed: a one-line explanation (which file, which lock...), or empty.
    std::string const& start_detail() const noexcept;

    /** Stops accepting, lets in-flight requests finish for up to timeouts.shutdown_grace,
        then closes every connection and processes what the inbox holds. Idempotent and
        thread-safe. Afterwards the receiver holds no work, so io_context::run() returns.
        Bounded: timeouts.shutdown_timeout after stop() every connection is closed and
        processing given up, whatever the store or the callbacks do.
    */
    void stop() noexcept;

    /** After stop(), once io_context::run() has returned: waits until the store has written
        what processing finished, at most until timeouts.shutdown_timeout after stop().
        @return true after a full drain; false when time ran out (reported as
        error::shutdown_timed_out): what was not written stays in the inbox and is processed
        again at the next start, so nothing answered 202 is lost. The destructor calls it.
    */
    bool wait_stopped() noexcept;

    /** Runs one request that the partner's own HTTP server read (receiver_options::
        own_listener may then be false), exactly as the receiver's own listener runs a request
        it read: path and method, framing (Transfer-Encoding, Host), the client (behind one of
        receiver_options::trusted_proxies, X-Forwarded-For), admission on the headers alone
        (signature headers, size, the rationing of an address's failed signatures), the body
        budget, verification, keeping. Blocks until the delivery is kept or refused, and
        returns what to answer: 202 only once it is kept. Only the delivery paths are served
        (options.path and options.routes): anything else is answered 404 or 405.

        @par Preconditions
        start() succeeded (before it and after stop(): 503, error::not_accepting). Some
        thread runs the receiver's executor, and it is not this one: waiting here for the
        store would never end (answered 503, error::receive_would_block; use async_receive()
        from a handler running on that executor).

        @par Thread safety
        Any thread, any number at once.
    */
    response receive(request_view const& req);

    /** receive() without blocking: the answer is passed to the completion handler, whose
        signature is `void(response)`. The operation never fails: every outcome is an answer
        to send (response::reason says why, when it is not a 202).

        @par Object lifetimes
        The views of `req` must stay valid until the operation is initiated (at once for a
        callback or use_future; when awaited for use_awaitable or deferred); the body is
        copied then.

        @par Executor
        The handler runs on its associated executor, by default the receiver's
        (get_executor()); never inside this call.

        @par Cancellation
        None: a delivery handed over is kept or refused, and the handler always called once.
    */
    template<class CompletionToken>
    auto async_receive(request_view const& req, CompletionToken&& token);

    /** The callback form behind async_receive(): `done` is called exactly once, possibly
        before this returns (an answer given on the headers), possibly from the store's
        thread. `body` is the request's body (req.body is not read): a server that owns its
        body moves it in instead of having it copied. */
    void start_receive(request_view const& req, std::string body, std::function<void(response)> done);

    /// The executor the receiver was created with.
    boost::asio::any_io_executor get_executor() const noexcept;

    /// The bound address, valid after a successful start() with its own listener.
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    /// The admin listener's bound address, when options.admin_listen is set.
    std::optional<boost::asio::ip::tcp::endpoint> admin_endpoint() const;

    /// Replaces the secrets (for example on SIGHUP). Thread-safe; takes effect for the next request.
    void set_secrets(secret_ring ring);

    receiver_stats stats() const;

    /// The metrics in Prometheus text format, as served on options.metrics_path.
    std::string metrics_text() const;

private:
    struct impl;
    struct initiate_receive;

    std::shared_ptr<impl> impl_;
};

} // namespace catena::webhooks

#include <catena/webhooks/impl/receiver.hpp>

namespace catena::webhooks {

} // namespace catena::webhooks

#endif
