// SPDX-License-Identifier: BSL-1.0
// test/support/session_host.hpp - a session over Beast's in-memory stream, with a host that keeps deliveries in memory.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_SESSION_HOST_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_SESSION_HOST_HPP

#include "http/intake.hpp"
#include "http/session.hpp"
#include "store/memory.hpp"

#include <boost/beast/_experimental/test/stream.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/// Beast's in-memory stream under a session: closing is all it can do below the HTTP layer.
template<>
struct stream_ops<boost::beast::test::stream>
{
    static constexpr bool is_tls = false;
    static std::string remote(boost::beast::test::stream&) { return "test"; }
    /// The peer every in-memory connection has; a test may set it before it opens one.
    static inline boost::asio::ip::address next_peer = boost::asio::ip::make_address_v4("192.0.2.1");
    static boost::asio::ip::address peer(boost::beast::test::stream&) { return next_peer; }
    static boost::beast::test::stream& lowest(boost::beast::test::stream& s) { return s; }
    static void cancel(boost::beast::test::stream& s) { s.close(); }
    static void shutdown_send(boost::beast::test::stream& s) { s.close(); }
    static void close(boost::beast::test::stream& s) { s.close(); }
};

} // namespace catena::webhooks::detail

namespace catena::webhooks::test {

/** A session_host with a real intake over a memory store, counting what happens. */
class memory_host final : public detail::session_host
{
public:
    explicit memory_host(receiver_options o)
        : opts_(std::move(o))
        , store_(detail::make_memory_store({}))
        , in_(opts_, counts_, [this](error_code ec, unsigned status, auto&&...) { note(ec, status); })
    {
        in_.attach(*store_, [this] { ++kept; });
    }

    receiver_options const& options() const noexcept override { return opts_; }
    detail::counters& counts() noexcept override { return counts_; }
    bool stopping() const noexcept override { return false; }
    detail::routes served() const noexcept override { return served_; }
    void report(error_code ec, unsigned status, std::string, std::string, std::string) override { note(ec, status); }
    detail::intake& deliveries() noexcept override { return in_; }
    std::string metrics_text() override { return "catena_webhooks_test 1\n"; }
    detail::admin_reply admin(std::string_view target, std::string_view) override
    {
        return {200, "admin " + std::string(target) + "\n"};
    }
    void opened(detail::session_base*, std::weak_ptr<detail::session_base>) override { ++opened_count; }
    void closed(detail::session_base*, std::string const&) noexcept override { ++closed_count; }

    detail::store& store() { return *store_; }
    void serve(detail::routes r) { served_ = r; }

    /// The reasons reported with an answer's status (not penalties' or proxies' notes), in order.
    std::vector<error_code> answered_reasons()
    {
        std::lock_guard lock(m_);
        return answered_;
    }

    std::atomic<int> kept{0};
    std::atomic<int> reports{0};
    std::atomic<int> opened_count{0};
    std::atomic<int> closed_count{0};

private:
    void note(error_code ec, unsigned status)
    {
        ++reports;
        if(status == 0)
            return;
        std::lock_guard lock(m_);
        answered_.push_back(ec);
    }

    std::mutex m_;
    std::vector<error_code> answered_;
    receiver_options opts_;
    detail::counters counts_;
    std::unique_ptr<detail::store> store_;
    detail::intake in_;
    detail::routes served_ = detail::routes::all;
};

} // namespace catena::webhooks::test

#endif
