// SPDX-License-Identifier: BSL-1.0
// lib/detail/subscription_book.hpp - what the receiver has seen of each subscription (X-Webhook-ID).
#ifndef CATENA_WEBHOOKS_DETAIL_SUBSCRIPTION_BOOK_HPP
#define CATENA_WEBHOOKS_DETAIL_SUBSCRIPTION_BOOK_HPP

#include <catena/webhooks/operation.hpp>

#include "detail/string_map.hpp"
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** Per subscription: the deliveries kept through it (intake), and the last webhook.* event
    about it (processing). Only authenticated deliveries reach it, so the number of entries
    is the number of subscriptions serving this receiver; it is bounded all the same
    (`max_entries`): past it, a new subscription is counted in untracked() only.

    @par Thread safety
    Every member function from any thread.
*/
class subscription_book
{
public:
    explicit subscription_book(std::size_t max_entries = 4096) : max_entries_(max_entries) {}

    /// A delivery through `webhook_id` was kept (`duplicate`: a copy of one already kept).
    void delivered(std::string_view webhook_id, std::string_view event_type, timestamp at, bool duplicate);
    /** A delivery through `webhook_id` passed its headers but was answered 503. Counted only
        for a subscription already seen: its MAC was not checked, so its id proves nothing. */
    void deferred(std::string_view webhook_id, timestamp at);
    /// A webhook.* event about `e.subscription_id` was processed.
    void status(subscription_event const& e, timestamp at);

    /// One subscription, when seen.
    std::optional<subscription_seen> find(std::string_view id) const;
    /// Every subscription seen, ordered by id.
    std::vector<subscription_seen> list() const;
    /// Subscriptions whose last webhook.* event stopped their delivery (staled, paused, deleted).
    std::size_t stopped() const;
    std::size_t untracked() const;

private:
    subscription_seen* entry(std::string_view id, bool create = true); // under mutex_; null past the bound

    std::size_t const max_entries_;
    mutable std::mutex mutex_;
    // Looked up by string_view, without building a string per delivery.
    string_map<subscription_seen> seen_;
    std::size_t untracked_ = 0;
};

} // namespace catena::webhooks::detail

#endif
