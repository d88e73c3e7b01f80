// SPDX-License-Identifier: BSL-1.0
// lib/verify/signature.cpp - HMAC-SHA256 and Base64 through OpenSSL.
#include <catena/webhooks/signature.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <new>

namespace catena::webhooks {

namespace {

// Fetched once: EVP_MAC_fetch walks the provider tables and is far too slow per message.
EVP_MAC* hmac_algorithm()
{
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if(!mac)
        throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
    return mac;
}

unsigned char const* bytes(std::string_view s) noexcept
{
    return reinterpret_cast<unsigned char const*>(s.data());
}

} // namespace

struct signer::impl
{
    EVP_MAC_CTX* ctx = nullptr;

    impl()
    {
        ctx = EVP_MAC_CTX_new(hmac_algorithm());
        if(!ctx)
            throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end(),
        };
        if(EVP_MAC_CTX_set_params(ctx, params) != 1)
        {
            EVP_MAC_CTX_free(ctx); // GCOVR_EXCL_LINE
            throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
        }
    }
    ~impl() { EVP_MAC_CTX_free(ctx); }
};

signer::signer() : impl_(std::make_unique<impl>()) {}
signer::~signer() = default;
signer::signer(signer&&) noexcept = default;
signer& signer::operator=(signer&&) noexcept = default;

void signer::begin(std::string_view key, std::string_view timestamp_text)
{
    auto* ctx = impl_->ctx;
    // An empty key is legal for HMAC but OpenSSL wants a non-null pointer for it.
    static unsigned char const empty_key = 0;
    bool const ok = EVP_MAC_init(ctx, key.empty() ? &empty_key : bytes(key), key.size(), nullptr) == 1 &&
                    EVP_MAC_update(ctx, bytes(timestamp_text), timestamp_text.size()) == 1 &&
                    EVP_MAC_update(ctx, bytes("."), 1) == 1;
    if(!ok)
        throw std::bad_alloc(); // GCOVR_EXCL_LINE: only allocation can fail for a fixed digest
}

void signer::update(std::string_view piece)
{
    if(EVP_MAC_update(impl_->ctx, bytes(piece), piece.size()) != 1)
        throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
}

mac signer::finish()
{
    mac out{};
    std::size_t len = 0;
    if(EVP_MAC_final(impl_->ctx, out.data(), &len, out.size()) != 1 || len != out.size())
        throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
    return out;
}

mac signer::compute(std::string_view key, std::string_view timestamp_text, std::string_view body)
{
    begin(key, timestamp_text);
    update(body);
    return finish();
}

std::string signer::sign(std::string_view key, std::string_view timestamp_text, std::string_view body)
{
    return encode_signature(compute(key, timestamp_text, body));
}

result<mac> decode_signature(std::string_view h) noexcept
{
    while(!h.empty() && (h.front() == ' ' || h.front() == '\t'))
        h.remove_prefix(1);
    while(!h.empty() && (h.back() == ' ' || h.back() == '\t'))
        h.remove_suffix(1);

    auto const bad = make_error_code(error::malformed_signature);
    // 32 bytes are 43 Base64 digits and one '='.
    if(h.size() != 44 || h[43] != '=')
        return bad;
    // EVP_DecodeBlock is lenient (it skips whitespace, accepts '=' anywhere at the end), so
    // check the alphabet first: only [A-Za-z0-9+/] before the padding.
    for(std::size_t i = 0; i < 43; ++i)
    {
        char const c = h[i];
        bool const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '+' || c == '/';
        if(!ok)
            return bad;
    }
    unsigned char buf[33];
    // Decodes 44 characters to 33 bytes: the 32 MAC bytes and a zero from the padding.
    if(EVP_DecodeBlock(buf, bytes(h), 44) != 33)
        return bad;
    // Canonical form: the last digit's two unused low bits must be zero, so that one MAC
    // has exactly one accepted spelling.
    char const last = h[42];
    int const last_value = last >= 'A' && last <= 'Z'   ? last - 'A'
                           : last >= 'a' && last <= 'z' ? last - 'a' + 26
                           : last >= '0' && last <= '9' ? last - '0' + 52
                           : last == '+'                ? 62
                                                        : 63;
    if((last_value & 0x3) != 0)
        return bad;
    mac out;
    std::copy(buf, buf + 32, out.begin());
    return out;
}

std::string encode_signature(mac const& m)
{
    unsigned char buf[45];
    int const n = EVP_EncodeBlock(buf, m.data(), static_cast<int>(m.size()));
    return std::string(reinterpret_cast<char const*>(buf), static_cast<std::size_t>(n));
}

bool mac_equal(mac const& a, mac const& b) noexcept
{
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace catena::webhooks
