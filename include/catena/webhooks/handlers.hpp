// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/handlers.hpp - the signatures of the callbacks a receiver calls.
#ifndef CATENA_WEBHOOKS_HANDLERS_HPP
#define CATENA_WEBHOOKS_HANDLERS_HPP

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/handoff.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/operation.hpp>

#include <functional>

namespace catena::webhooks {

/// An event's callback (receiver::on, on_any, on_unhandled).
using event_handler = std::function<void(event const&)>;
/// Every rejection, dead letter and callback failure (receiver::on_error). Must not throw.
using error_handler = std::function<void(error_report const&)>;
/// What goes to the dead letters (receiver::on_dead_letter).
using dead_letter_handler = std::function<void(dead_letter const&)>;
/// A fleet's stage or health transition (receiver::on_transition).
using transition_handler = std::function<void(transition const&)>;
/// Two keys found to name one fleet (receiver::on_merge).
using merge_handler = std::function<void(fleet_merge const&)>;
/// A webhook.* event (receiver::on_subscription).
using subscription_handler = std::function<void(subscription_event const&)>;
/// A window during which a subscription delivered nothing (receiver::on_delivery_gap).
using gap_handler = std::function<void(delivery_gap const&)>;
/// An event completed later (receiver::on_any_async).
using async_event_handler = std::function<void(event const&, completion)>;
/// A transition completed later (receiver::on_transition_async).
using async_transition_handler = std::function<void(transition const&, completion)>;

} // namespace catena::webhooks

#endif
