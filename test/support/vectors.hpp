// SPDX-License-Identifier: BSL-1.0
// test/support/vectors.hpp - the self-computed signature vectors of spec §3.6.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_VECTORS_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_VECTORS_HPP

#include <string_view>

namespace catena::webhooks::test {

inline constexpr std::string_view tv1_secret = "wX9kLmP2nQrT4vYz";
inline constexpr std::string_view tv1_timestamp = "2024-11-28T10:30:00+00:00";
inline constexpr std::string_view tv1_body =
    R"({"version":"1.0","event_name":"invitation.accepted","webhook_id":"247b2dea-a030-48b7-9a05-ee33c1b6ab0a",)"
    R"("timestamp":"2024-11-28T10:30:00+00:00","id":"01936b2e-7c00-7000-8000-000000000001","delivery_attempt":1,)"
    R"("data":[{"id":"01234567-89ab-cdef-0123-456789abcdef","created_at":"2024-11-27T09:00:00Z",)"
    R"("magic_link":"https://connect.catenatelematics.com/?invite=01234567-89ab-cdef-0123-456789abcdef",)"
    R"("expires_at":"2024-11-28T09:00:00Z","expires_in_hours":24,"status":"accepted","accepted_at":"2024-11-28T10:29:58Z",)"
    R"("fleet_id":"98765432-10fe-dcba-9876-543210fedcba","partner_id":"11223344-5566-7788-99aa-bbccddeeff00",)"
    R"("fleet_ref":"FLEET-42"}]})";
inline constexpr std::string_view tv1_signature = "EnG7QM/D3JfmrAqCSiO4nQVx52UqhSx1zHt9S5soZ5A=";
inline constexpr std::string_view tv1_hmac_hex = "1271bb40cfc3dc97e6ac0a824a23b89d0571e7652a852c75cc7b7d4b9b286790";

inline constexpr std::string_view tv2_secret = "your-webhook-secret-min-12-chars";
inline constexpr std::string_view tv2_timestamp = "2024-11-28T10:30:00+00:00";
inline constexpr std::string_view tv2_body =
    R"({"version":"1.0","event_name":"webhook.staled","webhook_id":"247b2dea-a030-48b7-9a05-ee33c1b6ab0a","data":[]})";
inline constexpr std::string_view tv2_signature = "kMeIa6E7PXY8SUuC6CIYpsjC0TlYIxUM0lcTD/Xw/hg=";
inline constexpr std::string_view tv2_hmac_hex = "90c7886ba13b3d763c494b82e82218a6c8c2d1395823150cd257130ff5f0fe18";
inline constexpr std::string_view tv2_gzip_base64 =
    "H4sIAAAAAAAC/y3LwQ6CMBBF0X+ZNSUDRVF+xRDyhr4EoraJNLgg/rtdsL0n95Cdn21NUQZpapVKuDPmKeLNkr60JaVnvWW8GIqeYVpD0bbrrQ2E"
    "g3p13c16d4deHOn93NgVpihPQIYMj/H3B3I6t+9tAAAA";
inline constexpr std::string_view tv2_hmac_over_gzip = "bmLJm1oEywWAHh+bk9ELOf/FciTNRbTm5fQsQHHpfRU=";

inline constexpr std::string_view tv3_timestamp = "2024-11-28T10:30:00Z";
inline constexpr std::string_view tv3_signature = "rim9rYOt/As7AVtMt40dxnAS+K++R0/kPuHJcPb8GQw=";
inline constexpr std::string_view tv3_hmac_hex = "ae29bdad83adfc0b3b015b4cb78d1dc67012f8afbe474fe43ee1c970f6fc190c";

inline constexpr std::string_view tv4_secret = "s3cr3t-\xc3\xa9-key-123";
inline constexpr std::string_view tv4_timestamp = "2025-06-01T00:00:00+00:00";
inline constexpr std::string_view tv4_body = "{\"data\":[{\"fleet_ref\":\"S\xc3\xa3o Paulo \xe2\x80\x93 42\"}]}";
inline constexpr std::string_view tv4_signature = "JSvCV4sJEaAK5JF6N/gGY7uTeNj2OxCGCWJL2qt42Ts=";
inline constexpr std::string_view tv4_hmac_hex = "252bc2578b0911a00ae4917a37f80663bb9378d8f63b108609624bdaab78d93b";

inline constexpr std::string_view malformed_doc_signature = "2jSwOn+crDEbShY66aX1xn6uQXpAU9Ufw=";

inline constexpr std::string_view webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";

} // namespace catena::webhooks::test

#endif
