// SPDX-License-Identifier: BSL-1.0
// lib/processing/lifecycle.hpp - correlation of events to fleets and the per-fleet state machine.
#ifndef CATENA_WEBHOOKS_PROCESSING_LIFECYCLE_HPP
#define CATENA_WEBHOOKS_PROCESSING_LIFECYCLE_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/lifecycle.hpp>

#include "state/codec.hpp"

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** What applying one event produced. */
struct lifecycle_output
{
    std::vector<fleet_merge> merges;
    std::vector<transition> transitions;
    /// Set when the event asked for a move the state machine does not allow (not applied).
    std::string impossible;
};

/** Links every event to its fleet and keeps each fleet's stage and health.

    Events must be applied in release order (see reorderer). Correlation: invitation ids,
    fleet_refs, connection ids and fleet_ids seen together are linked, and a journey known
    under a weaker key (ref:, invitation:, connection:) is merged into the fleet once its
    fleet_id appears. The stage machine is the table in lifecycle.cpp; it only moves
    forward, and an event older than what its fleet's stream has already released is marked
    late and changes nothing.

    @par Thread safety
    apply() from one thread at a time; queries from any thread.
*/
class lifecycle
{
public:
    explicit lifecycle(std::size_t max_history_per_fleet = 256) : max_history_(max_history_per_fleet) {}

    /// Sets ev.fleet_key and ev.late, applies the event, and appends what changed to `out`.
    void apply(event& ev, order_key const& key, lifecycle_output& out);

    /// The fleet known under `key`, or under any id it is linked to (fleet_id, "ref:…", ...).
    std::optional<fleet_state> fleet(std::string_view key) const;
    std::vector<fleet_state> fleets_in(stage s) const;
    std::vector<fleet_state> fleets_in(health h) const;
    std::vector<fleet_state> fleets() const;
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
    struct fleet_record
    {
        fleet_state state;
        std::unordered_map<std::string, order_key> last_released; // per stream
        std::deque<transition> history;
    };

    std::string resolve(event const& ev, lifecycle_output& out);
    void merge(std::string const& from, std::string const& into, event const& ev, lifecycle_output& out);
    void record(fleet_record& f, transition t);
    std::string const* find_key(std::string_view alias) const;

    std::size_t max_history_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, fleet_record> fleets_;
    std::unordered_map<std::string, std::string> aliases_; // "fleet:", "ref:", "invitation:", "connection:" → key
};

} // namespace catena::webhooks::detail

#endif
