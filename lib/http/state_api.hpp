// SPDX-License-Identifier: BSL-1.0
// lib/http/state_api.hpp - the admin listener's routes: state API (/v1/...), status page, metrics.
#ifndef CATENA_WEBHOOKS_HTTP_STATE_API_HPP
#define CATENA_WEBHOOKS_HTTP_STATE_API_HPP

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/error.hpp>
#include <catena/webhooks/handoff.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/operation.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/** One number of /v1/summary: `name` is its metric's name without the `catena_webhooks_`
    prefix and the `_total` suffix; a labelled family (fleets_by_stage) gives one number per
    `label` value, shown as an object; a family summed over its labels (rejections) has none. */
struct summary_number
{
    std::string_view name;
    std::string label;
    std::uint64_t value = 0;
};

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
    /// The numbers of /v1/summary, read from the same snapshot as a rendering of metrics() would be.
    virtual std::vector<summary_number> summary() const = 0;
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

    - `/v1/openapi.json`: the OpenAPI 3.1 document of these routes (docs/openapi.json).

    With options.admin_token set, every route but `/` needs `Authorization: Bearer <token>`
    (compared in constant time). Every error is an admin_problem().

    @par Thread safety
    Pure but for the reads of `src`.
*/
admin_reply answer_admin(state_source const& src, receiver_options const& opts, std::string_view target,
                         std::string_view authorization);

/** The one shape of every error of the admin listener: `{"status": status, "reason": the reason
    code of e, "detail": detail}` (docs/openapi.json, components.schemas.problem). */
admin_reply admin_problem(unsigned status, error e, std::string detail);

/** The body of admin_problem() for an error decided before routing (a method, a Host, the
    framing): its detail is the error's message. */
std::string admin_problem_body(unsigned status, error_code const& ec, std::string_view detail);

} // namespace catena::webhooks::detail

#endif
