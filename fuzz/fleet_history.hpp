// SPDX-License-Identifier: BSL-1.0
// fuzz/fleet_history.hpp - histories of fleet facts read from fuzz input, and the check that their arrival order does not change how fleets end.
#ifndef CATENA_WEBHOOKS_FUZZ_FLEET_HISTORY_HPP
#define CATENA_WEBHOOKS_FUZZ_FLEET_HISTORY_HPP

#include "fuzz_support.hpp"
#include "processing/pipeline.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace catena::webhooks::fuzz {

namespace json = boost::json;

// Two rules of docs/processing.md checked by the histories (each can be switched off to find
// what a failing input needs):
// - health_by_time: "each alarm holds until evidence strictly after its time clears it,
//   whatever order the two arrived in" (health, connection health and schedule states compared);
// - deletion_after_end: "invitation.deleted ... legal after ... declined, expired" (histories
//   also delete invitations that ended).
constexpr bool health_by_time = true;
constexpr bool deletion_after_end = true;

/** One delivery of a history: one record, its own envelope id. */
struct history_delivery
{
    std::string event_name;
    std::string body;
    bool repeat = false; ///< an exact copy of an earlier delivery
};

/** A history and the fleets it names by fleet_id. */
struct history
{
    std::vector<history_delivery> deliveries;
    std::vector<std::string> fleet_ids;
};

/** Reads a history from `in`: per fact a kind byte and a parameter byte (and a time byte for
    facts with a time of their own). The world is small so that facts meet: two fleets, each
    with two invitations, two agreements and two connections (one schedule each).

    Where the rules judge by time, times never tie: each fact's time is its time byte's
    10-second slot plus its position in milliseconds. An invitation's steps happen in their
    order (created, sent, viewed, its one end, see deletion_after_end for deleted), a second
    apart from the time of the first fact naming it, each step at one time whichever delivery
    carries it; what an invitation ends with is chosen by that first fact too. An
    agreement is created at the time of the first fact naming it and deleted a second later.
    So every arrival order tells the same story. Ids never conflict: an invitation, agreement
    or connection belongs to one fleet. Every fact carries
    its fleet_ref or connection; whether it carries its fleet_id too is the input's choice, so
    that journeys known by weaker keys merge in some orders and not in others. */
