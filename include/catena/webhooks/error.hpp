// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/error.hpp - the library's error codes, their conditions and the HTTP status of each.
#ifndef CATENA_WEBHOOKS_ERROR_HPP
#define CATENA_WEBHOOKS_ERROR_HPP

#include <catena/webhooks/export.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string_view>
#include <type_traits>

namespace catena::webhooks {

using boost::system::error_code;
using boost::system::result;

/** Every failure the library reports.

    Users should test against a @ref condition rather than a single error: new errors may be
    added in any release, conditions are stable. @ref reason returns the stable snake_case
    reason code used in metrics and reports, @ref http_status the answer the listener gives.
*/
enum class error
{
    // --- unauthenticated (401) -----------------------------------------------------------
    missing_signature = 1,  ///< No X-Catena-Signature header.
    missing_timestamp,      ///< No X-Catena-Timestamp header.
    missing_webhook_id,     ///< No X-Webhook-ID header.
    malformed_signature,    ///< X-Catena-Signature is not 44 characters of canonical standard Base64 (32 bytes).
    malformed_timestamp,    ///< X-Catena-Timestamp is not an RFC 3339 date-time.
    timestamp_too_old,      ///< X-Catena-Timestamp lies further in the past than the tolerance allows.
    timestamp_in_future,    ///< X-Catena-Timestamp lies further in the future than the tolerance allows.
    unknown_webhook_id,     ///< No secret for X-Webhook-ID and unknown subscriptions are not accepted.
    signature_mismatch,     ///< No live secret for the subscription produces the signature.

    // --- unsupported (415) ---------------------------------------------------------------
    unsupported_encoding,   ///< Content-Encoding is neither gzip nor identity.

    // --- malformed body (400) ------------------------------------------------------------
    gzip_corrupt,           ///< The gzip stream is invalid (bad header, bad data, bad checksum).
    gzip_truncated,         ///< The gzip stream ends before its end marker.
    gzip_trailing_garbage,  ///< Bytes follow the end of the gzip member.
    json_syntax,            ///< The decompressed body is not valid JSON.
    envelope_not_object,    ///< The body is JSON but not an object.
    missing_field,          ///< A required envelope field (version, webhook_id, data) is absent or null.
    wrong_field_type,       ///< An envelope or record field has the wrong JSON type.
    record_not_object,      ///< An element of data[] is not an object.
    record_missing_id,      ///< A record has no string "id".
    event_name_mismatch,    ///< The body's event_name differs from X-Event-Type.
    webhook_id_mismatch,    ///< The body's webhook_id differs from X-Webhook-ID.

    // --- limit exceeded (413) ------------------------------------------------------------
    body_too_large,         ///< The request body is larger than allowed.
    inflated_too_large,     ///< The decompressed body would be larger than allowed.
    inflate_ratio_exceeded, ///< The body inflates by more than the allowed ratio (a gzip bomb).
    json_too_deep,          ///< The JSON nests deeper than allowed.
    too_many_records,       ///< data[] holds more records than allowed.
    string_too_long,        ///< A JSON string or key is longer than allowed.

    // --- listener ------------------------------------------------------------------------
    bad_request,            ///< The HTTP request could not be parsed (400).
    not_found,              ///< The request path is not served (404).
    method_not_allowed,     ///< The method is not allowed on the path (405).
    header_timeout,         ///< The request headers did not arrive in time (408).
    body_timeout,           ///< The request body did not arrive in time (408).
    headers_too_large,      ///< The request line and headers exceed the limit (431).
    inbox_full,             ///< The inbox is over its bound; the delivery was not kept (503).
    store_failure,          ///< The delivery could not be kept (503).
    handler_exception,      ///< A callback threw; the exception was caught and reported.

    // --- usage ---------------------------------------------------------------------------
    invalid_options,        ///< An option is out of range or options contradict each other.
    already_started,        ///< The operation is only allowed before start().
    invalid_secrets_file,   ///< A secrets file line is not "WEBHOOK_ID SECRET [NOT_AFTER]".

    // --- processing (no HTTP answer) -------------------------------------------------------
    impossible_transition,  ///< An event asks for a stage move the lifecycle does not allow; not applied.
    released_early,         ///< The reorder buffer was full: events left before their window ended.
    dedup_memory_full,      ///< Event identities were forgotten before their retention ended.
    too_many_operations,    ///< The bound on tracked operations is reached.
    callback_dead_lettered, ///< A callback failed on every attempt; the call went to the dead letters.

    // --- store ---------------------------------------------------------------------------
    store_locked,           ///< The data directory is in use by another process.
    store_not_ours,         ///< The database file is not a catena-webhooks store (foreign or corrupt); left untouched.
    store_newer_schema,     ///< The store was written by a newer version; left untouched.

