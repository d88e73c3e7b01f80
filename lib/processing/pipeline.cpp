// SPDX-License-Identifier: BSL-1.0
// lib/processing/pipeline.cpp - decode, dedup, reorder, lifecycle; resource operations and subscription health.
#include "processing/pipeline.hpp"

#include "processing/decode.hpp"
#include "processing/envelope_split.hpp"
#include "processing/event_order.hpp"
#include "detail/json_fields.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace catena::webhooks::detail {

namespace json = boost::json;

namespace {

std::int64_t millis(timestamp t) noexcept
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The envelope's identity (subscription, envelope id, record); without an envelope id, the
// record's: its event, id and content (spec C5).
std::string idempotency_key_of(event const& e, identity_digest content)
{
    std::string key;
    if(!e.event_id.empty())
    {
        key.reserve(e.webhook_id.size() + e.event_id.size() + e.record_id.size() + 2);
        key.append(e.webhook_id).append("/").append(e.event_id).append("/").append(e.record_id);
        return key;
    }
    static constexpr char hex[] = "0123456789abcdef";
    key.reserve(e.event_name.size() + e.record_id.size() + 2 + 32);
    key.append(e.event_name).append("/").append(e.record_id).append("/");
    for(auto const word : {content.hi, content.lo})
        for(int shift = 60; shift >= 0; shift -= 4)
            key += hex[(word >> shift) & 0xf];
    return key;
}

} // namespace

pipeline::pipeline(pipeline_options opts, pipeline_sink& sink)
    : opts_(std::move(opts))
    , sink_(sink)
    , dedup_(opts_.processing.dedup_retention, opts_.processing.dedup_max_identities)
    , reorder_(opts_.processing.reorder_window, opts_.processing.reorder_max_events,
               opts_.processing.reorder_max_bytes)
    , fleets_(opts_.processing.max_history_per_fleet)
    , records_(opts_.processing.max_record_versions)
    , subscriptions_(opts_.processing.cross_subscription_window, opts_.processing.max_cross_subscription_events)
    , operations_(opts_.processing.max_tracked_operations, opts_.operation_result_memory,
                  opts_.max_remembered_operations, sink, fleets_)
{
}

void pipeline::restore(std::vector<fleet_capture> fleets, std::vector<transition> const& history,
                       std::vector<std::pair<identity_digest, timestamp>> const& identities)
{
    for(auto& f : fleets)
        fleets_.restore(std::move(f));
    fleets_.restore_history(history);
    for(auto const& [d, t] : identities)
        dedup_.insert(d, t);
}

push_result pipeline::push(inbox_entry const& e, timestamp now)
{
    push_result result;
    now_ = std::max(now_, now);
    auto const evicted_before = dedup_.evicted_early();
    // A large delivery is parsed in pieces: no delivery becomes one tree of its whole size.
    std::optional<envelope_layout> layout;
    if(e.body.size() > opts_.piece_bytes)
        layout = scan_envelope(e.body);
    if(layout && layout->records.size() > 1)
        push_pieces(e, *layout, now, result);
    else if(auto ec = parse_whole(e))
        dead_letter_of(e, ec);
    else if(admit_envelope(e, now, result))
    {
        count_repeats(env_.records(), !env_.id().empty(), repeats_);
        push_records(e, 0, e.body.size() / std::max<std::size_t>(env_.records().size(), 1), now, result);
    }
    // With a store to recall from, memory is only a cache: forgetting early costs a lookup.
    if(auto const evicted = dedup_.evicted_early(); evicted != evicted_before && !recall_)
        sink_.on_problem(error::dedup_memory_full,
                         std::to_string(evicted - evicted_before) +
                             " identities forgotten early; raise the identity bound to keep them for the whole retention",
                         nullptr);
    return result;
}

