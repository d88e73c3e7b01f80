// SPDX-License-Identifier: BSL-1.0
// lib/store/store.hpp - where kept deliveries and processing state live: the contract of every backend.
#ifndef CATENA_WEBHOOKS_STORE_STORE_HPP
#define CATENA_WEBHOOKS_STORE_STORE_HPP

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/lifecycle.hpp>

#include "detail/deduper.hpp"
#include "state/codec.hpp"
#include "store/inbox_entry.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** What one processing step made durable: the deliveries it finished, and the state they produced. */
struct progress
{
    std::vector<std::uint64_t> processed;               ///< Inbox sequences whose events all reached their callbacks.
    std::size_t processed_bytes = 0;                    ///< Their inbox_entry::bytes(), summed.
    std::vector<std::pair<identity_key, timestamp>> identities; ///< Event identities of those deliveries, and when seen.
    std::vector<fleet_capture> fleets;                  ///< Fleet snapshots (upsert by state.key).
    std::vector<std::string> removed_fleets;            ///< Keys merged into another fleet.
    std::vector<transition> transitions;                ///< Appended to the history.
    std::vector<dead_letter> dead_letters;
    std::vector<stored_operation> operations;           ///< Outcomes (upsert by id; the newer updated_at wins).

    bool empty() const noexcept
    {
        return processed.empty() && identities.empty() && fleets.empty() && removed_fleets.empty() &&
               transitions.empty() && dead_letters.empty() && operations.empty();
    }
};

/** What a store holds after a restart. */
struct recovered_state
{
    std::vector<fleet_capture> fleets;                  ///< Snapshots.
    std::vector<transition> transitions;                ///< The newest of each fleet, oldest first.
    /// Identities to hold in memory (a store that cannot recall() them gives the recent ones).
    std::vector<std::pair<identity_digest, timestamp>> identities;
    /// Whether earlier runs left identities that only recall() can answer for.
    bool identities_to_recall = false;
    std::uint64_t unprocessed = 0;                      ///< Deliveries kept but not processed.
    std::vector<stored_operation> operations;           ///< Outcomes completed recently.
};

/** What a store has written since it opened (all zero in memory). */
struct store_stats
{
    std::uint64_t transactions = 0;     ///< Write transactions committed.
    std::uint64_t appends = 0;          ///< Deliveries they kept (appends / transactions: the group-commit batch).
    std::uint64_t pages_written = 0;    ///< Database pages they wrote (to the WAL).
    std::uint64_t failures = 0;         ///< Write transactions that failed and were rolled back.
    std::uint64_t lock_waits = 0;       ///< Times the writer found the database locked by another connection.
    // A store shared by several receivers (PostgreSQL):
    bool shared = false;                ///< The fields below mean something.
    bool leader = false;                ///< This receiver processes the shared inbox.
    std::uint64_t leadership_changes = 0; ///< Times this receiver became leader or stopped being it.
    std::uint64_t round_trips = 0;      ///< Database round trips (every query and command).
    std::uint64_t errors = 0;           ///< Of them, those that failed (including lost connections).
};

/** What a store shared by several receivers tells the one that opened it. Exactly one
    receiver processes (leads); the others keep deliveries and stand by. */
struct leadership_hooks
{
    /// This receiver processes from now on: recover(), then take() (any thread).
    std::function<void()> gained;
    /// Another receiver processes now, or this one can no longer prove it does: stop
    /// processing at once; this store never leads again (any thread).
    std::function<void()> lost;
    /// Some receiver kept deliveries: take() them (any thread; leader only).
    std::function<void()> arrived;
    /// While standing by: the fleets as the leader last committed them, and their newest
    /// transitions, whenever they changed (any thread).
    std::function<void(std::vector<fleet_capture>, std::vector<transition>)> shared_state;
};

enum class append_status
{
    kept,      ///< Durable (as the durability level promises); the sequence is set.
    duplicate, ///< A request with this X-Request-ID was kept recently: not kept again.
    duplicate_envelope, ///< A copy of this envelope (same subscription and id) was kept recently: not kept again.
    full,      ///< The backlog is over its bound: not kept.
    failed,    ///< The write failed (disk full, I/O error): not kept.
};

/** The storage contract. The in-memory and SQLite backends implement it; the conformance
    tests run against each.

    @par Thread safety
    append() from any thread. take(), commit() and the queries from the processing thread.
*/
class store
{
public:
    using append_handler = std::function<void(append_status, std::uint64_t sequence, error_code)>;

    virtual ~store() = default;

    /** Keeps `e` and calls `done` once it is kept or refused, possibly on another thread,
        never before the entry is as durable as the store promises. */
    virtual void append(inbox_entry e, timestamp now, append_handler done) = 0;

