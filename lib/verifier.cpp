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

signer& verifier::signer_at(std::size_t i)
{
    while(signers_.size() <= i)
        signers_.emplace_back();
    return signers_[i];
}

result<checked_headers> check_delivery_headers(delivery_headers const& h, secret_ring const& ring, timestamp now,
                                               freshness_window window)
{
    if(h.signature.empty())
        return make_error_code(error::missing_signature);
    if(h.timestamp.empty())
        return make_error_code(error::missing_timestamp);
    if(h.webhook_id.empty())
        return make_error_code(error::missing_webhook_id);

    checked_headers out;
    auto const expected = decode_signature(h.signature);
    if(!expected)
        return expected.error();
    out.expected = *expected;

    auto const sent = parse_rfc3339(h.timestamp);
    if(!sent)
        return sent.error();
    if(auto ec = check_freshness(*sent, now, window))
        return ec;
    out.sent_at = *sent;

    auto const cand = ring.find(h.webhook_id);
    if(cand.secrets.empty())
        return make_error_code(error::unknown_webhook_id);
    out.default_secret = !cand.known;
    return out;
}

result<checked_body> verifier::verify_body(delivery_headers const& h, checked_headers const& c, std::string_view raw_body,
                                           secret_ring const& ring, timestamp now, inflater::sink const& piece)
{
    auto const cand = ring.find(h.webhook_id);
    auto const encoding = classify_content_encoding(h.content_encoding);
    if(encoding == content_encoding::unsupported)
        return make_error_code(error::unsupported_encoding);

    // Every live secret's MAC is computed in the same pass: the body is read once.
    std::size_t live = 0;
    live_index_.clear();
    for(std::size_t i = 0; i < cand.secrets.size(); ++i)
    {
        if(!cand.secrets[i].live_at(now))
            continue;
        signer_at(live++).begin(cand.secrets[i].key(), h.timestamp);
        live_index_.push_back(i);
    }
    checked_body out;
    auto const feed = [&](std::string_view p) {
        out.inflated_bytes += p.size();
        for(std::size_t k = 0; k < live; ++k)
            signers_[k].update(p);
        if(piece)
            piece(p);
    };
    if(encoding == content_encoding::identity)
        feed(raw_body);
    else if(auto ec = inflater_.inflate_each(raw_body, feed, opts_.inflate))
        return ec;

    for(std::size_t k = 0; k < live; ++k)
        if(mac_equal(signers_[k].finish(), c.expected))
        {
            out.secret_index = live_index_[k];
            return out;
        }
    return make_error_code(error::signature_mismatch);
}

result<verified_body> verifier::verify(delivery_headers const& h, std::string_view raw_body, secret_ring const& ring,
                                       timestamp now, std::string& buffer)
{
    auto const c = check_headers(h, ring, now);
    if(!c)
        return c.error();
    verified_body out;
    out.sent_at = c->sent_at;
    out.default_secret = c->default_secret;
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
    // The MAC over the decoded body: verify_body() on it as an identity body.
    auto identity = h;
    identity.content_encoding = {};
    auto const r = verify_body(identity, *c, out.body, ring, now);
    if(!r)
        return r.error();
    out.secret_index = r->secret_index;
    return out;
}

} // namespace catena::webhooks
