// SPDX-License-Identifier: BSL-1.0
// lib/detail/subscription_book.cpp - what the receiver has seen of each subscription (X-Webhook-ID).
#include "detail/subscription_book.hpp"

#include <algorithm>

namespace catena::webhooks::detail {

subscription_seen* subscription_book::entry(std::string_view id, bool create)
{
    if(id.empty())
        return nullptr;
    if(auto it = seen_.find(id); it != seen_.end())
        return &it->second;
    if(!create)
        return nullptr;
    if(seen_.size() >= max_entries_)
    {
        ++untracked_;
        return nullptr;
    }
    auto& s = seen_.emplace(std::string(id), subscription_seen{}).first->second;
    s.webhook_id = std::string(id);
    return &s;
}

void subscription_book::delivered(std::string_view webhook_id, std::string_view event_type, timestamp at,
                                  bool duplicate)
{
    std::lock_guard lock(mutex_);
    auto* s = entry(webhook_id);
    if(!s)
        return;
    if(duplicate)
        ++s->duplicate_deliveries;
    else
        ++s->deliveries;
    s->last_delivery_at = at;
    if(!event_type.empty() && s->last_event_type != event_type)
        s->last_event_type = std::string(event_type);
}

void subscription_book::deferred(std::string_view webhook_id, timestamp at)
{
    std::lock_guard lock(mutex_);
    if(auto* s = entry(webhook_id, false))
    {
        ++s->deferred_deliveries;
        s->last_deferred_at = at;
    }
}

void subscription_book::status(subscription_event const& e, timestamp at)
{
    std::lock_guard lock(mutex_);
    auto* s = entry(e.subscription_id.empty() ? e.delivered_by : e.subscription_id);
    if(!s)
        return;
    // Out-of-order webhook.* events: the newest occurrence wins.
    auto const when = e.occurred_at.value_or(at);
    if(s->last_status_at && *s->last_status_at > when)
        return;
    s->last_action = e.action;
    s->status = e.status;
    s->last_status_at = when;
    s->delivery_stopped = e.delivery_stopped();
    if(!e.url.empty())
        s->url = e.url;
    if(!e.event_name.empty())
        s->event_name = e.event_name;
}

std::optional<subscription_seen> subscription_book::find(std::string_view id) const
{
    std::lock_guard lock(mutex_);
    auto it = seen_.find(id);
    return it == seen_.end() ? std::nullopt : std::optional(it->second);
}

std::vector<subscription_seen> subscription_book::list() const
{
    std::vector<subscription_seen> out;
    {
        std::lock_guard lock(mutex_);
        out.reserve(seen_.size());
        for(auto const& [id, s] : seen_)
            out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.webhook_id < b.webhook_id; });
    return out;
}

std::size_t subscription_book::stopped() const
{
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(seen_.begin(), seen_.end(), [](auto const& kv) { return kv.second.delivery_stopped; }));
}

std::size_t subscription_book::untracked() const
{
    std::lock_guard lock(mutex_);
    return untracked_;
}

} // namespace catena::webhooks::detail
