// SPDX-License-Identifier: BSL-1.0
// lib/http/intake.cpp - a request's headers and body in, verified and kept (or refused), one answer out.
#include "http/intake.hpp"


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
    , secrets_(opts.secrets)
    , routes_(opts, provider_services{opts, counts, report_, secrets_})
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
    secrets_.set(std::move(ring));
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

intake::~intake() = default;

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

std::optional<answer> intake::admit(route_match const& m, request_fields const& fields,
                                    std::optional<std::uint64_t> content_length, std::string const& remote,
                                    client_address const& client, delivery_ticket& t)
{
    auto const now = opts_.clock();
    t = {};
    // Headers that fail prove the request is not the provider's and cost nothing to check:
    // answered at once, whoever sent them, and no penalty counts them.
    if(auto ec = m.provider->admit(fields, m.rest, client.ip, now, t))
        return refuse(ec, t.headers, remote);
    auto const& h = t.headers;
    if(content_length && *content_length > opts_.limits.max_body_bytes)
        return defer(error::body_too_large, h, remote, static_cast<std::size_t>(*content_length));
    // Good headers may be authentic: verified, or answered 503 when this client's penalty for
    // this subscription has spent its verification for now.
    if(m.provider->proves_bodies() && !gate_.may_verify(client.key, h.webhook_id, admission::clock::now()))
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

void intake::deliver(route_match const& m, delivery_ticket const& t, std::string&& body, std::string const& remote,
                     client_address const& client, std::function<void(answer)> done)
{
    auto const now = opts_.clock();
    auto const& h = t.headers;
    auto e = m.provider->verify(t, body, now);
    if(!e)
    {
        // Only the provider's proof (Catena's MAC) makes a request forged (rule above). Such
        // failures are what a penalty counts: the body was read and verified for nothing.
        if(e.error() == condition::unauthenticated)
        {
            auto a = refuse(e.error(), h, remote);
            if(!m.provider->proves_bodies())
                return done(a);
            if(auto n = gate_.auth_failed(client.key, h.webhook_id, admission::clock::now()))
                report_penalty(make_error_code(error::penalty_started), *n);
            return done(a);
        }
        return done(defer(e.error(), h, remote, body.size()));
    }
    keep(std::move(*e), now, remote, std::move(done));
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
