// SPDX-License-Identifier: BSL-1.0
// lib/providers/foxtrot/decode.hpp - a Foxtrot delivery's JSON as an event.
#ifndef CATENA_WEBHOOKS_PROVIDERS_FOXTROT_DECODE_HPP
#define CATENA_WEBHOOKS_PROVIDERS_FOXTROT_DECODE_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include "store/inbox_entry.hpp"

namespace catena::webhooks::detail::foxtrot {

/** The event of a Foxtrot delivery kept on route `r`.

    Foxtrot documents no delivery format (spec/foxtrot-webhooks.md, "Deliveries"). What is
    assumed is only a JSON object whose event type (`r.event_field`, "event" by default: one
    of the upper-case WebhookEventType values such as ROUTE_CREATED) and event id
    (`r.id_field`, "id"; a string or an integer) are top-level fields. The whole object is
    the event's record. Its time, when a top-level "timestamp", "occurred_at" or
    "created_at" holds an RFC 3339 date-time, is the event's occurred_at.

    Errors (each a dead letter): json_syntax, envelope_not_object, json_too_deep,
    event_field_missing, event_id_missing. */
result<event> decode(route_options const& r, inbox_entry const& e);

} // namespace catena::webhooks::detail::foxtrot

#endif
