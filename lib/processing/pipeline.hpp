// SPDX-License-Identifier: BSL-1.0
// lib/processing/pipeline.hpp - decode, dedup, reorder and lifecycle: kept deliveries in, ordered outputs out (sans-I/O).
#ifndef CATENA_WEBHOOKS_PROCESSING_PIPELINE_HPP
#define CATENA_WEBHOOKS_PROCESSING_PIPELINE_HPP

#include <catena/webhooks/envelope.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/operation.hpp>

#include "detail/deduper.hpp"
#include "processing/envelope_split.hpp"
#include "processing/fleet_directory.hpp"
#include "processing/identity.hpp"
#include "processing/operations.hpp"
#include "processing/reorderer.hpp"
#include "store/inbox_entry.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** The bounds of processing_options that the pipeline reads (the callback settings are the
    dispatcher's, and with their executor would bring Asio into a layer that does no I/O).
    The receiver sets every field from its processing_options; the defaults are the same. */
struct processing_bounds
{
    std::chrono::milliseconds reorder_window{2000};
    std::size_t reorder_max_events = 100'000;
    std::size_t reorder_max_bytes = 256u << 20;
    std::chrono::seconds dedup_retention{std::chrono::hours(24 * 15)};
    std::size_t dedup_max_identities = 1'000'000;
    std::size_t max_history_per_fleet = 256;
    std::size_t max_tracked_operations = 100'000;
    std::size_t max_record_versions = 200'000;
    bool dedup_across_subscriptions = true;
    std::chrono::seconds cross_subscription_window{3600};
    std::size_t max_cross_subscription_events = 200'000;
};

struct pipeline_options
{
    processing_bounds processing{};
    envelope_limits envelope{};
    /// How long before the time an envelope id carries it may first have been seen: the
    /// accepted clock skew of the signature timestamp (Catena ahead of us), plus a margin.
    std::chrono::seconds identity_clock_margin{70};
    /// How long a completed operation's outcome is kept for a registration that comes late.
    std::chrono::seconds operation_result_memory{3600};
    std::size_t max_remembered_operations = 10'000;
    /// A delivery larger than this is parsed in pieces of about this many bytes of records.
    std::size_t piece_bytes = 4u << 20;
};

/** Where the pipeline's outputs go, in release order (operations' news: operation_sink). */
class pipeline_sink : public operation_sink
{
public:
    virtual void on_event(event&& ev) = 0;
    virtual void on_transition(transition&& t) = 0;
    virtual void on_merge(fleet_merge&& m) = 0;
    virtual void on_dead_letter(dead_letter&& d) = 0;
    /// A problem that changed nothing (impossible transition, early release...).
    virtual void on_problem(error_code ec, std::string detail, event const* ev) = 0;
    virtual void on_subscription(subscription_event&& s) = 0;
    /// Everything one released event produced has been handed over.
    virtual void on_settled(std::uint64_t /*sequence*/, std::string const& /*fleet_key*/) {}
};

/** What push() did with a delivery. */
struct push_result
{
    std::size_t events = 0;                   ///< Records held for release.
    std::vector<identity_key> identities; ///< Identities it added (to be stored once processed).
};

struct pipeline_stats
{
    std::uint64_t events = 0;           ///< Records released.
    std::uint64_t duplicate_events = 0; ///< Deliveries or records dropped as already seen.
    std::uint64_t cross_subscription_duplicates = 0; ///< Records dropped as delivered through another subscription.
    std::uint64_t repeated_facts = 0; ///< Records without envelope id whose content went back to an earlier one (kept).
    std::uint64_t late_events = 0;
    std::uint64_t transitions = 0;
    std::uint64_t merges = 0;
    std::uint64_t impossible_transitions = 0;
    std::uint64_t released_early = 0;
    std::uint64_t dedup_evicted_early = 0;
    std::uint64_t identity_lookups = 0;    ///< Identities looked up in the store (memory did not cover them).
    std::uint64_t identities_recalled = 0; ///< Of those, found: duplicates older than memory.
    std::uint64_t operations_completed = 0;
    std::uint64_t operations_timed_out = 0;
    std::uint64_t operations_polled = 0;     ///< Outcomes found by polling that completed an operation.
    std::uint64_t operations_duplicate = 0;  ///< Webhook outcomes that came after a poll had decided.
    std::size_t held = 0;
    std::size_t held_bytes = 0;
    std::size_t identities = 0;
    std::size_t identity_memory_bytes = 0;
    std::size_t fleets = 0;
    std::size_t tracked_operations = 0;
    std::size_t remembered_records = 0; ///< Records whose content and version are remembered.
};

