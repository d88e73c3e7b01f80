// SPDX-License-Identifier: BSL-1.0
// lib/detail/lifecycle.hpp - correlation of events to fleets and the per-fleet state machine.
#ifndef CATENA_WEBHOOKS_DETAIL_LIFECYCLE_HPP
#define CATENA_WEBHOOKS_DETAIL_LIFECYCLE_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/lifecycle.hpp>

#include "detail/reorderer.hpp"

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

/** A fleet's state as of one moment, copied cheaply; lifecycle::serialize makes the
    store's JSON document of it later (only the last of several captures needs it). */
struct fleet_capture
{
    fleet_state state;
    std::vector<std::pair<std::string, order_key>> streams; ///< Last released key per stream.
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
class CATENA_WEBHOOKS_DECL lifecycle
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

    /// The fleet under `key` as it is now, to be serialized later.
    std::optional<fleet_capture> capture(std::string const& key) const;
    /// The capture as a JSON document for the store.
    static std::string serialize(fleet_capture const& c);
    /// Adds a fleet from a serialize() document and links its ids; false if it is not one.
    bool restore(std::string_view snapshot);
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

/// A transition as a JSON document, and back (state names re-pointed to static storage).
CATENA_WEBHOOKS_DECL std::string transition_to_json(transition const& t);
CATENA_WEBHOOKS_DECL std::optional<transition> transition_from_json(std::string_view doc);

} // namespace catena::webhooks::detail

#endif
