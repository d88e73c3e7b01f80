// SPDX-License-Identifier: BSL-1.0
// test/support/support.cpp - helpers shared by the tests.
#include "support.hpp"

#include <catena/webhooks/gzip.hpp>

#include <openssl/evp.h>

namespace catena::webhooks::test {

std::string to_hex(mac const& m)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for(unsigned char b : m)
    {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

std::string base64_decode(std::string_view s)
{
    std::string out(s.size() / 4 * 3 + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<unsigned char const*>(s.data()), static_cast<int>(s.size()));
    if(n < 0)
        return {};
    std::size_t len = static_cast<std::size_t>(n);
    // EVP_DecodeBlock counts padding as zero bytes.
    for(std::size_t i = s.size(); i > 0 && s[i - 1] == '='; --i)
        --len;
    out.resize(len);
    return out;
}

wire_delivery make_delivery(std::string_view secret, std::string_view webhook_id, std::string_view json,
                            timestamp sent, bool gzip, std::string_view event_type)
{
    wire_delivery d;
    d.timestamp = format_rfc3339(sent);
    d.webhook_id = webhook_id;
    d.event_type = event_type;
    d.request_id = "62cb8fea-e017-4b08-86b7-4469fa872b91";
    d.delivery_attempt = "1";
    signer s;
    d.signature = s.sign(secret, d.timestamp, json);
    if(gzip)
    {
        d.content_encoding = "gzip";
        d.body = gzip_compress(json);
    }
    else
    {
        d.body = json;
    }
    return d;
}

timestamp vector_time()
{
    return *parse_rfc3339("2024-11-28T10:30:00Z");
}

} // namespace catena::webhooks::test
