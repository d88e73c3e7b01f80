// SPDX-License-Identifier: BSL-1.0
// test/unit/history.cpp - the random history generator keeps the invariants the fleet property tests rely on.
#include "history.hpp"

#include "fleet_model.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>

namespace unit_history { // this file's own: the test binaries compile a few files as one (unity build)

namespace json = boost::json;
namespace sim = catena::webhooks::sim;
using namespace catena::webhooks;
using namespace catena::webhooks::test;

namespace {

model_fact model_fact_of(sim::history_fact const& f)
{
    return {f.msg.event_name, f.msg.data.front().as_object(), f.msg.event_id, f.emitted};
}

std::string text(json::object const& r, std::string_view name)
{
    auto const* v = r.if_contains(name);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool is_data(std::string_view event)
{
    static constexpr std::string_view kinds[] = {"vehicle_location.", "vehicle.", "hos_event.",
                                                 "user.",             "trailer.", "engine_log."};
    return std::any_of(std::begin(kinds), std::end(kinds), [&](auto k) { return event.starts_with(k); });
}

} // namespace

BOOST_AUTO_TEST_SUITE(history)

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_history)
{
    BOOST_TEST(sim::to_text(sim::make_history({.seed = 7})) == sim::to_text(sim::make_history({.seed = 7})));
    BOOST_TEST(sim::to_text(sim::make_history({.seed = 7})) != sim::to_text(sim::make_history({.seed = 8})));
}

BOOST_AUTO_TEST_CASE(every_fact_is_one_record_with_a_time_and_sent_after_it)
{
    std::size_t timed = 0, without_id = 0;
    for(std::uint64_t seed = 1; seed <= 300; ++seed)
    {
        auto const h = sim::make_history({.seed = seed, .fleets = 4});
        BOOST_TEST_CONTEXT("seed " << seed)
        {
            BOOST_TEST(std::is_sorted(h.facts.begin(), h.facts.end(),
                                      [](auto const& a, auto const& b) { return a.emitted < b.emitted; }));
            for(auto const& f : h.facts)
            {
                BOOST_TEST_CONTEXT(f.msg.event_name << " " << f.msg.event_id << " " << json::serialize(f.msg.data))
                {
                    BOOST_REQUIRE_EQUAL(f.msg.data.size(), 1u);
                    BOOST_TEST(f.msg.webhook_id == sim::history_options{}.webhook_id);
                    auto const t = time_of(model_fact_of(f));
                    BOOST_TEST(t.from != "received");
                    BOOST_TEST((t.at <= f.emitted));
                    if(t.from == "envelope id")
                        BOOST_TEST((uuid_v7_time(f.msg.event_id) == f.emitted));
                    if(!f.msg.event_id.empty())
                        BOOST_TEST(uuid_v7_time(f.msg.event_id).has_value());
                    else
                        ++without_id;
                    timed += t.from != "envelope id";
                }
            }
        }
    }
    // About one record in ten that carries its own time goes without an envelope id.
    BOOST_TEST(without_id * 20 > timed);
    BOOST_TEST(without_id * 6 < timed);
}

BOOST_AUTO_TEST_CASE(data_records_carry_the_common_fields_and_lag_their_ingestion)
{
    bool healed_by_earlier_happening = false;
    for(std::uint64_t seed = 1; seed <= 200; ++seed)
    {
        auto const h = sim::make_history({.seed = seed, .fleets = 4});
        std::map<std::string, std::vector<timestamp>> alarms; // connection -> alarm times
        for(auto const& f : h.facts)
            if(f.msg.event_name == "connection.staled" || f.msg.event_name == "schedule.deactivated" ||
               f.msg.event_name == "execution.failed")
            {
                auto const& r = f.msg.data.front().as_object();
                alarms[text(r, f.msg.event_name == "connection.staled" ? "id" : "connection_id")].push_back(
                    time_of(model_fact_of(f)).at);
            }
        for(auto const& f : h.facts)
        {
            if(!is_data(f.msg.event_name))
                continue;
            auto const& r = f.msg.data.front().as_object();
            for(auto name : {"id", "fleet_id", "fleet_ref", "source_name", "connection_id", "source_id", "created_at",
                             "updated_at", "occurred_at"})
                BOOST_TEST(r.contains(name), name << " in " << json::serialize(r));
            auto const occurred = *parse_rfc3339(text(r, "occurred_at"));
            auto const ingested = *parse_rfc3339(text(r, "updated_at"));
            BOOST_TEST((occurred <= ingested && ingested - occurred <= std::chrono::minutes(5)));
            for(auto const a : alarms[text(r, "connection_id")])
                healed_by_earlier_happening = healed_by_earlier_happening || (occurred < a && a < ingested);
        }
    }
    BOOST_TEST(healed_by_earlier_happening);
}

BOOST_AUTO_TEST_CASE(the_times_the_rules_compare_never_tie)
{
    for(std::uint64_t seed = 1; seed <= 300; ++seed)
    {
        auto const h = sim::make_history({.seed = seed, .fleets = 4});
        // Per connection: its alarms' times and its evidence's (ingestion for data); per
        // fleet_ref: invitation step and end times and agreement deletions.
        std::map<std::string, std::multiset<timestamp>> by_connection, by_ref;
        for(auto const& f : h.facts)
        {
            auto const& r = f.msg.data.front().as_object();
            auto const& e = f.msg.event_name;
            auto const t = time_of(model_fact_of(f)).at;
            if(is_data(e))
                by_connection[text(r, "connection_id")].insert(*parse_rfc3339(text(r, "updated_at")));
            else if(e.starts_with("connection.") || e.starts_with("schedule.") || e.starts_with("execution."))
                by_connection[e.starts_with("connection.") ? text(r, "id") : text(r, "connection_id")].insert(t);
            else if((e == "invitation.created" || e == "share_agreement.deleted" ||
                     (e.starts_with("invitation.") && e != "invitation.sent" && e != "invitation.viewed")) &&
                    !text(r, "fleet_ref").empty())
                by_ref[text(r, "fleet_ref")].insert(t);
        }
        BOOST_TEST_CONTEXT("seed " << seed)
        for(auto const* group : {&by_connection, &by_ref})
            for(auto const& [id, times] : *group)
                BOOST_TEST((std::adjacent_find(times.begin(), times.end()) == times.end()), id);
    }
}

BOOST_AUTO_TEST_CASE(no_fact_contradicts_another)
{
    for(std::uint64_t seed = 1; seed <= 300; ++seed)
    {
        auto const h = sim::make_history({.seed = seed, .fleets = 4});
        std::map<std::string, std::set<std::string>> invitation_steps, agreement_actions, ref_fleets, connection_fleets;
        for(auto const& f : h.facts)
        {
            auto const& r = f.msg.data.front().as_object();
            auto const action = f.msg.event_name.substr(f.msg.event_name.find('.') + 1);
            if(f.msg.event_name.starts_with("invitation."))
                invitation_steps[text(r, "id")].insert(action);
            if(f.msg.event_name.starts_with("share_agreement."))
                BOOST_TEST((agreement_actions[text(r, "id")].insert(action).second || action == "updated"));
            if(!text(r, "fleet_id").empty() && !text(r, "fleet_ref").empty())
                ref_fleets[text(r, "fleet_ref")].insert(text(r, "fleet_id"));
            auto const connection =
                f.msg.event_name.starts_with("connection.") ? text(r, "id") : text(r, "connection_id");
            if(!text(r, "fleet_id").empty() && !connection.empty())
                connection_fleets[connection].insert(text(r, "fleet_id"));
        }
        BOOST_TEST_CONTEXT("seed " << seed)
        {
            for(auto const& [id, steps] : invitation_steps)
            {
                int const ends = int(steps.count("accepted") + steps.count("declined") + steps.count("expired"));
                BOOST_TEST(ends <= 1, id);
                BOOST_TEST(!(steps.count("accepted") && steps.count("deleted")), id);
            }
            for(auto const& [ref, fleets] : ref_fleets)
                BOOST_TEST(fleets.size() == 1u, ref);
            for(auto const& [id, fleets] : connection_fleets)
                BOOST_TEST(fleets.size() == 1u, id);
        }
    }
}

BOOST_AUTO_TEST_CASE(generated_fleets_reach_every_stage_and_health)
{
    // The reference model's verdict on 1000 histories of 3 generated fleets (each may be seen
    // as more than one fleet: a journey that never learnt its fleet_id stays apart).
    std::array<std::array<std::size_t, 4>, 11> seen{};
    std::size_t fleets = 0;
    for(std::uint64_t seed = 1; seed <= 1000; ++seed)
    {
        fleet_model m;
        for(auto const& f : sim::make_history({.seed = seed, .fleets = 3}).facts)
            m.add(model_fact_of(f));
        for(auto const& f : m.fleets())
            ++seen[static_cast<std::size_t>(f.stage)][static_cast<std::size_t>(f.health)], ++fleets;
    }
    std::string table = "stage        ok  degraded  halted  stale   total\n";
    std::array<std::size_t, 4> by_health{};
    for(std::size_t s = 0; s < seen.size(); ++s)
    {
        std::size_t total = 0;
        char line[96];
        for(std::size_t h = 0; h < 4; ++h)
            total += seen[s][h], by_health[h] += seen[s][h];
        auto const name = s == 0 ? std::string_view("none") : to_string(static_cast<stage>(s));
        std::snprintf(line, sizeof line, "%-10s %5zu %9zu %7zu %6zu %7zu\n", std::string(name).c_str(), seen[s][0],
                      seen[s][1], seen[s][3], seen[s][2], total);
        table += line;
        if(s > 0)
            BOOST_TEST_CONTEXT(name) BOOST_TEST(total > 0u);
    }
    BOOST_TEST_MESSAGE(table << "fleets " << fleets);
    for(std::size_t h = 0; h < 4; ++h)
        BOOST_TEST_CONTEXT(to_string(static_cast<health>(h))) BOOST_TEST(by_health[h] > 0u);
}

BOOST_AUTO_TEST_SUITE_END() // history

} // namespace unit_history
