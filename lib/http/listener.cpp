// SPDX-License-Identifier: BSL-1.0
// lib/http/listener.cpp - accepts connections, starts their sessions, and stops them all.
#include "http/listener.hpp"

#include "http/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <sys/resource.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace catena::webhooks::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

bool transient_accept_error(error_code ec)
{
    return ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
           ec == net::error::connection_aborted || ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

// The descriptors a receiver needs besides its connections: the store's files, the
// acceptors, the event loop's and the signal handler's, the output.
std::size_t connections_for_descriptors()
{
    rlimit rl{};
    if(getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 20'000;
    auto const limit = static_cast<std::size_t>(rl.rlim_cur);
    auto const reserve = std::max<std::size_t>(64, limit / 20);
    return limit > reserve + 16 ? limit - reserve : 16;
}

} // namespace

listener::listener(net::any_io_executor ex, receiver_options const& opts, counters& counts, intake& in,
                   report_fn report, routes served)
    : ex_(std::move(ex))
    , opts_(opts)
    , counts_(counts)
    , intake_(in)
    , report_(std::move(report))
    , served_(served)
    , strand_(net::make_strand(ex_))
    , accept_retry_(strand_)
    , grace_timer_(strand_)
    , penalty_timer_(strand_)
{
}

error_code listener::open(std::optional<tcp::endpoint> endpoint, std::weak_ptr<void> keep_alive,
                          std::function<std::string()> metrics, state_source const* state,
                          std::function<void()> on_drained)
{
    keep_alive_ = std::move(keep_alive);
    metrics_ = std::move(metrics);
    state_ = state;
    on_drained_ = std::move(on_drained);
    max_connections_ = served_ == routes::admin          ? 256
                       : opts_.limits.max_connections > 0 ? opts_.limits.max_connections
                                                          : connections_for_descriptors();
    if(!endpoint)
        return {};
    if(served_ != routes::admin)
        if(auto ec = setup_tls())
            return ec;
    error_code ec;
    tcp::acceptor a(strand_);
    a.open(endpoint->protocol(), ec);
    if(!ec)
        a.set_option(net::socket_base::reuse_address(true), ec);
    if(!ec)
        a.bind(*endpoint, ec);
    if(!ec)
        a.listen(net::socket_base::max_listen_connections, ec);
    if(!ec)
        bound_ = a.local_endpoint(ec);
    if(ec)
    {
        std::ostringstream where;
        where << *endpoint;
        open_detail_ = "cannot listen on " + where.str() + ": " + ec.message();
        return ec;
    }
    acceptor_.emplace(std::move(a));
    return {};
}

// TLS 1.2 with forward secrecy and AEAD only (ECDHE with AES-GCM or ChaCha20-Poly1305), or
// TLS 1.3; the server's order of preference wins.
error_code listener::setup_tls()
{
    if(opts_.tls.certificate_file.empty())
        return {};
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    error_code ec;
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                      ec);
    auto* ctx = tls_->native_handle();
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    if(SSL_CTX_set_min_proto_version(ctx, opts_.tls.min_version == tls_version::v1_3 ? TLS1_3_VERSION
                                                                                     : TLS1_2_VERSION) != 1 ||
       SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
    {
        open_detail_ = "cannot configure TLS";
        tls_.reset();
        return make_error_code(error::invalid_options);
    }
    if(!ec)
    {
        tls_->use_certificate_chain_file(opts_.tls.certificate_file, ec);
        if(ec)
            open_detail_ = "cannot load the TLS certificate chain " + opts_.tls.certificate_file + ": " + ec.message();
    }
    if(!ec)
    {
        tls_->use_private_key_file(opts_.tls.private_key_file, ssl::context::pem, ec);
        if(ec)
            open_detail_ = "cannot load the TLS private key " + opts_.tls.private_key_file + ": " + ec.message();
    }
    if(ec)
        tls_.reset();
    return ec;
}

void listener::start_accepting()
{
    net::dispatch(strand_, [this, hold = keep_alive_.lock()] {
        do_accept();
        if(served_ != routes::admin)
            watch_penalties();
    });
}

// Once a second: the penalties that ended are reported (a penalty's end is as much the
// operator's news as its start, and nothing else would notice it).
void listener::watch_penalties()
{
    if(stopping_.load())
        return;
    intake_.expire_penalties();
    penalty_timer_.expires_after(std::chrono::seconds(1));
    penalty_timer_.async_wait([this, hold = keep_alive_.lock()](error_code ec) {
        if(!ec)
            watch_penalties();
    });
}

void listener::do_accept()
{
    if(stopping_.load() || !acceptor_ || !acceptor_->is_open())
        return;
    // Each connection gets its own strand.
    acceptor_->async_accept(net::make_strand(ex_), [this, hold = keep_alive_.lock()](error_code ec, tcp::socket s) {
        on_accept(ec, std::move(s));
    });
}

void listener::on_accept(error_code ec, tcp::socket socket)
{
    if(ec == net::error::operation_aborted || stopping_.load())
        return;
    if(ec)
    {
        counts_.add(counters::id::accept_errors);
        report(ec, 0, "accept failed (" + ec.message() + "); retrying", {}, {});
        // Out of descriptors and the like: pause instead of spinning, then go on.
        accept_retry_.expires_after(transient_accept_error(ec) ? std::chrono::milliseconds(50)
                                                               : std::chrono::milliseconds(10));
        accept_retry_.async_wait([this, hold = keep_alive_.lock()](error_code e) {
            if(!e)
                do_accept();
        });
        return;
    }
    // Connections are bounded per address (an IPv6 address's /64), but a trusted proxy's
    // carry many clients: not bounded per address (as the session's key says: none).
    std::string peer;
    if(served_ != routes::admin && intake_.gate().limits().max_connections_per_peer > 0)
    {
        error_code ignored;
        auto const a = socket.remote_endpoint(ignored).address();
        if(!intake_.trusted(a))
            peer = budget_key(a);
    }
    if(active_.load() >= max_connections_ && !make_room())
        refuse(socket, error::too_many_connections);
    else if(!peer.empty() && !intake_.gate().open_connection(peer))
        refuse(socket, error::peer_connection_limit);
    else
    {
        counts_.add(counters::id::connections_accepted);
        counts_.add(counters::id::connections_active);
        ++active_;
        socket.set_option(tcp::no_delay(true), ec);
        if(tls_)
            std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(self(), std::move(socket), *tls_)->run();
        else
            std::make_shared<session<beast::tcp_stream>>(self(), std::move(socket))->run();
    }
    do_accept();
}

// At the bound: the connection idle longest (a keep-alive connection between requests, or
// one that never sent a byte) is closed for the newcomer. Its descriptor is freed once its
// strand runs the close; the reserve below the descriptor limit covers the moment between.
bool listener::make_room()
{
    std::shared_ptr<session_base> oldest;
    std::chrono::steady_clock::time_point since = std::chrono::steady_clock::time_point::max();
    {
        std::lock_guard lock(sessions_mutex_);
        for(auto& [p, w] : sessions_)
            if(auto t = p->idle_since(); t && *t < since)
                if(auto s = w.lock())
                {
                    since = *t;
                    oldest = std::move(s);
                }
    }
    if(!oldest)
        return false;
    counts_.add(counters::id::connections_evicted);
    oldest->stop_hard();
    return true;
}

// A connection that cannot be served: a short 503, written without waiting, then closed.
void listener::refuse(tcp::socket& socket, error e)
{
    counts_.add(counters::id::connections_refused);
    counts_.count_response(503, e);
    std::string const reason_text(reason(e));
    std::string const body = R"({"status":503,"reason":")" + reason_text + "\"}\n";
    std::string const res = "HTTP/1.1 503 Service Unavailable\r\nServer: catena-webhooks\r\nRetry-After: " +
                            std::to_string(opts_.timeouts.retry_after.count()) +
                            "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(res), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}

void listener::stop_hard()
{
    net::dispatch(strand_, [this, hold = keep_alive_.lock()] {
        for_each_session([](auto const& s) { s->stop_hard(); });
    });
}

void listener::stop()
{
    if(stopping_.exchange(true))
        return;
    net::dispatch(strand_, [this, hold = keep_alive_.lock()] { begin_stop(); });
}

void listener::begin_stop()
{
    error_code ignored;
    if(acceptor_)
        acceptor_->close(ignored);
    accept_retry_.cancel();
    penalty_timer_.cancel();
    accepting_closed_.store(true);
    bool any = false;
    for_each_session([&any](auto const& s) {
        any = true;
        s->stop_soft();
    });
    if(!any)
    {
        if(!drained_.exchange(true))
            on_drained_();
        return;
    }
    grace_timer_.expires_after(opts_.timeouts.shutdown_grace);
    grace_timer_.async_wait([this, hold = keep_alive_.lock()](error_code ec) {
        if(ec)
            return;
        for_each_session([](auto const& s) { s->stop_hard(); });
    });
}

void listener::report(error_code ec, unsigned status, std::string text, std::string request_id, std::string webhook_id)
{
    report_(ec, status, std::move(text), std::move(request_id), std::move(webhook_id));
}

admin_reply listener::admin(std::string_view target, std::string_view authorization)
{
    if(!state_)
        return admin_problem(404, error::not_found, "no such route");
    return answer_admin(*state_, opts_, target, authorization);
}

void listener::opened(session_base* s, std::weak_ptr<session_base> w)
{
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(s, std::move(w));
}

void listener::closed(session_base* s, std::string const& peer) noexcept
{
    if(served_ != routes::admin && intake_.gate().limits().max_connections_per_peer > 0 && !peer.empty())
        intake_.gate().close_connection(peer);
    --active_;
    bool last = false;
    {
        std::lock_guard lock(sessions_mutex_);
        sessions_.erase(s);
        last = sessions_.empty();
    }
    counts_.add(counters::id::connections_active, -1);
    // Every session is gone and the acceptor is closed: nothing more will be delivered.
    if(last && accepting_closed_.load())
    {
        net::post(strand_, [this, hold = keep_alive_.lock()] { grace_timer_.cancel(); });
        if(!drained_.exchange(true))
            on_drained_();
    }
}

template<class F>
void listener::for_each_session(F f)
{
    std::vector<std::shared_ptr<session_base>> live;
    {
        std::lock_guard lock(sessions_mutex_);
        for(auto& [p, w] : sessions_)
            if(auto s = w.lock())
                live.push_back(std::move(s));
    }
    for(auto& s : live)
        f(s);
}

} // namespace catena::webhooks::detail
