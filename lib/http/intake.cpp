// SPDX-License-Identifier: BSL-1.0
// lib/http/intake.cpp - a request's headers and body in, verified and kept (or refused), one answer out.
#include "http/intake.hpp"

#include <cmath>

namespace catena::webhooks::detail {

std::string_view wire_reason(error_code const& ec) noexcept
{
    if(!ec)
        return "accepted";
    if(ec == condition::unauthenticated)
        return "unauthenticated";
    return reason(ec);
}

namespace {

// Inflated bodies up to this size are kept beside the compressed one (see deliver()).
constexpr std::size_t small_json_bytes = 64u << 10;

admission_limits admission_of(receiver_limits const& l)
{
    admission_limits a;
    a.body_budget = l.body_budget_bytes;
    a.max_connections_per_peer = l.max_connections_per_peer;
    a.max_auth_failures = l.max_auth_failures_per_minute;
    a.failure_window = std::chrono::seconds(60);
    a.penalty = l.auth_failure_penalty;
    a.penalty_verify_interval = l.penalty_verify_interval;
    return a;
}

std::string size_text(std::size_t bytes)
{
    return std::to_string(bytes) + " bytes";
}

} // namespace

intake::intake(receiver_options const& opts, counters& counts, report_fn report)
    : opts_(opts)
    , counts_(counts)
    , report_(std::move(report))
    , gate_(admission_of(opts.limits))
    , routes_(opts.routes)
    , secrets_(std::make_shared<secret_ring const>(opts.secrets))
{
    // receiver::start() refuses a list with anything but networks in it.
    for(auto const& t : opts.trusted_proxies)
        if(auto c = parse_cidr(t))
            trusted_.push_back(*c);
}

void intake::attach(store& s, std::function<void()> on_kept)
{
    store_ = &s;
    on_kept_ = std::move(on_kept);
}

void intake::set_secrets(secret_ring ring)
{
    secrets_.store(std::make_shared<secret_ring const>(std::move(ring)), std::memory_order_release);
    counts_.add(counters::id::secrets_reloads);
}

bool intake::reserve_body(std::size_t n) noexcept
{
    if(!gate_.reserve_body(n))
        return false;
    counts_.add(counters::id::body_budget_bytes, static_cast<std::int64_t>(n));
    return true;
}

void intake::release_body(std::size_t n) noexcept
{
    gate_.release_body(n);
    counts_.add(counters::id::body_budget_bytes, -static_cast<std::int64_t>(n));
}

struct intake::verifier_slot
{
    explicit verifier_slot(verify_options o) : v(o) {}
    verifier v;
    envelope_peek peek;
};

intake::~intake() = default;

std::unique_ptr<intake::verifier_slot> intake::acquire_verifier()
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
    return std::make_unique<verifier_slot>(verify_options{opts_.window, opts_.limits.inflate});
}

void intake::release_verifier(std::unique_ptr<verifier_slot> v)
{
    std::lock_guard lock(pool_mutex_);
    if(pool_.size() < 64)
        pool_.push_back(std::move(v));
}

// An authentication failure: counted and reported precisely, answered uniformly.
answer intake::refuse(error_code ec, delivery_headers const& h, std::string const& remote)
{
    answer a{opts_.unverified_status, ec};
    report_(ec, a.status,
            "delivery from " + remote + (h.webhook_id.empty() ? std::string() : " for webhook " + std::string(h.webhook_id)),
            std::string(h.request_id), std::string(h.webhook_id));
    return a;
}

void intake::report_penalty(error_code ec, penalty_note const& n)
{
    bool const started = ec == error::penalty_started;
    if(started)
        counts_.add(counters::id::penalties_started);
    counts_.add(counters::id::penalties_active, started ? 1 : -1);
    std::string text = ec == error::penalty_started
                           ? "address " + n.client + " failed the signature of webhook " + n.scope + " " +
                                 std::to_string(n.failures) + " times within a minute: for " +
                                 std::to_string(opts_.limits.auth_failure_penalty.count()) +
                                 " s its deliveries for that webhook are verified at most one per " +
                                 std::to_string(opts_.limits.penalty_verify_interval.count()) +
                                 " ms, the others answered 503 (Catena retries them); other webhooks and "
                                 "addresses are not affected"
                           : "the penalty of address " + n.client + " for webhook " + n.scope +
                                 (n.forgotten ? " ended early (the address was forgotten to make room)"
                                              : " is over") +
                                 "; " + std::to_string(n.deferred) + " requests were answered 503 during it";
    report_(ec, 0, std::move(text), {}, n.scope);
}

