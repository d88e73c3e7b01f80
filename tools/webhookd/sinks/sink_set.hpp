// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/sink_set.hpp - the daemon's sinks: parsed from --sink URIs, run on a thread of their own, one completion per message for all of them.
#ifndef CATENA_WEBHOOKD_SINKS_SINK_SET_HPP
#define CATENA_WEBHOOKD_SINKS_SINK_SET_HPP

#include "sink.hpp"

#include <catena/webhooks/handoff.hpp>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace webhookd::sinks {

/// A --sink URI that cannot be used; what() says why.
struct sink_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/** A --sink URI, checked: `redis://HOST:PORT/STREAM[?maxlen=N][&password-env=NAME]`,
    `nats://HOST:PORT/SUBJECT[?stream=NAME][&token-env=NAME]`,
    `http://HOST[:PORT]/PATH[?token-env=NAME]`, `https://…[?ca=FILE][&token-env=NAME]`.
    Secrets come from the environment, never from the URI. Throws sink_error. */
struct sink_uri
{
    std::string scheme, host, port, path; ///< path without its leading '/'
    std::vector<std::pair<std::string, std::string>> query;
    std::string name; ///< As shown in metrics and the state API.

    static sink_uri parse(std::string const& text);
};

/** Every sink of the daemon.

    hand() passes one message to every sink and completes its completion once all of them
    acknowledged it; the sinks retry for as long as it takes. They run on a thread of their
    own, so a slow destination never holds the receiver's I/O.

    @par Thread safety
    hand() and status(): any thread. start(), abandon() and the destructor: the owner.
*/
class sink_set
{
public:
    /// Throws sink_error for a URI that cannot be used (read from the environment here).
    explicit sink_set(std::vector<std::string> const& uris);
    ~sink_set(); // stops the sinks and their thread

    bool empty() const noexcept { return sinks_.empty(); }
    void start();
    void hand(std::shared_ptr<message const> m, catena::webhooks::completion c);
    std::vector<catena::webhooks::sink_status> status() const;
    /// Stopping: every completion still waiting is abandoned (its delivery is processed again
    /// at the next start), and the sinks close.
    void abandon();
    /// How many messages abandon() gave up (their deliveries are processed at the next start).
    std::size_t abandoned() const;

private:
    struct waiting
    {
        catena::webhooks::completion c;
        std::size_t remaining = 0;
    };

    boost::asio::io_context ioc_;
    std::vector<std::shared_ptr<sink>> sinks_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, waiting> waiting_; // under mutex_
    std::uint64_t next_ = 0;                             // under mutex_
    bool abandoned_ = false;                             // under mutex_
    std::size_t given_up_ = 0;                           // under mutex_
};

} // namespace webhookd::sinks

#endif
