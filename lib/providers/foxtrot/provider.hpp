// SPDX-License-Identifier: BSL-1.0
// lib/providers/foxtrot/provider.hpp - a route of Foxtrot's: unsigned deliveries, one event each.
#ifndef CATENA_WEBHOOKS_PROVIDERS_FOXTROT_PROVIDER_HPP
#define CATENA_WEBHOOKS_PROVIDERS_FOXTROT_PROVIDER_HPP

#include "detail/address.hpp"
#include "providers/provider.hpp"

#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** One route of provider "foxtrot" (route_options). Foxtrot signs nothing (docs/providers.md),
    so admit() checks what an operator can configure for an unsigned webhook: the client's
    address against the allowlist, then the token (the path's last segment, or a header,
    "Bearer " accepted) in constant time. verify() inflates the body under the configured
    limits and reads its id, so that a copy already kept is not kept again; decode() reads it
    as foxtrot::decode does, one event identified by the route and its id.

    A wrong token costs nothing to check and a right one proves the delivery: token failures
    are refusals at admit(), counted and reported, and start no penalty.
*/
class foxtrot_provider final : public webhook_provider
{
public:
    /// `route` must outlive the provider; route_table::check() has accepted it.
    foxtrot_provider(route_options const& route, provider_services s);

    /// Why `route` cannot work (no token nor allowlist, a short token, a CIDR that does not
    /// parse...), or empty.
    static std::string check(route_options const& route);

    std::string_view name() const noexcept override { return "foxtrot"; }
    error_code admit(request_fields const& fields, std::string_view rest, boost::asio::ip::address const& client,
                     timestamp now, delivery_ticket& t) override;
    result<inbox_entry> verify(delivery_ticket const& t, std::string& body, timestamp now) override;
    push_result decode(inbox_entry const& e, pipeline& p, timestamp now) const override;

private:
    route_options const& route_;
    provider_services s_;
    std::vector<cidr> allow_;
};

} // namespace catena::webhooks::detail

#endif
