// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_timestamp.cpp - X-Catena-Timestamp parsing.
//
// Invariant: parsing never crashes; whatever parses formats back to text that parses to
// the same instant, and the freshness check never crashes on it.
#include <catena/webhooks/timestamp.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace cw = catena::webhooks;
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto t = cw::parse_rfc3339(text);
    if(!t)
        return 0;
    auto again = cw::parse_rfc3339(cw::format_rfc3339(*t));
    if(!again || *again != *t)
        std::abort();
    (void)cw::check_freshness(*t, cw::timestamp{}, {});
    return 0;
}
