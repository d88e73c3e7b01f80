// SPDX-License-Identifier: BSL-1.0
// lib/http/intake.cpp - a request's headers and body in, verified and kept (or refused), one answer out.
#include "http/intake.hpp"

namespace catena::webhooks::detail {

intake::intake(receiver_options const& opts, counters& counts, report_fn report)
    : opts_(opts), counts_(counts), report_(std::move(report)), secrets_(std::make_shared<secret_ring const>(opts.secrets))
{
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

std::unique_ptr<intake::verifier_slot> intake::acquire_verifier()
{
    {
        std::lock_guard lock(pool_mutex_);
        if(!pool_.empty())
        {
            auto s = std::move(pool_.back());
            pool_.pop_back();
            return s;
        }
    }
    return std::make_unique<verifier_slot>(verify_options{opts_.window, opts_.limits.inflate});
}

void intake::release_verifier(std::unique_ptr<verifier_slot> s)
{
    // Do not keep a huge inflate buffer around because of one large body.
    if(s->buffer.capacity() > (1u << 20))
        std::string().swap(s->buffer);
    std::lock_guard lock(pool_mutex_);
    if(pool_.size() < 64)
        pool_.push_back(std::move(s));
}

void intake::deliver(delivery_headers const& h, std::string&& body, std::string const& remote,
                     std::function<void(answer)> done)
{
    auto const now = opts_.clock();
    auto slot = acquire_verifier();
    auto const ring = secrets_.load(std::memory_order_acquire);
    auto r = slot->v.verify(h, body, *ring, now, slot->buffer);
    if(!r)
    {
        release_verifier(std::move(slot));
        answer a{http_status(r.error()), r.error()};
        if(r.error() == condition::unauthenticated)
            a.status = opts_.unverified_status;
        report_(r.error(), a.status, "delivery from " + remote, std::string(h.request_id), std::string(h.webhook_id));
        return done(a);
    }

    inbox_entry e;
    // An identity body is the request body itself: move it instead of copying.
    if(r->body.data() == body.data())
        e.body = std::move(body);
    else
    {
        e.body.assign(r->body);
        // A store on disk writes the compressed body: about half the bytes.
        if(store_->keeps_state())
            e.gzip_body = std::move(body);
    }
    release_verifier(std::move(slot));
    e.webhook_id = h.webhook_id;
    e.request_id = h.request_id;
    e.event_type = h.event_type;
    e.delivery_attempt = parse_delivery_attempt(h.delivery_attempt).value_or(1);
    e.sent_at = r->sent_at;
    e.received_at = now;
    std::string request_id(h.request_id), webhook_id(h.webhook_id);
    store_->append(std::move(e), now,
                   [this, done = std::move(done), remote, request_id = std::move(request_id),
                    webhook_id = std::move(webhook_id)](append_status st, std::uint64_t, error_code ec) mutable {
                       switch(st)
                       {
                       case append_status::kept:
                           on_kept_();
                           return done(answer{202, {}});
                       case append_status::duplicate:
                           counts_.add(counters::id::duplicate_requests);
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
