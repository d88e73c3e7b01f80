// SPDX-License-Identifier: BSL-1.0
// lib/verifier.cpp - the verification procedure of spec §3.2.
#include <catena/webhooks/verifier.hpp>

namespace catena::webhooks {

std::optional<std::uint32_t> parse_delivery_attempt(std::string_view v) noexcept
{
    while(!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while(!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    if(v.empty() || v.size() > 9)
        return std::nullopt;
    std::uint32_t n = 0;
    for(char c : v)
    {
        if(c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if(n == 0)
        return std::nullopt;
    return n;
}

verifier::verifier(verify_options opts) : opts_(opts) {}

result<verified_body> verifier::verify(delivery_headers const& h, std::string_view raw_body, secret_ring const& ring,
                                       timestamp now, std::string& buffer)
{
    if(h.signature.empty())
        return make_error_code(error::missing_signature);
    if(h.timestamp.empty())
        return make_error_code(error::missing_timestamp);
    if(h.webhook_id.empty())
        return make_error_code(error::missing_webhook_id);

    auto const expected = decode_signature(h.signature);
    if(!expected)
        return expected.error();

    auto const sent = parse_rfc3339(h.timestamp);
    if(!sent)
        return sent.error();
    if(auto ec = check_freshness(*sent, now, opts_.window))
        return ec;

    auto const cand = ring.find(h.webhook_id);
    if(cand.secrets.empty())
        return make_error_code(error::unknown_webhook_id);

    verified_body out;
    out.sent_at = *sent;
    out.default_secret = !cand.known;
    switch(classify_content_encoding(h.content_encoding))
    {
    case content_encoding::identity:
        out.body = raw_body;
        break;
    case content_encoding::gzip:
        if(auto ec = inflater_.inflate(raw_body, buffer, opts_.inflate))
            return ec;
        out.body = buffer;
        break;
    case content_encoding::unsupported:
        return make_error_code(error::unsupported_encoding);
    }

    for(std::size_t i = 0; i < cand.secrets.size(); ++i)
    {
        auto const& s = cand.secrets[i];
        if(!s.live_at(now))
            continue;
        if(mac_equal(signer_.compute(s.key(), h.timestamp, out.body), *expected))
        {
            out.secret_index = i;
            return out;
        }
    }
    return make_error_code(error::signature_mismatch);
}

} // namespace catena::webhooks
