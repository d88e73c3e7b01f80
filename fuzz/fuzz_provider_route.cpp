// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_provider_route.cpp - other providers' routes: the route a target is for, its token and allowlist, and the Foxtrot decoder.
//
// Input: a flags byte (bit 0: token in a header, bit 1: an allowlist, bit 2: custom event and
// id field names), then lines: request target, token header value, peer address, a CIDR, a
// route path and a token for route_table::check, then the body of a delivery.
// Invariants:
// - find() gives the route exactly for its path, or, with the token in the path, for
//   path "/" segment (no further "/"), with that segment as the rest.
// - admit() lets a peer in exactly when it lies in the allowlist (a plain bitwise reference;
//   IPv4-mapped IPv6 peers as IPv4 to IPv4 networks, mapped networks of /96 or longer as
//   IPv4) and the token (the path's segment, or the header without an
//   optional "Bearer ") equals the route's.
// - parse_cidr reads exactly an address and an optional decimal prefix up to its width, and
//   its network contains its own address.
// - check() accepts a route exactly when the documented rules hold (path shape and
//   uniqueness, a token or an allowlist, tokens of 16 characters, no reserved characters in
//   a token in the path, every CIDR readable).
// - decode() succeeds exactly when Boost.JSON reads the body as an object with a non-empty
//   string event field and a string or integer id field, and gives them back with the
//   record, the route, the entry's request id, attempt and sequence, the idempotency key
//   "foxtrot/<path>/<id>" and the first of timestamp, occurred_at, created_at that is
//   RFC 3339. A Foxtrot-shaped body built from the input always decodes to what was put in.
#include "detail/address.hpp"
#include "providers/foxtrot/decode.hpp"
#include "providers/route_table.hpp"

#include "fuzz_support.hpp"

#include <arpa/inet.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstring>

namespace {

namespace cw = catena::webhooks;
namespace json = boost::json;
using cw::fuzz::require;

constexpr std::string_view token = "foxtrot-shared-token-0123";
constexpr std::string_view path = "/webhooks/foxtrot";

std::string_view next_line(std::string_view& s)
{
    auto const nl = s.find('\n');
    auto line = s.substr(0, nl);
    s.remove_prefix(nl == std::string_view::npos ? s.size() : nl + 1);
    return line;
}

/// An address by inet_pton, as 16 bytes (IPv4 in the first four) and its width in bits.
struct raw_address
{
    std::array<unsigned char, 16> bytes{};
    unsigned bits = 0;
};

/// A peer as inet_pton reads it, and as IPv4 when it is IPv4 or IPv4-mapped IPv6.
struct peer_address
{
    raw_address as_written;
    std::optional<raw_address> v4;
};

constexpr unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::optional<raw_address> read_address(std::string_view text)
{
    if(text.find('\0') != std::string_view::npos || text.size() >= 64)
        return std::nullopt;
    std::string const s(text);
    raw_address a;
    if(inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1)
        a.bits = 32;
    else if(inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1)
        a.bits = 128;
    else
        return std::nullopt;
    return a;
}

std::optional<raw_address> mapped_v4(raw_address const& a)
{
    if(a.bits == 32)
        return a;
    if(std::memcmp(a.bytes.data(), v4_mapped_prefix, 12) != 0)
        return std::nullopt;
    raw_address v4;
    std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
    v4.bits = 32;
    return v4;
}

std::optional<peer_address> reference_address(std::string_view text)
{
    auto const a = read_address(text);
    if(!a)
        return std::nullopt;
    return peer_address{*a, mapped_v4(*a)};
}

struct reference_cidr
{
    raw_address network;
    unsigned prefix = 0;
};

std::optional<reference_cidr> reference_parse_cidr(std::string_view text)
{
    auto const slash = text.find('/');
    auto const a = read_address(text.substr(0, slash));
    if(!a || text.find('\0') != std::string_view::npos)
        return std::nullopt; // not an address, whatever comes before a NUL
    unsigned prefix = a->bits;
    if(slash != std::string_view::npos)
    {
        auto const p = text.substr(slash + 1);
        if(p.empty() || p.find_first_not_of("0123456789") != std::string_view::npos)
            return std::nullopt;
        auto const digits = p.substr(std::min(p.find_first_not_of('0'), p.size())); // leading zeros allowed
        if(digits.size() > 3)
            return std::nullopt;
        prefix = digits.empty() ? 0 : static_cast<unsigned>(std::stoul(std::string(digits)));
        if(prefix > a->bits)
            return std::nullopt;
    }
    // An IPv4-mapped network of /96 or longer is the IPv4 network it maps.
    if(auto const v4 = mapped_v4(*a); v4 && a->bits == 128 && prefix >= 96)
        return reference_cidr{*v4, prefix - 96};
    return reference_cidr{*a, prefix};
}

bool reference_contains(reference_cidr const& n, peer_address const& peer)
{
    // IPv4 networks see a peer's IPv4 address (mapped or not), IPv6 networks the address itself.
    if(n.network.bits == 32 && !peer.v4)
        return false;
    raw_address const& a = n.network.bits == 32 ? *peer.v4 : peer.as_written;
    if(a.bits != n.network.bits)
        return false;
    for(unsigned bit = 0; bit < n.prefix; ++bit)
    {
        unsigned const byte = bit / 8, shift = 7 - bit % 8;
        if(((n.network.bytes[byte] >> shift) & 1) != ((a.bytes[byte] >> shift) & 1))
            return false;
    }
    return true;
}

std::string_view without_bearer(std::string_view v)
{
    constexpr std::string_view word = "bearer ";
    if(v.size() <= word.size())
        return v;
    for(std::size_t i = 0; i < word.size(); ++i)
        if((v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]) != word[i])
            return v;
    return v.substr(word.size());
}

