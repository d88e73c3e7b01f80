// SPDX-License-Identifier: BSL-1.0
// test/unit/schema_fixtures.cpp - stores written by every older schema (the real files, test/fixtures/),
// upgraded and read back whole; an upgrade that fails leaves the file as it was.
#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/gzip.hpp>

#include "processing/fleet.hpp"
#include "processing/pipeline.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"

#include "disk_faults.hpp"
#include "store_support.hpp"
#include "tls_material.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace unit_schema_fixtures { // this file's own: the test binaries compile a few files as one (unity build)

#ifndef CATENA_WEBHOOKS_SOURCE_DIR
#error "CATENA_WEBHOOKS_SOURCE_DIR must name the source tree (its test/fixtures)"
#endif

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace tst = catena::webhooks::test;
namespace json = boost::json;
namespace fs = std::filesystem;

using tst::open_sqlite;
using tst::t0;

//------------------------------------------------------------------------------
// The fixtures: NAME.sqlite as a version of the schema wrote it, NAME.json what that version
// itself reported holding (test/fixtures/README.md).

std::string const fixtures_dir = CATENA_WEBHOOKS_SOURCE_DIR "/test/fixtures";

json::object manifest_of(std::string const& name)
{
    std::ifstream in(fixtures_dir + "/" + name + ".json");
    BOOST_REQUIRE_MESSAGE(in, "no manifest " << name << ".json in " << fixtures_dir);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str()).as_object();
}

// A data directory whose database is a copy of the fixture.
std::string data_dir_with(std::string const& name)
{
    auto const dir = tst::make_temp_dir("fixture");
    fs::copy_file(fixtures_dir + "/" + name + ".sqlite", detail::database_path(dir));
    return dir;
}

std::string str(json::object const& o, std::string_view k) { return std::string(o.at(k).as_string()); }
std::int64_t num(json::object const& o, std::string_view k) { return o.at(k).to_number<std::int64_t>(); }
std::optional<timestamp> time_at(json::object const& o, std::string_view k)
{
    if(o.at(k).is_null())
        return std::nullopt;
    return timestamp{std::chrono::microseconds(num(o, k))};
}
std::vector<std::string> strings(json::object const& o, std::string_view k)
{
    std::vector<std::string> v;
    for(auto const& s : o.at(k).as_array())
        v.emplace_back(s.as_string());
    return v;
}

// The capture holds what the old version reported of the fleet, and its parts derive again
// the stage that version had (a format 1 document kept only stage and health: the parts made of
// them must derive them), or `rejudged`: the stage today's fleet model (v3) derives from a
// format 2 document's parts where the model that wrote it (v2) judged otherwise.
void check_fleet(detail::fleet_capture const& c, json::object const& f, std::string_view rejudged = {})
{
    BOOST_TEST_CONTEXT("fleet " << c.state.key)
    {
        auto const& st = c.state;
        BOOST_TEST(st.fleet_id == str(f, "fleet_id"));
        BOOST_TEST(st.fleet_ref == str(f, "fleet_ref"));
        BOOST_TEST(st.invitation_ids == strings(f, "invitation_ids"), boost::test_tools::per_element());
        BOOST_TEST(st.connection_ids == strings(f, "connection_ids"), boost::test_tools::per_element());
        BOOST_TEST(to_string(st.stage) == str(f, "stage"));
        BOOST_TEST(to_string(st.health) == str(f, "health"));
        BOOST_TEST(st.failed_executions == static_cast<std::uint64_t>(num(f, "failed_executions")));
        BOOST_TEST(st.last_event == str(f, "last_event"));
        BOOST_TEST((st.last_occurred_at == time_at(f, "last_occurred_at")));
        if(f.contains("invitations"))
        {
            // A format 2 document: its parts as the old version had them.
            auto const& inv = f.at("invitations").as_array();
            BOOST_REQUIRE(st.invitations.size() == inv.size());
            for(std::size_t i = 0; i < inv.size(); ++i)
            {
                BOOST_TEST(st.invitations[i].id == str(inv[i].as_object(), "id"));
                BOOST_TEST(to_string(st.invitations[i].state) == str(inv[i].as_object(), "state"));
            }
            auto const& agr = f.at("agreements").as_array();
            BOOST_REQUIRE(st.agreements.size() == agr.size());
            for(std::size_t i = 0; i < agr.size(); ++i)
            {
                BOOST_TEST(st.agreements[i].id == str(agr[i].as_object(), "id"));
                BOOST_TEST(st.agreements[i].active == agr[i].as_object().at("active").as_bool());
            }
            auto const& con = f.at("connections").as_array();
            BOOST_REQUIRE(st.connections.size() == con.size());
            for(std::size_t i = 0; i < con.size(); ++i)
            {
                auto const& co = con[i].as_object();
                auto const& ci = st.connections[i];
                BOOST_TEST(ci.id == str(co, "id"));
                BOOST_TEST(ci.source_name == str(co, "source_name"));
                BOOST_TEST(ci.tsp_id == str(co, "tsp_id"));
                BOOST_TEST(to_string(ci.health) == str(co, "health"));
                BOOST_TEST(ci.reported == co.at("reported").as_bool());
                BOOST_TEST(ci.linked == co.at("linked").as_bool());
                BOOST_TEST(ci.failed_executions == static_cast<std::uint64_t>(num(co, "failed_executions")));
                auto const& sch = co.at("schedules").as_array();
                BOOST_REQUIRE(ci.schedules.size() == sch.size());
                for(std::size_t k = 0; k < sch.size(); ++k)
                {
                    BOOST_TEST(ci.schedules[k].id == str(sch[k].as_object(), "id"));
                    BOOST_TEST(ci.schedules[k].resource == str(sch[k].as_object(), "resource"));
                    BOOST_TEST(ci.schedules[k].active == sch[k].as_object().at("active").as_bool());
                }
            }
        }
        auto record = detail::fleet_record::from(c);
        detail::lifecycle_output out;
        record.derive([](auto&&...) { return transition{}; }, out);
        BOOST_TEST(out.transitions.size() == (rejudged.empty() ? 0u : 1u), "the parts derive another stage or health");
        BOOST_TEST(to_string(record.state.stage) == (rejudged.empty() ? str(f, "stage") : std::string(rejudged)));
        BOOST_TEST(to_string(record.state.health) == str(f, "health"));
    }
}

