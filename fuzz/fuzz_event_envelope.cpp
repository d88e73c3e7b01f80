// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_event_envelope.cpp - envelope and record parsing of decompressed bodies.
//
// Input: one option byte (bit 0: tight limits), then the JSON body.
// Invariant: parsing never crashes; a parsed envelope honours the limits, has a
// webhook_id, and every record has a non-empty id and an object of fields. Split in pieces
// (how processing reads a large delivery), an envelope that parses whole gives the same
// records in the same order, piece by piece.
#include <catena/webhooks/envelope.hpp>

#include "processing/envelope_split.hpp"

#include <cstdlib>
#include <string>
#include <vector>

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
    if(auto const l = cw::detail::scan_envelope(body))
    {
        std::vector<std::string> whole;
        for(auto const& r : e.records())
            whole.emplace_back(r.id);
        if(l->records.size() != whole.size())
            std::abort();
        static cw::envelope piece;
        std::size_t at = 0;
        for(std::size_t first = 0, count = 0; first < l->records.size(); first += count)
        {
            count = cw::detail::records_in_piece(*l, first, 64);
            if(piece.parse(cw::detail::envelope_piece(*l, body, first, count), lim) || piece.id() != e.id())
                std::abort();
            for(auto const& r : piece.records())
                if(at >= whole.size() || r.id != whole[at++])
                    std::abort();
        }
        if(at != whole.size())
            std::abort();
    }
    return 0;
}
