// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/verifier.hpp - decides whether a delivery is authentic and yields its decompressed body.
#ifndef CATENA_WEBHOOKS_VERIFIER_HPP
#define CATENA_WEBHOOKS_VERIFIER_HPP

#include <catena/webhooks/envelope.hpp>
#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/request.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

/** What the headers alone establish: the delivery may be Catena's (spec §3.2 steps 1-4). */
struct checked_headers
{
    mac expected{};          ///< X-Catena-Signature, decoded.
    timestamp sent_at{};     ///< X-Catena-Timestamp, parsed.
    bool default_secret = false; ///< Only default secrets can verify it.
};

/** The checks of spec §3.2 that need no body: required headers, signature shape, timestamp
    format and `window`, secrets for X-Webhook-ID. A request that fails them is not Catena's
    and can be refused before its body is read.
    @return the decoded headers, or an error whose condition is unauthenticated.
*/
CATENA_WEBHOOKS_DECL result<checked_headers> check_delivery_headers(delivery_headers const& h, secret_ring const& ring,
                                                                    timestamp now, freshness_window window);

/** What the body's verification yields besides success. */
struct checked_body
{
    std::size_t secret_index = 0;   ///< Position of the matching secret (0 = first added).
    std::size_t inflated_bytes = 0; ///< Size of the decompressed body.
};

/** Verifies deliveries exactly as Catena signs them (spec §3.2).

    Steps, cheapest first so that forged or stale traffic costs little: required headers;
    signature shape; timestamp format and window; secrets for X-Webhook-ID; Content-Encoding;
    bounded gunzip; HMAC-SHA256 of `timestamp "." body` under each live secret, compared in
    constant time. JSON is not looked at: parse the body only after this succeeds.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe (the verifier reuses its inflate and MAC
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

    /// check_delivery_headers() with this verifier's window.
    result<checked_headers> check_headers(delivery_headers const& h, secret_ring const& ring, timestamp now) const
    {
        return check_delivery_headers(h, ring, now, opts_.window);
    }

    /** The rest, for headers that passed check_headers(): Content-Encoding, gunzip and the
        MAC in one streaming pass. The decompressed body is never held: memory is one 64 KiB
        window whatever its size. `piece`, when set, sees each decompressed piece in order.
        @return the matching secret and the inflated size, or error::signature_mismatch
        (unauthenticated), error::unsupported_encoding, a gzip error (malformed) or a limit.
    */
    result<checked_body> verify_body(delivery_headers const& h, checked_headers const& c, std::string_view raw_body,
                                     secret_ring const& ring, timestamp now, inflater::sink const& piece = {});

    verify_options const& options() const noexcept { return opts_; }

private:
    // One MAC context per live secret, so that one pass over the body serves them all.
    signer& signer_at(std::size_t i);

    verify_options opts_;
    inflater inflater_;
    std::vector<signer> signers_;
    std::vector<std::size_t> live_index_;
};

/** The delivery headers among a request's headers (looked up case-insensitively). */
CATENA_WEBHOOKS_DECL delivery_headers delivery_headers_of(std::span<header_field const> headers) noexcept;

/** Verifies one delivery in one call, for a service that reads requests itself and wants
    nothing else of this library (Stripe's constructEvent, Standard Webhooks' verify).

    The same checks, in the same order, as the receiver's own listener: the headers first
    (X-Catena-Signature, X-Catena-Timestamp and X-Webhook-ID present and well formed, the
    timestamp within `opts.window` of `now`, a secret for the subscription), then
    Content-Encoding, bounded gunzip and the MAC over the whole body under every live
    secret, in one pass. Keep one secret_ring for the service's lifetime.

    @param headers the request's headers, as received (repeats allowed; the first counts).
    @param body the request body as received (gzip when Content-Encoding says so).
    @return success, or an error: see answer_status() for what to answer Catena.
*/
[[nodiscard]] CATENA_WEBHOOKS_DECL error_code verify(std::span<header_field const> headers, std::string_view body,
                                                     secret_ring const& secrets, timestamp now = system_now(),
                                                     verify_options const& opts = {});
/// verify() of headers already picked out.
[[nodiscard]] CATENA_WEBHOOKS_DECL error_code verify(delivery_headers const& headers, std::string_view body,
                                                     secret_ring const& secrets, timestamp now = system_now(),
                                                     verify_options const& opts = {});

/** verify(), then the decoded envelope (spec §4.1) checked against X-Event-Type and
    X-Webhook-ID. An error of the envelope (json_syntax, missing_field, event_name_mismatch...)
    means the delivery is authentic but cannot be decoded: answer_status() says 202, keep
    it for inspection (the receiver keeps it as a dead letter).
*/
CATENA_WEBHOOKS_DECL result<envelope> verify_envelope(std::span<header_field const> headers, std::string_view body,
                                                      secret_ring const& secrets, timestamp now = system_now(),
                                                      verify_options const& opts = {});
CATENA_WEBHOOKS_DECL result<envelope> verify_envelope(delivery_headers const& headers, std::string_view body,
                                                      secret_ring const& secrets, timestamp now = system_now(),
                                                      verify_options const& opts = {});

/** What to answer Catena after verify() or verify_envelope() returned `ec`, as the
    receiver's own listener answers:
    - success: 202, once the delivery is kept (answer only then: a 202 ends Catena's retries);
    - an unauthenticated error (a header, the timestamp window, an unknown subscription, the
      MAC): `unverified_status`, 401 by default, or 503 so that Catena keeps the delivery
      for replay (receiver_options::unverified_status);
    - an envelope that cannot be decoded (malformed or limit_exceeded by the JSON): 202, the
      delivery is authentic and a retry would be the same;
    - anything else (an unknown Content-Encoding, corrupt or truncated gzip, a body that
      inflates too far): 503 with Retry-After, so that Catena retries it and keeps it in
      its dead-letter queue.
*/
CATENA_WEBHOOKS_DECL unsigned answer_status(error_code const& ec, unsigned unverified_status = 401) noexcept;

} // namespace catena::webhooks

#endif
