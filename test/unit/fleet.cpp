// SPDX-License-Identifier: BSL-1.0
// test/unit/fleet.cpp - a fleet's parts and what they derive, on deliveries shaped exactly as Catena sends them.
#include "processing/fleet.hpp"

#include "pipeline_feeder.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace unit_fleet { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace tst = catena::webhooks::test;
using tst::message;
using tst::t0;

// Spec §4.3 shapes: invitation records carry no updated_at (every step keeps the
// invitation's own created_at); connection and schedule records carry no time at all.
json::object invitation(std::string id, std::string status, std::string fleet_id = {})
{
    json::object r{{"id", id},
                   {"created_at", "2025-11-24T09:00:00Z"},
                   {"magic_link", "https://connect.catenatelematics.com/?invite=" + id},
                   {"expires_at", "2025-11-25T09:00:00Z"},
                   {"expires_in_hours", 24},
                   {"status", std::move(status)},
                   {"fleet_ref", "FLEET-7"},
                   {"fleet_id", fleet_id.empty() ? json::value(nullptr) : json::value(fleet_id)}};
    return r;
}

json::object connection(std::string id, std::string status, std::string tsp = "samsara")
{
    return json::object{{"id", std::move(id)},
                        {"source_name", std::move(tsp)},
                        {"fleet_id", "fleet-7"},
                        {"tsp_id", "tsp-1"},
                        {"status", std::move(status)}};
}

json::object execution(std::string connection_id, std::string status, std::string schedule = "sched-1")
{
    static int n = 0;
    return json::object{{"id", "exec-" + std::to_string(++n)},
                        {"created_at", "2025-11-24T10:00:00Z"},
                        {"updated_at", "2025-11-24T10:00:00Z"},
                        {"schedule_id", std::move(schedule)},
                        {"connection_id", std::move(connection_id)},
                        {"fleet_id", "fleet-7"},
                        {"status", std::move(status)},
                        {"source_name", "samsara"},
                        {"resource", "vehicle_location"}};
}

// A UUID v7 whose time is `offset` after t0: Catena's envelope ids.
std::string v7(std::chrono::milliseconds offset)
{
    auto const ms = static_cast<unsigned long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>((t0 + offset).time_since_epoch()).count());
    char buf[64];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-7000-8000-%012llx", ms >> 16, ms & 0xffff,
                  static_cast<unsigned long long>(offset.count()));
    return buf;
}

// Deliveries one after another, each released before the next arrives.
struct journey
{
    tst::feeder f{tst::options(100ms)};
    std::chrono::milliseconds clock{0};

    void send(std::string name, json::object record, std::string id = "auto", std::uint32_t attempt = 1,
              std::string webhook = "wh-1")
    {
        clock += 1s;
        if(id == "auto")
            id = v7(clock);
        f.push(message(std::move(name), std::move(record), std::move(id), std::move(webhook)), t0 + clock, attempt);
        f.p.release(t0 + clock + 500ms);
    }
    fleet_state fleet() const { return f.p.fleets().fleet("fleet-7").value(); }
    std::size_t count(dimension d) const
    {
        return static_cast<std::size_t>(std::count_if(f.sink.transitions.begin(), f.sink.transitions.end(),
                                                      [&](transition const& t) { return t.what == d; }));
    }
    std::size_t impossible() const
    {
        return static_cast<std::size_t>(
            std::count_if(f.sink.problems.begin(), f.sink.problems.end(),
                          [](auto const& p) { return p.first == error::impossible_transition; }));
    }

