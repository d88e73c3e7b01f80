// SPDX-License-Identifier: BSL-1.0
// lib/processing/decode.cpp - the records of a parsed envelope as events.
#include "processing/decode.hpp"

#include <string_view>
#include <unordered_map>

namespace catena::webhooks::detail {

event decode_record(envelope const& env, record const& r, std::size_t i, inbox_entry const& e)
{
    event ev;
    ev.event_name = env.event_name();
    ev.event_id = env.id();
    ev.webhook_id = e.webhook_id;
    ev.request_id = e.request_id;
    ev.record_id = r.id;
    ev.fleet_id = r.fleet_id;
    ev.fleet_ref = r.fleet_ref;
    ev.connection_id = r.connection_id;
    // A connection record is the connection: its id is the connection id.
    if(ev.connection_id.empty() && env.resource() == "connection")
        ev.connection_id = r.id;
    ev.invitation_id = r.invitation_id;
    ev.status = r.status;
    ev.occurred_at = r.occurred_at;
    ev.updated_at = r.updated_at;
    ev.created_at = r.created_at;
    ev.delivery_attempt = e.delivery_attempt;
    ev.sequence = e.sequence;
    ev.record_index = i;
    return ev;
}

void count_repeats(std::span<record const> records, bool envelope_has_id, std::vector<std::size_t>& out)
{
    out.assign(records.size(), 0);
    if(!envelope_has_id || records.size() < 2)
        return;
    // Few records are compared pairwise, many through a table: both number repeats alike.
    if(records.size() <= 16)
    {
        for(std::size_t i = 1; i < records.size(); ++i)
            for(std::size_t j = 0; j < i; ++j)
                out[i] += records[j].id == records[i].id;
        return;
    }
    std::unordered_map<std::string_view, std::size_t> seen;
    for(std::size_t i = 0; i < records.size(); ++i)
        out[i] = seen[records[i].id]++;
}

void count_repeats(std::span<record const> records, bool envelope_has_id, std::vector<std::size_t>& out,
                   std::unordered_map<std::string, std::size_t>& seen)
{
    out.assign(records.size(), 0);
    if(!envelope_has_id)
        return;
    for(std::size_t i = 0; i < records.size(); ++i)
        out[i] = seen[std::string(records[i].id)]++;
}

} // namespace catena::webhooks::detail
