// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_signature_header.cpp - the whole verification procedure over arbitrary headers and bodies.
//
// Input: lines "signature\ntimestamp\nwebhook_id\ncontent_encoding\n" then the raw body.
// Invariant: verification never crashes; it succeeds only when the signature header decodes
// to the HMAC of timestamp "." decompressed body under a secret of that subscription.
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/verifier.hpp>

#include <cstdlib>

namespace {

namespace cw = catena::webhooks;

constexpr std::string_view secret_a = "your-webhook-secret-min-12-chars";
constexpr std::string_view secret_b = "wX9kLmP2nQrT4vYz";

cw::secret_ring make_ring()
{
    cw::secret_ring ring;
    ring.add("247b2dea-a030-48b7-9a05-ee33c1b6ab0a", secret_a);
    ring.add("247b2dea-a030-48b7-9a05-ee33c1b6ab0a", secret_b);
    ring.add_default(secret_b);
    ring.set_unknown_policy(cw::unknown_webhook_policy::try_defaults);
    return ring;
}

std::string_view next_line(std::string_view& s)
{
    auto const nl = s.find('\n');
    auto line = s.substr(0, nl);
    s.remove_prefix(nl == std::string_view::npos ? s.size() : nl + 1);
    return line;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    static cw::secret_ring const ring = make_ring();
    static cw::verifier v([] {
        cw::verify_options o;
        o.inflate.max_inflated_bytes = 1u << 20;
        return o;
    }());
    static cw::signer check;
    static std::string buffer;
    // The spec's vectors were signed at this instant; the corpus uses it too.
    static cw::timestamp const now = *cw::parse_rfc3339("2024-11-28T10:30:00Z");

    std::string_view in(reinterpret_cast<char const*>(data), size);
    cw::delivery_headers h;
    h.signature = next_line(in);
    h.timestamp = next_line(in);
    h.webhook_id = next_line(in);
    h.content_encoding = next_line(in);
    auto r = v.verify(h, in, ring, now, buffer);
    if(!r)
        return 0;
    auto const expected = cw::decode_signature(h.signature);
    auto const key = r->default_secret ? secret_b : (r->secret_index == 0 ? secret_a : secret_b);
    if(!expected || !cw::mac_equal(check.compute(key, h.timestamp, r->body), *expected))
        std::abort();
    return 0;
}
