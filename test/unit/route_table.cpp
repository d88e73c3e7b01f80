// SPDX-License-Identifier: BSL-1.0
// test/unit/route_table.cpp - other providers' routes: matching, allowlists, tokens, checks and Foxtrot's decoding.
#include "providers/route_table.hpp"

#include <boost/test/unit_test.hpp>

namespace {

using namespace catena::webhooks;
using detail::route_table;
namespace ip = boost::asio::ip;

route_options foxtrot(std::string path = "/webhooks/foxtrot")
{
    route_options r;
    r.path = std::move(path);
    r.token = "a-token-of-sixteen-or-more";
    return r;
}

detail::inbox_entry kept(std::string body)
{
    detail::inbox_entry e;
    e.body = std::move(body);
    e.route = "/webhooks/foxtrot";
    e.sequence = 7;
    e.request_id = "req-1";
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(route_table_)

BOOST_AUTO_TEST_CASE(a_cidr_holds_the_addresses_of_its_prefix_and_no_other)
{
    auto const n = detail::parse_cidr("10.1.0.0/16");
    BOOST_REQUIRE(n);
    BOOST_TEST(detail::contains(*n, ip::make_address("10.1.255.7")));
    BOOST_TEST(!detail::contains(*n, ip::make_address("10.2.0.1")));
    BOOST_TEST(detail::contains(*n, ip::make_address("::ffff:10.1.2.3"))); // IPv4-mapped
    BOOST_TEST(!detail::contains(*n, ip::make_address("::1")));
    auto const odd = detail::parse_cidr("192.0.2.128/25");
    BOOST_REQUIRE(odd);
    BOOST_TEST(detail::contains(*odd, ip::make_address("192.0.2.200")));
    BOOST_TEST(!detail::contains(*odd, ip::make_address("192.0.2.127")));
    auto const v6 = detail::parse_cidr("2001:db8::/32");
    BOOST_REQUIRE(v6);
    BOOST_TEST(detail::contains(*v6, ip::make_address("2001:db8:ffff::1")));
    BOOST_TEST(!detail::contains(*v6, ip::make_address("2001:db9::1")));
    auto const one = detail::parse_cidr("203.0.113.9");
    BOOST_REQUIRE(one);
    BOOST_TEST(one->prefix == 32u);
    BOOST_TEST(!detail::contains(*one, ip::make_address("203.0.113.8")));
    BOOST_TEST(detail::contains(*detail::parse_cidr("0.0.0.0/0"), ip::make_address("198.51.100.1")));
    for(auto const* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "host.example/8", "::/129", "10.0.0.0/8x", ""})
        BOOST_TEST(!detail::parse_cidr(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(a_target_matches_its_route_exactly_or_with_the_token_as_last_segment)
{
    std::vector<route_options> routes{foxtrot()};
    routes[0].token_header.clear(); // the token in the path
    route_table t(routes);
    auto m = t.find("/webhooks/foxtrot/a-token-of-sixteen-or-more");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->rest == "a-token-of-sixteen-or-more");
    BOOST_TEST(t.find("/webhooks/foxtrot").has_value());
    BOOST_TEST(!t.find("/webhooks/foxtrot/a/b").has_value());
    BOOST_TEST(!t.find("/webhooks/foxtrotter").has_value());
    BOOST_TEST(!t.find("/webhooks").has_value());
    routes[0].token_header = "X-Token"; // in a header: the path alone
    route_table h(routes);
    BOOST_TEST(h.find("/webhooks/foxtrot").has_value());
    BOOST_TEST(!h.find("/webhooks/foxtrot/a-token-of-sixteen-or-more").has_value());
}

BOOST_AUTO_TEST_CASE(admission_checks_the_allowlist_then_the_token_in_constant_time)
{
    std::vector<route_options> routes{foxtrot()};
    routes[0].token_header = "Authorization";
    routes[0].allow = {"127.0.0.0/8"};
    route_table t(routes);
    auto const m = *t.find("/webhooks/foxtrot");
    auto const local = ip::make_address("127.0.0.1");
    BOOST_TEST(!t.admit(m, "Bearer a-token-of-sixteen-or-more", local));
    BOOST_TEST(!t.admit(m, "a-token-of-sixteen-or-more", local));
    BOOST_TEST((t.admit(m, "Bearer a-token-of-sixteen-or-morE", local) == error::route_token_mismatch));
    BOOST_TEST((t.admit(m, "", local) == error::route_token_mismatch));
    BOOST_TEST((t.admit(m, "Bearer a-token-of-sixteen-or-more", ip::make_address("10.0.0.1")) ==
                error::address_not_allowed));
    BOOST_TEST((error_code(error::route_token_mismatch) == condition::unauthenticated));
}

BOOST_AUTO_TEST_CASE(routes_that_cannot_work_are_named_before_start)
{
    auto problem = [](std::vector<route_options> const& r) { return route_table(r).check("/webhooks/catena"); };
    BOOST_TEST(problem({foxtrot()}).empty());
    auto open = foxtrot();
    open.token.clear();
    BOOST_TEST(problem({open}).find("token or an address allowlist") != std::string::npos);
    open.allow = {"10.0.0.0/8"};
    BOOST_TEST(problem({open}).empty());
    open.allow = {"10.0.0.0/99"};
    BOOST_TEST(problem({open}).find("10.0.0.0/99") != std::string::npos);
    auto short_token = foxtrot();
    short_token.token = "short";
    BOOST_TEST(problem({short_token}).find("16 characters") != std::string::npos);
    BOOST_TEST(problem({foxtrot(), foxtrot()}).find("served twice") != std::string::npos);
    BOOST_TEST(problem({foxtrot("/webhooks/catena")}).find("served twice") != std::string::npos);
    BOOST_TEST(problem({foxtrot("webhooks")}).find("starts with '/'") != std::string::npos);
    auto slash = foxtrot();
    slash.token = "a/token/with/slashes/1234";
    BOOST_TEST(problem({slash}).find("may not hold") != std::string::npos);
    auto nameless = foxtrot();
    nameless.id_field.clear();
    BOOST_TEST(problem({nameless}).find("the event and id fields need names") != std::string::npos);
}

// A match of another table is admitted by none of this one's routes; a Catena route decodes
// nothing here (its deliveries go through the envelope parser).
BOOST_AUTO_TEST_CASE(a_foreign_match_is_not_admitted_and_a_catena_route_is_not_decoded_here)
{
    std::vector<route_options> mine{foxtrot()}; // the table points into its routes
    route_table t(mine);
    std::vector<route_options> others{foxtrot("/webhooks/other")};
    route_table u(others);
    auto const m = *u.find("/webhooks/other");
    BOOST_TEST((t.admit(m, "Bearer a-token-of-sixteen-or-more", ip::make_address("127.0.0.1")) == error::not_found));
    route_options catena;
    catena.path = "/webhooks/catena";
    catena.kind = provider::catena;
    auto const d = route_table::decode(catena, kept(R"({"id":"1","event":"X"})"));
    BOOST_TEST((!d.has_value() && d.error() == error::route_unknown));
}

BOOST_AUTO_TEST_CASE(foxtrot_reads_the_event_type_and_id_from_its_fields)
{
    auto const r = foxtrot();
    auto ev = route_table::decode(
        r, kept(R"({"id":"e-1","event":"WAYPOINT_STATUS_CHANGED","created_at":"2026-11-30T10:00:00Z","dc_id":"dc-1"})"));
    BOOST_REQUIRE(ev);
    BOOST_TEST(ev->provider == "foxtrot");
    BOOST_TEST(ev->event_name == "WAYPOINT_STATUS_CHANGED");
    BOOST_TEST(ev->event_id == "e-1");
    BOOST_TEST(ev->webhook_id == "/webhooks/foxtrot");
    BOOST_TEST(ev->sequence == 7u);
    BOOST_TEST(ev->request_id == "req-1");
    BOOST_TEST(ev->idempotency_key == "foxtrot//webhooks/foxtrot/e-1");
    BOOST_TEST(format_rfc3339(*ev->occurred_at, utc_suffix::z) == "2026-11-30T10:00:00Z");
    BOOST_TEST(ev->record.at("dc_id").as_string() == "dc-1");

    auto numeric = route_table::decode(r, kept(R"({"id":12345,"event":"ROUTE_STARTED"})"));
    BOOST_REQUIRE(numeric);
    BOOST_TEST(numeric->event_id == "12345");
    BOOST_TEST(!numeric->occurred_at.has_value());

    auto custom = r;
    custom.event_field = "type";
    custom.id_field = "uuid";
    auto c = route_table::decode(custom, kept(R"({"uuid":"u-9","type":"ROUTE_CREATED"})"));
    BOOST_REQUIRE(c);
    BOOST_TEST(c->event_id == "u-9");
}

BOOST_AUTO_TEST_CASE(foxtrot_names_what_a_body_lacks)
{
    auto const r = foxtrot();
    auto reason_of = [&](std::string body) { return route_table::decode(r, kept(std::move(body))).error(); };
    BOOST_TEST((reason_of(R"({"id":"e-1"})") == error::event_field_missing));
    BOOST_TEST((reason_of(R"({"id":"e-1","event":""})") == error::event_field_missing));
    BOOST_TEST((reason_of(R"({"id":"e-1","event":7})") == error::event_field_missing));
    BOOST_TEST((reason_of(R"({"event":"ROUTE_CREATED"})") == error::event_id_missing));
    BOOST_TEST((reason_of(R"({"event":"ROUTE_CREATED","id":null})") == error::event_id_missing));
    BOOST_TEST((reason_of(R"({"event":"ROUTE_CREATED","id":1.5})") == error::event_id_missing));
    BOOST_TEST((reason_of("[1,2]") == error::envelope_not_object));
    BOOST_TEST((reason_of("{nope") == error::json_syntax));
    BOOST_TEST((reason_of(std::string(100, '[') + std::string(100, ']')) == error::json_too_deep));
}

BOOST_AUTO_TEST_SUITE_END()
