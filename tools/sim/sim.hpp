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

/** `r` with `body` instead of its own, signed again with X-Catena-Timestamp `now` (a request
    that is authentic but carries whatever body a test needs). */
void replace_body(wire_request& r, std::string_view secret, std::string body, timestamp now);

/** Serialises the envelope for attempt `attempt` (what is signed). */
std::string render_body(message const& m, std::uint32_t attempt, timestamp now);

/** Delivery number `n` of the load mix: 100 fleets (n % 100); 80 % `vehicle_location.added`
    with two records, 10 % `execution.failed`, 10 % lifecycle (`fleet_connection.created` for
    n < 1000, `connection.created` re-authentications after); unique ids, timestamped now. */
message load_message(std::mt19937_64& rng, std::string const& webhook_id, std::size_t n);

/** A Foxtrot delivery, as this simulator guesses it: Foxtrot documents its management API
    but no delivery format, header or signature (spec/foxtrot-webhooks.md). The guess: a JSON
    object {"id", "event", "created_at", "dc_id", "data"} posted unsigned, the shared token
    in a header or in the URL's path (whichever the receiver's route is configured for). */
struct foxtrot_message
{
    std::string id;    ///< The event id (the same on every resend).
    std::string event; ///< ROUTE_CREATED, ROUTE_STARTED, ROUTE_ETAS_CHANGED, WAYPOINT_STATUS_CHANGED...
    std::string dc_id; ///< The distribution centre.
    boost::json::object data;
};

/** Builds a Foxtrot-shaped request (see foxtrot_message); with `token_header` set, the token
    goes in that header (as "Bearer TOKEN" when it is Authorization). An empty `event` leaves
    the field out (a body the receiver must dead-letter). */
wire_request build_foxtrot_request(foxtrot_message const& m, std::string_view token_header, std::string_view token,
                                   timestamp now, bool gzip);

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

} // namespace catena::webhooks::sim

#endif
