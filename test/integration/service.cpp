// SPDX-License-Identifier: BSL-1.0
// test/integration/service.cpp - catena-webhookd run as a service: config file, admin token,
// the state API and the status page against a daemon fed by the simulator, /metrics in promtool.
#include "daemon_probe.hpp"
#include "process.hpp"
#include "scenario.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace integration_service { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace tst = catena::webhooks::test;
using namespace tst::probe; // cs, cw, net, json, tcp and the helpers

constexpr char admin_says[] = "admin (health, metrics, state API, status page) on 127.0.0.1:";

unsigned short admin_port(tst::child_process& p)
{
    auto const err = p.stderr_text();
    auto const at = err.find(admin_says);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "the daemon names its admin address: " << err);
    return static_cast<unsigned short>(std::stoul(err.substr(at + sizeof admin_says - 1)));
}

// One GET over loopback: status and body.
std::pair<unsigned, std::string> http_get(unsigned short port, std::string const& target, std::string const& auth = {})
{
    net::io_context ioc;
    tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), port});
    receive_timeout(s, 10);
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n";
    if(!auth.empty())
        req += "Authorization: " + auth + "\r\n";
    net::write(s, net::buffer(req + "\r\n"));
    return read_response(s);
}

json::value get_json(unsigned short port, std::string const& target, std::string const& auth = {})
{
    auto [status, body] = http_get(port, target, auth);
    BOOST_REQUIRE_MESSAGE(status == 200u, target << " answered " << status << ": " << body);
    return json::parse(body);
}

std::uint64_t number(json::value const& v) { return v.to_number<std::uint64_t>(); }

// A scenario of `fleets` fleets sent to the daemon at `port`; every delivery answered 202.
cs::scenario send_scenario(unsigned short port, std::size_t fleets)
{
    cs::scenario_options so;
    so.fleets = fleets;
    so.seed = 5;
    so.max_tsps = 2;
    auto sc = cs::make_scenario(so);
    cs::client c(at(port), no_retry());
    for(auto const& m : sc.messages)
        BOOST_REQUIRE(c.deliver(m.msg, secret).status() == 202u);
    return sc;
}

