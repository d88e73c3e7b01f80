// SPDX-License-Identifier: BSL-1.0
// lib/detail/inbox.cpp - the bounded in-memory inbox.
#include "detail/inbox.hpp"

namespace catena::webhooks::detail {

void memory_inbox::forget_old_request_ids(timestamp now)
{
    while(!request_id_order_.empty() && request_id_order_.front().first + request_id_memory_ < now)
    {
        request_ids_.erase(request_id_order_.front().second);
        request_id_order_.pop_front();
    }
}

memory_inbox::append_result memory_inbox::append(inbox_entry& e, timestamp now)
{
    std::lock_guard lock(mutex_);
    forget_old_request_ids(now);
    if(!e.request_id.empty() && request_ids_.contains(e.request_id))
        return append_result::duplicate;
    // The request-id memory is bounded by the inbox bound too: a flood of distinct ids
    // cannot grow it without bound (each id was a kept, authentic delivery).
    if(entries_.size() >= max_entries_ || bytes_ + e.bytes() > max_bytes_ ||
       request_id_order_.size() >= max_entries_ * 16)
        return append_result::full;
    e.sequence = next_sequence_++;
    if(!e.request_id.empty())
    {
        request_ids_.insert(e.request_id);
        request_id_order_.emplace_back(now, e.request_id);
    }
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
