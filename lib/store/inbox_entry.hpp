// SPDX-License-Identifier: BSL-1.0
// lib/store/inbox_entry.hpp - a verified delivery as the inbox keeps it.
#ifndef CATENA_WEBHOOKS_STORE_INBOX_ENTRY_HPP
#define CATENA_WEBHOOKS_STORE_INBOX_ENTRY_HPP

#include <catena/webhooks/timestamp.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace catena::webhooks::detail {

/** A verified delivery as kept: the body as it arrived and the headers that matter. */
struct inbox_entry
{
    std::uint64_t sequence = 0;
    /// The request body as it arrived: gzip-compressed when `compressed` (processing
    /// inflates it), else the JSON itself. Kept compressed, memory and disk hold about a
    /// tenth of the JSON's bytes.
    std::string body;
    bool compressed = false;
    /// The JSON of a small compressed body, when intake kept it as it streamed by: processing
    /// uses it instead of inflating `body` again. Never written to disk.
    std::string json;
    std::string webhook_id;
    std::string request_id;
    std::string event_type;
    std::uint32_t delivery_attempt = 1;
    timestamp sent_at{};
    timestamp received_at{};
    /// Put back from the dead letters: processed even if its identity was seen before.
    bool replay = false;
    /// The envelope's id scoped by subscription ("webhook_id/id") when intake read one: a
    /// copy of an envelope kept within the request-id memory is not kept again.
    std::string envelope_key;
    /// The route it came by (receiver_options::routes), empty for Catena's path: processing
    /// decodes it as that route's provider does.
    std::string route;

    /// What the entry holds in memory while it waits for processing.
    std::size_t bytes() const noexcept
    {
        return body.size() + json.size() + webhook_id.size() + request_id.size() + event_type.size() + envelope_key.size() + route.size() +
               sizeof(inbox_entry);
    }
};

} // namespace catena::webhooks::detail

#endif