void check_transition(transition const& t, json::object const& d)
{
    BOOST_TEST_CONTEXT("transition " << t.idempotency_key)
    {
        BOOST_TEST(t.fleet_id == str(d, "fleet_id"));
        BOOST_TEST(t.fleet_ref == str(d, "fleet_ref"));
        BOOST_TEST(to_string(t.what) == str(d, "dimension"));
        if(d.contains("entity_id"))
            BOOST_TEST(t.entity_id == str(d, "entity_id"));
        BOOST_TEST(t.from == str(d, "from"));
        BOOST_TEST(t.to == str(d, "to"));
        BOOST_TEST(t.cause == str(d, "cause"));
        BOOST_TEST(t.event_id == str(d, "event_id"));
        BOOST_TEST(t.record_id == str(d, "record_id"));
        BOOST_TEST((t.occurred_at == time_at(d, "occurred_at")));
    }
}

// What processing hands over, collected.
struct collected : detail::pipeline_sink
{
    std::vector<event> events;
    std::vector<operation_result> operations;
    void on_event(event&& ev) override { events.push_back(std::move(ev)); }
    void on_transition(transition&&) override {}
    void on_merge(fleet_merge&&) override {}
    void on_dead_letter(dead_letter&&) override {}
    void on_problem(error_code, std::string, event const*) override {}
    void on_operation(operation_result&& r, operation_handler&& h) override
    {
        if(h)
            h(r);
        operations.push_back(std::move(r));
    }
    void on_subscription(subscription_event&&) override {}
};

// The JSON of a kept body (kept compressed as it arrived from schema 4 on).
std::string json_of(detail::inbox_entry const& e)
{
    if(!e.compressed)
        return e.body;
    inflater z;
    std::string out;
    BOOST_REQUIRE(!z.inflate(e.body, out));
    return out;
}

detail::inbox_entry delivery_of(json::object const& d, std::string request_id, timestamp now)
{
    detail::inbox_entry e;
    e.body = str(d, "body");
    e.webhook_id = str(d, "webhook_id");
    e.request_id = std::move(request_id);
    e.event_type = str(d, "event_type");
    e.delivery_attempt = static_cast<std::uint32_t>(num(d, "delivery_attempt"));
    e.sent_at = e.received_at = now;
    return e;
}

