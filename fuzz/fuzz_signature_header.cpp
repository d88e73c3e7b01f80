// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_signature_header.cpp - the whole verification procedure over arbitrary headers and bodies.
//
// Input: lines "signature\ntimestamp\nwebhook_id\ncontent_encoding\n" then the raw body; the
// input's first bytes also choose how the body is signed in the second half.
// Invariants:
// - As given: verify() accepts exactly when a plain reference of spec §3.2 does (the three
//   headers present, a canonical 44-character Base64 signature, a timestamp within 300 s
//   behind and 60 s ahead, secrets for the id or the defaults, a known coding that decodes,
//   the OpenSSL HMAC of timestamp "." body under a live secret), with the matching secret's
//   index and the decoded body; the streaming path (check_headers + verify_body) gives the
//   same verdict, error and bytes.
// - Signed here with a chosen secret, instant, timestamp spelling and coding: accepted exactly
//   when the secret is live and the instant within the window, with the body given back;
//   then one byte changed in the body, the timestamp or the signature, or another key, is
//   refused by both paths.
// One verifier serves every step of an input; the secrets are immutable setup.
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/verifier.hpp>

#include "fuzz_support.hpp"

#include <optional>

namespace {

namespace cw = catena::webhooks;
using cw::fuzz::require;

constexpr std::string_view webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";
// The subscription's secrets in the order added: two live ones, one past its not_after, one
// live until a second after the clock. The default secret (for unknown ids) is secret_b.
constexpr std::string_view secret_a = "your-webhook-secret-min-12-chars";
constexpr std::string_view secret_b = "wX9kLmP2nQrT4vYz";
constexpr std::string_view secret_expired = "rotated-away-secret-0001";
constexpr std::string_view secret_grace = "rotating-out-secret-0002";
constexpr std::string_view secrets[] = {secret_a, secret_b, secret_expired, secret_grace};

// The spec's vectors were signed at this instant; the corpus uses it too.
cw::timestamp clock_now() { return *cw::parse_rfc3339("2024-11-28T10:30:00Z"); }

cw::secret_ring make_ring()
{
    cw::secret_ring ring;
    auto const now = clock_now();
    ring.add(webhook_id, secret_a);
    ring.add(webhook_id, secret_b);
    ring.add(webhook_id, secret_expired, now - std::chrono::seconds(1));
    ring.add(webhook_id, secret_grace, now + std::chrono::seconds(1));
    ring.add_default(secret_b);
    ring.set_unknown_policy(cw::unknown_webhook_policy::try_defaults);
    return ring;
}

cw::verify_options verifier_options()
{
    cw::verify_options o;
    o.inflate.max_inflated_bytes = 1u << 20;
    // The ratio is the gzip target's: here both paths must agree, and they step zlib differently.
    o.inflate.max_ratio = std::size_t(-1);
    return o;
}

std::string_view next_line(std::string_view& s)
{
    auto const nl = s.find('\n');
    auto line = s.substr(0, nl);
    s.remove_prefix(nl == std::string_view::npos ? s.size() : nl + 1);
    return line;
}

std::string_view trim(std::string_view s)
{
    while(!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while(!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// ASCII letters in any case against a lower-case word.
bool iequals(std::string_view a, std::string_view lower)
{
    if(a.size() != lower.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i)
        if((a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i]) != lower[i])
            return false;
    return true;
}

/// The reference's verdict: the matching secret's index, or nothing.
struct expected
{
    std::optional<std::size_t> index;
    bool default_secret = false;
    std::string body;
};

expected reference_verify(cw::delivery_headers const& h, std::string_view raw, cw::timestamp now, cw::inflater& inf)
{
    expected e;
    if(h.signature.empty() || h.timestamp.empty() || h.webhook_id.empty())
        return e;
    auto const sig = cw::fuzz::reference_decode_signature(h.signature);
    auto const sent = cw::parse_rfc3339(h.timestamp);
    if(!sig || !sent || *sent < now - std::chrono::seconds(300) || *sent > now + std::chrono::seconds(60))
        return e;
    auto const encoding = trim(h.content_encoding);
    if(encoding.empty() || iequals(encoding, "identity"))
        e.body = raw;
    else if(iequals(encoding, "gzip") || iequals(encoding, "x-gzip"))
    {
        cw::inflate_limits lim;
        lim.max_inflated_bytes = 1u << 20;
        lim.max_ratio = std::size_t(-1);
        if(inf.inflate(raw, e.body, lim))
            return e;
    }
    else
        return e;
    e.default_secret = h.webhook_id != webhook_id;
    auto const ring = make_ring();
    auto const cand = ring.find(h.webhook_id);
    for(std::size_t i = 0; i < cand.secrets.size(); ++i)
        if(cand.secrets[i].live_at(now) && cw::fuzz::reference_mac(cand.secrets[i].key(), h.timestamp, e.body) == *sig)
        {
            e.index = i;
            break;
        }
    return e;
}

/// Both paths over one delivery; they must agree, and the verdict is returned.
bool verify_both(cw::verifier& v, cw::secret_ring const& ring, cw::delivery_headers const& h, std::string_view raw,
                 expected const* want)
{
    auto const now = clock_now();
    std::string buffer;
    auto const r = v.verify(h, raw, ring, now, buffer);
    std::string streamed;
    auto c = v.check_headers(h, ring, now);
    auto const s = c ? v.verify_body(h, *c, raw, ring, now, [&](std::string_view p) { streamed.append(p); })
                     : cw::result<cw::checked_body>(c.error());
    require(r.has_value() == s.has_value(), "verify and check_headers + verify_body disagree");
    if(!r)
    {
        require(r.error() == s.error(), "verify and verify_body refuse for different reasons");
        return false;
    }
    require(r->body == streamed && s->inflated_bytes == streamed.size(), "the streaming path saw other bytes");
    require(r->secret_index == s->secret_index && c->default_secret == r->default_secret,
            "the two paths name different secrets");
    if(want)
        require(want->index && *want->index == r->secret_index && want->default_secret == r->default_secret &&
                    want->body == r->body,
                "accepted with another secret or body than the reference's");
    return true;
}

std::string flip(std::string_view s, std::uint16_t at, std::uint8_t x)
{
    std::string out(s);
    out[at % out.size()] ^= static_cast<char>(x == 0 ? 1 : x);
    return out;
}

void sign_and_check(cw::verifier& v, cw::secret_ring const& ring, cw::fuzz::bytes_reader& p, std::string_view plain)
{
    auto const now = clock_now();
    std::uint8_t const choice = p.byte();
    std::size_t const which = choice % 5; // 0-3: the subscription's secrets, 4: the default
    static constexpr std::string_view codings[] = {"", "identity", "gzip", "x-gzip", " GZip\t", "IDENTITY"};
    std::string_view const coding = codings[(choice >> 3) % 6];
    bool const gzip = coding.find_first_of("zZ") != std::string_view::npos;

    // An instant 500 s behind to 299 s ahead, to the microsecond.
    auto const sent = now + std::chrono::seconds(static_cast<int>(p.u16() % 800) - 500) +
                      std::chrono::microseconds(p.byte() % 2 == 0 ? 0 : p.u32() % 1'000'000);
    std::string ts;
    switch(p.byte() % 4)
    {
    case 0: ts = cw::format_rfc3339(sent); break;
    case 1: ts = cw::format_rfc3339(sent, cw::utc_suffix::z); break;
    case 2: // the same instant written in India's offset
        ts = cw::format_rfc3339(sent + std::chrono::minutes(330));
        ts.replace(ts.size() - 6, 6, "+05:30");
        break;
    default: // lower-case separators
        ts = cw::format_rfc3339(sent, cw::utc_suffix::z);
        ts[10] = 't';
        ts.back() = 'z';
        break;
    }
    std::string const id = which == 4 ? "unknown-" + std::to_string(choice) : std::string(webhook_id);
    std::string_view const key = which == 4 ? secret_b : secrets[which];
    std::string const sig = cw::fuzz::reference_signature(key, ts, plain);
    auto const wrap = [&](std::string_view body) {
        return gzip ? cw::fuzz::reference_gzip(body, cw::fuzz::gzip_shape{}) : std::string(body);
    };
    std::string const raw = wrap(plain);
    cw::delivery_headers h;
    h.signature = sig;
    h.timestamp = ts;
    h.webhook_id = id;
    h.content_encoding = coding;

    bool const live = which != 2;
    bool const fresh = sent >= now - std::chrono::seconds(300) && sent <= now + std::chrono::seconds(60);
    expected want;
    want.index = which == 4 ? 0 : which;
    want.default_secret = which == 4;
    want.body = plain;
    bool const accepted = verify_both(v, ring, h, raw, &want);
    require(accepted == (live && fresh), "a delivery signed here was not judged by its secret and instant");
    if(!accepted)
        return;

    // One byte changed anywhere that is signed, or another key: refused.
    auto const refused = [&](cw::delivery_headers const& m, std::string_view body) {
        return !verify_both(v, ring, m, body, nullptr);
    };
    if(!plain.empty())
        require(refused(h, wrap(flip(plain, p.u16(), p.byte()))), "a changed body was accepted");
    auto const bad_ts = flip(ts, p.u16(), p.byte());
    auto m = h;
    m.timestamp = bad_ts;
    require(refused(m, raw), "a changed timestamp was accepted");
    auto const bad_sig = flip(sig, p.u16(), p.byte());
    m = h;
    m.signature = bad_sig;
    require(refused(m, raw), "a changed signature was accepted");
    auto const other_sig = cw::fuzz::reference_signature(std::string(key) + "x", ts, plain);
    m = h;
    m.signature = other_sig;
    require(refused(m, raw), "a signature under another key was accepted");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    static cw::secret_ring const ring = make_ring(); // immutable
    cw::verifier v(verifier_options());               // this input's only
    cw::inflater reference_inflater;

    std::string_view in(reinterpret_cast<char const*>(data), size);
    cw::delivery_headers h;
    h.signature = next_line(in);
    h.timestamp = next_line(in);
    h.webhook_id = next_line(in);
    h.content_encoding = next_line(in);
    auto const want = reference_verify(h, in, clock_now(), reference_inflater);
    bool const accepted = verify_both(v, ring, h, in, want.index ? &want : nullptr);
    require(accepted == want.index.has_value(), "verify and the reference disagree");

    cw::fuzz::bytes_reader params(data, size);
    sign_and_check(v, ring, params, in);
    return 0;
}
