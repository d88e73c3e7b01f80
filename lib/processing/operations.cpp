// SPDX-License-Identifier: BSL-1.0
// lib/processing/operations.cpp - tracking of resource operations, decided by webhook, poll or deadline.
#include "processing/operations.hpp"

#include "detail/operation_record.hpp"

#include <algorithm>

namespace catena::webhooks::detail {

operation_tracker::operation_tracker(std::size_t max_tracked, std::chrono::seconds memory, std::size_t max_remembered,
                                     operation_sink& sink, fleet_directory const& fleets)
    : max_tracked_(max_tracked), memory_(memory), max_remembered_(max_remembered), sink_(sink), fleets_(fleets)
{
}

void operation_tracker::drop_deadline(std::string const& id, timestamp deadline)
{
    for(auto [d, e] = deadlines_.equal_range(deadline); d != e; ++d)
        if(d->second == id)
        {
            deadlines_.erase(d);
            return;
        }
}

void operation_tracker::restore(std::vector<stored_operation> ops)
{
    for(auto& op : ops)
    {
        auto const id = op.result.operation_id;
        auto const at = op.completed_at;
        if(op.result.status == operation_status::pending)
        {
            // Tracked before the restart, not decided: tracked again until its deadline (kept
            // as completed_at), its outcome kept for the registration that comes after it.
            if(completed_.contains(id) || tracked_.contains(id))
                continue;
            operation_ref ref{id, op.result.connection_id, op.result.resource};
            operations_.emplace(id, registration{{}, at});
            deadlines_.emplace(at, id);
            tracked_.emplace(id, tracked{ref, at});
            sink_.on_tracked(pending_operation{id, ref.connection_id, ref.resource, at, std::nullopt, 0, {}});
            continue;
        }
        if(auto t = tracked_.find(id); t != tracked_.end())
        {
            // Decided after it was tracked: the pending row was read before its outcome.
            for(auto [first, last] = operations_.equal_range(id); first != last; ++first)
                drop_deadline(id, first->second.deadline);
            operations_.erase(id);
            tracked_.erase(t);
            sink_.on_decided(id);
        }
        if(completed_.insert_or_assign(id, std::move(op)).second)
            completed_order_.emplace_back(at, id);
    }
}

void operation_tracker::on_event(event const& ev, timestamp now)
{
    auto const action = ev.action();
    if(action == "created")
    {
        // Still pending; but its connection (and resource) make a tracked operation pollable.
        auto it = tracked_.find(ev.record_id);
        if(it == tracked_.end() || ev.connection_id.empty() || !it->second.ref.connection_id.empty())
            return;
        auto& ref = it->second.ref;
        ref.connection_id = ev.connection_id;
        if(ref.resource.empty())
            if(auto const* r = ev.record.if_contains("resource"); r && r->is_string())
                ref.resource = std::string(r->get_string());
        sink_.on_tracked(pending_operation{ref.operation_id, ref.connection_id, ref.resource, it->second.deadline,
                                           std::nullopt, 0, {}});
        return;
    }
    auto r = operation_of(ev.record);
    if(action == "succeeded")
        r.status = operation_status::success;
    else if(action == "failed")
        r.status = operation_status::failed;
    else
        return;
    r.operation_id = ev.record_id;
    r.connection_id = ev.connection_id;
    r.fleet_ref = ev.fleet_ref;
    r.source = operation_source::webhook;
    r.event_id = ev.event_id;
    r.idempotency_key = ev.idempotency_key;
    // A poll decided it already: this webhook is the duplicate of that outcome, not a second one.
    if(auto it = completed_.find(r.operation_id);
       it != completed_.end() && it->second.result.source == operation_source::poll)
    {
        ++counts_.duplicate;
        return;
    }
    decide(r, ev.updated_at.value_or(now), now);
}

void operation_tracker::complete_polled(operation_result r, timestamp now)
{
    if(r.status != operation_status::success && r.status != operation_status::failed)
        return;
    if(completed_.contains(r.operation_id))
        return; // decided first by its webhook (or an earlier poll)
    if(auto t = tracked_.find(r.operation_id); t != tracked_.end())
    {
        if(r.connection_id.empty())
            r.connection_id = t->second.ref.connection_id;
        if(r.resource.empty())
            r.resource = t->second.ref.resource;
        ++counts_.polled;
    }
    r.source = operation_source::poll;
    r.event_id.clear();
    r.idempotency_key = "operation/" + r.operation_id + "/poll/" + std::string(to_string(r.status));
    decide(r, now, now);
}

// Completes every registration of the operation with `decided` and keeps it.
void operation_tracker::decide(operation_result const& decided, timestamp updated_at, timestamp now)
{
    auto r = decided;
    // An operation belongs to no fleet, but its connection does (once a record linked them).
    if(!r.connection_id.empty())
        r.fleet_key = fleets_.key_of("connection:" + r.connection_id);

    auto const [first, last] = operations_.equal_range(r.operation_id);
    for(auto it = first; it != last; ++it)
    {
        drop_deadline(r.operation_id, it->second.deadline);
        if(!it->second.handler)
            continue; // taken back from the store; the outcome waits below for its registration
        ++counts_.completed;
        sink_.on_operation(operation_result(r), std::move(it->second.handler));
    }
    operations_.erase(r.operation_id);
    if(tracked_.erase(r.operation_id))
        sink_.on_decided(r.operation_id);

    // Kept for a registration that arrives after the outcome (the webhook can beat the
    // caller's bookkeeping of the 202), also across a restart. Of two outcomes the newer
    // record wins, not the later delivery.
    stored_operation kept{r, updated_at, now};
    auto [it, fresh] = completed_.try_emplace(r.operation_id, kept);
    if(fresh)
        completed_order_.emplace_back(now, r.operation_id);
    else if(kept.updated_at >= it->second.updated_at)
        it->second = kept;
    if(fresh || it->second.updated_at == kept.updated_at)
        sink_.on_outcome(std::move(kept));
    while(completed_order_.size() > max_remembered_)
    {
        completed_.erase(completed_order_.front().second);
        completed_order_.pop_front();
    }
}

void operation_tracker::expire(timestamp now)
{
    while(!deadlines_.empty() && deadlines_.begin()->first <= now)
    {
        auto const id = deadlines_.begin()->second;
        auto const deadline = deadlines_.begin()->first;
        deadlines_.erase(deadlines_.begin());
        auto [first, last] = operations_.equal_range(id);
        for(auto it = first; it != last; ++it)
            if(it->second.deadline == deadline)
            {
                operation_result r;
                r.operation_id = id;
                r.status = operation_status::timed_out;
                r.source = operation_source::timeout;
                r.idempotency_key = "operation/" + id + "/timed_out";
                if(auto t = tracked_.find(id); t != tracked_.end())
                {
                    r.connection_id = t->second.ref.connection_id;
                    r.resource = t->second.ref.resource;
                }
                if(it->second.handler)
                {
                    ++counts_.timed_out;
                    sink_.on_operation(std::move(r), std::move(it->second.handler));
                }
                operations_.erase(it);
                break;
            }
        if(!operations_.contains(id) && tracked_.erase(id))
            sink_.on_decided(id);
    }
    while(!completed_order_.empty() && completed_order_.front().first + memory_ <= now)
    {
        completed_.erase(completed_order_.front().second);
        completed_order_.pop_front();
    }
}

std::optional<timestamp> operation_tracker::next_deadline() const
{
    if(deadlines_.empty())
        return std::nullopt;
    return deadlines_.begin()->first;
}

error_code operation_tracker::track(operation_ref ref, operation_handler h, timestamp deadline)
{
    if(auto it = completed_.find(ref.operation_id); it != completed_.end())
    {
        sink_.on_operation(operation_result(it->second.result), std::move(h));
        return {};
    }
    auto t = tracked_.find(ref.operation_id);
    if(t != tracked_.end())
    {
        // A registration after a restart takes the place of the one taken back from the store.
        for(auto [first, last] = operations_.equal_range(ref.operation_id); first != last;)
            if(!first->second.handler)
            {
                drop_deadline(ref.operation_id, first->second.deadline);
                first = operations_.erase(first);
            }
            else
                ++first;
    }
    if(operations_.size() >= max_tracked_)
    {
        if(t != tracked_.end() && !operations_.contains(ref.operation_id))
        {
            tracked_.erase(t);
            sink_.on_decided(ref.operation_id);
        }
        return error::too_many_operations;
    }
    deadlines_.emplace(deadline, ref.operation_id);
    operations_.emplace(ref.operation_id, registration{std::move(h), deadline});
    if(t == tracked_.end())
        t = tracked_.emplace(ref.operation_id, tracked{operation_ref{ref.operation_id, {}, {}}, deadline}).first;
    auto& known = t->second;
    if(!ref.connection_id.empty())
        known.ref.connection_id = ref.connection_id;
    if(!ref.resource.empty())
        known.ref.resource = ref.resource;
    known.deadline = deadline;
    for(auto [first, last] = operations_.equal_range(ref.operation_id); first != last; ++first)
        known.deadline = std::max(known.deadline, first->second.deadline);
    sink_.on_tracked(pending_operation{known.ref.operation_id, known.ref.connection_id, known.ref.resource,
                                       known.deadline, std::nullopt, 0, {}});
    return {};
}

std::vector<pending_operation> operation_tracker::pending() const
{
    std::vector<pending_operation> out;
    out.reserve(tracked_.size());
    for(auto const& [id, t] : tracked_)
        out.push_back(pending_operation{id, t.ref.connection_id, t.ref.resource, t.deadline, std::nullopt, 0, {}});
    std::sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.operation_id < b.operation_id; });
    return out;
}

} // namespace catena::webhooks::detail