void intake::expire_penalties()
{
    for(auto const& n : gate_.expire(admission::clock::now()))
        report_penalty(make_error_code(error::penalty_ended), n);
}

void intake::observe_skew(delivery_headers const& h, timestamp now)
{
    auto const sent = parse_rfc3339(h.timestamp);
    if(!sent)
        return;
    double const lag = std::chrono::duration<double>(now - *sent).count();
    counts_.observe_skew(lag);
    // Per block of 256 such requests: mostly in the outer fifth of the window means the
    // clocks disagree by nearly the tolerance; a little more and every delivery fails.
    double const edge =
        0.8 * std::chrono::duration<double>(lag >= 0 ? opts_.window.max_past : opts_.window.max_future).count();
    if(std::abs(lag) >= edge)
        skew_near_edge_.fetch_add(1, std::memory_order_relaxed);
    if(skew_seen_.fetch_add(1, std::memory_order_relaxed) + 1 < 256)
        return;
    auto const near = skew_near_edge_.exchange(0, std::memory_order_relaxed);
    skew_seen_.store(0, std::memory_order_relaxed);
    if(near > 128 && !skew_warned_.exchange(true))
        report_(error::clock_skew, 0,
                std::to_string(near) + " of the last 256 deliveries carried an X-Catena-Timestamp within a fifth of "
                                       "the window's edge (latest lag " +
                    std::to_string(static_cast<long long>(lag)) + " s): check this host's clock (NTP)",
                std::string(h.request_id), std::string(h.webhook_id));
}

std::optional<answer> intake::admit(delivery_headers const& h, std::optional<std::uint64_t> content_length,
                                    std::string const& remote, client_address const& client, checked_headers& out)
{
    auto const now = opts_.clock();
    auto const ring = secrets_.load(std::memory_order_acquire);
    auto c = check_delivery_headers(h, *ring, now, opts_.window);
    if(c || c.error() == error::timestamp_too_old || c.error() == error::timestamp_in_future)
        observe_skew(h, now);
    // Headers that fail prove the request is not Catena's and cost nothing to check: answered
    // at once, whoever sent them, and no penalty counts them.
    if(!c)
        return refuse(c.error(), h, remote);
    out = *c;
    if(content_length && *content_length > opts_.limits.max_body_bytes)
        return defer(error::body_too_large, h, remote, static_cast<std::size_t>(*content_length));
    // Good headers may be Catena's: verified, or answered 503 when this client's penalty for
    // this subscription has spent its verification for now.
    if(!gate_.may_verify(client.key, h.webhook_id, admission::clock::now()))
    {
        counts_.add(counters::id::deferred_deliveries);
        if(book_)
            book_->deferred(h.webhook_id, now);
        answer a{503, make_error_code(error::peer_refused)};
        report_(a.ec, 503,
                "delivery for webhook " + std::string(h.webhook_id) + " from " + remote +
                    " answered 503 (Catena retries it): this address's signature failures for that webhook are "
                    "being rationed",
                std::string(h.request_id), std::string(h.webhook_id));
        return a;
    }
    return std::nullopt;
}

answer intake::defer(error_code ec, delivery_headers const& h, std::string const& remote, std::size_t bytes)
{
    counts_.add(counters::id::deferred_deliveries);
    if(book_)
        book_->deferred(h.webhook_id, opts_.clock());
    answer a{503, ec};
    report_(ec, 503,
            "delivery of " + size_text(bytes) + " for webhook " + std::string(h.webhook_id) + " from " + remote +
                " not kept, answered 503 so that Catena retries it and keeps it for replay: " + ec.message(),
            std::string(h.request_id), std::string(h.webhook_id));
    return a;
}

