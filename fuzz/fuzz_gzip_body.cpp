// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_gzip_body.cpp - bounded gzip decoding of delivery bodies.
//
// Invariant: decoding never crashes and never yields more than the limit; a successful
// decode re-compresses and decodes to the same bytes.
#include <catena/webhooks/gzip.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace cw = catena::webhooks;
    static cw::inflater inf;
    static std::string out;
    cw::inflate_limits lim;
    lim.max_inflated_bytes = 1u << 20;
    lim.ratio_floor_bytes = 16u << 10;
    std::string_view const in(reinterpret_cast<char const*>(data), size);
    if(inf.inflate(in, out, lim))
        return 0;
    if(out.size() > lim.max_inflated_bytes)
        std::abort();
    std::string const plain = out;
    cw::inflate_limits roomy;
    roomy.max_ratio = 1u << 30;
    if(inf.inflate(cw::gzip_compress(plain), out, roomy) || out != plain)
        std::abort();
    return 0;
}