    /// Up to `max` kept deliveries not handed out yet, in sequence order.
    virtual std::vector<inbox_entry> take(std::size_t max) = 0;

    /// Makes `p` durable (asynchronously for stores that write behind).
    virtual void commit(progress p) = 0;

    /// What a previous run left. Call once, before anything else.
    virtual error_code recover(recovered_state& out, timestamp now) = 0;

    /// Kept deliveries not processed yet, and their bytes.
    virtual std::size_t backlog() const = 0;
    virtual std::size_t backlog_bytes() const = 0;
    virtual std::optional<timestamp> oldest_unprocessed() const = 0;
    /** Whether the identities committed here were seen before: within the identity retention,
        or beyond what the pipeline holds in memory. From the processing thread. A store that
        cannot look them up answers false (and gives them back from recover() instead). */
    virtual bool recall(identity_key const& k) = 0;
    /// Brackets many recall() calls: they may share one read of the store (one snapshot,
    /// which still holds every identity committed before the bracket began).
    virtual void begin_recalls() {}
    virtual void end_recalls() {}
    /// Whether fleet state committed here survives a restart (false: no snapshots needed).
    virtual bool keeps_state() const noexcept = 0;
    /// Whether several receivers share this store (then processing waits for lead()).
    virtual bool shared() const noexcept { return false; }
    /** Starts taking part in the election of the receiver that processes. A store of one
        receiver calls h.gained at once. */
    virtual void lead(leadership_hooks h)
    {
        if(h.gained)
            h.gained();
    }
    /// Bytes used on disk (0 in memory).
    virtual std::uint64_t size_on_disk() const = 0;
    /// Counters of what was written (any thread).
    virtual store_stats stats() const { return {}; }
    /// The most recent dead letters, oldest first.
    /// The newest `max` dead letters, oldest first, without their bodies (their lengths): a
    /// listing costs no more than its rows, however large the bodies, and takes no lock the
    /// writer needs.
    virtual std::vector<stored_dead_letter> dead_letters(std::size_t max) const = 0;
    /// One dead letter with its body.
    virtual std::optional<stored_dead_letter> dead_letter(std::int64_t id) const = 0;
    /// Waits until everything committed or appended so far is written (shutdown, tests).
    void sync() { (void)sync_until(std::chrono::steady_clock::time_point::max()); }
    /** The same, until `deadline`: then what is not written is given up (processed again at
        the next start) and false is returned. */
    virtual bool sync_until(std::chrono::steady_clock::time_point deadline) = 0;
};

/** Bounds of a store's backlog and of its memory of requests. */
struct store_limits
{
    std::size_t max_backlog_entries = 100'000;
    std::size_t max_backlog_bytes = 512u << 20;
    std::chrono::seconds request_id_memory{900};
    /// Most X-Request-IDs remembered (32 bytes each); the oldest are forgotten first. They only
    /// save re-keeping a replayed request: event identities catch its events regardless.
    std::size_t max_request_ids = 131'072;
};

/** The X-Request-IDs of the requests a store kept recently, so that a replayed copy of one
    request is not kept twice. Both backends use it; the caller serializes access. */
class request_ids
{
public:
    explicit request_ids(store_limits const& l) : seen_(l.request_id_memory, l.max_request_ids) {}

    /// The digests under which an entry is remembered: its X-Request-ID and its envelope key
    /// (none for an empty one).
    struct keys
    {
        identity_digest request{}, envelope{};
    };
    static keys keys_of(inbox_entry const& e)
    {
        keys k;
        // Scoped by subscription (or route): a request id says nothing across them, and anyone
        // who can reach another route must not be able to make a Catena delivery a copy.
        if(!e.request_id.empty())
            k.request = digest_of("r\x1f" + e.webhook_id + "\x1f" + e.request_id);
        if(!e.envelope_key.empty())
            k.envelope = digest_of("e\x1f" + e.envelope_key);
        return k;
    }
    /// Whether a request with this id, or a copy of this envelope, was kept within the
    /// memory: kept when neither was, else which duplicate it is.
    append_status kept(inbox_entry const& e, keys const& k, timestamp now)
    {
        if(!e.request_id.empty() && seen_.contains(k.request, now))
            return append_status::duplicate;
        if(!e.envelope_key.empty() && seen_.contains(k.envelope, now))
            return append_status::duplicate_envelope;
        return append_status::kept;
    }
    void remember(inbox_entry const& e, keys const& k, timestamp now)
    {
        if(!e.request_id.empty())
            seen_.insert(k.request, now);
        if(!e.envelope_key.empty())
            seen_.insert(k.envelope, now);
    }

private:
    deduper seen_;
};

} // namespace catena::webhooks::detail

#endif
