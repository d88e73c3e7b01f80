// SPDX-License-Identifier: BSL-1.0
// test/unit/pipeline.cpp - dedup, ordering, operations and subscriptions through the whole
// pipeline, and the property that shuffling and duplicating deliveries changes nothing.
#include "processing/pipeline.hpp"

#include "pipeline_feeder.hpp"

#include "scenario.hpp"
#include "sim.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace unit_pipeline { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace cs = catena::webhooks::sim;
namespace json = boost::json;
namespace tst = catena::webhooks::test;
using tst::feeder;
using tst::message;
using tst::options;
using tst::t0;

json::object location(std::string id, std::string occurred)
{
    return json::object{{"id", std::move(id)},
                        {"fleet_id", "fleet-1"},
                        {"connection_id", "conn-1"},
                        {"occurred_at", std::move(occurred)},
                        {"updated_at", "2025-11-24T16:00:00Z"}};
}

BOOST_AUTO_TEST_SUITE(pipeline_)

BOOST_AUTO_TEST_CASE(drops_a_retry_whose_request_and_body_differ)
{
    feeder f;
    auto const m = message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z"), "0190-evt-1");
    f.push(m, t0, 1);
    f.push(m, t0 + 1s, 2); // new X-Request-ID, timestamp and delivery_attempt: same event
    f.p.flush(t0 + 2s);
    BOOST_TEST(f.sink.events.size() == 1u);
    BOOST_TEST(f.p.stats().duplicate_events == 1u);
}

