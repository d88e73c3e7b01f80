// SPDX-License-Identifier: BSL-1.0
// test/support/fleet_model.hpp - a reference model of Catena's fleet rules, written from docs/processing.md alone.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_FLEET_MODEL_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_FLEET_MODEL_HPP

#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::test {

/** One record of one event, as the model sees it. */
struct model_fact
{
    std::string event_name;
    boost::json::object record;
    std::string envelope_id; ///< May be empty (Catena sends `"id": null`).
    /// When it was received: the time of a fact whose record carries no time and whose
    /// envelope id is not a UUID v7 (the table's last row). Ignored otherwise.
    timestamp received{};
};

/** Where one fleet stands once every fact is known. */
struct model_fleet
{
    /// The fleet_id when known, else the first of ref:<fleet_ref>, invitation:<id>, connection:<id>.
    std::string key;
    /// Every key that must find this fleet: its fleet_id, ref:<ref>, invitation:<id> and
    /// connection:<id> of every id any of its facts carried.
    std::set<std::string> lookups;
    catena::webhooks::stage stage = catena::webhooks::stage::none;
    catena::webhooks::health health = catena::webhooks::health::ok;
    std::map<std::string, catena::webhooks::invitation_state> invitations;
    std::map<std::string, bool> agreements;                      ///< id -> active
    std::map<std::string, catena::webhooks::health> connections; ///< id -> ok, degraded or stale
    std::map<std::string, bool> schedules;                       ///< schedule id -> halted

    bool operator==(model_fleet const&) const = default;
};

/** The time of a fact and the row of the table it came from. */
struct fact_time
{
    timestamp at{};
    /// The record's field ("occurred_at", "accepted_at", ...), "envelope id" or "received".
    std::string_view from;
};

/// The instant a UUID v7 encodes (its leading 48 bits, milliseconds since the epoch);
/// std::nullopt for anything else.
std::optional<timestamp> uuid_v7_time(std::string_view id);

/// The time of a fact, by the table "The time of a fact" of docs/processing.md.
fact_time time_of(model_fact const& f);

/// Whether an event belongs to a fleet at all (resource_operation.*, webhook.*, tsp.* do not).
bool belongs_to_a_fleet(std::string_view event_name);

/** Catena's fleet rules as a declarative function of a set of facts.

    Facts are collected in any order (the same fact twice counts once); fleets() computes
    every fleet from all of them at once: correlation by union-find over the ids each fact
    carries, then the parts, then the stage and health rows of docs/processing.md, first row
    that holds. Nothing depends on the order facts were added in.
*/
class fleet_model
{
public:
    void add(model_fact f);
    std::size_t size() const noexcept { return facts_.size(); }

    /// Every fleet, ordered by key.
    std::vector<model_fleet> fleets() const;

    /// The fleet found under `key` (any of its lookups), if there is one.
    std::optional<model_fleet> find(std::string const& key) const;

    /// Why the fleet found under `key` stands where it does: each stage row and whether it
    /// held, each connection's and schedule's latest alarm and latest evidence.
    std::string explain(std::string const& key) const;

private:
    /// Keyed by event, envelope id and record: a set of facts in a canonical order.
    std::map<std::string, model_fact> facts_;
};

} // namespace catena::webhooks::test

#endif
