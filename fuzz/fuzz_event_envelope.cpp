// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_event_envelope.cpp - envelope and record parsing of decompressed bodies.
//
// Input: one option byte (bit 0: tight limits), then the JSON body.
// Invariant: parsing never crashes; a parsed envelope honours the limits, has a
// webhook_id, and every record has a non-empty id and an object of fields.
#include <catena/webhooks/envelope.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    namespace cw = catena::webhooks;
    if(size == 0)
        return 0;
    static cw::envelope e;
    cw::envelope_limits lim;
    if(data[0] & 1)
    {
        lim.max_depth = 4;
        lim.max_records = 2;
        lim.max_string_bytes = 8;
    }
    std::string_view const body(reinterpret_cast<char const*>(data + 1), size - 1);
    if(e.parse(body, lim))
    {
        if(!e.records().empty())
            std::abort();
        return 0;
    }
    if(e.records().size() > lim.max_records || e.webhook_id().size() > lim.max_string_bytes)
        std::abort();
    for(auto const& r : e.records())
        if(r.id.empty() || r.fields == nullptr)
            std::abort();
    (void)e.check_headers("vehicle.added", e.webhook_id());
    return 0;
}
