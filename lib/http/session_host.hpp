// SPDX-License-Identifier: BSL-1.0
// lib/http/session_host.hpp - what a session and its listener ask of each other, and how a session reaches below its stream.
#ifndef CATENA_WEBHOOKS_HTTP_SESSION_HOST_HPP
#define CATENA_WEBHOOKS_HTTP_SESSION_HOST_HPP

#include <catena/webhooks/receiver_options.hpp>

#include "detail/counters.hpp"
#include "http/intake.hpp"
#include "http/state_api.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace catena::webhooks::detail {

/** What the listener asks of every session it started, through the session's executor. */
class session_base
{
public:
    virtual ~session_base() = default;
    /// Finish the request in progress, then close; close at once when idle.
    virtual void stop_soft() = 0;
    /// Close now.
    virtual void stop_hard() = 0;
    /// Since when the connection has waited for a request; nothing while one is in progress.
    virtual std::optional<std::chrono::steady_clock::time_point> idle_since() const noexcept = 0;
};

/** Which routes a listener serves. */
enum class routes
{
    all,        ///< Deliveries, health and metrics (no admin listener).
    deliveries, ///< Deliveries only (an admin listener serves the rest).
    admin,      ///< Health, metrics, the state API and the status page.
};

/** What a session needs from the receiver: a narrow interface, so that a test or a fuzz
    target can drive a session over an in-memory stream. */
class session_host
{
public:
    virtual ~session_host() = default;
    virtual receiver_options const& options() const noexcept = 0;
    virtual counters& counts() noexcept = 0;
    virtual bool stopping() const noexcept = 0;
    virtual routes served() const noexcept = 0;
    virtual void report(error_code ec, unsigned status, std::string text, std::string request_id,
                        std::string webhook_id) = 0;
    /// Admission, verification and keeping of deliveries.
    virtual intake& deliveries() noexcept = 0;
    /// The body of the metrics route (where no admin listener serves it).
    virtual std::string metrics_text() = 0;
    /// The admin listener's answer to a GET of `target` (state API, status page, metrics).
    virtual admin_reply admin(std::string_view target, std::string_view authorization) = 0;
    virtual void opened(session_base* s, std::weak_ptr<session_base> w) = 0;
    virtual void closed(session_base* s, std::string const& peer) noexcept = 0;
};

/** How a session reaches below its stream: specialized for each stream it runs over
    (plain TCP and TLS here; an in-memory stream in the tests and the fuzz target). */
template<class Stream>
struct stream_ops;

template<>
struct stream_ops<boost::beast::tcp_stream>
{
    static constexpr bool is_tls = false;
    static std::string remote(boost::beast::tcp_stream& s);
    static boost::asio::ip::address peer(boost::beast::tcp_stream& s);
    /// The stream bytes travel on below any TLS (a PROXY header is read there).
    static boost::beast::tcp_stream& lowest(boost::beast::tcp_stream& s) { return s; }
    static void cancel(boost::beast::tcp_stream& s);
    static void shutdown_send(boost::beast::tcp_stream& s);
    static void close(boost::beast::tcp_stream& s);
};

template<>
struct stream_ops<boost::beast::ssl_stream<boost::beast::tcp_stream>>
{
    using tcp = stream_ops<boost::beast::tcp_stream>;
    static constexpr bool is_tls = true;
    static std::string remote(boost::beast::ssl_stream<boost::beast::tcp_stream>& s) { return tcp::remote(s.next_layer()); }
    static boost::asio::ip::address peer(boost::beast::ssl_stream<boost::beast::tcp_stream>& s)
    {
        return tcp::peer(s.next_layer());
    }
    static boost::beast::tcp_stream& lowest(boost::beast::ssl_stream<boost::beast::tcp_stream>& s) { return s.next_layer(); }
    static void cancel(boost::beast::ssl_stream<boost::beast::tcp_stream>& s) { tcp::cancel(s.next_layer()); }
    static void close(boost::beast::ssl_stream<boost::beast::tcp_stream>& s) { tcp::close(s.next_layer()); }
};

} // namespace catena::webhooks::detail

#endif
