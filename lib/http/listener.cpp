// SPDX-License-Identifier: BSL-1.0
// lib/http/listener.cpp - accepts connections, starts their sessions, and stops them all.
#include "http/listener.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/ssl.hpp>

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

} // namespace

listener::listener(net::any_io_executor ex, receiver_options const& opts, counters& counts, intake& in,
                   report_fn report)
    : ex_(std::move(ex))
    , opts_(opts)
    , counts_(counts)
    , intake_(in)
    , report_(std::move(report))
    , strand_(net::make_strand(ex_))
    , accept_retry_(strand_)
    , grace_timer_(strand_)
{
}

error_code listener::open(std::weak_ptr<void> keep_alive, std::function<std::string()> metrics,
                          std::function<void()> on_drained)
{
    keep_alive_ = std::move(keep_alive);
    metrics_ = std::move(metrics);
    on_drained_ = std::move(on_drained);
    if(auto ec = setup_tls())
        return ec;
    error_code ec;
    tcp::acceptor a(strand_);
    a.open(opts_.listen.protocol(), ec);
    if(!ec)
        a.set_option(net::socket_base::reuse_address(true), ec);
    if(!ec)
        a.bind(opts_.listen, ec);
    if(!ec)
        a.listen(net::socket_base::max_listen_connections, ec);
    if(!ec)
        bound_ = a.local_endpoint(ec);
    if(ec)
        return ec;
    acceptor_.emplace(std::move(a));
    return {};
}

error_code listener::setup_tls()
{
    if(opts_.tls.certificate_file.empty())
        return {};
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    error_code ec;
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                      ec);
    if(!ec)
        tls_->use_certificate_chain_file(opts_.tls.certificate_file, ec);
    if(!ec)
        tls_->use_private_key_file(opts_.tls.private_key_file, ssl::context::pem, ec);
    if(ec)
        tls_.reset();
    return ec;
}

void listener::start_accepting()
{
    net::dispatch(strand_, [this, hold = keep_alive_.lock()] { do_accept(); });
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
        report(ec, 0, "accept failed; retrying", {}, {});
        // Out of descriptors and the like: pause instead of spinning, then go on.
        accept_retry_.expires_after(transient_accept_error(ec) ? std::chrono::milliseconds(50)
                                                               : std::chrono::milliseconds(10));
        accept_retry_.async_wait([this, hold = keep_alive_.lock()](error_code e) {
            if(!e)
                do_accept();
        });
        return;
    }
    if(counts_.get(counters::id::connections_active) >= opts_.limits.max_connections)
    {
        counts_.add(counters::id::connections_refused);
        error_code ignored;
        socket.close(ignored);
    }
    else
    {
        counts_.add(counters::id::connections_accepted);
        counts_.add(counters::id::connections_active);
        socket.set_option(tcp::no_delay(true), ec);
        if(tls_)
            std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(self(), std::move(socket), *tls_)->run();
        else
            std::make_shared<session<beast::tcp_stream>>(self(), std::move(socket))->run();
    }
    do_accept();
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

void listener::deliver(delivery_headers const& h, std::string&& body, std::string const& remote,
                       std::function<void(answer)> done)
{
    intake_.deliver(h, std::move(body), remote, std::move(done));
}

void listener::opened(session_base* s, std::weak_ptr<session_base> w)
{
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(s, std::move(w));
}

void listener::closed(session_base* s) noexcept
{
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
