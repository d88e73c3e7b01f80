// SPDX-License-Identifier: BSL-1.0
// lib/http/intake.hpp - a request's headers and body in, verified and kept (or refused), one answer out.
#ifndef CATENA_WEBHOOKS_HTTP_INTAKE_HPP
#define CATENA_WEBHOOKS_HTTP_INTAKE_HPP

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/address.hpp"
#include "detail/counters.hpp"
#include "detail/subscription_book.hpp"
#include "http/admission.hpp"
#include "providers/route_table.hpp"
#include "store/store.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** What a delivery request is answered. `ec` is the precise reason (metrics, on_error);
    on the wire every authentication failure says `unauthenticated` (see wire_reason). */
struct answer
{
    unsigned status = 202;
    error_code ec;
};

/// The reason a client reads: every authentication failure looks the same from outside.
std::string_view wire_reason(error_code const& ec) noexcept;

/** Verifies a delivery and keeps it, the same way for every provider: the route's provider
    admits the head -> the announced size and the client's penalty -> the provider verifies
    the body and makes the inbox entry -> store append -> answer.

    The rule: a request whose headers pass may be authentic, so it is never answered with a
    4xx unless its provider proves it forged (for Catena: the MAC over its whole body). A body
    that cannot be kept (too large, an unknown encoding, corrupt gzip) gets 503 + Retry-After:
    Catena retries it, then keeps it in its dead-letter queue for replay.

    No I/O of its own: the session hands it what it read and writes what it is told.

    @par Thread safety
    Every member function from any thread.
*/
class intake
{
public:
    using report_fn = detail::report_fn;

    intake(receiver_options const& opts, counters& counts, report_fn report);
    ~intake();

    /// Where deliveries are kept, and what to call once one is (processing); before any deliver().
    void attach(store& s, std::function<void()> on_kept);
    /// Where deliveries are counted per subscription (before any deliver()).
    void track_subscriptions(subscription_book& b) noexcept { book_ = &b; }

    /// The delivery path (Catena's or another provider's route) a request target is for.
    std::optional<route_match> route_for(std::string_view target) const { return routes_.find(target); }
    /// The delivery paths and their providers (processing decodes with them).
    route_table const& routes() const noexcept { return routes_; }

    /** The request's headers are complete: the checks that need no body (the provider's
        admit(), the body's announced size, whether the client's penalty for this
        subscription leaves a verification to spend). An answer means: say it without reading
        the body; nothing means: read the body and call deliver() with the same `t`. Reported
        and counted here.

        A 4xx only for headers that prove the request is not the provider's (for Catena:
        missing or malformed signature headers, a timestamp outside the window, an unknown
        subscription); anything else that keeps a request with good headers from being
        verified is a 503. */
    std::optional<answer> admit(route_match const& m, request_fields const& fields,
                                std::optional<std::uint64_t> content_length, std::string const& remote,
                                client_address const& client, delivery_ticket& t);

    /** A body that cannot be read or kept although the headers passed (over the size limit
        while arriving, the body budget spent): the 503 to answer, reported and counted. */
    answer defer(error_code ec, delivery_headers const& h, std::string const& remote, std::size_t bytes);

    /** Verifies and keeps one delivery whose headers passed admit(), then calls done(answer)
        once the store has kept or refused it: at once on a verification failure, otherwise
        possibly from the store's writer thread. Never blocks. `body` is consumed. */
    void deliver(route_match const& m, delivery_ticket const& t, std::string&& body, std::string const& remote,
                 client_address const& client, std::function<void(answer)> done);

    void set_secrets(secret_ring ring);
    /// Whether the secrets in force name `webhook_id` (a subscription served here).
    bool names(std::string_view webhook_id) const noexcept { return secrets_.get()->names(webhook_id); }

    /// The reverse proxies whose word on the client is taken (receiver_options::trusted_proxies).
    std::vector<cidr> const& trusted_proxies() const noexcept { return trusted_; }
    bool trusted(boost::asio::ip::address const& peer) const noexcept { return !trusted_.empty() && contains(trusted_, peer); }

    /// The budget of body bytes in flight and the per-address bounds.
    admission& gate() noexcept { return gate_; }
    /// Reports the penalties over by now (the listener calls it every second).
    void expire_penalties();
    bool reserve_body(std::size_t n) noexcept;
    void release_body(std::size_t n) noexcept;

private:
    answer refuse(error_code ec, delivery_headers const& h, std::string const& remote);
    void report_penalty(error_code ec, penalty_note const& n);
    void keep(inbox_entry&& e, timestamp now, std::string const& remote, std::function<void(answer)> done);

    receiver_options const& opts_;
    counters& counts_;
    report_fn report_;
    subscription_book* book_ = nullptr;
    admission gate_;
    std::vector<cidr> trusted_;
    store* store_ = nullptr;
    std::function<void()> on_kept_;
    secret_holder secrets_;
    route_table routes_;
};

} // namespace catena::webhooks::detail

#endif