    void connect(std::string const& conn = "conn-a", std::string tsp = "samsara")
    {
        send("invitation.created", invitation("inv-1", "active"));
        send("invitation.accepted", [] {
            auto r = invitation("inv-1", "accepted", "fleet-7");
            r["accepted_at"] = "2025-11-24T09:30:00Z";
            return r;
        }());
        send("share_agreement.created", json::object{{"id", "sa-1"}, {"fleet_id", "fleet-7"}, {"partner_id", "p"},
                                                     {"fleet_ref", "FLEET-7"}, {"status", "active"},
                                                     {"scopes", json::object{{"vehicle", "read"}}}});
        send("connection.created", connection(conn, "active", std::move(tsp)));
        send("fleet_connection.created",
             json::object{{"id", "fc-" + conn}, {"fleet_id", "fleet-7"}, {"connection_id", conn}});
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(fleet)

// Bullet 1: a milder event never hides a worse one, on the same part or another.
BOOST_AUTO_TEST_CASE(a_milder_event_never_hides_a_worse_one)
{
    journey j;
    j.connect();
    j.send("connection.staled", connection("conn-a", "stale"));
    BOOST_TEST((j.fleet().health == health::stale));
    j.send("execution.failed", execution("conn-a", "failed"));
    BOOST_TEST((j.fleet().health == health::stale)); // was: stale -> degraded
    // A second TSP connects: its connection is ok, the first one is still stale.
    j.send("connection.created", connection("conn-b", "active", "motive"));
    BOOST_TEST((j.fleet().health == health::stale)); // was: stale -> ok
    BOOST_REQUIRE(j.fleet().connections.size() == 2u);
    // Halted (a schedule of conn-b deactivated) is worse than degraded, milder than stale.
    j.send("connection.created", connection("conn-a", "active")); // conn-a re-authenticates
    BOOST_TEST((j.fleet().health == health::ok));
    j.send("schedule.deactivated",
           json::object{{"id", "sched-b"}, {"connection_id", "conn-b"}, {"resource", "hos_event"},
                        {"execution_interval_seconds", 300}, {"status", "inactive"}});
    BOOST_TEST((j.fleet().health == health::halted));
    j.send("execution.failed", execution("conn-a", "failed"));
    BOOST_TEST((j.fleet().health == health::halted)); // was: halted -> degraded
}

// Bullet 2: inviting a connected fleet again is normal; a step behind is late, not impossible.
BOOST_AUTO_TEST_CASE(a_new_invitation_of_a_connected_fleet_is_no_impossible_move)
{
    journey j;
    j.connect();
    j.send("invitation.created", invitation("inv-2", "active", "fleet-7"));
    j.send("invitation.viewed", invitation("inv-2", "active", "fleet-7"));
    j.send("invitation.accepted", invitation("inv-2", "accepted", "fleet-7"));
    BOOST_TEST(j.impossible() == 0u); // was: three impossible_transition reports
    BOOST_TEST((j.fleet().stage == stage::connected));
    BOOST_TEST(j.fleet().invitations.size() == 2u);
    j.send("invitation.sent", invitation("inv-2", "active", "fleet-7")); // after viewed: a step behind
    BOOST_TEST(j.impossible() == 0u);
    BOOST_TEST(j.f.sink.events.back().late);
}

// Bullet 3: only a different invitation restarts a journey; without distinguishing times,
// Catena's own order of one invitation's steps orders them (not the envelope timestamp).
BOOST_AUTO_TEST_CASE(a_late_step_of_an_invitation_does_not_restart_it)
{
    journey j;
    j.send("invitation.created", invitation("inv-1", "active"));
    j.send("invitation.expired", invitation("inv-1", "expired"));
    BOOST_TEST((j.f.p.fleets().fleet("ref:FLEET-7")->stage == stage::expired));
    j.send("invitation.sent", invitation("inv-1", "active"), ""); // late, and no envelope id
    BOOST_TEST((j.f.p.fleets().fleet("ref:FLEET-7")->stage == stage::expired)); // was: expired -> invited
    BOOST_TEST(j.f.sink.events.back().late);
    // Held together in one window, the steps come out in Catena's order, not arrival order.
    tst::feeder f{tst::options(2000ms)};
    f.push(message("invitation.viewed", invitation("inv-9", "active"), ""), t0);
    f.push(message("invitation.sent", invitation("inv-9", "active"), ""), t0 + 100ms);
    f.push(message("invitation.created", invitation("inv-9", "active"), ""), t0 + 200ms);
    f.p.flush(t0 + 300ms);
    BOOST_REQUIRE(f.sink.events.size() == 3u);
    BOOST_TEST(f.sink.events[0].event_name == "invitation.created");
    BOOST_TEST(f.sink.events[1].event_name == "invitation.sent");
    BOOST_TEST(f.sink.events[2].event_name == "invitation.viewed");
    BOOST_TEST(!f.sink.events[2].late);
    // A different invitation restarts the ended journey.
    j.send("invitation.created", invitation("inv-2", "active"));
    BOOST_TEST((j.f.p.fleets().fleet("ref:FLEET-7")->stage == stage::invited));
}

// Bullet 4: late is per record (last-writer-wins per resource + record id), not per stream.
BOOST_AUTO_TEST_CASE(lateness_is_per_record)
{
    journey j;
    j.connect();
    auto vehicle = [](std::string id, std::string occurred) {
        return json::object{{"id", std::move(id)},         {"fleet_id", "fleet-7"},
                            {"connection_id", "conn-a"},   {"source_name", "samsara"},
                            {"occurred_at", std::move(occurred)}, {"updated_at", "2025-11-24T12:00:00Z"}};
    };
    j.send("vehicle.modified", vehicle("veh-a", "2025-11-24T11:00:00Z"));
    j.send("vehicle.modified", vehicle("veh-b", "2025-11-24T10:00:00Z"));
    BOOST_TEST(!j.f.sink.events.back().late); // was: late, because veh-a's newer one came first
    j.send("vehicle.modified", vehicle("veh-b", "2025-11-24T09:00:00Z"));
    BOOST_TEST(j.f.sink.events.back().late); // older than veh-b's own newest
}

// Bullet 5: without envelope ids, a genuine repeat of a record's state is a new fact; a
// retry of it is not.
BOOST_AUTO_TEST_CASE(without_envelope_ids_a_state_that_comes_back_is_a_new_fact_and_a_retry_is_not)
{
    journey j;
    j.connect();
    auto const before = j.f.sink.events.size();
    j.send("connection.staled", connection("conn-a", "stale"), "");
    j.send("connection.created", connection("conn-a", "active"), "");
    j.send("connection.staled", connection("conn-a", "stale"), ""); // was: dropped for 15 days
    BOOST_TEST(j.f.sink.events.size() == before + 3);
    BOOST_TEST((j.fleet().health == health::stale));
    j.send("connection.staled", connection("conn-a", "stale"), "", 2); // Catena's retry
    BOOST_TEST(j.f.sink.events.size() == before + 3);
    BOOST_TEST(j.f.p.stats().duplicate_events == 1u);
    // The repeat has a key of its own: callbacks can tell it from the first staled.
    auto const& e = j.f.sink.events;
    BOOST_TEST(e[before].idempotency_key != e[before + 2].idempotency_key);
}

// Bullet 6: an invitation's callback_url and an org-wide subscription deliver each
// lifecycle event twice (other X-Webhook-ID, other envelope id): callbacks see it once.
BOOST_AUTO_TEST_CASE(the_same_event_through_a_second_subscription_reaches_callbacks_once)
{
    journey j;
    j.send("invitation.created", invitation("inv-1", "active"), v7(1s), 1, "wh-org");
    j.send("invitation.created", invitation("inv-1", "active"), v7(2s), 1, "wh-callback-url");
    BOOST_TEST(j.f.sink.events.size() == 1u);
    BOOST_TEST(j.f.p.stats().cross_subscription_duplicates == 1u);
    BOOST_TEST(j.count(dimension::invitation) == 1u);
    // A state that comes back is delivered once more through each subscription: the first
    // subscription's repeat is a fact, the second's a duplicate again.
    auto const before = j.f.sink.events.size();
    for(auto const* status : {"stale", "active", "stale"})
    {
        auto const name = std::string(status) == "stale" ? "connection.staled" : "connection.created";
        j.send(name, connection("conn-a", status), "auto", 1, "wh-org");
        j.send(name, connection("conn-a", status), "auto", 1, "wh-callback-url");
    }
    BOOST_TEST(j.f.sink.events.size() == before + 3);
    BOOST_TEST(j.f.p.stats().cross_subscription_duplicates == 4u);
}

// Bullet 7: operations never create or touch a fleet; a merge reports what it changes.
BOOST_AUTO_TEST_CASE(operations_touch_no_fleet_and_a_merge_reports_its_changes)
{
    journey j;
    j.send("resource_operation.created",
           json::object{{"id", "op-1"}, {"status", "pending"}, {"connection_id", "conn-x"}, {"fleet_ref", "FLEET-X"},
                        {"resource", "message"}, {"operation_type", "create"},
                        {"updated_at", "2025-11-24T10:00:00Z"}});
    BOOST_TEST(j.f.p.fleets().fleet_count() == 0u); // was: a placeholder fleet
    BOOST_TEST(j.f.sink.events.back().fleet_key.empty());

    // A schedule known only by its connection (schedule.deactivated carries no fleet), and
    // the fleet, degraded by a failed fetch on another connection: the fleet_connection that
    // links them merges the two, and the merged fleet's health change is reported.
    j.send("schedule.deactivated", json::object{{"id", "sched-a"}, {"connection_id", "conn-a"}, {"resource", "hos_event"},
                                                {"execution_interval_seconds", 300}, {"status", "inactive"}});
    j.send("execution.failed", execution("conn-b", "failed"));
    BOOST_TEST((j.fleet().health == health::degraded));
    auto const before = j.f.sink.transitions.size();
    j.send("fleet_connection.created", json::object{{"id", "fc-a"}, {"fleet_id", "fleet-7"}, {"connection_id", "conn-a"}});
    BOOST_REQUIRE(j.f.sink.merges.size() == 1u);
    std::vector<std::string> moves;
    for(auto i = before; i < j.f.sink.transitions.size(); ++i)
        if(j.f.sink.transitions[i].what == dimension::health)
            moves.push_back(std::string(j.f.sink.transitions[i].from) + ">" + std::string(j.f.sink.transitions[i].to));
    BOOST_TEST(moves == std::vector<std::string>{"degraded>halted"}, boost::test_tools::per_element()); // was: none
    BOOST_TEST((j.fleet().health == health::halted));
}

// Operations: of two outcomes, the newer record wins, whatever order they arrived in.
BOOST_AUTO_TEST_CASE(the_newer_outcome_of_an_operation_wins_for_late_registrations)
{
    journey j;
    auto op = [](std::string status, std::string updated) {
        return json::object{{"id", "op-1"}, {"status", std::move(status)}, {"connection_id", "conn-a"},
                            {"resource", "message"}, {"operation_type", "create"}, {"updated_at", std::move(updated)}};
    };
    j.send("resource_operation.succeeded", op("success", "2025-11-24T10:00:05Z"));
    j.send("resource_operation.failed", op("failed", "2025-11-24T10:00:01Z")); // older, arrives later
    operation_result got;
    BOOST_TEST(!j.f.p.track("op-1", [&](operation_result const& r) { got = r; }, t0 + 1h));
    BOOST_TEST((got.status == operation_status::success));
}

BOOST_AUTO_TEST_SUITE_END() // fleet

} // namespace unit_fleet
