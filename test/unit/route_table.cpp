// SPDX-License-Identifier: BSL-1.0
// test/unit/route_table.cpp - the delivery paths and their providers: matching, admission, checks, decoding by route, Foxtrot's decoder.
#include "providers/foxtrot/decode.hpp"
#include "detail/address.hpp"
#include "providers/route_table.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

namespace unit_route_table { // this file's own: the test binaries compile a few files as one (unity build)

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

detail::inbox_entry kept(std::string body, std::string route = "/webhooks/foxtrot")
{
    detail::inbox_entry e;
    e.body = std::move(body);
    e.route = std::move(route);
    e.sequence = 7;
    e.request_id = "req-1";
    return e;
}

// A receiver's delivery paths: Catena's own and `routes`, with what a receiver lends them.
struct table
{
    explicit table(std::vector<route_options> routes) : opts(options_with(std::move(routes))) {}
    static receiver_options options_with(std::vector<route_options> routes)
    {
        receiver_options o;
        o.routes = std::move(routes);
        o.secrets.add("5f0c1e2a-0000-4000-8000-00000000a001", "a-secret-of-the-subscription");
        return o;
    }
    route_table const* operator->() const { return &t; }
    receiver_options opts;
    detail::counters counts;
    detail::secret_holder secrets{opts.secrets};
    route_table t{opts, {opts, counts, [](auto&&...) {}, secrets}};
};

// A request's header fields.
struct fields final : detail::request_fields
{
    std::map<std::string, std::string, std::less<>> values;
    std::string_view get(std::string_view name) const override
    {
        auto const it = values.find(name);
        return it == values.end() ? std::string_view{} : std::string_view(it->second);
    }
};

error_code admit(detail::route_match const& m, std::string header_name, std::string header_value,
                 ip::address const& client, detail::delivery_ticket& t)
{
    fields f;
    f.values[std::move(header_name)] = std::move(header_value);
    return m.provider->admit(f, m.rest, client, timestamp{}, t);
}

// What the pipeline made of a kept delivery: its events and dead letters.
struct recording_sink final : detail::pipeline_sink
{
    std::vector<event> events;
    std::vector<dead_letter> dead;
    void on_event(event&& ev) override { events.push_back(std::move(ev)); }
    void on_transition(transition&&) override {}
    void on_merge(fleet_merge&&) override {}
    void on_dead_letter(dead_letter&& d) override { dead.push_back(std::move(d)); }
    void on_problem(error_code, std::string, event const*) override {}
    void on_subscription(subscription_event&&) override {}
    void on_operation(operation_result&&, operation_handler&&) override {}
};

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
    table t({foxtrot()});
    auto m = t->find("/webhooks/foxtrot/a-token-of-sixteen-or-more");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->provider->name() == "foxtrot");
    BOOST_TEST(m->rest == "a-token-of-sixteen-or-more");
    BOOST_TEST(t->find("/webhooks/foxtrot").has_value());
    BOOST_TEST(!t->find("/webhooks/foxtrot/a/b").has_value());
    BOOST_TEST(!t->find("/webhooks/foxtrotter").has_value());
    BOOST_TEST(!t->find("/webhooks").has_value());
    auto in_header = foxtrot();
    in_header.token_header = "X-Token"; // in a header: the path alone
    table h({in_header});
    BOOST_TEST(h->find("/webhooks/foxtrot").has_value());
    BOOST_TEST(!h->find("/webhooks/foxtrot/a-token-of-sixteen-or-more").has_value());
}

// Catena's own path and a route of provider "catena" are one provider, Catena's: its path
// takes no token segment, and its admission is the signature headers'.
BOOST_AUTO_TEST_CASE(catenas_path_and_a_catena_route_go_to_the_one_catena_provider)
{
    auto eu = foxtrot("/webhooks/catena-eu");
    eu.provider = "catena";
    table t({foxtrot(), eu});
    auto const own = t->find("/webhooks/catena");
    auto const other = t->find("/webhooks/catena-eu");
    BOOST_REQUIRE(own);
    BOOST_REQUIRE(other);
    BOOST_TEST(own->provider->name() == "catena");
    BOOST_TEST(own->provider == other->provider);
    BOOST_TEST(!t->find("/webhooks/catena-eu/a-token-of-sixteen-or-more").has_value());
    BOOST_TEST(t->find("/webhooks/foxtrot")->provider != own->provider);
    detail::delivery_ticket ticket;
    auto const ec = admit(*own, "Authorization", "Bearer a-token-of-sixteen-or-more", ip::make_address("127.0.0.1"),
                          ticket);
    BOOST_TEST((ec == error::missing_signature));
    BOOST_TEST((ec == condition::unauthenticated));
}

