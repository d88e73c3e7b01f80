// SPDX-License-Identifier: BSL-1.0
// lib/processing/fleet_directory.hpp - which fleet every event belongs to: correlation, merges, and the fleets.
#ifndef CATENA_WEBHOOKS_PROCESSING_FLEET_DIRECTORY_HPP
#define CATENA_WEBHOOKS_PROCESSING_FLEET_DIRECTORY_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/lifecycle.hpp>

#include "detail/string_map.hpp"
#include "processing/fleet.hpp"
#include "state/codec.hpp"

#include <cstddef>
#include <deque>
#include <array>
#include <mutex>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** Links every event to its fleet and keeps the fleets (see fleet_record for their parts).

    Events must be applied in release order (see reorderer). Correlation: invitation ids,
    fleet_refs, connection ids and fleet_ids seen together are linked, and a journey known
    under a weaker key (ref:, invitation:, connection:) is merged into the fleet once its
    fleet_id appears; the merge reports the stage and health changes it causes. Events of
    resource operations, subscriptions and TSPs belong to no fleet and touch none.

    @par Thread safety
    apply() from one thread at a time; queries from any thread.
*/
class fleet_directory
{
public:
    explicit fleet_directory(std::size_t max_history_per_fleet = 256) : max_history_(max_history_per_fleet) {}

    /** Sets ev.fleet_key and ev.late, applies the event, and appends what changed to `out`.
        `late_record`: the caller found the (data) record late already; it changes nothing. */
    void apply(event& ev, order_key const& key, lifecycle_output& out, bool late_record = false);

    /// The fleet known under `key`, or under any id it is linked to (fleet_id, "ref:…", ...).
    std::optional<fleet_state> fleet(std::string_view key) const;
    /// The key of that fleet (empty when none), without copying it.
    std::string key_of(std::string_view key) const;
    std::vector<fleet_state> fleets_in(stage s) const;
    std::vector<fleet_state> fleets_in(health h) const;
    std::vector<fleet_state> fleets() const;
    /// A page of fleets by key (copies only the page's states).
    fleet_page page(fleet_query const& q) const;
    /// Counts by stage and health (copies nothing).
    fleet_tally tally() const;
    /// The fleet's transitions, oldest first (the last max_history_per_fleet of them).
    std::vector<transition> history(std::string_view key) const;
    std::size_t fleet_count() const;

    /// The fleet under `key` as it is now (the store encodes it when it writes).
    std::optional<fleet_capture> capture(std::string const& key) const;
    /// Adds a fleet a store kept and links its ids.
    void restore(fleet_capture c);
    /// Appends stored transitions to their fleets' histories.
    void restore_history(std::vector<transition> const& ts);

private:
    std::string resolve(event const& ev, lifecycle_output& out);
    void merge(std::string const& from, std::string const& into, event const& ev, lifecycle_output& out);
    void record(fleet_record& f, transition t);
    std::string const* find_key(std::string_view alias) const;
    /// The fleet under `key` or under an id linked to it; under mutex_.
    fleet_record const* find_fleet(std::string_view key) const;

    /// Counts `s` (+1) or stops counting it (-1) in counts_; under mutex_.
    void count(fleet_state const& s, int delta) noexcept;

    std::size_t max_history_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, fleet_record> fleets_;
    // The keys in order (pages are walked from a cursor a slice at a time, never the whole
    // table under the lock), and how many fleets stand in each (stage, health): tallies and
    // a page's `matched` without a scan.
    std::set<std::string, std::less<>> keys_;
    std::array<std::array<std::uint64_t, 4>, 11> counts_{};
    string_map<std::string> aliases_; // "fleet:", "ref:", "invitation:", "connection:" → key
    // resolve()'s working strings, kept for their capacity: one event allocates nothing for them.
    std::string alias_buf_[4];
    std::vector<std::string> existing_;
};

} // namespace catena::webhooks::detail

#endif
