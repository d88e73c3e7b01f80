// SPDX-License-Identifier: BSL-1.0
// lib/delivery/dispatcher.hpp - runs callbacks in order per fleet, isolates and retries failures.
#ifndef CATENA_WEBHOOKS_DELIVERY_DISPATCHER_HPP
#define CATENA_WEBHOOKS_DELIVERY_DISPATCHER_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/handoff.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace catena::webhooks::detail {

/** One call of one callback. `call` signals failure by throwing; an asynchronous one
    (`async_call` set instead) through the completion it is given. */
struct callback_job
{
    std::function<void()> call;
    std::function<void(completion)> async_call;
    std::string handler;         ///< Which registration, for reports: "on(invitation.*)", "on_transition".
    std::string idempotency_key;     ///< Empty for a call about an event: the event's (not copied per call).
    std::shared_ptr<event const> ev; ///< The event the call is about, if any (for dead letters).
    std::string description;     ///< What the call is about when it is not an event (JSON).
    unsigned attempts = 0;
    /// The receiver's own bookkeeping: runs on the processing strand, never fails.
    bool internal = false;
};

/** Runs callback jobs: one at a time per queue (a fleet), queues independent of each other.

    An asynchronous job holds its queue until its completion comes back (from any thread).
    A job that throws (or fails its completion) is reported and retried after a backoff while its queue waits and the
    other queues go on; after callback_policy::max_attempts it goes to the dead letters and
    its queue moves on. Jobs run on the callback executor, or inline on the processing strand
    when there is none.

    @par Thread safety
    Every member function is called on the processing strand, except backlog().
*/
class dispatcher : public std::enable_shared_from_this<dispatcher>
{
public:
    struct hooks
    {
        std::function<void(error_code, std::string detail, callback_job const&)> report;
        std::function<void(dead_letter&&)> dead_letter;
    };

    dispatcher(boost::asio::strand<boost::asio::any_io_executor> processing,
               boost::asio::any_io_executor callback_executor, callback_policy policy, hooks h);

    void enqueue(std::string const& queue, callback_job job);
    /// Jobs queued later under `into` run after those already queued under `from`.
    void merge(std::string const& from, std::string const& into);
    /// From now on failed jobs are retried at once instead of after a backoff (on stop).
    void hurry();

    std::uint64_t backlog() const noexcept { return backlog_.load(std::memory_order_relaxed); }
    std::uint64_t retries() const noexcept { return retries_.load(std::memory_order_relaxed); }
    std::uint64_t dead_lettered() const noexcept { return dead_lettered_.load(std::memory_order_relaxed); }

private:
    struct queue_state
    {
        std::string name;
        std::deque<callback_job> jobs;
        bool busy = false;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    using queue_ptr = std::shared_ptr<queue_state>;

    void place(std::string const& queue, callback_job job);
    queue_ptr queue_named(std::string const& queue); // made when missing
    void pump(queue_ptr const& q);
    void start_async(queue_ptr const& q);
    bool finish(queue_ptr const& q, std::optional<std::string> const& failure);
    void retire_if_idle(queue_ptr const& q);
    std::chrono::milliseconds backoff(unsigned attempts) const;

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::any_io_executor callback_ex_;
    callback_policy policy_;
    hooks hooks_;
    bool hurry_ = false;
    bool running_here_ = false; // a job runs inline in place()
    std::deque<std::pair<std::string, callback_job>> deferred_; // enqueued meanwhile
    std::unordered_map<std::string, queue_ptr> queues_;
    std::atomic<std::uint64_t> backlog_{0};
    std::atomic<std::uint64_t> retries_{0};
    std::atomic<std::uint64_t> dead_lettered_{0};
};

/// Runs `call`, turning an exception into its message.
std::optional<std::string> invoke_callback(std::function<void()> const& call) noexcept;

} // namespace catena::webhooks::detail

#endif
