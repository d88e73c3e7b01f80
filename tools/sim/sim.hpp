// SPDX-License-Identifier: BSL-1.0
// tools/sim/sim.hpp - a sender that behaves like Catena: signs, gzips, retries, duplicates, reorders.
#ifndef CATENA_WEBHOOKS_SIM_HPP
#define CATENA_WEBHOOKS_SIM_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::sim {

/** Where deliveries go. */
struct endpoint
{
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string path = "/webhooks/catena";
    bool tls = false;
    /// With tls: a PEM file of trusted certificates; empty skips verification (test setups).
    std::string ca_file;
};

/** One event as Catena would send it; the per-attempt parts are added at send time. */
struct message
{
    std::string webhook_id;
    std::string event_name;
    std::string event_id; ///< The envelope id; the same for every attempt and duplicate.
    std::string version = "1.0";
    boost::json::array data;
};

/** How the client sends. */
struct send_options
{
    bool gzip = true;
    /// Retries after the first attempt on 5xx, timeout or connection failure (Catena: up to 3).
    int max_retries = 3;
    /// Pause before retry n (the last value repeats): Catena retries "within about 5 seconds".
    std::vector<std::chrono::milliseconds> backoff{std::chrono::milliseconds(250), std::chrono::milliseconds(1000),
                                                   std::chrono::milliseconds(3000)};
    /// Catena gives the receiver 3 s to answer.
    std::chrono::milliseconds timeout{3000};
    clock_function clock = system_now;
};

/** The outcome of one HTTP attempt. status 0 means no answer (ec says why). */
struct attempt_result
{
    unsigned status = 0;
    error_code ec;
    std::chrono::nanoseconds latency{0};
    std::string request_id;
    std::string body;
};

/** The outcome of a delivery with Catena's retries. */
struct delivery_result
{
    std::vector<attempt_result> attempts;
    unsigned status() const noexcept { return attempts.empty() ? 0 : attempts.back().status; }
    /// Catena counts any non-5xx answer as delivered (spec §5.2).
    bool delivered() const noexcept { return status() != 0 && status() < 500; }
};

/** The exact request a delivery attempt consists of. */
struct wire_request
{
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

/** Builds one attempt: body with `delivery_attempt`, X-Catena-Timestamp `now`, signature, gzip. */
wire_request build_request(message const& m, std::string_view secret, std::uint32_t attempt, timestamp now, bool gzip,
                           std::string_view request_id);

/** Serialises the envelope for attempt `attempt` (what is signed). */
std::string render_body(message const& m, std::uint32_t attempt, timestamp now);

/** Delivery number `n` of the load mix: 100 fleets (n % 100); 80 % `vehicle_location.added`
    with two records, 10 % `execution.failed`, 10 % lifecycle (`fleet_connection.created` for
    n < 1000, `connection.created` re-authentications after); unique ids, timestamped now. */
message load_message(std::mt19937_64& rng, std::string const& webhook_id, std::size_t n);

/** A random UUID v4 string. */
std::string random_uuid(std::mt19937_64& rng);
/** A UUID v7 string for instant `t` (time-ordered, like Catena's envelope ids). */
std::string uuid_v7(timestamp t, std::mt19937_64& rng);

/** One keep-alive connection to a receiver, used synchronously. Reconnects as needed.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe.
*/
class client
{
public:
    explicit client(endpoint ep, send_options opts = {});
    ~client();
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;

    /// One attempt, no retry.
    attempt_result send(message const& m, std::string_view secret, std::uint32_t attempt = 1);

    /// Like Catena: on 5xx, timeout or connection failure, retry with a new X-Request-ID,
    /// timestamp and signature, X-Delivery-Attempt and body delivery_attempt incremented.
    delivery_result deliver(message const& m, std::string_view secret);

    /// Sends a prepared request (tests tamper with it first).
    attempt_result send_raw(std::string_view method, std::string_view target, wire_request const& req);

    /// Closes the connection (the next send reconnects).
    void close();

    send_options const& options() const noexcept { return opts_; }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    send_options opts_;
};

//------------------------------------------------------------------------------
// Scenarios

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