push_result pipeline::push_decoded(inbox_entry const& e, result<event> decoded, timestamp now)
{
    push_result result;
    now_ = std::max(now_, now);
    if(!decoded)
    {
        dead_letter_of(e, decoded.error());
        return result;
    }
    auto& ev = *decoded;
    // The provider's id scoped by the route: a retry, a resend or a replayed copy is the same
    // event. Its time (the key's place on disk) must be the same on every copy: the event's
    // own when it carries one, else none.
    std::string identity;
    identity.reserve(e.route.size() + ev.event_id.size() + 3);
    identity.append("p\x1f").append(e.route).append("\x1f").append(ev.event_id);
    identity_key const k{digest_of(identity), ev.occurred_at ? millis(*ev.occurred_at) : 0};
    if(seen_before(k, false, !e.replay, now) && !e.replay)
    {
        ++stats_.duplicate_events;
        return result;
    }
    result.identities.push_back(k);
    order_key_of(key_, ev, {}, 0, e.sequence, e.received_at);
    auto const bytes = e.body.size() + sizeof(event) + ev.idempotency_key.size() + 128;
    reorder_.push(key_, std::move(ev), bytes, now);
    ++result.events;
    if(reorder_.over_bounds())
        release(now, 0);
    return result;
}

error_code pipeline::parse_whole(inbox_entry const& e)
{
    auto ec = env_.parse(e.body, opts_.envelope);
    if(!ec)
        ec = env_.check_headers(e.event_type, e.webhook_id);
    return ec;
}

void pipeline::dead_letter_of(inbox_entry const& e, error_code ec)
{
    dead_letter d;
    d.kind = dead_letter_kind::undecodable;
    d.sequence = e.sequence;
    d.ec = ec;
    d.reason = reason(ec);
    d.request_id = e.request_id;
    d.webhook_id = e.webhook_id;
    d.event_type = e.event_type;
    d.body = e.body;
    d.route = e.route;
    sink_.on_dead_letter(std::move(d));
}

// Every piece is parsed once before any is processed, so that a delivery with one bad record
// is dead-lettered whole, as when it is parsed at once; then piece by piece again. Memory is
// one piece's tree (about piece_bytes of records) at a time.
void pipeline::push_pieces(inbox_entry const& e, envelope_layout const& l, timestamp now, push_result& result)
{
    auto const n = l.records.size();
    if(n > opts_.envelope.max_records)
        return dead_letter_of(e, error::too_many_records);
    for(std::size_t first = 0, count = 0; first < n; first += count)
    {
        count = records_in_piece(l, first, opts_.piece_bytes);
        auto ec = env_.parse(envelope_piece(l, e.body, first, count), opts_.envelope);
        if(!ec && first == 0)
            ec = env_.check_headers(e.event_type, e.webhook_id);
        if(ec)
            return dead_letter_of(e, ec);
    }
    std::unordered_map<std::string, std::size_t> ids; // repeats of an id across pieces
    auto const per_record_bytes = e.body.size() / n;
    for(std::size_t first = 0, count = 0; first < n; first += count)
    {
        count = records_in_piece(l, first, opts_.piece_bytes);
        auto const piece = envelope_piece(l, e.body, first, count);
        if(env_.parse(piece, opts_.envelope))
            return; // parsed above: cannot happen
        if(first == 0 && !admit_envelope(e, now, result))
            return;
        count_repeats(env_.records(), !env_.id().empty(), repeats_, ids);
        push_records(e, first, per_record_bytes, now, result);
    }
}

// The envelope's identity (spec C1/C5): the envelope id scoped by subscription when there
// is one. False when it was seen before (and this is no replay): nothing more to do.
bool pipeline::admit_envelope(inbox_entry const& e, timestamp now, push_result& result)
{
    auto const envelope_id = env_.id();
    if(envelope_id.empty())
        return true;
    std::string identity;
    identity.reserve(e.webhook_id.size() + envelope_id.size() + 3);
    identity.append("e\x1f").append(e.webhook_id).append("\x1f").append(envelope_id);
    auto const created = uuid_v7_time(envelope_id);
    identity_key const k{digest_of(identity), created ? millis(*created) : 0};
    if(seen_before(k, created.has_value(), !e.replay, now) && !e.replay)
    {
        ++stats_.duplicate_events;
        return false;
    }
    result.identities.push_back(k);
    return true;
}

