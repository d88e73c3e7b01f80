// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/receiver.hpp - accepts signed Catena deliveries over HTTP(S) and dispatches their events.
#ifndef CATENA_WEBHOOKS_RECEIVER_HPP
#define CATENA_WEBHOOKS_RECEIVER_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace catena::webhooks {

/** A snapshot of the receiver's counters. */
struct receiver_stats
{
    std::uint64_t accepted = 0;           ///< Deliveries answered 202 and kept.
    std::uint64_t duplicate_requests = 0; ///< Replayed copies of a kept request (202, not kept twice).
    std::uint64_t rejected = 0;           ///< Requests answered with an error status.
    std::uint64_t events = 0;             ///< Records handed to callbacks.
    std::uint64_t dead_letters = 0;       ///< Authentic deliveries that could not be decoded.
    std::uint64_t callback_errors = 0;    ///< Callbacks that threw.
    std::uint64_t inbox_depth = 0;        ///< Kept deliveries not processed yet.
    std::uint64_t connections_active = 0;
};

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

    Callback order: for each record, every matching handler runs, exact name first, then
    `resource.*`, then on_any; a record no handler matches goes to on_unhandled. Handlers run
    on the receiver's processing strand: one at a time, in inbox order.

    @par Thread safety
    Register handlers before start(). start(), stop(), set_secrets(), stats() and
    metrics_text() may be called from any thread.

    @par Object lifetimes
    The receiver must outlive the io_context's run() or be stopped first; the destructor
    calls stop() and waits for nothing.
*/
class CATENA_WEBHOOKS_DECL receiver
{
public:
    using event_handler = std::function<void(event const&)>;
    using error_handler = std::function<void(error_report const&)>;
    using dead_letter_handler = std::function<void(dead_letter const&)>;

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
    /// Receives authentic deliveries that could not be decoded (already answered 202).
    receiver& on_dead_letter(dead_letter_handler h);

    /** Validates the options, binds and starts accepting.

        Port 0 is allowed; local_endpoint() then reports the port.
        @return error::invalid_options, error::already_started, a bind or TLS error, or success.
    */
    [[nodiscard]] error_code start();

    /** Stops accepting, lets in-flight requests finish for up to timeouts.shutdown_grace,
        then closes every connection and processes what the inbox holds. Idempotent and
        thread-safe. Afterwards the receiver holds no work, so io_context::run() returns.
    */
    void stop() noexcept;

    /// The bound address, valid after a successful start().
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    /// Replaces the secrets (for example on SIGHUP). Thread-safe; takes effect for the next request.
    void set_secrets(secret_ring ring);

    receiver_stats stats() const;

    /// The metrics in Prometheus text format, as served on options.metrics_path.
    std::string metrics_text() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace catena::webhooks

#endif
