// SPDX-License-Identifier: BSL-1.0
// test/unit/fleet_rules.cpp - the fleet model against an independent model of Catena's rules, on random histories.
//
// Each seed: a random history of several fleets (tools/sim/history), delivered as Catena
// would (shuffled within the reorder window, some retried, lifecycle events also through a
// second subscription), through the pipeline, with a restart (everything committed, encoded
// and decoded as a store keeps it) at a random point; every fleet of the reference model
// (test/support/fleet_model, written from docs/processing.md alone) must then be found under
// every key it was known by, with the model's stage, health and parts. A failing seed prints
// its history and both sides.
//
// CATENA_WEBHOOKS_FLEET_RULES_SEEDS=N runs seeds 1..N (default 300; 10 000 before a change to
// the fleet rules lands); CATENA_WEBHOOKS_FLEET_RULES_SEED=S runs seed S alone.
#include "fleet_model.hpp"
#include "history.hpp"
#include "pipeline_feeder.hpp"
#include "state/codec.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

namespace unit_fleet_rules { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace sim = catena::webhooks::sim;
namespace tst = catena::webhooks::test;
using namespace std::chrono_literals;

constexpr std::string_view second_webhook = "9a7e0000-0000-4000-8000-00000000b002";

// One delivery attempt as it reaches the receiver.
struct arrival
{
    timestamp at;
    sim::message msg;
    std::uint32_t attempt = 1;
};

bool is_lifecycle(std::string_view name)
{
    for(std::string_view p : {"invitation.", "share_agreement.", "connection.", "fleet_connection."})
        if(name.starts_with(p))
            return true;
    return false;
}

// The history as it arrives: each fact 0-1.5 s after Catena sends it (within the 2 s window),
// a tenth of them retried (the same envelope, attempt 2), a quarter of the lifecycle ones also
// through a second subscription (another webhook id and envelope id, the same record).
std::vector<arrival> arrivals_of(sim::history const& h, std::mt19937_64& rng)
{
    std::uniform_int_distribution<int> jitter(0, 1500);
    std::uniform_real_distribution<double> chance(0, 1);
    std::vector<arrival> out;
    for(auto const& f : h.facts)
    {
        out.push_back({f.emitted + std::chrono::milliseconds(jitter(rng)), f.msg, 1});
        if(chance(rng) < 0.1)
            out.push_back({f.emitted + std::chrono::milliseconds(jitter(rng) + 300), f.msg, 2});
        if(is_lifecycle(f.msg.event_name) && chance(rng) < 0.25)
        {
            auto copy = f.msg;
            copy.webhook_id = second_webhook;
            if(!copy.event_id.empty())
                copy.event_id = sim::uuid_v7(f.emitted, rng);
            out.push_back({f.emitted + std::chrono::milliseconds(jitter(rng)), std::move(copy), 1});
        }
    }
    std::stable_sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.at < b.at; });
    return out;
}

struct run
{
    std::unique_ptr<tst::feeder> f = std::make_unique<tst::feeder>();
    std::vector<std::pair<detail::identity_digest, timestamp>> identities;

    void push(arrival const& a)
    {
        f->p.release(a.at);
        auto r = f->push(a.msg, a.at, a.attempt);
        for(auto const& k : r.identities)
            identities.emplace_back(k.digest, a.at);
    }

    // A graceful restart: everything held is released and committed, every fleet encoded and
    // decoded as a store keeps it, and a new pipeline takes it back.
    void restart(timestamp now)
    {
        f->p.flush(now);
        std::vector<detail::fleet_capture> kept;
        for(auto const& st : f->p.fleets().fleets())
        {
            auto c = f->p.fleets().capture(st.key);
            BOOST_REQUIRE(c);
            auto back = detail::codec::decode_fleet(detail::codec::encode(*c));
            BOOST_REQUIRE_MESSAGE(back, "fleet " << st.key << " decodes as it was encoded");
            kept.push_back(std::move(*back));
        }
        auto next = std::make_unique<tst::feeder>();
        next->sequence = f->sequence;
        next->p.restore(std::move(kept), {}, identities);
        f = std::move(next);
    }
};

