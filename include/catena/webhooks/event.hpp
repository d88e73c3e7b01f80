// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/event.hpp - one record of one delivery, as handed to callbacks.
#ifndef CATENA_WEBHOOKS_EVENT_HPP
#define CATENA_WEBHOOKS_EVENT_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace catena::webhooks {

/** One record of a verified delivery (one element of the envelope's data[]).

    Strings are empty when the field was absent or null. The object owns its data and may
    be kept or moved to another thread.
*/
struct event
{
    /// Whose event it is: "catena", or the provider of the route it came by ("foxtrot";
    /// see receiver_options::routes). Static storage.
    std::string_view provider = "catena";
    std::string event_name;     ///< e.g. "invitation.accepted"
    std::string event_id;       ///< The envelope id (UUID v7), empty when Catena sent none.
    std::string webhook_id;     ///< The subscription that delivered it (X-Webhook-ID); another provider's route: its path.
    std::string request_id;     ///< X-Request-ID of the attempt that was kept (for logs only).
    std::string record_id;      ///< data[i].id
    std::string fleet_id;
    std::string fleet_ref;
    std::string connection_id;
    std::string invitation_id;
    std::string status;
    /// The fleet the event belongs to once correlated (see fleet_state::key); empty for
    /// events about no fleet (webhook.*, tsp.*).
    std::string fleet_key;
    std::optional<timestamp> occurred_at;
    std::optional<timestamp> updated_at;
    std::optional<timestamp> created_at;
    std::uint32_t delivery_attempt = 1; ///< X-Delivery-Attempt of the kept attempt.
    std::uint64_t sequence = 0;         ///< Position of the delivery in the inbox.
    std::size_t record_index = 0;       ///< Position of the record in data[].
    /// Arrived after newer events of the same fleet and stream were released: delivered,
    /// but it changed no state. Streams are the lifecycle (invitation, share_agreement,
    /// connection, fleet_connection, execution, schedule) and each data resource.
    bool late = false;
    /// Stable across retries, replays and restarts: use it to make side effects idempotent.
    std::string idempotency_key;
    /// The whole record, unknown fields included.
    boost::json::object record;

    /// "invitation" for "invitation.accepted".
    std::string_view resource() const noexcept { return std::string_view(event_name).substr(0, event_name.find('.')); }
    /// "accepted" for "invitation.accepted".
    std::string_view action() const noexcept
    {
        auto const dot = event_name.find('.');
        return dot == std::string::npos ? std::string_view{} : std::string_view(event_name).substr(dot + 1);
    }
};

/** A problem the receiver reports through on_error. Never carries a secret. */
struct error_report
{
    error_code ec;            ///< What went wrong; compare against condition values.
    std::string_view reason;  ///< Stable reason code, as in the metrics.
    unsigned http_status = 0; ///< The status answered, or 0 when no request was answered.
    std::string detail;       ///< Human-readable context (remote address, exception text...).
    std::string request_id;   ///< X-Request-ID when known.
    std::string webhook_id;   ///< X-Webhook-ID when known.
};

/** Why something went to the dead letters. */
enum class dead_letter_kind
{
    undecodable,     ///< An authentic delivery whose body could not be decoded (answered 202).
    callback_failed, ///< A callback failed on every attempt of the retry policy.
};

/** Something kept for inspection and replay instead of being lost. */
struct dead_letter
{
    dead_letter_kind kind = dead_letter_kind::undecodable;
    std::uint64_t sequence = 0; ///< The delivery's position in the inbox.
    error_code ec;
    std::string_view reason;
    std::string request_id;
    std::string webhook_id;
    std::string event_type;
    /// undecodable: the decompressed body. callback_failed: the event's record as JSON.
    std::string body;
    std::string idempotency_key; ///< callback_failed: the key of the event or transition.
    std::string handler;         ///< callback_failed: the registration that failed, e.g. "on(invitation.*)".
    std::string error_text;      ///< callback_failed: what the last attempt threw.
    unsigned attempts = 0;       ///< callback_failed: attempts made.
    std::string route;           ///< The route the delivery came by (receiver_options::routes); empty for Catena's path.
};

} // namespace catena::webhooks

#endif
