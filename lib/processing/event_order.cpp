// SPDX-License-Identifier: BSL-1.0
// lib/processing/event_order.cpp - the release order of an event, read from its times, its step and its ids (spec §5.4).
#include "processing/event_order.hpp"

#include <boost/json/object.hpp>

namespace catena::webhooks::detail {

namespace {

std::optional<timestamp> time_field(boost::json::object const& o, std::string_view key)
{
    if(auto const* v = o.if_contains(key); v && v->is_string())
        if(auto t = parse_rfc3339(v->get_string()))
            return *t;
    return std::nullopt;
}

} // namespace

std::optional<timestamp> uuid_v7_time(std::string_view id) noexcept
{
    if(id.size() != 36 || id[14] != '7')
        return std::nullopt;
    std::uint64_t ms = 0;
    int digits = 0;
    for(char c : id.substr(0, 13))
    {
        if(c == '-')
            continue;
        int v;
        if(c >= '0' && c <= '9')
            v = c - '0';
        else if(c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if(c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return std::nullopt;
        ms = ms << 4 | static_cast<unsigned>(v);
        ++digits;
    }
    if(digits != 12)
        return std::nullopt;
    return timestamp{std::chrono::milliseconds(static_cast<long long>(ms))};
}

std::uint8_t step_rank(std::string_view event_name) noexcept
{
    if(!event_name.starts_with("invitation."))
        return 0;
    auto const action = event_name.substr(11);
    if(action == "created")
        return 0;
    if(action == "sent")
        return 1;
    if(action == "viewed")
        return 2;
    return 3;
}

order_key order_key_of(event const& ev, std::string_view envelope_id, std::uint32_t index, std::uint64_t sequence,
                       timestamp received_at)
{
    order_key k;
    order_key_of(k, ev, envelope_id, index, sequence, received_at);
    return k;
}

void order_key_of(order_key& k, event const& ev, std::string_view envelope_id, std::uint32_t index,
                  std::uint64_t sequence, timestamp received_at)
{
    // Every field is written: `k` may hold an earlier event's key.
    k.tie = 0;
    k.rank = step_rank(ev.event_name);
    k.updated = ev.updated_at.value_or(timestamp{});
    k.envelope_id.assign(envelope_id);
    k.record_index = index;
    k.record_id.assign(ev.record_id);
    k.sequence = sequence;
    if(ev.occurred_at)
    {
        k.time = *ev.occurred_at;
        return;
    }
    // The time of a fact (docs/processing.md): the action's own time where it has one.
    auto const action = ev.action();
    bool const invitation = ev.event_name.starts_with("invitation.");
    std::optional<timestamp> t;
    if(action == "accepted")
        t = time_field(ev.record, "accepted_at");
    else if(action == "declined" || action == "rejected")
        t = time_field(ev.record, "declined_at");
    else if(invitation && action == "expired")
        t = time_field(ev.record, "expires_at"); // "the link lapsed"
    else if(invitation && action == "deleted")
    {
        // The deletion's own time: an invitation record's created_at is the invitation's.
        t = time_field(ev.record, "deleted_at");
        if(!t)
            t = ev.updated_at;
        if(!t)
            t = uuid_v7_time(envelope_id);
    }
    if(!t)
        t = ev.updated_at;
    if(!t && ev.created_at)
    {
        // Every step of an invitation carries its created_at: Catena's order tells them apart.
        t = ev.created_at;
        k.tie = k.rank;
    }
    if(!t)
        t = uuid_v7_time(envelope_id);
    k.time = t.value_or(received_at);
}

} // namespace catena::webhooks::detail