BOOST_AUTO_TEST_CASE(admission_checks_the_allowlist_then_the_token_in_constant_time)
{
    auto r = foxtrot();
    r.token_header = "Authorization";
    r.allow = {"127.0.0.0/8"};
    table t({r});
    auto const m = *t->find("/webhooks/foxtrot");
    auto const local = ip::make_address("127.0.0.1");
    detail::delivery_ticket ticket;
    BOOST_TEST(!admit(m, "Authorization", "Bearer a-token-of-sixteen-or-more", local, ticket));
    BOOST_TEST(ticket.headers.webhook_id == "/webhooks/foxtrot");
    BOOST_TEST(!admit(m, "Authorization", "a-token-of-sixteen-or-more", local, ticket));
    BOOST_TEST((admit(m, "Authorization", "Bearer a-token-of-sixteen-or-morE", local, ticket) ==
                error::route_token_mismatch));
    BOOST_TEST((admit(m, "Authorization", "", local, ticket) == error::route_token_mismatch));
    BOOST_TEST((admit(m, "Authorization", "Bearer a-token-of-sixteen-or-more", ip::make_address("10.0.0.1"), ticket) ==
                error::address_not_allowed));
    BOOST_TEST((error_code(error::route_token_mismatch) == condition::unauthenticated));
}

BOOST_AUTO_TEST_CASE(routes_that_cannot_work_are_named_before_start)
{
    auto problem = [](std::vector<route_options> r) {
        receiver_options o;
        o.routes = std::move(r);
        return route_table::check(o);
    };
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
    auto unknown = foxtrot();
    unknown.provider = "acme";
    BOOST_TEST(problem({unknown}) == R"(route /webhooks/foxtrot: unknown provider "acme" (catena, foxtrot))");
    auto catena = foxtrot("/webhooks/catena-eu");
    catena.provider = "catena";
    catena.token.clear(); // signed: no token nor allowlist needed
    BOOST_TEST(problem({catena}).empty());
    catena.allow = {"10.0.0.0/40"}; // ignored on a signed route, but named when it cannot be read
    BOOST_TEST(problem({catena}).find("10.0.0.0/40") != std::string::npos);
}

// A kept delivery goes to the provider of its route: Foxtrot's is one event, a route no
// longer configured (or now Catena's) a dead letter that names it, Catena's own an envelope.
BOOST_AUTO_TEST_CASE(a_kept_delivery_is_decoded_by_the_provider_of_its_route)
{
    auto eu = foxtrot("/webhooks/catena-eu");
    eu.provider = "catena";
    table t({foxtrot(), eu});
    recording_sink sink;
    detail::pipeline p({}, sink);
    auto const now = timestamp{} + std::chrono::hours(24 * 365 * 56);
    BOOST_TEST(t->decode(kept(R"({"id":"e-1","event":"ROUTE_CREATED"})"), p, now).events == 1u);
    BOOST_TEST(t->decode(kept(R"({"id":"e-2","event":"ROUTE_CREATED"})", "/webhooks/gone"), p, now).events == 0u);
    BOOST_TEST(t->decode(kept(R"({"id":"e-3","event":"ROUTE_CREATED"})", "/webhooks/catena-eu"), p, now).events == 0u);
    BOOST_TEST(t->decode(kept(R"({"id":"e-4","event":"ROUTE_CREATED"})", ""), p, now).events == 0u);
    p.flush(now);
    BOOST_REQUIRE(sink.events.size() == 1u);
    BOOST_TEST(sink.events[0].provider == "foxtrot");
    BOOST_TEST(sink.events[0].event_id == "e-1");
    BOOST_REQUIRE(sink.dead.size() == 3u);
    BOOST_TEST((sink.dead[0].ec == error::route_unknown));
    BOOST_TEST(sink.dead[0].route == "/webhooks/gone");
    BOOST_TEST((sink.dead[1].ec == error::route_unknown));
    BOOST_TEST(sink.dead[1].route == "/webhooks/catena-eu");
    // Catena's: read as an envelope, which this Foxtrot-shaped body is not (Foxtrot's decoder
    // would have made it an event).
    BOOST_TEST((sink.dead[2].ec != error::route_unknown));
    BOOST_TEST(sink.dead[2].route.empty());
}

BOOST_AUTO_TEST_CASE(foxtrot_reads_the_event_type_and_id_from_its_fields)
{
    auto const r = foxtrot();
    auto ev = detail::foxtrot::decode(
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

    auto numeric = detail::foxtrot::decode(r, kept(R"({"id":12345,"event":"ROUTE_STARTED"})"));
    BOOST_REQUIRE(numeric);
    BOOST_TEST(numeric->event_id == "12345");
    BOOST_TEST(!numeric->occurred_at.has_value());

    auto custom = r;
    custom.event_field = "type";
    custom.id_field = "uuid";
    auto c = detail::foxtrot::decode(custom, kept(R"({"uuid":"u-9","type":"ROUTE_CREATED"})"));
    BOOST_REQUIRE(c);
    BOOST_TEST(c->event_id == "u-9");
}

BOOST_AUTO_TEST_CASE(foxtrot_names_what_a_body_lacks)
{
    auto const r = foxtrot();
    auto reason_of = [&](std::string body) { return detail::foxtrot::decode(r, kept(std::move(body))).error(); };
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

} // namespace unit_route_table
