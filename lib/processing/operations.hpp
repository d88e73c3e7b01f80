// SPDX-License-Identifier: BSL-1.0
// lib/processing/operations.hpp - tracking of resource operations: registrations, outcomes by
// webhook or by poll, deadlines, and what a store keeps of them (sans-I/O).
#ifndef CATENA_WEBHOOKS_PROCESSING_OPERATIONS_HPP
#define CATENA_WEBHOOKS_PROCESSING_OPERATIONS_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/operation.hpp>

#include "processing/fleet_directory.hpp"
#include "state/codec.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** Where tracked operations' news goes (the pipeline's sink implements it). */
class operation_sink
{
public:
    virtual ~operation_sink() = default;
    virtual void on_operation(operation_result&& r, operation_handler&& h) = 0;
    /// An operation's outcome to keep (the newest by its record's updated_at).
    virtual void on_outcome(stored_operation&& /*op*/) {}
    /// An operation is tracked, or its connection became known (from its .created event):
    /// it may be polled. Also for each pending one restore() took back.
    virtual void on_tracked(pending_operation const& /*p*/) {}
    /// A tracked operation was decided (webhook, poll, timeout): no longer pending.
    virtual void on_decided(std::string const& /*operation_id*/) {}
};

struct operation_counts
{
    std::uint64_t completed = 0; ///< Registrations completed with an outcome.
    std::uint64_t timed_out = 0;
    std::uint64_t polled = 0;    ///< Outcomes found by polling that decided a tracked operation.
    std::uint64_t duplicate = 0; ///< Webhook outcomes that came after a poll had decided.
};

/** The operations tracked (receiver::track_operation) and the outcomes seen.

    An outcome (a resource_operation.succeeded/.failed event, or a poll's answer) completes
    every registration of its operation once and is remembered for `memory` (at most
    `max_remembered`), so that a registration after it completes at once. An operation that
    a poll decided takes no second outcome from a webhook that comes later (a duplicate). A
    pending operation is kept by the store (status pending, its deadline as completed_at) and
    tracked again after a restart, without a handler until one registers.

    @par Thread safety
    One thread at a time.
*/
class operation_tracker
{
public:
    operation_tracker(std::size_t max_tracked, std::chrono::seconds memory, std::size_t max_remembered,
                      operation_sink& sink, fleet_directory const& fleets);

    /// Takes back what a store kept: outcomes, and operations still pending.
    void restore(std::vector<stored_operation> ops);
    /// A resource_operation.* event released by the pipeline.
    void on_event(event const& ev, timestamp now);
    /// An outcome found by polling: decides the operation unless it was decided already.
    void complete_polled(operation_result r, timestamp now);
    /// error::too_many_operations over the bound.
    error_code track(operation_ref ref, operation_handler h, timestamp deadline);
    /// Times out the registrations whose deadline passed; forgets old outcomes.
    void expire(timestamp now);
    std::optional<timestamp> next_deadline() const;
    std::vector<pending_operation> pending() const;
    operation_counts const& counts() const noexcept { return counts_; }
    std::size_t size() const noexcept { return operations_.size(); }

private:
    void decide(operation_result const& decided, timestamp updated_at, timestamp now);
    void drop_deadline(std::string const& id, timestamp deadline);

    struct registration
    {
        operation_handler handler; // empty: taken back from the store, nobody asked yet
        timestamp deadline;
    };
    struct tracked
    {
        operation_ref ref;
        timestamp deadline; // the latest of its registrations'
    };

    std::size_t const max_tracked_;
    std::chrono::seconds const memory_;
    std::size_t const max_remembered_;
    operation_sink& sink_;
    fleet_directory const& fleets_;
    operation_counts counts_;
    std::unordered_multimap<std::string, registration> operations_;
    std::unordered_map<std::string, tracked> tracked_; // per operation id in operations_
    std::multimap<timestamp, std::string> deadlines_;
    std::unordered_map<std::string, stored_operation> completed_;
    std::deque<std::pair<timestamp, std::string>> completed_order_;
};

} // namespace catena::webhooks::detail

#endif
