// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_gzip_body.cpp - bounded gzip decoding of delivery bodies.
//
// Input: bytes read twice. As they are, a gzip member from anywhere. As a plain body, after
// a parameter byte, compressed by zlib itself (level, window, strategy, flushes and optional
// header fields from the input).
// Invariants:
// - Anything: both overloads (whole and in pieces) give the same verdict, the same error
//   and the same bytes; nothing decodes past the size limit.
// - A member zlib wrote decodes to exactly the plain body with the size limit at its size,
//   in pieces of at most 64 KiB; one byte less is inflated_too_large; a ratio limit under
//   its ratio is inflate_ratio_exceeded; cut short it fails; a byte after it is
//   gzip_trailing_garbage, and so is a second member; a flipped bit either fails or changes
//   nothing of the output (a header byte such as MTIME or OS); a reserved FLG bit set is
//   gzip_corrupt (RFC 1952: zlib refused it, ISA-L, which decodes, does not by itself).
// - A body repeated far past the limits (a bomb) is refused under the default ratio.
// One inflater serves every step of an input: reuse must not leak one body into the next.
#include <catena/webhooks/gzip.hpp>

#include "fuzz_support.hpp"

#include <algorithm>

namespace {

namespace cw = catena::webhooks;
using cw::fuzz::require;

// The receiver's own numbers, scaled down so that a run stays fast.
constexpr std::size_t max_bytes = 1u << 20;
constexpr std::size_t piece_bytes = 64u << 10;

struct decoded
{
    cw::error_code ec;
    std::string bytes;
};

decoded whole(cw::inflater& inf, std::string_view in, cw::inflate_limits const& lim)
{
    decoded d;
    d.ec = inf.inflate(in, d.bytes, lim);
    require(d.bytes.size() <= lim.max_inflated_bytes + 1, "inflate grew its output past the limit");
    return d;
}

decoded pieces(cw::inflater& inf, std::string_view in, cw::inflate_limits const& lim)
{
    decoded d;
    d.ec = inf.inflate_each(in, [&](std::string_view p) {
        require(!p.empty() && p.size() <= piece_bytes, "inflate_each handed an empty or oversized piece");
        d.bytes.append(p);
        require(d.bytes.size() <= lim.max_inflated_bytes + piece_bytes, "inflate_each went on past the limit");
    }, lim);
    return d;
}

cw::inflate_limits limits(std::size_t max, std::size_t ratio, std::size_t floor)
{
    cw::inflate_limits l;
    l.max_inflated_bytes = max;
    l.max_ratio = ratio;
    l.ratio_floor_bytes = floor;
    return l;
}

// What must hold of any bytes: the two overloads agree. With the ratio out of the way the
// verdicts must be equal (the ratio is checked after each call into the decoder, and the overloads step
// differently); under the receiver's ratio only what they both decode must be equal.
void any_bytes(cw::inflater& inf, std::string_view in)
{
    auto const roomy = limits(max_bytes, std::size_t(-1), 0);
    auto const a = whole(inf, in, roomy);
    auto const b = pieces(inf, in, roomy);
    require(a.ec == b.ec, "inflate and inflate_each disagree on the same bytes");
    if(!a.ec)
        require(a.bytes == b.bytes && a.bytes.size() <= max_bytes, "inflate and inflate_each decode differently");
    auto const strict = limits(max_bytes, 256, 16u << 10);
    auto const c = whole(inf, in, strict);
    auto const d = pieces(inf, in, strict);
    if(!c.ec && !d.ec)
        require(c.bytes == d.bytes, "inflate and inflate_each decode differently under the ratio");
    if(!c.ec)
        require(!a.ec && c.bytes == a.bytes, "a ratio limit changed what was decoded");
}

bool both_fail_with(cw::inflater& inf, std::string_view in, cw::inflate_limits const& lim, cw::error e)
{
    return whole(inf, in, lim).ec == e && pieces(inf, in, lim).ec == e;
}

bool both_give(cw::inflater& inf, std::string_view in, cw::inflate_limits const& lim, std::string_view plain)
{
    auto const a = whole(inf, in, lim);
    auto const b = pieces(inf, in, lim);
    return !a.ec && !b.ec && a.bytes == plain && b.bytes == plain;
}

void round_trip(cw::inflater& inf, cw::fuzz::bytes_reader& params, std::string_view plain)
{
    static constexpr int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
    std::uint8_t const p = params.byte();
    cw::fuzz::gzip_shape shape;
    shape.level = p % 10;
    shape.window_bits = 9 + (p >> 4) % 7;
    std::uint8_t const q = params.byte();
    shape.strategy = strategies[q % 5];
    shape.mem_level = 1 + (q >> 3) % 9;
    std::uint8_t const h = params.byte();
    shape.name = h & 1;
    shape.comment = h & 2;
    shape.extra = h & 4;
    shape.header_crc = h & 8;
    shape.full_flush = h & 16;
    for(int i = 0; i < (h >> 5); ++i)
        shape.flushes.push_back(params.u16() % (plain.size() + 1));
    std::sort(shape.flushes.begin(), shape.flushes.end());
    auto const gz = cw::fuzz::reference_gzip(plain, shape);

    // At the limit it decodes; a byte under it, it does not.
    auto const exact = limits(plain.size(), std::size_t(-1), 0);
    require(both_give(inf, gz, exact, plain), "a member zlib wrote did not decode to its body");
    if(!plain.empty())
        require(both_fail_with(inf, gz, limits(plain.size() - 1, std::size_t(-1), 0), cw::error::inflated_too_large),
                "a body a byte over the size limit was not inflated_too_large");
    // Over the ratio limit once past the floor: refused (the final step sees the whole ratio).
    std::size_t const ratio = plain.size() / gz.size();
    if(ratio >= 1 && plain.size() > 1024)
        require(both_fail_with(inf, gz, limits(max_bytes, ratio - 1, 1024), cw::error::inflate_ratio_exceeded),
                "a body over the ratio limit was not inflate_ratio_exceeded");

    auto const roomy = limits(max_bytes, std::size_t(-1), 0);
    // Cut short anywhere: never a body.
    std::size_t const cut = params.u16() % gz.size();
    require(whole(inf, gz.substr(0, cut), roomy).ec && pieces(inf, gz.substr(0, cut), roomy).ec,
            "a truncated member decoded");
    // Anything after the member: trailing garbage, a second member included.
    std::string tail = gz + static_cast<char>(params.byte());
    require(both_fail_with(inf, tail, roomy, cw::error::gzip_trailing_garbage), "a byte after the member was accepted");
    require(both_fail_with(inf, gz + gz, roomy, cw::error::gzip_trailing_garbage), "a second member was accepted");
    // One bit flipped: refused, or a byte that does not reach the output.
    std::string flipped = gz;
    flipped[params.u16() % flipped.size()] ^= static_cast<char>(1u << (params.byte() % 8));
    auto const f = whole(inf, flipped, roomy);
    require(f.ec || f.bytes == plain, "a flipped bit changed the output and was not detected");
    require(f.ec == pieces(inf, flipped, roomy).ec, "inflate and inflate_each disagree on a flipped bit");
    // A reserved header flag: refused, whatever follows.
    std::string reserved = gz;
    reserved[3] = static_cast<char>(static_cast<unsigned char>(reserved[3]) | (0x20u << (params.byte() % 3)));
    require(both_fail_with(inf, reserved, roomy, cw::error::gzip_corrupt), "a reserved FLG bit was accepted");
}

// A body repeated far past the receiver's floor compresses beyond 256:1: never decoded. A
// quarter of the inputs build one (it costs a compression of up to 512 KiB).
void bomb(cw::inflater& inf, std::uint8_t repeat, std::string_view plain)
{
    std::size_t const target = (std::size_t{repeat} & 0x3f) << 13; // up to 512 KiB
    if((repeat & 0xc0) != 0xc0 || target <= (64u << 10))
        return;
    std::string big(plain.empty() ? std::string_view("\0", 1) : plain.substr(0, 16));
    while(big.size() < target)
        big += big;
    cw::fuzz::gzip_shape shape;
    shape.level = 1; // fast, and long repeats still reach about 1000:1
    auto const gz = cw::fuzz::reference_gzip(big, shape);
    if(big.size() / gz.size() <= 256)
        return;
    cw::inflate_limits const receiver; // the defaults: 128 MiB, 256:1 past 64 KiB
    require(both_fail_with(inf, gz, receiver, cw::error::inflate_ratio_exceeded), "a bomb was decoded");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    cw::inflater inf; // this input's only
    std::string_view const all(reinterpret_cast<char const*>(data), size);
    any_bytes(inf, all);

    cw::fuzz::bytes_reader params(data, size);
    std::uint8_t const repeat = params.byte();
    std::string_view const plain = all.substr(std::min<std::size_t>(size, 8));
    round_trip(inf, params, plain);
    bomb(inf, repeat, plain);
    return 0;
}