std::string text(fleet_state const& s)
{
    std::ostringstream o;
    o << s.key << ": stage " << to_string(s.stage) << ", health " << to_string(s.health) << "; invitations";
    for(auto const& i : s.invitations)
        o << " " << i.id << "=" << to_string(i.state);
    o << "; agreements";
    for(auto const& a : s.agreements)
        o << " " << a.id << "=" << (a.active ? "active" : "deleted");
    o << "; connections";
    for(auto const& c : s.connections)
    {
        o << " " << c.id << "=" << to_string(c.health);
        for(auto const& sc : c.schedules)
            o << " [" << sc.id << (sc.active ? " active]" : " deactivated]");
    }
    return o.str();
}

// What does not match between the model's fleet and the receiver's under each of its keys.
std::vector<std::string> differences(tst::model_fleet const& m, detail::fleet_directory const& d)
{
    std::vector<std::string> why;
    std::optional<std::string> seen_key;
    for(auto const& key : m.lookups)
    {
        auto const f = d.fleet(key);
        if(!f)
        {
            why.push_back("nothing found under " + key);
            continue;
        }
        if(seen_key && *seen_key != f->key)
            why.push_back(key + " finds " + f->key + ", another key finds " + *seen_key);
        seen_key = f->key;
    }
    if(!seen_key)
        return why;
    auto const f = *d.fleet(*seen_key);
    if(f.stage != m.stage)
        why.push_back("stage " + std::string(to_string(f.stage)) + ", the model says " + std::string(to_string(m.stage)));
    if(f.health != m.health)
        why.push_back("health " + std::string(to_string(f.health)) + ", the model says " +
                      std::string(to_string(m.health)));
    for(auto const& [id, state] : m.invitations)
    {
        auto it = std::find_if(f.invitations.begin(), f.invitations.end(), [&](auto const& i) { return i.id == id; });
        if(it == f.invitations.end())
            why.push_back("invitation " + id + " missing");
        else if(it->state != state)
            why.push_back("invitation " + id + " " + std::string(to_string(it->state)) + ", the model says " +
                          std::string(to_string(state)));
    }
    for(auto const& [id, active] : m.agreements)
    {
        auto it = std::find_if(f.agreements.begin(), f.agreements.end(), [&](auto const& a) { return a.id == id; });
        if(it == f.agreements.end())
            why.push_back("agreement " + id + " missing");
        else if(it->active != active)
            why.push_back("agreement " + id + (it->active ? " active" : " deleted") + ", the model says " +
                          (active ? "active" : "deleted"));
    }
    for(auto const& [id, h] : m.connections)
    {
        auto it = std::find_if(f.connections.begin(), f.connections.end(), [&](auto const& c) { return c.id == id; });
        if(it == f.connections.end())
            why.push_back("connection " + id + " missing");
        else if(it->health != h)
            why.push_back("connection " + id + " " + std::string(to_string(it->health)) + ", the model says " +
                          std::string(to_string(h)));
    }
    for(auto const& [id, halted] : m.schedules)
    {
        bool found = false, active = true;
        for(auto const& c : f.connections)
            for(auto const& s : c.schedules)
                if(s.id == id)
                {
                    found = true;
                    active = s.active;
                }
        if(halted && (!found || active))
            why.push_back("schedule " + id + " not deactivated, the model says halted");
        if(!halted && found && !active)
            why.push_back("schedule " + id + " deactivated, the model says active");
    }
    return why;
}

