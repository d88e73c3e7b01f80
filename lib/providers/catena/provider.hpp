// SPDX-License-Identifier: BSL-1.0
// lib/providers/catena/provider.hpp - Catena's deliveries: signed (spec §3-§4), envelopes of records (spec §5).
#ifndef CATENA_WEBHOOKS_PROVIDERS_CATENA_PROVIDER_HPP
#define CATENA_WEBHOOKS_PROVIDERS_CATENA_PROVIDER_HPP

#include "providers/provider.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace catena::webhooks::detail {

/** Catena, as its contract says: admit() checks the signature headers and the timestamp
    window (spec §3.2 steps 1-4) against the secrets in force, verify() the MAC over the whole
    body as it inflates (reading the envelope id on the way, and keeping a small body's JSON
    so that processing need not inflate it again), decode() hands the envelope to the
    pipeline's record path (dedup by envelope id or record content, fleets, lifecycle).

    One instance serves receiver_options::path and every route of provider "catena".
    Verifiers are pooled: one per connection would keep zlib and MAC state for every idle
    keep-alive connection.
*/
class catena_provider final : public webhook_provider
{
public:
    explicit catena_provider(provider_services s);
    ~catena_provider() override;

    std::string_view name() const noexcept override { return "catena"; }
    bool proves_bodies() const noexcept override { return true; }
    error_code admit(request_fields const& fields, std::string_view rest, boost::asio::ip::address const& client,
                     timestamp now, delivery_ticket& t) override;
    result<inbox_entry> verify(delivery_ticket const& t, std::string& body, timestamp now) override;
    push_result decode(inbox_entry const& e, pipeline& p, timestamp now) const override;

private:
    struct verifier_slot;
    std::unique_ptr<verifier_slot> acquire_verifier();
    void release_verifier(std::unique_ptr<verifier_slot> v);
    void observe_skew(delivery_headers const& h, timestamp now);

    provider_services s_;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<verifier_slot>> pool_;
    // Timestamp skew of requests whose other headers pass: per block of observations, how
    // many lay in the outer fifth of the window.
    std::atomic<std::uint32_t> skew_seen_{0}, skew_near_edge_{0};
    std::atomic<bool> skew_warned_{false};
};

} // namespace catena::webhooks::detail

#endif