// Printable ASCII from any bytes: what Foxtrot's upper-case names and ids are made of.
std::string printable(std::string_view s)
{
    std::string out;
    for(unsigned char c : s)
        out.push_back(static_cast<char>(0x20 + c % 0x5f));
    return out;
}

// The routes of one input: Foxtrot's at `path` (and a Catena route, which only takes a path).
std::vector<cw::route_options> make_routes(std::uint8_t flags)
{
    cw::route_options fox;
    fox.path = std::string(path);
    fox.provider = "foxtrot";
    fox.token = std::string(token);
    if(flags & 1)
        fox.token_header = "X-Foxtrot-Token";
    if(flags & 2)
        fox.allow = {"203.0.113.0/24", "2001:db8::/32", "127.0.0.1"};
    if(flags & 4)
    {
        fox.event_field = "type";
        fox.id_field = "uuid";
    }
    cw::route_options other;
    other.path = "/webhooks/catena-eu";
    other.provider = "catena";
    return {fox, other};
}

// A table over `routes` as a receiver builds it, with what its providers are lent.
struct table_of
{
    explicit table_of(std::vector<cw::route_options> routes) : opts(options_with(std::move(routes))) {}
    static cw::receiver_options options_with(std::vector<cw::route_options> routes)
    {
        cw::receiver_options o;
        o.routes = std::move(routes);
        return o;
    }
    cw::receiver_options opts;
    cw::detail::counters counts;
    cw::detail::secret_holder secrets{cw::secret_ring{}};
    cw::detail::route_table table{opts, {opts, counts, [](auto&&...) {}, secrets}};
};

// The token header's value, as a request carries it.
struct token_field final : cw::detail::request_fields
{
    std::string_view value;
    std::string_view get(std::string_view name) const override
    {
        return name == "X-Foxtrot-Token" ? value : std::string_view{};
    }
};

