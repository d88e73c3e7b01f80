// SPDX-License-Identifier: BSL-1.0
// test/integration/admin_api.cpp - the admin listener as docs/openapi.json describes it: every route's real answers, one name per number.
#include <catena/webhooks/receiver.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/version.hpp>

#include "process.hpp"
#include "receiver_server.hpp"
#include "sim.hpp"
#include "support.hpp"
#include "tls_material.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace integration_admin_api { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace tst = catena::webhooks::test;
namespace lb = catena::webhooks::test::loopback;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr char token[] = "admin-token-0123456789abcdef";

struct http_answer
{
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

// One connection to the admin listener; requests go one after another on it (keep-alive), so
// that two answers read on it see the same connections.
class admin_client
{
public:
    explicit admin_client(unsigned short port) : socket_(ioc_) { socket_.connect({net::ip::make_address("127.0.0.1"), port}); }

    http_answer request(std::string const& method, std::string const& target, std::string const& auth = token,
                        std::string const& host = "localhost")
    {
        std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
        if(!auth.empty())
            req += "Authorization: Bearer " + auth + "\r\n";
        if(method == "POST")
            req += "Content-Length: 0\r\n";
        net::write(socket_, net::buffer(req + "\r\n"));
        return read();
    }

private:
    http_answer read()
    {
        char buf[4096];
        while(in_.find("\r\n\r\n") == std::string::npos)
            in_.append(buf, socket_.read_some(net::buffer(buf)));
        auto const end = in_.find("\r\n\r\n") + 4;
        auto const head = in_.substr(0, end);
        auto const header = [&head](std::string const& name) {
            std::smatch m;
            std::regex const re("\r\n" + name + ": ([^\r]*)\r\n", std::regex::icase);
            return std::regex_search(head, m, re) ? m[1].str() : std::string();
        };
        auto const length = std::stoul(header("Content-Length"));
        while(in_.size() < end + length)
            in_.append(buf, socket_.read_some(net::buffer(buf)));
        http_answer a{static_cast<unsigned>(std::stoul(in_.substr(9, 3))), header("Content-Type"), in_.substr(end, length)};
        in_.erase(0, end + length);
        return a;
    }

    net::io_context ioc_;
    tcp::socket socket_;
    std::string in_;
};

cw::receiver_options admin_options()
{
    auto o = lb::base_options();
    o.admin_listen = tcp::endpoint{net::ip::make_address("127.0.0.1"), 0};
    o.admin_token = token;
    o.processing.reorder_window = 0ms;
    return o;
}

// A receiver with something on every route: fleets with history, a dead letter, a
// subscription, a sink, a tracked operation; processing settled.
struct fed_receiver
{
    lb::server s{admin_options(), [](cw::receiver& rx) {
                     rx.report_sinks([] {
                         cw::sink_status k;
                         k.name = "redis://127.0.0.1:6379/catena";
                         k.sent = 3;
                         k.acknowledged = 2;
                         k.pending = 1;
                         k.lag_seconds = 0.5;
                         k.last_error = "connect: Connection refused";
                         return std::vector<cw::sink_status>{k};
                     });
                 }};

    fed_receiver()
    {
        s.rx.track_operation(cw::operation_ref{"op-1", "conn-1", "message"}, [](cw::operation_result const&) {});
        cs::client c(s.ep(), lb::no_retry());
        BOOST_REQUIRE(c.send(lb::make_message("invitation.accepted", "inv-1"), lb::secret).status == 202u);
        BOOST_REQUIRE(c.send(lb::make_message("invitation.viewed", "inv-2"), lb::secret).status == 202u);
        // Correctly signed, but not an envelope: a dead letter.
        cs::wire_request wr = cs::build_request(lb::make_message(), lb::secret, 1, cw::system_now(), false, "dl-1");
        std::string const body = R"({"not":"an envelope"})";
        auto const ts = cw::format_rfc3339(cw::system_now());
        cw::signer sg;
        for(auto& [k, v] : wr.headers)
        {
            if(k == "X-Catena-Signature")
                v = sg.sign(lb::secret, ts, body);
            if(k == "X-Catena-Timestamp")
                v = ts;
        }
        wr.body = body;
        BOOST_REQUIRE(c.send_raw("POST", "/webhooks/catena", wr).status == 202u);
        // A forged one: a rejection.
        BOOST_REQUIRE(c.send(lb::make_message("invitation.viewed", "inv-3"), "not-the-secret-123").status == 401u);
        BOOST_REQUIRE(s.wait_events(2));
        BOOST_REQUIRE(s.wait_dead(1));
        BOOST_REQUIRE(tst::eventually([this] {
            auto const x = s.rx.stats();
            return x.inbox_depth == 0 && x.held_events == 0 && x.callback_backlog == 0;
        }));
        // The dead letter is in the store once processing's progress is written.
        BOOST_REQUIRE(tst::eventually([this] { return !s.rx.dead_letters().empty(); }));
    }