/** The processing of kept deliveries, without I/O or threads.

    push() decodes a delivery, drops what was seen before (by event identity) and holds the
    rest; release() lets out what the reorder window allows, in occurrence order, through
    the lifecycle, to the sink. The caller drives time: call release() at next_due().

    @par Thread safety
    One thread at a time; fleets() may be queried from any thread.
*/
class pipeline
{
public:
    pipeline(pipeline_options opts, pipeline_sink& sink);

    push_result push(inbox_entry const& e, timestamp now);
    /** A delivery of another provider's route, decoded by its provider (or why it could not
        be: a dead letter). Deduplicated on its id scoped by the route, held and released in
        order like Catena's events, handed to the sink without a fleet lifecycle. */
    push_result push_decoded(inbox_entry const& e, result<event> decoded, timestamp now);
    /// Takes back what a store kept from an earlier run (before any push).
    void restore(std::vector<fleet_capture> fleets, std::vector<transition> const& history,
                 std::vector<std::pair<identity_digest, timestamp>> const& identities);
    /** Takes back the operation outcomes a store kept (before any push); a pending one (an
        operation tracked and not decided) is tracked again without a handler until its
        deadline, so that polling goes on and a registration after the restart finds it. */
    void restore_operations(std::vector<stored_operation> ops);
    /** Where identities beyond memory are looked up (a durable store): every identity seen
        before `since` that memory does not hold, or holds no more, is asked of `f`. Without
        it, memory is all there is. */
    void recall_with(std::function<bool(identity_key const&)> f, timestamp since);
    /** Releases what is due at `now`: at most `max_events` of it (the rest at the next call),
        so that a caller sharing its thread can bound one turn. True when due events remain. */
    bool release(timestamp now, std::size_t max_events = static_cast<std::size_t>(-1));
    /// Releases everything held (on stop).
    void flush(timestamp now);
    /// When release() next has something to do.
    std::optional<timestamp> next_due() const;

    /** Tracks an operation until its outcome arrives or `deadline` passes; `h` is handed to
        the sink with the outcome. An outcome that arrived before the registration (within
        operation_result_memory) completes it at once.
        @return error::too_many_operations when the bound is reached.
    */
    error_code track(operation_ref ref, operation_handler h, timestamp deadline)
    {
        return operations_.track(std::move(ref), std::move(h), deadline);
    }
    error_code track(std::string operation_id, operation_handler h, timestamp deadline)
    {
        return track(operation_ref{std::move(operation_id), {}, {}}, std::move(h), deadline);
    }
    /** An outcome found by polling Catena's API at `now` (success or failed): completes the
        operation as its webhook would, with source poll. Ignored when the operation was
        decided already; a webhook outcome that comes after it is a duplicate. */
    void complete_polled(operation_result r, timestamp now)
    {
        now_ = std::max(now_, now);
        operations_.complete_polled(std::move(r), now_);
    }
    /// The operations tracked and not decided, with their connections and deadlines.
    std::vector<pending_operation> pending() const { return operations_.pending(); }

    fleet_directory const& fleets() const noexcept { return fleets_; }
    pipeline_stats stats() const;

private:
    error_code parse_whole(inbox_entry const& e);
    void dead_letter_of(inbox_entry const& e, error_code ec);
    void push_pieces(inbox_entry const& e, envelope_layout const& l, timestamp now, push_result& result);
    bool admit_envelope(inbox_entry const& e, timestamp now, push_result& result);
    void push_records(inbox_entry const& e, std::size_t base, std::size_t per_record_bytes, timestamp now,
                      push_result& result);
    bool seen_before(identity_key const& k, bool at_is_creation, bool look_up, timestamp now);
    void deliver(order_key const& key, event&& ev);

    pipeline_options opts_;
    pipeline_sink& sink_;
    envelope env_{envelope_storage::heap}; // records are moved into events, not copied
    std::vector<std::size_t> repeats_;     // per record of the current delivery, reused
    deduper dedup_;
    std::function<bool(identity_key const&)> recall_;
    timestamp recall_since_{};
    reorderer<event> reorder_;
    order_key key_; // the key of the record being pushed, reused (the buffer copies it)
    fleet_directory fleets_;
    record_memory records_;
    subscription_memory subscriptions_;
    pipeline_stats stats_;
    lifecycle_output out_;
    timestamp now_{}; // the latest time the caller gave
    operation_tracker operations_; // after fleets_, whose keys it reads
};

} // namespace catena::webhooks::detail

#endif