BOOST_AUTO_TEST_CASE(drops_a_dead_letter_replay_days_later)
{
    feeder f;
    auto const m = message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z"), "0190-evt-1");
    f.push(m, t0);
    f.p.release(t0 + 3s);
    f.push(m, t0 + std::chrono::hours(24 * 14), 4);
    f.p.flush(t0 + std::chrono::hours(24 * 14) + 3s);
    BOOST_TEST(f.sink.events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_same_event_through_a_second_subscription_is_a_duplicate_unless_turned_off)
{
    feeder f;
    f.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z"), "0190-evt-1", "wh-1"), t0);
    f.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z"), "0190-evt-2", "wh-2"), t0);
    f.p.flush(t0);
    BOOST_TEST(f.sink.events.size() == 1u);
    BOOST_TEST(f.p.stats().cross_subscription_duplicates == 1u);

    auto o = options();
    o.processing.dedup_across_subscriptions = false;
    feeder g(o);
    g.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z"), "0190-evt-1", "wh-1"), t0);
    g.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z"), "0190-evt-2", "wh-2"), t0);
    g.p.flush(t0);
    BOOST_TEST(g.sink.events.size() == 2u);
    BOOST_TEST(g.p.stats().cross_subscription_duplicates == 0u);
}

BOOST_AUTO_TEST_CASE(without_envelope_id_dedups_by_record_identity)
{
    feeder f;
    f.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z")), t0);
    f.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z")), t0 + 1s, 2);
    // The same record with a newer occurred_at is a new event.
    f.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:05:00Z")), t0 + 2s);
    f.p.flush(t0 + 3s);
    BOOST_REQUIRE(f.sink.events.size() == 2u);
    // The key is the record's: event, id and a digest of its content.
    BOOST_TEST(f.sink.events[0].idempotency_key.starts_with("vehicle_location.added/loc-1/"));
    BOOST_TEST(f.sink.events[0].idempotency_key != f.sink.events[1].idempotency_key);
}

// A large delivery is parsed piece by piece (pipeline_options::piece_bytes): the events are
// exactly those of the delivery parsed whole, repeats across pieces numbered alike.
BOOST_AUTO_TEST_CASE(a_delivery_parsed_in_pieces_gives_the_events_of_one_parsed_whole)
{
    cs::message m;
    m.webhook_id = "wh-1";
    m.event_name = "vehicle_location.added";
    m.event_id = "0190-evt-big";
    for(std::size_t i = 0; i < 60; ++i)
        m.data.push_back(location("loc-" + std::to_string(i % 7), "2025-11-24T16:00:" + std::to_string(10 + i % 50) + "Z"));
    auto run = [&](std::size_t piece_bytes) {
        auto o = tst::options();
        o.piece_bytes = piece_bytes;
        feeder f(o);
        auto const r = f.push(m, t0);
        BOOST_TEST(r.events == 60u);
        BOOST_TEST(r.identities.size() == 1u);
        f.p.flush(t0 + 3s);
        std::vector<std::string> keys;
        for(auto const& ev : f.sink.events)
            keys.push_back(ev.idempotency_key + "@" + std::string(ev.record.at("occurred_at").as_string()));
        return keys;
    };
    auto const whole = run(std::size_t(1) << 30);
    auto const pieces = run(300); // a few records a piece
    BOOST_REQUIRE(whole.size() == 60u);
    BOOST_TEST(pieces == whole, boost::test_tools::per_element());
    // And a retry of it is one duplicate, as it would be whole.
    auto o = tst::options();
    o.piece_bytes = 300;
    feeder f(o);
    f.push(m, t0);
    BOOST_TEST(f.push(m, t0 + 1s, 2).events == 0u);
    BOOST_TEST(f.p.stats().duplicate_events == 1u);
}

BOOST_AUTO_TEST_CASE(a_bad_record_in_the_last_piece_dead_letters_the_whole_delivery)
{
    cs::message m;
    m.webhook_id = "wh-1";
    m.event_name = "vehicle_location.added";
    m.event_id = "0190-evt-bad";
    for(std::size_t i = 0; i < 30; ++i)
        m.data.push_back(location("loc-" + std::to_string(i), "2025-11-24T16:00:10Z"));
    m.data.push_back(boost::json::object{{"no_id", true}});
    auto o = tst::options();
    o.piece_bytes = 300;
    feeder f(o);
    BOOST_TEST(f.push(m, t0).events == 0u);
    f.p.flush(t0 + 3s);
    BOOST_TEST(f.sink.events.empty());
    BOOST_REQUIRE(f.sink.dead.size() == 1u);
    BOOST_TEST(f.sink.dead[0].reason == "record_missing_id");
}

BOOST_AUTO_TEST_CASE(repeated_record_ids_in_one_envelope_get_keys_of_their_own)
{
    // Few records are counted pairwise, many through a table: both number the repeats alike.
    for(std::size_t n : {4u, 40u})
    {
        feeder f;
        cs::message m;
        m.webhook_id = "wh-1";
        m.event_name = "vehicle_location.added";
        m.event_id = "0190-evt-1";
        for(std::size_t i = 0; i < n; ++i)
            m.data.push_back(location("loc-" + std::to_string(i % 2), "2025-11-24T16:00:0" + std::to_string(i % 10) + "Z"));
        f.push(m, t0);
        f.p.flush(t0 + 3s);
        BOOST_REQUIRE(f.sink.events.size() == n);
        std::map<std::string, int> keys;
        for(auto const& ev : f.sink.events)
        {
            ++keys[ev.idempotency_key];
            BOOST_TEST(ev.record.at("id").as_string() == ev.record_id);
        }
        BOOST_TEST(keys.size() == n);
        BOOST_TEST(keys.count("wh-1/0190-evt-1/loc-0") == 1u);
        BOOST_TEST(keys.count("wh-1/0190-evt-1/loc-1#1") == 1u);
        BOOST_TEST(keys.count("wh-1/0190-evt-1/loc-0#" + std::to_string(n / 2 - 1)) == 1u);
    }
}

// A store's identities, as recall() sees them once committed.
struct fake_disk
{
    std::vector<detail::identity_key> keys;
    int lookups = 0;
    bool recall(detail::identity_key const& k)
    {
        ++lookups;
        return std::any_of(keys.begin(), keys.end(),
                           [&](auto const& x) { return x.digest == k.digest && x.at_ms == k.at_ms; });
    }
};

BOOST_AUTO_TEST_CASE(recalls_duplicates_older_than_memory_from_the_store)
{
    auto o = options();
    o.processing.dedup_max_identities = 2;
    feeder f(o);
    fake_disk disk;
    f.p.recall_with([&](detail::identity_key const& k) { return disk.recall(k); }, t0);
    std::mt19937_64 rng(1);
    std::vector<cs::message> ms;
    for(int i = 0; i < 4; ++i)
        ms.push_back(message("vehicle_location.added", location("loc-" + std::to_string(i), "2025-11-24T16:00:00Z"),
                             cs::uuid_v7(t0 - 1h, rng)));
    for(auto const& m : ms)
        for(auto const& k : f.push(m, t0).identities)
            disk.keys.push_back(k); // committed
    // The first two are no longer in memory (bound 2): found on disk, dropped.
    BOOST_TEST(f.push(ms[0], t0 + 1s, 2).identities.empty());
    BOOST_TEST(f.push(ms[1], t0 + 1s, 2).identities.empty());
    f.p.flush(t0 + 5s);
    BOOST_TEST(f.sink.events.size() == 4u);
    BOOST_TEST(f.p.stats().duplicate_events == 2u);
    BOOST_TEST(f.p.stats().identities_recalled == 2u);
    // Forgetting early is no problem when the store remembers.
    BOOST_TEST(f.sink.problems.empty());
}

BOOST_AUTO_TEST_CASE(looks_up_only_what_memory_cannot_answer)
{
    feeder f;
    fake_disk disk;
    auto const since = t0 - 1h;
    f.p.recall_with([&](detail::identity_key const& k) { return disk.recall(k); }, since);
    std::mt19937_64 rng(2);
    // Created after memory began (and past the clock margin): memory has every sighting.
    f.push(message("vehicle_location.added", location("loc-1", "2025-11-24T16:00:00Z"), cs::uuid_v7(t0, rng)), t0);
    BOOST_TEST(disk.lookups == 0);
    // Created before memory began: it may have been seen by an earlier run.
    f.push(message("vehicle_location.added", location("loc-2", "2025-11-24T16:00:00Z"), cs::uuid_v7(since - 1s, rng)), t0);
    BOOST_TEST(disk.lookups == 1);
    // A record's own time proves nothing (a device clock): always looked up.
    f.push(message("vehicle_location.added", location("loc-3", "2025-11-24T16:00:00Z")), t0);
    BOOST_TEST(disk.lookups == 2);
    BOOST_TEST(f.p.stats().identity_lookups == 2u);
    f.p.flush(t0 + 5s);
    BOOST_TEST(f.sink.events.size() == 3u);
}

BOOST_AUTO_TEST_CASE(looks_up_nothing_while_memory_holds_everything_the_store_has)
{
    auto o = options();
    o.processing.dedup_max_identities = 4;
    feeder f(o);
    fake_disk disk;
    // No earlier run left identities: memory is all there is, until it forgets one early.
    f.p.recall_with([&](detail::identity_key const& k) { return disk.recall(k); }, timestamp{});
    for(int i = 0; i < 4; ++i)
        for(auto const& k : f.push(message("vehicle_location.added",
                                           location("loc-" + std::to_string(i), "2025-11-24T16:00:00Z")),
                                   t0)
                                .identities)
            disk.keys.push_back(k); // committed
    BOOST_TEST(disk.lookups == 0); // records without envelope ids, none looked up
    // Memory is full: the next one makes it forget the first, so from now on what memory does
    // not hold is looked up, and the first, sent again, is found on disk.
    f.push(message("vehicle_location.added", location("loc-4", "2025-11-24T16:00:00Z")), t0 + 1s);
    BOOST_TEST(f.push(message("vehicle_location.added", location("loc-0", "2025-11-24T16:00:00Z")), t0 + 2s, 2)
                   .identities.empty());
    BOOST_TEST(disk.lookups >= 1);
    BOOST_TEST(f.p.stats().identities_recalled == 1u);
    f.p.flush(t0 + 5s);
    BOOST_TEST(f.sink.events.size() == 5u);
}

BOOST_AUTO_TEST_CASE(releases_by_occurred_at_not_arrival)
{
    feeder f;
    f.push(message("vehicle_location.added", location("late", "2025-11-24T16:00:09Z"), "0190-evt-1"), t0);
    f.push(message("vehicle_location.added", location("early", "2025-11-24T16:00:01Z"), "0190-evt-2"), t0 + 500ms);
    f.p.release(t0 + 1999ms);
    BOOST_TEST(f.sink.events.empty());
    f.p.release(t0 + 2500ms);
    BOOST_REQUIRE(f.sink.events.size() == 2u);
    BOOST_TEST(f.sink.events[0].record_id == "early");
    BOOST_TEST(f.sink.events[1].record_id == "late");
    BOOST_TEST(!f.sink.events[1].late);
}

BOOST_AUTO_TEST_CASE(orders_lifecycle_records_by_their_action_time)
{
    feeder f;
    json::object accepted{{"id", "inv-1"},
                          {"fleet_id", "fleet-1"},
                          {"fleet_ref", "F1"},
                          {"status", "accepted"},
                          {"accepted_at", "2025-11-24T16:00:05Z"},
                          {"updated_at", "2025-11-24T16:00:05Z"}};
    json::object viewed{{"id", "inv-1"}, {"fleet_ref", "F1"}, {"status", "active"}, {"updated_at", "2025-11-24T16:00:02Z"}};
    f.push(message("invitation.accepted", accepted, "0190-a"), t0);
    f.push(message("invitation.viewed", viewed, "0190-b"), t0 + 1s);
    f.p.flush(t0 + 1s);
    std::vector<transition> stages;
    for(auto const& t : f.sink.transitions)
        if(t.what == dimension::stage)
            stages.push_back(t);
    BOOST_REQUIRE(stages.size() == 2u);
    BOOST_TEST(stages[0].to == "viewed");
    BOOST_TEST(stages[1].to == "accepted");
    BOOST_TEST(stages[1].fleet_key == "fleet-1");
    BOOST_REQUIRE(f.sink.merges.size() == 1u);
    BOOST_TEST(f.sink.merges[0].from == "ref:F1");
}

BOOST_AUTO_TEST_CASE(late_arrival_after_release_is_flagged)
{
    feeder f(options(1000ms));
    f.push(message("vehicle.modified", location("v-1", "2025-11-24T16:00:09Z"), "0190-evt-1"), t0);
    f.p.release(t0 + 2s);
    f.push(message("vehicle.modified", location("v-1", "2025-11-24T16:00:01Z"), "0190-evt-2"), t0 + 3s);
    f.p.flush(t0 + 3s);
    BOOST_REQUIRE(f.sink.events.size() == 2u);
    BOOST_TEST(f.sink.events[1].record_id == "v-1");
    BOOST_TEST(f.sink.events[1].late);
    BOOST_TEST(f.p.stats().late_events == 1u);
}

BOOST_AUTO_TEST_CASE(dead_letters_an_undecodable_delivery)
{
    feeder f;
    detail::inbox_entry e;
    e.sequence = 7;
    e.body = R"({"version":"1.0","webhook_id":"wh-1","data":[{"no_id":true}]})";
    e.webhook_id = "wh-1";
    e.request_id = "req-7";
    f.p.push(e, t0);
    BOOST_REQUIRE(f.sink.dead.size() == 1u);
    BOOST_TEST(f.sink.dead[0].reason == "record_missing_id");
    BOOST_TEST(f.sink.dead[0].sequence == 7u);
    BOOST_TEST(f.sink.dead[0].body == e.body);
    BOOST_TEST(f.sink.events.empty());
}

BOOST_AUTO_TEST_CASE(reports_early_release_when_buffer_is_full)
{
    auto o = options();
    o.processing.reorder_max_events = 2;
    feeder f(o);
    for(int i = 0; i < 4; ++i)
        f.push(message("vehicle_location.added", location("l" + std::to_string(i), "2025-11-24T16:00:0" + std::to_string(i) + "Z"),
                       "0190-" + std::to_string(i)),
               t0);
    f.p.release(t0);
    BOOST_TEST(f.sink.events.size() == 2u);
    BOOST_TEST(f.p.stats().released_early == 2u);
    BOOST_REQUIRE(!f.sink.problems.empty());
    BOOST_TEST((f.sink.problems.back().first == error::released_early));
}

json::object operation(std::string id, std::string status)
{
    return json::object{{"id", std::move(id)},        {"connection_id", "conn-1"}, {"fleet_ref", "F1"},
                        {"resource", "message"},       {"operation_type", "create"}, {"status", std::move(status)},
                        {"updated_at", "2025-11-24T16:00:00Z"}};
}

BOOST_AUTO_TEST_CASE(completes_a_tracked_operation_on_success)
{
    feeder f;
    operation_result got;
    int calls = 0;
    BOOST_TEST(!f.p.track("op-1", [&](operation_result const& r) { got = r, ++calls; }, t0 + 1h));
    f.push(message("resource_operation.created", operation("op-1", "pending"), "0190-1"), t0);
    auto done = operation("op-1", "success");
    done["resource_id"] = "msg-9";
    done["source_id"] = "tsp-9";
    f.push(message("resource_operation.succeeded", done, "0190-2"), t0 + 1s);
    f.p.flush(t0 + 1s);
    BOOST_TEST(calls == 1);
    BOOST_TEST((got.status == operation_status::success));
    BOOST_TEST(got.resource_id == "msg-9");
    BOOST_TEST(got.source_id == "tsp-9");
    BOOST_TEST(got.resource == "message");
    BOOST_TEST(got.fleet_key.empty()); // an operation belongs to no fleet
    BOOST_TEST(f.p.stats().fleets == 0u);
    BOOST_TEST(f.p.stats().tracked_operations == 0u);
}

BOOST_AUTO_TEST_CASE(completes_a_tracked_operation_on_failure_with_the_logged_error)
{
    feeder f;
    operation_result got;
    BOOST_TEST(!f.p.track("op-2", [&](operation_result const& r) { got = r; }, t0 + 1h));
    auto failed = operation("op-2", "failed");
    failed["logs"] = json::array{
        json::object{{"status", "failed"}, {"error_type", "network"}, {"error_details", "timeout"}},
        json::object{{"status", "failed"}, {"error_type", "auth"}, {"error_details", "TSP answered 401"},
                     {"response_status_code", 401}}};
    f.push(message("resource_operation.failed", failed, "0190-3"), t0);
    f.p.flush(t0);
    BOOST_TEST((got.status == operation_status::failed));
    BOOST_TEST(got.error_type == "auth");
    BOOST_TEST(got.error_details == "TSP answered 401");
    BOOST_TEST((got.response_status_code == std::optional<int>(401)));
}

BOOST_AUTO_TEST_CASE(times_out_an_operation_that_never_completes)
{
    feeder f;
    operation_result got;
    BOOST_TEST(!f.p.track("op-3", [&](operation_result const& r) { got = r; }, t0 + 10s));
    BOOST_TEST((f.p.next_due() == std::optional<timestamp>(t0 + 10s)));
    f.p.release(t0 + 9s);
    BOOST_TEST((got.status == operation_status::pending));
    f.p.release(t0 + 10s);
    BOOST_TEST((got.status == operation_status::timed_out));
    BOOST_TEST(got.operation_id == "op-3");
    BOOST_TEST(f.p.stats().operations_timed_out == 1u);
}

BOOST_AUTO_TEST_CASE(registration_after_the_outcome_completes_at_once)
{
    feeder f;
    f.push(message("resource_operation.succeeded", operation("op-4", "success"), "0190-4"), t0);
    f.p.flush(t0);
    operation_result got;
    BOOST_TEST(!f.p.track("op-4", [&](operation_result const& r) { got = r; }, t0 + 1h));
    BOOST_TEST((got.status == operation_status::success));
}

BOOST_AUTO_TEST_CASE(refuses_tracking_beyond_the_bound)
{
    auto o = options();
    o.processing.max_tracked_operations = 1;
    feeder f(o);
    BOOST_TEST(!f.p.track("a", [](operation_result const&) {}, t0 + 1h));
    BOOST_TEST((f.p.track("b", [](operation_result const&) {}, t0 + 1h) == error::too_many_operations));
}

BOOST_AUTO_TEST_CASE(webhook_events_become_subscription_events)
{
    feeder f;
    json::object rec{{"id", "sub-9"},
                     {"url", "https://partner.example/hooks"},
                     {"event_name", "vehicle_location.added"},
                     {"status", "stale"}};
    f.push(message("webhook.staled", rec, "0190-5", "wh-admin"), t0);
    f.p.flush(t0);
    BOOST_REQUIRE(f.sink.subscriptions.size() == 1u);
    auto const& s = f.sink.subscriptions[0];
    BOOST_TEST(s.action == "staled");
    BOOST_TEST(s.subscription_id == "sub-9");
    BOOST_TEST(s.delivered_by == "wh-admin");
    BOOST_TEST(s.status == "stale");
    BOOST_TEST(s.event_name == "vehicle_location.added");
    BOOST_TEST(s.delivery_stopped());
}

//------------------------------------------------------------------------------
// The property: what the simulator's shuffling, retries and duplicates do to a scenario
// changes nothing that reaches callbacks.

struct outcome
{
    std::vector<std::string> events;      // idempotency key, name, fleet, late
    std::vector<std::string> transitions; // per fleet, in order: stage and health
    std::map<std::string, std::pair<std::string, std::string>> by_ref; // fleet_ref -> stage, health
};

// Events and transitions per fleet, each fleet's in release order. Across fleets the order
// depends on arrival where records carry no distinguishing time (an invitation's later steps
// carry its created_at, an instant before events of other fleets that happened meanwhile);
// within one fleet it does not.
outcome collect(feeder const& f)
{
    outcome o;
    auto final_key = [&](std::string const& k) {
        auto const s = k.empty() ? std::nullopt : f.p.fleets().fleet(k);
        return s ? s->key : k;
    };
    std::map<std::string, std::vector<std::string>> events, transitions;
    for(auto const& e : f.sink.events)
        events[final_key(e.fleet_key)].push_back(e.idempotency_key + " " + e.event_name);
    for(auto const& t : f.sink.transitions)
        if(t.what == dimension::stage || t.what == dimension::health)
            transitions[final_key(t.fleet_key)].push_back(t.fleet_key + " " + std::string(to_string(t.what)) + " " +
                                                      std::string(t.from) + ">" + std::string(t.to) + " " + t.cause +
                                                      " " + t.idempotency_key);
    // Events as a set per fleet: an invitation's untimed steps that arrive beyond the reorder
    // window come out in arrival order, the late one flagged and changing nothing.
    for(auto& [k, v] : events)
    {
        std::sort(v.begin(), v.end());
        for(auto& line : v)
            o.events.push_back(k + " | " + line);
    }
    for(auto& [k, v] : transitions)
        for(auto& line : v)
            o.transitions.push_back(k + " | " + line);
    for(auto const& s : f.p.fleets().fleets())
        if(!s.fleet_ref.empty())
            o.by_ref[s.fleet_ref] = {std::string(to_string(s.stage)), std::string(to_string(s.health))};
    return o;
}

BOOST_AUTO_TEST_CASE(shuffled_and_duplicated_deliveries_give_the_ordered_outcome)
{
    int const seeds = 150;
    std::size_t total_events = 0, total_duplicates = 0;
    for(int seed = 1; seed <= seeds; ++seed)
    {
        cs::scenario_options so;
        so.fleets = 8;
        so.seed = static_cast<std::uint64_t>(seed);
        so.duplicate_rate = 0.3;
        so.jitter = 1500ms;
        so.start = t0;
        auto const sc = cs::make_scenario(so);

        // The ordered stream without duplicates, each message arriving when it occurred.
        std::vector<cs::scheduled_message const*> ordered;
        for(auto const& m : sc.messages)
            if(!m.duplicate)
                ordered.push_back(&m);
        std::stable_sort(ordered.begin(), ordered.end(),
                         [](auto const* a, auto const* b) { return a->occurred < b->occurred; });
        feeder base;
        for(auto const* m : ordered)
            base.push(m->msg, m->occurred);
        base.p.flush(sc.messages.back().occurred + 10s);

        // As the simulator sends them: shuffled within the jitter, duplicates as retries.
        feeder shuffled;
        timestamp last = t0;
        for(auto const& m : sc.messages)
        {
            last = t0 + m.send_at;
            shuffled.push(m.msg, last, m.duplicate ? 2 : 1);
        }
        shuffled.p.release(last + 2s);
        shuffled.p.flush(last + 2s);

        auto const a = collect(base);
        auto const b = collect(shuffled);
        BOOST_TEST_CONTEXT("seed " << seed)
        {
            BOOST_TEST(a.events.size() == sc.unique_records);
            BOOST_TEST(a.events == b.events, boost::test_tools::per_element());
            // The steps a fleet went through may differ (a step that arrived beyond the window
            // is late and skipped; fuzz_delivery_sequence checks that stages chain): the events
            // and where every fleet ends may not.
            for(auto const& fe : sc.fleets)
            {
                BOOST_TEST_CONTEXT(fe.fleet_ref)
                {
                    BOOST_TEST(a.by_ref.at(fe.fleet_ref).first == fe.stage);
                    BOOST_TEST(a.by_ref.at(fe.fleet_ref).second == fe.health);
                    BOOST_TEST(b.by_ref.at(fe.fleet_ref).first == fe.stage);
                    BOOST_TEST(b.by_ref.at(fe.fleet_ref).second == fe.health);
                }
            }
        }
        total_events += b.events.size();
        total_duplicates += shuffled.p.stats().duplicate_events;
    }
    BOOST_TEST_MESSAGE(seeds << " seeds: " << total_events << " events, " << total_duplicates << " duplicates dropped");
    BOOST_TEST(total_duplicates > 0u);
}

BOOST_AUTO_TEST_CASE(too_small_a_window_flags_late_events_but_never_moves_a_fleet_back)
{
    // Rank on the forward path; exits are terminal for this check.
    auto rank = [](std::string_view s) {
        auto const st = parse_stage(s);
        return st ? static_cast<int>(*st) : 0;
    };
    std::size_t late = 0;
    for(int seed = 1; seed <= 30; ++seed)
    {
        cs::scenario_options so;
        so.fleets = 6;
        so.seed = static_cast<std::uint64_t>(seed);
        so.duplicate_rate = 0.2;
        so.jitter = 3000ms;
        so.start = t0;
        so.decline_rate = so.expire_rate = so.delete_rate = 0;
        auto const sc = cs::make_scenario(so);
        feeder f(options(0ms));
        for(auto const& m : sc.messages)
            f.push(m.msg, t0 + m.send_at, m.duplicate ? 2 : 1);
        f.p.flush(t0 + 1h);
        for(auto const& t : f.sink.transitions)
            if(t.what == dimension::stage && t.to != "revoked")
                BOOST_TEST(rank(t.to) > rank(t.from), "seed " << seed << ": " << t.from << ">" << t.to);
        late += f.p.stats().late_events;
        std::size_t distinct = f.sink.events.size();
        BOOST_TEST(distinct == sc.unique_records);
    }
    BOOST_TEST(late > 0u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_pipeline