/** Opens the fixture `name` with today's code, which upgrades it, and checks that everything
    the old version reported holding comes back: fleets (and that their parts derive their
    stage and health), every transition, the dead letter (and its delivery, by a replay),
    operation outcomes, the deliveries kept but not processed (bodies, headers), and the
    identities (every processed delivery sent again is a duplicate). */
// A format 2 document holds the parts as fleet model v2 judged them. Model v3 (f050684) judges
// one fleet of the fixtures otherwise: D's only agreement was deleted after its invitation was
// accepted, which v2 took back to "accepted" and v3 calls "revoked" (an agreement deleted
// revokes unless an invitation was created or accepted after the deletion). The upgrade keeps
// the stage that was stored until the fleet's next event, which then moves it to "revoked"
// (whatever that event is about).
std::map<std::string, std::string> const rejudged_by_model_v3 = {{"0d000000-0000-4000-8000-00000000000d", "revoked"}};

void check_fixture(std::string const& name, int schema)
{
    auto const m = manifest_of(name);
    BOOST_REQUIRE(num(m, "schema") == schema);
    auto const dir = data_dir_with(name);
    auto const path = detail::database_path(dir);
    auto const now = timestamp{std::chrono::microseconds(num(m, "clock_start"))} + 10min;
    auto const& processed = m.at("processed").as_array();
    auto const& unprocessed = m.at("unprocessed").as_array();
    auto const& letters = m.at("dead_letters").as_array();
    BOOST_REQUIRE(letters.size() == 1u);
    auto const& letter = letters[0].as_object();
    detail::sqlite_options o;
    o.path = path;
    error_code ec;
    std::string why;
    {
        auto s = detail::make_sqlite_store(o, {}, ec, why);
        BOOST_REQUIRE_MESSAGE(s, why);
        detail::recovered_state r;
        BOOST_REQUIRE(!s->recover(r, now));

        // Fleets.
        auto const& fleets = m.at("fleets").as_array();
        BOOST_TEST(r.fleets.size() == fleets.size());
        for(auto const& f : fleets)
        {
            auto const key = str(f.as_object(), "key");
            auto it = std::find_if(r.fleets.begin(), r.fleets.end(), [&](auto const& c) { return c.state.key == key; });
            BOOST_TEST_REQUIRE((it != r.fleets.end()), "fleet " << key << " is missing");
            auto const other = rejudged_by_model_v3.find(key);
            bool const parts = f.as_object().contains("invitations"); // a format 2 document
            check_fleet(*it, f.as_object(), parts && other != rejudged_by_model_v3.end() ? other->second : "");
        }

        // Every transition of every fleet's history, by its idempotency key.
        std::map<std::string, json::object const*> history;
        for(auto const& [key, ts] : m.at("history").as_object())
            for(auto const& t : ts.as_array())
                history[str(t.as_object(), "idempotency_key")] = &t.as_object();
        BOOST_TEST(r.transitions.size() == history.size());
        for(auto const& t : r.transitions)
        {
            auto it = history.find(t.idempotency_key);
            BOOST_TEST_REQUIRE((it != history.end()), "transition " << t.idempotency_key << " was never made");
            check_transition(t, *it->second);
        }

        // The dead letter, listed and with its body.
        auto const listed = s->dead_letters(10);
        BOOST_REQUIRE(listed.size() == 1u);
        auto const full = s->dead_letter(listed[0].id);
        BOOST_REQUIRE(full);
        auto const& d = full->letter;
        BOOST_TEST(static_cast<int>(d.kind) == num(letter, "kind"));
        BOOST_TEST(d.sequence == static_cast<std::uint64_t>(num(letter, "sequence")));
        BOOST_TEST(d.reason == str(letter, "reason"));
        BOOST_TEST(d.request_id == str(letter, "request_id"));
        BOOST_TEST(d.webhook_id == str(letter, "webhook_id"));
        BOOST_TEST(d.event_type == str(letter, "event_type"));
        BOOST_TEST(d.body == str(letter, "body"));
        BOOST_TEST(listed[0].body_bytes == d.body.size());
        BOOST_TEST(d.idempotency_key == str(letter, "idempotency_key"));
        BOOST_TEST(d.handler == str(letter, "handler"));
        BOOST_TEST(d.error_text == str(letter, "error_text"));
        BOOST_TEST(d.attempts == static_cast<unsigned>(num(letter, "attempts")));
        BOOST_TEST(d.route.empty());

        // Operation outcomes (kept from schema 5 on).
        if(m.contains("operations"))
        {
            BOOST_TEST(r.operations.size() == m.at("operations").as_array().size());
        }
        else
            BOOST_TEST(r.operations.empty());

        // Processing takes it all back: the identities make every processed delivery sent
        // again a duplicate; the deliveries kept but not processed are processed now.
        collected sink;
        detail::pipeline_options po;
        detail::pipeline p(po, sink);
        p.restore(r.fleets, r.transitions, r.identities);
        p.restore_operations(r.operations);
        p.recall_with([&s](detail::identity_key const& k) { return s->recall(k); },
                      r.identities_to_recall ? now : timestamp{});
        for(auto const& f : m.at("fleets").as_array())
        {
            auto const kept = p.fleets().fleet(str(f.as_object(), "key"));
            BOOST_TEST_REQUIRE(kept.has_value());
            BOOST_TEST(to_string(kept->stage) == str(f.as_object(), "stage"));
            BOOST_TEST(to_string(kept->health) == str(f.as_object(), "health"));
        }
        if(m.contains("operations"))
            for(auto const& op : m.at("operations").as_array())
            {
                auto const& want = op.as_object();
                std::optional<operation_result> got;
                BOOST_REQUIRE(!p.track(str(want, "operation_id"), [&](operation_result const& x) { got = x; }, now + 1h));
                BOOST_TEST_REQUIRE(got.has_value(), "the operation's outcome was not kept");
                BOOST_TEST(static_cast<int>(got->status) == num(want, "status"));
                std::pair<char const*, std::string const*> const fields[] = {
                    {"resource", &got->resource},        {"operation_type", &got->operation_type},
                    {"resource_id", &got->resource_id},  {"source_id", &got->source_id},
                    {"connection_id", &got->connection_id}, {"fleet_ref", &got->fleet_ref},
                    {"fleet_key", &got->fleet_key},      {"event_id", &got->event_id},
                    {"idempotency_key", &got->idempotency_key}};
                for(auto const& [k, have] : fields)
                    BOOST_TEST(*have == str(want, k), k);
            }
        std::size_t replayed_events = 0;
        for(std::size_t i = 0; i < processed.size(); ++i)
            replayed_events +=
                p.push(delivery_of(processed[i].as_object(), "again-" + std::to_string(i), now), now).events;
        p.flush(now);
        BOOST_TEST(replayed_events == 0u);
        BOOST_TEST(sink.events.empty());
        BOOST_TEST(p.stats().duplicate_events == processed.size());

        // The deliveries kept but not processed, as they were sent.
        BOOST_TEST(r.unprocessed == unprocessed.size());
        auto const rest = s->take(10);
        BOOST_REQUIRE(rest.size() == unprocessed.size());
        for(std::size_t i = 0; i < rest.size(); ++i)
        {
            auto const& want = unprocessed[i].as_object();
            BOOST_TEST(rest[i].sequence == processed.size() + i + 1);
            BOOST_TEST(json_of(rest[i]) == str(want, "body"));
            // Bodies that arrived compressed are kept so from schema 4 on.
            BOOST_TEST(rest[i].compressed == (schema >= 4 && want.at("gzip").as_bool()));
            BOOST_TEST(rest[i].webhook_id == str(want, "webhook_id"));
            BOOST_TEST(rest[i].request_id == str(want, "request_id"));
            BOOST_TEST(rest[i].event_type == str(want, "event_type"));
            BOOST_TEST(rest[i].delivery_attempt == static_cast<std::uint32_t>(num(want, "delivery_attempt")));
            BOOST_TEST((rest[i].sent_at == *time_at(want, "sent_at")));
            BOOST_TEST(rest[i].route.empty());
            BOOST_TEST(!rest[i].replay);
            auto e = rest[i]; // as the processor hands it over: inflated
            e.body = json_of(e);
            e.compressed = false;
            p.push(e, now);
        }
        p.flush(now + 1h);
        BOOST_TEST(sink.events.size() == unprocessed.size());
        for(std::size_t i = 0; i < sink.events.size() && i < unprocessed.size(); ++i)
            BOOST_TEST(sink.events[i].event_name == str(unprocessed[i].as_object(), "event_type"));
        s->sync();
    }

    // The file is today's schema, whole.
    {
        sqlite3* db = nullptr;
        BOOST_REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
        auto scalar = [db](char const* sql) { return tst::sql_value(db, sql); };
        BOOST_TEST(scalar("PRAGMA user_version") == "6");
        BOOST_TEST(scalar("PRAGMA integrity_check") == "ok");
        BOOST_TEST(scalar("SELECT count(*) FROM inbox") == std::to_string(processed.size() + unprocessed.size()));
        // The upgrade from before schema 5 rewrote every fleet document in today's format;
        // later documents are read as they are and rewritten when their fleet next changes.
        if(schema < 5)
            BOOST_TEST(scalar("SELECT count(*) FROM fleets WHERE json_extract(snapshot, '$.v') IS NOT 3") == "0");
        else
            BOOST_TEST(scalar("SELECT count(*) FROM fleets WHERE json_extract(snapshot, '$.v') IS NOT 2") == "0");
        sqlite3_close(db);
    }

    // The dead letter replayed from the upgraded file gives back the delivery it came from.
    {
        auto box = dead_letter_box::open(dir, ec, why);
        BOOST_REQUIRE_MESSAGE(box, why);
        auto const listed = box->list();
        BOOST_REQUIRE(listed.size() == 1u);
        BOOST_REQUIRE_MESSAGE(!box->replay(listed[0].id, why), why);
        BOOST_TEST(box->list().empty());
    }
    {
        auto s = detail::make_sqlite_store(o, {}, ec, why);
        BOOST_REQUIRE_MESSAGE(s, why);
        detail::recovered_state r;
        BOOST_REQUIRE(!s->recover(r, now));
        BOOST_TEST(r.unprocessed == unprocessed.size() + 1);
        auto const rest = s->take(10);
        BOOST_REQUIRE(rest.size() == unprocessed.size() + 1);
        auto const& again = rest.back();
        auto const& from = processed[static_cast<std::size_t>(num(letter, "sequence")) - 1].as_object();
        BOOST_TEST(again.replay);
        BOOST_TEST(json_of(again) == str(from, "body"));
        BOOST_TEST(again.request_id == str(from, "request_id"));
        BOOST_TEST(again.event_type == str(from, "event_type"));
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(schema_fixtures)

BOOST_AUTO_TEST_CASE(a_store_written_by_schema_1_comes_back_whole) { check_fixture("schema-1", 1); }
BOOST_AUTO_TEST_CASE(a_store_written_by_schema_2_comes_back_whole) { check_fixture("schema-2", 2); }
BOOST_AUTO_TEST_CASE(a_store_written_by_schema_3_comes_back_whole) { check_fixture("schema-3", 3); }
BOOST_AUTO_TEST_CASE(a_store_written_by_schema_4_comes_back_whole) { check_fixture("schema-4", 4); }
BOOST_AUTO_TEST_CASE(a_store_written_by_schema_4_with_fleet_format_2_comes_back_whole)
{
    check_fixture("schema-4-fleet-format-2", 4);
}
BOOST_AUTO_TEST_CASE(a_store_written_by_schema_5_comes_back_whole) { check_fixture("schema-5", 5); }

BOOST_AUTO_TEST_CASE(a_failed_upgrade_leaves_the_file_at_its_old_schema)
{
    auto const dir = data_dir_with("schema-3");
    auto const path = detail::database_path(dir);
    auto scalar = [&](char const* sql) {
        sqlite3* db = nullptr;
        BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        auto v = tst::sql_value(db, sql);
        sqlite3_close(db);
        return v;
    };
    scalar("ALTER TABLE inbox ADD COLUMN encoding INTEGER NOT NULL DEFAULT 0");
    auto const tables = scalar("SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema ORDER BY name)");
    detail::sqlite_options o;
    o.path = path;
    error_code ec;
    std::string why;
    for(int attempt = 0; attempt < 2; ++attempt)
    {
        BOOST_TEST(!detail::make_sqlite_store(o, {}, ec, why));
        BOOST_TEST((ec == error::store_failure));
        BOOST_TEST(why.find("cannot upgrade " + path + " from schema 3") == 0u, why);
        BOOST_TEST(scalar("PRAGMA user_version") == "3");
        BOOST_TEST(scalar("SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema ORDER BY name)") == tables);
        BOOST_TEST(scalar("SELECT count(*) FROM inbox") == "24");
    }
}

// The first start on a full disk: the store is not created, says so, and leaves nothing that a
// later start would take for a foreign file; once there is room it is created.
BOOST_AUTO_TEST_SUITE_END() // schema_fixtures

} // namespace unit_schema_fixtures
