// SPDX-License-Identifier: BSL-1.0
// lib/processing/identity.cpp - content digests and what is known of each record.
#include "processing/identity.hpp"

#include <boost/json/value.hpp>

#include <bit>
#include <cstring>
#include <functional>

namespace catena::webhooks::detail {

namespace {

namespace json = boost::json;

// Two independent 64-bit lanes, each a multiply-xorshift mix of 64-bit words.
struct hasher
{
    std::uint64_t a = 0x243f6a8885a308d3ull;
    std::uint64_t b = 0x13198a2e03707344ull;

    void word(std::uint64_t x) noexcept
    {
        a = (a ^ x) * 0x9e3779b97f4a7c15ull;
        a ^= a >> 29;
        b = (b + x) * 0xbf58476d1ce4e5b9ull;
        b ^= std::rotl(b, 31);
    }
    void text(std::string_view s) noexcept
    {
        std::size_t i = 0;
        for(; i + 8 <= s.size(); i += 8)
        {
            std::uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            word(w);
        }
        std::uint64_t tail = 0;
        std::memcpy(&tail, s.data() + i, s.size() - i);
        word(tail ^ (static_cast<std::uint64_t>(s.size()) << 56));
    }
    void value(json::value const& v) noexcept
    {
        word(static_cast<std::uint64_t>(v.kind()) + 0x51);
        switch(v.kind())
        {
        case json::kind::null: break;
        case json::kind::bool_: word(v.get_bool() ? 1 : 0); break;
        case json::kind::int64: word(static_cast<std::uint64_t>(v.get_int64())); break;
        case json::kind::uint64: word(v.get_uint64()); break;
        case json::kind::double_: word(std::bit_cast<std::uint64_t>(v.get_double())); break;
        case json::kind::string: text(v.get_string()); break;
        case json::kind::array:
            word(v.get_array().size());
            for(auto const& e : v.get_array())
                value(e);
            break;
        case json::kind::object: object(v.get_object()); break;
        }
    }
    void object(json::object const& o) noexcept
    {
        word(o.size());
        for(auto const& kv : o)
        {
            text(kv.key());
            value(kv.value());
        }
    }
    identity_digest digest() const noexcept { return {a ^ (b >> 17), b ^ (a << 13)}; }
};

} // namespace

identity_digest content_digest(event const& ev) noexcept
{
    hasher h;
    h.text(ev.event_name);
    h.object(ev.record);
    return h.digest();
}

identity_digest record_digest(std::string_view resource, std::string_view record_id) noexcept
{
    hasher h;
    h.text(resource);
    h.text(record_id);
    return h.digest();
}

record_memory::entry& record_memory::touch(identity_digest record)
{
    if(auto* e = entries_.find(record))
        return *e;
    if(entries_.size() >= max_)
    {
        // The oldest goes first.
        entries_.pop_front();
        ++forgotten_;
    }
    return entries_.push_back(record, entry{});
}

std::optional<identity_digest> record_memory::last_content(identity_digest record) const
{
    auto const* e = entries_.find(record);
    if(!e || !e->has_content)
        return std::nullopt;
    return e->content;
}

void record_memory::set_content(identity_digest record, identity_digest content)
{
    auto& e = touch(record);
    e.content = content;
    e.has_content = true;
}

bool record_memory::late(identity_digest record, order_key const& key, bool remember)
{
    if(!remember)
    {
        auto const* e = entries_.find(record);
        return e && e->older(key);
    }
    auto& e = touch(record);
    if(e.older(key))
        return true;
    e.applied = true;
    e.time = key.time;
    e.rank = key.rank;
    e.updated = key.updated;
    return false;
}

bool subscription_memory::from_another(identity_digest what, std::string_view webhook_id, timestamp now)
{
    if(!primary_)
        primary_.emplace(webhook_id);
    identity_digest const by_other{what.hi ^ other.hi, what.lo ^ other.lo};
    if(webhook_id == *primary_)
    {
        // One digest per event: through the primary, an event is its own unless another
        // subscription delivered it first.
        if(seen_.insert(what, now))
            return false;
        return seen_.contains(by_other, now);
    }
    hasher h;
    h.text(webhook_id);
    auto const sub = h.digest();
    identity_digest const mine{what.hi ^ sub.hi, what.lo ^ sub.lo};
    // Only the subscription that delivered it first is remembered with it: a repeat through
    // that one is its own (a state that came back), through any other a duplicate.
    if(seen_.insert(what, now))
    {
        seen_.insert(mine, now);
        seen_.insert(by_other, now);
        return false;
    }
    return !seen_.contains(mine, now);
}

} // namespace catena::webhooks::detail