    unsigned short admin_port() const { return s.rx.admin_endpoint()->port(); }
};

// A series' value in a Prometheus text: the plain series, or the sum over a labelled family
// (0 for a family announced without series); nothing when there is no such metric.
std::optional<double> metric_value(std::string const& text, std::string const& name)
{
    std::optional<double> sum;
    std::istringstream in(text);
    for(std::string line; std::getline(in, line);)
        if(line.starts_with(name + " ") || line.starts_with(name + "{"))
            sum = sum.value_or(0) + std::stod(line.substr(line.rfind(' ') + 1));
        else if(line.starts_with("# TYPE " + name + " "))
            sum = sum.value_or(0);
    return sum;
}

} // namespace

BOOST_AUTO_TEST_SUITE(admin_api)

// Every route of docs/openapi.json, its 200 and each error it lists, answered by a running
// receiver: test/openapi/check_openapi.py checks the document (OpenAPI 3.1), each answer
// against its schema, that each documented answer was seen, and that the schemas notice a
// renamed or an extra field.
BOOST_AUTO_TEST_CASE(every_answer_of_every_admin_route_matches_the_openapi_document)
{
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/python3"),
                          "/usr/bin/python3 is missing (scripts/setup installs Debian's python3 and python3-jsonschema)");
    fed_receiver f;
    // A connection per request: a refusal may close its connection.
    struct
    {
        unsigned short port;
        http_answer request(std::string const& method, std::string const& target, std::string const& auth = token,
                            std::string const& host = "localhost") const
        {
            return admin_client(port).request(method, target, auth, host);
        }
    } const c{f.admin_port()};
    auto const dir = tst::make_temp_dir("admin-api");
    auto const answers = dir + "/answers";
    std::filesystem::create_directories(answers);
    int n = 0;
    auto const keep = [&](std::string const& route, std::string const& target, http_answer const& a) {
        json::object o{{"route", route}, {"target", target}, {"status", a.status}, {"content_type", a.content_type},
                       {"body", a.body}};
        std::ofstream(answers + "/" + std::to_string(++n) + ".json") << json::serialize(o);
        return a;
    };
    auto const get = [&](std::string const& route, std::string const& target, std::string const& auth = token) {
        return keep(route, target, c.request("GET", target, auth));
    };

    auto const page = json::parse(get("/v1/fleets", "/v1/fleets").body);
    BOOST_REQUIRE(!page.at("fleets").as_array().empty());
    std::string const key(page.at("fleets").as_array()[0].at("key").as_string());
    auto const letters = json::parse(get("/v1/dead-letters", "/v1/dead-letters").body);
    BOOST_REQUIRE(!letters.at("dead_letters").as_array().empty());
    auto const id = std::to_string(letters.at("dead_letters").as_array()[0].at("id").to_number<std::int64_t>());
    BOOST_REQUIRE(key.find_first_of("/%?# ") == std::string::npos);

    // route -> a target that answers 200 and, where the route has one, a target that answers 404.
    std::vector<std::tuple<std::string, std::string, std::string>> const routes{
        {"/v1/summary", "/v1/summary", ""},
        {"/v1/fleets", "/v1/fleets?health=ok&limit=1", ""},
        {"/v1/fleets/{key}", "/v1/fleets/" + key, "/v1/fleets/nobody"},
        {"/v1/fleets/{key}/history", "/v1/fleets/" + key + "/history", "/v1/fleets/nobody/history"},
        {"/v1/dead-letters", "/v1/dead-letters?limit=5", ""},
        {"/v1/dead-letters/{id}", "/v1/dead-letters/" + id, "/v1/dead-letters/999999"},
        {"/v1/subscriptions", "/v1/subscriptions", ""},
        {"/v1/sinks", "/v1/sinks", ""},
        {"/v1/operations", "/v1/operations", ""},
        {"/v1/openapi.json", "/v1/openapi.json", ""},
        {"/metrics", "/metrics", ""},
        {"/", "/", ""},
    };
    for(auto const& [route, ok, missing] : routes)
    {
        BOOST_TEST_CONTEXT(route)
        {
            BOOST_TEST(get(route, ok).status == 200u);
            BOOST_TEST(keep(route, ok, c.request("POST", ok)).status == 405u);
            BOOST_TEST(keep(route, ok, c.request("GET", ok, token, "attacker.example:9090")).status == 421u);
            if(route == "/")
                continue;
            BOOST_TEST(get(route, ok, "").status == 401u);
            BOOST_TEST(get(route, ok, "wrong-token-0123456789").status == 401u);
            if(route != "/metrics")
                BOOST_TEST(get(route, ok + (ok.find('?') == std::string::npos ? "?" : "&") + "colour=red").status == 400u);
            if(!missing.empty())
                BOOST_TEST(get(route, missing).status == 404u);
        }
    }
    // The document describes the version that serves it.
    auto const doc = json::parse(c.request("GET", "/v1/openapi.json").body);
    BOOST_TEST(doc.at("info").at("version").as_string() == cw::version());
    // The limits of the routes that take one.
    BOOST_TEST(get("/v1/fleets", "/v1/fleets?limit=1001").status == 400u);
    BOOST_TEST(get("/v1/fleets", "/v1/fleets?stage=nowhere").status == 400u);
    BOOST_TEST(get("/v1/dead-letters", "/v1/dead-letters?limit=0").status == 400u);

    tst::child_process check({"/usr/bin/python3", std::string(CATENA_WEBHOOKS_SOURCE_DIR) + "/test/openapi/check_openapi.py",
                              std::string(CATENA_WEBHOOKS_SOURCE_DIR) + "/docs/openapi.json", answers},
                             {}, dir);
    auto const rc = check.wait(120s);
    BOOST_TEST(rc.value_or(-1) == 0, check.stdout_text() << check.stderr_text());
}