void intake::deliver(delivery_headers const& h, checked_headers const& c, std::string&& body,
                     std::string const& remote, client_address const& client, std::function<void(answer)> done)
{
    auto const now = opts_.clock();
    auto slot = acquire_verifier();
    auto const ring = secrets_.load(std::memory_order_acquire);
    auto& peek = slot->peek;
    peek.reset();
    bool const gzip = classify_content_encoding(h.content_encoding) == content_encoding::gzip;
    // A small gzip body's JSON is kept as it streams by (one window), so that processing need
    // not inflate it again; a large one is kept compressed only.
    std::string json;
    bool keep_json = gzip;
    auto r = slot->v.verify_body(h, c, body, *ring, now, [&](std::string_view p) {
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
    {
        // Only the MAC proves a request forged; anything else may be Catena's (rule above).
        // MAC failures are what a penalty counts: the body was read and verified for nothing.
        if(r.error() == condition::unauthenticated)
        {
            auto a = refuse(r.error(), h, remote);
            if(auto n = gate_.auth_failed(client.key, h.webhook_id, admission::clock::now()))
                report_penalty(make_error_code(error::penalty_started), *n);
            return done(a);
        }
        return done(defer(r.error(), h, remote, body.size()));
    }

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
    e.sent_at = c.sent_at;
    e.received_at = now;
    keep(std::move(e), now, remote, std::move(done));
}

std::optional<answer> intake::admit_route(route_match const& m, delivery_headers const& h,
                                          std::string_view token_header_value,
                                          std::optional<std::uint64_t> content_length, std::string const& remote,
                                          client_address const& client)
{
    if(auto ec = routes_.admit(m, token_header_value, client.ip))
        return refuse(ec, h, remote);
    if(content_length && *content_length > opts_.limits.max_body_bytes)
        return defer(error::body_too_large, h, remote, static_cast<std::size_t>(*content_length));
    return std::nullopt;
}

void intake::deliver_route(route_options const& r, delivery_headers const& h, std::string&& body,
                           std::string const& remote, std::function<void(answer)> done)
{
    auto const now = opts_.clock();
    inbox_entry e;
    switch(classify_content_encoding(h.content_encoding))
    {
    case content_encoding::identity: e.body = std::move(body); break;
    case content_encoding::gzip:
        if(auto ec = inflater().inflate(body, e.body, opts_.limits.inflate))
            return done(defer(ec, h, remote, body.size()));
        break;
    case content_encoding::unsupported: return done(defer(error::unsupported_encoding, h, remote, body.size()));
    }
    // A copy of a delivery already kept within the request-id memory is not kept again
    // (processing would drop it as a duplicate anyway): the id read as Catena's envelope id is.
    if(r.id_field == "id")
    {
        envelope_peek peek;
        peek.feed(e.body);
        if(!peek.id().empty())
            e.envelope_key.append(r.path).append("/").append(peek.id());
    }
    e.route = r.path;
    e.webhook_id = r.path;
    e.request_id = h.request_id;
    e.delivery_attempt = parse_delivery_attempt(h.delivery_attempt).value_or(1);
    e.sent_at = now;
    e.received_at = now;
    keep(std::move(e), now, remote, std::move(done));
}

// Into the store; `done` gets the answer once it is kept (or refused).
void intake::keep(inbox_entry&& e, timestamp now, std::string const& remote, std::function<void(answer)> done)
{
    std::string request_id(e.request_id), webhook_id(e.webhook_id), event_type(e.event_type);
    store_->append(std::move(e), now,
                   [this, now, done = std::move(done), remote, request_id = std::move(request_id),
                    webhook_id = std::move(webhook_id),
                    event_type = std::move(event_type)](append_status st, std::uint64_t, error_code ec) mutable {
                       auto const seen = [&](bool duplicate) {
                           if(book_)
                               book_->delivered(webhook_id, event_type, now, duplicate);
                       };
                       switch(st)
                       {
                       case append_status::kept:
                           seen(false);
                           on_kept_();
                           return done(answer{202, {}});
                       case append_status::duplicate:
                           seen(true);
                           counts_.add(counters::id::duplicate_requests);
                           return done(answer{202, {}});
                       case append_status::duplicate_envelope:
                           seen(true);
                           counts_.add(counters::id::envelope_duplicates);
                           return done(answer{202, {}});
                       case append_status::full:
                       case append_status::failed:
                           break;
                       }
                       answer a{503, ec ? ec : make_error_code(error::store_failure)};
                       report_(a.ec, a.status,
                               (st == append_status::full ? "backlog full; delivery from "
                                                          : "could not keep the delivery from ") +
                                   remote,
                               std::move(request_id), std::move(webhook_id));
                       done(a);
                   });
}

} // namespace catena::webhooks::detail
