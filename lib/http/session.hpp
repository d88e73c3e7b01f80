// SPDX-License-Identifier: BSL-1.0
// lib/http/session.hpp - one connection: reads requests under limits and timeouts, routes them, writes answers.
#ifndef CATENA_WEBHOOKS_HTTP_SESSION_HPP
#define CATENA_WEBHOOKS_HTTP_SESSION_HPP

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/counters.hpp"
#include "http/forwarded.hpp"
#include "http/framing.hpp"
#include "http/intake.hpp"
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

/** The answer to a GET or HEAD of a route other than deliveries: the health route, the
    metrics route (where no admin listener serves it), or the admin listener's state API and
    status page (session_host::admin). */
admin_reply read_route(session_host& host, bool is_health, std::string_view target, std::string_view authorization);

/** Whether the admin listener answers a request whose Host is `host`: loopback names
    (localhost, *.localhost) and addresses, the listener's own address, and the names of
    receiver_options::admin_hosts. Anything else could be a page the operator opened whose
    name now resolves to the admin address (DNS rebinding): 421. */
bool admin_host_allowed(std::string_view host, receiver_options const& opts) noexcept;

/** The headers of a delivery that matter: Catena's (spec §4.2), or on another provider's
    route `r` those it has (the route as webhook id) and, in `token`, its token header. Views
    into `req` (and `r`). */
delivery_headers delivery_headers_of(boost::beast::http::request_header<> const& req);

/** What a read that failed with `ec` (not a timeout) is answered: an error to answer, error{}
    when the peer just went away, nothing when it is news (reported as it is). */
std::optional<error> read_error_answer(error_code ec) noexcept;

/// A header some answers carry: the admin routes' challenge, the status page's policy.
enum class extra_header : std::uint8_t
{
    none,
    challenge,
    page
};

/** Fills `res` with an answer (everything but the body and the payload's framing). */
void shape_response(boost::beast::http::response<boost::beast::http::string_body>& res, unsigned version,
                    unsigned status, std::string_view content_type, extra_header extra, std::string_view allow,
                    std::optional<std::chrono::seconds> retry_after);
delivery_headers route_headers_of(boost::beast::http::request_header<> const& req, route_options const& r,
                                  std::string_view& token);

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
    client_address const& request_client();
    void do_read();
    void do_read_header();
    void on_header(error_code ec);
    void on_delivery_header();
    void on_route_header(route_match const& m);
    void read_delivery_body(std::optional<std::uint64_t> length);
    void do_read_body();
    void on_body_part(error_code ec);
    void on_body();
    void on_read_error(error_code ec);
    void reject(error e, std::string_view allow = {}, bool force_close = false);
    void answer_early(answer a);
    void release_body();
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
    client_address conn_client_; // the connection's client: the peer, or its PROXY header's source
    client_address client_;      // this request's client (behind a proxy: X-Forwarded-For)
    std::string who_;            // this request's client for reports
    phase phase_ = phase::idle;
    // While the connection waits for a request: since when (steady clock ticks), else 0.
    std::atomic<std::int64_t> idle_since_{0};
    delivery_headers headers_;
    checked_headers checked_;
    route_options const* route_ = nullptr; // another provider's route, for this request
    std::size_t reserved_ = 0;   // body bytes reserved in the budget
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
    , conn_client_(client_of(peer_ip_))
{
}

