// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/operation.hpp - outcomes of asynchronous writes and subscription health.
#ifndef CATENA_WEBHOOKS_OPERATION_HPP
#define CATENA_WEBHOOKS_OPERATION_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks {

/** Where an asynchronous write (a resource operation, spec §4.3) stands. */
enum class operation_status : std::uint8_t
{
    pending,   ///< resource_operation.created: Catena accepted it and works on it.
    success,   ///< resource_operation.succeeded: resource_id and source_id are set.
    failed,    ///< resource_operation.failed: error_type and error_details tell why.
    timed_out, ///< Neither success nor failure arrived before the tracking deadline.
};

/** What decided a tracked operation's outcome. */
enum class operation_source : std::uint8_t
{
    webhook, ///< Its resource_operation.succeeded or .failed event.
    poll,    ///< Catena's Integrations API, asked because no webhook came (spec §6.x).
    timeout, ///< Nothing decided it before the tracking deadline.
};

/// "webhook", "poll" or "timeout".
CATENA_WEBHOOKS_DECL std::string_view to_string(operation_source s) noexcept;
/// "pending", "success", "failed" or "timed_out".
CATENA_WEBHOOKS_DECL std::string_view to_string(operation_status s) noexcept;

/** An asynchronous write to track: its operation id and, so that it can be polled when its
    webhook does not come, its connection (and resource, for the bulk listing). */
struct operation_ref
{
    std::string operation_id;
    std::string connection_id; ///< Empty: the operation is known by its webhooks only.
    std::string resource;      ///< e.g. "message"; empty when not known.
};

/** The operation a write call's 202 answered with (spec §6.x: `id`, `connection_id`,
    `resource`, ...): what receiver::track_operation takes. error::api_bad_response when the
    body is not such an object. */
CATENA_WEBHOOKS_DECL result<operation_ref> parse_operation_response(std::string_view body);

/** The outcome of a tracked operation, as completed by receiver::track_operation. */
struct operation_result
{
    std::string operation_id;
    operation_status status = operation_status::pending;
    operation_source source = operation_source::webhook;
    std::string resource;       ///< e.g. "message", "vehicle"
    std::string operation_type; ///< "create" or "update"
    std::string resource_id;    ///< Catena id of the written resource (success only).
    std::string source_id;      ///< The TSP's id of it (success only).
    std::string connection_id;
    std::string fleet_ref;
    std::string fleet_key;      ///< The fleet the operation's connection belongs to, when known.
    /// From the last failed attempt in `logs` (failed only): auth, validation, network, tsp.
    std::string error_type;
    std::string error_details;
    std::optional<int> response_status_code;
    std::string event_id;        ///< The envelope id of the deciding event (empty on timeout).
    /// Of the deciding event, "operation/<id>/timed_out", or "operation/<id>/poll/<status>".
    std::string idempotency_key;
};

/** An operation tracked and not decided yet, as the state API lists it. */
struct pending_operation
{
    std::string operation_id;
    std::string connection_id;
    std::string resource;
    timestamp deadline{};                 ///< When it times out.
    std::optional<timestamp> next_poll;   ///< When Catena's API is asked next (none: not pollable or no poller).
    unsigned polls = 0;                   ///< Times it was asked about so far.
    std::string last_problem;             ///< Why the last poll failed, if it did.
};

/** Called once with the final outcome of a tracked operation. */
using operation_handler = std::function<void(operation_result const&)>;

/** A change of a webhook subscription's health (webhook.* events, spec §5.6).

    After `staled` or `paused` Catena stops delivering to the subscription: reactivate it
    (POST /v2/notifications/webhooks/{id}/activate), replay its dead-letter queue, and
    backfill the outage window from the REST API.
*/
struct subscription_event
{
    std::string action;          ///< "staled", "paused", "activated", "created", "updated", "deleted", ...
    std::string subscription_id; ///< The subscription the event is about (data[i].id).
    std::string delivered_by;    ///< The subscription that delivered the event (X-Webhook-ID).
    std::string status;          ///< Its status now: active, paused, stale, deleted, ...
    std::string url;
    std::string event_name;      ///< The event the subscription is for.
    std::optional<timestamp> occurred_at;
    std::string idempotency_key;
    /// True when deliveries to the subscription have stopped (staled, paused, deleted).
    bool delivery_stopped() const noexcept { return action == "staled" || action == "paused" || action == "deleted"; }
};

/** What the receiver has seen of one subscription (one X-Webhook-ID) since it started:
    the deliveries kept through it, and the last webhook.* event about it. */
struct subscription_seen
{
    std::string webhook_id;
    std::uint64_t deliveries = 0;           ///< Deliveries kept (answered 202).
    std::uint64_t duplicate_deliveries = 0; ///< Copies of kept deliveries (answered 202, not kept again).
    std::uint64_t deferred_deliveries = 0;  ///< Deliveries whose headers passed, answered 503.
    std::optional<timestamp> last_delivery_at;
    std::optional<timestamp> last_deferred_at;
    std::string last_event_type;            ///< X-Event-Type of the last delivery kept.
    /// From the last webhook.* event about it (empty when none arrived).
    std::string last_action;                ///< "staled", "paused", "activated", ...
    std::string status;                     ///< "active", "paused", "stale", "deleted", ...
    std::optional<timestamp> last_status_at;
    bool delivery_stopped = false;          ///< The last webhook.* event stopped its delivery.
    std::string url;
    std::string event_name;
};

/** A window during which a subscription delivered nothing: between the moment it stopped
    (its webhook.staled or webhook.paused, or, found by a poll, its last delivery) and the
    moment the receiver reactivated it. Catena does not queue what occurs while a subscription
    is stale or paused (spec C8): fetch this window's events from the REST API. */
struct delivery_gap
{
    std::string subscription_id;
    std::string cause;               ///< "staled", "paused", or "poll".
    timestamp from{};
    timestamp to{};
    std::vector<std::string> events; ///< The event names the subscription carries.
};

} // namespace catena::webhooks

#endif
