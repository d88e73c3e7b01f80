// SPDX-License-Identifier: BSL-1.0
// test/unit/conninfo.cpp - PostgreSQL connection strings recognised, redacted and checked for
// passwords, with or without libpq in the build.
#include "store/conninfo.hpp"

#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/version.hpp>

#include <boost/test/unit_test.hpp>

namespace unit_conninfo { // this file's own: the test binaries compile a few files as one (unity build)

using namespace catena::webhooks;

BOOST_AUTO_TEST_SUITE(conninfo)

BOOST_AUTO_TEST_CASE(the_password_never_shows_in_what_a_log_may_print)
{
    BOOST_TEST(detail::redact_conninfo("postgresql://app:s3cret@db/catena") == "postgresql://app:***@db/catena");
    BOOST_TEST(detail::redact_conninfo("host=db password=s3cret dbname=x") == "host=db password=*** dbname=x");
    BOOST_TEST(detail::redact_conninfo("host=db password='a b' dbname=x") == "host=db password=*** dbname=x");
    BOOST_TEST(detail::redact_conninfo("postgresql://db/x?password=s3cret&sslmode=require") ==
               "postgresql://db/x?password=***&sslmode=require");
    BOOST_TEST(is_postgres_conninfo("postgresql://db/x"));
    BOOST_TEST(is_postgres_conninfo("host=db dbname=x"));
    BOOST_TEST(is_postgres_conninfo("hostaddr=10.0.0.5 dbname=x"));
    BOOST_TEST(!is_postgres_conninfo("./catena-data"));
    BOOST_TEST(!is_postgres_conninfo("/var/lib/host=x"));
    BOOST_TEST(conninfo_has_password("postgresql://app:s3cret@db/catena"));
    BOOST_TEST(conninfo_has_password("host=db password=s3cret"));
    BOOST_TEST(conninfo_has_password("postgresql://db/x?sslmode=require&password=s3cret"));
    BOOST_TEST(!conninfo_has_password("postgresql://app@db/catena"));
    BOOST_TEST(!conninfo_has_password("host=db dbname=passwords"));
    // sslpassword (the client key's passphrase) is a password too, in every form libpq reads.
    BOOST_TEST(detail::redact_conninfo("host=db sslpassword=k3y dbname=x") == "host=db sslpassword=*** dbname=x");
    BOOST_TEST(detail::redact_conninfo("postgresql://db/x?sslmode=require&sslpassword=k3y") ==
               "postgresql://db/x?sslmode=require&sslpassword=***");
    BOOST_TEST(conninfo_has_password("host=db sslpassword=k3y"));
    BOOST_TEST(conninfo_has_password("postgresql://db/x?sslpassword=k3y"));
    BOOST_TEST(conninfo_has_password("host=db password = 'a b'"));
}

// What a build without PostgreSQL answers names the store, password hidden, and the way out.
BOOST_AUTO_TEST_CASE(the_refusal_of_a_build_without_postgresql_names_the_store_without_its_password)
{
    auto const why = detail::no_postgresql_support("postgresql://app:s3cret@db/catena");
    BOOST_TEST(why.find("no PostgreSQL support") != std::string::npos, why);
    BOOST_TEST(why.find("postgresql://app:***@db/catena") != std::string::npos, why);
    BOOST_TEST(why.find("s3cret") == std::string::npos, why);
}

#if !CATENA_WEBHOOKS_HAS_POSTGRESQL
// The dead-letter command of a build without PostgreSQL, pointed at one: refused by name.
BOOST_AUTO_TEST_CASE(a_build_without_postgresql_refuses_to_open_a_shared_stores_dead_letters)
{
    error_code ec;
    std::string why;
    BOOST_TEST(!dead_letter_box::open("postgresql://app:s3cret@db/catena", ec, why));
    BOOST_TEST((ec == error::invalid_options));
    BOOST_TEST(why.find("no PostgreSQL support") != std::string::npos, why);
}
#endif

BOOST_AUTO_TEST_SUITE_END() // conninfo

} // namespace unit_conninfo