inline history read_history(bytes_reader& in)
{
    history h;
    auto const base = timestamp{std::chrono::seconds(1'763'000'000)};
    auto const at = [&](std::int64_t ms) { return format_rfc3339(base + std::chrono::milliseconds(ms)); };
    // Per invitation: its end (3 accepted, 4 declined, 5 expired) and the time it was created;
    // per agreement the time it was created.
    std::map<std::string, std::pair<int, std::int64_t>> invitations;
    std::map<std::string, std::int64_t> agreements;
    std::vector<bool> named(2, false);    // the fleet_id appeared
    static constexpr char const* steps[] = {"created", "sent", "viewed", "accepted", "declined", "expired", "deleted"};
    for(int n = 0; n < 32 && in.left() >= 2; ++n)
    {
        std::uint8_t const kind = in.byte() % 11;
        std::uint8_t const param = in.byte();
        if(kind == 10)
        {
            // A copy of an earlier delivery: the same envelope, so the same event.
            if(h.deliveries.empty())
                continue;
            auto copy = h.deliveries[param % h.deliveries.size()];
            copy.repeat = true;
            h.deliveries.push_back(std::move(copy));
            continue;
        }
        int const fleet = param & 1;
        int const which = (param >> 1) & 1;
        bool const with_fleet_id = param & 4;
        std::string const fleet_id = "fleet-" + std::to_string(fleet);
        std::string const ref = "REF-" + std::to_string(fleet);
        std::string const suffix = std::to_string(fleet) + "-" + std::to_string(which);
        std::string const connection = "conn-" + suffix;
        std::int64_t const time_ms = std::int64_t{in.byte()} * 10'000 + n;

        json::object rec;
        std::string name;
        if(kind == 0)
        {
            // An invitation step: its time is its step's, the same for every copy.
            std::string const id = "inv-" + suffix;
            // Its end: accepted, declined or expired, and deleted after a decline or an expiry;
            // or (without deletion_after_end) one of accepted, declined, expired, deleted.
            auto const [end, created] =
                invitations.try_emplace(id, 3 + (param >> 3) % (deletion_after_end ? 3 : 4), time_ms).first->second;
            int const chain[] = {0, 1, 2, end, 6};
            int const length = deletion_after_end && end != 3 ? 5 : 4;
            int const step = chain[(param >> 5) % length];
            name = std::string("invitation.") + steps[step];
            // A second per step (not a multiple of the 10-second slots: no tie with other facts).
            std::int64_t const t = created + (std::min(step, 3) + (step == 6 ? 1 : 0)) * 1'000;
            rec["id"] = id;
            rec["created_at"] = at(created);
            rec["updated_at"] = at(t);
            if(step == 3)
                rec["accepted_at"] = at(t);
            if(step == 4)
                rec["declined_at"] = at(t);
            if(step == 5)
                rec["expires_at"] = at(t);
            if(step == 6)
                rec["deleted_at"] = at(t);
            rec["status"] = steps[step];
            rec["fleet_ref"] = ref;
            if(with_fleet_id || step == 3)
                rec["fleet_id"] = fleet_id;
        }
        else
        {
            static constexpr char const* names[] = {
                "",                   "share_agreement.created", "share_agreement.deleted", "connection.created",
                "connection.staled",  "fleet_connection.created", "execution.failed",      "execution.created",
                "schedule.deactivated", "vehicle_location.added"};
            name = names[kind];
            std::string when = at(time_ms);
            switch(kind)
            {
            case 1:
            case 2:
                // Created at its first fact's time, deleted a second later.
                when = at(agreements.try_emplace("sa-" + suffix, time_ms).first->second + (kind == 2 ? 1'000 : 0));
                rec["id"] = "sa-" + suffix;
                rec["fleet_ref"] = ref;
                rec["status"] = kind == 1 ? "active" : "deleted";
                break;
            case 3:
            case 4:
                rec["id"] = connection;
                rec["source_name"] = "samsara";
                rec["tsp_id"] = "tsp-" + suffix;
                rec["status"] = kind == 3 ? "active" : "stale";
                break;
            case 5:
                rec["id"] = "fc-" + suffix;
                rec["connection_id"] = connection;
                break;
            case 6:
            case 7:
                rec["id"] = "exec-" + std::to_string(n);
                rec["connection_id"] = connection;
                rec["schedule_id"] = "sch-" + suffix;
                rec["status"] = kind == 6 ? "failed" : "success";
                break;
            case 8:
                rec["id"] = "sch-" + suffix;
                rec["connection_id"] = connection;
                rec["resource"] = "vehicle_location";
                rec["status"] = "inactive";
                break;
            default:
                rec["id"] = "vl-" + std::to_string(n);
                rec["connection_id"] = connection;
                rec["created_at"] = when;
                break;
            }
            rec["occurred_at"] = when;
            rec["updated_at"] = when;
            if(with_fleet_id)
                rec["fleet_id"] = fleet_id;
        }
        if(rec.contains("fleet_id"))
            named[fleet] = true;
        json::object env{{"version", "1.0"}, {"event_name", name}, {"webhook_id", "wh-0"},
                         {"id", "0190-" + std::to_string(n)}, {"timestamp", at(5'000'000)}};
        env["data"] = json::array{std::move(rec)};
        h.deliveries.push_back({name, json::serialize(env), false});
    }
    for(int f = 0; f < 2; ++f)
        if(named[f])
            h.fleet_ids.push_back("fleet-" + std::to_string(f));
    return h;
}

/** Counts what a pipeline releases; nothing else matters here. */
struct counting_sink : detail::pipeline_sink
{
    std::size_t events = 0;
    void on_event(event&&) override { ++events; }
    void on_transition(transition&&) override {}
    void on_merge(fleet_merge&&) override {}
    void on_dead_letter(dead_letter&&) override { require(false, "a history's delivery became a dead letter"); }
    void on_problem(error_code, std::string, event const*) override {}
    void on_operation(operation_result&&, operation_handler&&) override {}
    void on_subscription(subscription_event&&) override {}
};

/** How a fleet ends, in a form that does not depend on the order its parts were learnt. */
using fleet_summary = std::tuple<std::string, std::string, int, int, std::vector<std::pair<std::string, int>>,
                                 std::vector<std::pair<std::string, bool>>, std::vector<std::string>, std::uint64_t>;

inline fleet_summary summary_of(fleet_state const& f)
{
    std::vector<std::pair<std::string, int>> invitations;
    for(auto const& i : f.invitations)
        invitations.emplace_back(i.id, static_cast<int>(i.state));
    std::vector<std::pair<std::string, bool>> agreements;
    for(auto const& a : f.agreements)
        agreements.emplace_back(a.id, a.active);
    std::vector<std::string> connections;
    for(auto const& c : f.connections)
    {
        std::string line = c.id + " " + std::string(health_by_time ? to_string(c.health) : "") +
                           (c.reported ? " reported" : "") +
                           (c.linked ? " linked" : "") + " " + c.source_name + " " + c.tsp_id + " failed " +
                           std::to_string(c.failed_executions);
        std::vector<std::string> schedules;
        for(auto const& s : c.schedules)
            schedules.push_back(s.id + (!health_by_time ? " " : s.active ? " active " : " deactivated ") + s.resource);
        std::sort(schedules.begin(), schedules.end());
        for(auto const& s : schedules)
            line += "; " + s;
        connections.push_back(std::move(line));
    }
    std::sort(invitations.begin(), invitations.end());
    std::sort(agreements.begin(), agreements.end());
    std::sort(connections.begin(), connections.end());
    return {f.key, f.fleet_ref, static_cast<int>(f.stage), health_by_time ? static_cast<int>(f.health) : 0, std::move(invitations),
            std::move(agreements), std::move(connections), f.failed_executions};
}

inline std::string describe(fleet_summary const& f)
{
    auto const& [key, ref, stage_value, health_value, invitations, agreements, connections, failed] = f;
    std::string s = key + " ref " + ref + " stage " + std::string(to_string(static_cast<stage>(stage_value))) +
                    " health " + std::string(to_string(static_cast<health>(health_value))) + " failed " +
                    std::to_string(failed);
    for(auto const& [id, st] : invitations)
        s += "\n  invitation " + id + " " + std::string(to_string(static_cast<invitation_state>(st)));
    for(auto const& [id, active] : agreements)
        s += "\n  agreement " + id + (active ? " active" : " deleted");
    for(auto const& c : connections)
        s += "\n  connection " + c;
    return s;
}

/** Delivers `h` in `order` into a fresh pipeline, one delivery applied before the next
    arrives; how each named fleet ends, and how many events were released. */
inline std::pair<std::vector<fleet_summary>, std::size_t> deliver_in_order(history const& h,
                                                                           std::vector<std::size_t> const& order)
{
    counting_sink sink;
    detail::pipeline_options o;
    o.processing.reorder_window = std::chrono::milliseconds(500);
    // Memories sized for a history, not for a receiver (they are allocated whole at start).
    o.processing.dedup_max_identities = 1024;
    o.processing.max_record_versions = 1024;
    o.processing.max_cross_subscription_events = 1024;
    detail::pipeline p(o, sink);
    timestamp now{std::chrono::seconds(1'764'000'000)};
    std::uint64_t sequence = 0;
    for(auto i : order)
    {
        detail::inbox_entry e;
        e.sequence = ++sequence;
        e.body = h.deliveries[i].body;
        e.webhook_id = "wh-0";
        e.event_type = h.deliveries[i].event_name;
        e.received_at = now;
        p.push(e, now);
        now += std::chrono::seconds(1);
        p.release(now);
    }
    p.flush(now);
    std::vector<fleet_summary> fleets;
    for(auto const& id : h.fleet_ids)
    {
        auto const f = p.fleets().fleet(id);
        require(f.has_value(), "a fleet the history names by fleet_id is not known under it");
        fleets.push_back(summary_of(*f));
    }
    return {std::move(fleets), sink.events};
}

/** The history as written and in another order (reversed, or shuffled by the input) must
    end the same. */
inline void check_arrival_orders(history const& h, bytes_reader& in)
{
    std::vector<std::size_t> order(h.deliveries.size());
    for(std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    auto const written = deliver_in_order(h, order);
    std::size_t distinct = 0;
    for(auto const& d : h.deliveries)
        distinct += !d.repeat;
    require(written.second == distinct, "a distinct delivery was lost or a repeated one released again");
    bool const shuffle = in.byte() != 0;
    if(shuffle)
        for(std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[in.byte() % i]);
    else
        std::reverse(order.begin(), order.end());
    auto const other = deliver_in_order(h, order);
    require(other.second == distinct, "the number of events released depends on the arrival order");
    if(written.first != other.first)
    {
        // Say what differs before stopping: the history, then each order's ending.
        for(auto const& d : h.deliveries)
            std::fprintf(stderr, "%s%s\n", d.repeat ? "(repeat) " : "", d.body.c_str());
        std::fprintf(stderr, "-- as written\n");
        for(auto const& f : written.first)
            std::fprintf(stderr, "%s\n", describe(f).c_str());
        std::fprintf(stderr, "-- %s:", shuffle ? "shuffled" : "reversed");
        for(auto i : order)
            std::fprintf(stderr, " %zu", i);
        std::fprintf(stderr, "\n");
        for(auto const& f : other.first)
            std::fprintf(stderr, "%s\n", describe(f).c_str());
        require(false, "a fleet ends differently when the same facts arrive in another order");
    }
}

} // namespace catena::webhooks::fuzz

#endif