template<class Stream>
session<Stream>::~session()
{
    release_body();
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
            conn_client_ = client_of(*h.source);
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

// The client of the request whose headers were just read: behind a trusted proxy that does
// not speak the PROXY protocol, the right-most untrusted hop of its X-Forwarded-For. A proxy
// whose header cannot be read leaves the proxy as the client (reported), never a refusal:
// the request may be an authentic delivery.
template<class Stream>
client_address const& session<Stream>::request_client()
{
    client_ = conn_client_;
    if(peer_trusted_ && !opts_.proxy_protocol)
    {
        std::string xff;
        for(auto const& f : parser_->get())
            if(boost::beast::iequals(f.name_string(), "X-Forwarded-For"))
                xff.append(xff.empty() ? "" : ",").append(f.value());
        if(auto a = forwarded_client(peer_ip_, xff, host_->deliveries().trusted_proxies()))
            client_ = client_of(*a);
        else
        {
            host_->counts().add(counters::id::proxy_header_errors);
            host_->report(error::bad_proxy_header, 0,
                          "X-Forwarded-For \"" + xff.substr(0, 200) + "\" from trusted proxy " + remote_ +
                              " names no address; its request is counted as the proxy's",
                          {}, {});
        }
    }
    who_ = client_.ip == peer_ip_ ? remote_ : client_.ip.to_string() + " (via " + remote_ + ")";
    return client_;
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
    if(auto const e = check_framing(parser_->get()); e != error{})
        return reject(e, {}, true);
    auto const& req = parser_->get();
    auto target = std::string_view(req.target());
    target = target.substr(0, target.find('?'));
    auto const served = host_->served();
    route_ = nullptr;
    if(served != routes::admin)
    {
        auto const m = target == opts_.path ? std::nullopt : host_->deliveries().route_for(target);
        if(target == opts_.path || m)
        {
            if(req.method() != http::verb::post)
                return reject(error::method_not_allowed, "POST");
            if(m && m->route->kind != provider::catena)
                return on_route_header(*m);
            return on_delivery_header();
        }
    }
    bool const admin = served != routes::deliveries;
    bool const is_health = admin && !opts_.health_path.empty() && target == opts_.health_path;
    // Metrics on the delivery listener only where nobody else can read them (or asked for).
    bool const metrics_here =
        served == routes::admin || opts_.public_metrics.value_or(opts_.listen.address().is_loopback());
    bool const is_metrics = admin && metrics_here && !opts_.metrics_path.empty() && target == opts_.metrics_path;
    if(served == routes::admin && !is_health)
    {
        auto const h = req.find(http::field::host);
        if(!admin_host_allowed(h == req.end() ? std::string_view{} : std::string_view(h->value()), opts_))
            return reject(error::host_not_allowed);
    }
    if(!is_health && !is_metrics && (served != routes::admin || target == opts_.path || host_->deliveries().route_for(target)))
        return reject(error::not_found);
    if(req.method() != http::verb::get && req.method() != http::verb::head)
        return reject(error::method_not_allowed, "GET, HEAD");
    if(!parser_->is_done())
        return reject(error::bad_request); // a GET with a body: not worth reading
    auto const auth = req.find(http::field::authorization);
    auto r = read_route(*host_, is_health, req.target(),
                        auth == req.end() ? std::string_view{} : std::string_view(auth->value()));
    host_->counts().count_response(r.status, r.ec);
    if(r.ec)
        host_->report(r.ec, r.status, "admin request from " + remote_, {}, {});
    extra_ = r.challenge ? extra_header::challenge : r.page ? extra_header::page : extra_header::none;
    respond(r.status, std::move(r.body), r.content_type);
}

// Everything that needs no body is decided here: a forged, stale, oversized or unaffordable
// request is answered without reading it, whatever it announces.
template<class Stream>
void session<Stream>::on_delivery_header()
{
    headers_ = delivery_headers_of(parser_->get());
    auto& in = host_->deliveries();
    parser_->body_limit(opts_.limits.max_body_bytes);
    std::optional<std::uint64_t> length;
    if(auto const l = parser_->content_length())
        length = *l;
    auto const& client = request_client();
    if(auto a = in.admit(headers_, length, who_, client, checked_))
        return answer_early(*a);
    read_delivery_body(length);
}

// A delivery on another provider's route: its token and allowlist instead of a signature.
template<class Stream>
void session<Stream>::on_route_header(route_match const& m)
{
    route_ = m.route;
    std::string_view token;
    headers_ = route_headers_of(parser_->get(), *route_, token);
    parser_->body_limit(opts_.limits.max_body_bytes);
    std::optional<std::uint64_t> length;
    if(auto const l = parser_->content_length())
        length = *l;
    auto const& client = request_client();
    if(auto a = host_->deliveries().admit_route(m, headers_, token, length, who_, client))
        return answer_early(*a);
    read_delivery_body(length);
}

template<class Stream>
void session<Stream>::read_delivery_body(std::optional<std::uint64_t> length)
{
    auto& in = host_->deliveries();
    // A Content-Length body is reserved whole before a byte of it is read; a chunked one
    // as it grows (do_read_body).
    if(length && *length > 0)
    {
        if(!in.reserve_body(static_cast<std::size_t>(*length)))
            return answer_early(in.defer(error::body_budget_exhausted, headers_, who_,
                                         static_cast<std::size_t>(*length)));
        reserved_ = static_cast<std::size_t>(*length);
    }
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
        return answer_early(host_->deliveries().defer(error::body_too_large, headers_, who_,
                                                      parser_->get().body().size()));
    if(ec)
        return on_read_error(ec);
    auto const have = parser_->get().body().size();
    if(have > reserved_)
    {
        if(!host_->deliveries().reserve_body(have - reserved_))
            return answer_early(host_->deliveries().defer(error::body_budget_exhausted, headers_, who_, have));
        reserved_ = have;
    }
    do_read_body();
}

template<class Stream>
void session<Stream>::on_body()
{
    set_phase(phase::processing);
    disarm();
    auto const t0 = std::chrono::steady_clock::now();
    // The answer waits for the store (a commit on disk); it comes back to this strand.
    auto done = [self = this->shared_from_this(), t0](answer a) {
        boost::asio::dispatch(self->stream_.get_executor(), [self, a, t0] {
            self->host_->counts().count_response(a.status, a.ec);
            if(a.status == 202)
                self->host_->counts().observe_ack_latency(std::chrono::steady_clock::now() - t0);
            self->respond_status(a.status, a.ec);
        });
    };
    if(route_)
        host_->deliveries().deliver_route(*route_, headers_, std::move(parser_->get().body()), who_, std::move(done));
    else
        host_->deliveries().deliver(headers_, checked_, std::move(parser_->get().body()), who_, client_, std::move(done));
    // The body is the inbox's now (or gone): it no longer counts against the budget.
    release_body();
}

template<class Stream>
void session<Stream>::release_body()
{
    if(reserved_ > 0)
        host_->deliveries().release_body(std::exchange(reserved_, 0));
}

// An answer given before the body was read (intake reported and counted its reason).
template<class Stream>
void session<Stream>::answer_early(answer a)
{
    release_body();
    host_->counts().count_response(a.status, a.ec);
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
    release_body();
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
    // A body we did not read leaves the stream unusable for a next request: the answer
    // lingers so that the client reads it (not for broken framing or a timeout: nothing
    // more from that peer can be trusted or is coming).
    if(force_close || !parser_ || !parser_->is_done())
        close_after_response_ = true;
    if(!force_close && parser_ && parser_->is_header_done() && !parser_->is_done())
        linger_ = true;
    respond_status(status, ec, allow);
}

template<class Stream>
void session<Stream>::respond_status(unsigned status, error_code ec, std::string_view allow)
{
    std::string body = R"({"status":)" + std::to_string(status) + R"(,"reason":")" + std::string(wire_reason(ec)) +
                       "\"}\n";
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
    release_body();
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
