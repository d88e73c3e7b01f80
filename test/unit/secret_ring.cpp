// SPDX-License-Identifier: BSL-1.0
// test/unit/secret_ring.cpp - secrets per subscription, defaults, expiry and the secrets file.
#include <catena/webhooks/secret_ring.hpp>

#include <boost/test/unit_test.hpp>

namespace unit_secret_ring { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(secret_ring_)

BOOST_AUTO_TEST_CASE(finds_secrets_of_known_subscription_in_order)
{
    secret_ring ring;
    BOOST_TEST(ring.add("wh-1", "current-secret-1"));
    BOOST_TEST(ring.add("wh-1", "previous-secret"));
    BOOST_TEST(ring.add("wh-2", "other-secret-22"));
    auto c = ring.find("wh-1");
    BOOST_TEST(c.known);
    BOOST_REQUIRE(c.secrets.size() == 2u);
    BOOST_TEST(c.secrets[0].key() == "current-secret-1");
    BOOST_TEST(c.secrets[1].key() == "previous-secret");
    BOOST_TEST(ring.subscription_count() == 2u);
}

BOOST_AUTO_TEST_CASE(unknown_subscription_gets_nothing_by_default)
{
    secret_ring ring;
    ring.add_default("org-wide-secret");
    auto c = ring.find("unknown");
    BOOST_TEST(!c.known);
    BOOST_TEST(c.secrets.empty());
}

BOOST_AUTO_TEST_CASE(unknown_subscription_tries_defaults_when_allowed)
{
    secret_ring ring;
    ring.add_default("org-wide-secret");
    ring.set_unknown_policy(unknown_webhook_policy::try_defaults);
    auto c = ring.find("unknown");
    BOOST_TEST(!c.known);
    BOOST_REQUIRE(c.secrets.size() == 1u);
    BOOST_TEST(c.secrets[0].key() == "org-wide-secret");
    // A known id never falls back to the defaults.
    ring.add("wh-1", "its-own-secret");
    BOOST_TEST(ring.find("wh-1").secrets.size() == 1u);
    BOOST_TEST(ring.find("wh-1").secrets[0].key() == "its-own-secret");
}

BOOST_AUTO_TEST_CASE(ignores_empty_id_or_secret)
{
    secret_ring ring;
    BOOST_TEST(!ring.add("", "secret-value-1"));
    BOOST_TEST(!ring.add("wh-1", ""));
    BOOST_TEST(!ring.add_default(""));
    BOOST_TEST(ring.empty());
}

BOOST_AUTO_TEST_CASE(secret_is_live_until_not_after)
{
    timestamp t0 = sys_days{year{2025} / 1 / 1};
    secret s("rotating-secret", t0);
    BOOST_TEST(s.live_at(t0 - seconds{1}));
    BOOST_TEST(s.live_at(t0));
    BOOST_TEST(!s.live_at(t0 + microseconds{1}));
    BOOST_TEST(secret("forever-secret").live_at(t0 + hours{24 * 365 * 100}));
}

BOOST_AUTO_TEST_CASE(parses_secrets_file)
{
    auto ring = secret_ring::parse("# comment\n"
                                   "\n"
                                   "wh-1 new-secret-value\n"
                                   "wh-1\told-secret-value 2025-01-01T00:00:00Z\r\n"
                                   "  wh-2   other-secret-value  \n"
                                   "* org-default-secret");
    BOOST_REQUIRE(ring);
    BOOST_TEST(ring->subscription_count() == 2u);
    BOOST_TEST(ring->default_count() == 1u);
    BOOST_TEST((ring->unknown_policy() == unknown_webhook_policy::try_defaults));
    auto c = ring->find("wh-1");
    BOOST_REQUIRE(c.secrets.size() == 2u);
    BOOST_TEST(c.secrets[1].key() == "old-secret-value");
    BOOST_TEST(c.secrets[1].not_after().has_value());
    BOOST_TEST(!c.secrets[0].not_after().has_value());
}

BOOST_AUTO_TEST_CASE(rejects_bad_secrets_file_naming_the_line)
{
    struct
    {
        char const* text;
        std::size_t line;
    } cases[] = {
        {"wh-1\n", 1},
        {"wh-1 secret-value-1\nwh-2 secret-value-2 not-a-time\n", 2},
        {"wh-1 secret-value-1 2025-01-01T00:00:00Z extra\n", 1},
    };
    for(auto const& c : cases)
    {
        BOOST_TEST_CONTEXT(c.text)
        {
            std::size_t line = 0;
            auto r = secret_ring::parse(c.text, &line);
            BOOST_REQUIRE(!r);
            BOOST_TEST((r.error() == error::invalid_secrets_file));
            BOOST_TEST(line == c.line);
            // The message must never carry the secret.
            BOOST_TEST(r.error().message().find("secret-value") == std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END() // secret_ring_

} // namespace

} // namespace unit_secret_ring
