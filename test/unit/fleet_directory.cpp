// SPDX-License-Identifier: BSL-1.0
// test/unit/fleet_directory.cpp - correlation to fleets, merges, and the stage and health of each fleet.
#include "processing/event_order.hpp"
#include "processing/fleet_directory.hpp"

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <cstdio>

#include <string>
#include <vector>

namespace unit_fleet_directory { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
using lifecycle = detail::fleet_directory;
using detail::lifecycle_output;
using detail::order_key;

timestamp const t0{std::chrono::seconds(1'764'000'000)};

struct ids
{
    std::string fleet_id, fleet_ref, invitation_id, connection_id;
};

struct fixture
{
    lifecycle lc;
    lifecycle_output out;
    int clock = 0;

    // Applies `name` at the next second (or at `at` seconds when given), to a new record
    // (or to `record_id`), with the record's other fields in `fields`.
    event apply(std::string name, ids const& i, int at = -1, std::string status = {}, std::string record_id = {},
                boost::json::object fields = {})
    {
        event ev;
        ev.event_name = std::move(name);
        ++clock;
        ev.record_id = record_id.empty() ? "rec-" + std::to_string(clock) : record_id;
        ev.record = std::move(fields);
        ev.event_id = "evt-" + std::to_string(clock);
        ev.idempotency_key = "wh/" + ev.event_id + "/" + ev.record_id;
        ev.fleet_id = i.fleet_id;
        ev.fleet_ref = i.fleet_ref;
        ev.invitation_id = i.invitation_id;
        ev.connection_id = i.connection_id;
        ev.status = std::move(status);
        order_key k;
        k.time = t0 + std::chrono::seconds(at >= 0 ? at : clock);
        k.rank = detail::step_rank(ev.event_name);
        k.record_id = ev.record_id;
        out = {};
        lc.apply(ev, k, out);
        return ev;
    }

    std::vector<std::string> stage_moves() const
    {
        std::vector<std::string> v;
        for(auto const& t : out.transitions)
            if(t.what == dimension::stage)
                v.push_back(std::string(t.from) + ">" + std::string(t.to));
        return v;
    }
    std::vector<std::string> health_moves() const
    {
        std::vector<std::string> v;
        for(auto const& t : out.transitions)
            if(t.what == dimension::health)
                v.push_back(std::string(t.from) + ">" + std::string(t.to));
        return v;
    }
    std::vector<std::string> moves_of(dimension d) const
    {
        std::vector<std::string> v;
        for(auto const& t : out.transitions)
            if(t.what == d)
                v.push_back(t.entity_id + ":" + std::string(t.from) + ">" + std::string(t.to));
        return v;
    }
    std::size_t history_of(std::string const& key, dimension d) const
    {
        auto const h = lc.history(key);
        return static_cast<std::size_t>(std::count_if(h.begin(), h.end(), [&](transition const& t) { return t.what == d; }));
    }
    stage stage_of(std::string const& key) const { return lc.fleet(key).value().stage; }
    health health_of(std::string const& key) const { return lc.fleet(key).value().health; }
};

ids const invite{"", "FLEET-1", "inv-1", ""};
ids const fleet{"fleet-1", "FLEET-1", "inv-1", ""};
ids const agreement{"fleet-1", "FLEET-1", "inv-1", ""};
ids const conn{"fleet-1", "", "", "conn-1"};
ids const conn_only{"", "", "", "conn-1"};

BOOST_FIXTURE_TEST_SUITE(lifecycle_, fixture)

BOOST_AUTO_TEST_CASE(state_names_round_trip)
{
    for(auto s : {stage::invited, stage::viewed, stage::accepted, stage::agreement, stage::connection, stage::connected,
                  stage::declined, stage::expired, stage::deleted, stage::revoked})
        BOOST_TEST((parse_stage(to_string(s)) == s));
    for(auto h : {health::ok, health::degraded, health::stale, health::halted})
        BOOST_TEST((parse_health(to_string(h)) == h));
    BOOST_TEST(to_string(stage::connected) == "connected");
    BOOST_TEST(to_string(health::halted) == "halted");
    BOOST_TEST(!parse_stage("onboarded").has_value());
    BOOST_TEST(to_string(stage::none).empty());
}

BOOST_AUTO_TEST_CASE(walks_the_onboarding_journey_in_order)
{
    std::vector<std::string> moves;
    auto step = [&](std::string name, ids const& i) {
        apply(std::move(name), i);
        for(auto const& m : stage_moves())
            moves.push_back(m);
        BOOST_TEST(out.impossible.empty());
    };
    step("invitation.created", invite);
    step("invitation.sent", invite);
    step("invitation.viewed", invite);
    step("invitation.accepted", fleet);
    step("share_agreement.created", agreement);
    step("connection.created", conn);
    step("fleet_connection.created", conn);
    std::vector<std::string> const expected{">invited",           "invited>viewed",        "viewed>accepted",
                                            "accepted>agreement", "agreement>connection", "connection>connected"};
    BOOST_TEST(moves == expected, boost::test_tools::per_element());
    BOOST_TEST((stage_of("fleet-1") == stage::connected));
    BOOST_TEST((health_of("fleet-1") == health::ok));
    BOOST_TEST(history_of("fleet-1", dimension::stage) == 6u);
}

BOOST_AUTO_TEST_CASE(skipped_connection_step_goes_straight_to_connected)
{
    apply("invitation.accepted", fleet);
    apply("share_agreement.created", agreement);
    apply("fleet_connection.created", conn);
    BOOST_TEST(stage_moves() == std::vector<std::string>{"agreement>connected"});
    BOOST_TEST(out.impossible.empty());
}

BOOST_AUTO_TEST_CASE(merges_ref_keyed_journey_into_fleet_when_accepted)
{
    auto e = apply("invitation.created", invite);
    BOOST_TEST(e.fleet_key == "ref:FLEET-1");
    apply("invitation.viewed", invite);
    e = apply("invitation.accepted", fleet);
    BOOST_TEST(e.fleet_key == "fleet-1");
    BOOST_REQUIRE(out.merges.size() == 1u);
    BOOST_TEST(out.merges[0].from == "ref:FLEET-1");
    BOOST_TEST(out.merges[0].into == "fleet-1");
    BOOST_TEST(out.merges[0].cause == "invitation.accepted");
    BOOST_TEST(stage_moves() == std::vector<std::string>{"viewed>accepted"});
    // The old key and every linked id now find the fleet, and its history is whole.
    BOOST_TEST(lc.fleet("ref:FLEET-1")->key == "fleet-1");
    BOOST_TEST(lc.fleet("invitation:inv-1")->key == "fleet-1");
    BOOST_TEST(history_of("fleet-1", dimension::stage) == 3u);
    BOOST_TEST(history_of("fleet-1", dimension::invitation) == 3u);
    BOOST_TEST(lc.fleet_count() == 1u);
}

BOOST_AUTO_TEST_CASE(keys_by_invitation_when_there_is_no_fleet_ref)
{
    ids const bare{"", "", "inv-9", ""};
    auto e = apply("invitation.created", bare);
    BOOST_TEST(e.fleet_key == "invitation:inv-9");
    // share_agreement links the invitation to the fleet (schema versions with invitation_id).
    e = apply("share_agreement.created", ids{"fleet-9", "", "inv-9", ""});
    BOOST_TEST(e.fleet_key == "fleet-9");
    BOOST_REQUIRE(out.merges.size() == 1u);
    BOOST_TEST(out.merges[0].from == "invitation:inv-9");
    BOOST_TEST(stage_moves() == std::vector<std::string>{"invited>agreement"});
}

BOOST_AUTO_TEST_CASE(schedule_deactivated_reaches_fleet_through_its_connection)
{
    apply("fleet_connection.created", conn);
    auto e = apply("schedule.deactivated", conn_only);
    BOOST_TEST(e.fleet_key == "fleet-1");
    BOOST_TEST(health_moves() == std::vector<std::string>{"ok>halted"});
    BOOST_TEST((health_of("fleet-1") == health::halted));
}

BOOST_AUTO_TEST_CASE(unlinked_connection_is_merged_once_linked)
{
    auto e = apply("schedule.deactivated", conn_only);
    BOOST_TEST(e.fleet_key == "connection:conn-1");
    e = apply("fleet_connection.created", conn);
    BOOST_TEST(e.fleet_key == "fleet-1");
    BOOST_REQUIRE(out.merges.size() == 1u);
    BOOST_TEST(out.merges[0].from == "connection:conn-1");
}

BOOST_AUTO_TEST_CASE(health_degrades_stales_halts_and_recovers)
{
    apply("fleet_connection.created", conn);
    apply("execution.failed", conn, -1, "failed");
    BOOST_TEST(health_moves() == std::vector<std::string>{"ok>degraded"});
    apply("vehicle_location.added", conn);
    BOOST_TEST(health_moves() == std::vector<std::string>{"degraded>ok"});
    apply("connection.staled", conn);
    BOOST_TEST(health_moves() == std::vector<std::string>{"ok>stale"});
    // Data ingested after the alarm ends it (Catena emits nothing when a stale connection
    // re-authenticates without a new connection.created); so does re-authentication.
    apply("vehicle_location.added", conn);
    BOOST_TEST(health_moves() == std::vector<std::string>{"stale>ok"});
    apply("connection.staled", conn);
    BOOST_TEST(health_moves() == std::vector<std::string>{"ok>stale"});
    apply("connection.created", conn);
    BOOST_TEST(health_moves() == std::vector<std::string>{"stale>ok"});
    BOOST_TEST(out.impossible.empty()); // re-authenticating a connected fleet is normal
    BOOST_TEST((stage_of("fleet-1") == stage::connected));
    apply("schedule.deactivated", conn_only, -1, {}, "sched-1", {{"resource", "hos_event"}});
    BOOST_TEST(health_moves() == std::vector<std::string>{"ok>halted"});
    BOOST_TEST(moves_of(dimension::schedule) == std::vector<std::string>{"sched-1:active>deactivated"});
    // A successful execution of that schedule: it runs again.
    apply("execution.created", conn, -1, "success", {}, {{"schedule_id", "sched-1"}, {"resource", "hos_event"}});
    BOOST_TEST(health_moves() == std::vector<std::string>{"halted>ok"});
    BOOST_TEST(lc.fleet("fleet-1")->failed_executions == 1u);
    BOOST_TEST(lc.fleet("fleet-1")->connections.at(0).schedules.at(0).resource == "hos_event");
}

BOOST_AUTO_TEST_CASE(late_event_is_flagged_and_changes_nothing)
{
    apply("invitation.accepted", fleet, 10);
    apply("fleet_connection.created", conn, 20);
    auto e = apply("invitation.viewed", fleet, 5);
    BOOST_TEST(e.late);
    BOOST_TEST(out.transitions.empty());
    BOOST_TEST(out.impossible.empty());
    BOOST_TEST((stage_of("fleet-1") == stage::connected));
    // A failure older than the connection's last health change is counted (it is a record
    // of its own, not late) but says nothing about the connection now.
    apply("connection.staled", conn, 30, {}, "conn-1");
    e = apply("execution.failed", conn, 25, "failed");
    BOOST_TEST(!e.late);
    BOOST_TEST(out.transitions.empty());
    BOOST_TEST((health_of("fleet-1") == health::stale));
    BOOST_TEST(lc.fleet("fleet-1")->failed_executions == 1u);
    // An older version of the connection record itself is late.
    e = apply("connection.created", conn, 28, {}, "conn-1");
    BOOST_TEST(e.late);
    BOOST_TEST((health_of("fleet-1") == health::stale));
}

BOOST_AUTO_TEST_CASE(lateness_is_judged_per_record_not_per_fleet)
{
    apply("connection.created", conn, 100, {}, "conn-1");
    // Another connection's record, older than what conn-1 showed, is not late.
    auto e = apply("connection.created", ids{"fleet-1", "", "", "conn-2"}, 50, {}, "conn-2");
    BOOST_TEST(!e.late);
    BOOST_TEST(lc.fleet("fleet-1")->connections.size() == 2u);
    e = apply("connection.staled", ids{"fleet-1", "", "", "conn-2"}, 40, {}, "conn-2");
    BOOST_TEST(e.late);
    BOOST_TEST((health_of("fleet-1") == health::ok));
}

BOOST_AUTO_TEST_CASE(impossible_move_is_reported_and_not_applied)
{
    apply("invitation.accepted", fleet);
    apply("fleet_connection.created", conn);
    apply("invitation.declined", fleet); // the same invitation: it ended accepted
    BOOST_TEST(out.transitions.empty());
    BOOST_TEST(out.impossible.find("invitation.declined cannot follow accepted of invitation inv-1") != std::string::npos);
    BOOST_TEST((stage_of("fleet-1") == stage::connected));
}

BOOST_AUTO_TEST_CASE(new_invitation_restarts_an_ended_journey)
{
    apply("invitation.created", invite);
    apply("invitation.declined", invite);
    BOOST_TEST(stage_moves() == std::vector<std::string>{"invited>declined"});
    apply("invitation.created", ids{"", "FLEET-1", "inv-2", ""});
    BOOST_TEST(stage_moves() == std::vector<std::string>{"declined>invited"});
    BOOST_TEST(lc.fleet("ref:FLEET-1")->invitation_ids.size() == 2u);
}

BOOST_AUTO_TEST_CASE(expired_and_deleted_leave_before_acceptance)
{
    apply("invitation.created", ids{"", "A", "inv-a", ""});
    apply("invitation.expired", ids{"", "A", "inv-a", ""});
    BOOST_TEST((stage_of("ref:A") == stage::expired));
    apply("invitation.created", ids{"", "B", "inv-b", ""});
    apply("invitation.viewed", ids{"", "B", "inv-b", ""});
    apply("invitation.deleted", ids{"", "B", "inv-b", ""});
    BOOST_TEST((stage_of("ref:B") == stage::deleted));
    BOOST_TEST(lc.fleets_in(stage::expired).size() == 1u);
    BOOST_TEST(lc.fleets_in(stage::deleted).size() == 1u);
}

BOOST_AUTO_TEST_CASE(share_agreement_deleted_revokes)
{
    apply("share_agreement.created", agreement, -1, {}, "sa-1");
    apply("fleet_connection.created", conn);
    apply("share_agreement.deleted", agreement, -1, {}, "sa-1");
    BOOST_TEST(stage_moves() == std::vector<std::string>{"connected>revoked"});
    BOOST_TEST(moves_of(dimension::agreement) == std::vector<std::string>{"sa-1:active>deleted"});
}

BOOST_AUTO_TEST_CASE(two_fleet_ids_sharing_a_ref_stay_two_fleets)
{
    apply("invitation.accepted", ids{"fleet-a", "SHARED", "inv-a", ""});
    auto e = apply("invitation.accepted", ids{"fleet-b", "SHARED", "inv-b", ""});
    BOOST_TEST(e.fleet_key == "fleet-b");
    BOOST_TEST(out.merges.empty());
    BOOST_TEST(lc.fleet_count() == 2u);
    // The reference now names the fleet seen last.
    BOOST_TEST(lc.fleet("ref:SHARED")->key == "fleet-b");
}

BOOST_AUTO_TEST_CASE(events_about_no_fleet_have_no_key)
{
    auto e = apply("webhook.staled", ids{});
    BOOST_TEST(e.fleet_key.empty());
    BOOST_TEST(lc.fleet_count() == 0u);
}

BOOST_AUTO_TEST_CASE(transition_keys_are_stable_and_distinct_per_dimension)
{
    apply("fleet_connection.created", conn);
    auto const e = apply("connection.staled", ids{"fleet-2", "", "", "conn-2"}, -1, {}, "conn-2");
    // A connection seen first as stale: its part moves, then the fleet's stage and health.
    BOOST_REQUIRE(out.transitions.size() == 3u);
    BOOST_TEST(out.transitions[0].idempotency_key == e.idempotency_key + "#connection:conn-2");
    BOOST_TEST(out.transitions[1].idempotency_key == e.idempotency_key + "#stage");
    BOOST_TEST(out.transitions[2].idempotency_key == e.idempotency_key + "#health");
    BOOST_TEST(out.transitions[1].cause == "connection.staled");
    BOOST_TEST(out.transitions[1].fleet_key == "fleet-2");
}

BOOST_AUTO_TEST_CASE(a_snapshot_restores_the_same_fleet_with_awkward_text_and_its_streams)
{
    // Text straight from deliveries: quotes, backslashes, control characters, UTF-8.
    std::string const ref = "ref \"q\" \\ \t\n\x01 \xc3\xa9\xe2\x82\xac";
    ids const i{"f-1", ref, "inv-\"1\"", "conn-\\1"};
    apply("invitation.created", i);
    apply("invitation.accepted", i);
    apply("share_agreement.created", i);
    apply("execution.failed", i);
    apply("vehicle.added", i);
    auto const before = lc.fleet("f-1");
    BOOST_REQUIRE(before);
    auto const c = lc.capture(before->key);
    BOOST_REQUIRE(c);
    BOOST_REQUIRE(!c->versions.empty());
    BOOST_REQUIRE(!c->evidence.empty());
    auto const doc = detail::codec::encode(*c);

    lifecycle restored;
    auto decoded = detail::codec::decode_fleet(doc);
    BOOST_REQUIRE(decoded);
    restored.restore(std::move(*decoded));
    auto const after = restored.fleet("f-1");
    BOOST_REQUIRE(after);
    BOOST_TEST(after->key == before->key);
    BOOST_TEST(after->fleet_ref == ref);
    BOOST_TEST(after->invitation_ids == before->invitation_ids, boost::test_tools::per_element());
    BOOST_TEST(after->connection_ids == before->connection_ids, boost::test_tools::per_element());
    BOOST_TEST((after->stage == before->stage));
    BOOST_TEST((after->health == before->health));
    BOOST_TEST(after->failed_executions == before->failed_executions);
    BOOST_TEST(after->last_event == before->last_event);
    BOOST_TEST((after->last_occurred_at == before->last_occurred_at));
    BOOST_TEST(restored.fleet("ref:" + ref).has_value()); // its ids are linked again
    // The streams came back too: the next capture serializes to the same document.
    auto const again = restored.capture(after->key);
    BOOST_REQUIRE(again);
    BOOST_TEST(detail::codec::encode(*again) == doc);
}

BOOST_AUTO_TEST_CASE(pages_fleets_by_key_with_filters_and_a_cursor_until_every_match_was_seen_once)
{
    // 25 fleets: every third one stale.
    for(int n = 0; n < 25; ++n)
    {
        char key[16];
        std::snprintf(key, sizeof key, "fleet-%02d", n);
        ids const i{key, "", "", "conn-" + std::to_string(n)};
        apply("fleet_connection.created", i);
        if(n % 3 == 0)
            apply("connection.staled", i);
    }
    fleet_query q;
    q.limit = 4;
    std::vector<std::string> keys;
    for(int pages = 0;; ++pages)
    {
        BOOST_REQUIRE(pages < 10);
        auto const p = lc.page(q);
        BOOST_TEST(p.matched == 25u);
        for(auto const& f : p.fleets)
            keys.push_back(f.key);
        if(p.next_cursor.empty())
            break;
        BOOST_TEST(p.fleets.size() == 4u);
        BOOST_TEST(p.next_cursor == p.fleets.back().key);
        q.after = p.next_cursor;
    }
    BOOST_TEST(keys.size() == 25u);
    BOOST_TEST(std::is_sorted(keys.begin(), keys.end()));
    BOOST_TEST((std::adjacent_find(keys.begin(), keys.end()) == keys.end()));

    fleet_query stale;
    stale.health = health::stale;
    stale.limit = 100;
    auto const p = lc.page(stale);
    BOOST_TEST(p.matched == 9u);
    BOOST_TEST(p.fleets.size() == 9u);
    BOOST_TEST(p.next_cursor.empty());
    for(auto const& f : p.fleets)
        BOOST_TEST((f.health == health::stale));
    stale.stage = stage::invited;
    BOOST_TEST(lc.page(stale).matched == 0u);

    auto const t = lc.tally();
    BOOST_TEST(t.total == 25u);
    BOOST_TEST(t.by_health[static_cast<std::size_t>(health::stale)] == 9u);
    BOOST_TEST(t.by_health[static_cast<std::size_t>(health::ok)] == 16u);
    BOOST_TEST(t.by_stage[static_cast<std::size_t>(stage::connected)] == 25u);
}

// Pages are walked a slice of keys at a time and counts are kept as fleets change (no scan
// of every fleet under the lock): they must still say exactly what a scan would, with merges
// retiring keys, across more fleets than a slice, with few matches spread thin.
BOOST_AUTO_TEST_CASE(tallies_and_pages_agree_with_a_scan_of_every_fleet_as_fleets_change_and_merge)
{
    std::mt19937 rng(7);
    for(int n = 0; n < 3000; ++n)
    {
        auto const k = std::to_string(1000 + rng() % 2000);
        switch(rng() % 6)
        {
        case 0: apply("invitation.created", ids{"", "REF-" + k, "inv-" + k, ""}); break;
        case 1: apply("invitation.accepted", ids{"fleet-" + k, "REF-" + k, "inv-" + k, ""}); break; // merges REF-k
        case 2: apply("fleet_connection.created", ids{"fleet-" + k, "", "", "conn-" + k}); break;
        case 3: apply("connection.staled", ids{"fleet-" + k, "", "", "conn-" + k}); break;
        case 4: apply("schedule.deactivated", ids{"", "", "", "conn-" + k}, -1, {}, "s-" + k); break;
        default: apply("share_agreement.deleted", ids{"fleet-" + k, "", "", ""}, -1, {}, "a-" + k); break;
        }
    }
    auto const all = lc.fleets();
    BOOST_REQUIRE(all.size() > 1024u);
    auto const t = lc.tally();
    BOOST_TEST(t.total == all.size());
    for(std::size_t st = 0; st < t.by_stage.size(); ++st)
        BOOST_TEST(t.by_stage[st] == static_cast<std::uint64_t>(std::count_if(all.begin(), all.end(), [&](auto const& f) {
                       return static_cast<std::size_t>(f.stage) == st;
                   })));
    for(auto const& filter : {std::pair<std::optional<stage>, std::optional<health>>{stage::revoked, health::stale},
                             {std::nullopt, health::halted}, {stage::invited, std::nullopt}, {std::nullopt, std::nullopt}})
    {
        std::vector<std::string> expected;
        for(auto const& f : all)
            if((!filter.first || f.stage == *filter.first) && (!filter.second || f.health == *filter.second))
                expected.push_back(f.key);
        std::sort(expected.begin(), expected.end());
        fleet_query q;
        q.stage = filter.first;
        q.health = filter.second;
        q.limit = 7;
        std::vector<std::string> seen;
        for(int pages = 0;; ++pages)
        {
            BOOST_REQUIRE(pages < 1000);
            auto const p = lc.page(q);
            BOOST_TEST(p.matched == expected.size());
            for(auto const& f : p.fleets)
                seen.push_back(f.key);
            if(p.next_cursor.empty())
                break;
            q.after = p.next_cursor;
        }
        BOOST_TEST(seen == expected, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_fleet_directory
