// SPDX-License-Identifier: BSL-1.0
// lib/verify/error.cpp - the error categories, reason codes and HTTP statuses.
#include <catena/webhooks/error.hpp>

#include <string>

namespace catena::webhooks {

namespace {

struct error_info
{
    std::string_view reason;
    std::string_view message;
    condition cond;
};

// Indexed by the enumerator value; index 0 is unused.
constexpr error_info infos[] = {
    {"internal", "internal error", condition::usage},
    {"missing_signature", "the X-Catena-Signature header is missing", condition::unauthenticated},
    {"missing_timestamp", "the X-Catena-Timestamp header is missing", condition::unauthenticated},
    {"missing_webhook_id", "the X-Webhook-ID header is missing", condition::unauthenticated},
    {"malformed_signature", "X-Catena-Signature is not a Base64 HMAC-SHA256 value", condition::unauthenticated},
    {"malformed_timestamp", "X-Catena-Timestamp is not an RFC 3339 date-time", condition::unauthenticated},
    {"timestamp_too_old", "X-Catena-Timestamp is older than the allowed window", condition::unauthenticated},
    {"timestamp_in_future", "X-Catena-Timestamp is further in the future than allowed", condition::unauthenticated},
    {"unknown_webhook_id", "no secret is configured for this X-Webhook-ID", condition::unauthenticated},
    {"signature_mismatch", "the signature matches no live secret of the subscription", condition::unauthenticated},
    {"unsupported_encoding", "the Content-Encoding is not supported (gzip or identity only)", condition::unsupported},
    {"gzip_corrupt", "the gzip body is corrupt", condition::malformed},
    {"gzip_truncated", "the gzip body is truncated", condition::malformed},
    {"gzip_trailing_garbage", "bytes follow the end of the gzip body", condition::malformed},
    {"json_syntax", "the body is not valid JSON", condition::malformed},
    {"envelope_not_object", "the body is not a JSON object", condition::malformed},
    {"missing_field", "a required envelope field is missing", condition::malformed},
    {"wrong_field_type", "a field has the wrong JSON type", condition::malformed},
    {"record_not_object", "an element of data[] is not an object", condition::malformed},
    {"record_missing_id", "a record has no string id", condition::malformed},
    {"event_name_mismatch", "the body's event_name differs from X-Event-Type", condition::malformed},
    {"webhook_id_mismatch", "the body's webhook_id differs from X-Webhook-ID", condition::malformed},
    {"body_too_large", "the request body is too large", condition::limit_exceeded},
    {"inflated_too_large", "the decompressed body is too large", condition::limit_exceeded},
    {"inflate_ratio_exceeded", "the body decompresses by more than the allowed ratio", condition::limit_exceeded},
    {"json_too_deep", "the JSON nests too deeply", condition::limit_exceeded},
    {"too_many_records", "data[] holds too many records", condition::limit_exceeded},
    {"string_too_long", "a JSON string is too long", condition::limit_exceeded},
    {"bad_request", "the HTTP request is malformed", condition::malformed},
    {"not_found", "no such route", condition::not_routed},
    {"method_not_allowed", "method not allowed on this route", condition::not_routed},
    {"header_timeout", "the request headers did not arrive in time", condition::timed_out},
    {"body_timeout", "the request body did not arrive in time", condition::timed_out},
    {"headers_too_large", "the request headers are too large", condition::limit_exceeded},
    {"inbox_full", "the inbox is full; retry later", condition::unavailable},
    {"store_failure", "the delivery could not be stored; retry later", condition::unavailable},
    {"handler_exception", "a callback threw an exception", condition::usage},
    {"invalid_options", "invalid options", condition::usage},
    {"already_started", "not allowed after start()", condition::usage},
    {"invalid_secrets_file", "invalid secrets file", condition::usage},
    {"impossible_transition", "the event cannot follow the fleet's stage; not applied", condition::inconsistent},
    {"released_early", "the reorder buffer is full; events were released before their window ended",
     condition::limit_exceeded},
    {"dedup_memory_full", "event identities were forgotten before their retention ended", condition::limit_exceeded},
    {"too_many_operations", "too many tracked operations", condition::limit_exceeded},
    {"callback_dead_lettered", "a callback failed on every attempt; the call was dead-lettered", condition::usage},
    {"store_locked", "the data directory is in use by another process", condition::unavailable},
    {"store_not_ours", "the database file is not a catena-webhooks store (foreign or corrupt); it was left untouched",
     condition::usage},
    {"store_newer_schema", "the store was written by a newer version; it was left untouched", condition::usage},
    {"bad_transfer_encoding", "Transfer-Encoding must end in chunked", condition::malformed},
    {"bad_host", "an HTTP/1.1 request needs exactly one Host header", condition::malformed},
    {"body_budget_exhausted", "too many request bodies in flight; retry later", condition::unavailable},
    {"too_many_connections", "too many connections; retry later", condition::unavailable},
    {"peer_connection_limit", "too many connections from this address; retry later", condition::unavailable},
    {"peer_refused", "too many authentication failures from this address for this subscription; retry later",
     condition::unavailable},
    {"clock_skew", "most deliveries' timestamps lie near the edge of the window: check this host's clock",
     condition::inconsistent},
    {"shutdown_timed_out", "stopping took longer than shutdown_timeout; what was not written is processed again at "
                           "the next start",
     condition::unavailable},
    {"admin_unauthorized", "the admin API needs its bearer token", condition::unauthenticated},
    {"bad_query", "a query parameter is unknown or out of range", condition::malformed},
    {"api_unreachable", "the provider's API could not be reached", condition::unavailable},
    {"api_bad_request", "the provider's API refused the request as invalid", condition::usage},
    {"api_unauthorized", "the provider's API refused the credentials", condition::unauthenticated},
    {"api_not_found", "the provider's API has no such resource", condition::not_routed},
    {"api_conflict", "the provider's API has such a subscription already", condition::usage},
    {"api_rate_limited", "the provider's API kept answering 429 (rate limited)", condition::unavailable},
    {"api_server_error", "the provider's API kept failing (5xx)", condition::unavailable},
    {"api_bad_response", "the provider's API answered something unexpected", condition::malformed},
    {"route_token_mismatch", "the route's token is missing or wrong", condition::unauthenticated},
    {"address_not_allowed", "the peer address is not in the route's allowlist", condition::unauthenticated},
    {"event_field_missing", "the body has no string event type in the route's event field", condition::malformed},
    {"event_id_missing", "the body has no string or number id in the route's id field", condition::malformed},
    {"route_unknown", "the delivery came by a route that is no longer configured", condition::usage},
    {"leadership_lost", "another receiver processes the shared store now; this one stopped processing (restart it "
                        "to stand by)",
     condition::unavailable},
    {"penalty_started", "an address failed a subscription's MAC too often; its bodies for it are rationed",
     condition::unavailable},
    {"penalty_ended", "the address's penalty for the subscription is over", condition::unavailable},
    {"host_not_allowed", "the admin listener does not answer to this Host", condition::not_routed},
    {"bad_proxy_header", "a trusted proxy's PROXY header or X-Forwarded-For is malformed", condition::malformed},
    {"not_accepting", "the receiver is not started or is stopping; retry later", condition::unavailable},
    {"receive_would_block", "the blocking receive() was called on a thread running the receiver's executor",
     condition::unavailable},
    {"no_usable_secret", "no secret is live: every Catena delivery will be refused until set_secrets() gives one",
     condition::usage},
};

constexpr int info_count = static_cast<int>(sizeof(infos) / sizeof(infos[0]));
static_assert(info_count == static_cast<int>(error::no_usable_secret) + 1,
              "every error needs an entry in infos");

error_info const* find_info(int ev) noexcept
{
    return (ev > 0 && ev < info_count) ? &infos[ev] : nullptr;
}

class error_category_impl final : public boost::system::error_category
{
public:
    // A fixed id keeps categories equal across shared-library boundaries.
    constexpr error_category_impl() noexcept : error_category(0xC47E4A5EB0010001ull) {}

