// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/notifications.hpp - an asynchronous client of Catena's Notifications API
// (spec §6): OAuth 2.0 client credentials, every subscription endpoint, retries with a bound.
#ifndef CATENA_WEBHOOKS_NOTIFICATIONS_HPP
#define CATENA_WEBHOOKS_NOTIFICATIONS_HPP

#include <catena/webhooks/export.hpp>
#include <catena/webhooks/notifications_options.hpp>
#include <catena/webhooks/operation.hpp>
#include <catena/webhooks/subscriptions.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace catena::webhooks {

/** What the client did, for metrics and tests. */
struct notifications_stats
{
    std::uint64_t requests = 0;        ///< HTTP requests to the API (every attempt).
    std::uint64_t retries = 0;         ///< Attempts after a 429, a 5xx or a failed connection.
    std::uint64_t token_requests = 0;  ///< Calls to the token endpoint.
    std::uint64_t errors = 0;          ///< Calls that ended in an error.
};

/** An asynchronous client of the Notifications API.

    Every call takes a completion handler, called once on the client's strand with the typed
    result or an api_error. The access token is fetched on the first call, cached, and
    refreshed refresh_margin before it expires; however many calls wait for it, one refresh
    runs at a time. A 401 from the API drops the token and retries the call once with a new
    one. 429 (after retry_after_seconds), 5xx and failed connections are retried with
    exponential backoff, max_attempts in all; other 4xx are answered at once.

    @code
    catena::webhooks::notifications_options o;
    o.client_id = std::getenv("CATENA_CLIENT_ID");
    o.client_secret = std::getenv("CATENA_CLIENT_SECRET");
    catena::webhooks::notifications_client api(ioc.get_executor(), o);
    catena::webhooks::webhook_query q;
    q.status = "stale";
    api.list(q, [](auto r) { ... });
    ioc.run();
    @endcode

    @par Thread safety
    Calls from any thread. The client must outlive its calls' handlers, or be destroyed with
    its io_context stopped (pending calls then never complete).
*/
class CATENA_WEBHOOKS_DECL notifications_client
{
public:
    template<class T>
    using handler = std::function<void(api_result<T>)>;
    using done_handler = std::function<void(api_result<void>)>;

    notifications_client(boost::asio::any_io_executor ex, notifications_options opts);
    ~notifications_client();
    notifications_client(notifications_client const&) = delete;
    notifications_client& operator=(notifications_client const&) = delete;

    /// POST /webhooks: one subscription, or one per action for a wildcard.
    void create(webhook_create c, handler<std::vector<webhook_subscription>> h);
    /// GET /webhooks, every page (through next_page) filtered by event_name and status.
    void list(webhook_query q, handler<std::vector<webhook_subscription>> h);
    /// GET /webhooks, one page.
    void list_page(webhook_query q, handler<api_page<webhook_subscription>> h);
    void get(std::string id, handler<webhook_subscription> h);
    void update(std::string id, webhook_update u, handler<webhook_subscription> h);
    void remove(std::string id, done_handler h);
    void activate(std::string id, handler<webhook_subscription> h);
    void pause(std::string id, handler<webhook_subscription> h);
    /// POST …/replay: Catena delivers the dead-letter queue again (202).
    void replay(std::string id, done_handler h);
    void metrics(std::string id, handler<webhook_metrics> h);
    /// GET …/logs, every page.
    void logs(std::string id, log_query q, handler<std::vector<webhook_log>> h);
    /// GET /schemas/{event_name}, or its /versions/{version}.
    void schema(std::string event_name, std::string version, handler<event_schema> h);

    /** Catena's Integrations API, with the same token (spec §6.x):
        GET /v2/integrations/connections/{connection_id}/resource-operations/{operation_id}.
        The operation as Catena has it now: status pending, success or failed, source poll.
        api_bad_response for an answer that is not that operation with a known status. */
    void resource_operation(std::string connection_id, std::string operation_id, handler<operation_result> h);
    /// GET /v2/integrations/connections/resource-operations?connection_id=…&resource=… (recent
    /// operations, every page); `resource` may be empty.
    void resource_operations(std::string connection_id, std::string resource,
                             handler<std::vector<operation_result>> h);

    notifications_stats stats() const;

    /** Ends every call in flight (its handler gets api_unreachable, "cancelled") and every
        later one at once; for a shutdown that must not wait for the API. Thread-safe. */
    void cancel();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/** Checks options before a call is made: a URL that does not parse, http:// to a host that is
    not loopback, missing credentials. Empty when they are usable. */
CATENA_WEBHOOKS_DECL std::string check_notifications_options(notifications_options const& o);

} // namespace catena::webhooks

#endif
