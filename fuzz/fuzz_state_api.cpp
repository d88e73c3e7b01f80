// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_state_api.cpp - the admin listener's state API: targets, query strings, fleet keys and cursors.
//
// Input: a flags byte (bit 0: an admin token is set, bit 1: the request carries it), then
// lines: a request target, an Authorization value, a fleet key, a cursor, then bytes that
// choose how the key and cursor are written into targets.
// Invariants:
// - Any target: answer_admin answers what a plain reference of its routes answers (/ the
//   status page; the metrics path; /v1/summary, /v1/fleets with stage, health, cursor and
//   limit, /v1/fleets/{key}[/history], /v1/dead-letters with limit, /v1/subscriptions,
//   /v1/sinks, /v1/operations, /v1/openapi.json; the bearer token; queries percent-decoded
//   with '+' as a space, unknown or repeated-later parameters, malformed escapes), and asks
//   the source exactly what the reference decoded. Every answer but the page and the metrics
//   is JSON (valid UTF-8 whatever the target held); errors are {"status": <status>, "reason":
//   <reason>, "detail": ...}, 401 with a challenge.
// - Keys round-trip: any key, percent-encoded (either hex case, safe characters raw or not),
//   reaches the source as itself; a known one is answered with its fleet.
// - Cursors round-trip: walking /v1/fleets page by page with next_cursor (keys holding '/',
//   '%', '+', spaces and non-ASCII) gives every fleet once, in order.
// Every input has its own source; the options are immutable.
#include "http/state_api.hpp"

#include "fuzz_support.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <map>

namespace {

namespace cw = catena::webhooks;
namespace json = boost::json;
using cw::fuzz::require;

constexpr std::string_view admin_token = "admin-token-0123456789";

// Valid UTF-8 from any bytes (keys come from JSON, so a source only ever holds such keys).
std::string utf8(std::string_view s)
{
    std::string out;
    for(unsigned char c : s)
        out.push_back(static_cast<char>(c < 0x80 ? c : 0x20 + c % 0x5f));
    return out;
}

/// A source of a few fleets; it notes what it was asked.
class fake_source final : public cw::detail::state_source
{
public:
    explicit fake_source(std::string extra_key)
    {
        std::vector<std::string> keys{"98765432-10fe-dcba-9876-543210fedcba", "ref:FLEET 42", "ref:a/b%2Fc+d",
                                      "invitation:inv?1&x=2#f", "connection:S\xc3\xa3o Paulo \xe2\x80\x93 42",
                                      std::move(extra_key)};
        for(std::size_t i = 0; i < keys.size(); ++i)
        {
            cw::fleet_state f;
            f.key = keys[i];
            f.stage = static_cast<cw::stage>(i % 11);
            f.health = static_cast<cw::health>(i % 4);
            cw::invitation_info inv;
            inv.id = "inv-" + std::to_string(i);
            inv.state = cw::invitation_state::viewed;
            f.invitations.push_back(std::move(inv));
            fleets_.emplace(f.key, std::move(f));
        }
    }

