// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/notifications_options.hpp - where Catena's API is and how to talk to it (the clients' options).
#ifndef CATENA_WEBHOOKS_NOTIFICATIONS_OPTIONS_HPP
#define CATENA_WEBHOOKS_NOTIFICATIONS_OPTIONS_HPP

#include <chrono>
#include <string>

namespace catena::webhooks {

/** Where the API is and how to talk to it. */
struct notifications_options
{
    /// The API's base URL (https://; http:// only to a loopback address, for tests).
    std::string api_url = "https://api.catenatelematics.com";
    /// The OAuth 2.0 token endpoint (client credentials).
    std::string auth_url = "https://auth.catenatelematics.com/realms/catena/protocol/openid-connect/token";
    std::string client_id;
    std::string client_secret; ///< Sent to auth_url only; never logged or put in an error.
    /// PEM file of trusted CAs, used instead of the system's store (a test CA, a proxy's).
    std::string ca_file;
    /// Each step (resolve, connect, handshake, write, read) must finish within this.
    std::chrono::milliseconds timeout{10'000};
    /// Attempts in all for a 429, a 5xx or a failed connection (a 4xx is never retried).
    unsigned max_attempts = 4;
    std::chrono::milliseconds initial_backoff{500}; ///< Doubling, with jitter, up to max_backoff.
    std::chrono::milliseconds max_backoff{8'000};
    /// A 429's retry_after_seconds is waited for, up to this; longer fails the call at once.
    std::chrono::seconds max_retry_after{60};
    /// A token is refreshed this long before it expires.
    std::chrono::seconds refresh_margin{30};
};

} // namespace catena::webhooks

#endif
