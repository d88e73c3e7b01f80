// SPDX-License-Identifier: BSL-1.0
// lib/http/admission.hpp - what no single request can see: the budget of body bytes in flight, connections per address, and penalties per address and subscription.
#ifndef CATENA_WEBHOOKS_HTTP_ADMISSION_HPP
#define CATENA_WEBHOOKS_HTTP_ADMISSION_HPP

#include "detail/string_map.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace catena::webhooks::detail {

/** The bounds admission enforces (from receiver_limits). Zero turns a bound off. */
struct admission_limits
{
    /// Body bytes being read or verified at once, across all connections.
    std::size_t body_budget = 64u << 20;
    /// Connections open at once from one address (budget_key()).
    std::size_t max_connections_per_peer = 0;
    /// MAC failures of one address for one subscription within `failure_window` that start a
    /// penalty of that address for that subscription.
    std::size_t max_auth_failures = 0;
    std::chrono::seconds failure_window{60};
    std::chrono::seconds penalty{60};
    /// During a penalty, at most one body of that address and subscription is verified per
    /// this interval.
    std::chrono::milliseconds penalty_verify_interval{1000};
    /// Most (address, subscription) pairs whose failures are tracked; beyond it the pair
    /// touched least recently is forgotten (in constant time).
    std::size_t max_tracked = 65'536;
};

/** A penalty that started or ended, for the log. */
struct penalty_note
{
    std::string client;   ///< The address (budget_key()).
    std::string scope;    ///< The subscription (X-Webhook-ID).
    std::uint64_t failures = 0; ///< MAC failures that started it.
    std::uint64_t deferred = 0; ///< Requests answered 503 during it (when it ends).
    bool forgotten = false;     ///< Ended early: the pair was forgotten to make room.
};

/** Admission control: the limits no single request can see.

    - A global budget of body bytes in flight: a body is read only once its bytes are
      reserved (all of a Content-Length at once; a chunked body as it grows), and released
      when the delivery is kept or refused. Memory for bodies is then bounded by the budget,
      however many connections send at once.
    - Connections open at once per address.
    - Penalties per (address, subscription): `max_auth_failures` MAC failures within
      `failure_window` start a penalty of `penalty`, during which that pair's bodies are
      verified at most one per `penalty_verify_interval`; the others are answered 503 (Catena
      retries them, then keeps them in its dead-letter queue). A penalty never answers below
      500 and never reaches another subscription's deliveries from the same address: Catena
      delivers every customer's events from a few shared addresses, often through the
      operator's own proxy, so an address alone proves nothing about a request.

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

    /// A connection from address `client` (budget_key()) opens; false (and nothing counted)
    /// over the per-address bound.
    bool open_connection(std::string_view client);
    void close_connection(std::string_view client) noexcept;

    /** Whether a body of `client` for subscription `scope` may be verified now: yes unless the
        pair is penalised and has had its one verification of this interval. A no is counted
        as deferred for the penalty's end note. */
    bool may_verify(std::string_view client, std::string_view scope, clock::time_point now);
    /** Counts a MAC failure of `client` for `scope`; the note when it starts a penalty. */
    std::optional<penalty_note> auth_failed(std::string_view client, std::string_view scope, clock::time_point now);
    /// The penalties over by `now`, and those forgotten since the last call (each once).
    std::vector<penalty_note> expire(clock::time_point now);

    /// (address, subscription) pairs tracked; penalised ones; addresses with connections open.
    std::size_t tracked() const;
    std::size_t penalized() const noexcept { return penalized_.load(std::memory_order_relaxed); }
    std::size_t connected_addresses() const;
    admission_limits const& limits() const noexcept { return limits_; }

private:
    struct pair_state
    {
        std::string key; // client '\x1f' scope
        std::size_t split = 0; // where the scope starts in key
        std::uint64_t failures = 0;
        clock::time_point window_start{};
        clock::time_point penalty_until{}; // zero: not penalised
        clock::time_point next_verify{};
        std::uint64_t started_with = 0;
        std::uint64_t deferred = 0;
    };
    using lru = std::list<pair_state>;

    lru::iterator touch(std::string_view client, std::string_view scope);
    lru::iterator find(std::string_view client, std::string_view scope);
    penalty_note note_of(pair_state const& p, bool forgotten) const;
    void end_penalty(lru::iterator it, bool forgotten);

    admission_limits const limits_;
    std::atomic<std::size_t> body_bytes_{0};
    std::atomic<std::size_t> penalized_{0};
    mutable std::mutex mutex_;
    lru pairs_; // most recently touched first
    string_map<lru::iterator> index_;
    std::unordered_set<pair_state const*> penalised_;
    std::vector<penalty_note> ended_; // forgotten while penalised, for the next expire()
    string_map<std::size_t> connections_;
    std::string key_buf_;
};

} // namespace catena::webhooks::detail

#endif