    cw::fleet_page fleet_page_of(cw::fleet_query const& q) const override
    {
        asked_query = q;
        ++pages_asked;
        cw::fleet_page page;
        for(auto const& [key, f] : fleets_)
        {
            if((q.stage && f.stage != *q.stage) || (q.health && f.health != *q.health) || !(key > q.after))
                continue;
            ++page.matched;
            if(page.fleets.size() < q.limit)
                page.fleets.push_back(f);
            else if(page.next_cursor.empty())
                page.next_cursor = page.fleets.back().key;
        }
        return page;
    }
    std::optional<cw::fleet_state> fleet_of(std::string_view key) const override
    {
        asked_key = std::string(key);
        auto it = fleets_.find(*asked_key);
        return it == fleets_.end() ? std::nullopt : std::optional(it->second);
    }
    std::vector<cw::transition> history_of(std::string_view key) const override
    {
        cw::transition t;
        t.fleet_key = std::string(key);
        t.to = "viewed";
        t.cause = "invitation.viewed";
        t.idempotency_key = "k";
        return {t};
    }
    // Five letters, ids 1 to 5; a listing has no bodies.
    std::vector<cw::stored_dead_letter> recent_dead_letters(std::size_t max) const override
    {
        std::vector<cw::stored_dead_letter> all;
        for(std::int64_t id = 5 - static_cast<std::int64_t>(std::min<std::size_t>(max, 5)) + 1; id <= 5; ++id)
        {
            all.push_back(*dead_letter_of(id));
            all.back().letter.body.clear();
        }
        return all;
    }
    std::optional<cw::stored_dead_letter> dead_letter_of(std::int64_t id) const override
    {
        if(id < 1 || id > 5)
            return std::nullopt;
        cw::stored_dead_letter x;
        x.id = id;
        x.letter.sequence = static_cast<std::uint64_t>(id);
        x.letter.body = "{\"body\":" + std::to_string(id) + "}";
        x.body_bytes = x.letter.body.size();
        return x;
    }
    std::vector<cw::subscription_seen> seen_subscriptions() const override
    {
        cw::subscription_seen s;
        s.webhook_id = "wh-1";
        return {s};
    }
    std::vector<cw::detail::summary_number> summary() const override { return {{"accepted", {}, 1}}; }
    std::string metrics() const override { return "catena_webhooks_fuzz 1\n"; }

    std::map<std::string, cw::fleet_state> const& all() const { return fleets_; }

