// SPDX-License-Identifier: BSL-1.0
// test/support/fake_catena_api.hpp - Catena's Notifications API and token endpoint as spec §6
// describes them, over HTTPS on loopback with a certificate of its own, for the client's tests.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_FAKE_CATENA_API_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_FAKE_CATENA_API_HPP

#include <catena/webhooks/notifications_options.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace catena::webhooks::test {

/** The fake: a token endpoint at /token (client credentials, tokens that expire) and the
    /v2/notifications routes: create (wildcards expand into one subscription and one secret per
    action; 409 on a duplicate (event, url, filters); 422 with a detail list), list (cursor
    pages, event_name and status filters), get, update, delete, activate, pause, replay,
    metrics, logs (cursor pages), schemas. Read models redact the secret and the URL's path.
    And the Integrations API's resource operations (spec §6.x): one by connection and id, and
    the listing by connection_id and resource.
    Faults on demand: the next N API requests answer a status (429 with retry_after_seconds,
    5xx), all tokens revoked. Runs its own thread; stops in its destructor. */
class fake_catena_api
{
public:
    static constexpr char client_id[] = "fake-client-id";
    static constexpr char client_secret[] = "fake-client-secret-0123456789";

    /// Starts on 127.0.0.1 (a free port) with a fresh certificate written into `dir`.
    explicit fake_catena_api(std::string const& dir);
    ~fake_catena_api();
    fake_catena_api(fake_catena_api const&) = delete;
    fake_catena_api& operator=(fake_catena_api const&) = delete;

    std::string api_url() const;   ///< https://127.0.0.1:PORT
    std::string auth_url() const;  ///< https://127.0.0.1:PORT/token
    std::string ca_file() const;   ///< Trust this to reach it.
    /// A client's options for this API: its URLs, CA and credentials (retries left as they are).
    notifications_options client_options() const;

    /// Tokens issued from now on live this long.
    void set_token_lifetime(std::chrono::seconds s);
    /// Every token issued so far stops working.
    void revoke_tokens();
    /// The next `count` API requests (not the token endpoint's) answer `status`; a 429 says
    /// `retry_after_seconds` in its detail.
    void fail_next(unsigned status, unsigned count, unsigned retry_after_seconds = 0);
    /// Set a subscription's status as Catena's circuit breaker would (stale), or any other.
    void set_status(std::string const& id, std::string const& status);
    /// Called (on the fake's thread, after the 202 is decided) with the id of every replay
    /// request: the test delivers that subscription's dead-letter queue from it.
    void on_replay(std::function<void(std::string const&)> f);
    /// Adds `n` delivery logs to a subscription.
    void add_logs(std::string const& id, unsigned n);

    /// Adds (or replaces) a resource operation the Integrations routes answer with (its
    /// `id` and `connection_id` must be set).
    void put_operation(boost::json::object op);
    /// How the Integrations routes answer from now on.
    enum class operation_fault
    {
        none,
        unauthorized, ///< 401, whatever the token
        server_error, ///< 503
        garbage,      ///< 200 with a body that is no operation (a proxy's page)
    };
    void fault_operations(operation_fault f);

    struct counts
    {
        unsigned token_requests = 0;
        unsigned api_requests = 0;  ///< Answered by an API route (also the faults).
        unsigned unauthorized = 0;  ///< API requests refused for their token.
        std::map<std::string, unsigned> replays; ///< Replay calls by subscription id.
        std::vector<std::string> authorizations; ///< Authorization headers seen (for leak tests).
        unsigned operation_requests = 0; ///< GET of one resource operation.
        unsigned operation_listings = 0; ///< GET of the resource operations listing.
    };
    counts seen() const;
    /// The stored subscription (secret in clear), or null when unknown.
    boost::json::value stored(std::string const& id) const;
    std::size_t subscription_count() const;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace catena::webhooks::test

#endif