// Runs one seed; the report of what went wrong, empty when the receiver agrees with the model.
std::string check_seed(std::uint64_t seed)
{
    sim::history_options o;
    o.seed = seed;
    o.fleets = 3;
    auto const h = sim::make_history(o);
    tst::fleet_model model;
    for(auto const& f : h.facts)
        model.add({f.msg.event_name, f.msg.data.at(0).as_object(), f.msg.event_id, f.emitted});

    std::mt19937_64 rng(seed * 7919);
    auto const arrivals = arrivals_of(h, rng);
    run r;
    auto const restart_at = std::uniform_int_distribution<std::size_t>(0, arrivals.size())(rng);
    for(std::size_t i = 0; i < arrivals.size(); ++i)
    {
        if(i == restart_at)
            r.restart(arrivals[i].at);
        r.push(arrivals[i]);
    }
    r.f->p.flush(arrivals.back().at + 1h);

    std::ostringstream report;
    for(auto const& m : model.fleets())
    {
        auto const why = differences(m, r.f->p.fleets());
        if(why.empty())
            continue;
        report << "fleet " << m.key << ":\n";
        for(auto const& w : why)
            report << "  " << w << "\n";
        if(auto f = r.f->p.fleets().fleet(m.key))
            report << "  the receiver: " << text(*f) << "\n";
        report << "  the model: " << model.explain(m.key) << "\n";
    }
    if(report.tellp() > 0)
        report << "restart before arrival " << restart_at << " of " << arrivals.size() << "; the history:\n"
               << sim::to_text(h);
    return report.str();
}

std::uint64_t env_number(char const* name, std::uint64_t fallback)
{
    char const* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_rules)

BOOST_AUTO_TEST_CASE(every_fleet_ends_where_the_reference_model_of_catenas_rules_puts_it)
{
    std::uint64_t first = 1, last = env_number("CATENA_WEBHOOKS_FLEET_RULES_SEEDS", 300);
    if(auto one = env_number("CATENA_WEBHOOKS_FLEET_RULES_SEED", 0))
        first = last = one;
    std::size_t failed = 0;
    for(auto seed = first; seed <= last; ++seed)
    {
        auto const report = check_seed(seed);
        if(report.empty())
            continue;
        if(++failed <= 3)
            BOOST_ERROR("seed " << seed << " (CATENA_WEBHOOKS_FLEET_RULES_SEED=" << seed << "):\n" << report);
    }
    BOOST_TEST(failed == 0u, failed << " of " << (last - first + 1) << " seeds disagree with the model");
}

//------------------------------------------------------------------------------
// The seven classes of histories the fleet model once got wrong, each by name.

namespace {

std::string const fleet_id = "98765432-10fe-dcba-9876-543210fedcba";
std::string const conn_id = "c0000000-0000-4000-8000-0000000000c1";

std::string at(std::string_view hhmm) { return "2025-12-01T" + std::string(hhmm) + ":00Z"; }

boost::json::object invitation(std::string const& id, std::string const& status, boost::json::object extra = {})
{
    boost::json::object r{{"id", id},
                          {"created_at", at("09:00")},
                          {"expires_at", "2025-12-02T09:00:00Z"},
                          {"status", status},
                          {"fleet_id", nullptr},
                          {"fleet_ref", "FLEET-7"}};
    for(auto const& kv : extra)
        r[kv.key()] = kv.value();
    return r;
}

// An envelope id of instant `hhmm` (a record with no time of its own is ordered by it).
std::string sent_at(std::string_view hhmm, std::uint64_t n = 1)
{
    std::mt19937_64 rng(n);
    return sim::uuid_v7(*parse_rfc3339(at(hhmm)), rng);
}

struct journey
{
    tst::feeder f;
    timestamp now = *parse_rfc3339("2025-12-01T12:00:00Z");

