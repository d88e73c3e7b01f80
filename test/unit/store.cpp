// SPDX-License-Identifier: BSL-1.0
// test/unit/store.cpp - the store contract, run against every backend (memory, SQLite, PostgreSQL).
#include "store/memory.hpp"
#include "store/sqlite_store.hpp"

#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/version.hpp>

#if CATENA_WEBHOOKS_HAS_POSTGRESQL
#include "postgres_server.hpp"
#include "store/postgres_store.hpp"
#endif
#include "store_support.hpp"
#include "support.hpp"
#include "tls_material.hpp"

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <string>

namespace unit_store { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace tst = catena::webhooks::test;
using detail::append_status;

using tst::append;
using tst::entry;
using tst::open_sqlite;
using tst::t0;

struct backend
{
    std::string name;
    bool durable;
    std::function<std::unique_ptr<detail::store>(std::string const& dir, detail::store_limits)> open;
};

#if CATENA_WEBHOOKS_HAS_POSTGRESQL
// The database of a test directory on the tests' own PostgreSQL server: created at the
// first open, the same one when reopened.
std::string database_of(std::string const& dir)
{
    static std::map<std::string, std::string> databases;
    auto& conninfo = databases[dir];
    if(conninfo.empty())
    {
        std::string why;
        auto* server = tst::postgres_server::shared(why);
        BOOST_REQUIRE_MESSAGE(server, "the PostgreSQL store's tests need a server: " + why);
        conninfo = server->create_database();
        BOOST_REQUIRE_MESSAGE(!conninfo.empty(), "cannot create a database on the tests' PostgreSQL server");
    }
    return conninfo;
}

// Opens the PostgreSQL store of `conninfo` without taking part in the election.
std::unique_ptr<detail::store> open_postgres_standby(std::string const& conninfo, detail::store_limits l,
                                                     std::string name = "test")
{
    detail::postgres_options o;
    o.conninfo = conninfo;
    o.name = std::move(name);
    o.leader_poll = 20ms;
    o.refresh_interval = 50ms;
    error_code ec;
    std::string why;
    auto s = detail::make_postgres_store(o, l, ec, why);
    BOOST_REQUIRE_MESSAGE(s, why);
    return s;
}

// Opens it and waits until it leads (the last leader's session is gone when it closed).
std::unique_ptr<detail::store> open_postgres(std::string const& dir, detail::store_limits l)
{
    auto s = open_postgres_standby(database_of(dir), l);
    auto gained = std::make_shared<std::promise<void>>();
    detail::leadership_hooks h;
    h.gained = [gained] { gained->set_value(); };
    s->lead(std::move(h));
    BOOST_REQUIRE_MESSAGE((gained->get_future().wait_for(10s) == std::future_status::ready), "never elected");
    return s;
}
#endif

std::vector<backend> backends()
{
    return {{"memory", false, [](std::string const&, detail::store_limits l) { return detail::make_memory_store(l); }},
            {"sqlite", true, open_sqlite},
#if CATENA_WEBHOOKS_HAS_POSTGRESQL
            {"postgresql", true, open_postgres},
#endif
    };
}

// Opens, recovers, and runs f on every backend in a fresh directory.
template<class F>
void for_each_backend(F f, detail::store_limits limits = {})
{
    for(auto const& b : backends())
    {
        BOOST_TEST_CONTEXT(b.name)
        {
            auto const dir = tst::make_temp_dir("store");
            auto s = b.open(dir, limits);
            detail::recovered_state r;
            BOOST_REQUIRE(!s->recover(r, t0));
            f(b, dir, s);
        }
    }
}

BOOST_AUTO_TEST_SUITE(store_)

BOOST_AUTO_TEST_CASE(keeps_entries_and_hands_them_out_in_sequence_order)
{
    for_each_backend([](backend const&, std::string const&, auto& s) {
        auto a = append(*s, entry("r1", "one"));
        auto b = append(*s, entry("r2", "two"));
        BOOST_TEST((a.first == append_status::kept));
        BOOST_TEST((b.first == append_status::kept));
        BOOST_TEST(b.second > a.second);
        BOOST_TEST(s->backlog() == 2u);
        auto got = s->take(10);
        BOOST_REQUIRE(got.size() == 2u);
        BOOST_TEST(got[0].body == "one");
        BOOST_TEST(got[1].body == "two");
        BOOST_TEST(got[0].sequence == a.second);
        BOOST_TEST(got[0].request_id == "r1");
        BOOST_TEST(got[0].delivery_attempt == 2u);
        BOOST_TEST(s->take(10).empty());
    });
}

BOOST_AUTO_TEST_CASE(drops_a_replayed_request_id)
{
    for_each_backend([](backend const&, std::string const&, auto& s) {
        BOOST_TEST((append(*s, entry("same")).first == append_status::kept));
        BOOST_TEST((append(*s, entry("same")).first == append_status::duplicate));
        BOOST_TEST(s->take(10).size() == 1u);
    });
}

// A request id says nothing across subscriptions or routes: anyone who can reach a route (or
// holds its token) must not make a Catena delivery a silent copy by sending its request id.
BOOST_AUTO_TEST_CASE(a_request_id_is_a_copy_only_within_its_subscription_or_route)
{
    for_each_backend([](backend const&, std::string const&, auto& s) {
        auto route = entry("shared-id");
        route.webhook_id = route.route = "/webhooks/foxtrot";
        BOOST_TEST((append(*s, std::move(route)).first == append_status::kept));
        BOOST_TEST((append(*s, entry("shared-id")).first == append_status::kept)); // wh-1: not a copy
        auto other = entry("shared-id");
        other.webhook_id = "wh-2";
        BOOST_TEST((append(*s, std::move(other)).first == append_status::kept));
        BOOST_TEST((append(*s, entry("shared-id")).first == append_status::duplicate)); // wh-1 again: a copy
        BOOST_TEST(s->take(10).size() == 3u);
    });
}

BOOST_AUTO_TEST_CASE(refuses_beyond_the_backlog_bound)
{
    detail::store_limits l;
    l.max_backlog_entries = 2;
    for_each_backend(
        [](backend const&, std::string const&, auto& s) {
            BOOST_TEST((append(*s, entry("a")).first == append_status::kept));
            BOOST_TEST((append(*s, entry("b")).first == append_status::kept));
            BOOST_TEST((append(*s, entry("c")).first == append_status::full));
        },
        l);
}

// What the oldest-delivery metric reads: nothing while the inbox is empty, the first kept
// delivery's arrival while it waits, nothing once it is processed.
BOOST_AUTO_TEST_CASE(the_oldest_unprocessed_delivery_is_told_until_it_is_processed)
{
    for_each_backend([](backend const&, std::string const&, auto& s) {
        BOOST_TEST(!s->oldest_unprocessed().has_value());
        auto first = entry("a");
        first.received_at = t0 - std::chrono::seconds(30);
        auto a = append(*s, std::move(first));
        auto b = append(*s, entry("b"));
        // A shared store reads its inbox's oldest row at its next refresh.
        BOOST_REQUIRE(tst::eventually([&] { return s->oldest_unprocessed().has_value(); }));
        auto const oldest = s->oldest_unprocessed();
        BOOST_TEST((std::chrono::floor<std::chrono::milliseconds>(*oldest) ==
                    std::chrono::floor<std::chrono::milliseconds>(t0 - std::chrono::seconds(30))));
        auto got = s->take(10);
        BOOST_REQUIRE(got.size() == 2u);
        detail::progress p;
        p.processed = {a.second, b.second};
        p.processed_bytes = got[0].bytes() + got[1].bytes();
        s->commit(std::move(p));
        s->sync();
        BOOST_TEST(tst::eventually([&] { return !s->oldest_unprocessed().has_value(); }));
    });
}

BOOST_AUTO_TEST_CASE(processed_entries_leave_the_backlog)
{
    for_each_backend([](backend const&, std::string const&, auto& s) {
        auto a = append(*s, entry("a"));
        auto got = s->take(10);
        detail::progress p;
        p.processed.push_back(a.second);
        p.processed_bytes = got[0].bytes();
        s->commit(std::move(p));
        s->sync();
        BOOST_TEST(s->backlog() == 0u);
    });
}

BOOST_AUTO_TEST_CASE(keeps_dead_letters)
{
    for_each_backend([](backend const&, std::string const&, auto& s) {
        detail::progress p;
        dead_letter d;
        d.kind = dead_letter_kind::callback_failed;
        d.reason = "callback_dead_lettered";
        d.handler = "on(vehicle.added)";
        d.error_text = "boom";
        d.attempts = 3;
        d.body = R"({"id":"v-1"})";
        p.dead_letters.push_back(d);
        s->commit(std::move(p));
        s->sync();
        // Listed without its body (its length instead); the body by the letter's id.
        auto v = s->dead_letters(10);
        BOOST_REQUIRE(v.size() == 1u);
        auto const& l = v[0].letter;
        BOOST_TEST((l.kind == dead_letter_kind::callback_failed));
        BOOST_TEST(l.reason == "callback_dead_lettered");
        BOOST_TEST(l.handler == "on(vehicle.added)");
        BOOST_TEST(l.attempts == 3u);
        BOOST_TEST(l.body.empty());
        BOOST_TEST(v[0].body_bytes == 12u);
        auto const one = s->dead_letter(v[0].id);
        BOOST_REQUIRE(one);
        BOOST_TEST(one->letter.body == R"({"id":"v-1"})");
        BOOST_TEST(!s->dead_letter(v[0].id + 1));
    });
}

BOOST_AUTO_TEST_CASE(durable_backends_give_back_state_and_unprocessed_entries_after_reopening)
{
    for_each_backend([](backend const& b, std::string const& dir, auto& s) {
        if(!b.durable)
            return;
        auto a = append(*s, entry("a", "processed"));
        append(*s, entry("b", "not processed"));
        detail::progress p;
        p.processed.push_back(a.second);
        p.identities.emplace_back(detail::identity_key{detail::digest_of("e/1"), 1'764'000'000'123}, t0);
        p.identities.emplace_back(detail::identity_key{detail::digest_of("e/2"), 0}, t0);
        detail::fleet_capture f;
        f.state.key = "fleet-1";
        f.state.stage = stage::connected;
        p.fleets.push_back(f);
        transition t;
        t.fleet_key = "fleet-1";
        t.what = dimension::stage;
        t.from = "connection";
        t.to = "connected";
        t.cause = "fleet_connection.created";
        t.idempotency_key = "k#stage";
        p.transitions.push_back(t);
        s->commit(std::move(p));
        s->sync();
        s.reset(); // close

        auto again = b.open(dir, {});
        detail::recovered_state r;
        BOOST_REQUIRE(!again->recover(r, t0 + 1s));
        BOOST_TEST(r.unprocessed == 1u);
        BOOST_REQUIRE(r.fleets.size() == 1u);
        BOOST_TEST(r.fleets[0].state.key == "fleet-1");
        BOOST_TEST((r.fleets[0].state.stage == stage::connected));
        BOOST_REQUIRE(r.transitions.size() == 1u);
        BOOST_TEST(r.transitions[0].to == "connected");
        BOOST_TEST(r.transitions[0].idempotency_key == "k#stage");
        // Identities stay on disk and are looked up by their key: digest and carried time.
        BOOST_TEST(r.identities.empty());
        BOOST_TEST(again->recall({detail::digest_of("e/1"), 1'764'000'000'123}));
        BOOST_TEST(again->recall({detail::digest_of("e/2"), 0}));
        BOOST_TEST(!again->recall({detail::digest_of("e/1"), 1'764'000'000'124}));
        BOOST_TEST(!again->recall({detail::digest_of("e/3"), 0}));
        auto rest = again->take(10);
        BOOST_REQUIRE(rest.size() == 1u);
        BOOST_TEST(rest[0].body == "not processed");
        // New entries come after the recovered ones.
        append(*again, entry("c", "new"));
        auto more = again->take(10);
        BOOST_REQUIRE(more.size() == 1u);
        BOOST_TEST(more[0].body == "new");
        BOOST_TEST(more[0].sequence > rest[0].sequence);
    });
}

BOOST_AUTO_TEST_CASE(a_copy_of_a_kept_envelope_is_a_duplicate_whatever_its_request_id)
{
    for(bool durable : {false, true})
    {
        BOOST_TEST_CONTEXT((durable ? "sqlite" : "memory"))
        {
            auto const dir = tst::make_temp_dir("store");
            auto s = durable ? open_sqlite(dir, {}) : detail::make_memory_store({});
            detail::recovered_state r;
            BOOST_REQUIRE(!s->recover(r, t0));
            auto first = entry("req-1");
            first.envelope_key = "wh/env-1";
            BOOST_TEST((append(*s, std::move(first)).first == append_status::kept));
            auto copy = entry("req-2");
            copy.envelope_key = "wh/env-1";
            BOOST_TEST((append(*s, std::move(copy)).first == append_status::duplicate_envelope));
            auto other = entry("req-3");
            other.envelope_key = "wh/env-2";
            BOOST_TEST((append(*s, std::move(other)).first == append_status::kept));
            BOOST_TEST(s->take(10).size() == 2u);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_store
