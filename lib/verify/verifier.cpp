// SPDX-License-Identifier: BSL-1.0
// lib/verify/verifier.cpp - the verification procedure of spec §3.2.
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

namespace catena::webhooks {

delivery_headers delivery_headers_of(std::span<header_field const> headers) noexcept
{
    return {find_header(headers, header::signature),  find_header(headers, header::timestamp),
            find_header(headers, header::webhook_id), find_header(headers, "Content-Encoding"),
            find_header(headers, header::event_type), find_header(headers, header::request_id),
            find_header(headers, header::delivery_attempt)};
}

namespace {

// The listener's own path (intake): the headers, then the body's MAC streamed through gunzip.
// `piece` sees the decoded body.
error_code verify_streaming(delivery_headers const& h, std::string_view body, secret_ring const& secrets,
                            timestamp now, verify_options const& opts, inflater::sink const& piece)
{
    auto const c = check_delivery_headers(h, secrets, now, opts.window);
    if(!c)
        return c.error();
    verifier v(opts);
    auto const r = v.verify_body(h, *c, body, secrets, now, piece);
    return r ? error_code{} : r.error();
}

bool decode_error(error_code const& ec) noexcept
{
    if(ec.category() != error_category())
        return false;
    switch(static_cast<error>(ec.value()))
    {
    case error::json_syntax:
    case error::envelope_not_object:
    case error::missing_field:
    case error::wrong_field_type:
    case error::record_not_object:
    case error::record_missing_id:
    case error::event_name_mismatch:
    case error::webhook_id_mismatch:
    case error::json_too_deep:
    case error::too_many_records:
    case error::string_too_long: return true;
    default: return false;
    }
}

} // namespace

error_code verify(delivery_headers const& headers, std::string_view body, secret_ring const& secrets, timestamp now,
                  verify_options const& opts)
{
    return verify_streaming(headers, body, secrets, now, opts, {});
}

error_code verify(std::span<header_field const> headers, std::string_view body, secret_ring const& secrets,
                  timestamp now, verify_options const& opts)
{
    return verify(delivery_headers_of(headers), body, secrets, now, opts);
}

result<envelope> verify_envelope(delivery_headers const& headers, std::string_view body, secret_ring const& secrets,
                                 timestamp now, verify_options const& opts)
{
    bool const gzip = classify_content_encoding(headers.content_encoding) == content_encoding::gzip;
    std::string decoded;
    inflater::sink piece;
    if(gzip)
        piece = [&decoded](std::string_view p) { decoded.append(p); };
    if(auto ec = verify_streaming(headers, body, secrets, now, opts, piece))
        return ec;
    envelope e;
    if(auto ec = e.parse(gzip ? std::string_view(decoded) : body))
        return ec;
    if(auto ec = e.check_headers(headers.event_type, headers.webhook_id))
        return ec;
    return e;
}

result<envelope> verify_envelope(std::span<header_field const> headers, std::string_view body,
                                 secret_ring const& secrets, timestamp now, verify_options const& opts)
{
    return verify_envelope(delivery_headers_of(headers), body, secrets, now, opts);
}

unsigned answer_status(error_code const& ec, unsigned unverified_status) noexcept
{
    if(!ec || decode_error(ec))
        return 202;
    if(ec == condition::unauthenticated)
        return unverified_status;
    return 503;
}

} // namespace catena::webhooks