    void send(std::string event, boost::json::object record, std::string envelope_id = {})
    {
        now += 1s;
        f.push(tst::message(std::move(event), std::move(record), std::move(envelope_id)), now);
    }
    fleet_state fleet(std::string const& key)
    {
        f.p.flush(now + 1h);
        auto s = f.p.fleets().fleet(key);
        BOOST_REQUIRE_MESSAGE(s, "a fleet under " << key);
        return *s;
    }
    // The onboarding of spec §5.8, invitation to fleet connection.
    void onboard(std::string const& inv = "i-1")
    {
        send("invitation.created", invitation(inv, "active"));
        send("invitation.viewed", invitation(inv, "active"));
        send("invitation.accepted", invitation(inv, "accepted", {{"accepted_at", at("09:10")}, {"fleet_id", fleet_id}}));
        send("share_agreement.created",
             {{"id", "a-1"}, {"fleet_id", fleet_id}, {"invitation_id", inv}, {"status", "active"}, {"scopes", {}}},
             sent_at("09:20"));
        send("connection.created", {{"id", conn_id}, {"fleet_id", fleet_id}, {"source_name", "samsara"}}, sent_at("09:30"));
        send("fleet_connection.created", {{"id", "fc-1"}, {"fleet_id", fleet_id}, {"connection_id", conn_id}},
             sent_at("09:31"));
    }
    boost::json::object data(std::string const& id, std::string_view occurred, std::string_view ingested,
                             std::string resource_schedule = {})
    {
        boost::json::object r{{"id", id}, {"fleet_id", fleet_id}, {"connection_id", conn_id}, {"source_name", "samsara"},
                              {"occurred_at", at(occurred)}, {"created_at", at(ingested)}, {"updated_at", at(ingested)}};
        if(!resource_schedule.empty())
            r["schedule_id"] = resource_schedule;
        return r;
    }
};

} // namespace

// 1. "share_agreement.deleted revokes the partner's access": an accepted invitation was
// counted as a live journey, so the fleet stayed accepted.
BOOST_AUTO_TEST_CASE(a_fleet_whose_only_agreement_is_deleted_after_a_completed_journey_is_revoked)
{
    journey j;
    j.onboard();
    BOOST_TEST((j.fleet(fleet_id).stage == stage::connected));
    j.send("share_agreement.deleted", {{"id", "a-1"}, {"fleet_id", fleet_id}, {"status", "deleted"}}, sent_at("10:00"));
    auto const f = j.fleet(fleet_id);
    BOOST_TEST((f.stage == stage::revoked));
    BOOST_REQUIRE(f.agreements.size() == 1u);
    BOOST_TEST((f.agreements[0].deleted_at == parse_rfc3339(at("10:00"))));
    // A journey begun after the revocation is live again.
    j.send("invitation.created", invitation("i-2", "active", {{"created_at", at("10:30")}}));
    BOOST_TEST((j.fleet(fleet_id).stage == stage::invited));
}

// 2. Ended invitations end at their own time: an expiry was ordered by the invitation's
// created_at, so a decline at 10:10 outranked an expiry at 10:30.
BOOST_AUTO_TEST_CASE(of_a_decline_at_10_10_and_an_expiry_at_10_30_the_expiry_decides)
{
    journey j;
    j.send("invitation.created", invitation("i-1", "active"));
    j.send("invitation.created", invitation("i-2", "active", {{"created_at", at("09:05")}, {"expires_at", at("10:30")}}));
    j.send("invitation.expired", invitation("i-2", "expired", {{"created_at", at("09:05")}, {"expires_at", at("10:30")}}));
    j.send("invitation.declined", invitation("i-1", "declined", {{"declined_at", at("10:10")}}));
    auto const f = j.fleet("ref:FLEET-7");
    BOOST_TEST((f.stage == stage::expired));
}

