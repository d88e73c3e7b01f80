// SPDX-License-Identifier: BSL-1.0
// test/support/support.hpp - helpers shared by the tests: hex, Base64, signed delivery builder, waiting for a condition.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_SUPPORT_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_SUPPORT_HPP

#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/timestamp.hpp>
#include <catena/webhooks/verifier.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace catena::webhooks::test {

std::string to_hex(mac const& m);
std::string base64_decode(std::string_view s);

/// A delivery as it would travel on the wire, owning its strings.
struct wire_delivery
{
    std::string signature, timestamp, webhook_id, content_encoding, event_type, request_id, delivery_attempt;
    std::string body; // as sent (gzip when content_encoding says so)

    delivery_headers headers() const
    {
        return {signature, timestamp, webhook_id, content_encoding, event_type, request_id, delivery_attempt};
    }
};

/// Builds a correctly signed delivery of `json` sent at `sent`.
wire_delivery make_delivery(std::string_view secret, std::string_view webhook_id, std::string_view json,
                            timestamp sent, bool gzip = true, std::string_view event_type = {});

/// 2024-11-28T10:30:00Z, the instant of the spec's vectors.
timestamp vector_time();

/// Waits until `done()` holds (a counter reaching a value, a state the receiver reports),
/// looking again every few milliseconds; false after `limit`. The limit bounds a failure only:
/// nothing here measures how fast anything is.
inline bool eventually(std::function<bool()> const& done,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(120'000))
{
    auto const until = std::chrono::steady_clock::now() + limit;
    while(!done())
    {
        if(std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

} // namespace catena::webhooks::test

#endif
