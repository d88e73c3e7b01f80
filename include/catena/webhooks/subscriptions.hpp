// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/subscriptions.hpp - the Notifications API's shapes (spec §6): subscriptions,
// pages, metrics, logs, schemas and errors, to and from JSON (api_error itself: api_error.hpp).
#ifndef CATENA_WEBHOOKS_SUBSCRIPTIONS_HPP
#define CATENA_WEBHOOKS_SUBSCRIPTIONS_HPP

#include <catena/webhooks/api_error.hpp>
#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks {

/** Which fleets a subscription is for (null lists: every fleet). */
struct webhook_filters
{
    std::optional<std::vector<std::string>> fleet_ids;
    std::optional<std::vector<std::string>> fleet_refs;
    friend bool operator==(webhook_filters const&, webhook_filters const&) = default;
};

/** A subscription as the API returns it (`Webhook` on create, `WebhookRead` elsewhere: there
    the secret reads `*****` and the URL is partly redacted). Unknown fields are ignored. */
struct webhook_subscription
{
    std::string id;         ///< X-Webhook-ID of its deliveries.
    std::string url;
    std::string event_name; ///< A concrete event: a wildcard is expanded into one per action.
    std::optional<webhook_filters> filters;
    std::string secret;     ///< In clear only in the create response.
    std::string status;     ///< active, paused, stale, deleted (an open set: kept as sent).
    std::string partner_id;
    std::string created_at, updated_at, deleted_at; ///< As sent (RFC 3339), empty when null.
};

/** POST /v2/notifications/webhooks. */
struct webhook_create
{
    std::string url;
    std::string event_name; ///< Concrete, or a `.*` wildcard.
    std::optional<webhook_filters> filters;
    std::string secret;     ///< At least 12 characters; empty lets Catena generate one.
};

/** PATCH /v2/notifications/webhooks/{id}: only the fields set are sent. */
struct webhook_update
{
    std::optional<std::string> url;
    std::optional<webhook_filters> filters;
    bool clear_filters = false; ///< Send "filters": null.
    std::optional<std::string> secret;
    std::optional<std::string> status;
};

/** GET /v2/notifications/webhooks query. */
struct webhook_query
{
    std::string event_name;
    std::string status;
    std::string cursor;
    unsigned size = 300; ///< 1 to 1000.
};

/** One page of a listing; next_page is the cursor of the next (empty on the last). */
template<class T>
struct api_page
{
    std::vector<T> items;
    std::string next_page;
};

/** Delivery counts over one window (6h, 24h, 7d, 14d). */
struct metrics_window
{
    std::uint64_t http_attempts = 0;
    std::uint64_t http_success_attempts = 0;
    std::uint64_t http_failure_attempts = 0;
    std::uint64_t message_count = 0;
    std::uint64_t message_success_count = 0;
    std::optional<double> success_rate;        ///< Percent; only from 200 messages on.
    std::optional<double> avg_response_time_ms;
};

/** GET …/{id}/metrics. */
struct webhook_metrics
{
    std::string webhook_id;
    std::map<std::string, metrics_window> windows; ///< "6h", "24h", "7d", "14d".
    std::optional<double> ewma_success_rate;       ///< Below 0.95 the subscription goes stale.
    std::uint64_t dlq_count = 0;                   ///< Events waiting in its dead-letter queue.
};

/** GET …/{id}/logs query (the last 14 days only). */
struct log_query
{
    std::string start_date, end_date; ///< RFC 3339, optional.
    std::string status;               ///< success or failed, optional.
    std::string cursor;
    unsigned size = 300;
};

/** One delivery attempt. */
struct webhook_log
{
    std::string created_at;
    std::string webhook_id;
    std::string message_id;
    std::string event_name;
    std::string status;
    std::optional<unsigned> status_code;
    std::string error_message;
    std::optional<double> response_time_ms;
};

/** GET /v2/notifications/schemas/{event_name}[/versions/{version}]. */
struct event_schema
{
    std::string event_name;
    std::string version;
    std::string created_at;
    std::string openapi_schema; ///< An OpenAPI 3.0 document, as a JSON string.
    std::string changelog;
};

/// The JSON body of a create or an update request.
CATENA_WEBHOOKS_DECL boost::json::value to_json(webhook_create const& c);
CATENA_WEBHOOKS_DECL boost::json::value to_json(webhook_update const& u);
CATENA_WEBHOOKS_DECL boost::json::value to_json(webhook_filters const& f);

/// Parsers of the API's answers; api_bad_response names what was missing.
CATENA_WEBHOOKS_DECL api_result<webhook_subscription> parse_subscription(boost::json::value const& v);
/// A create answer: one object, or an array for a wildcard.
CATENA_WEBHOOKS_DECL api_result<std::vector<webhook_subscription>> parse_created(boost::json::value const& v);
CATENA_WEBHOOKS_DECL api_result<api_page<webhook_subscription>> parse_subscription_page(boost::json::value const& v);
CATENA_WEBHOOKS_DECL api_result<webhook_metrics> parse_metrics(boost::json::value const& v);
CATENA_WEBHOOKS_DECL api_result<api_page<webhook_log>> parse_log_page(boost::json::value const& v);
CATENA_WEBHOOKS_DECL api_result<event_schema> parse_schema(boost::json::value const& v);
/// An error answer's body (any shape) with its status, as an api_error.
CATENA_WEBHOOKS_DECL api_error parse_api_error(unsigned status, std::string_view body,
                                               std::optional<std::chrono::seconds> retry_after_header = {});

} // namespace catena::webhooks

#endif