// 3. "invitation.deleted — deleted before it was accepted": deleting a declined (or expired)
// invitation is cleanup, a legal step; it was reported impossible and changed nothing.
BOOST_AUTO_TEST_CASE(deleting_a_declined_invitation_is_legal_and_the_fleet_ends_deleted)
{
    journey j;
    j.send("invitation.created", invitation("i-1", "active"));
    j.send("invitation.declined", invitation("i-1", "declined", {{"declined_at", at("09:30")}}));
    j.send("invitation.deleted", invitation("i-1", "deleted"), sent_at("11:00"));
    auto const f = j.fleet("ref:FLEET-7");
    BOOST_TEST((f.stage == stage::deleted));
    BOOST_REQUIRE(f.invitations.size() == 1u);
    BOOST_TEST((f.invitations[0].state == invitation_state::deleted));
    BOOST_TEST((f.invitations[0].ended_at == parse_rfc3339(at("11:00"))));
    BOOST_TEST(j.f.sink.problems.empty());
    // Deleting an accepted one is still impossible.
    j.send("invitation.created", invitation("i-2", "active"));
    j.send("invitation.accepted", invitation("i-2", "accepted", {{"accepted_at", at("11:10")}}));
    j.send("invitation.deleted", invitation("i-2", "deleted"), sent_at("11:20"));
    (void)j.fleet("ref:FLEET-7");
    BOOST_TEST(j.f.sink.problems.size() == 1u);
}

// 4. Merges carry every link: an expired invitation of a ref: journey merged into a fleet
// known by fleet_id was no longer found under invitation:<id>, nor listed, after a restart too.
BOOST_AUTO_TEST_CASE(an_earlier_invitation_of_a_merged_journey_still_finds_the_fleet_after_a_restart)
{
    journey j;
    // The fleet is known by its fleet_id already (its TSP's data came first), the journey by
    // its fleet_ref only.
    j.send("vehicle.added", j.data("v-1", "08:00", "08:01"));
    j.send("invitation.created", invitation("i-old", "active"));
    j.send("invitation.expired", invitation("i-old", "expired", {{"expires_at", at("09:30")}}));
    j.send("invitation.created", invitation("i-new", "active", {{"created_at", at("10:00")}}));
    j.send("invitation.accepted", invitation("i-new", "accepted", {{"created_at", at("10:00")}, {"accepted_at", at("10:05")},
                                                                    {"fleet_id", fleet_id}}));
    auto const f = j.fleet("invitation:i-old");
    BOOST_TEST(f.key == fleet_id);
    BOOST_TEST((std::find(f.invitation_ids.begin(), f.invitation_ids.end(), "i-old") != f.invitation_ids.end()));
    // Kept and taken back as a store does.
    auto c = j.f.p.fleets().capture(fleet_id);
    BOOST_REQUIRE(c);
    auto back = detail::codec::decode_fleet(detail::codec::encode(*c));
    BOOST_REQUIRE(back);
    tst::feeder restarted;
    restarted.p.restore({std::move(*back)}, {}, {});
    auto const again = restarted.p.fleets().fleet("invitation:i-old");
    BOOST_REQUIRE(again);
    BOOST_TEST(again->key == fleet_id);
    BOOST_TEST((again->stage == stage::accepted));
}

