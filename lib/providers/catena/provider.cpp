// SPDX-License-Identifier: BSL-1.0
// lib/providers/catena/provider.cpp - Catena's deliveries: signed (spec §3-§4), envelopes of records (spec §5).
#include "providers/catena/provider.hpp"

#include "providers/envelope_peek.hpp"

#include <boost/beast/http/field.hpp>

#include <cmath>

namespace catena::webhooks::detail {

namespace {

// Inflated bodies up to this size are kept beside the compressed one (see verify()).
constexpr std::size_t small_json_bytes = 64u << 10;

} // namespace

struct catena_provider::verifier_slot
{
    explicit verifier_slot(verify_options o) : v(o) {}
    verifier v;
    envelope_peek peek;
};

catena_provider::catena_provider(provider_services s) : s_(std::move(s)) {}

catena_provider::~catena_provider() = default;

std::unique_ptr<catena_provider::verifier_slot> catena_provider::acquire_verifier()
{
    {
        std::lock_guard lock(pool_mutex_);
        if(!pool_.empty())
        {
            auto v = std::move(pool_.back());
            pool_.pop_back();
            return v;
        }
    }
    return std::make_unique<verifier_slot>(verify_options{s_.opts.window, s_.opts.limits.inflate});
}

void catena_provider::release_verifier(std::unique_ptr<verifier_slot> v)
{
    std::lock_guard lock(pool_mutex_);
    if(pool_.size() < 64)
        pool_.push_back(std::move(v));
}

void catena_provider::observe_skew(delivery_headers const& h, timestamp now)
{
    auto const sent = parse_rfc3339(h.timestamp);
    if(!sent)
        return;
    double const lag = std::chrono::duration<double>(now - *sent).count();
    s_.counts.observe_skew(lag);
    // Per block of 256 such requests: mostly in the outer fifth of the window means the
    // clocks disagree by nearly the tolerance; a little more and every delivery fails.
    auto const& window = s_.opts.window;
    double const edge =
        0.8 * std::chrono::duration<double>(lag >= 0 ? window.max_past : window.max_future).count();
    if(std::abs(lag) >= edge)
        skew_near_edge_.fetch_add(1, std::memory_order_relaxed);
    if(skew_seen_.fetch_add(1, std::memory_order_relaxed) + 1 < 256)
        return;
    auto const near = skew_near_edge_.exchange(0, std::memory_order_relaxed);
    skew_seen_.store(0, std::memory_order_relaxed);
    if(near > 128 && !skew_warned_.exchange(true))
        s_.report(error::clock_skew, 0,
                  std::to_string(near) + " of the last 256 deliveries carried an X-Catena-Timestamp within a fifth of "
                                         "the window's edge (latest lag " +
                      std::to_string(static_cast<long long>(lag)) + " s): check this host's clock (NTP)",
                  std::string(h.request_id), std::string(h.webhook_id));
}

error_code catena_provider::admit(request_fields const& f, std::string_view, boost::asio::ip::address const&, timestamp now,
                           delivery_ticket& t)
{
    namespace http = boost::beast::http;
    auto& h = t.headers;
    h = delivery_headers{f.get(header::signature),  f.get(header::timestamp),
                         f.get(header::webhook_id), f.get(http::to_string(http::field::content_encoding)),
                         f.get(header::event_type), f.get(header::request_id),
                         f.get(header::delivery_attempt)};
    auto c = check_delivery_headers(h, *s_.secrets.get(), now, s_.opts.window);
    if(c || c.error() == error::timestamp_too_old || c.error() == error::timestamp_in_future)
        observe_skew(h, now);
    if(!c)
        return c.error();
    t.checked = *c;
    return {};
}

result<inbox_entry> catena_provider::verify(delivery_ticket const& t, std::string& body, timestamp now)
{
    auto const& h = t.headers;
    auto slot = acquire_verifier();
    auto const ring = s_.secrets.get();
    auto& peek = slot->peek;
    peek.reset();
    bool const gzip = classify_content_encoding(h.content_encoding) == content_encoding::gzip;
    // A small gzip body's JSON is kept as it streams by (one window), so that processing need
    // not inflate it again; a large one is kept compressed only.
    std::string json;
    bool keep_json = gzip;
    auto r = slot->v.verify_body(h, t.checked, body, *ring, now, [&](std::string_view p) {
        peek.feed(p);
        if(!keep_json)
            return;
        if(json.size() + p.size() > small_json_bytes)
        {
            keep_json = false;
            std::string().swap(json);
            return;
        }
        json.append(p);
    });
    std::string envelope_id = peek.id();
    release_verifier(std::move(slot));
    if(!r)
        return r.error();

    inbox_entry e;
    e.compressed = gzip;
    e.body = std::move(body);
    if(keep_json)
        e.json = std::move(json);
    e.webhook_id = h.webhook_id;
    if(!envelope_id.empty())
        e.envelope_key.append(h.webhook_id).append("/").append(envelope_id);
    e.request_id = h.request_id;
    e.event_type = h.event_type;
    e.delivery_attempt = parse_delivery_attempt(h.delivery_attempt).value_or(1);
    e.sent_at = t.checked.sent_at;
    e.received_at = now;
    return e;
}

push_result catena_provider::decode(inbox_entry const& e, pipeline& p, timestamp now) const
{
    return p.push(e, now);
}

} // namespace catena::webhooks::detail
