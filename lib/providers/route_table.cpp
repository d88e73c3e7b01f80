// SPDX-License-Identifier: BSL-1.0
// lib/providers/route_table.cpp - the delivery paths and their providers: which one a request is for, and which decodes a kept delivery.
#include "providers/route_table.hpp"

#include "detail/address.hpp"
#include "providers/catena/provider.hpp"
#include "providers/foxtrot/provider.hpp"

#include <array>
#include <set>

namespace catena::webhooks::detail {

namespace {

// The providers a route may name (route_options::provider). Catena's one instance serves
// receiver_options::path and every "catena" route; the others get one instance per route.
// Adding a provider: its folder under lib/providers/ and a line here (docs/providers.md).
struct known_provider
{
    std::string_view name;
    std::string (*check)(route_options const&);
    std::unique_ptr<webhook_provider> (*make)(route_options const&, provider_services const&);
};

// A route of Catena's is verified by its signatures; an allowlist on it is ignored, as
// before, but one that does not parse is named.
std::string check_catena_route(route_options const& r)
{
    for(auto const& text : r.allow)
        if(!parse_cidr(text))
            return "route " + r.path + ": \"" + text + "\" is not an address or a CIDR";
    return {};
}

template<class P>
std::unique_ptr<webhook_provider> make_route(route_options const& r, provider_services const& s)
{
    return std::make_unique<P>(r, s);
}

constexpr std::array known_providers{
    known_provider{"catena", &check_catena_route, nullptr},
    known_provider{"foxtrot", &foxtrot_provider::check, &make_route<foxtrot_provider>},
};

known_provider const* find_known(std::string_view name)
{
    for(auto const& k : known_providers)
        if(k.name == name)
            return &k;
    return nullptr;
}

std::string known_names()
{
    std::string names;
    for(auto const& k : known_providers)
        names.append(names.empty() ? "" : ", ").append(k.name);
    return names;
}

} // namespace

route_table::route_table(receiver_options const& opts, provider_services s)
{
    auto catena = std::make_unique<catena_provider>(s);
    catena_ = catena.get();
    providers_.push_back(std::move(catena));
    entries_.push_back({opts.path, catena_, false});
    for(auto const& r : opts.routes)
    {
        auto const* k = find_known(r.provider);
        webhook_provider* p = catena_;
        if(k && k->make)
        {
            providers_.push_back(k->make(r, s));
            p = providers_.back().get();
        }
        // Unknown providers are refused by check() before a receiver starts; a table built
        // anyway serves such a route as Catena's (signed: nothing unsigned gets in).
        bool const token_in_path = p != catena_ && r.token_header.empty() && !r.token.empty();
        entries_.push_back({r.path, p, token_in_path});
    }
}

route_table::~route_table() = default;

std::string route_table::check(receiver_options const& opts)
{
    std::set<std::string_view> paths{opts.path};
    for(auto const& r : opts.routes)
    {
        if(r.path.size() < 2 || r.path.front() != '/' || r.path.back() == '/' ||
           r.path.find_first_of("?# ") != std::string::npos)
            return "route \"" + r.path + "\": a path starts with '/', does not end with one, and has no query";
        if(!paths.insert(r.path).second)
            return "route " + r.path + ": the path is served twice";
        auto const* k = find_known(r.provider);
        if(!k)
            return "route " + r.path + ": unknown provider \"" + r.provider + "\" (" + known_names() + ")";
        if(auto problem = k->check(r); !problem.empty())
            return problem;
    }
    return {};
}

std::optional<route_match> route_table::find(std::string_view target) const
{
    for(auto const& e : entries_)
    {
        if(target.size() < e.path.size() || target.substr(0, e.path.size()) != e.path)
            continue;
        auto rest = target.substr(e.path.size());
        if(rest.empty())
            return route_match{e.provider, rest};
        // The token as the last segment: path + "/" + token, nothing after it.
        if(e.token_in_path && rest.front() == '/' && rest.find('/', 1) == std::string_view::npos)
            return route_match{e.provider, rest.substr(1)};
    }
    return std::nullopt;
}

push_result route_table::decode(inbox_entry const& e, pipeline& p, timestamp now) const
{
    if(e.route.empty())
        return catena_->decode(e, p, now);
    for(auto const& r : entries_)
        if(r.path == e.route && r.provider != catena_)
            return r.provider->decode(e, p, now);
    return p.push_decoded(e, make_error_code(error::route_unknown), now);
}

} // namespace catena::webhooks::detail