    char const* name() const noexcept override { return "catena.webhooks"; }

    std::string message(int ev) const override
    {
        auto const* info = find_info(ev);
        return info ? std::string(info->message) : "unknown catena.webhooks error";
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        if(auto const* info = find_info(ev))
            return make_error_condition(info->cond);
        return {ev, *this};
    }
};

class condition_category_impl final : public boost::system::error_category
{
public:
    constexpr condition_category_impl() noexcept : error_category(0xC47E4A5EB0010002ull) {}

    char const* name() const noexcept override { return "catena.webhooks.condition"; }

    std::string message(int ev) const override
    {
        switch(static_cast<condition>(ev))
        {
        case condition::malformed: return "malformed request";
        case condition::unauthenticated: return "unauthenticated request";
        case condition::limit_exceeded: return "limit exceeded";
        case condition::unsupported: return "unsupported request";
        case condition::usage: return "usage error";
        case condition::unavailable: return "temporarily unavailable";
        case condition::not_routed: return "not routed";
        case condition::timed_out: return "timed out";
        case condition::inconsistent: return "inconsistent event stream";
        }
        return "unknown condition";
    }
};

constinit error_category_impl const error_cat;
constinit condition_category_impl const condition_cat;

} // namespace

boost::system::error_category const& error_category() noexcept { return error_cat; }

boost::system::error_category const& condition_category() noexcept { return condition_cat; }

std::string_view reason(error_code const& ec) noexcept
{
    if(ec.category() == error_category())
        if(auto const* info = find_info(ec.value()))
            return info->reason;
    return "internal";
}

unsigned http_status(error_code const& ec) noexcept
{
    if(ec.category() == error_category())
    {
        switch(static_cast<error>(ec.value()))
        {
        case error::not_found: return 404;
        case error::method_not_allowed: return 405;
        case error::headers_too_large: return 431;
        case error::host_not_allowed: return 421;
        case error::clock_skew:
        case error::shutdown_timed_out:
        case error::api_unreachable:
        case error::api_bad_request:
        case error::api_unauthorized:
        case error::api_not_found:
        case error::api_conflict:
        case error::api_rate_limited:
        case error::api_server_error:
        case error::api_bad_response:
        case error::event_field_missing:
        case error::event_id_missing:
        case error::route_unknown:
        case error::penalty_started:
        case error::penalty_ended: return 0;
        default: break;
        }
    }
    if(ec == condition::timed_out)
        return 408;
    if(ec == condition::unavailable)
        return 503;
    if(ec == condition::unauthenticated)
        return 401;
    if(ec == condition::unsupported)
        return 415;
    if(ec == condition::limit_exceeded)
        return 413;
    if(ec == condition::malformed)
        return 400;
    return 500;
}

} // namespace catena::webhooks
