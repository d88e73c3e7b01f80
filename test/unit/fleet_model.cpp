// SPDX-License-Identifier: BSL-1.0
// test/unit/fleet_model.cpp - the reference fleet model against each row of docs/processing.md, in any arrival order.
#include "fleet_model.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <random>

namespace unit_fleet_model { // this file's own: the test binaries compile a few files as one (unity build)

namespace json = boost::json;
using namespace catena::webhooks;
using namespace catena::webhooks::test;

namespace {

constexpr char fleet_a[] = "f0000000-0000-4000-8000-00000000000a";
constexpr char fleet_b[] = "f0000000-0000-4000-8000-00000000000b";
constexpr char inv_1[] = "11111111-0000-4000-8000-000000000001";
constexpr char inv_2[] = "11111111-0000-4000-8000-000000000002";
constexpr char agr_1[] = "aaaaaaaa-0000-4000-8000-000000000001";
constexpr char agr_2[] = "aaaaaaaa-0000-4000-8000-000000000002";
constexpr char conn_1[] = "cccccccc-0000-4000-8000-000000000001";
constexpr char conn_2[] = "cccccccc-0000-4000-8000-000000000002";
constexpr char sched_1[] = "55555555-0000-4000-8000-000000000001";
std::string const by_inv_1 = std::string("invitation:") + inv_1;

/// "2025-12-01T<hh:mm[:ss[.fff]]>Z"
std::string at(std::string_view hhmm)
{
    return "2025-12-01T" + std::string(hhmm) + (hhmm.size() == 5 ? ":00Z" : "Z");
}

timestamp instant(std::string_view hhmm)
{
    return *parse_rfc3339(at(hhmm));
}

/// A UUID v7 envelope id of that instant.
std::string v7(std::string_view hhmm, unsigned n = 1)
{
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(instant(hhmm).time_since_epoch()).count();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-7000-8000-%012x", static_cast<unsigned long long>(ms >> 16),
                  static_cast<unsigned long long>(ms & 0xffff), n);
    return buf;
}

json::object with(json::object r, json::object const& extra)
{
    for(auto const& kv : extra)
        r[kv.key()] = kv.value();
    return r;
}

model_fact fact(std::string event, json::object record, std::string envelope = {})
{
    return {std::move(event), std::move(record), std::move(envelope)};
}

/// invitation.<step>: created at 10:00, expiring the next day, fleet unknown unless `extra` says.
model_fact invitation(std::string const& step, std::string const& id, json::object const& extra = {})
{
    return fact("invitation." + step,
                with({{"id", id}, {"created_at", at("10:00")}, {"magic_link", "https://connect.example/?invite=" + id},
                      {"expires_at", "2025-12-02T10:00:00Z"}, {"expires_in_hours", 24},
                      {"status", step == "created" ? "active" : step}, {"fleet_id", nullptr}, {"fleet_ref", nullptr}},
                     extra));
}

model_fact agreement(std::string const& action, std::string const& id, json::object const& extra,
                     std::string envelope = {})
{
    return fact("share_agreement." + action,
                with({{"id", id}, {"fleet_id", fleet_a}, {"partner_id", "99999999-0000-4000-8000-000000000001"},
                      {"status", action == "deleted" ? "deleted" : "active"},
                      {"scopes", json::object{{"vehicle", "read"}}}},
                     extra),
                std::move(envelope));
}

/// connection.<action> of fleet_a: no time but its envelope id's.
model_fact connection(std::string const& action, std::string const& id, std::string_view when)
{
    return fact("connection." + action,
                {{"id", id}, {"source_name", "samsara"}, {"fleet_id", fleet_a}, {"tsp_id", "t"}, {"status", "active"}},
                v7(when));
}

model_fact linked(std::string const& connection_id, std::string_view when)
{
    return fact("fleet_connection.created",
                {{"id", "ffffffff" + connection_id.substr(8)}, {"fleet_id", fleet_a}, {"connection_id", connection_id}},
                v7(when));
}

model_fact execution(std::string const& action, std::string const& status, std::string_view when)
{
    return fact("execution." + action,
                {{"id", "eeeeeeee-0000-4000-8000-" + std::string(when.substr(0, 2)) + "0000000000"},
                 {"created_at", at(when)}, {"updated_at", at(when)}, {"schedule_id", sched_1},
                 {"connection_id", conn_1}, {"fleet_id", fleet_a}, {"status", status},
                 {"source_name", "samsara"}, {"resource", "hos_event"}});
}

model_fact deactivated(std::string_view when)
{
    return fact("schedule.deactivated",
                {{"id", sched_1}, {"connection_id", conn_1}, {"resource", "hos_event"}, {"status", "inactive"},
                 {"execution_interval_seconds", 300}, {"consecutive_error_threshold", 10},
                 {"max_concurrent_executions", 1}},
                v7(when));
}

/// A data record of fleet_a on conn_1, ingested (created_at) `ingested`, happened `occurred`.
model_fact datum(std::string const& event, std::string_view ingested, std::string_view occurred,
                 json::object const& extra = {})
{
    static long long n = 100'000'000'000;
    return fact(event, with({{"id", "dddddddd-0000-4000-8000-" + std::to_string(++n)}, {"fleet_id", fleet_a},
                             {"fleet_ref", nullptr}, {"source_name", "samsara"}, {"connection_id", conn_1},
                             {"source_id", "s-1"}, {"created_at", at(ingested)}, {"updated_at", at(ingested)},
                             {"occurred_at", at(occurred)}},
                            extra));
}

fleet_model model_of(std::vector<model_fact> const& facts)
{
    fleet_model m;
    for(auto const& f : facts)
        m.add(f);
    return m;
}

model_fleet fleet_of(fleet_model const& m, std::string const& key)
{
    auto const f = m.find(key);
    BOOST_REQUIRE_MESSAGE(f, "no fleet under " << key);
    return *f;
}

/// The fleet under `key` once `facts` are known; why it stands there goes to the log.
model_fleet verdict(std::vector<model_fact> const& facts, std::string const& key)
{
    auto const m = model_of(facts);
    BOOST_TEST_MESSAGE(m.explain(key));
    return fleet_of(m, key);
}
std::string_view stage_of(std::vector<model_fact> const& facts, std::string const& key = fleet_a)
{
    return to_string(verdict(facts, key).stage);
}
std::string_view health_of(std::vector<model_fact> const& facts, std::string const& key = fleet_a)
{
    return to_string(verdict(facts, key).health);
}

/// A fleet onboarded through inv_1 (ref FLEET-1): created, viewed, accepted at 10:05,
/// agreement agr_1, conn_1 reported and linked.
std::vector<model_fact> onboarded()
{
    json::object const ref{{"fleet_ref", "FLEET-1"}};
    return {invitation("created", inv_1, ref), invitation("viewed", inv_1, ref),
            invitation("accepted", inv_1, with(ref, {{"fleet_id", fleet_a}, {"accepted_at", at("10:05")}})),
            agreement("created", agr_1,
                      {{"invitation_id", inv_1}, {"created_at", at("10:06")}, {"updated_at", at("10:06")}}),
            connection("created", conn_1, "10:07"), linked(conn_1, "10:08")};
}

template<class... T>
std::vector<model_fact> plus(std::vector<model_fact> v, T... more)
{
    (v.push_back(std::move(more)), ...);
    return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_model)

//---- The time of a fact, row by row ---------------------------------------------------------

BOOST_AUTO_TEST_SUITE(time_of_a_fact)

BOOST_AUTO_TEST_CASE(occurred_at_comes_before_every_other_field)
{
    auto const f = datum("vehicle_location.added", "10:05", "10:01");
    BOOST_TEST((time_of(f).at == instant("10:01")));
    BOOST_TEST(time_of(f).from == "occurred_at");
}

BOOST_AUTO_TEST_CASE(invitation_ends_are_timed_by_their_own_field)
{
    auto const accepted = invitation("accepted", inv_1, {{"accepted_at", at("10:05")}});
    BOOST_TEST((time_of(accepted).at == instant("10:05")));
    BOOST_TEST((time_of(invitation("declined", inv_1, {{"declined_at", at("10:10")}})).at == instant("10:10")));
    BOOST_TEST((time_of(invitation("rejected", inv_1, {{"declined_at", at("10:10")}})).at == instant("10:10")));
    // "the link lapsed": expires_at, not created_at
    BOOST_TEST(time_of(invitation("expired", inv_1)).from == "expires_at");
    // Every other invitation step is timed by the invitation's created_at.
    BOOST_TEST(time_of(invitation("viewed", inv_1, {{"expires_at", at("11:00")}})).from == "created_at");
}

BOOST_AUTO_TEST_CASE(a_deletion_is_timed_by_deleted_at_updated_at_then_its_envelope_id_before_created_at)
{
    auto deleted = invitation("deleted", inv_1, {{"deleted_at", at("10:20")}, {"updated_at", at("10:21")}});
    deleted.envelope_id = v7("10:22");
    BOOST_TEST(time_of(deleted).from == "deleted_at");
    deleted.record.erase("deleted_at");
    BOOST_TEST(time_of(deleted).from == "updated_at");
    deleted.record.erase("updated_at");
    BOOST_TEST(time_of(deleted).from == "envelope id");
    BOOST_TEST((time_of(deleted).at == instant("10:22")));
}

BOOST_AUTO_TEST_CASE(any_event_falls_back_to_updated_at_created_at_then_a_v7_envelope_id)
{
    auto e = execution("failed", "failed", "10:30");
    e.record["created_at"] = at("10:29");
    BOOST_TEST(time_of(e).from == "updated_at");
    e.record.erase("updated_at");
    BOOST_TEST(time_of(e).from == "created_at");
    auto const c = connection("staled", conn_1, "10:31:02.250");
    BOOST_TEST(time_of(c).from == "envelope id");
    BOOST_TEST((time_of(c).at == instant("10:31:02.250")));
}

BOOST_AUTO_TEST_CASE(a_record_without_time_or_v7_envelope_id_is_timed_by_its_arrival)
{
    auto c = connection("staled", conn_1, "10:31");
    c.envelope_id = "0b0e1d6c-1f40-4000-8000-000000000010"; // v4: says nothing about time
    c.received = instant("12:00");
    BOOST_TEST(time_of(c).from == "received");
    BOOST_TEST((time_of(c).at == instant("12:00")));
}

BOOST_AUTO_TEST_CASE(uuid_v7_time_reads_the_leading_48_bits)
{
    BOOST_TEST((uuid_v7_time("01936b2e-7c00-7000-8000-000000000001") ==
                timestamp{std::chrono::milliseconds(1'732'670'028'800)}));
    BOOST_TEST(!uuid_v7_time("01936b2e-7c00-4000-8000-000000000001"));
    BOOST_TEST(!uuid_v7_time(""));
}

BOOST_AUTO_TEST_SUITE_END() // time_of_a_fact

//---- Correlation -----------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(correlation)

BOOST_AUTO_TEST_CASE(ids_carried_together_are_one_fleet_keyed_by_its_fleet_id)
{
    auto const m = model_of(onboarded());
    BOOST_REQUIRE_EQUAL(m.fleets().size(), 1u);
    auto const f = m.fleets().front();
    BOOST_TEST(f.key == fleet_a);
    BOOST_TEST((f.lookups == std::set<std::string>{fleet_a, "ref:FLEET-1", by_inv_1,
                                                   std::string("connection:") + conn_1}));
}

BOOST_AUTO_TEST_CASE(without_a_fleet_id_the_key_is_the_first_of_ref_invitation_connection)
{
    BOOST_TEST(model_of({invitation("created", inv_1, {{"fleet_ref", "R"}})}).fleets().front().key == "ref:R");
    BOOST_TEST(model_of({invitation("created", inv_1)}).fleets().front().key == by_inv_1);
    BOOST_TEST(model_of({deactivated("10:00")}).fleets().front().key == std::string("connection:") + conn_1);
}

BOOST_AUTO_TEST_CASE(an_agreement_links_its_invitation_to_its_fleet)
{
    auto const m = model_of({invitation("declined", inv_2, {{"declined_at", at("10:01")}}),
                             invitation("accepted", inv_1, {{"accepted_at", at("10:05")}}),
                             agreement("created", agr_1, {{"invitation_id", inv_1}, {"updated_at", at("10:06")}})});
    BOOST_REQUIRE_EQUAL(m.fleets().size(), 2u); // inv_2 carried nothing linking it
    auto const f = fleet_of(m, by_inv_1);
    BOOST_TEST(f.key == fleet_a);
    BOOST_TEST(f.invitations.count(inv_1) == 1u);
}

BOOST_AUTO_TEST_CASE(two_fleet_ids_are_never_merged)
{
    auto const m = model_of({invitation("accepted", inv_1, {{"fleet_ref", "R"}, {"fleet_id", fleet_a}}),
                             invitation("accepted", inv_2, {{"fleet_ref", "R"}, {"fleet_id", fleet_b}})});
    BOOST_TEST(m.fleets().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_schedule_lands_on_the_fleet_of_its_connection)
{
    auto const m = model_of(plus(onboarded(), deactivated("11:00")));
    BOOST_REQUIRE_EQUAL(m.fleets().size(), 1u);
    BOOST_TEST(m.fleets().front().schedules.at(sched_1));
}

BOOST_AUTO_TEST_CASE(operations_webhooks_and_tsps_belong_to_no_fleet)
{
    auto const m = model_of({fact("resource_operation.created", {{"id", "r-1"}, {"connection_id", conn_1},
                                                                 {"fleet_ref", "R"}, {"created_at", at("10:00")}}),
                             fact("webhook.staled", {{"id", "w-1"}, {"status", "stale"}}, v7("10:01")),
                             fact("tsp.created", {{"id", "t-1"}, {"name", "samsara"}}, v7("10:02")),
                             invitation("created", inv_1, {{"fleet_ref", "R"}})});
    BOOST_REQUIRE_EQUAL(m.fleets().size(), 1u);
    BOOST_TEST((m.fleets().front().lookups == std::set<std::string>{"ref:R", by_inv_1}));
}

BOOST_AUTO_TEST_SUITE_END() // correlation

//---- The parts -------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(parts)

BOOST_AUTO_TEST_CASE(an_invitation_moves_forward_by_steps_not_by_time)
{
    // viewed and created carry the same created_at: the step decides.
    auto const m = model_of({invitation("viewed", inv_1), invitation("created", inv_1), invitation("sent", inv_1)});
    auto const f = fleet_of(m, by_inv_1);
    BOOST_TEST(to_string(f.invitations.at(inv_1)) == "viewed");
}

BOOST_AUTO_TEST_CASE(deleting_an_accepted_invitation_changes_nothing)
{
    auto const f = fleet_of(model_of({invitation("accepted", inv_1, {{"accepted_at", at("10:05")}}),
                                      invitation("deleted", inv_1, {{"updated_at", at("10:09")}})}),
                            by_inv_1);
    BOOST_TEST(to_string(f.invitations.at(inv_1)) == "accepted");
}

BOOST_AUTO_TEST_CASE(connections_are_made_by_lifecycle_records_not_by_data)
{
    auto const f = fleet_of(model_of({datum("vehicle.added", "10:00", "09:59", {{"connection_id", conn_2}}),
                                      execution("created", "success", "10:01")}),
                            fleet_a);
    BOOST_TEST(f.connections.count(conn_1) == 1u);
    BOOST_TEST(f.connections.count(conn_2) == 0u);
    BOOST_TEST(f.lookups.count(std::string("connection:") + conn_2) == 1u); // but it finds the fleet
}

BOOST_AUTO_TEST_SUITE_END() // parts

//---- Stage, row by row ----------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(stage_rows)

BOOST_AUTO_TEST_CASE(connected_needs_a_linked_connection_and_an_active_agreement_or_none)
{
    BOOST_TEST(stage_of(onboarded()) == "connected");
    BOOST_TEST(stage_of({linked(conn_1, "10:00")}) == "connected"); // no agreement known
    BOOST_TEST(stage_of(plus(onboarded(), agreement("deleted", agr_1, {}, v7("11:00")))) != "connected");
}

BOOST_AUTO_TEST_CASE(connection_needs_a_reported_connection_and_an_active_agreement_or_none)
{
    BOOST_TEST(stage_of({connection("staled", conn_1, "10:00")}) == "connection");
    BOOST_TEST(stage_of({connection("created", conn_1, "10:00"), agreement("created", agr_1, {})}) == "connection");
    // An execution makes a connection part, but not a reported one.
    BOOST_TEST(stage_of({execution("created", "success", "10:00")}) == ""); // none
}

BOOST_AUTO_TEST_CASE(agreement_needs_an_active_agreement)
{
    BOOST_TEST(stage_of({agreement("created", agr_1, {}), agreement("created", agr_2, {}),
                         agreement("deleted", agr_2, {}, v7("11:00"))}) == "agreement");
}

BOOST_AUTO_TEST_CASE(the_furthest_live_invitation_decides_accepted_viewed_invited)
{
    json::object const ref{{"fleet_ref", "R"}};
    auto const inv1 = [&](std::string s) { return invitation(s, inv_1, ref); };
    auto const inv2 = [&](std::string s) { return invitation(s, inv_2, ref); };
    BOOST_TEST(stage_of({inv1("created"), inv2("sent")}, "ref:R") == "invited");
    BOOST_TEST(stage_of({inv1("viewed"), inv2("sent")}, "ref:R") == "viewed");
    BOOST_TEST(stage_of({inv1("viewed"), inv2("accepted")}, "ref:R") == "accepted");
    // An ended invitation is not live: the pending one decides.
    BOOST_TEST(stage_of({inv1("created"), invitation("declined", inv_2, with(ref, {{"declined_at", at("10:10")}}))},
                        "ref:R") == "invited");
}

BOOST_AUTO_TEST_CASE(only_a_journey_begun_after_the_revocation_is_live)
{
    auto revoked = plus(onboarded(), agreement("deleted", agr_1, {{"updated_at", at("11:00")}}));
    // inv_1 was accepted at 10:05, before the revocation at 11:00.
    BOOST_TEST(stage_of(revoked) == "revoked");
    auto before = invitation("created", inv_2, {{"fleet_ref", "FLEET-1"}, {"created_at", at("10:30")}});
    BOOST_TEST(stage_of(plus(revoked, before)) == "revoked");
    auto after = invitation("viewed", inv_2, {{"fleet_ref", "FLEET-1"}, {"created_at", at("11:30")}});
    BOOST_TEST(stage_of(plus(revoked, after)) == "viewed");
}

BOOST_AUTO_TEST_CASE(revoked_when_agreements_are_known_and_none_is_active)
{
    BOOST_TEST(stage_of({agreement("created", agr_1, {}), agreement("deleted", agr_1, {}, v7("11:00"))}) == "revoked");
    BOOST_TEST(stage_of({agreement("deleted", agr_1, {}, v7("11:00")), invitation("declined", inv_1,
                         {{"fleet_id", fleet_a}, {"declined_at", at("12:00")}})}) == "revoked");
}

BOOST_AUTO_TEST_CASE(when_every_invitation_ended_the_latest_end_decides)
{
    json::object const ref{{"fleet_ref", "R"}};
    auto const ended = [&](std::string const& step, std::string const& id, std::string_view when) {
        auto const field = step == "declined" ? "declined_at" : step == "expired" ? "expires_at" : "deleted_at";
        return invitation(step, id, with(ref, {{field, at(when)}}));
    };
    BOOST_TEST(stage_of({ended("declined", inv_1, "10:40"), ended("expired", inv_2, "10:30")}, "ref:R") == "declined");
    BOOST_TEST(stage_of({ended("declined", inv_1, "10:40"), ended("deleted", inv_2, "10:50")}, "ref:R") == "deleted");
    // Equal end times: deleted over expired over declined.
    BOOST_TEST(stage_of({ended("declined", inv_1, "10:30"), ended("expired", inv_2, "10:30")}, "ref:R") == "expired");
    BOOST_TEST(stage_of({ended("deleted", inv_1, "10:30"), ended("expired", inv_2, "10:30")}, "ref:R") == "deleted");
}

BOOST_AUTO_TEST_CASE(none_when_nothing_of_the_above_is_known)
{
    BOOST_TEST(stage_of({datum("vehicle.added", "10:00", "09:59")}) == "");
}

BOOST_AUTO_TEST_SUITE_END() // stage_rows

//---- Health, row by row ----------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(health_rows)

BOOST_AUTO_TEST_CASE(stale_holds_until_connection_created_data_or_a_successful_execution_after_it)
{
    auto const staled = plus(onboarded(), connection("staled", conn_1, "11:00"));
    BOOST_TEST(health_of(staled) == "stale");
    BOOST_TEST(health_of(plus(staled, connection("created", conn_1, "11:05"))) == "ok");
    BOOST_TEST(health_of(plus(staled, datum("user.modified", "11:05", "10:00"))) == "ok");
    BOOST_TEST(health_of(plus(staled, execution("created", "success", "11:05"))) == "ok");
    BOOST_TEST(health_of(plus(staled, execution("created", "scheduled", "11:05"))) == "stale");
    // Evidence on another connection clears nothing.
    BOOST_TEST(health_of(plus(staled, datum("user.added", "11:05", "11:04", {{"connection_id", conn_2}}))) == "stale");
}

BOOST_AUTO_TEST_CASE(halted_holds_until_data_of_its_resource_or_naming_it_or_a_successful_run_after_it)
{
    auto const halted = plus(onboarded(), deactivated("11:00"));
    BOOST_TEST(health_of(halted) == "halted");
    BOOST_TEST(health_of(plus(halted, datum("hos_event.added", "11:05", "10:58"))) == "ok");
    BOOST_TEST(health_of(plus(halted, datum("vehicle.added", "11:05", "11:04", {{"schedule_id", sched_1}}))) == "ok");
    BOOST_TEST(health_of(plus(halted, execution("created", "success", "11:05"))) == "ok");
    // Data of another resource is no evidence for this schedule.
    BOOST_TEST(health_of(plus(halted, datum("vehicle.added", "11:05", "11:04"))) == "halted");
}

BOOST_AUTO_TEST_CASE(degraded_holds_until_connection_created_data_or_a_successful_execution_after_it)
{
    for(std::string alarm : {"failed", "staled"})
        BOOST_TEST_CONTEXT("execution." << alarm)
        {
            auto const failed = plus(onboarded(), execution(alarm, "failed", "11:00"));
            BOOST_TEST(health_of(failed) == "degraded");
            BOOST_TEST(health_of(plus(failed, connection("created", conn_1, "11:05"))) == "ok");
            BOOST_TEST(health_of(plus(failed, datum("vehicle.added", "11:05", "10:59"))) == "ok");
            BOOST_TEST(health_of(plus(failed, execution("created", "success", "11:05"))) == "ok");
        }
}

BOOST_AUTO_TEST_CASE(evidence_at_the_alarms_own_instant_does_not_clear_it)
{
    BOOST_TEST(health_of(plus(onboarded(), deactivated("11:00"), datum("hos_event.added", "11:00", "10:59"))) ==
               "halted");
}

BOOST_AUTO_TEST_CASE(health_is_the_worst_over_connections_and_schedules)
{
    auto const base = plus(onboarded(), execution("failed", "failed", "11:00"));
    BOOST_TEST(health_of(base) == "degraded");
    BOOST_TEST(health_of(plus(base, deactivated("11:01"))) == "halted");
    auto const m = model_of(plus(base, deactivated("11:01"), connection("staled", conn_2, "11:02")));
    auto const f = fleet_of(m, fleet_a);
    BOOST_TEST(to_string(f.health) == "stale");
    BOOST_TEST(to_string(f.connections.at(conn_1)) == "degraded");
    BOOST_TEST(to_string(f.connections.at(conn_2)) == "stale");
    // A stale connection that also failed a fetch is stale.
    BOOST_TEST(health_of(plus(base, connection("staled", conn_1, "11:03"))) == "stale");
}

BOOST_AUTO_TEST_SUITE_END() // health_rows

//---- The documented cases --------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(documented_cases)

BOOST_AUTO_TEST_CASE(an_onboarded_fleet_whose_only_agreement_is_deleted_is_revoked)
{
    BOOST_TEST(stage_of(onboarded()) == "connected");
    BOOST_TEST(stage_of(plus(onboarded(), agreement("deleted", agr_1, {}, v7("11:00")))) == "revoked");
}

BOOST_AUTO_TEST_CASE(a_decline_at_10_10_and_an_expiry_at_10_30_end_expired)
{
    json::object const ref{{"fleet_ref", "R"}};
    BOOST_TEST(stage_of({invitation("created", inv_1, ref), invitation("created", inv_2, ref),
                         invitation("declined", inv_2, with(ref, {{"declined_at", at("10:10")}})),
                         invitation("expired", inv_1, with(ref, {{"expires_at", at("10:30")}}))},
                        "ref:R") == "expired");
}

BOOST_AUTO_TEST_CASE(deleting_a_declined_invitation_makes_it_deleted)
{
    auto facts = std::vector<model_fact>{invitation("declined", inv_1, {{"declined_at", at("10:10")}}),
                                         invitation("deleted", inv_1)};
    facts.back().envelope_id = v7("10:20"); // no time in the record: its envelope id's
    auto const f = fleet_of(model_of(facts), by_inv_1);
    BOOST_TEST(to_string(f.invitations.at(inv_1)) == "deleted");
    BOOST_TEST(to_string(f.stage) == "deleted");
}

BOOST_AUTO_TEST_CASE(an_expired_invitation_of_a_ref_journey_stays_findable_after_the_merge)
{
    json::object const ref{{"fleet_ref", "FLEET-1"}};
    auto const facts = plus(onboarded(), invitation("created", inv_2, ref),
                            invitation("expired", inv_2, with(ref, {{"expires_at", at("09:50")}})));
    auto const m = model_of(facts);
    BOOST_REQUIRE_EQUAL(m.fleets().size(), 1u);
    auto const f = fleet_of(m, std::string("invitation:") + inv_2);
    BOOST_TEST(f.key == fleet_a);
    BOOST_TEST(to_string(f.invitations.at(inv_2)) == "expired");
}

BOOST_AUTO_TEST_CASE(an_alarm_is_cleared_by_data_ingested_after_it_even_when_it_happened_before)
{
    auto const halted = plus(onboarded(), deactivated("11:00:00"));
    BOOST_TEST(health_of(plus(halted, datum("hos_event.added", "11:00:05", "10:57:00"))) == "ok");
    BOOST_TEST(health_of(plus(halted, datum("hos_event.added", "10:59:55", "10:58:00"))) == "halted");

    auto const degraded = plus(onboarded(), execution("failed", "failed", "11:00"));
    BOOST_TEST(health_of(plus(degraded, datum("vehicle.added", "11:00:05", "10:57:00"))) == "ok");
    BOOST_TEST(health_of(plus(degraded, datum("vehicle.added", "10:59:55", "10:58:00"))) == "degraded");

    auto const stale = plus(onboarded(), connection("staled", conn_1, "11:00:00"));
    BOOST_TEST(health_of(plus(stale, datum("vehicle.added", "11:00:05", "10:57:00"))) == "ok");
    BOOST_TEST(health_of(plus(stale, datum("vehicle.added", "10:59:55", "10:58:00"))) == "stale");
    // A modification's ingestion is its updated_at, the later of the two.
    BOOST_TEST(health_of(plus(stale, datum("vehicle.modified", "09:00", "08:59", {{"updated_at", at("11:00:05")}}))) ==
               "ok");
}

BOOST_AUTO_TEST_CASE(explain_names_the_row_that_held_and_the_times_compared)
{
    auto const m = model_of(plus(onboarded(), deactivated("11:00")));
    auto const why = m.explain("ref:FLEET-1");
    BOOST_TEST(why.find("[X] connected") != std::string::npos);
    BOOST_TEST(why.find("halted holds: latest schedule.deactivated at 2025-12-01T11:00:00Z") != std::string::npos);
    BOOST_TEST(m.explain("ref:nobody") == "no fleet is known by ref:nobody\n");
}

BOOST_AUTO_TEST_SUITE_END() // documented_cases

BOOST_AUTO_TEST_SUITE_END() // fleet_model

} // namespace unit_fleet_model
