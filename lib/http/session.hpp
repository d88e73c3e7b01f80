// SPDX-License-Identifier: BSL-1.0
// lib/http/session.hpp - one connection: reads requests under limits and timeouts, routes them, writes answers.
#ifndef CATENA_WEBHOOKS_HTTP_SESSION_HPP
#define CATENA_WEBHOOKS_HTTP_SESSION_HPP

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/counters.hpp"
#include "http/intake.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

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
    virtual void report(error_code ec, unsigned status, std::string text, std::string request_id,
                        std::string webhook_id) = 0;
    /// A delivery (POST to the delivery path, body read): answered through done, from any thread.
    virtual void deliver(delivery_headers const& h, std::string&& body, std::string const& remote,
                         std::function<void(answer)> done) = 0;
    /// The body of the metrics route.
    virtual std::string metrics_text() = 0;
    virtual void opened(session_base* s, std::weak_ptr<session_base> w) = 0;
    virtual void closed(session_base* s) noexcept = 0;
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
    static void cancel(boost::beast::ssl_stream<boost::beast::tcp_stream>& s) { tcp::cancel(s.next_layer()); }
    static void close(boost::beast::ssl_stream<boost::beast::tcp_stream>& s) { tcp::close(s.next_layer()); }
};

/** One connection (Beast's session shape: do_x / on_x continuations on the connection's
    strand, a timer armed before each operation, a parser per request with its limits).

    Reads a request's headers first: a delivery's body is read only for the delivery path
    and a POST within the size limit; the health and metrics routes are GET/HEAD only. The
    delivery goes to the host and its answer is written when it comes back. Every error
    gets its status and reason; a request whose body was not read closes the connection.
*/
template<class Stream>
class session final : public session_base, public std::enable_shared_from_this<session<Stream>>
{
public:
    template<class... Args>
    explicit session(std::shared_ptr<session_host> host, Args&&... args);
    ~session() override;

    /// Registers with the host and starts reading (on the stream's executor).
    void run();
    void stop_soft() override;
    void stop_hard() override;

private:
    enum class phase
    {
        handshake,
        idle,
        header,
        body,
        processing,
        writing,
        closing,
    };
    using ops = stream_ops<Stream>;
    using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

    void start();
    void on_handshake(error_code ec);
    void do_read();
    void do_read_header();
    void on_header(error_code ec);
    void on_body(error_code ec);
    void on_read_error(error_code ec);
    void reject(error e, std::string_view allow = {}, bool force_close = false);
    void respond_status(unsigned status, error_code ec, std::string_view allow = {});
    void respond(unsigned status, std::string body, std::string_view content_type, std::string_view allow = {},
                 bool retry_after = false);
    void on_write(error_code ec);
    void do_close();
    void finish(error_code ec);
    void arm(std::chrono::milliseconds d);
    void disarm();

    std::shared_ptr<session_host> host_;
    receiver_options const& opts_;
    Stream stream_;
    boost::asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    std::optional<request_parser> parser_;
    boost::beast::http::response<boost::beast::http::string_body> res_;
    std::string remote_;
    phase phase_ = phase::idle;
    std::uint64_t timer_generation_ = 0;
    bool timed_out_ = false;
    bool close_after_response_ = false;
};

//------------------------------------------------------------------------------

template<class Stream>
template<class... Args>
session<Stream>::session(std::shared_ptr<session_host> host, Args&&... args)
    : host_(std::move(host))
    , opts_(host_->options())
    , stream_(std::forward<Args>(args)...)
    , timer_(stream_.get_executor())
    , remote_(ops::remote(stream_))
{
}

template<class Stream>
session<Stream>::~session()
{
    host_->closed(this);
}

template<class Stream>
void session<Stream>::run()
{
    host_->opened(this, this->weak_from_this());
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
}

template<class Stream>
void session<Stream>::stop_soft()
{
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
        self->close_after_response_ = true;
        // Waiting for a request that has not begun: nothing is lost by closing now.
        if(self->phase_ == phase::idle)
            ops::cancel(self->stream_);
    });
}

template<class Stream>
void session<Stream>::stop_hard()
{
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
        self->close_after_response_ = true;
        ops::cancel(self->stream_);
        ops::close(self->stream_);
    });
}

template<class Stream>
void session<Stream>::start()
{
    if constexpr(ops::is_tls)
    {
        phase_ = phase::handshake;
        arm(opts_.timeouts.header);
        stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
    }
    else
    {
        do_read();
    }
}

