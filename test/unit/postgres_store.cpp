// SPDX-License-Identifier: BSL-1.0
// test/unit/postgres_store.cpp - what the PostgreSQL store adds to the contract: several receivers on one database.
#include "store/pg.hpp"
#include "store/pg_schema.hpp"
#include "store/postgres_store.hpp"

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include "postgres_server.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <string>

namespace unit_postgres_store { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace tst = catena::webhooks::test;
using detail::append_status;

tst::postgres_server& server()
{
    std::string why;
    auto* s = tst::postgres_server::shared(why);
    BOOST_REQUIRE_MESSAGE(s, "the PostgreSQL store's tests need a server: " + why);
    return *s;
}

std::string fresh_database()
{
    auto c = server().create_database();
    BOOST_REQUIRE_MESSAGE(!c.empty(), "cannot create a database on the tests' PostgreSQL server");
    return c;
}

// The options every test's store starts from: quick elections and refreshes.
detail::postgres_options options_for(std::string const& conninfo, std::string name)
{
    detail::postgres_options o;
    o.conninfo = conninfo;
    o.name = std::move(name);
    o.leader_poll = 20ms;
    o.refresh_interval = 50ms;
    return o;
}

std::unique_ptr<detail::store> open(detail::postgres_options const& o, detail::store_limits limits = {},
                                    error_code* failed = nullptr, std::string* why_out = nullptr)
{
    error_code ec;
    std::string why;
    auto s = detail::make_postgres_store(o, limits, ec, why);
    if(failed)
    {
        *failed = ec;
        if(why_out)
            *why_out = why;
        return s;
    }
    BOOST_REQUIRE_MESSAGE(s, why);
    return s;
}

std::unique_ptr<detail::store> open(std::string const& conninfo, std::string name, error_code* failed = nullptr,
                                    std::string* why_out = nullptr)
{
    return open(options_for(conninfo, std::move(name)), {}, failed, why_out);
}

// A raw session on the database, for what a test does behind the stores' backs.
struct session
{
    detail::pg_connection c;
    explicit session(std::string const& conninfo)
    {
        std::string why;
        BOOST_REQUIRE_MESSAGE(c.open(conninfo, why), why);
    }
    std::string one(char const* sql)
    {
        auto r = c.exec(sql, {}, false);
        BOOST_REQUIRE_MESSAGE(r.ok(), std::string(sql) + ": " + c.message());
        return r.rows() ? r.text(0, 0) : std::string();
    }
};

// What a store's election told, as futures to wait on.
struct election
{
    std::promise<void> gained_p, lost_p;
    std::shared_future<void> gained = gained_p.get_future().share();
    std::shared_future<void> lost = lost_p.get_future().share();
    std::atomic<int> states{0};
    std::promise<std::size_t> first_state;

