// SPDX-License-Identifier: BSL-1.0
// test/support/embedded_receiver.hpp - a receiver in the test's own process on a data directory, its events collected.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_EMBEDDED_RECEIVER_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_EMBEDDED_RECEIVER_HPP

#include <catena/webhooks/receiver.hpp>

#include "store/open.hpp"

#include "sim.hpp"
#include "support.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace catena::webhooks::test {

/// The default secret of the receivers the durability tests start, in process or as catena-webhookd.
inline constexpr char durable_secret[] = "durable-secret-123";

/** A receiver in this process on a store in `dir` (its file bounded to `max_pages` pages when
    not 0), accepting every webhook id signed with durable_secret, its events collected. */
struct embedded
{
    std::uint64_t max_pages_;
    boost::asio::io_context ioc;
    receiver rx;
    std::thread t;
    std::mutex m;
    std::vector<event> events;

    embedded(std::string const& dir, std::uint64_t max_pages = 0, std::function<void(receiver_options&)> tune = {},
             std::function<void(receiver&)> setup = {})
        : max_pages_(max_pages)
        , rx(ioc.get_executor(), [&] {
            receiver_options o;
            o.listen = {boost::asio::ip::make_address("127.0.0.1"), 0};
            o.secrets.add_default(durable_secret);
            o.secrets.set_unknown_policy(unknown_webhook_policy::try_defaults);
            o.store.data_dir = dir;
            o.processing.reorder_window = std::chrono::milliseconds(50);
            o.timeouts.retry_after = std::chrono::seconds(1);
            if(tune)
                tune(o);
            return o;
        }())
    {
        rx.on_any([this](event const& e) {
            std::lock_guard lock(m);
            events.push_back(e);
        });
        if(setup)
            setup(rx);
    }
    ~embedded()
    {
        rx.stop();
        if(t.joinable())
            t.join();
    }
    embedded(embedded const&) = delete;
    error_code start()
    {
        // The store is opened by start(): bounded as if its disk held max_pages_ pages.
        detail::set_max_store_pages(max_pages_);
        auto ec = rx.start();
        detail::set_max_store_pages(0);
        if(!ec)
            t = std::thread([this] { ioc.run(); });
        return ec;
    }
    sim::endpoint ep() const
    {
        sim::endpoint e;
        e.port = rx.local_endpoint().port();
        return e;
    }
    /// Stops the receiver (processing everything kept) and returns the record ids of its events.
    std::set<std::string> stop_and_record_ids()
    {
        rx.stop();
        t.join();
        std::lock_guard lock(m);
        std::set<std::string> ids;
        for(auto const& ev : events)
            ids.insert(ev.record_id);
        return ids;
    }
};

} // namespace catena::webhooks::test

#endif
