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
    std::string event_name;     ///< e.g. "invitation.accepted"
    std::string event_id;       ///< The envelope id (UUID v7), empty when Catena sent none.
    std::string webhook_id;     ///< The subscription that delivered it (X-Webhook-ID).
    std::string request_id;     ///< X-Request-ID of the attempt that was kept (for logs only).
    std::string record_id;      ///< data[i].id
    std::string fleet_id;
    std::string fleet_ref;
    std::string connection_id;
    std::string invitation_id;
    std::string status;
    std::optional<timestamp> occurred_at;
    std::optional<timestamp> updated_at;
    std::optional<timestamp> created_at;
    std::uint32_t delivery_attempt = 1; ///< X-Delivery-Attempt of the kept attempt.
    std::uint64_t sequence = 0;         ///< Position of the delivery in the inbox.
    std::size_t record_index = 0;       ///< Position of the record in data[].
    bool late = false;                  ///< Arrived after newer events of its fleet were released.
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

/** An authentic delivery that could not be decoded, kept for inspection and replay. */
struct dead_letter
{
    std::uint64_t sequence = 0;
    error_code ec;
    std::string_view reason;
    std::string request_id;
    std::string webhook_id;
    std::string event_type;
    std::string body; ///< The decompressed body.
};

} // namespace catena::webhooks

#endif
