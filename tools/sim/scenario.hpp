// SPDX-License-Identifier: BSL-1.0
// tools/sim/scenario.hpp - onboarding journeys as Catena would deliver them, and what each fleet should end as.
#ifndef CATENA_WEBHOOKS_SIM_SCENARIO_HPP
#define CATENA_WEBHOOKS_SIM_SCENARIO_HPP

#include "sim.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <vector>

namespace catena::webhooks::sim {


/** Knobs of a generated onboarding scenario. */
struct scenario_options
{
    std::size_t fleets = 10;
    std::uint64_t seed = 1;
    /// Chance that a message is sent twice (a second copy later, as Catena's retries do).
    double duplicate_rate = 0.0;
    /// Each message is sent up to this much later than its event time: reordering.
    std::chrono::milliseconds jitter{0};
    double decline_rate = 0.1;
    double expire_rate = 0.05;
    double delete_rate = 0.05;
    double skip_connection_rate = 0.2;
    double execution_failed_rate = 0.2;
    double stale_rate = 0.1;
    double halt_rate = 0.1;
    double resource_operation_rate = 0.2;
    /// Chance that an operation's result webhook (resource_operation.succeeded or .failed) is
    /// never sent, as when it fell into a delivery gap: its final record goes to
    /// scenario::dropped_operations, what Catena's Integrations API answers for it (spec §6.x).
    double drop_operation_result_rate = 0.0;
    /// Telematics records (vehicle_location.added) per connected fleet.
    std::size_t telematics_per_fleet = 2;
    /// Telematics occurred up to this long before they are sent (Catena polls each TSP on a
    /// schedule, so records arrive seconds to minutes after their occurred_at).
    std::chrono::milliseconds telematics_lag{0};
    /// TSP connections per connected fleet: 1 to this many (each its own connection).
    std::size_t max_tsps = 1;
    /// Chance that a connected fleet is invited again (to add a TSP or scopes): a second
    /// invitation created, viewed and accepted.
    double reinvite_rate = 0.0;
    /// Chance that an invitation's invitation.sent is delivered only after the invitation
    /// ended (late: it must change nothing).
    double late_invitation_rate = 0.0;
    /// Chance that an envelope has no id (`"id": null`).
    double null_id_rate = 0.0;
    /// Chance that a lifecycle event is also delivered through a second subscription (an
    /// invitation's callback_url): another X-Webhook-ID and envelope id, the same record.
    double second_subscription_rate = 0.0;
    std::string second_webhook_id = "5f0c1e2a-0000-4000-8000-00000000b002";
    /// The instant of the first event.
    timestamp start = timestamp{std::chrono::seconds(1'764'000'000)};
};

/** One message of a scenario and when to send it relative to the scenario start. */
struct scheduled_message
{
    message msg;
    std::chrono::milliseconds send_at{0};
    timestamp occurred{};
    /// A copy of a message already in the scenario: a Catena retry (sent with attempt 2), or
    /// the same event through a second subscription (sent with attempt 1).
    bool duplicate = false;
    std::uint32_t attempt = 1;
};

/** What a fleet's state should be once every message of the scenario is processed. */
struct fleet_expectation
{
    std::string fleet_ref;
    std::string fleet_id;     ///< Empty when the fleet never got one (declined, expired...).
    std::string invitation_id;
    std::string connection_id;
    std::string stage;        ///< invited, viewed, accepted, agreement, connection, connected, declined, expired, deleted, revoked
    std::string health;       ///< ok, degraded, stale, halted: the worst of its connections
    std::vector<std::string> events; ///< Event names in occurrence order, duplicates excluded.
    std::map<std::string, std::string> invitations;       ///< Invitation id -> its final state.
    std::map<std::string, std::string> connection_health; ///< Connection id -> ok, degraded or stale.
};

struct scenario
{
    std::vector<scheduled_message> messages; ///< In send order.
    std::vector<fleet_expectation> fleets;
    std::size_t unique_events = 0;           ///< Messages without duplicates.
    std::size_t unique_records = 0;
    /// The final records of the operations whose result webhook was dropped.
    std::vector<boost::json::object> dropped_operations;
};

/** The subscription (X-Webhook-ID) each event name is delivered through. */
using subscription_map = std::map<std::string, std::string, std::less<>>;

/** Generates onboarding journeys (spec §5.8) for `o.fleets` fleets.

    Every webhook id is `webhook_id_for(event_name)` from `subs`, or `default_webhook_id`
    when the name is not in the map.
*/
scenario make_scenario(scenario_options const& o, subscription_map const& subs = {},
                       std::string_view default_webhook_id = "5f0c1e2a-0000-4000-8000-00000000a001");

/** The expectations as JSON Lines (one object per fleet). */
std::string expectations_jsonl(scenario const& s);

} // namespace catena::webhooks::sim

#endif
