// SPDX-License-Identifier: BSL-1.0
// lib/http/listener.hpp - accepts connections, starts their sessions, and stops them all.
#ifndef CATENA_WEBHOOKS_HTTP_LISTENER_HPP
#define CATENA_WEBHOOKS_HTTP_LISTENER_HPP

#include <catena/webhooks/receiver_options.hpp>

#include "http/intake.hpp"
#include "http/session_host.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace catena::webhooks::detail {

/** The acceptor and the sessions it started.

    Accepting runs on a strand of its own and every connection gets a strand of its own
    (Beast's model). Accept errors never end the loop: a transient one (out of descriptors,
    an aborted connection) pauses it briefly instead of spinning. At the connection bound
    the longest-idle keep-alive connection is closed to make room; with none idle, and over
    the per-peer bound, the newcomer gets a 503 and is closed. stop() closes the acceptor,
    lets sessions finish their request for timeouts.shutdown_grace, then closes them; once
    the last one is gone, `on_drained` runs.

    @par Thread safety
    open() once, before any other call; stop() from any thread.
*/
class listener final : public session_host
{
public:
    using report_fn = intake::report_fn;

    /// Serves `served` on `endpoint` (TLS, when configured, only where deliveries are served).
    listener(boost::asio::any_io_executor ex, receiver_options const& opts, counters& counts, intake& in,
             report_fn report, routes served);

    /** Sets up TLS (when configured) and binds; port 0 picks one. `keep_alive` is held by
        every session and handler this object starts; `metrics` renders the metrics route;
        `state` answers the admin routes (an admin listener's); `on_drained` runs once the
        acceptor is closed and no session is left. Without an endpoint nothing is bound:
        the listener then only watches penalties and drains at once on stop() (a receiver
        taking deliveries through receiver::receive() alone). */
    error_code open(std::optional<boost::asio::ip::tcp::endpoint> endpoint, std::weak_ptr<void> keep_alive,
                    std::function<std::string()> metrics, state_source const* state,
                    std::function<void()> on_drained);
    /// Why open() failed, in one line naming the file or address.
    std::string const& open_detail() const noexcept { return open_detail_; }
    void start_accepting();
    void stop();
    /// Closes every connection now (stop() ran out of time).
    void stop_hard();
    /// The bound on connections in force (derived from the descriptor limit unless set).
    std::size_t max_connections() const noexcept { return max_connections_; }
    bool stopping() const noexcept override { return stopping_.load(); }

    boost::asio::ip::tcp::endpoint local_endpoint() const noexcept { return bound_; }

    // session_host
    receiver_options const& options() const noexcept override { return opts_; }
    counters& counts() noexcept override { return counts_; }
    routes served() const noexcept override { return served_; }
    void report(error_code ec, unsigned status, std::string text, std::string request_id,
                std::string webhook_id) override;
    intake& deliveries() noexcept override { return intake_; }
    std::string metrics_text() override { return metrics_(); }
    admin_reply admin(std::string_view target, std::string_view authorization) override;
    void opened(session_base* s, std::weak_ptr<session_base> w) override;
    void closed(session_base* s, std::string const& peer) noexcept override;

private:
    error_code setup_tls();
    void do_accept();
    void on_accept(error_code ec, boost::asio::ip::tcp::socket socket);
    bool make_room();
    void refuse(boost::asio::ip::tcp::socket& socket, error e);
    void begin_stop();
    void watch_penalties();
    template<class F>
    void for_each_session(F f);
    std::shared_ptr<session_host> self() { return {keep_alive_.lock(), this}; }

    boost::asio::any_io_executor ex_;
    receiver_options const& opts_;
    counters& counts_;
    intake& intake_;
    report_fn report_;
    routes const served_;
    std::size_t max_connections_ = 0;
    std::atomic<std::size_t> active_{0};
    std::string open_detail_;
    std::weak_ptr<void> keep_alive_;
    std::function<std::string()> metrics_;
    state_source const* state_ = nullptr;
    std::function<void()> on_drained_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
    boost::asio::steady_timer accept_retry_;
    boost::asio::steady_timer grace_timer_;
    boost::asio::steady_timer penalty_timer_;
    std::unique_ptr<boost::asio::ssl::context> tls_;
    boost::asio::ip::tcp::endpoint bound_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> accepting_closed_{false};
    std::atomic<bool> drained_{false};
    std::mutex sessions_mutex_;
    std::unordered_map<session_base*, std::weak_ptr<session_base>> sessions_;
};

} // namespace catena::webhooks::detail

#endif
