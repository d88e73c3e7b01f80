// SPDX-License-Identifier: BSL-1.0
// lib/store/inbox_entry.hpp - a verified delivery as the inbox keeps it.
#ifndef CATENA_WEBHOOKS_STORE_INBOX_ENTRY_HPP
#define CATENA_WEBHOOKS_STORE_INBOX_ENTRY_HPP

#include <catena/webhooks/timestamp.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace catena::webhooks::detail {

/** A verified delivery as kept: the decompressed body and the headers that matter. */
struct inbox_entry
{
    std::uint64_t sequence = 0;
    std::string body;
    std::string webhook_id;
    std::string request_id;
    std::string event_type;
    std::uint32_t delivery_attempt = 1;
    timestamp sent_at{};
    timestamp received_at{};
    /// Put back from the dead letters: processed even if its identity was seen before.
    bool replay = false;
    /// The body as it arrived, when it arrived gzip-compressed and the store keeps bodies on
    /// disk: written instead of `body` (fewer bytes to write), dropped once written.
    std::string gzip_body;

    /// What the entry holds in memory while it waits for processing (gzip_body excluded).
    std::size_t bytes() const noexcept
    {
        return body.size() + webhook_id.size() + request_id.size() + event_type.size() + sizeof(inbox_entry);
    }
};

} // namespace catena::webhooks::detail

#endif
