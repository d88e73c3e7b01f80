// SPDX-License-Identifier: BSL-1.0
// lib/detail/inbox.hpp - kept deliveries awaiting processing (bounded, in memory).
#ifndef CATENA_WEBHOOKS_DETAIL_INBOX_HPP
#define CATENA_WEBHOOKS_DETAIL_INBOX_HPP

#include <catena/webhooks/timestamp.hpp>

#include "detail/deduper.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
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

/** The in-memory inbox: a bounded FIFO plus a memory of recent X-Request-IDs.

    Thread-safe. The durable store replaces it behind the same operations.
*/
class memory_inbox
{
public:
    enum class append_result
    {
        kept,      ///< Appended; the sequence number is set.
        duplicate, ///< A request with this X-Request-ID was kept recently: not kept again.
        full,      ///< Over the entry or byte bound: not kept.
    };

    memory_inbox(std::size_t max_entries, std::size_t max_bytes, std::chrono::seconds request_id_memory,
                 std::size_t max_request_ids)
        : max_entries_(max_entries), max_bytes_(max_bytes), request_ids_(request_id_memory, max_request_ids)
    {
    }

    append_result append(inbox_entry& e, timestamp now);

    /// Takes the oldest entry, if any.
    std::optional<inbox_entry> pop();

    std::size_t depth() const;
    std::size_t bytes() const;
    std::optional<timestamp> oldest_received() const;

private:
    mutable std::mutex mutex_;
    std::deque<inbox_entry> entries_;
    std::size_t bytes_ = 0;
    std::uint64_t next_sequence_ = 1;
    std::size_t const max_entries_;
    std::size_t const max_bytes_;
    // Digests of the X-Request-IDs of kept requests.
    deduper request_ids_;
};

} // namespace catena::webhooks::detail

#endif
