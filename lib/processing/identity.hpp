// SPDX-License-Identifier: BSL-1.0
// lib/processing/identity.hpp - what makes two deliveries the same event: content digests and what is known of each record.
#ifndef CATENA_WEBHOOKS_PROCESSING_IDENTITY_HPP
#define CATENA_WEBHOOKS_PROCESSING_IDENTITY_HPP

#include <catena/webhooks/event.hpp>

#include "detail/deduper.hpp"
#include "state/release_order.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/** A 128-bit digest of what an event says: its name and its record's fields (names and
    values, in order), without anything of the delivery (attempt, envelope id, timestamp).
    Not a cryptographic hash: every input is authenticated before it gets here. */
identity_digest content_digest(event const& ev) noexcept;

/// The digest under which a record (resource + record id) is known.
identity_digest record_digest(std::string_view resource, std::string_view record_id) noexcept;

/** What is known of recent records, in bounded memory (the oldest forgotten first): the
    content each record was last seen with, and the newest version of it that was applied.

    Without an envelope id, a delivery is judged against its record's last content (equal: a
    duplicate; an older content: a new fact on a first attempt, a retry otherwise). Data
    records are late when older than the newest version applied (last-writer-wins per
    record, spec §5.4). Lifecycle records keep their versions in their fleet instead.
*/
class record_memory
{
public:
    /// Its table is made for the bound at once (as zeroed pages, resident as they fill): a
    /// table that rehashed as it filled held the processing thread for milliseconds each time.
    explicit record_memory(std::size_t max_records)
        : max_(max_records == 0 ? 1 : max_records), entries_(std::bit_ceil(std::min(max_, std::size_t{1} << 22)))
    {
    }

    /// The content `record` was last seen with, if it is remembered.
    std::optional<identity_digest> last_content(identity_digest record) const;
    void set_content(identity_digest record, identity_digest content);

    /** Whether `key` is older than the newest version applied to `record`; if not, and
        `remember`, it becomes the newest (the pipeline remembers every version but the
        `*.added` of resources never modified, which would crowd out those that are). */
    bool late(identity_digest record, order_key const& key, bool remember = true);

    std::size_t size() const noexcept { return entries_.size(); }
    std::uint64_t forgotten() const noexcept { return forgotten_; }

private:
    struct entry
    {
        identity_digest content{};
        timestamp time{};
        timestamp updated{};
        std::uint8_t rank = 0;
        bool has_content = false;
        bool applied = false;

        /// Whether `key` is an older version than the newest applied (none applied: no).
        bool older(order_key const& key) const noexcept
        {
            order_key newest;
            newest.time = time;
            newest.rank = rank;
            newest.updated = updated;
            return applied && version_less(key, newest);
        }
    };
    entry& touch(identity_digest record);

    std::size_t max_;
    digest_ring<entry> entries_; // oldest first: 56 bytes a record and the index, no node each
    std::uint64_t forgotten_ = 0;
};

/** Which subscription first delivered each (event, record, content), for a bounded time:
    the same event reaching the receiver through a second subscription (an invitation's
    callback_url beside an org-wide subscription) is a duplicate, though its envelope id and
    X-Webhook-ID differ. */
class subscription_memory
{
public:
    /// At most `max_entries` digests: as many events first delivered through the first
    /// subscription it hears of, a third as many through any other.
    subscription_memory(std::chrono::seconds retention, std::size_t max_entries)
        : seen_(retention, max_entries == 0 ? 3 : max_entries)
    {
    }

    /// True when `what` was first delivered through another subscription than `webhook_id`
    /// (remembered from now on otherwise).
    bool from_another(identity_digest what, std::string_view webhook_id, timestamp now);

    std::size_t digests() const noexcept { return seen_.size(); }

private:
    // In one allocation-free table: each event's digest; for an event first delivered through
    // another subscription than the primary (the first one heard of; most receivers have no
    // other), also its digest under that subscription and under `other`. An event known
    // without either was first delivered through the primary.
    static constexpr identity_digest other{0x6f74686572207375ull, 0x62736372697074ull};
    deduper seen_;
    std::optional<std::string> primary_; // set by the first call, whatever its id
};

} // namespace catena::webhooks::detail

#endif