    detail::leadership_hooks hooks()
    {
        detail::leadership_hooks h;
        h.gained = [this] { gained_p.set_value(); };
        h.lost = [this] { lost_p.set_value(); };
        h.shared_state = [this](std::vector<detail::fleet_capture> f, std::vector<transition>) {
            if(states++ == 0)
                first_state.set_value(f.size());
        };
        return h;
    }
};

detail::inbox_entry entry(std::string request_id, std::string envelope_key = {})
{
    detail::inbox_entry e;
    e.body = R"({"x":1})";
    e.webhook_id = "wh-1";
    e.request_id = std::move(request_id);
    e.envelope_key = std::move(envelope_key);
    e.event_type = "vehicle.added";
    e.received_at = e.sent_at = system_now();
    return e;
}

std::pair<append_status, std::uint64_t> append(detail::store& s, detail::inbox_entry e)
{
    std::promise<std::pair<append_status, std::uint64_t>> p;
    auto f = p.get_future();
    s.append(std::move(e), system_now(), [&p](append_status st, std::uint64_t seq, error_code) { p.set_value({st, seq}); });
    BOOST_REQUIRE((f.wait_for(10s) == std::future_status::ready));
    return f.get();
}

bool ready(std::shared_future<void> const& f, std::chrono::milliseconds d = 10s)
{
    return f.wait_for(d) == std::future_status::ready;
}

// Opens a store that leads (the only one on its database), recovered as a new leader is.
std::unique_ptr<detail::store> leader(detail::postgres_options const& o, detail::store_limits limits, election& e)
{
    auto s = open(o, limits);
    s->lead(e.hooks());
    BOOST_REQUIRE(ready(e.gained));
    detail::recovered_state r;
    BOOST_REQUIRE(!s->recover(r, system_now()));
    return s;
}

std::unique_ptr<detail::store> leader(std::string const& db, std::string name, election& e)
{
    return leader(options_for(db, std::move(name)), {}, e);
}

BOOST_AUTO_TEST_SUITE(postgres_store_)

BOOST_AUTO_TEST_CASE(a_request_or_envelope_kept_by_one_receiver_is_a_duplicate_at_another)
{
    auto const db = fresh_database();
    auto a = open(db, "a");
    auto b = open(db, "b");
    BOOST_TEST((append(*a, entry("r-1")).first == append_status::kept));
    // b never saw r-1 itself: only the shared table knows.
    BOOST_TEST((append(*b, entry("r-1")).first == append_status::duplicate));
    BOOST_TEST((append(*a, entry("r-2", "wh-1/env-1")).first == append_status::kept));
    BOOST_TEST((append(*b, entry("r-3", "wh-1/env-1")).first == append_status::duplicate_envelope));
    session s(db);
    BOOST_TEST(s.one("SELECT count(*) FROM inbox") == "2");
}

BOOST_AUTO_TEST_CASE(one_receiver_leads_and_another_takes_over_when_its_session_ends)
{
    auto const db = fresh_database();
    election ea, eb;
    auto a = leader(db, "a", ea);
    auto b = open(db, "b");
    b->lead(eb.hooks());
    // b stands by: it hears the leader's state, and it does not lead.
    BOOST_REQUIRE((eb.first_state.get_future().wait_for(10s) == std::future_status::ready));
    BOOST_TEST(!ready(eb.gained, 0ms));
    BOOST_TEST(a->stats().leader);
    BOOST_TEST(!b->stats().leader);
    BOOST_TEST(b->take(10).empty()); // a standby hands out nothing
    session s(db);
    BOOST_TEST(s.one("SELECT holder FROM catena_leader") == "a");
    a.reset(); // its session ends, and the lock with it
    BOOST_REQUIRE(ready(eb.gained));
    BOOST_TEST(b->stats().leader);
    BOOST_TEST(s.one("SELECT holder FROM catena_leader") == "b");
    BOOST_TEST(s.one("SELECT epoch FROM catena_leader") == "2");
}

BOOST_AUTO_TEST_CASE(a_leader_whose_epoch_was_taken_writes_no_progress_and_steps_down)
{
    auto const db = fresh_database();
    election e;
    auto a = leader(db, "a", e);
    auto const kept = append(*a, entry("r-1"));
    BOOST_REQUIRE((kept.first == append_status::kept));
    // Another receiver was elected meanwhile (as after a network partition).
    session s(db);
    s.one("UPDATE catena_leader SET epoch = epoch + 1, holder = 'b'");
    detail::progress p;
    p.processed.push_back(kept.second);
    a->commit(std::move(p));
    a->sync();
    BOOST_REQUIRE(ready(e.lost));
    BOOST_TEST(s.one("SELECT processed FROM inbox") == "f");
    BOOST_TEST(!a->stats().leader);
    BOOST_TEST(a->take(10).empty());
    // It still keeps deliveries, as a standby does.
    BOOST_TEST((append(*a, entry("r-2")).first == append_status::kept));
}

BOOST_AUTO_TEST_CASE(the_leader_takes_rows_in_the_order_they_became_visible)
{
    auto const db = fresh_database();
    election e;
    auto a = leader(db, "a", e);
    // A slower receiver's transaction takes the lower sequence and commits last.
    session slow(db);
    slow.one("BEGIN");
    slow.one("INSERT INTO inbox(received_at, sent_at, webhook_id, request_id, event_type, attempt, body) "
             "VALUES (0, 0, 'wh-1', 'slow', 'vehicle.added', 1, '{}') RETURNING seq");
    auto const fast = append(*a, entry("fast"));
    BOOST_REQUIRE((fast.first == append_status::kept));
    // Not yet: taking "fast" now would move the cursor past "slow" for good.
    BOOST_TEST(a->take(10).empty());
    slow.one("COMMIT");
    auto got = a->take(10);
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_TEST(got[0].request_id == "slow");
    BOOST_TEST(got[1].request_id == "fast");
    BOOST_TEST(got[0].sequence < got[1].sequence);
}

BOOST_AUTO_TEST_CASE(a_standby_hears_the_fleets_the_leader_committed)
{
    auto const db = fresh_database();
    election ea, eb;
    auto a = leader(db, "a", ea);
    detail::progress p;
    for(auto key : {"fleet-1", "fleet-2"})
    {
        detail::fleet_capture f;
        f.state.key = key;
        f.state.stage = stage::connected;
        p.fleets.push_back(f);
    }
    a->commit(std::move(p));
    a->sync();
    auto b = open(db, "b");
    b->lead(eb.hooks());
    auto first = eb.first_state.get_future();
    BOOST_REQUIRE((first.wait_for(10s) == std::future_status::ready));
    BOOST_TEST(first.get() == 2u);
}

BOOST_AUTO_TEST_CASE(refuses_a_newer_schema_and_a_database_of_something_else)
{
    auto const db = fresh_database();
    open(db, "a").reset(); // creates the schema
    session s(db);
    s.one("UPDATE catena_meta SET value = '99' WHERE key = 'schema_version'");
    error_code ec;
    std::string why;
    BOOST_TEST(!open(db, "a", &ec, &why));
    BOOST_TEST((ec == error::store_newer_schema));
    BOOST_TEST(why.find("schema 99") != std::string::npos);
    BOOST_TEST(s.one("SELECT value FROM catena_meta WHERE key = 'schema_version'") == "99");

    auto const other = fresh_database();
    session o(other);
    o.one("CREATE TABLE orders(id int)");
    BOOST_TEST(!open(other, "a", &ec, &why));
    BOOST_TEST((ec == error::store_not_ours));
    BOOST_TEST(o.one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "1");
}

BOOST_AUTO_TEST_CASE(a_catena_meta_of_something_else_or_without_a_version_is_left_untouched)
{
    error_code ec;
    std::string why;
    auto const foreign = fresh_database();
    session f(foreign);
    f.one("CREATE TABLE catena_meta(key text PRIMARY KEY, value text)");
    f.one("INSERT INTO catena_meta VALUES ('application', 'someone-else'), ('schema_version', '1')");
    BOOST_TEST(!open(foreign, "a", &ec, &why));
    BOOST_TEST((ec == error::store_not_ours));
    BOOST_TEST(why.find("not catena-webhooks'") != std::string::npos, why);

    // Ours by name, but its version is no version: never "upgraded" from a schema 0.
    auto const db = fresh_database();
    open(db, "a").reset();
    session s(db);
    for(std::string const version : {"0", "draft"})
        BOOST_TEST_CONTEXT(version)
        {
            s.one(("UPDATE catena_meta SET value = '" + version + "' WHERE key = 'schema_version'").c_str());
            BOOST_TEST(!open(db, "a", &ec, &why));
            BOOST_TEST((ec == error::store_not_ours));
            BOOST_TEST(why.find("schema_version \"" + version + "\"") != std::string::npos, why);
            BOOST_TEST(s.one("SELECT value FROM catena_meta WHERE key = 'schema_version'") == version);
        }
}

BOOST_AUTO_TEST_CASE(a_role_that_may_not_create_tables_is_told_why_and_nothing_is_left_half_made)
{
    auto const db = fresh_database();
    auto const name = db.substr(db.rfind('=') + 1);
    auto const role = "cannot_create_" + name;
    session owner(db);
    owner.one(("CREATE ROLE " + role + " LOGIN").c_str());
    owner.one("REVOKE CREATE ON SCHEMA public FROM PUBLIC"); // PostgreSQL 15's default, said anyway
    auto limited = db;
    auto const user = limited.find("user=catena");
    BOOST_REQUIRE(user != std::string::npos);
    limited.replace(user, 11, "user=" + role);
    error_code ec;
    std::string why;
    BOOST_TEST(!open(limited, "a", &ec, &why));
    BOOST_TEST((ec == error::store_failure));
    BOOST_TEST(why.find("cannot create the store in") != std::string::npos, why);
    BOOST_TEST(why.find("permission denied") != std::string::npos, why);
    BOOST_TEST(owner.one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"); // rolled back

    // A session that is not there cannot even take the schema's lock, and says so.
    detail::pg_connection gone;
    BOOST_TEST((detail::open_pg_schema(gone, "the database", why) == error::store_failure));
    BOOST_TEST(why.find("cannot lock the schema in the database") != std::string::npos, why);
}

// The connection string was built by quoting values into a string: an instance named
// x' host='evil would have sent the session (and its password) to another host.
BOOST_AUTO_TEST_CASE(an_instance_name_is_a_value_and_never_a_keyword_of_the_connection)
{
    auto const db = fresh_database();
    std::string const name = "x' host='evil.example' dbname='other";
    std::string why;
    auto const c = detail::pg_conninfo::for_session(db, name, why);
    BOOST_REQUIRE_MESSAGE(c, why);
    BOOST_TEST(c->get("application_name") == name);
    BOOST_TEST(c->get("host") == detail::pg_conninfo::for_session(db, "plain", why)->get("host"));
    auto s = open(db, name);
    session here(db);
    BOOST_TEST(here.one("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'x'' host=''evil.example'' dbname=''other'") != "0");
    // What libpq cannot read is refused with its reason, before any connection.
    BOOST_TEST(!detail::pg_conninfo::for_session("host='unterminated", "a", why));
    BOOST_TEST(why.find("cannot be read") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_answers_failed_and_keeps_nothing_until_it_is_back)
{
    auto const db = fresh_database();
    election e;
    auto a = leader(db, "a", e);
    server().kill();
    auto const down = append(*a, entry("during"));
    std::string why;
    BOOST_REQUIRE_MESSAGE(server().start(why), why);
    BOOST_TEST((down.first == append_status::failed));
    BOOST_TEST((append(*a, entry("after")).first == append_status::kept));
    session s(db);
    BOOST_TEST(s.one("SELECT string_agg(request_id, ',') FROM inbox") == "after");
    BOOST_TEST(a->stats().errors > 0u);
    // Its sessions came back with nobody elected meanwhile: it still leads, and its progress
    // passes the fence.
    detail::recovered_state r;
    auto const rec = a->recover(r, system_now());
    BOOST_REQUIRE_MESSAGE(!rec, rec.message());
    auto got = a->take(10);
    BOOST_REQUIRE(got.size() == 1u);
    detail::progress p;
    p.processed.push_back(got[0].sequence);
    a->commit(std::move(p));
    a->sync();
    BOOST_TEST(s.one("SELECT processed FROM inbox") == "t");
    BOOST_TEST(!ready(e.lost, 0ms));
}

// An operation tracked and not decided is kept pending, and an outcome replaces it; the next
// leader takes both back (what operation polling resumes from after a restart).
BOOST_AUTO_TEST_CASE(a_new_leader_takes_back_pending_operations_and_outcomes)
{
    auto const db = fresh_database();
    auto const t0 = system_now();
    auto row = [&](std::string id, operation_status st, timestamp completed) {
        detail::stored_operation op;
        op.result.operation_id = std::move(id);
        op.result.status = st;
        op.result.connection_id = "conn-1";
        op.result.resource = "message";
        op.updated_at = st == operation_status::pending ? timestamp{} : t0;
        op.completed_at = completed;
        return op;
    };
    {
        election e;
        auto a = leader(db, "a", e);
        detail::progress p;
        p.operations.push_back(row("op-1", operation_status::pending, t0 + 24h));
        p.operations.push_back(row("op-2", operation_status::pending, t0 + 24h));
        a->commit(std::move(p));
        detail::progress q;
        q.operations.push_back(row("op-2", operation_status::success, t0));
        a->commit(std::move(q));
        a->sync();
    }
    election e;
    auto b = open(db, "b");
    b->lead(e.hooks());
    BOOST_REQUIRE(ready(e.gained));
    detail::recovered_state r;
    BOOST_REQUIRE(!b->recover(r, t0));
    BOOST_REQUIRE(r.operations.size() == 2u);
    std::map<std::string, operation_status> by_id;
    for(auto const& op : r.operations)
        by_id[op.result.operation_id] = op.result.status;
    BOOST_TEST((by_id["op-1"] == operation_status::pending));
    BOOST_TEST((by_id["op-2"] == operation_status::success));
}

// What retention lets go, the leader deletes (every prune_interval; here after every write):
// processed rows older than processed_retention (even with no newer row after them), request
// keys older than request_id_memory, identities older than identity_retention, outcomes older
// than operation_memory, and a fleet's transitions beyond history_per_fleet. Nothing else.
BOOST_AUTO_TEST_CASE(the_leader_prunes_what_retention_lets_go_and_nothing_more)
{
    auto const db = fresh_database();
    auto o = options_for(db, "a");
    o.prune_interval = 0s;
    o.processed_retention = 0s;
    o.identity_retention = 3600s;
    o.operation_memory = 3600s;
    o.history_per_fleet = 2;
    detail::store_limits limits;
    limits.request_id_memory = 0s;
    election e;
    auto a = leader(o, limits, e);

    auto const first = append(*a, entry("r-1"));
    auto const second = append(*a, entry("r-2"));
    BOOST_REQUIRE((first.first == append_status::kept && second.first == append_status::kept));
    BOOST_REQUIRE(a->take(10).size() == 2u);
    auto const now = system_now();
    auto ms = [](timestamp t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    };
    detail::progress p;
    p.processed.push_back(first.second); // r-2 stays unprocessed
    p.identities.emplace_back(detail::identity_key{detail::digest_of("old"), ms(now - 7200s)}, now - 7200s);
    p.identities.emplace_back(detail::identity_key{detail::digest_of("new"), ms(now)}, now);
    for(int i = 0; i < 4; ++i)
    {
        transition t;
        t.fleet_key = "fleet-1";
        t.idempotency_key = "t-" + std::to_string(i);
        p.transitions.push_back(t);
    }
    detail::stored_operation done;
    done.result.operation_id = "op-old";
    done.result.status = operation_status::success;
    done.updated_at = now - 7200s;
    done.completed_at = now - 7200s;
    p.operations.push_back(done);
    done.result.operation_id = "op-new";
    done.completed_at = now;
    p.operations.push_back(done);
    a->commit(std::move(p));
    a->sync(); // the write, then the pruning after it

    session s(db);
    BOOST_TEST(s.one("SELECT string_agg(request_id, ',' ORDER BY seq) FROM inbox") == "r-2");
    BOOST_TEST(s.one("SELECT count(*) FROM request_keys") == "0");
    BOOST_TEST(s.one("SELECT count(*) FROM identity_keys") == "1");
    BOOST_TEST(s.one("SELECT string_agg(id, ',') FROM operations") == "op-new");
    BOOST_TEST(s.one("SELECT count(*) FROM transitions WHERE fleet_key = 'fleet-1'") == "2");
    BOOST_TEST(a->size_on_disk() > 0u);
}

// A statement the database refuses on a session that stays up (a constraint or a permission
// the schema never gives): appends answer failed and keep nothing, progress is not lost but
// written again until the database takes it.
BOOST_AUTO_TEST_CASE(a_refused_statement_fails_its_appends_and_progress_is_written_once_it_passes)
{
    auto const db = fresh_database();
    election e;
    auto a = leader(db, "a", e);
    auto const kept = append(*a, entry("r-1"));
    BOOST_REQUIRE((kept.first == append_status::kept));
    BOOST_REQUIRE(a->take(10).size() == 1u);
    session s(db);
    s.one("ALTER TABLE inbox ADD CONSTRAINT refuse_new CHECK (request_id <> 'refused') NOT VALID");
    s.one("ALTER TABLE inbox ADD CONSTRAINT refuse_processed CHECK (NOT processed) NOT VALID");
    auto const errors = a->stats().errors;
    BOOST_TEST((append(*a, entry("refused")).first == append_status::failed));
    BOOST_TEST(a->stats().errors > errors);
    detail::progress p;
    p.processed.push_back(kept.second);
    a->commit(std::move(p));
    auto const failures = a->stats().failures;
    BOOST_REQUIRE(tst::eventually([&] { return a->stats().failures >= failures + 2; })); // refused, tried again
    BOOST_TEST(s.one("SELECT processed FROM inbox") == "f");
    s.one("ALTER TABLE inbox DROP CONSTRAINT refuse_processed");
    a->sync();
    BOOST_TEST(s.one("SELECT string_agg(request_id || ':' || processed, ',') FROM inbox") == "r-1:true");
    BOOST_TEST(!ready(e.lost, 0ms)); // a refused statement is no reason to step down
}

// The dead-letter box of a stopped receiver's PostgreSQL store: a letter whose delivery is
// still in the inbox goes back into it; one whose delivery was pruned is named and stays; an
// id the box does not hold is named and changes nothing.
BOOST_AUTO_TEST_CASE(the_dead_letter_box_replays_what_it_can_and_names_what_it_cannot)
{
    auto const db = fresh_database();
    {
        election e;
        auto s = leader(db, "a", e);
        auto const [status, seq] = append(*s, entry("r-kept"));
        BOOST_REQUIRE((status == append_status::kept));
        dead_letter failed; // a callback that failed on a delivery still in the inbox
        failed.kind = dead_letter_kind::callback_failed;
        failed.reason = "callback_dead_lettered";
        failed.sequence = seq;
        failed.request_id = "r-kept";
        failed.webhook_id = "wh-1";
        failed.event_type = "vehicle.added";
        failed.body = R"({"id":"v-1"})";
        auto gone = failed; // and one whose delivery is no longer there
        gone.sequence = 999999;
        gone.request_id = "r-gone";
        detail::progress p;
        p.dead_letters = {failed, gone};
        s->commit(std::move(p));
        BOOST_REQUIRE(s->sync_until(std::chrono::steady_clock::now() + 30s));
    }
    error_code ec;
    std::string why;
    auto box = dead_letter_box::open(db, ec, why);
    BOOST_REQUIRE_MESSAGE(box, why);
    BOOST_REQUIRE(box->list().size() == 2u);
    why.clear();
    BOOST_TEST(box->replay_all(why) == 1u);
    BOOST_TEST(why.find("(inbox 999999) was pruned") != std::string::npos, why);
    auto const left = box->list();
    BOOST_REQUIRE(left.size() == 1u);
    BOOST_TEST(left[0].letter.request_id == "r-gone");
    BOOST_TEST(session(db).one("SELECT count(*) FROM inbox WHERE replay") == "1");
    why.clear();
    BOOST_TEST(!box->get(left[0].id + 1000).has_value());
    BOOST_TEST((box->replay(left[0].id + 1000, why) == error::invalid_options));
    BOOST_TEST(why == "no dead letter " + std::to_string(left[0].id + 1000), why);
    BOOST_TEST(box->list().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_postgres_store