template<class Stream>
void session<Stream>::on_handshake(error_code ec)
{
    if(ec)
        return finish(ec);
    do_read();
}

// Waits for the first bytes of the next request under the idle timeout, then reads the
// headers under the header timeout: a slow client gets `header` from its first byte, however
// long it idled before.
template<class Stream>
void session<Stream>::do_read()
{
    if(close_after_response_)
        return do_close();
    if(buffer_.size() > 0)
        return do_read_header();
    phase_ = phase::idle;
    arm(opts_.timeouts.idle);
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](error_code ec, std::size_t n) {
        self->buffer_.commit(n);
        if(ec)
            return self->finish(ec);
        self->do_read_header();
    });
}

template<class Stream>
void session<Stream>::do_read_header()
{
    phase_ = phase::header;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(opts_.limits.max_header_bytes));
    parser_->body_limit(opts_.limits.max_body_bytes);
    arm(opts_.timeouts.header);
    boost::beast::http::async_read_header(stream_, buffer_, *parser_,
                                          [self = this->shared_from_this()](error_code ec, std::size_t) {
                                              self->on_header(ec);
                                          });
}

template<class Stream>
void session<Stream>::on_header(error_code ec)
{
    namespace http = boost::beast::http;
    if(ec)
        return on_read_error(ec);
    auto const& req = parser_->get();
    auto target = std::string_view(req.target());
    target = target.substr(0, target.find('?'));
    if(target == opts_.path)
    {
        if(req.method() != http::verb::post)
            return reject(error::method_not_allowed, "POST");
        if(auto len = parser_->content_length(); len && *len > opts_.limits.max_body_bytes)
            return reject(error::body_too_large);
        phase_ = phase::body;
        arm(opts_.timeouts.body);
        return http::async_read(stream_, buffer_, *parser_,
                                [self = this->shared_from_this()](error_code e, std::size_t) { self->on_body(e); });
    }
    bool const is_health = !opts_.health_path.empty() && target == opts_.health_path;
    bool const is_metrics = !opts_.metrics_path.empty() && target == opts_.metrics_path;
    if(!is_health && !is_metrics)
        return reject(error::not_found);
    if(req.method() != http::verb::get && req.method() != http::verb::head)
        return reject(error::method_not_allowed, "GET, HEAD");
    if(!parser_->is_done())
        return reject(error::bad_request); // a GET with a body: not worth reading
    if(is_health)
    {
        bool const up = !host_->stopping();
        host_->counts().count_response(up ? 200 : 503, {});
        return respond(up ? 200 : 503, up ? "ok\n" : "stopping\n", "text/plain");
    }
    host_->counts().count_response(200, {});
    respond(200, host_->metrics_text(), "text/plain; version=0.0.4");
}

template<class Stream>
void session<Stream>::on_body(error_code ec)
{
    namespace http = boost::beast::http;
    if(ec)
        return on_read_error(ec);
    phase_ = phase::processing;
    disarm();
    auto const t0 = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    auto field = [&req](std::string_view name) -> std::string_view {
        auto it = req.find(name);
        return it == req.end() ? std::string_view{} : std::string_view(it->value());
    };
    delivery_headers const h{field(header::signature),  field(header::timestamp),
                             field(header::webhook_id), field(http::to_string(http::field::content_encoding)),
                             field(header::event_type), field(header::request_id),
                             field(header::delivery_attempt)};
    // The answer waits for the store (a commit on disk); it comes back to this strand.
    host_->deliver(h, std::move(req.body()), remote_, [self = this->shared_from_this(), t0](answer a) {
        boost::asio::dispatch(self->stream_.get_executor(), [self, a, t0] {
            self->host_->counts().count_response(a.status, a.ec);
            if(a.status == 202)
                self->host_->counts().observe_ack_latency(std::chrono::steady_clock::now() - t0);
            self->respond_status(a.status, a.ec);
        });
    });
}

template<class Stream>
void session<Stream>::on_read_error(error_code ec)
{
    namespace http = boost::beast::http;
    namespace net = boost::asio;
    // The reading phase tells a slow-loris from a client that went away.
    if(timed_out_)
    {
        if(phase_ == phase::header)
            return reject(error::header_timeout, {}, true);
        if(phase_ == phase::body)
            return reject(error::body_timeout, {}, true);
    }
    if(ec == http::error::header_limit)
        return reject(error::headers_too_large, {}, true);
    if(ec == http::error::body_limit)
        return reject(error::body_too_large, {}, true);
    if(ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == net::error::eof ||
       ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated)
        return finish({});
    if(ec.category() == http::make_error_code(http::error::bad_method).category())
        return reject(error::bad_request, {}, true);
    finish(ec);
}

