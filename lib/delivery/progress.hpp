// SPDX-License-Identifier: BSL-1.0
// lib/delivery/progress.hpp - which kept deliveries are finished, and what to commit for them (sans-I/O).
#ifndef CATENA_WEBHOOKS_DELIVERY_PROGRESS_HPP
#define CATENA_WEBHOOKS_DELIVERY_PROGRESS_HPP

#include <catena/webhooks/event.hpp>
#include <catena/webhooks/lifecycle.hpp>

#include "detail/deduper.hpp"
#include "state/codec.hpp"
#include "store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** Tracks processing progress and gathers what the store must commit for it.

    A delivery is finished once every event it held has settled, that is, once the marker
    that follows the event's callbacks in its fleet's queue has run. Then its processed mark,
    its identities, the fleet snapshots its events left and their transitions go into the
    next commit together, so that a restart neither skips nor repeats a delivery.

    The order of calls for one delivery: started(), pushed() once the pipeline took it,
    and for each of its events settle_point() when the pipeline released it, then settled()
    when its marker ran. Merges and transitions produced in between are noted with merged()
    and transitioned(), and travel with the next settle_point().

    @par Thread safety
    One thread (the processing strand).
*/
class progress_tracker
{
public:
    /** What one settled event adds to the next commit; made when the event is released
        (the state as it was then), applied when its callbacks are done. */
    struct settlement
    {
        std::uint64_t sequence = 0;
        std::string fleet_key;
        std::optional<fleet_capture> snapshot;
        std::vector<std::string> removed;
        std::vector<transition> transitions;
    };

    /// A delivery is about to be pushed.
    void started(std::uint64_t sequence, std::size_t bytes, timestamp seen);
    /// The pipeline took it: it holds `events` events and added `identities`. Returns true
    /// when that finished it (no events).
    bool pushed(std::uint64_t sequence, std::size_t events, std::vector<identity_key> identities);

    void merged(std::string from) { removed_.push_back(std::move(from)); }
    void transitioned(transition const& t) { transitions_.push_back(t); }
    /// An event of `sequence` was released; `snapshot` is its fleet as it is now (if the
    /// store keeps state). Takes the merges and transitions noted since the last one.
    settlement settle_point(std::uint64_t sequence, std::string fleet_key, std::optional<fleet_capture> snapshot);
    /// The event's callbacks are done. Returns true when that finished its delivery.
    bool settled(settlement s);

    void dead_letter(dead_letter d) { pending_.dead_letters.push_back(std::move(d)); }
    void operation(stored_operation op) { pending_.operations.push_back(std::move(op)); }

    /// Deliveries finished and not yet taken.
    std::size_t finished() const noexcept { return pending_.processed.size(); }
    bool empty() const noexcept { return pending_.empty() && snapshots_.empty(); }
    /// Deliveries pushed and not finished.
    std::size_t in_flight() const noexcept { return entries_.size(); }

    /// Everything gathered since the last take(), for one commit.
    progress take();

private:
    struct entry
    {
        std::int64_t outstanding = 0; // events not settled yet
        bool pushing = true;
        std::size_t bytes = 0;
        std::vector<identity_key> identities;
        timestamp seen{};
    };
    void finish(std::unordered_map<std::uint64_t, entry>::iterator it);

    std::unordered_map<std::uint64_t, entry> entries_;
    progress pending_;
    std::unordered_map<std::string, fleet_capture> snapshots_; // the latest of each fleet
    std::vector<std::string> removed_;                         // merges since the last settle point
    std::vector<transition> transitions_;                      // transitions since the last settle point
};

} // namespace catena::webhooks::detail

#endif
