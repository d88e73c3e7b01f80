// SPDX-License-Identifier: BSL-1.0
// test/unit/state_api.cpp - the admin listener's routes: state API, status page, metrics, token.
#include "http/state_api.hpp"
#include "http/openapi.hpp"
#include "http/status_page.hpp"

#include <catena/webhooks/version.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <sstream>

namespace unit_state_api { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
namespace json = boost::json;
timestamp const t0{std::chrono::seconds(1'764'000'000)};

// A fixed state: three fleets, one stale, with history; one dead letter; one subscription.
struct fake_state final : detail::state_source
{
    std::map<std::string, fleet_state> fleets;
    mutable fleet_query last_query;

    fake_state()
    {
        for(auto const* key : {"fleet-a", "fleet-b", "ref:FLEET/9"})
        {
            fleet_state f;
            f.key = key;
            f.stage = stage::connected;
            fleets[key] = f;
        }
        auto& b = fleets["fleet-b"];
        b.health = health::stale;
        connection_info c;
        c.id = "conn-1";
        c.source_name = "samsara";
        c.health = health::stale;
        b.connections.push_back(c);
        b.last_occurred_at = t0;
    }

    fleet_page fleet_page_of(fleet_query const& q) const override
    {
        last_query = q;
        fleet_page p;
        for(auto const& [k, f] : fleets)
            if((!q.health || f.health == *q.health) && (!q.stage || f.stage == *q.stage))
            {
                ++p.matched;
                if(k > q.after && p.fleets.size() < q.limit)
                    p.fleets.push_back(f);
                else if(k > q.after && p.next_cursor.empty())
                    p.next_cursor = p.fleets.back().key;
            }
        return p;
    }
    std::optional<fleet_state> fleet_of(std::string_view key) const override
    {
        auto it = fleets.find(std::string(key));
        return it == fleets.end() ? std::nullopt : std::optional(it->second);
    }
    std::vector<transition> history_of(std::string_view key) const override
    {
        transition t;
        t.fleet_key = std::string(key);
        t.what = dimension::health;
        t.from = "ok";
        t.to = "stale";
        t.cause = "connection.staled";
        t.occurred_at = t0;
        t.idempotency_key = "k/health";
        return {t};
    }
    // Three letters, ids 1 to 3; a listing carries no body, one letter does.
    std::vector<stored_dead_letter> recent_dead_letters(std::size_t max) const override
    {
        std::vector<stored_dead_letter> v;
        for(std::int64_t id = 1; id <= 3; ++id)
            v.push_back(*dead_letter_of(id));
        for(auto& x : v)
            x.letter.body.clear();
        asked_for = max;
        return {v.end() - static_cast<std::ptrdiff_t>(std::min<std::size_t>(max, v.size())), v.end()};
    }
    std::optional<stored_dead_letter> dead_letter_of(std::int64_t id) const override
    {
        if(id < 1 || id > 3)
            return std::nullopt;
        stored_dead_letter x;
        x.id = id;
        x.letter.sequence = static_cast<std::uint64_t>(id);
        x.letter.reason = "json_syntax";
        x.letter.body = "{not json";
        x.body_bytes = x.letter.body.size();
        return x;
    }
    mutable std::size_t asked_for = 0;
    std::vector<subscription_seen> seen_subscriptions() const override
    {
        subscription_seen s;
        s.webhook_id = "wh-a";
        s.deliveries = 7;
        s.last_delivery_at = t0;
        return {s};
    }
    std::vector<detail::summary_number> summary() const override
    {
        return {{"accepted", {}, 42},          {"rejections", {}, 5},
                {"fleets", {}, 3},             {"fleets_by_stage", "invited", 0},
                {"fleets_by_stage", "connected", 3}, {"fleets_by_health", "ok", 2},
                {"fleets_by_health", "stale", 1}};
    }
    std::string metrics() const override { return "catena_webhooks_accepted_total 42\n"; }
    std::vector<sink_status> sinks_now() const override
    {
        sink_status s;
        s.name = "redis://127.0.0.1:6379/catena";
        s.sent = 12;
        s.acknowledged = 10;
        s.retries = 2;
        s.pending = 2;
        s.lag_seconds = 1.5;
        s.last_error = "connect: Connection refused";
        return {s};
    }
    std::vector<pending_operation> pending_operations() const override
    {
        pending_operation p;
        p.operation_id = "op-1";
        p.connection_id = "conn-1";
        p.resource = "message";
        p.deadline = t0 + std::chrono::hours(24);
        p.next_poll = t0 + std::chrono::minutes(5);
        p.polls = 2;
        p.last_problem = "HTTP 503";
        pending_operation q;
        q.operation_id = "op-2"; // tracked by id only: never polled
        q.deadline = t0;
        return {p, q};
    }
};

struct fixture
{
    fake_state state;
    receiver_options opts;

    detail::admin_reply get(std::string_view target, std::string_view auth = {}) const
    {
        return detail::answer_admin(state, opts, target, auth);
    }
    json::value body(std::string_view target, std::string_view auth = {}) const
    {
        auto r = get(target, auth);
        BOOST_TEST_REQUIRE(r.status == 200u, target << ": " << r.body);
        BOOST_TEST(r.content_type == "application/json");
        return json::parse(r.body);
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(state_api, fixture)

BOOST_AUTO_TEST_CASE(summary_shows_the_build_and_each_number_under_its_metric_name)
{
    auto const s = body("/v1/summary").as_object();
    BOOST_TEST(s.at("version").as_string() == version());
    BOOST_TEST(s.at("commit").as_string() == build_commit());
    BOOST_TEST(s.contains("time"));
    BOOST_TEST(s.at("accepted").to_number<std::uint64_t>() == 42u);
    BOOST_TEST(s.at("rejections").to_number<std::uint64_t>() == 5u);
    BOOST_TEST(s.at("fleets").to_number<std::uint64_t>() == 3u);
    BOOST_TEST(s.at("fleets_by_stage").at("connected").to_number<std::uint64_t>() == 3u);
    BOOST_TEST(s.at("fleets_by_stage").at("invited").to_number<std::uint64_t>() == 0u);
    BOOST_TEST(s.at("fleets_by_health").at("stale").to_number<std::uint64_t>() == 1u);
    BOOST_TEST(s.at("fleets_by_health").at("ok").to_number<std::uint64_t>() == 2u);
    BOOST_TEST(s.size() == 3u + 3u + 2u); // version, commit, time; three numbers; two families
}

BOOST_AUTO_TEST_CASE(fleets_route_passes_its_filters_cursor_and_limit_and_returns_the_next_cursor)
{
    auto const p = body("/v1/fleets?health=stale&stage=connected&limit=5&cursor=fleet-a");
    BOOST_TEST(state.last_query.health.has_value());
    BOOST_TEST((*state.last_query.health == health::stale));
    BOOST_TEST((*state.last_query.stage == stage::connected));
    BOOST_TEST(state.last_query.limit == 5u);
    BOOST_TEST(state.last_query.after == "fleet-a");
    BOOST_REQUIRE(p.at("fleets").as_array().size() == 1u);
    auto const& f = p.at("fleets").as_array()[0];
    BOOST_TEST(f.at("key").as_string() == "fleet-b");
    BOOST_TEST(f.at("health").as_string() == "stale");
    BOOST_TEST(f.at("connections").as_array()[0].at("source_name").as_string() == "samsara");
    BOOST_TEST(f.at("last_occurred_at").as_string() == format_rfc3339(t0, utc_suffix::z));
    BOOST_TEST(p.at("next_cursor").is_null());

    auto const first = body("/v1/fleets?limit=2");
    BOOST_TEST(first.at("fleets").as_array().size() == 2u);
    BOOST_TEST(first.at("matched").to_number<std::uint64_t>() == 3u);
    BOOST_TEST(first.at("next_cursor").as_string() == "fleet-b");
    // A cursor with reserved characters arrives percent-encoded.
    body("/v1/fleets?cursor=ref%3AFLEET%2F9");
    BOOST_TEST(state.last_query.after == "ref:FLEET/9");
}

BOOST_AUTO_TEST_CASE(a_bad_query_gets_400_naming_the_parameter_and_changes_nothing)
{
    for(auto const* target : {"/v1/fleets?stage=bogus", "/v1/fleets?health=sick", "/v1/fleets?limit=0",
                              "/v1/fleets?limit=1001", "/v1/fleets?limit=ten", "/v1/fleets?colour=red",
                              "/v1/fleets?cursor=%zz", "/v1/summary?x=1", "/v1/dead-letters?limit=-1"})
    {
        auto const r = get(target);
        BOOST_TEST(r.status == 400u, target);
        BOOST_TEST((r.ec == error::bad_query), target);
        auto const j = json::parse(r.body);
        BOOST_TEST(j.at("reason").as_string() == "bad_query", target);
        BOOST_TEST(!j.at("detail").as_string().empty(), target);
    }
}

BOOST_AUTO_TEST_CASE(one_fleet_and_its_history_by_percent_encoded_key_or_404)
{
    BOOST_TEST(body("/v1/fleets/fleet-b").at("health").as_string() == "stale");
    BOOST_TEST(body("/v1/fleets/ref%3AFLEET%2F9").at("key").as_string() == "ref:FLEET/9");
    auto const h = body("/v1/fleets/fleet-b/history");
    BOOST_TEST(h.at("fleet_key").as_string() == "fleet-b");
    BOOST_REQUIRE(h.at("transitions").as_array().size() == 1u);
    BOOST_TEST(h.at("transitions").as_array()[0].at("to").as_string() == "stale");
    BOOST_TEST(h.at("transitions").as_array()[0].at("dimension").as_string() == "health");
    for(auto const* target : {"/v1/fleets/nobody", "/v1/fleets/nobody/history", "/v1/fleets/", "/v1/nothing",
                              "/v2/fleets", "/favicon.ico", "/v1/fleets/a/b"})
    {
        auto const r = get(target);
        BOOST_TEST(r.status == 404u, target);
        BOOST_TEST((r.ec == error::not_found), target);
    }
}

BOOST_AUTO_TEST_CASE(dead_letters_newest_first_without_bodies_and_subscriptions)
{
    auto const d = body("/v1/dead-letters?limit=2").at("dead_letters").as_array();
    BOOST_TEST(state.asked_for == 2u); // the store is asked for the limit, not for all it has
    BOOST_REQUIRE(d.size() == 2u);
    BOOST_TEST(d[0].at("inbox_sequence").to_number<std::uint64_t>() == 3u);
    BOOST_TEST(d[1].at("inbox_sequence").to_number<std::uint64_t>() == 2u);
    BOOST_TEST(d[0].at("id").to_number<std::int64_t>() == 3);
    BOOST_TEST(!d[0].as_object().contains("body"));
    BOOST_TEST(d[0].at("body_bytes").to_number<std::uint64_t>() == 9u);
    // One letter, by its own route, with its body.
    auto const one = body("/v1/dead-letters/2");
    BOOST_TEST(one.at("id").to_number<std::int64_t>() == 2);
    BOOST_TEST(one.at("body").as_string() == "{not json");
    for(std::string_view target : {"/v1/dead-letters/9", "/v1/dead-letters/x", "/v1/dead-letters/-1", "/v1/dead-letters/"})
        BOOST_TEST(get(target).status == 404u, target);
    // An id that is not UTF-8 is named percent-encoded: the answer stays valid JSON.
    auto const odd = get("/v1/dead-letters/7\xff\xfe");
    BOOST_TEST(odd.status == 404u);
    boost::system::error_code ec;
    auto const problem = json::parse(odd.body, ec);
    BOOST_REQUIRE_MESSAGE(!ec, odd.body);
    BOOST_TEST(std::string(problem.at("detail").as_string()).find("7%FF%FE") != std::string::npos, odd.body);
    auto const s = body("/v1/subscriptions").at("subscriptions").as_array();
    BOOST_REQUIRE(s.size() == 1u);
    BOOST_TEST(s[0].at("webhook_id").as_string() == "wh-a");
    BOOST_TEST(s[0].at("deliveries").to_number<std::uint64_t>() == 7u);
    BOOST_TEST(s[0].at("status").is_null());
}

BOOST_AUTO_TEST_CASE(a_transition_and_a_dead_letter_are_answered_byte_for_byte_as_before)
{
    // The admin API's form of each (detail/json_forms.hpp): no fleet fields in a fleet's
    // history, record_id, empty text as null; a dead letter's metadata, then its body.
    BOOST_TEST(get("/v1/fleets/fleet-b/history").body ==
               R"({"fleet_key":"fleet-b","transitions":[{"dimension":"health","from":"ok","to":"stale",)"
               R"("cause":"connection.staled","event_id":null,"record_id":null,"occurred_at":"2025-11-24T16:00:00Z",)"
               R"("idempotency_key":"k/health"}]})"
               "\n");
    BOOST_TEST(get("/v1/dead-letters/2").body ==
               R"({"id":2,"created_at":"1970-01-01T00:00:00Z","kind":"undecodable","reason":"json_syntax",)"
               R"("inbox_sequence":2,"request_id":null,"webhook_id":null,"event_type":null,"idempotency_key":null,)"
               R"("handler":null,"error":null,"attempts":0,"body_bytes":9,"body":"{not json"})"
               "\n");
}

BOOST_AUTO_TEST_CASE(sinks_route_lists_each_sink_with_its_counts_and_last_error)
{
    auto const k = body("/v1/sinks").at("sinks").as_array();
    BOOST_REQUIRE(k.size() == 1u);
    BOOST_TEST(k[0].at("name").as_string() == "redis://127.0.0.1:6379/catena");
    BOOST_TEST(k[0].at("connected").as_bool() == false);
    BOOST_TEST(k[0].at("acknowledged").to_number<std::uint64_t>() == 10u);
    BOOST_TEST(k[0].at("pending").to_number<std::uint64_t>() == 2u);
    BOOST_TEST(k[0].at("retries").to_number<std::uint64_t>() == 2u);
    BOOST_TEST(k[0].at("lag_seconds").to_number<double>() == 1.5);
    BOOST_TEST(k[0].at("last_error").as_string() == "connect: Connection refused");
    BOOST_TEST(get("/v1/sinks?x=1").status == 400u);
}

BOOST_AUTO_TEST_CASE(operations_lists_the_pending_ones_with_when_each_is_polled_next)
{
    auto const ops = body("/v1/operations").at("operations").as_array();
    BOOST_REQUIRE(ops.size() == 2u);
    BOOST_TEST(ops[0].at("operation_id").as_string() == "op-1");
    BOOST_TEST(ops[0].at("connection_id").as_string() == "conn-1");
    BOOST_TEST(ops[0].at("resource").as_string() == "message");
    BOOST_TEST(ops[0].at("next_poll").as_string() == format_rfc3339(t0 + std::chrono::minutes(5), utc_suffix::z));
    BOOST_TEST(ops[0].at("deadline").as_string() == format_rfc3339(t0 + std::chrono::hours(24), utc_suffix::z));
    BOOST_TEST(ops[0].at("polls").to_number<unsigned>() == 2u);
    BOOST_TEST(ops[0].at("last_problem").as_string() == "HTTP 503");
    BOOST_TEST(ops[1].at("next_poll").is_null());
    BOOST_TEST(get("/v1/operations?limit=1").status == 400u);
}

BOOST_AUTO_TEST_CASE(status_page_is_one_self_contained_html_document)
{
    auto const r = get("/");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.content_type == "text/html; charset=utf-8");
    BOOST_TEST(r.page);
    BOOST_TEST(r.body == detail::status_page_html());
    BOOST_TEST(r.body.find("/v1/summary") != std::string::npos);
    // No external assets: nothing is loaded from another origin.
    BOOST_TEST(r.body.find("http://") == std::string::npos);
    BOOST_TEST(r.body.find("https://") == std::string::npos);
    BOOST_TEST(r.body.find("src=") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(with_a_token_every_route_but_the_page_needs_it_as_a_bearer)
{
    opts.admin_token = "admin-token-0123456789";
    for(auto const* target : {"/v1/summary", "/v1/fleets", "/metrics", "/v1/fleets/fleet-b", "/v1/subscriptions"})
    {
        for(auto const* auth : {"", "Bearer wrong-token", "Basic YWRtaW46YWRtaW4=", "Bearer ",
                                "Bearer admin-token-0123456789x", "Bearer admin-token-012345678"})
        {
            auto const r = get(target, auth);
            BOOST_TEST(r.status == 401u, target << " with '" << auth << "'");
            BOOST_TEST(r.challenge);
            BOOST_TEST((r.ec == error::admin_unauthorized));
            BOOST_TEST(r.body.find("admin-token") == std::string::npos);
        }
        BOOST_TEST(get(target, "Bearer admin-token-0123456789").status == 200u, target);
        BOOST_TEST(get(target, "bearer admin-token-0123456789").status == 200u, target);
    }
    BOOST_TEST(get("/").status == 200u);
    auto const m = get("/metrics", "Bearer admin-token-0123456789");
    BOOST_TEST(m.content_type == "text/plain; version=0.0.4");
    BOOST_TEST(m.body == "catena_webhooks_accepted_total 42\n");
}

// Every error of every route, one shape: {"status", "reason", "detail"}, nothing else.
BOOST_AUTO_TEST_CASE(every_error_is_status_reason_and_detail)
{
    struct case_
    {
        char const* target;
        char const* auth;
        unsigned status;
        char const* reason;
    };
    opts.admin_token = "admin-token-0123456789";
    char const* const ok = "Bearer admin-token-0123456789";
    case_ const cases[] = {
        {"/v1/summary?x=1", ok, 400, "bad_query"},
        {"/v1/fleets?limit=0", ok, 400, "bad_query"},
        {"/v1/fleets?stage=bogus", ok, 400, "bad_query"},
        {"/v1/fleets?cursor=%zz", ok, 400, "bad_query"},
        {"/v1/fleets/fleet-b?x", ok, 400, "bad_query"},
        {"/v1/fleets/fleet-b/history?x", ok, 400, "bad_query"},
        {"/v1/dead-letters?limit=x", ok, 400, "bad_query"},
        {"/v1/dead-letters/1?x", ok, 400, "bad_query"},
        {"/v1/subscriptions?x", ok, 400, "bad_query"},
        {"/v1/sinks?x", ok, 400, "bad_query"},
        {"/v1/operations?x", ok, 400, "bad_query"},
        {"/v1/openapi.json?x", ok, 400, "bad_query"},
        {"/v1/summary", "", 401, "admin_unauthorized"},
        {"/v1/openapi.json", "Bearer nope", 401, "admin_unauthorized"},
        {"/metrics", "", 401, "admin_unauthorized"},
        {"/v1/nothing", ok, 404, "not_found"},
        {"/elsewhere", "", 404, "not_found"},
        {"/v1/fleets/nobody", ok, 404, "not_found"},
        {"/v1/fleets/nobody/history", ok, 404, "not_found"},
        {"/v1/fleets/a/b", ok, 404, "not_found"},
        {"/v1/dead-letters/9", ok, 404, "not_found"},
        {"/v1/dead-letters/x", ok, 404, "not_found"},
    };
    for(auto const& c : cases)
    {
        BOOST_TEST_CONTEXT(c.target << " with '" << c.auth << "'")
        {
            auto const r = get(c.target, c.auth);
            BOOST_TEST(r.status == c.status);
            BOOST_TEST(r.content_type == "application/json");
            BOOST_TEST(reason(r.ec) == c.reason);
            auto const j = json::parse(r.body).as_object();
            BOOST_TEST(j.size() == 3u, r.body);
            BOOST_TEST(j.at("status").to_number<unsigned>() == c.status);
            BOOST_TEST(j.at("reason").as_string() == c.reason);
            BOOST_TEST(!j.at("detail").as_string().empty());
        }
    }
    // The listener's refusals before routing carry the same shape.
    auto const body = detail::admin_problem_body(405, make_error_code(error::method_not_allowed), "GET or HEAD only");
    BOOST_TEST(json::parse(body) == json::parse(R"({"status":405,"reason":"method_not_allowed","detail":"GET or HEAD only"})"));
}

BOOST_AUTO_TEST_CASE(openapi_document_is_the_one_in_docs_and_needs_the_token)
{
    std::ifstream f(CATENA_WEBHOOKS_SOURCE_DIR "/docs/openapi.json", std::ios::binary);
    std::stringstream file;
    file << f.rdbuf();
    BOOST_TEST_REQUIRE(!file.str().empty());
    opts.admin_token = "admin-token-0123456789";
    auto const r = get("/v1/openapi.json", "Bearer admin-token-0123456789");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.content_type == "application/json");
    BOOST_TEST(r.body == file.str());
    BOOST_TEST(r.body == detail::openapi_document());
    BOOST_TEST(json::parse(r.body).at("openapi").as_string() == "3.1.0");
    BOOST_TEST(get("/v1/openapi.json").status == 401u);
}

BOOST_AUTO_TEST_CASE(status_page_shows_the_build_and_reads_numbers_by_their_metric_names)
{
    auto const page = std::string(detail::status_page_html());
    BOOST_TEST(page.find("id=\"build\"") != std::string::npos);
    BOOST_TEST(page.find("summary.version") != std::string::npos);
    BOOST_TEST(page.find("summary.commit") != std::string::npos);
    // No number read under a name the summary no longer has.
    for(auto const* gone : {"summary.intake", "summary.processing", "summary.fleets.", "f.by_stage", "f.total"})
        BOOST_TEST(page.find(gone) == std::string::npos, gone);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_state_api
