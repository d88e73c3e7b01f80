// SPDX-License-Identifier: BSL-1.0
// lib/providers/route_table.hpp - the delivery paths and their providers: which one a request is for, and which decodes a kept delivery.
#ifndef CATENA_WEBHOOKS_PROVIDERS_ROUTE_TABLE_HPP
#define CATENA_WEBHOOKS_PROVIDERS_ROUTE_TABLE_HPP

#include <catena/webhooks/receiver_options.hpp>

#include "providers/provider.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/** A request target matched to a delivery path: its provider, and what follows the path (""
    or, with a token in the path, the segment after it). */
struct route_match
{
    webhook_provider* provider = nullptr;
    std::string_view rest;
};

/** Every delivery path (receiver_options::path, Catena's, and receiver_options::routes) with
    its provider, built once; looked up per request (intake) and per kept delivery
    (processing). Intake and processing go through the same three steps for every provider
    (webhook_provider); the table is the only place that knows which providers exist.

    @par Thread safety
    Read-only after construction (the providers guard what they change).
*/
class route_table
{
public:
    /// The paths of `opts` (which must outlive the table), each with its provider.
    route_table(receiver_options const& opts, provider_services s);
    ~route_table();
    route_table(route_table const&) = delete;
    route_table& operator=(route_table const&) = delete;

    /// Why the delivery paths of `opts` cannot work (a path twice or malformed, an unknown
    /// provider, a provider's own objection), or empty.
    static std::string check(receiver_options const& opts);

    /// The delivery path a request target (without its query) is for.
    std::optional<route_match> find(std::string_view target) const;

    /** A kept delivery into the pipeline, by the provider of its route (inbox_entry::route;
        empty: Catena's). A route no longer configured makes a dead letter (route_unknown). */
    push_result decode(inbox_entry const& e, pipeline& p, timestamp now) const;

private:
    struct entry
    {
        std::string_view path;
        webhook_provider* provider;
        bool token_in_path; // the path may be followed by "/" + token
    };
    std::vector<std::unique_ptr<webhook_provider>> providers_;
    std::vector<entry> entries_; // receiver_options::path first
    webhook_provider* catena_ = nullptr;
};

} // namespace catena::webhooks::detail

#endif