// The records of the parsed envelope (or piece), `base` the index of its first in the delivery.
void pipeline::push_records(inbox_entry const& e, std::size_t base, std::size_t per_record_bytes, timestamp now,
                            push_result& result)
{
    auto const envelope_id = env_.id();
    auto const records = env_.records();
    for(std::size_t i = 0; i < records.size(); ++i)
    {
        auto ev = decode_record(env_, records[i], base + i, e);
        // Last use of the record's views: its fields move into the event.
        ev.record = env_.take_fields(i);
        auto const content = content_digest(ev);
        ev.idempotency_key = idempotency_key_of(ev, content);
        if(repeats_[i] > 0)
            ev.idempotency_key += "#" + std::to_string(repeats_[i]);
        if(envelope_id.empty())
        {
            // Without an envelope id: the same content as the record's last is a duplicate;
            // an older content of it is a new fact on a first attempt (the state went back,
            // as in staled -> created -> staled) and a retry otherwise (spec §5.4).
            auto const record = record_digest(env_.resource(), ev.record_id);
            auto const at = ev.occurred_at ? ev.occurred_at : ev.updated_at;
            identity_key const k{digest_of("r\x1f" + ev.idempotency_key), at ? millis(*at) : 0};
            if(seen_before(k, false, !e.replay, now) && !e.replay)
            {
                auto const last = records_.last_content(record);
                if(!last || *last == content || e.delivery_attempt != 1)
                {
                    ++stats_.duplicate_events;
                    continue;
                }
                ++stats_.repeated_facts;
                ev.idempotency_key += "#r" + std::to_string(e.sequence);
            }
            else
                result.identities.push_back(k);
            records_.set_content(record, content);
        }
        // The same event through another subscription (a second X-Webhook-ID, another
        // envelope id, the same record).
        if(opts_.processing.dedup_across_subscriptions && !e.replay)
        {
            identity_digest what = record_digest(ev.event_name, ev.record_id);
            what.hi ^= content.hi;
            what.lo ^= content.lo;
            // A record with no time of its own (connection, fleet_connection, schedule) says the
            // same when the state comes back (staled -> created -> staled): what tells a copy
            // through another subscription (sent along with it) from the state coming back is
            // when it was sent, the minute of its envelope id.
            if(!ev.occurred_at && !ev.updated_at && !ev.created_at)
                if(auto const sent = uuid_v7_time(envelope_id))
                    what.lo ^= static_cast<std::uint64_t>(
                                   std::chrono::duration_cast<std::chrono::minutes>(sent->time_since_epoch()).count()) *
                               0x9e3779b97f4a7c15ull;
            if(subscriptions_.from_another(what, e.webhook_id, now))
            {
                ++stats_.cross_subscription_duplicates;
                continue;
            }
        }
        order_key_of(key_, ev, envelope_id, static_cast<std::uint32_t>(base + i), e.sequence, e.received_at);
        auto const bytes = per_record_bytes + sizeof(event) + ev.idempotency_key.size() * 2 + 128;
        reorder_.push(key_, std::move(ev), bytes, now);
        ++result.events;
        // The bounds hold at every step, even within one delivery of many records.
        if(reorder_.over_bounds())
            release(now, 0);
    }
}

void pipeline::restore_operations(std::vector<stored_operation> ops) { operations_.restore(std::move(ops)); }

void pipeline::recall_with(std::function<bool(identity_key const&)> f, timestamp since)
{
    recall_ = std::move(f);
    recall_since_ = since;
}

bool pipeline::seen_before(identity_key const& k, bool at_is_creation, bool look_up, timestamp now)
{
    if(!dedup_.insert(k.digest, now))
        return true;
    if(!recall_ || !look_up)
        return false;
    // No earlier run left identities and memory forgot none early: memory holds every
    // identity the store has, and its answer is final.
    auto const held_since = std::max(dedup_.complete_since(), recall_since_);
    if(held_since == timestamp{})
        return false;
    // An envelope id's UUID v7 time is when Catena created the event, before it first sent
    // it, so no sighting of it lies earlier than that minus the accepted clock skew: when
    // memory holds every identity seen since then, memory has the answer. A record's
    // occurred_at comes from a device clock and proves nothing.
    if(at_is_creation)
    {
        if(timestamp{std::chrono::milliseconds(k.at_ms)} - opts_.identity_clock_margin >= held_since)
            return false;
    }
    ++stats_.identity_lookups;
    if(!recall_(k))
        return false;
    ++stats_.identities_recalled;
    return true;
}

