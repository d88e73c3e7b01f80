// SPDX-License-Identifier: BSL-1.0
// lib/http/session.hpp - one connection: reads requests under limits and timeouts, routes them, writes answers.
#ifndef CATENA_WEBHOOKS_HTTP_SESSION_HPP
#define CATENA_WEBHOOKS_HTTP_SESSION_HPP

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/counters.hpp"
#include "http/forwarded.hpp"
#include "http/intake.hpp"
#include "http/request_flow.hpp"
#include "http/session_host.hpp"

#include <atomic>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/read.hpp>
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

/** What a read that failed with `ec` (not a timeout) is answered: an error to answer, error{}
    when the peer just went away, nothing when it is news (reported as it is). */
std::optional<error> read_error_answer(error_code ec) noexcept;

/** One connection (Beast's session shape: do_x / on_x continuations on the connection's
    strand, a timer armed before each operation, a parser per request with its limits).

    Reads a request's headers first and decides on them: framing (Transfer-Encoding, Host),
    route and method, then for a delivery everything intake can check without the body
    (the peer's standing, the signature headers, the announced size) and the body budget.
    Only then is the body read, its bytes reserved in the budget as they come. The delivery
    goes to intake and its answer is written when it comes back. Every error gets its status
    and reason; an answer given before the body was read lingers (reads and discards up to
    limits.linger_bytes for timeouts.linger) before closing, so that a client still sending
    reads it instead of a reset.
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
    std::optional<std::chrono::steady_clock::time_point> idle_since() const noexcept override;

private:
    enum class phase
    {
        handshake,
        idle,
        header,
        body,
        processing,
        writing,
        lingering,
        closing,
    };
    using ops = stream_ops<Stream>;
    using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

    void start();
    void do_read_proxy_header();
    void on_proxy_header();
    void do_handshake();
    void on_handshake(error_code ec);
    void do_read();
    void do_read_header();
    void on_header(error_code ec);
    void on_delivery_header(route_match const& route);
    void read_delivery_body(std::optional<std::uint64_t> length);
    void do_read_body();
    void on_body_part(error_code ec);
    void on_body();
    void on_read_error(error_code ec);
    void reject(error e, std::string_view allow = {}, bool force_close = false);
    void answer_early(answer a);
    void set_phase(phase p);
    void do_linger();
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
    std::string remote_;       // the peer as "address:port"
    boost::asio::ip::address peer_ip_;
    bool peer_trusted_ = false; // a trusted proxy (receiver_options::trusted_proxies)
    std::string peer_key_;     // the connection's key in the per-address bound ("" for a trusted proxy)
    request_peer peer_;        // the peer as requests see it (its client: the PROXY header's source)
    delivery_flow flow_;       // the delivery being admitted, read and kept
    phase phase_ = phase::idle;
    // While the connection waits for a request: since when (steady clock ticks), else 0.
    std::atomic<std::int64_t> idle_since_{0};
    std::size_t lingered_ = 0;   // bytes discarded while lingering
    bool linger_ = false;        // the answer leaves a body unread
    std::uint64_t timer_generation_ = 0;
    bool timed_out_ = false;
    bool close_after_response_ = false;
    extra_header extra_ = extra_header::none;
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
    , peer_ip_(unmapped(ops::peer(stream_)))
    , peer_trusted_(host_->deliveries().trusted(peer_ip_))
    , peer_key_(peer_trusted_ ? std::string() : budget_key(peer_ip_))
    , peer_{peer_ip_, remote_, client_of(peer_ip_), peer_trusted_ && !opts_.proxy_protocol}
    , flow_(*host_)
{
}

template<class Stream>
session<Stream>::~session()
{
    flow_.release();
    host_->closed(this, peer_key_);
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
    // No longer a candidate for make_room(): it is on its way out.
    idle_since_.store(0, std::memory_order_relaxed);
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
        self->close_after_response_ = true;
        ops::cancel(self->stream_);
        ops::close(self->stream_);
    });
}

template<class Stream>
std::optional<std::chrono::steady_clock::time_point> session<Stream>::idle_since() const noexcept
{
    auto const t = idle_since_.load(std::memory_order_relaxed);
    if(t == 0)
        return std::nullopt;
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(t));
}

template<class Stream>
void session<Stream>::set_phase(phase p)
{
    phase_ = p;
    idle_since_.store(p == phase::idle ? std::chrono::steady_clock::now().time_since_epoch().count() : 0,
                      std::memory_order_relaxed);
}

template<class Stream>
void session<Stream>::start()
{
    // A trusted proxy speaking the PROXY protocol names the client before anything else,
    // before TLS too.
    if(opts_.proxy_protocol && peer_trusted_)
    {
        set_phase(phase::handshake);
        arm(opts_.timeouts.header);
        return do_read_proxy_header();
    }
    do_handshake();
}

template<class Stream>
void session<Stream>::do_read_proxy_header()
{
    auto const h = parse_proxy_header(
        std::string_view(static_cast<char const*>(buffer_.data().data()), buffer_.size()));
    if(h.status == proxy_header::state::complete)
    {
        buffer_.consume(h.length);
        if(h.source)
            peer_.client = client_of(*h.source);
        return do_handshake();
    }
    if(h.status == proxy_header::state::invalid)
    {
        host_->counts().add(counters::id::proxy_header_errors);
        host_->report(error::bad_proxy_header, 0,
                      "connection from trusted proxy " + remote_ + " did not begin with a PROXY protocol header; closed",
                      {}, {});
        return finish({});
    }
    // Exactly the bytes the header still needs: what follows it (a TLS handshake, the first
    // request) stays unread for the layer above.
    boost::asio::async_read(ops::lowest(stream_), buffer_.prepare(h.more), boost::asio::transfer_exactly(h.more),
                            [self = this->shared_from_this()](error_code ec, std::size_t n) {
                                self->buffer_.commit(n);
                                if(ec)
                                    return self->finish(self->timed_out_ ? error_code{} : ec);
                                self->do_read_proxy_header();
                            });
}

template<class Stream>
void session<Stream>::do_handshake()
{
    if constexpr(ops::is_tls)
    {
        set_phase(phase::handshake);
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
    set_phase(phase::idle);
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
    set_phase(phase::header);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(opts_.limits.max_header_bytes));
    // No body limit while the headers are read: a Content-Length over it is answered after
    // the header checks (401 when they fail, 503 when they pass), not by the parser.
    parser_->body_limit(boost::none);
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
    auto const route = route_head(*host_, host_->served(), req, !parser_->is_done());
    switch(route.what)
    {
    case head_route::kind::refuse: return reject(route.refusal, route.allow, route.close);
    case head_route::kind::delivery: return on_delivery_header(*route.route);
    case head_route::kind::read: break;
    }
    auto const auth = req.find(http::field::authorization);
    auto r = read_route(*host_, route.is_health, req.target(),
                        auth == req.end() ? std::string_view{} : std::string_view(auth->value()));
    host_->counts().count_response(r.status, r.ec);
    if(r.ec)
        host_->report(r.ec, r.status, "admin request from " + remote_, {}, {});
    extra_ = r.challenge ? extra_header::challenge : r.page ? extra_header::page : extra_header::none;
    respond(r.status, std::move(r.body), r.content_type);
}

// A delivery (Catena's, or on another provider's `route`): everything that needs no body is
// decided on the headers (delivery_flow::admit), then the body is read, reserved as it comes.
template<class Stream>
void session<Stream>::on_delivery_header(route_match const& route)
{
    parser_->body_limit(opts_.limits.max_body_bytes);
    std::optional<std::uint64_t> length;
    if(auto const l = parser_->content_length())
        length = *l;
    if(auto a = flow_.admit(parser_->get(), route, length, peer_))
        return answer_early(*a);
    read_delivery_body(length);
}

template<class Stream>
void session<Stream>::read_delivery_body(std::optional<std::uint64_t> length)
{
    // A Content-Length body is reserved whole before a byte of it is read; a chunked one
    // as it grows (on_body_part).
    if(length && *length > 0)
        if(auto a = flow_.reserve(static_cast<std::size_t>(*length)))
            return answer_early(*a);
    set_phase(phase::body);
    arm(opts_.timeouts.body);
    do_read_body();
}

template<class Stream>
void session<Stream>::do_read_body()
{
    if(parser_->is_done())
        return on_body();
    boost::beast::http::async_read_some(stream_, buffer_, *parser_,
                                        [self = this->shared_from_this()](error_code ec, std::size_t) {
                                            self->on_body_part(ec);
                                        });
}

template<class Stream>
void session<Stream>::on_body_part(error_code ec)
{
    namespace http = boost::beast::http;
    if(ec == http::error::body_limit)
        return answer_early(flow_.too_large(parser_->get().body().size()));
    if(ec)
        return on_read_error(ec);
    if(auto a = flow_.reserve(parser_->get().body().size()))
        return answer_early(*a);
    do_read_body();
}

template<class Stream>
void session<Stream>::on_body()
{
    set_phase(phase::processing);
    disarm();
    // The answer waits for the store (a commit on disk); it comes back to this strand.
    flow_.deliver(std::move(parser_->get().body()), [self = this->shared_from_this()](answer a) {
        boost::asio::dispatch(self->stream_.get_executor(), [self, a] { self->respond_status(a.status, a.ec); });
    });
}

// An answer given before the body was read (intake reported and counted its reason).
template<class Stream>
void session<Stream>::answer_early(answer a)
{
    flow_.release();
    if(!parser_->is_done())
    {
        close_after_response_ = true;
        linger_ = true;
    }
    respond_status(a.status, a.ec);
}

template<class Stream>
void session<Stream>::on_read_error(error_code ec)
{
    // The reading phase tells a slow-loris from a client that went away.
    if(timed_out_)
    {
        if(phase_ == phase::header)
            return reject(error::header_timeout, {}, true);
        if(phase_ == phase::body)
            return reject(error::body_timeout, {}, true);
    }
    if(auto const e = read_error_answer(ec))
        return *e == error{} ? finish({}) : reject(*e, {}, true);
    finish(ec);
}

template<class Stream>
void session<Stream>::reject(error e, std::string_view allow, bool force_close)
{
    flow_.release();
    bool const head = parser_ && parser_->is_header_done();
    auto const a = refuse_request(*host_, e, head ? &parser_->get() : nullptr, remote_);
    // A body we did not read leaves the stream unusable for a next request: the answer
    // lingers so that the client reads it (not for broken framing or a timeout: nothing
    // more from that peer can be trusted or is coming).
    if(force_close || !parser_ || !parser_->is_done())
        close_after_response_ = true;
    if(!force_close && head && !parser_->is_done())
        linger_ = true;
    respond_status(a.status, a.ec, allow);
}

template<class Stream>
void session<Stream>::respond_status(unsigned status, error_code ec, std::string_view allow)
{
    // The admin listener's refusals (a method, a Host, the framing) have the shape of its
    // other errors; a delivery's answer stays {status, reason}, which says no more than Catena needs.
    auto body = host_->served() == routes::admin && ec ? admin_problem_body(status, ec, ec.message())
                                                       : answer_body(status, ec);
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
    shape_response(res_, version, status, content_type, std::exchange(extra_, extra_header::none), allow,
                   retry_after ? std::optional(opts_.timeouts.retry_after) : std::nullopt);
    bool const head = have_request && parser_->get().method() == http::verb::head;
    res_.body() = head ? std::string() : std::move(body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    close_after_response_ = !keep_alive;

    set_phase(phase::writing);
    arm(opts_.timeouts.write);
    http::async_write(stream_, res_, [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
}

template<class Stream>
void session<Stream>::on_write(error_code ec)
{
    if(ec)
        return finish(ec);
    if(close_after_response_)
        return linger_ ? do_linger() : do_close();
    do_read();
}

// Lingering close (nginx's lingering_close): the answer is out, the client may still be
// sending the body it announced. Closing with unread bytes would reset the connection and
// could destroy the answer before the client reads it, so the rest is read and dropped,
// within bounds, first.
template<class Stream>
void session<Stream>::do_linger()
{
    if(phase_ != phase::lingering)
    {
        set_phase(phase::lingering);
        if constexpr(!ops::is_tls)
            ops::shutdown_send(stream_);
        arm(opts_.timeouts.linger);
        lingered_ = buffer_.size();
        buffer_.consume(buffer_.size());
    }
    if(lingered_ >= opts_.limits.linger_bytes)
        return do_close();
    stream_.async_read_some(buffer_.prepare(16384), [self = this->shared_from_this()](error_code ec, std::size_t n) {
        self->lingered_ += n;
        self->buffer_.consume(self->buffer_.size());
        if(ec)
            return self->finish({});
        self->do_linger();
    });
}

template<class Stream>
void session<Stream>::do_close()
{
    set_phase(phase::closing);
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
    flow_.release();
    // end_of_stream, aborted operations during stop and TLS truncation after a complete
    // message are how connections normally end; only the rest is news.
    if(ec && ec != net::error::operation_aborted && ec != net::error::eof && ec != http::error::end_of_stream &&
       ec != net::ssl::error::stream_truncated && ec != net::error::connection_reset &&
       !(timed_out_ && phase_ == phase::idle))
        host_->report(ec, 0, "connection " + remote_, {}, {});
    idle_since_.store(0, std::memory_order_relaxed);
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
        if(self->phase_ == phase::writing || self->phase_ == phase::closing || self->phase_ == phase::handshake ||
           self->phase_ == phase::lingering)
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
