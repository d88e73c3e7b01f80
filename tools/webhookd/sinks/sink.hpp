// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/sink.hpp - what every sink shares: a queue of messages kept until acknowledged, reconnects and back-off.
#ifndef CATENA_WEBHOOKD_SINKS_SINK_HPP
#define CATENA_WEBHOOKD_SINKS_SINK_HPP

#include <catena/webhooks/handoff.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace webhookd::sinks {

/** One message for a sink: a JSON line and what identifies it. */
struct message
{
    std::string kind;            ///< "event" or "transition".
    std::string idempotency_key; ///< The same for every copy of one event, across restarts.
    std::string json;            ///< The JSON line (catena/webhooks/json_lines.hpp), without newline.
};

/** A destination the daemon hands messages to, at least once.

    A message stays in the sink's queue until the destination acknowledged it; then its
    `ack` runs (on the sink's strand). A lost connection makes every message that was out
    and not acknowledged go out again once the sink has reconnected, after a back-off that
    doubles from 100 ms to 5 s; a message the destination refuses goes out again after the
    same back-off. Nothing is dropped: a destination that stays down holds its messages (the
    daemon stops processing behind them, so their number is bounded by the callback backlog).

    A protocol derives from it and implements open(), transmit() and close().

    @par Thread safety
    hand(), status() and stop(): any thread. The rest runs on the strand.
*/
class sink : public std::enable_shared_from_this<sink>
{
public:
    using ack_fn = std::function<void()>;

    sink(boost::asio::any_io_executor ex, std::string name);
    virtual ~sink() = default;
    sink(sink const&) = delete;
    sink& operator=(sink const&) = delete;

    std::string const& name() const noexcept { return name_; }

    /// Starts connecting.
    void start();
    /// Queues `m`; `ack` runs once the destination acknowledged it.
    void hand(std::shared_ptr<message const> m, ack_fn ack);
    /// Closes the connection; what is queued is never acknowledged.
    void stop();
    catena::webhooks::sink_status status() const;

protected:
    using clock = std::chrono::steady_clock;

    /// Connects; calls ready() once messages can go out, lost() when that failed.
    virtual void open() = 0;
    /// Sends message `id` (only between ready() and lost()); the answer comes as
    /// acknowledged(id) or refused(id, why), or the connection is lost.
    virtual void transmit(std::uint64_t id, message const& m) = 0;
    /// Closes whatever is open, at stop().
    virtual void close() = 0;
    /// How many messages may be out at once.
    virtual std::size_t window() const { return 4096; }

    void ready();
    void lost(std::string const& why);
    void acknowledged(std::uint64_t id);
    void refused(std::uint64_t id, std::string const& why);
    bool stopped() const noexcept { return stopped_; }
    /// For a protocol without a lasting connection (HTTP): whether the destination answers now.
    void set_connected(bool up);

    boost::asio::strand<boost::asio::any_io_executor> strand_;

private:
    struct entry
    {
        std::shared_ptr<message const> msg;
        ack_fn ack;
        clock::time_point since;
        bool out = false;
        unsigned sends = 0;
    };

    void pump();
    void back_off(std::function<void()> then);
    void note(std::string const& error);
    void publish();

    std::string name_;
    std::map<std::uint64_t, entry> entries_; // by id: oldest first
    std::uint64_t next_id_ = 1;
    std::size_t out_ = 0;
    bool ready_ = false;
    bool waiting_ = false; // a back-off is running
    bool stopped_ = false;
    unsigned failures_ = 0; // in a row, for the back-off
    std::uint64_t wait_generation_ = 0;
    boost::asio::steady_timer timer_;

    mutable std::mutex status_mutex_;
    catena::webhooks::sink_status status_; // under status_mutex_
    clock::time_point oldest_;             // under status_mutex_; valid when status_.pending > 0
};

} // namespace webhookd::sinks

#endif
