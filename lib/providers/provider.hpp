// SPDX-License-Identifier: BSL-1.0
// lib/providers/provider.hpp - the provider seam: how one provider's deliveries are admitted, verified and decoded.
#ifndef CATENA_WEBHOOKS_PROVIDERS_PROVIDER_HPP
#define CATENA_WEBHOOKS_PROVIDERS_PROVIDER_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/counters.hpp"
#include "processing/pipeline.hpp"
#include "store/inbox_entry.hpp"

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/** A request's header fields by name, whoever read the request (the receiver's sessions, a
    partner's server through receiver::receive()). */
class request_fields
{
public:
    /// The value of the field `name` (case-insensitive), or empty; valid while the request is.
    virtual std::string_view get(std::string_view name) const = 0;

protected:
    ~request_fields() = default;
};

/// How intake, processing and the providers report: the reason, the status answered (0:
/// none), what happened, and the request's X-Request-ID and webhook id.
using report_fn = std::function<void(error_code, unsigned status, std::string detail, std::string request_id,
                                     std::string webhook_id)>;

/** The secrets signed deliveries are verified with: replaced while deliveries arrive
    (receiver::set_secrets), read by every request without a lock. */
class secret_holder
{
public:
    explicit secret_holder(secret_ring ring) : ring_(std::make_shared<secret_ring const>(std::move(ring))) {}
    std::shared_ptr<secret_ring const> get() const noexcept { return ring_.load(std::memory_order_acquire); }
    void set(secret_ring ring) { ring_.store(std::make_shared<secret_ring const>(std::move(ring)), std::memory_order_release); }

private:
    std::atomic<std::shared_ptr<secret_ring const>> ring_;
};

/** What the receiver lends a provider: its options, counters, reports and secrets. */
struct provider_services
{
    receiver_options const& opts;
    counters& counts;
    report_fn report;
    secret_holder& secrets;
};

/** What admit() learnt from a request's head, for verify(). Views into the request (and into
    the provider's own options). */
struct delivery_ticket
{
    /// For reports and the kept entry: `webhook_id` is the subscription (Catena) or the
    /// route's path (a provider whose deliveries name none).
    delivery_headers headers;
    /// A signing provider's signature headers, parsed (Catena's spec §3.2 steps 1-4).
    checked_headers checked;
};

/** One provider: the three steps every delivery takes, whoever sent it.

    - admit(): the head is complete; decides what needs no body (signature headers and their
      freshness, a token, an address allowlist). An error is a refusal that proves the request
      is not this provider's (answered receiver_options::unverified_status, reported).
    - verify(): the body arrived; proves it (a MAC) and makes the entry the store keeps. An
      error of condition::unauthenticated proves it forged (the answer above, and it counts
      against the client's penalty); any other error means it may be authentic but cannot be
      kept (503: the provider retries it).
    - decode(): a kept entry becomes records in the pipeline, in the shape the provider's
      deliveries have: an envelope of records (pipeline::push) or one event identified by the
      provider's id (pipeline::push_decoded).

    Intake calls admit() and verify() from any thread; processing calls decode() on its own.
    A provider lives in its own folder under lib/providers/ and is named in the route table's
    list of known providers (route_table.cpp); docs/providers.md walks through adding one.
*/
class webhook_provider
{
public:
    virtual ~webhook_provider() = default;

    /// The provider's name: event::provider, route_options::provider.
    virtual std::string_view name() const noexcept = 0;

    /** Whether verify() can prove a body forged (a MAC over it): then a client whose bodies
        keep failing is rationed, per (client, webhook id), and only then (an unsigned
        provider's deliveries are never rationed, whatever another provider's failures
        named). */
    virtual bool proves_bodies() const noexcept { return false; }

    /** The head's checks. `rest` is what followed the route's path in the target ("" or a
        token segment), `client` the request's client (behind a trusted proxy, the one it
        names). Fills `t` (its headers even when it refuses, for the report). */
    virtual error_code admit(request_fields const& fields, std::string_view rest,
                             boost::asio::ip::address const& client, timestamp now, delivery_ticket& t) = 0;

    /** The body's checks, and the entry to keep. `body` is moved into the entry on success and
        left as it came otherwise. */
    virtual result<inbox_entry> verify(delivery_ticket const& t, std::string& body, timestamp now) = 0;

    /** A kept entry (its body inflated) into the pipeline. */
    virtual push_result decode(inbox_entry const& e, pipeline& p, timestamp now) const = 0;
};

} // namespace catena::webhooks::detail

#endif
