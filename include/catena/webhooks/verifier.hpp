// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/verifier.hpp - decides whether a delivery is authentic and yields its decompressed body.
#ifndef CATENA_WEBHOOKS_VERIFIER_HPP
#define CATENA_WEBHOOKS_VERIFIER_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace catena::webhooks {

/// Header names of a Catena delivery (spec §2.2). Look them up case-insensitively.
namespace header {
inline constexpr std::string_view signature = "X-Catena-Signature";
inline constexpr std::string_view timestamp = "X-Catena-Timestamp";
inline constexpr std::string_view webhook_id = "X-Webhook-ID";
inline constexpr std::string_view event_type = "X-Event-Type";
inline constexpr std::string_view request_id = "X-Request-ID";
inline constexpr std::string_view delivery_attempt = "X-Delivery-Attempt";
inline constexpr std::string_view schema_version = "X-Schema-Version";
inline constexpr std::string_view source = "X-Source";
} // namespace header

/** The delivery headers the verifier reads, as views into the request. Empty means absent. */
struct delivery_headers
{
    std::string_view signature = {};         ///< X-Catena-Signature
    std::string_view timestamp = {};         ///< X-Catena-Timestamp, exactly as sent
    std::string_view webhook_id = {};        ///< X-Webhook-ID
    std::string_view content_encoding = {};  ///< Content-Encoding
    std::string_view event_type = {};        ///< X-Event-Type
    std::string_view request_id = {};        ///< X-Request-ID
    std::string_view delivery_attempt = {};  ///< X-Delivery-Attempt
};

/** Parses X-Delivery-Attempt: a positive decimal integer (spec C10: no upper bound assumed). */
CATENA_WEBHOOKS_DECL std::optional<std::uint32_t> parse_delivery_attempt(std::string_view value) noexcept;

/** Options of the verifier. */
struct verify_options
{
    freshness_window window{};
    inflate_limits inflate{};
};

/** What a successful verification yields. */
struct verified_body
{
    /// The decompressed body: a view of the raw body (identity) or of the caller's buffer (gzip).
    std::string_view body;
    /// X-Catena-Timestamp, parsed.
    timestamp sent_at;
    /// The matching secret was a default secret (the id has none of its own).
    bool default_secret = false;
    /// Position of the matching secret among the subscription's secrets (0 = first added).
    std::size_t secret_index = 0;
};

/** Verifies deliveries exactly as Catena signs them (spec §3.2).

    Steps, cheapest first so that forged or stale traffic costs little: required headers;
    signature shape; timestamp format and window; secrets for X-Webhook-ID; Content-Encoding;
    bounded gunzip; HMAC-SHA256 of `timestamp "." body` under each live secret, compared in
    constant time. JSON is not looked at: parse the body only after this succeeds.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe (the verifier reuses its zlib and MAC
    state). Keep one per thread or per connection.
*/
class CATENA_WEBHOOKS_DECL verifier
{
public:
    explicit verifier(verify_options opts = {});

    /** Verifies one delivery.

        @param h the delivery headers.
        @param raw_body the request body as received.
        @param ring the secrets.
        @param now the receiver's current time.
        @param buffer where a gzip body is decompressed; reuse it across calls.
        @return the verified body, or an error whose condition is unauthenticated,
        unsupported, malformed (gzip) or limit_exceeded.
    */
    result<verified_body> verify(delivery_headers const& h, std::string_view raw_body, secret_ring const& ring,
                                 timestamp now, std::string& buffer);

    verify_options const& options() const noexcept { return opts_; }

private:
    verify_options opts_;
    inflater inflater_;
    signer signer_;
};

} // namespace catena::webhooks

#endif