void check_find_and_admit(cw::detail::route_table const& table, cw::route_options const& fox, std::string_view target,
                          std::string_view header, std::string_view peer)
{
    bool const token_in_path = fox.token_header.empty();
    auto const m = table.find(target);
    bool const exact = target == path;
    auto const rest = target.size() > path.size() ? target.substr(path.size() + 1) : std::string_view{};
    bool const with_token = token_in_path && target.size() > path.size() && target.starts_with(path) &&
                            target[path.size()] == '/' && rest.find('/') == std::string_view::npos;
    if(target == "/webhooks/catena-eu" || target == "/webhooks/catena") // a Catena route, Catena's own path
    {
        require(m && m->provider->name() == "catena" && m->rest.empty(), "the Catena route was not found");
        return;
    }
    require(m.has_value() == (exact || with_token), "find() matched another set of targets than its path");
    if(!m)
        return;
    require(m->provider->name() == "foxtrot" && m->rest == (exact ? std::string_view{} : rest),
            "find() gave another provider or rest");

    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(std::string(peer), ec);
    auto const ref = reference_address(peer);
    if(ec || !ref || peer.find('%') != std::string_view::npos)
        return; // a peer is always an address; scope ids are boost's alone
    bool allowed = fox.allow.empty();
    for(auto const& text : fox.allow)
        allowed = allowed || reference_contains(*reference_parse_cidr(text), *ref);
    bool const token_ok = (token_in_path ? m->rest : without_bearer(header)) == token;
    token_field fields;
    fields.value = header;
    cw::detail::delivery_ticket ticket;
    auto const verdict = m->provider->admit(fields, m->rest, address, cw::timestamp{}, ticket);
    require(ticket.headers.webhook_id == fox.path, "admit() named another webhook than the route");
    if(!allowed)
        require(verdict == cw::error::address_not_allowed, "a peer outside the allowlist was let in");
    else if(!token_ok)
        require(verdict == cw::error::route_token_mismatch, "a wrong token was accepted");
    else
        require(!verdict, "an allowed peer with the token was refused");
}

void check_cidr(std::string_view text, std::string_view peer)
{
    if(text.find('%') != std::string_view::npos)
        return; // scope ids: boost's alone
    auto const ours = cw::detail::parse_cidr(text);
    auto const ref = reference_parse_cidr(text);
    require(ours.has_value() == ref.has_value(), "parse_cidr and the reference disagree");
    if(!ours)
        return;
    require(ours->prefix == ref->prefix && ours->network.is_v4() == (ref->network.bits == 32),
            "parse_cidr read another network or prefix");
    require(cw::detail::contains(*ours, ours->network), "a network does not contain its own address");
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(std::string(peer), ec);
    auto const raw = reference_address(peer);
    if(ec || !raw || peer.find('%') != std::string_view::npos)
        return;
    require(cw::detail::contains(*ours, address) == reference_contains(*ref, *raw),
            "contains() and the bitwise reference disagree");
}

void check_check(std::uint8_t flags, std::string_view route_path, std::string_view route_token, std::string_view cidr)
{
    cw::route_options r;
    r.path = std::string(route_path);
    r.token = std::string(route_token);
    if(flags & 1)
        r.token_header = "X-Token";
    if(flags & 2)
        r.allow = {std::string(cidr)};
    cw::receiver_options opts;
    opts.routes = {r};
    bool const valid = route_path.size() >= 2 && route_path.front() == '/' && route_path.back() != '/' &&
                       route_path.find_first_of("?# ") == std::string_view::npos && route_path != "/webhooks/catena" &&
                       (!route_token.empty() || !r.allow.empty()) && (route_token.empty() || route_token.size() >= 16) &&
                       (!r.token_header.empty() || route_token.find_first_of("/?#% ") == std::string_view::npos) &&
                       (r.allow.empty() || (cidr.find('%') == std::string_view::npos && reference_parse_cidr(cidr)));
    if(cidr.find('%') != std::string_view::npos && (flags & 2))
        return; // scope ids: boost's alone
    require(cw::detail::route_table::check(opts).empty() == valid, "route_table::check and the documented rules disagree");
}