// Each number /v1/summary shows is the metric of its name (catena_webhooks_NAME or
// catena_webhooks_NAME_total; a labelled family by its label, or summed), read on one
// connection from a receiver at rest; the build is the one catena_webhooks_build_info names.
BOOST_AUTO_TEST_CASE(every_number_of_the_summary_is_the_metric_of_its_name)
{
    fed_receiver f;
    admin_client c(f.admin_port());
    // The feeding connections close in their own time, and the live gauge of open connections
    // with them: read once two reads in a row agree on it (the receiver at rest).
    http_answer summary, metrics;
    BOOST_REQUIRE(tst::eventually([&] {
        summary = c.request("GET", "/v1/summary");
        metrics = c.request("GET", "/metrics");
        if(summary.status != 200u || metrics.status != 200u)
            return false;
        auto const parsed = json::parse(summary.body);
        auto const* open = parsed.as_object().if_contains("connections_active");
        return open && metric_value(metrics.body, "catena_webhooks_connections_active") == open->to_number<double>();
    }));
    auto const s = json::parse(summary.body).as_object();
    std::size_t numbers = 0;
    for(auto const& [k, v] : s)
    {
        std::string const name = "catena_webhooks_" + std::string(k);
        BOOST_TEST_CONTEXT(k)
        {
            if(k == "version" || k == "commit" || k == "time")
                continue;
            if(v.is_object())
            {
                for(auto const& [label, n] : v.as_object())
                {
                    std::regex const re("\n" + name + "\\{[a-z_]+=\"" + std::string(label) + "\"\\} ([0-9.e+]+)\n");
                    std::smatch m;
                    BOOST_TEST_REQUIRE(std::regex_search(metrics.body, m, re), name << " has no series " << label);
                    BOOST_TEST(std::stod(m[1]) == n.to_number<double>(), name << "{" << label << "}");
                    ++numbers;
                }
                continue;
            }
            auto const value = metric_value(metrics.body, name + "_total").has_value()
                                   ? metric_value(metrics.body, name + "_total")
                                   : metric_value(metrics.body, name);
            BOOST_TEST_REQUIRE(value.has_value(), "no metric " << name << " or " << name << "_total");
            BOOST_TEST(*value == v.to_number<double>());
            ++numbers;
        }
    }
    BOOST_TEST(numbers > 20u);
    BOOST_TEST(s.at("accepted").to_number<int>() == 3); // two envelopes and the dead letter's delivery
    BOOST_TEST(s.at("version").as_string() == cw::version());
    BOOST_TEST(s.at("commit").as_string() == cw::build_commit());
    std::string const build = "catena_webhooks_build_info{version=\"" + std::string(cw::version()) + "\",commit=\"" +
                              cw::build_commit() + "\"} 1\n";
    BOOST_TEST(metrics.body.find(build) != std::string::npos, build);
}

BOOST_AUTO_TEST_SUITE_END() // admin_api

} // namespace integration_admin_api
