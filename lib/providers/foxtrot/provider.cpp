// SPDX-License-Identifier: BSL-1.0
// lib/providers/foxtrot/provider.cpp - a route of Foxtrot's: unsigned deliveries, one event each.
#include "providers/foxtrot/provider.hpp"

#include <catena/webhooks/gzip.hpp>

#include "detail/token.hpp"
#include "providers/envelope_peek.hpp"
#include "providers/foxtrot/decode.hpp"

#include <boost/beast/http/field.hpp>

namespace catena::webhooks::detail {

foxtrot_provider::foxtrot_provider(route_options const& route, provider_services s) : route_(route), s_(std::move(s))
{
    for(auto const& text : route.allow)
        if(auto c = parse_cidr(text))
            allow_.push_back(*c);
}

std::string foxtrot_provider::check(route_options const& r)
{
    for(auto const& text : r.allow)
        if(!parse_cidr(text))
            return "route " + r.path + ": \"" + text + "\" is not an address or a CIDR";
    if(r.token.empty() && r.allow.empty())
        return "route " + r.path + ": an unsigned route needs a token or an address allowlist (or both)";
    if(!r.token.empty() && r.token.size() < 16)
        return "route " + r.path + ": the token must have at least 16 characters";
    if(r.token_header.empty() && r.token.find_first_of("/?#% ") != std::string::npos)
        return "route " + r.path + ": a token in the path may not hold '/', '?', '#', '%' or spaces";
    if(r.event_field.empty() || r.id_field.empty())
        return "route " + r.path + ": the event and id fields need names";
    return {};
}

error_code foxtrot_provider::admit(request_fields const& f, std::string_view rest, boost::asio::ip::address const& client,
                                   timestamp, delivery_ticket& t)
{
    namespace http = boost::beast::http;
    auto& h = t.headers;
    h = {};
    h.webhook_id = route_.path;
    h.content_encoding = f.get(http::to_string(http::field::content_encoding));
    h.request_id = f.get(header::request_id);
    h.delivery_attempt = f.get(header::delivery_attempt);
    if(!allow_.empty() && !contains(allow_, client))
        return error::address_not_allowed;
    if(route_.token.empty())
        return {};
    auto const given = route_.token_header.empty() ? rest : strip_bearer(f.get(route_.token_header));
    if(!token_equal(given, route_.token))
        return error::route_token_mismatch;
    return {};
}

result<inbox_entry> foxtrot_provider::verify(delivery_ticket const& t, std::string& body, timestamp now)
{
    auto const& h = t.headers;
    inbox_entry e;
    switch(classify_content_encoding(h.content_encoding))
    {
    case content_encoding::identity: e.body = std::move(body); break;
    case content_encoding::gzip:
        if(auto ec = inflater().inflate(body, e.body, s_.opts.limits.inflate))
            return ec;
        break;
    case content_encoding::unsupported: return make_error_code(error::unsupported_encoding);
    }
    // A copy of a delivery already kept within the request-id memory is not kept again
    // (processing would drop it as a duplicate anyway): the id read as Catena's envelope id is.
    if(route_.id_field == "id")
    {
        envelope_peek peek;
        peek.feed(e.body);
        if(!peek.id().empty())
            e.envelope_key.append(route_.path).append("/").append(peek.id());
    }
    e.route = route_.path;
    e.webhook_id = route_.path;
    e.request_id = h.request_id;
    e.delivery_attempt = parse_delivery_attempt(h.delivery_attempt).value_or(1);
    e.sent_at = now;
    e.received_at = now;
    return e;
}

push_result foxtrot_provider::decode(inbox_entry const& e, pipeline& p, timestamp now) const
{
    return p.push_decoded(e, foxtrot::decode(route_, e), now);
}

} // namespace catena::webhooks::detail
