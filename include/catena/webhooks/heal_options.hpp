// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/heal_options.hpp - what a receiver asks of Catena's APIs itself: healing its
// subscriptions, polling the operations whose result webhook did not come.
#ifndef CATENA_WEBHOOKS_HEAL_OPTIONS_HPP
#define CATENA_WEBHOOKS_HEAL_OPTIONS_HPP

#include <catena/webhooks/notifications_options.hpp>

#include <chrono>

namespace catena::webhooks {

/** Self-healing: the receiver reactivates the subscriptions it serves when they stop
    delivering, replays their dead-letter queues, and reports each delivery gap. */
struct heal_options
{
    bool enabled = false;
    /// The Notifications API and its credentials.
    notifications_options api{};
    /// How often GET /webhooks?status=stale is asked (a stale endpoint may never hear its
    /// own webhook.staled). 0: never, only webhook.* events trigger a heal.
    std::chrono::seconds poll_interval{300};
    /// At most one replay request per this (the API's rate limit is shared with the user).
    std::chrono::milliseconds replay_interval{2'000};
};

/** Resource operations whose result webhook does not come: asked of Catena's Integrations
    API (spec §6.x), the documented fallback, so that a result that fell into a delivery gap
    (a subscription stale or paused: Catena does not queue what occurs meanwhile) is not
    reported timed_out a day later. Only operations tracked with their connection
    (receiver::track_operation with an operation_ref) can be polled. */
struct operation_polling_options
{
    bool enabled = false;
    /// The API and its credentials (the Notifications API's base URL and token serve both).
    notifications_options api{};
    /// How long after track_operation() the result webhook is waited for before the API is asked.
    std::chrono::seconds grace{300};
    /// At most this many requests (one operation, or one listing after a gap) per `per`: polling
    /// stays the exception, and the API's rate limit is shared with the user's own calls.
    unsigned max_polls = 60;
    std::chrono::seconds per{60};
    /// An operation still pending, or whose poll failed, is asked again after this, doubling
    /// up to max_backoff.
    std::chrono::seconds initial_backoff{60};
    std::chrono::seconds max_backoff{1800};
};

} // namespace catena::webhooks

#endif