    // --- exposure to the internet (added later; values stay stable) ------------------------
    bad_transfer_encoding,  ///< Transfer-Encoding whose last coding is not chunked (400; a smuggling shape).
    bad_host,               ///< Host missing or repeated in an HTTP/1.1 request (400).
    body_budget_exhausted,  ///< The budget of body bytes in flight is spent; retry later (503).
    too_many_connections,   ///< The connection bound is reached and no connection is idle (503).
    peer_connection_limit,  ///< The peer address holds its most connections (503).
    peer_refused,           ///< Verification of this address and subscription is rationed after repeated MAC failures (503).
    clock_skew,             ///< Most authentic-looking deliveries are near the edge of the timestamp window.
    shutdown_timed_out,     ///< stop() gave up on writing everything within shutdown_timeout.

    // --- the admin listener's state API ------------------------------------------------------
    admin_unauthorized,     ///< A state API request without the admin bearer token (401).
    bad_query,              ///< A state API query parameter is unknown or out of range (400).

    // --- the Notifications API client (subscription management) ------------------------------
    api_unreachable,        ///< The API or its token endpoint could not be reached (DNS, TCP, TLS, timeout).
    api_bad_request,        ///< The API refused the request as invalid (400, 422 with a detail list).
    api_unauthorized,       ///< The credentials or the token were refused (401, 403).
    api_not_found,          ///< No such subscription, schema or route (404).
    api_conflict,           ///< A subscription with the same event, URL and filters exists (409).
    api_rate_limited,       ///< Still 429 after the retries (retry_after says how long to wait).
    api_server_error,       ///< Still 5xx after the retries.
    api_bad_response,       ///< The answer was not the JSON its route returns.
    // --- other providers' routes (receiver_options::routes) -------------------------------
    route_token_mismatch,   ///< An unsigned route's token is missing or wrong (401).
    address_not_allowed,    ///< The peer address is outside the route's allowlist (401).
    event_field_missing,    ///< The body has no string event type in the route's event field (dead letter).
    event_id_missing,       ///< The body has no string or number id in the route's id field (dead letter).
    route_unknown,          ///< A kept delivery's route is no longer configured (dead letter).
    // --- a store shared by several receivers (PostgreSQL) ---------------------------------
    leadership_lost,        ///< Another receiver processes the shared store now; this one stopped processing.
    // --- admission (no answer of their own: reported when they start and end) --------------
    penalty_started,        ///< An address failed a subscription's MAC too often: its bodies for it are rationed.
    penalty_ended,          ///< That penalty is over (or its address was forgotten to make room).
    // --- listeners -----------------------------------------------------------------------
    host_not_allowed,       ///< The admin listener refuses a Host it does not answer to (421; DNS rebinding).
    bad_proxy_header,       ///< A trusted proxy's PROXY protocol header or X-Forwarded-For is malformed (400).
    // --- receive(): a partner's own HTTP server hands requests over ------------------------
    not_accepting,          ///< receive() before start() or after stop(): the delivery was not taken (503).
    receive_would_block,    ///< The blocking receive() on a thread running the receiver's executor, where waiting
                            ///< for the store could never end: not taken (503); use async_receive() there.
};

/** Groups of errors; compare an error_code against these. */
enum class condition
{
    malformed = 1,    ///< The request or its body is not well formed.
    unauthenticated,  ///< The request could not be shown to come from Catena.
    limit_exceeded,   ///< A size, depth or count limit was hit.
    unsupported,      ///< The request uses a feature the receiver does not support.
    usage,            ///< The library was called or configured wrongly.
    unavailable,      ///< The receiver cannot keep the delivery now; the sender should retry.
    not_routed,       ///< The request was not for a route the receiver serves.
    timed_out,        ///< The peer was too slow.
    inconsistent,     ///< The event stream contradicts the state it built so far.
};

/** The category of @ref error, named "catena.webhooks". */
CATENA_WEBHOOKS_DECL boost::system::error_category const& error_category() noexcept;

/** The category of @ref condition, named "catena.webhooks.condition". */
CATENA_WEBHOOKS_DECL boost::system::error_category const& condition_category() noexcept;

inline error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

inline boost::system::error_condition make_error_condition(condition c) noexcept
{
    return {static_cast<int>(c), condition_category()};
}

/** The stable snake_case reason code of an error, e.g. "timestamp_too_old".

    Codes from other categories give "internal".
*/
CATENA_WEBHOOKS_DECL std::string_view reason(error_code const& ec) noexcept;

/** The HTTP status the listener answers for an error: 400, 401, 404, 405, 408, 413, 415,
    431, 503, or 500 for errors that are not about the request.
*/
CATENA_WEBHOOKS_DECL unsigned http_status(error_code const& ec) noexcept;

} // namespace catena::webhooks

namespace boost::system {
template<>
struct is_error_code_enum<::catena::webhooks::error> : std::true_type
{
};
template<>
struct is_error_condition_enum<::catena::webhooks::condition> : std::true_type
{
};
} // namespace boost::system

#endif
