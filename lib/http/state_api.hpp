// SPDX-License-Identifier: BSL-1.0
// lib/http/state_api.hpp - the admin listener's routes: state API (/v1/...), status page, metrics.
#ifndef CATENA_WEBHOOKS_HTTP_STATE_API_HPP
#define CATENA_WEBHOOKS_HTTP_STATE_API_HPP

#include <catena/webhooks/receiver.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/** What the state API reads: the receiver's queries (implemented by the receiver). */
class state_source
{
public:
    virtual ~state_source() = default;
    virtual fleet_page fleet_page_of(fleet_query const& q) const = 0;
    virtual std::optional<fleet_state> fleet_of(std::string_view key) const = 0;
    virtual std::vector<transition> history_of(std::string_view key) const = 0;
    /// The newest `max` dead letters, oldest first, without bodies (stored_dead_letter::body_bytes).
    virtual std::vector<stored_dead_letter> recent_dead_letters(std::size_t max) const = 0;
    /// One dead letter with its body.
    virtual std::optional<stored_dead_letter> dead_letter_of(std::int64_t id) const = 0;
    virtual std::vector<subscription_seen> seen_subscriptions() const = 0;
    /// What the program's sinks report (receiver::report_sinks); empty without sinks.
    virtual std::vector<sink_status> sinks_now() const { return {}; }
    virtual fleet_tally fleet_counts() const = 0;
    virtual receiver_stats current_stats() const = 0;
    /// The operations tracked and not decided (receiver::pending_operations).
    virtual std::vector<pending_operation> pending_operations() const { return {}; }
    virtual std::string metrics() const = 0;
};

/** An answer of the admin listener. */
struct admin_reply
{
    admin_reply() = default;
    admin_reply(unsigned s, std::string b) : status(s), body(std::move(b)) {}

    unsigned status = 200;
    std::string body;
    std::string_view content_type = "application/json";
    error_code ec;          ///< Why, when status is not 200 (counted and reported).
    bool challenge = false; ///< Add WWW-Authenticate: Bearer.
    bool page = false;      ///< The status page: add its Content-Security-Policy.
};

/** Answers a GET on the admin listener (not the health route, which the session answers):
    the status page at `/`, the metrics route, and the state API under `/v1/`:

    - `/v1/summary`: fleet counts by stage and health, intake counters;
    - `/v1/fleets?stage=&health=&cursor=&limit=`: a page of fleets by key;
    - `/v1/fleets/{key}`, `/v1/fleets/{key}/history`;
    - `/v1/dead-letters?limit=`, `/v1/subscriptions`, `/v1/sinks`;
    - `/v1/operations`: the resource operations tracked and not decided yet.

    With options.admin_token set, every route but `/` needs `Authorization: Bearer <token>`
    (compared in constant time). Errors are JSON: {"error": reason, "message": text}.

    @par Thread safety
    Pure but for the reads of `src`.
*/
admin_reply answer_admin(state_source const& src, receiver_options const& opts, std::string_view target,
                         std::string_view authorization);

} // namespace catena::webhooks::detail

#endif
