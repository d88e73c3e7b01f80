// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/foxtrot.hpp - an asynchronous client of Foxtrot's webhook management API.
#ifndef CATENA_WEBHOOKS_FOXTROT_HPP
#define CATENA_WEBHOOKS_FOXTROT_HPP

#include <catena/webhooks/export.hpp>
#include <catena/webhooks/api_error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace catena::webhooks::foxtrot {

/** A webhook as Foxtrot's API describes it. */
struct webhook
{
    std::string id;
    std::string url;
    bool enabled = false;
    std::vector<std::string> dc_ids; ///< The distribution centres whose events are sent.
    std::vector<std::string> events; ///< Upper-case event types, e.g. ROUTE_CREATED.
};

/** POST /webhooks. (The parameter is `webhook_url`; the resource field is `url`.) */
struct webhook_create
{
    std::string webhook_url;
    std::vector<std::string> events;
    std::vector<std::string> dc_ids;
};

/** Where the API is and how to talk to it. */
struct client_options
{
    /// The API's base URL. Foxtrot's reference names no host: there is no default.
    /// https://; http:// only to a loopback address (tests).
    std::string api_url;
    /// The API key; sent in key_header, never logged or put in an error.
    std::string api_key;
    /// Where the key goes. The reference says "an API key" and not how: "Authorization"
    /// (the default) sends "Bearer KEY"; any other header carries the key as it is.
    std::string key_header = "Authorization";
    std::string ca_file; ///< PEM CAs instead of the system's store.
    std::chrono::milliseconds timeout{10'000};
    /// Attempts in all for a 429, a 5xx or a failed connection (other 4xx are not retried).
    unsigned max_attempts = 4;
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{8'000};
    std::chrono::seconds max_retry_after{60};
};

/// Why the options cannot work (no URL, http:// off loopback, no key), or empty.
CATENA_WEBHOOKS_DECL std::string check_client_options(client_options const& o);

/** The payload of a success answer, `{"status":"success","data":…}`; api_bad_response for
    anything else. */
CATENA_WEBHOOKS_DECL api_result<boost::json::value> unwrap(boost::json::value const& v);
CATENA_WEBHOOKS_DECL api_result<webhook> parse_webhook(boost::json::value const& v);
/** An error answer: api_bad_request (400, with the error code from the body),
    api_unauthorized (401, "API key is invalid"), api_not_found (404), and so on, with the
    message the body carries (top level, or under "data" or "error"). */
CATENA_WEBHOOKS_DECL api_error parse_error(unsigned status, std::string_view body,
                                           std::optional<std::chrono::seconds> retry_after = {});

/** What the client did, for metrics and tests. */
struct client_stats
{
    std::uint64_t requests = 0; ///< HTTP requests (every attempt).
    std::uint64_t retries = 0;
    std::uint64_t errors = 0; ///< Calls that ended in an error.
};

/** An asynchronous client of Foxtrot's webhook management API (spec/foxtrot-webhooks.md):
    list, create, enable or disable, delete. Every call's handler runs once, on the client's
    strand, with the typed result or an api_error; 429 (after its Retry-After), 5xx and
    failed connections are retried with jittered exponential backoff, other 4xx answered at
    once.

    @par Thread safety
    Calls from any thread. The client must outlive its calls' handlers, or be destroyed with
    its io_context stopped.
*/
class CATENA_WEBHOOKS_DECL client
{
public:
    template<class T>
    using handler = std::function<void(api_result<T>)>;
    using done_handler = std::function<void(api_result<void>)>;

    client(boost::asio::any_io_executor ex, client_options opts);
    ~client();
    client(client const&) = delete;
    client& operator=(client const&) = delete;

    /// GET /webhooks: data.webhooks.
    void list(handler<std::vector<webhook>> h);
    /// POST /webhooks: data.webhook.
    void create(webhook_create c, handler<webhook> h);
    /// PATCH /webhooks/{id} {"enabled": …}: data.webhook. The only change the API allows.
    void set_enabled(std::string id, bool enabled, handler<webhook> h);
    /// DELETE /webhooks/{id}.
    void remove(std::string id, done_handler h);

    client_stats stats() const;
    /// Ends every call in flight (api_unreachable, "cancelled") and every later one at once.
    void cancel();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace catena::webhooks::foxtrot

#endif
