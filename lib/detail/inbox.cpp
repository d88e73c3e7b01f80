// SPDX-License-Identifier: BSL-1.0
// lib/detail/inbox.cpp - the bounded in-memory inbox.
#include "detail/inbox.hpp"

namespace catena::webhooks::detail {

memory_inbox::append_result memory_inbox::append(inbox_entry& e, timestamp now)
{
    auto const rid = e.request_id.empty() ? identity_digest{} : digest_of(e.request_id);
    std::lock_guard lock(mutex_);
    if(!e.request_id.empty() && request_ids_.contains(rid, now))
        return append_result::duplicate;
    if(entries_.size() >= max_entries_ || bytes_ + e.bytes() > max_bytes_)
        return append_result::full;
    e.sequence = next_sequence_++;
    if(!e.request_id.empty())
        request_ids_.insert(rid, now);
    bytes_ += e.bytes();
    entries_.push_back(std::move(e));
    return append_result::kept;
}

std::optional<inbox_entry> memory_inbox::pop()
{
    std::lock_guard lock(mutex_);
    if(entries_.empty())
        return std::nullopt;
    auto e = std::move(entries_.front());
    entries_.pop_front();
    bytes_ -= e.bytes();
    return e;
}

std::size_t memory_inbox::depth() const
{
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::size_t memory_inbox::bytes() const
{
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::optional<timestamp> memory_inbox::oldest_received() const
{
    std::lock_guard lock(mutex_);
    if(entries_.empty())
        return std::nullopt;
    return entries_.front().received_at;
}

} // namespace catena::webhooks::detail