bool pipeline::release(timestamp now, std::size_t max_events)
{
    now_ = std::max(now_, now);
    auto const early_before = reorder_.released_early();
    bool const more =
        reorder_.release(now, [this](order_key const& k, event&& ev) { deliver(k, std::move(ev)); }, max_events);
    if(auto const early = reorder_.released_early(); early != early_before)
    {
        stats_.released_early += early - early_before;
        sink_.on_problem(error::released_early,
                         std::to_string(early - early_before) + " events released before their reorder window ended",
                         nullptr);
    }
    operations_.expire(now);
    return more;
}

void pipeline::flush(timestamp now)
{
    now_ = std::max(now_, now);
    reorder_.flush([this](order_key const& k, event&& ev) { deliver(k, std::move(ev)); });
    operations_.expire(now);
}

std::optional<timestamp> pipeline::next_due() const
{
    auto due = reorder_.next_due();
    if(auto const d = operations_.next_deadline(); d && (!due || *d < *due))
        due = d;
    return due;
}

void pipeline::deliver(order_key const& key, event&& ev)
{
    if(ev.provider != "catena")
    {
        // Another provider's event: no fleet, no lifecycle.
        ++stats_.events;
        auto const sequence = ev.sequence;
        sink_.on_event(std::move(ev));
        sink_.on_settled(sequence, {});
        return;
    }
    out_.merges.clear();
    out_.transitions.clear();
    out_.impossible.clear();
    // Last-writer-wins per data record (lifecycle records are judged by their fleet). A first
    // version (*.added) is remembered too, so that an older *.modified after it is late, but
    // not for a resource Catena never modifies (vehicle_location, most of the traffic): its
    // versions would only crowd out those that matter.
    bool late_record = false;
    if(kind_of_event(ev.resource()) == event_kind::data)
        late_record = records_.late(record_digest(ev.resource(), ev.record_id), key,
                                    ev.action() != "added" || ev.resource() != "vehicle_location");
    fleets_.apply(ev, key, out_, late_record);
    ++stats_.events;
    for(auto& m : out_.merges)
    {
        ++stats_.merges;
        sink_.on_merge(std::move(m));
    }
    if(ev.late)
        ++stats_.late_events;
    if(!out_.impossible.empty())
    {
        ++stats_.impossible_transitions;
        sink_.on_problem(error::impossible_transition, std::move(out_.impossible), &ev);
    }

    std::optional<subscription_event> sub;
    auto const resource = ev.resource();
    if(resource == "webhook")
    {
        sub.emplace();
        sub->action = ev.action();
        sub->subscription_id = ev.record_id;
        sub->delivered_by = ev.webhook_id;
        sub->status = ev.status;
        sub->url = string_field(ev.record, "url");
        sub->event_name = string_field(ev.record, "event_name");
        sub->occurred_at = key.time;
        sub->idempotency_key = ev.idempotency_key;
    }
    bool const operation = resource == "resource_operation";
    std::optional<event> for_operation;
    if(operation)
        for_operation = ev;
    auto const sequence = ev.sequence;
    auto const fleet_key = ev.fleet_key;

    sink_.on_event(std::move(ev));
    for(auto& t : out_.transitions)
    {
        ++stats_.transitions;
        sink_.on_transition(std::move(t));
    }
    if(for_operation)
        operations_.on_event(*for_operation, now_);
    if(sub)
        sink_.on_subscription(std::move(*sub));
    sink_.on_settled(sequence, fleet_key);
}

pipeline_stats pipeline::stats() const
{
    auto s = stats_;
    s.held = reorder_.size();
    s.held_bytes = reorder_.bytes();
    s.identities = dedup_.size();
    s.dedup_evicted_early = dedup_.evicted_early();
    s.identity_memory_bytes = dedup_.memory_bytes();
    s.fleets = fleets_.fleet_count();
    s.tracked_operations = operations_.size();
    s.operations_completed = operations_.counts().completed;
    s.operations_timed_out = operations_.counts().timed_out;
    s.operations_polled = operations_.counts().polled;
    s.operations_duplicate = operations_.counts().duplicate;
    s.remembered_records = records_.size();
    return s;
}

} // namespace catena::webhooks::detail
