// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/impl/receiver.hpp - the template body of receiver::async_receive.
#ifndef CATENA_WEBHOOKS_IMPL_RECEIVER_HPP
#define CATENA_WEBHOOKS_IMPL_RECEIVER_HPP

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace catena::webhooks {

/// Starts receive() and hands its answer to the handler on the handler's executor.
struct receiver::initiate_receive
{
    receiver* self;

    template<class Handler>
    void operator()(Handler&& handler, request_view const& req) const
    {
        using handler_type = std::decay_t<Handler>;
        auto ex = boost::asio::get_associated_executor(handler, self->get_executor());
        // The handler may be move-only and the answer may come from another thread: it
        // waits in shared state, with work on its executor so that run() does not return.
        struct pending
        {
            handler_type handler;
            boost::asio::executor_work_guard<decltype(ex)> work;
        };
        auto p = std::make_shared<pending>(pending{std::forward<Handler>(handler), boost::asio::make_work_guard(ex)});
        self->start_receive(req, std::string(req.body), [p](response r) {
            auto const target = p->work.get_executor();
            boost::asio::post(target, [p, r = std::move(r)]() mutable {
                auto h = std::move(p->handler);
                p->work.reset();
                std::move(h)(std::move(r));
            });
        });
    }
};

template<class CompletionToken>
auto receiver::async_receive(request_view const& req, CompletionToken&& token)
{
    return boost::asio::async_initiate<CompletionToken, void(response)>(initiate_receive{this}, token, req);
}

} // namespace catena::webhooks

#endif