template<class Stream>
void session<Stream>::reject(error e, std::string_view allow, bool force_close)
{
    auto const ec = make_error_code(e);
    unsigned const status = http_status(ec);
    host_->counts().count_response(status, ec);
    std::string rid, wid;
    if(parser_ && parser_->is_header_done())
    {
        auto const& req = parser_->get();
        if(auto it = req.find(header::request_id); it != req.end())
            rid = it->value();
        if(auto it = req.find(header::webhook_id); it != req.end())
            wid = it->value();
    }
    host_->report(ec, status, "request from " + remote_, std::move(rid), std::move(wid));
    // A body we did not read leaves the stream unusable for a next request.
    if(force_close || !parser_ || !parser_->is_done())
        close_after_response_ = true;
    respond_status(status, ec, allow);
}

template<class Stream>
void session<Stream>::respond_status(unsigned status, error_code ec, std::string_view allow)
{
    std::string body = R"({"status":)" + std::to_string(status) + R"(,"reason":")" +
                       std::string(ec ? reason(ec) : std::string_view("accepted")) + "\"}\n";
    respond(status, std::move(body), "application/json", allow, status == 503);
}

template<class Stream>
void session<Stream>::respond(unsigned status, std::string body, std::string_view content_type,
                              std::string_view allow, bool retry_after)
{
    namespace http = boost::beast::http;
    bool const have_request = parser_ && parser_->is_header_done();
    unsigned const version = have_request ? parser_->get().version() : 11;
    bool keep_alive = have_request ? parser_->get().keep_alive() : false;
    if(close_after_response_ || host_->stopping())
        keep_alive = false;
    res_ = {};
    res_.version(version);
    res_.result(status);
    res_.set(http::field::server, "catena-webhooks");
    res_.set(http::field::content_type, content_type);
    if(!allow.empty())
        res_.set(http::field::allow, allow);
    if(retry_after)
        res_.set(http::field::retry_after, std::to_string(opts_.timeouts.retry_after.count()));
    bool const head = have_request && parser_->get().method() == http::verb::head;
    res_.body() = head ? std::string() : std::move(body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    close_after_response_ = !keep_alive;

    phase_ = phase::writing;
    arm(opts_.timeouts.write);
    http::async_write(stream_, res_, [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
}

template<class Stream>
void session<Stream>::on_write(error_code ec)
{
    if(ec)
        return finish(ec);
    if(close_after_response_)
        return do_close();
    do_read();
}

template<class Stream>
void session<Stream>::do_close()
{
    phase_ = phase::closing;
    if constexpr(ops::is_tls)
    {
        arm(opts_.timeouts.write);
        stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->finish({}); });
    }
    else
    {
        ops::shutdown_send(stream_);
        finish({});
    }
}

template<class Stream>
void session<Stream>::finish(error_code ec)
{
    namespace http = boost::beast::http;
    namespace net = boost::asio;
    disarm();
    // end_of_stream, aborted operations during stop and TLS truncation after a complete
    // message are how connections normally end; only the rest is news.
    if(ec && ec != net::error::operation_aborted && ec != net::error::eof && ec != http::error::end_of_stream &&
       ec != net::ssl::error::stream_truncated && ec != net::error::connection_reset &&
       !(timed_out_ && phase_ == phase::idle))
        host_->report(ec, 0, "connection " + remote_, {}, {});
    ops::close(stream_);
}

template<class Stream>
void session<Stream>::arm(std::chrono::milliseconds d)
{
    timed_out_ = false;
    ++timer_generation_;
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this(), gen = timer_generation_](error_code ec) {
        if(ec || gen != self->timer_generation_)
            return;
        self->timed_out_ = true;
        ops::cancel(self->stream_);
        // A stalled write or TLS shutdown: nothing more can be said to this peer.
        if(self->phase_ == phase::writing || self->phase_ == phase::closing || self->phase_ == phase::handshake)
            ops::close(self->stream_);
    });
}

template<class Stream>
void session<Stream>::disarm()
{
    ++timer_generation_;
    timer_.cancel();
}

extern template class session<boost::beast::tcp_stream>;
extern template class session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace catena::webhooks::detail

#endif
