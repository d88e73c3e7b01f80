// SPDX-License-Identifier: BSL-1.0
// lib/http/receive_gate.hpp - requests handed over by a partner's own HTTP server, through the same flow as the listener's.
#ifndef CATENA_WEBHOOKS_HTTP_RECEIVE_GATE_HPP
#define CATENA_WEBHOOKS_HTTP_RECEIVE_GATE_HPP

#include <catena/webhooks/request.hpp>

#include "http/session_host.hpp"

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

namespace catena::webhooks::detail {

/** What receiver::receive() runs: a request read by someone else's server goes through
    route_head() and delivery_flow as a session's request does (framing, path and method,
    the client behind a trusted proxy, admission on the headers, the body budget,
    verification, keeping), and its answer is shaped by shape_response(). Only the
    delivery paths are served: health, metrics and the admin routes stay the listeners'.

    Before open() and after close() every request is answered 503 + Retry-After
    (error::not_accepting). close() waits for none: `drained` runs once the requests in
    flight have their answers.

    @par Thread safety
    Every member function from any thread.
*/
class receive_gate
{
public:
    explicit receive_gate(session_host& host) noexcept : host_(host) {}

    /// From now on requests are taken (the store is attached).
    void open();
    /** No request is taken any more; `drained` runs (once, possibly before this returns)
        when the last one in flight has its answer. */
    void close(std::function<void()> drained);

    /** Runs one request; `done` gets its answer exactly once, when the delivery is kept or
        refused: possibly before this returns, possibly from the store's thread. `body` is
        the request's body (req.body is not read). */
    void receive(request_view const& req, std::string&& body, std::function<void(response)> done);

    /** The answer to a request not taken at all, for `e` (counted and reported). */
    response refuse(request_view const& req, error e);

    std::size_t in_flight() const;

private:
    void finish();

    session_host& host_;
    mutable std::mutex mutex_;
    bool open_ = false;
    bool closed_ = false;
    std::size_t in_flight_ = 0;
    std::function<void()> drained_;
};

} // namespace catena::webhooks::detail

#endif
