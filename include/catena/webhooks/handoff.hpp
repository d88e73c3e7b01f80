// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/handoff.hpp - handing events on to another system: completions of asynchronous handlers, and what a sink reports.
#ifndef CATENA_WEBHOOKS_HANDOFF_HPP
#define CATENA_WEBHOOKS_HANDOFF_HPP

#include <catena/webhooks/export.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace catena::webhooks {

/** The end of one call of an asynchronous handler (receiver::on_any_async,
    receiver::on_transition_async).

    The receiver treats the call as running until it is completed: the next call of the same
    fleet waits, and the delivery the event came in is not recorded as processed. So a handler
    that hands an event to another system (a message broker, an HTTP endpoint) completes it
    once that system acknowledged the event, and the receiver's progress never runs ahead of
    what was handed on: after a crash, what was not acknowledged is delivered again.

    Complete it exactly once, from any thread: done(), or fail() to have the call retried per
    processing_options::callbacks (then dead-lettered). Destroying it uncompleted counts as a
    failure. abandon() gives the call up without an outcome, for a program that is stopping:
    its delivery stays unprocessed and is processed again at the next start.

    @par Object lifetimes
    Until it is completed it keeps the receiver's io_context from running out of work.

    @par Thread safety
    Distinct objects: any thread. One object: not concurrently.
*/
class CATENA_WEBHOOKS_DECL completion
{
public:
    /// Called once: std::nullopt for done, the reason for a failure.
    using function = std::function<void(std::optional<std::string>)>;

    completion() noexcept = default;
    explicit completion(function f) noexcept : f_(std::move(f)) {}
    completion(completion&& other) noexcept : f_(std::exchange(other.f_, nullptr)) {}
    completion& operator=(completion&& other) noexcept;
    completion(completion const&) = delete;
    completion& operator=(completion const&) = delete;
    /// Fails the call ("completion dropped") if it was not completed.
    ~completion();

    /// The call succeeded.
    void done() noexcept;
    /// The call failed: it is retried after the callback policy's backoff.
    void fail(std::string why) noexcept;
    /// Neither: the call stays unfinished (stopping). Its delivery is processed again at the next start.
    void abandon() noexcept;
    /// Still to be completed.
    explicit operator bool() const noexcept { return static_cast<bool>(f_); }

private:
    function f_;
};

/** What a sink (an output of catena-webhookd, or of an embedding program) reports about
    itself: shown by the state API (`/v1/sinks`), the status page and `/metrics`. */
struct sink_status
{
    std::string name;             ///< Its URI without credentials, as configured.
    bool connected = false;       ///< A connection is up now.
    std::uint64_t sent = 0;       ///< Messages written to it (retries included).
    std::uint64_t acknowledged = 0; ///< Messages it acknowledged.
    std::uint64_t retries = 0;    ///< Messages sent again after a failure or a lost connection.
    std::uint64_t pending = 0;    ///< Messages handed to it and not acknowledged yet.
    double lag_seconds = 0;       ///< How long the oldest unacknowledged message has waited (0: none).
    std::string last_error;       ///< The latest failure, empty when none since it last connected.
};

} // namespace catena::webhooks

#endif