// 5. Alarms that never cleared: "the evidence is data ingested on that connection after the
// alarm", by ingestion time (created_at), not occurred_at, whatever order they arrive in.
BOOST_AUTO_TEST_CASE(an_alarm_is_cleared_by_data_ingested_after_it_even_when_it_happened_before)
{
    for(bool data_first : {false, true})
        BOOST_TEST_CONTEXT("data delivered " << (data_first ? "before" : "after") << " the alarm")
        {
            journey j;
            j.onboard();
            auto alarms = [&] {
                j.send("schedule.deactivated",
                       {{"id", "s-1"}, {"connection_id", conn_id}, {"resource", "hos_event"}, {"status", "inactive"}},
                       sent_at("10:00"));
                j.send("execution.failed",
                       {{"id", "x-1"}, {"created_at", at("10:01")}, {"updated_at", at("10:01")}, {"schedule_id", "s-9"},
                        {"connection_id", conn_id}, {"fleet_id", fleet_id}, {"status", "failed"}, {"resource", "user"}});
                j.send("connection.staled", {{"id", conn_id}, {"fleet_id", fleet_id}, {"status", "stale"}},
                       sent_at("10:02"));
            };
            // Happened 09:55 (before every alarm), ingested 10:05 (after them): it clears them all.
            auto healing = [&] { j.send("hos_event.added", j.data("h-1", "09:55", "10:05")); };
            if(data_first)
                healing(), alarms();
            else
                alarms(), healing();
            auto const f = j.fleet(fleet_id);
            BOOST_TEST((f.health == health::ok));
            BOOST_REQUIRE(f.connections.size() == 1u);
            BOOST_TEST((f.connections[0].health == health::ok));
            BOOST_REQUIRE(f.connections[0].schedules.size() == 1u);
            BOOST_TEST(f.connections[0].schedules[0].active);
        }
    // Ingested before the alarms (though delivered after them): nothing cleared.
    journey j;
    j.onboard();
    j.send("schedule.deactivated", {{"id", "s-1"}, {"connection_id", conn_id}, {"resource", "hos_event"}}, sent_at("10:00"));
    j.send("connection.staled", {{"id", conn_id}, {"fleet_id", fleet_id}, {"status", "stale"}}, sent_at("10:02"));
    j.send("hos_event.added", j.data("h-1", "09:50", "09:58"));
    auto f = j.fleet(fleet_id);
    BOOST_TEST((f.health == health::stale));
    BOOST_TEST(!f.connections.at(0).schedules.at(0).active);
    // Data of another resource after the alarm re-authenticates the connection but does not
    // re-enable the schedule; its own resource does.
    j.send("vehicle.added", j.data("v-1", "10:03", "10:04"));
    f = j.fleet(fleet_id);
    BOOST_TEST((f.health == health::halted));
    j.send("hos_event.added", j.data("h-2", "10:03", "10:06"));
    BOOST_TEST((j.fleet(fleet_id).health == health::ok));
}

// 6. A *.added version was checked but not remembered: an older *.modified after it was
// delivered as if it were news.
BOOST_AUTO_TEST_CASE(an_older_modified_after_a_newer_added_of_the_same_record_is_late)
{
    journey j;
    auto vehicle = [&](std::string_view occurred) { return j.data("veh-1", occurred, occurred); };
    j.send("vehicle.added", vehicle("10:30"));
    j.f.p.flush(j.now); // released and applied before the older version comes
    j.send("vehicle.modified", vehicle("10:20"));
    (void)j.fleet(fleet_id);
    auto const& evs = j.f.sink.events;
    BOOST_REQUIRE(evs.size() == 2u);
    auto const modified = std::find_if(evs.begin(), evs.end(), [](event const& e) { return e.event_name == "vehicle.modified"; });
    BOOST_REQUIRE((modified != evs.end()));
    BOOST_TEST(modified->late);
}

// 7. operation_result::fleet_key was documented and never set: an operation's connection
// names its fleet.
BOOST_AUTO_TEST_CASE(an_operations_outcome_names_the_fleet_of_its_connection)
{
    journey j;
    j.onboard();
    BOOST_REQUIRE(!j.f.p.track("op-1", [](operation_result const&) {}, j.now + 24h));
    j.send("resource_operation.succeeded",
           {{"id", "op-1"}, {"created_at", at("10:00")}, {"updated_at", at("10:01")}, {"connection_id", conn_id},
            {"resource", "message"}, {"operation_type", "create"}, {"status", "success"}, {"resource_id", "m-1"}});
    (void)j.fleet(fleet_id);
    BOOST_REQUIRE(j.f.sink.operations.size() == 1u);
    BOOST_TEST(j.f.sink.operations[0].fleet_key == fleet_id);
}

BOOST_AUTO_TEST_SUITE_END() // fleet_rules

} // namespace unit_fleet_rules
