// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/signature.hpp - Catena's signature: Base64(HMAC-SHA256(secret, timestamp "." body)).
#ifndef CATENA_WEBHOOKS_SIGNATURE_HPP
#define CATENA_WEBHOOKS_SIGNATURE_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace catena::webhooks {

/// A raw HMAC-SHA256 value.
using mac = std::array<unsigned char, 32>;

/** Computes HMAC-SHA256 over `timestamp + "." + body` (spec §3.1).

    Keeps one OpenSSL MAC context, so repeated use allocates nothing.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe.
*/
class CATENA_WEBHOOKS_DECL signer
{
public:
    signer();
    ~signer();
    signer(signer&&) noexcept;
    signer& operator=(signer&&) noexcept;
    signer(signer const&) = delete;
    signer& operator=(signer const&) = delete;

    /** The MAC of `timestamp` "." `body` under `key`.

        `timestamp` is the exact header string (never re-formatted) and `body` the
        decompressed bytes exactly as received.
    */
    mac compute(std::string_view key, std::string_view timestamp, std::string_view body);

    /** The same MAC over a body that comes in pieces: begin(), update() per piece, finish().
        compute() is begin + one update + finish. */
    void begin(std::string_view key, std::string_view timestamp);
    void update(std::string_view piece);
    mac finish();

    /** The X-Catena-Signature header value: the MAC in standard Base64 (44 characters). */
    std::string sign(std::string_view key, std::string_view timestamp, std::string_view body);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/** Decodes an X-Catena-Signature header value.

    Surrounding spaces and tabs are ignored. The value must be exactly 44 characters of
    standard Base64 (`+`, `/`, one `=` of padding) in canonical form, i.e. 32 bytes.

    @return the MAC, or error::malformed_signature.
*/
CATENA_WEBHOOKS_DECL result<mac> decode_signature(std::string_view header) noexcept;

/** Encodes a MAC as standard Base64 (44 characters). */
CATENA_WEBHOOKS_DECL std::string encode_signature(mac const& m);

/** Compares two MACs in time independent of their contents. */
CATENA_WEBHOOKS_DECL bool mac_equal(mac const& a, mac const& b) noexcept;

} // namespace catena::webhooks

#endif