// The command line with `what` written to a config file.
std::vector<std::string> with_config(std::string const& dir, std::string const& what, std::vector<std::string> extra = {})
{
    std::ofstream(dir + "/catena-webhookd.conf") << what;
    std::vector<std::string> a{daemon_path, "--config", dir + "/catena-webhookd.conf"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

std::string const base_config = "# a comment\n"
                                "listen = 127.0.0.1:0\n"
                                "admin-listen = 127.0.0.1:0   # trailing comment\n"
                                "memory = true\n"
                                "reorder-window = 0\n";

// A daemon configured by base_config (+ `extra`), fed a scenario of `fleets` fleets, and
// waited for until it has processed every event of it.
struct fed_daemon
{
    std::string dir = tst::make_temp_dir("service");
    event_tap tap{dir}; // before the daemon: its end ends the tap's reader
    std::unique_ptr<tst::child_process> p;
    unsigned short port = 0; // the admin listener's
    cs::scenario sc;

    fed_daemon(std::size_t fleets, std::string const& extra = {}, std::map<std::string, std::string> environment = env())
    {
        p = std::make_unique<tst::child_process>(with_config(dir, base_config + "events = " + tap.path() + "\n" + extra),
                                                 std::move(environment), dir);
        BOOST_REQUIRE(p->wait_stderr(admin_says));
        port = admin_port(*p);
        sc = send_scenario(p->listening_port(), fleets);
        BOOST_REQUIRE_MESSAGE(tap.wait_events(sc.unique_records),
                              "the daemon wrote the " << sc.unique_records << " events within 30 s");
    }

    void stop()
    {
        p->signal(SIGTERM);
        BOOST_TEST(p->wait().value_or(-1) == 0);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(service)

BOOST_AUTO_TEST_CASE(a_config_file_sets_options_and_flags_on_the_command_line_override_it)
{
    auto dir = tst::make_temp_dir("service");
    tst::child_process p(with_config(dir, base_config + "events = " + dir + "/from-config.jsonl\npath = /from/config\n",
                                     {"--path", "/from/flag"}),
                         env(), dir);
    BOOST_REQUIRE(p.wait_stderr(admin_says));
    cs::endpoint ep = at(p.listening_port());
    ep.path = "/from/flag";
    cs::client c(ep, no_retry());
    BOOST_TEST(c.send(message("by-flag-path"), secret).status == 202u);
    auto wrong = at(p.listening_port());
    wrong.path = "/from/config";
    BOOST_TEST(cs::client(wrong, no_retry()).send(message("by-config-path"), secret).status == 404u);
    p.signal(SIGTERM); // the drain processes and writes what was kept
    BOOST_TEST(p.wait().value_or(-1) == 0);
    BOOST_TEST(read_events(dir + "/from-config.jsonl").size() == 1u); // events = from the file
    BOOST_TEST(!std::filesystem::exists(dir + "/catena-data"));      // memory = true from the file
}

// docs/service.md: whatever is wrong with a line (its shape, its name, its value) stops the
// start with exit 2 and one line naming FILE:LINE; nothing listens, nothing is written.
BOOST_AUTO_TEST_CASE(a_bad_config_file_is_refused_naming_its_line_with_exit_2)
{
    auto dir = tst::make_temp_dir("service");
    auto const file = dir + "/catena-webhookd.conf";
    struct bad
    {
        std::string text, says;
    };
    for(auto const& b : std::vector<bad>{
            {"listen 127.0.0.1:0\n", ":1: expected \"name = value\""},
            {"\nnot-an-option = 1\n", ":2: unknown option --not-an-option"},
            {"memory = maybe\n", ":1: memory is a switch"},
            {"# ok\nsecret = abc\n", ":2: secrets are never kept"},
            {"max-body = lots\n", ":1: --max-body: not a number: lots"},
            {"events = " + dir + "/events.jsonl\nthreads = 0\n", ":2: --threads must be at least 1"},
            {"# the address\nlisten = nowhere\n", ":2: --listen wants ADDR:PORT, got nowhere"},
            {"log-format = xml\n", ":1: --log-format must be text or json, not xml"},
            {"memory = true\nlog-level = loud\n", ":2: --log-level must be debug, info, warn or error, not loud"},
        })
    {
        BOOST_TEST_CONTEXT(b.text)
        {
            tst::child_process p(with_config(dir, b.text), env(), dir);
            BOOST_TEST(p.wait().value_or(-1) == 2);
            auto const err = p.stderr_text();
            BOOST_TEST(err.starts_with("catena-webhookd: " + file + b.says), err);
            BOOST_TEST(std::count(err.begin(), err.end(), '\n') == 1, err);
            BOOST_TEST(!std::filesystem::exists(dir + "/catena-data")); // nothing started
            BOOST_TEST(!std::filesystem::exists(dir + "/events.jsonl"));
        }
    }
    // The command line wins over the file's value, even a bad one.
    tst::child_process fixed(with_config(dir, base_config + "threads = 0\n", {"--threads", "2"}), env(), dir);
    BOOST_REQUIRE_MESSAGE(fixed.wait_stderr("listening on"), fixed.stderr_text());
    fixed.signal(SIGTERM);
    BOOST_TEST(fixed.wait().value_or(-1) == 0);

    tst::child_process missing({daemon_path, "--config", dir + "/nowhere.conf"}, env(), dir);
    BOOST_TEST(missing.wait().value_or(-1) == 2);
    BOOST_TEST(missing.stderr_text().find("nowhere.conf") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(off_the_loopback_the_admin_listener_needs_a_token_and_then_asks_for_it_on_every_route)
{
    auto dir = tst::make_temp_dir("service");
    tst::child_process open(args(dir, {"--memory", "--admin-listen", "0.0.0.0:0"}), env(), dir);
    BOOST_TEST(open.wait().value_or(-1) == 2);
    BOOST_TEST(open.stderr_text().find("is not a loopback address: it needs admin_token") != std::string::npos,
               open.stderr_text());

    tst::child_process short_token(args(dir, {"--memory", "--admin-listen", "127.0.0.1:0", "--admin-token-env", "T"}),
                                   {{"CATENA_WEBHOOK_SECRET", secret}, {"T", "short"}}, dir);
    BOOST_TEST(short_token.wait().value_or(-1) == 2);
    BOOST_TEST(short_token.stderr_text().find("at least 16 characters") != std::string::npos);

    std::string const token = "admin-token-for-the-test-0123";
    tst::child_process p(args(dir, {"--memory", "--admin-listen", "127.0.0.1:0", "--admin-token-env", "T"}),
                         {{"CATENA_WEBHOOK_SECRET", secret}, {"T", token}}, dir);
    BOOST_REQUIRE(p.wait_stderr(admin_says));
    auto const port = admin_port(p);
    for(auto const* target : {"/v1/summary", "/v1/fleets", "/v1/subscriptions", "/v1/dead-letters", "/metrics"})
    {
        BOOST_TEST(http_get(port, target).first == 401u, target);
        BOOST_TEST(http_get(port, target, "Bearer not-" + token).first == 401u, target);
        BOOST_TEST(http_get(port, target, "Bearer " + token).first == 200u, target);
    }
    BOOST_TEST(http_get(port, "/healthz").first == 200u);
    BOOST_TEST(http_get(port, "/").first == 200u); // the page holds no data; it asks for the token
    auto const m = http_get(port, "/metrics", "Bearer " + token).second;
    BOOST_TEST(metric(m, "catena_webhooks_rejections_total{reason=\"admin_unauthorized\"}") == 10.0);
    p.signal(SIGTERM);
    BOOST_TEST(p.wait().value_or(-1) == 0);
    BOOST_TEST(p.stderr_text().find(token) == std::string::npos); // the token is never logged
}

BOOST_AUTO_TEST_CASE(the_state_api_answers_what_the_simulator_sent_with_pages_that_cover_every_fleet_once)
{
    fed_daemon d(40);
    auto const port = d.port;
    auto const& sc = d.sc;

    std::map<std::string, cs::fleet_expectation const*> expected; // by fleet_ref
    std::map<std::string, std::uint64_t> stages, healths;
    for(auto const& f : sc.fleets)
    {
        expected[f.fleet_ref] = &f;
        ++stages[f.stage];
        ++healths[f.health];
    }
    auto const summary = get_json(port, "/v1/summary");
    BOOST_TEST(number(summary.at("fleets")) == sc.fleets.size());
    for(auto const& [s, n] : stages)
        BOOST_TEST(number(summary.at("fleets_by_stage").at(s)) == n, s);
    for(auto const& [h, n] : healths)
        BOOST_TEST(number(summary.at("fleets_by_health").at(h)) == n, h);
    BOOST_TEST(number(summary.at("accepted")) == sc.messages.size());

    // Pages of 7 until the cursor runs out: every fleet once, in key order, as expected.
    std::vector<std::string> keys;
    std::string cursor;
    for(int pages = 0;; ++pages)
    {
        BOOST_REQUIRE(pages < 20);
        auto const page = get_json(port, "/v1/fleets?limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
        for(auto const& f : page.at("fleets").as_array())
        {
            keys.emplace_back(f.at("key").as_string());
            auto const ref = std::string(f.at("fleet_ref").as_string());
            BOOST_REQUIRE(expected.contains(ref));
            BOOST_TEST(f.at("stage").as_string() == expected[ref]->stage, ref);
            BOOST_TEST(f.at("health").as_string() == expected[ref]->health, ref);
        }
        if(page.at("next_cursor").is_null())
            break;
        cursor = std::string(page.at("next_cursor").as_string()); // fleet ids: nothing to escape
    }
    BOOST_TEST(keys.size() == sc.fleets.size());
    BOOST_TEST(std::is_sorted(keys.begin(), keys.end()));
    BOOST_TEST(std::set<std::string>(keys.begin(), keys.end()).size() == keys.size());

    // A filter, one fleet, its history, subscriptions, a bad query.
    if(healths["stale"] > 0)
    {
        auto const stale = get_json(port, "/v1/fleets?health=stale");
        BOOST_TEST(number(stale.at("matched")) == healths["stale"]);
        auto const key = std::string(stale.at("fleets").as_array()[0].at("key").as_string());
        auto const one = get_json(port, "/v1/fleets/" + key);
        BOOST_TEST(one.at("health").as_string() == "stale");
        bool any_stale_connection = false;
        for(auto const& c : one.at("connections").as_array())
            any_stale_connection |= c.at("health").as_string() == "stale";
        BOOST_TEST(any_stale_connection);
        auto const history = get_json(port, "/v1/fleets/" + key + "/history").at("transitions").as_array();
        BOOST_TEST(!history.empty());
        BOOST_TEST(history.back().at("to").is_string());
    }
    else
        BOOST_FAIL("the scenario has no stale fleet to look up");
    auto const subs = get_json(port, "/v1/subscriptions").at("subscriptions").as_array();
    BOOST_REQUIRE(subs.size() == 1u);
    BOOST_TEST(number(subs[0].at("deliveries")) == sc.messages.size());
    BOOST_TEST(http_get(port, "/v1/fleets?stage=nowhere").first == 400u);
    BOOST_TEST(http_get(port, "/v1/fleets/no-such-fleet").first == 404u);
    d.stop();
}

BOOST_AUTO_TEST_CASE(promtool_accepts_a_scrape_and_every_series_the_alerts_and_dashboard_read_is_exported)
{
    BOOST_REQUIRE_MESSAGE(std::system("command -v promtool >/dev/null") == 0,
                          "promtool is missing (scripts/setup installs Debian's prometheus)");
    fed_daemon d(5);
    auto const port = d.port;
    auto const& dir = d.dir;
    auto const [status, scrape] = http_get(port, "/metrics");
    BOOST_REQUIRE(status == 200u);
    std::ofstream(dir + "/scrape.txt") << scrape;
    auto const rc = std::system(("promtool check metrics < " + dir + "/scrape.txt > " + dir + "/promtool.txt 2>&1").c_str());
    std::ifstream lint(dir + "/promtool.txt");
    std::stringstream said;
    said << lint.rdbuf();
    BOOST_TEST(rc == 0, "promtool check metrics: " << said.str());
    BOOST_TEST(said.str().empty(), "promtool check metrics says: " << said.str());

    // Every catena_webhooks_ series named by the rules or the dashboard is in the scrape.
    std::set<std::string> exported;
    std::regex const name(R"(catena_webhooks_[a-z_]+)");
    for(std::sregex_iterator it(scrape.begin(), scrape.end(), name), end; it != end; ++it)
        exported.insert(it->str());
    for(auto const* file : {"/packaging/prometheus/alerts.yml", "/packaging/grafana/catena-webhookd.json"})
    {
        std::ifstream in(std::string(CATENA_WEBHOOKS_SOURCE_DIR) + file);
        BOOST_REQUIRE_MESSAGE(in, file);
        std::stringstream ss;
        ss << in.rdbuf();
        auto const text = ss.str();
        std::size_t named = 0;
        for(std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it, ++named)
        {
            auto series = it->str();
            for(auto const* suffix : {"_bucket", "_sum", "_count"})
                if(series.ends_with(suffix) && !exported.contains(series))
                    series.resize(series.size() - std::string_view(suffix).size());
            BOOST_TEST(exported.contains(series), file << " reads " << series << ", which /metrics does not export");
        }
        BOOST_TEST(named > 10u, file);
    }
    d.stop();
}

BOOST_AUTO_TEST_CASE(the_status_page_renders_the_counts_of_the_state_api_in_headless_chromium)
{
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                          "/usr/bin/chromium is missing (scripts/setup installs Debian's chromium)");
    std::string const token = "page-token-0123456789abcdef";
    fed_daemon d(30, "admin-token-env = T\n", {{"CATENA_WEBHOOK_SECRET", secret}, {"T", token}});
    auto const port = d.port;
    auto const& dir = d.dir;
    auto const& sc = d.sc;
    auto const summary = get_json(port, "/v1/summary", "Bearer " + token);

    // The token travels in the fragment, as the README tells a user to open the page.
    auto const url = "http://127.0.0.1:" + std::to_string(port) + "/#token=" + token;
    tst::child_process browser({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--user-data-dir=" + dir + "/chromium", "--virtual-time-budget=4000", "--dump-dom", url},
                               {{"HOME", dir}}, dir);
    BOOST_REQUIRE_MESSAGE(browser.wait(std::chrono::seconds(90)).value_or(-1) == 0, browser.stderr_text());
    auto const dom = browser.stdout_text();
    BOOST_REQUIRE_MESSAGE(dom.find("data-loaded=\"true\"") != std::string::npos, "the page rendered: " << dom);
    auto const shown = [&dom](std::string const& id) {
        std::smatch m;
        std::regex const re("id=\"" + id + "\">([0-9]+)<");
        return std::regex_search(dom, m, re) ? std::stoull(m[1]) : ~0ull;
    };
    BOOST_TEST(shown("fleets") == sc.fleets.size());
    BOOST_TEST(shown("accepted") == sc.messages.size());
    // The build the daemon runs, as /v1/summary and catena_webhooks_build_info say it.
    std::string const build = "version " + std::string(summary.at("version").as_string()) + " · commit " +
                              std::string(summary.at("commit").as_string());
    BOOST_TEST(dom.find("id=\"build\">" + build + "<") != std::string::npos, "the page shows " << build);
    auto const row_count = [&dom](std::string const& attr, std::string const& name) {
        std::smatch m;
        std::regex const re("data-" + attr + "=\"" + name + "\">.*?<td class=\"n\">([0-9]+)</td>");
        return std::regex_search(dom, m, re) ? std::stoull(m[1]) : ~0ull;
    };
    for(auto const& [s, n] : summary.at("fleets_by_stage").as_object())
        if(s != "none")
            BOOST_TEST(row_count("stage", std::string(s)) == number(n), s);
    std::uint64_t attention = 0;
    for(auto const& h : {"ok", "degraded", "halted", "stale"})
    {
        auto const n = number(summary.at("fleets_by_health").at(h));
        BOOST_TEST(row_count("health", h) == n, h);
        if(std::string_view(h) != "ok")
            attention += n;
    }
    BOOST_TEST(attention > 0u);
    BOOST_TEST(dom.find("<span class=\"muted\" id=\"attention-count\">(" + std::to_string(attention) + ")</span>") !=
                   std::string::npos,
               "the attention count is " << attention);
    BOOST_TEST(dom.find("<b id=\"problem-text\"></b>") != std::string::npos, "the page reports no problem");
    d.stop();
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_service
