// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/envelope.hpp - the decompressed delivery body: envelope and typed record views.
#ifndef CATENA_WEBHOOKS_ENVELOPE_HPP
#define CATENA_WEBHOOKS_ENVELOPE_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace catena::webhooks {

/** Bounds on an envelope; bodies beyond them are refused before anything is built on them. */
struct envelope_limits
{
    /// Deepest nesting of arrays and objects. error::json_too_deep beyond it.
    std::size_t max_depth = 32;
    /// Most records in data[]. error::too_many_records beyond it. Not a bound on authentic
    /// deliveries in practice (their size is bounded by limits.inflate; a backfill may carry
    /// tens of thousands of records): it guards direct users of the parser.
    std::size_t max_records = 4'000'000;
    /// Longest string or key, in bytes. error::string_too_long beyond it.
    std::size_t max_string_bytes = 1u << 20;
};

/** Where an @ref envelope keeps the JSON it parses. */
enum class envelope_storage
{
    /// A block reused from body to body: typical deliveries parse without touching the heap.
    arena,
    /// The default memory resource: envelope::take_fields() moves a record out without copying.
    heap,
};

/** A typed view of one element of data[].

    String views are empty when the field is absent or null. The views and `fields` point
    into the owning @ref envelope and are valid until it is re-parsed or destroyed.
*/
struct record
{
    std::string_view id;             ///< Catena id of the record; always present.
    std::string_view fleet_id;       ///< Catena fleet; may be absent (e.g. an invitation before acceptance).
    std::string_view fleet_ref;      ///< The partner's own reference for the fleet.
    std::string_view connection_id;  ///< Fleet↔TSP connection (connection.* gives it as `id`; see envelope::resource).
    std::string_view invitation_id;  ///< The record id for invitation.*, else the `invitation_id` field.
    std::string_view status;         ///< The record's `status` field.
    std::optional<timestamp> occurred_at; ///< When it happened per the TSP: the ordering key (spec §5.4).
    std::optional<timestamp> updated_at;
    std::optional<timestamp> created_at;
    boost::json::object const* fields = nullptr; ///< The whole record, unknown fields included.
};

/** A parsed Catena envelope (spec §4.1).

    Parsing reuses internal buffers: keep one envelope per thread and call parse() for
    every body to avoid allocations on the hot path. Unknown fields and event names are
    accepted; required fields (`version`, `webhook_id`, `data`, each record's `id`) must be
    present with the right type, and typed optional fields, when present, must have theirs.

    @par Thread safety
    Distinct objects: safe. Shared objects: const member functions only.
*/
class CATENA_WEBHOOKS_DECL envelope
{
public:
    explicit envelope(envelope_storage where = envelope_storage::arena);
    ~envelope();
    envelope(envelope&&) noexcept;
    envelope& operator=(envelope&&) noexcept;
    envelope(envelope const&) = delete;
    envelope& operator=(envelope const&) = delete;

    /** Parses `body`, replacing the previous contents. On error the envelope is empty. */
    [[nodiscard]] error_code parse(std::string_view body, envelope_limits const& limits = {});

    /** Checks the body against the delivery headers (spec §3.2 step 8).

        @param event_type X-Event-Type, or empty when the header was absent.
        @param webhook_id X-Webhook-ID.
        @return error::event_name_mismatch or error::webhook_id_mismatch on disagreement.
        An envelope without `event_name` takes X-Event-Type's value.
    */
    [[nodiscard]] error_code check_headers(std::string_view event_type, std::string_view webhook_id);

    std::string_view version() const noexcept;
    /// The concrete event name, e.g. "invitation.accepted"; may be empty before check_headers().
    std::string_view event_name() const noexcept;
    /// The resource part of the event name: "invitation" for "invitation.accepted".
    std::string_view resource() const noexcept;
    /// The action part of the event name: "accepted" for "invitation.accepted".
    std::string_view action() const noexcept;
    std::string_view webhook_id() const noexcept;
    /// The event instance id (UUID v7), empty when absent or null (spec C5).
    std::string_view id() const noexcept;
    /// The envelope `timestamp` (dispatch or event time, spec C4): never an ordering key.
    std::optional<timestamp> sent_at() const noexcept;
    /// The body's delivery_attempt, 0 when absent. The header is authoritative (spec C3).
    std::int64_t delivery_attempt() const noexcept;
    std::span<record const> records() const noexcept;
    /** Moves the fields of record `i` out, into an object with the default storage.

        Record `i`'s `fields` is left empty; its string views stay valid as long as the
        returned object lives unmodified. With envelope_storage::heap this moves a pointer;
        with envelope_storage::arena it copies.
    */
    boost::json::object take_fields(std::size_t i);
    /// The whole body as JSON (null before a successful parse).
    boost::json::value const& json() const noexcept;

private:
    // Everything parsed lives in one heap block with the memory it was parsed into, so a
    // move is a pointer move and views stay valid. A moved-from envelope may be destroyed,
    // assigned to or parsed into.
    struct state;
    std::unique_ptr<state> st_;
};

} // namespace catena::webhooks

#endif
