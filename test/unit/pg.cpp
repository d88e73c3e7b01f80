// SPDX-License-Identifier: BSL-1.0
// test/unit/pg.cpp - the libpq handles the PostgreSQL store is written with: columns read in
// binary and text, parameters of each kind, failures named, and a session that is not there.
#include "store/pg.hpp"

#include "postgres_server.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace unit_pg { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace tst = catena::webhooks::test;
using detail::pg_connection;
using detail::pg_params;

tst::postgres_server& server()
{
    std::string why;
    auto* s = tst::postgres_server::shared(why);
    BOOST_REQUIRE_MESSAGE(s, "the PostgreSQL handles' tests need a server: " + why);
    return *s;
}

// A session on a fresh database of the tests' server.
void open(pg_connection& c)
{
    auto const conninfo = server().create_database();
    BOOST_REQUIRE_MESSAGE(!conninfo.empty(), "cannot create a database on the tests' PostgreSQL server");
    std::string why;
    BOOST_REQUIRE_MESSAGE(c.open(conninfo, why), why);
}

} // namespace

BOOST_AUTO_TEST_SUITE(pg)

BOOST_AUTO_TEST_CASE(reads_integers_of_every_width_in_binary_and_text_and_null_as_zero)
{
    pg_connection c;
    open(c);
    pg_params p;
    p.integer(-5'000'000'000).null().boolean(true);
    auto const sql = "SELECT $1::int8, 70000::int4, (-300)::int2, $2::int8, $3::bool, 'abc'::text";
    auto const b = c.exec(sql, p);
    BOOST_REQUIRE_MESSAGE(b.ok(), c.message());
    BOOST_REQUIRE(b.rows() == 1);
    BOOST_TEST(b.integer(0, 0) == -5'000'000'000);
    BOOST_TEST(b.integer(0, 1) == 70000);
    BOOST_TEST(b.integer(0, 2) == -300);
    BOOST_TEST(b.null(0, 3));
    BOOST_TEST(b.integer(0, 3) == 0);
    BOOST_TEST(b.boolean(0, 4));
    BOOST_TEST(b.integer(0, 5) == 0); // three bytes: no integer width
    BOOST_TEST(b.text(0, 5) == "abc");
    BOOST_TEST(b.state().empty());

    auto const t = c.exec(sql, p, false); // the same in text
    BOOST_REQUIRE_MESSAGE(t.ok(), c.message());
    BOOST_TEST(t.text_integer(0, 0) == -5'000'000'000);
    BOOST_TEST(t.text_integer(0, 2) == -300);
    BOOST_TEST(t.text_integer(0, 3) == 0);
    BOOST_TEST(t.text(0, 4) == "t");
}

BOOST_AUTO_TEST_CASE(a_literal_parameter_is_parsed_by_the_server_and_bytes_pass_unchanged)
{
    pg_connection c;
    open(c);
    pg_params p;
    std::string const raw("a\0b\xff", 4);
    p.literal("{3,1,2}").bytes(raw.data(), raw.size());
    auto const r = c.exec("SELECT array_length($1::int8[], 1)::int8, $2::bytea", p);
    BOOST_REQUIRE_MESSAGE(r.ok(), c.message());
    BOOST_TEST(r.integer(0, 0) == 3);
    BOOST_TEST(r.bytes(0, 1) == raw);
}

BOOST_AUTO_TEST_CASE(a_refused_statement_names_its_sqlstate_and_its_reason_in_one_line)
{
    pg_connection c;
    open(c);
    auto const r = c.exec("SELECT * FROM no_such_table");
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.state() == "42P01"); // undefined_table
    auto const m = c.message();
    BOOST_TEST(m.find("no_such_table") != std::string::npos, m);
    BOOST_TEST(m.find('\n') == std::string::npos, m);
    // A prepared statement the server refuses is not kept as prepared.
    pg_params none;
    BOOST_TEST(c.exec_prepared("bad", "SELECT * FROM no_such_table", none).state() == "42P01");
    BOOST_TEST(c.exec_prepared("good", "SELECT 1::int8", none).integer(0, 0) == 1);
    BOOST_TEST(c.healthy()); // a refused statement leaves the session up
}

BOOST_AUTO_TEST_CASE(a_connection_never_opened_runs_nothing_and_has_nothing_to_reconnect_to)
{
    pg_connection c;
    BOOST_TEST(!c.healthy());
    BOOST_TEST(!c.ensure());
    pg_params p;
    p.integer(1);
    BOOST_TEST(!c.exec("SELECT 1").ok());
    BOOST_TEST(!c.exec("SELECT $1::int8", p).ok());
    BOOST_TEST(!c.exec_prepared("one", "SELECT $1::int8", p).ok());
    BOOST_TEST(c.exec("SELECT 1").rows() == 0);
}

BOOST_AUTO_TEST_CASE(a_server_that_is_not_there_is_named_and_the_session_comes_back_with_it)
{
    // A port nothing listens on: refused at once.
    pg_connection none;
    std::string why;
    BOOST_TEST(!none.open("host=127.0.0.1 port=1 dbname=x user=x", why));
    BOOST_TEST(why.find("cannot connect to PostgreSQL") != std::string::npos, why);
    BOOST_TEST(why.find('\n') == std::string::npos, why);
    BOOST_TEST(!none.ensure()); // still nothing there
    BOOST_TEST(!none.exec("SELECT 1").ok());
    BOOST_TEST(!none.open("host='unterminated", why));
    BOOST_TEST(why.find("the PostgreSQL connection string cannot be read") != std::string::npos, why);
}

BOOST_AUTO_TEST_SUITE_END() // pg

} // namespace unit_pg
