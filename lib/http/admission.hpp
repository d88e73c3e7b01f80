// SPDX-License-Identifier: BSL-1.0
// lib/http/admission.hpp - who may send what: the budget of body bytes in flight and the per-peer bounds.
#ifndef CATENA_WEBHOOKS_HTTP_ADMISSION_HPP
#define CATENA_WEBHOOKS_HTTP_ADMISSION_HPP

#include "detail/string_map.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace catena::webhooks::detail {

/** The bounds admission enforces (from receiver_limits). Zero turns a bound off. */
struct admission_limits
{
    /// Body bytes being read or verified at once, across all connections.
    std::size_t body_budget = 64u << 20;
    /// Connections open at once from one peer address.
    std::size_t max_connections_per_peer = 0;
    /// Authentication failures from one peer address within `failure_window` before that
    /// peer is refused for `penalty`.
    std::size_t max_auth_failures = 0;
    std::chrono::seconds failure_window{60};
    std::chrono::seconds penalty{60};
    /// Most peers tracked; beyond it a new peer is not tracked (and so not bounded).
    std::size_t max_peers = 65'536;
};

/** Admission control of the listener: what no single request can see.

    - A global budget of body bytes in flight: a body is read only once its bytes are
      reserved (all of a Content-Length at once; a chunked body as it grows), and released
      when the delivery is kept or refused. Memory for bodies is then bounded by the budget,
      however many connections send at once.
    - Per peer address: connections open at once, and a budget of authentication failures
      per window after which the peer is refused cheaply for a while.

    @par Thread safety
    Every member function from any thread.
*/
class admission
{
public:
    using clock = std::chrono::steady_clock;

    explicit admission(admission_limits l) : limits_(l) {}

    /// Reserves `n` body bytes; false when the budget cannot hold them.
    bool reserve_body(std::size_t n) noexcept;
    void release_body(std::size_t n) noexcept;
    std::size_t body_bytes() const noexcept { return body_bytes_.load(std::memory_order_relaxed); }

    /// A connection from `peer` opens; false (and nothing counted) over the per-peer bound.
    bool open_connection(std::string_view peer);
    void close_connection(std::string_view peer) noexcept;

    /// Whether `peer` is being refused for its authentication failures.
    bool refused(std::string_view peer, clock::time_point now);
    /// Counts an authentication failure of `peer`; true when it starts its penalty.
    bool auth_failed(std::string_view peer, clock::time_point now);

    std::size_t peers() const;
    std::size_t penalized() const noexcept { return penalized_.load(std::memory_order_relaxed); }
    admission_limits const& limits() const noexcept { return limits_; }

private:
    struct peer_state
    {
        std::size_t connections = 0;
        std::size_t failures = 0;
        clock::time_point window_start{};
        clock::time_point refused_until{};
    };
    peer_state* find_or_add(std::string_view peer);
    void forget_if_idle(std::string_view peer, clock::time_point now);

    admission_limits const limits_;
    std::atomic<std::size_t> body_bytes_{0};
    std::atomic<std::size_t> penalized_{0};
    mutable std::mutex mutex_;
    string_map<peer_state> peers_;
};

} // namespace catena::webhooks::detail

#endif
