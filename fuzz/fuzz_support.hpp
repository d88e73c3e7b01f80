// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_support.hpp - what several fuzz targets share: checks that say what broke, a reader of input bytes, and references built on OpenSSL and zlib directly.
#ifndef CATENA_WEBHOOKS_FUZZ_SUPPORT_HPP
#define CATENA_WEBHOOKS_FUZZ_SUPPORT_HPP

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::fuzz {

/// Stops the run when an invariant does not hold, saying which (libFuzzer keeps the input).
inline void require(bool holds, char const* what)
{
    if(holds)
        return;
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

/// Reads an input's bytes as parameters; past the end every read gives zeros.
class bytes_reader
{
public:
    bytes_reader(std::uint8_t const* data, std::size_t size) : p_(data), n_(size) {}
    explicit bytes_reader(std::string_view s) : bytes_reader(reinterpret_cast<std::uint8_t const*>(s.data()), s.size()) {}

    std::uint8_t byte()
    {
        if(n_ == 0)
            return 0;
        --n_;
        return *p_++;
    }
    std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
    std::uint32_t u32() { return u16() | (static_cast<std::uint32_t>(u16()) << 16); }
    std::uint64_t u64() { return u32() | (static_cast<std::uint64_t>(u32()) << 32); }
    /// Up to `n` bytes (fewer at the end).
    std::string_view take(std::size_t n)
    {
        n = n < n_ ? n : n_;
        std::string_view const s(reinterpret_cast<char const*>(p_), n);
        p_ += n;
        n_ -= n;
        return s;
    }
    std::string_view rest() { return take(n_); }
    std::size_t left() const noexcept { return n_; }

private:
    std::uint8_t const* p_;
    std::size_t n_;
};

/// HMAC-SHA256(key, timestamp "." body) by OpenSSL's one-shot HMAC, as spec §3.1 writes it:
/// independent of the library's signer.
inline std::array<unsigned char, 32> reference_mac(std::string_view key, std::string_view timestamp,
                                                   std::string_view body)
{
    std::string message;
    message.reserve(timestamp.size() + 1 + body.size());
    message.append(timestamp).append(".").append(body);
    std::array<unsigned char, 32> mac{};
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(message.data()),
         message.size(), mac.data(), &mac_len);
    require(mac_len == mac.size(), "reference HMAC-SHA256 is 32 bytes");
    return mac;
}

/// The X-Catena-Signature value: the reference MAC in standard Base64 by OpenSSL's encoder.
inline std::string reference_signature(std::string_view key, std::string_view timestamp, std::string_view body)
{
    auto const mac = reference_mac(key, timestamp, body);
    unsigned char text[64];
    int const n = EVP_EncodeBlock(text, mac.data(), static_cast<int>(mac.size()));
    return std::string(reinterpret_cast<char const*>(text), static_cast<std::size_t>(n));
}

/// Spec §3.2 step 7 read plainly: spaces and tabs around, then exactly 43 characters of the
/// standard alphabet and one "=", the last character's unused bits zero; the 32 bytes.
inline std::optional<std::array<unsigned char, 32>> reference_decode_signature(std::string_view s)
{
    while(!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while(!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if(s.size() != 44 || s[43] != '=')
        return std::nullopt;
    std::array<unsigned char, 32> out{};
    unsigned bits = 0, held = 0;
    std::size_t n = 0;
    for(std::size_t i = 0; i < 43; ++i)
    {
        auto const v = alphabet.find(s[i]);
        if(v == std::string_view::npos)
            return std::nullopt;
        held = (held << 6) | static_cast<unsigned>(v);
        bits += 6;
        if(bits >= 8)
        {
            bits -= 8;
            out[n++] = static_cast<unsigned char>(held >> bits);
            held &= (1u << bits) - 1;
        }
    }
    if(held != 0) // the two bits left over must be zero in the canonical form
        return std::nullopt;
    return out;
}

/// How the reference compressor writes a gzip member (zlib's deflate with a gzip wrapper).
struct gzip_shape
{
    int level = 6;                  ///< 0 (stored blocks) to 9
    int window_bits = 15;           ///< 9 to 15
    int mem_level = 8;              ///< 1 to 9
    int strategy = Z_DEFAULT_STRATEGY;
    bool name = false, comment = false, extra = false, header_crc = false; ///< optional header fields
    std::vector<std::size_t> flushes; ///< input offsets where a Z_SYNC_FLUSH or Z_FULL_FLUSH cuts a block
    bool full_flush = false;
};

/// `plain` as one gzip member written by zlib itself with `shape`.
inline std::string reference_gzip(std::string_view plain, gzip_shape const& shape)
{
    z_stream zs{};
    if(deflateInit2(&zs, shape.level, Z_DEFLATED, 16 + shape.window_bits, shape.mem_level, shape.strategy) != Z_OK)
        std::abort();
    gz_header head{};
    std::string name = "body.json", comment = "fuzz", extra = "ab\x04\x00wxyz";
    if(shape.name || shape.comment || shape.extra || shape.header_crc)
    {
        head.name = shape.name ? reinterpret_cast<Bytef*>(name.data()) : Z_NULL;
        head.comment = shape.comment ? reinterpret_cast<Bytef*>(comment.data()) : Z_NULL;
        head.extra = shape.extra ? reinterpret_cast<Bytef*>(extra.data()) : Z_NULL;
        head.extra_len = shape.extra ? static_cast<uInt>(extra.size()) : 0;
        head.hcrc = shape.header_crc ? 1 : 0;
        head.os = 3;
        deflateSetHeader(&zs, &head);
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(plain.size())) + 64 + 16 * shape.flushes.size(), '\0');
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    std::size_t at = 0;
    auto const feed = [&](std::size_t to, int flush) {
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data() + at));
        zs.avail_in = static_cast<uInt>(to - at);
        return deflate(&zs, flush);
    };
    for(auto cut : shape.flushes)
        if(cut > at && cut < plain.size())
        {
            require(feed(cut, shape.full_flush ? Z_FULL_FLUSH : Z_SYNC_FLUSH) == Z_OK, "reference gzip: a flush");
            at = cut;
        }
    require(feed(plain.size(), Z_FINISH) == Z_STREAM_END, "reference gzip: the member ends");
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

} // namespace catena::webhooks::fuzz

#endif