// What decode() must give for `body`, by Boost.JSON's reading of it: the event or nothing.
void check_decode(cw::route_options const& fox, std::string_view body, std::uint64_t sequence)
{
    cw::detail::inbox_entry e;
    e.body = std::string(body);
    e.request_id = "req-" + std::to_string(sequence);
    e.delivery_attempt = static_cast<std::uint32_t>(1 + sequence % 7);
    e.sequence = sequence;
    auto const ev = cw::detail::foxtrot::decode(fox, e);

    json::parse_options po;
    po.max_depth = 32;
    json::error_code jec;
    auto const v = json::parse(body, jec, {}, po);
    auto const* o = jec ? nullptr : v.if_object();
    auto const* type = o ? o->if_contains(fox.event_field) : nullptr;
    auto const* id = o ? o->if_contains(fox.id_field) : nullptr;
    std::string id_text;
    if(id && id->is_string())
        id_text = std::string(id->get_string());
    else if(id && id->is_int64())
        id_text = std::to_string(id->get_int64());
    else if(id && id->is_uint64())
        id_text = std::to_string(id->get_uint64());
    bool const valid = type && type->is_string() && !type->get_string().empty() && !id_text.empty();
    require(ev.has_value() == valid, "decode() and Boost.JSON's reading disagree");
    if(!valid)
        return;
    std::optional<cw::timestamp> when;
    for(auto const* name : {"timestamp", "occurred_at", "created_at"})
        if(auto const* t = o->if_contains(name); !when && t && t->is_string())
            if(auto parsed = cw::parse_rfc3339(t->get_string()))
                when = *parsed;
    require(ev->provider == "foxtrot" && ev->event_name == type->get_string() && ev->event_id == id_text &&
                ev->record_id == id_text && ev->webhook_id == fox.path,
            "decode() gave another event name, id or route");
    require(ev->idempotency_key == "foxtrot/" + fox.path + "/" + id_text, "decode() gave another idempotency key");
    require(ev->request_id == e.request_id && ev->delivery_attempt == e.delivery_attempt && ev->sequence == sequence,
            "decode() lost the entry's request id, attempt or sequence");
    require(ev->occurred_at == when, "decode() read another time");
    require(ev->record == *o, "decode() gave another record");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if(size == 0)
        return 0;
    std::uint8_t const flags = data[0];
    std::string_view in(reinterpret_cast<char const*>(data) + 1, size - 1);
    auto const target = next_line(in);
    auto const header = next_line(in);
    auto const peer = next_line(in);
    auto const cidr = next_line(in);
    auto const route_path = next_line(in);
    auto const route_token = next_line(in);
    std::string_view const body = in;

    table_of const t(make_routes(flags)); // this input's own
    auto const& routes = t.opts.routes;
    require(cw::detail::route_table::check(t.opts).empty(), "the input's own routes were refused");
    check_find_and_admit(t.table, routes[0], target, header, peer);
    check_cidr(cidr, peer);
    check_check(flags, route_path, route_token, cidr);
    check_decode(routes[0], body, size);

    // A Foxtrot-shaped body from the input: its type, id and time come back as they went in.
    cw::fuzz::bytes_reader p(data, size);
    json::object o;
    std::string type = printable(p.take(1 + p.byte() % 24));
    if(type.empty())
        type = "ROUTE_CREATED";
    o[routes[0].event_field] = type;
    bool const numeric = p.byte() & 1;
    std::int64_t const number = static_cast<std::int64_t>(p.u64());
    std::string const id_text = numeric ? std::to_string(number) : "evt-" + printable(header);
    if(numeric)
        o[routes[0].id_field] = number;
    else
        o[routes[0].id_field] = id_text;
    auto const at = cw::timestamp(std::chrono::microseconds(static_cast<std::int64_t>(p.u64() % 253'402'300'799'000'000)));
    o[p.byte() % 2 ? "occurred_at" : "timestamp"] = cw::format_rfc3339(at, cw::utc_suffix::z);
    o["data"] = json::object{{"route_id", printable(route_path)}, {"note", printable(body.substr(0, 64))}};
    cw::detail::inbox_entry e;
    e.body = json::serialize(o);
    auto const ev = cw::detail::foxtrot::decode(routes[0], e);
    require(ev && ev->event_name == type && ev->event_id == id_text && ev->occurred_at == at && ev->record == o,
            "a Foxtrot-shaped body did not decode to what was put in");
    return 0;
}