    mutable std::optional<cw::fleet_query> asked_query;
    mutable std::optional<std::string> asked_key;
    mutable int pages_asked = 0;

private:
    std::map<std::string, cw::fleet_state> fleets_;
};

cw::receiver_options options(bool with_token)
{
    cw::receiver_options o;
    if(with_token)
        o.admin_token = std::string(admin_token);
    return o;
}

int hex(char c)
{
    if(c >= '0' && c <= '9')
        return c - '0';
    if(c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if(c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::optional<std::string> decode(std::string_view s, bool plus_is_space)
{
    std::string out;
    for(std::size_t i = 0; i < s.size(); ++i)
    {
        if(s[i] == '%')
        {
            if(s.size() - i < 3 || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        }
        else
            out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
    return out;
}

/// A query string read plainly: its parameters in order, or nothing (malformed or unknown).
std::optional<std::vector<std::pair<std::string, std::string>>> reference_query(
    std::string_view q, std::initializer_list<std::string_view> known)
{
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t at = 0;
    while(at <= q.size() && !q.empty())
    {
        auto const amp = q.find('&', at);
        auto const part = q.substr(at, amp == std::string_view::npos ? std::string_view::npos : amp - at);
        at = amp == std::string_view::npos ? q.size() + 1 : amp + 1;
        if(part.empty())
            continue;
        auto const eq = part.find('=');
        auto k = decode(part.substr(0, eq), true);
        auto v = decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
        if(!k || !v || std::find(known.begin(), known.end(), *k) == known.end())
            return std::nullopt;
        out.emplace_back(std::move(*k), std::move(*v));
    }
    return out;
}

std::optional<std::string> first(std::vector<std::pair<std::string, std::string>> const& ps, std::string_view k)
{
    for(auto const& [key, v] : ps)
        if(key == k)
            return v;
    return std::nullopt;
}

std::optional<std::size_t> limit_of(std::string const& s)
{
    if(s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    auto const digits = s.substr(std::min(s.find_first_not_of('0'), s.size())); // leading zeros allowed
    if(digits.size() > 4)
        return std::nullopt;
    auto const n = digits.empty() ? 0 : std::stoul(digits);
    return n >= 1 && n <= 1000 ? std::optional<std::size_t>(n) : std::nullopt;
}

/// What the reference expects: the status, and what the source must have been asked.
struct expectation
{
    unsigned status = 404;
    std::optional<cw::fleet_query> query;
    std::optional<std::string> key;
};

expectation status_only(unsigned status)
{
    expectation e;
    e.status = status;
    return e;
}

expectation reference_route(fake_source const& src, cw::receiver_options const& o, std::string_view target,
                            std::string_view authorization)
{
    auto const qmark = target.find('?');
    auto const path = target.substr(0, qmark);
    auto const q = qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
    expectation e;
    if(path == "/")
        return status_only(200);
    bool const metrics = path == o.metrics_path;
    if(!metrics && path != "/v1" && !path.starts_with("/v1/"))
        return status_only(404);
    // "Bearer " in any case, then the token.
    bool const authorized = o.admin_token.empty() ||
                            (authorization.size() > 7 &&
                             std::equal(authorization.begin(), authorization.begin() + 7, "bearer ",
                                        [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a + 32 : a) == b; }) &&
                             authorization.substr(7) == o.admin_token);
    if(!authorized)
        return status_only(401);
    if(metrics)
        return status_only(200);
    if(path == "/v1/summary" || path == "/v1/subscriptions" || path == "/v1/sinks" || path == "/v1/operations" ||
       path == "/v1/openapi.json")
        return status_only(reference_query(q, {}) ? 200u : 400u);
    if(path == "/v1/dead-letters")
    {
        auto const ps = reference_query(q, {"limit"});
        auto const l = ps ? first(*ps, "limit") : std::nullopt;
        return status_only(ps && (!l || limit_of(*l)) ? 200u : 400u);
    }
    if(path.starts_with("/v1/dead-letters/"))
    {
        // One letter by its id: digits only (no sign, no encoding), 1 to 5 here.
        if(!reference_query(q, {}))
            return status_only(400);
        auto const id = path.substr(17);
        bool const digits = !id.empty() && id.size() <= 18 && id.find_first_not_of("0123456789") == std::string_view::npos;
        return status_only(digits && std::stoll(std::string(id)) >= 1 && std::stoll(std::string(id)) <= 5 ? 200u : 404u);
    }
    if(path == "/v1/fleets")
    {
        auto const ps = reference_query(q, {"stage", "health", "cursor", "limit"});
        if(!ps)
            return status_only(400);
        cw::fleet_query fq;
        if(auto s = first(*ps, "stage"); s && !(fq.stage = cw::parse_stage(*s)))
            return status_only(400);
        if(auto h = first(*ps, "health"); h && !(fq.health = cw::parse_health(*h)))
            return status_only(400);
        if(auto c = first(*ps, "cursor"))
            fq.after = *c;
        if(auto l = first(*ps, "limit"))
        {
            auto const n = limit_of(*l);
            if(!n)
                return status_only(400);
            fq.limit = *n;
        }
        auto e200 = status_only(200);
        e200.query = fq;
        return e200;
    }
    if(path.starts_with("/v1/fleets/"))
    {
        if(!reference_query(q, {}))
            return status_only(400);
        auto rest = path.substr(11);
        if(rest.size() > 8 && rest.ends_with("/history"))
            rest.remove_suffix(8);
        auto const key = decode(rest, false);
        if(!key || key->empty() || rest.find('/') != std::string_view::npos)
            return status_only(404);
        e.key = *key;
        e.status = src.all().count(*key) ? 200 : 404;
        return e;
    }
    return status_only(404);
}

json::value answer(fake_source const& src, cw::receiver_options const& o, std::string_view target,
                   std::string_view authorization, expectation const& want)
{
    src.asked_query.reset();
    src.asked_key.reset();
    auto const r = cw::detail::answer_admin(src, o, target, authorization);
    require(r.status == want.status, "answer_admin and the reference route differently");
    require((r.status == 200) == !r.ec, "an answer's status and error disagree");
    require(r.challenge == (r.status == 401), "a 401 without a challenge, or a challenge elsewhere");
    if(want.query)
        require(src.asked_query && src.asked_query->after == want.query->after &&
                    src.asked_query->limit == want.query->limit && src.asked_query->stage == want.query->stage &&
                    src.asked_query->health == want.query->health,
                "the source was asked another page than the query says");
    if(want.key)
        require(src.asked_key == want.key, "the source was asked another key than the target says");
    if(r.page || r.content_type.starts_with("text/plain"))
        return {};
    json::error_code ec;
    auto v = json::parse(r.body, ec);
    require(!ec && v.is_object(), "an answer's body is not a JSON object");
    if(r.status != 200)
    {
        auto const& e = v.get_object();
        require(e.size() == 3 && e.contains("status") && e.at("status") == json::value(r.status) &&
                    e.contains("reason") && e.at("reason") == json::string(cw::reason(r.ec)) &&
                    e.contains("detail") && e.at("detail").is_string(),
                "an error's body is not {status, reason, detail}");
    }
    return v;
}

// How a key goes into a path or a query: every byte escaped or only those that must be, hex
// digits in either case, and in a query a space as '+' or not.
std::string encode(std::string_view s, std::uint8_t how, bool query)
{
    static constexpr char upper[] = "0123456789ABCDEF", lower[] = "0123456789abcdef";
    char const* digits = how & 1 ? lower : upper;
    std::string out;
    for(unsigned char c : s)
    {
        bool const unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '_' || c == '.' || c == '~' || c == ':';
        if(unreserved && !(how & 2))
            out.push_back(static_cast<char>(c));
        else if(c == ' ' && query && (how & 4))
            out.push_back('+');
        else
            out.append({'%', digits[c >> 4], digits[c & 15]});
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if(size == 0)
        return 0;
    static cw::receiver_options const with_token = options(true), without_token = options(false); // immutable
    std::uint8_t const flags = data[0];
    auto const& o = flags & 1 ? with_token : without_token;
    std::string_view in(reinterpret_cast<char const*>(data) + 1, size - 1);
    auto const line = [&in] {
        auto const nl = in.find('\n');
        auto l = in.substr(0, nl);
        in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
        return l;
    };
    auto const target = line();
    auto const given_auth = line();
    auto const key = line();
    auto const cursor = line();
    cw::fuzz::bytes_reader p(in);
    std::string const auth = flags & 2 ? "Bearer " + std::string(admin_token) : std::string(given_auth);

    fake_source const src(key.empty() ? "fleet-extra" : utf8(key));
    answer(src, o, target, auth, reference_route(src, o, target, auth));

    // The key, written into a target.
    std::string const path = "/v1/fleets/" + encode(key, p.byte(), false) + (p.byte() & 1 ? "/history" : "");
    auto const want = reference_route(src, o, path, auth);
    if(want.status != 401 && !key.empty())
        require(want.key == std::string(key), "the reference lost a key it encoded");
    auto const v = answer(src, o, path, auth, want);
    if(want.status == 200 && !path.ends_with("/history"))
        require(v.at("key") == json::string(key), "a fleet was answered under another key");

    // The cursor, and then every page from the start.
    auto const limit = 1 + p.byte() % 3;
    std::string const q = "/v1/fleets?cursor=" + encode(cursor, p.byte(), true) + "&limit=" + std::to_string(limit);
    answer(src, o, q, auth, reference_route(src, o, q, auth));
    if(o.admin_token.empty() || flags & 2)
    {
        std::vector<std::string> walked;
        std::string next;
        for(int pages = 0; pages < 16; ++pages)
        {
            std::string const t = "/v1/fleets?limit=" + std::to_string(limit) +
                                  (next.empty() ? "" : "&cursor=" + encode(next, p.byte(), true));
            auto const page = answer(src, o, t, auth, reference_route(src, o, t, auth));
            for(auto const& f : page.at("fleets").as_array())
                walked.emplace_back(f.at("key").as_string());
            if(page.at("next_cursor").is_null())
                break;
            next = std::string(page.at("next_cursor").as_string());
        }
        std::vector<std::string> all;
        for(auto const& [k, f] : src.all())
            all.push_back(k);
        require(walked == all, "walking the pages by their cursors did not give every fleet once, in order");
    }
    return 0;
}
