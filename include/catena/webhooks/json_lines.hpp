// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/json_lines.hpp - events, transitions, merges and dead letters as JSON Lines records.
#ifndef CATENA_WEBHOOKS_JSON_LINES_HPP
#define CATENA_WEBHOOKS_JSON_LINES_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/operation.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace catena::webhooks {

/** One JSON object on one line (no newline at the end), as catena-webhookd writes it to its
    output: the shapes the README documents, each with a `"kind"` field. Strings are escaped
    as RFC 8259 requires; empty ids and missing times are written as null; times as RFC 3339
    in UTC.

    @par Thread safety
    Pure functions.
*/
/// {"kind":"event","event_name":…,"event_id":…,"webhook_id":…,"record_id":…,"fleet_id":…,
///  "fleet_ref":…,"connection_id":…,"occurred_at":…,"late":…,"idempotency_key":…}
CATENA_WEBHOOKS_DECL std::string to_json_line(event const& e);
/// The same; with `with_record`, the decoded record as Catena sent it follows as "record":{…}.
CATENA_WEBHOOKS_DECL std::string to_json_line(event const& e, bool with_record);
/// {"kind":"transition","fleet_key":…,"fleet_id":…,"fleet_ref":…,"dimension":…,["entity_id":…,]"from":…,
///  "to":…,"cause":…,"event_id":…,"occurred_at":…,"idempotency_key":…}; entity_id for the
///  dimensions that name a part (invitation, agreement, connection, schedule).
CATENA_WEBHOOKS_DECL std::string to_json_line(transition const& t);
/** The line of `e` (as to_json_line(e, with_record)) or of `t` (as to_json_line(t)), appended
    to `out` without a newline: a writer that keeps one buffer for its lines allocates nothing
    once the buffer has grown to them. */
CATENA_WEBHOOKS_DECL void append_json_line(std::string& out, event const& e, bool with_record = false);
CATENA_WEBHOOKS_DECL void append_json_line(std::string& out, transition const& t);
/// {"kind":"merge","from":…,"into":…,"cause":…,"event_id":…}
CATENA_WEBHOOKS_DECL std::string to_json_line(fleet_merge const& m);
/// {"kind":"dead_letter","reason":…,"dead_letter":"undecodable"|"callback_failed","request_id":…,"webhook_id":…}
CATENA_WEBHOOKS_DECL std::string to_json_line(dead_letter const& d);
/// {"kind":"subscription","action":…,"subscription_id":…,"delivered_by":…,"status":…,
///  "delivery_stopped":…,"url":…,"event_name":…,"occurred_at":…,"idempotency_key":…}: a
///  webhook.* event, or a heal step ("reactivated", "replay_requested"; delivered_by null).
CATENA_WEBHOOKS_DECL std::string to_json_line(subscription_event const& s);
/// {"kind":"delivery_gap","subscription_id":…,"cause":…,"from":…,"to":…,"events":[…]}
CATENA_WEBHOOKS_DECL std::string to_json_line(delivery_gap const& g);

/** The same records as JSON objects, "kind" included, to put into documents of one's own:
    the fields, order and values of the line (serialized by Boost.JSON, a control character
    may be escaped as `\n` where the line writes `\u000a`). The line and the object come
    from one list of fields per type.
*/
CATENA_WEBHOOKS_DECL boost::json::object to_json(event const& e, bool with_record = false);
CATENA_WEBHOOKS_DECL boost::json::object to_json(transition const& t);
CATENA_WEBHOOKS_DECL boost::json::object to_json(fleet_merge const& m);
CATENA_WEBHOOKS_DECL boost::json::object to_json(dead_letter const& d);
CATENA_WEBHOOKS_DECL boost::json::object to_json(subscription_event const& s);
CATENA_WEBHOOKS_DECL boost::json::object to_json(delivery_gap const& g);
/// A fleet as the admin API answers it (/v1/fleets/{key}, docs/openapi.json): its ids, stage,
/// health and parts, empty text as null.
CATENA_WEBHOOKS_DECL boost::json::object to_json(fleet_state const& f);

} // namespace catena::webhooks

#endif
