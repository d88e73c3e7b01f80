// SPDX-License-Identifier: BSL-1.0
// lib/clients/api_transport.hpp - the HTTP(S) side of the providers' API clients: one exchange, backoff, cancellation.
#ifndef CATENA_WEBHOOKS_DETAIL_API_TRANSPORT_HPP
#define CATENA_WEBHOOKS_DETAIL_API_TRANSPORT_HPP

#include <catena/webhooks/api_error.hpp>

#include "detail/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/verb.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/** An API's answer, whatever its status. */
struct api_answer
{
    unsigned status = 0;
    std::string body;
    std::optional<std::chrono::seconds> retry_after; ///< From a Retry-After header.
};

/** How the transport talks to an API. */
struct transport_options
{
    std::chrono::milliseconds timeout{10'000}; ///< Each step: resolve, connect, handshake, write, read.
    std::string ca_file;                       ///< PEM CAs instead of the system's store.
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{8'000};
};

/// The transport part of a client's options (any struct with timeout, ca_file and the backoff).
template<class Options>
transport_options transport_options_of(Options const& o)
{
    transport_options t;
    t.timeout = o.timeout;
    t.ca_file = o.ca_file;
    t.initial_backoff = o.initial_backoff;
    t.max_backoff = o.max_backoff;
    return t;
}

/// An api_error that is not the API's answer (unreachable, cancelled, a bad answer).
api_error api_failure(error e, std::string message);
/// 429, 5xx and an unreachable API are worth another attempt; other answers are final.
bool api_retryable(api_error const& e) noexcept;

/** A client's retry policy: what api_transport::with_retries does after a failed attempt.
    The back-off itself (initial_backoff doubling up to max_backoff, jittered) is the
    transport's, from transport_options. */
struct retry_policy
{
    unsigned max_attempts = 4;                        ///< Attempts in all, the first included.
    std::chrono::seconds max_retry_after{60};         ///< A longer Retry-After ends the call.
    bool (*retryable)(api_error const&) noexcept = api_retryable; ///< Which failures are worth another attempt.
};

/// The retry part of a client's options (any struct with max_attempts and max_retry_after).
template<class Options>
retry_policy retry_policy_of(Options const& o)
{
    return {o.max_attempts, o.max_retry_after, api_retryable};
}

/** The HTTP side of an API client: exchanges over HTTPS (the system's CAs or ca_file, SNI,
    host name verification) or HTTP to loopback, each step under the timeout, "Connection:
    close"; jittered exponential backoff; cancel() closes every socket, resolver and timer in
    flight.

    @par Thread safety
    Every member on strand(), but the counters.
*/
class api_transport
{
public:
    api_transport(boost::asio::any_io_executor ex, transport_options o);

    boost::asio::strand<boost::asio::any_io_executor>& strand() noexcept { return strand_; }
    /// Why the options cannot work (an unreadable CA file), or empty.
    std::string const& problem() const noexcept { return problem_; }
    bool closing() const noexcept { return closing_; }

    /** One exchange, no retry: the answer whatever its status, or api_unreachable. The
        strings are the caller's, alive until it resumes. `auth_header` (e.g. Authorization)
        carries `auth_value` when both are set; neither is ever put in an error. */
    boost::asio::awaitable<api_result<api_answer>> exchange(url_parts const& u, boost::beast::http::verb method,
                                                            std::string const& target, std::string const& body,
                                                            std::string_view content_type, std::string_view auth_header,
                                                            std::string const& auth_value);

    /// Waits `d` (cancel() ends the wait early).
    boost::asio::awaitable<void> sleep(std::chrono::milliseconds d);
    /** After attempt `attempt` (from 1) failed with `e`: the wait before the next (jittered,
        doubling from initial_backoff, bounded; a 429's Retry-After when longer), or nothing
        when `e` is final: not retryable by `p`, the last attempt, a Retry-After over
        `p.max_retry_after`, or the transport closing. */
    std::optional<std::chrono::milliseconds> retry_wait(api_error const& e, unsigned attempt, retry_policy const& p);

    /** The one retry loop of the API clients: `co_await attempt()` (an
        awaitable<api_result<T>>) until it succeeds or retry_wait() says its failure is
        final, waiting between attempts; `retries` counts the attempts after the first.
        The last attempt's result is returned. */
    template<class T, class Attempt>
    boost::asio::awaitable<api_result<T>> with_retries(retry_policy p, Attempt attempt, std::atomic<std::uint64_t>& retries)
    {
        for(unsigned n = 1;; ++n)
        {
            api_result<T> r = co_await attempt();
            if(r)
                co_return r;
            auto const wait = retry_wait(r.error(), n, p);
            if(!wait)
                co_return r;
            ++retries;
            co_await sleep(*wait);
        }
    }

    /// Ends every exchange and wait in flight, and makes later ones fail at once.
    void close_all();

    std::atomic<std::uint64_t> requests{0};

private:
    // What close_all() closes: registered by each coroutine, on the strand, while it lives.
    struct live_guard;

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    transport_options const opts_;
    boost::asio::ssl::context tls_;
    std::string problem_;
    std::mt19937 rng_;
    bool closing_ = false;
    std::uint64_t next_live_ = 0;
    std::map<std::uint64_t, std::function<void()>> live_;
};

} // namespace catena::webhooks::detail

#endif
