// SPDX-License-Identifier: BSL-1.0
// test/integration/failover.cpp - two catena-webhookd on one PostgreSQL database: the leader killed, the database restarted.
#include "daemon_probe.hpp"
#include "postgres_server.hpp"
#include "process.hpp"
#include "scenario.hpp"
#include "tls_material.hpp"

#include "store/pg.hpp"
#include "store/pg_schema.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <csignal>
#include <filesystem>
#include <memory>
#include <set>

namespace integration_failover { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace probe = catena::webhooks::test::probe;
namespace cs = catena::webhooks::sim;
namespace cw = catena::webhooks;
namespace tst = catena::webhooks::test;
namespace json = boost::json;
namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr char secret[] = "failover-secret-123";

std::string database()
{
    std::string why;
    auto* server = tst::postgres_server::shared(why);
    BOOST_REQUIRE_MESSAGE(server, "the failover tests need a PostgreSQL server: " + why);
    auto c = server->create_database();
    BOOST_REQUIRE_MESSAGE(!c.empty(), "cannot create a database on the tests' PostgreSQL server");
    return c;
}

/** One catena-webhookd on the shared database, started again after each death (on ports the
    kernel picks: a port kept free for a restart could be taken meanwhile), with an events file
    per run. */
struct node
{
    std::string name, dir, conninfo;
    std::atomic<unsigned short> port{0}; // the sender's thread reads it
    unsigned short admin = 0;
    int runs = 0;
    std::unique_ptr<tst::child_process> p;

    node(std::string n, std::string d, std::string c) : name(std::move(n)), dir(std::move(d)), conninfo(std::move(c)) {}

    void start()
    {
        p.reset();
        // Each run's stdout and stderr in a directory of their own (a restart must not find
        // the last run's "listening on").
        auto const out = dir + "/" + name + "-run-" + std::to_string(runs);
        std::filesystem::create_directories(out);
        p = std::make_unique<tst::child_process>(
            std::vector<std::string>{probe::daemon_path, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                                     "--store", conninfo,
                                     "--instance", name, "--events", events(runs++), "--reorder-window", "200"},
            std::map<std::string, std::string>{{"CATENA_WEBHOOK_SECRET", secret}}, out);
        BOOST_REQUIRE_MESSAGE(p->wait_stderr("store: PostgreSQL"), name << ": " << p->stderr_text());
        auto const err = p->stderr_text();
        auto const at = err.find("status page) on ");
        BOOST_REQUIRE(at != std::string::npos);
        admin = static_cast<unsigned short>(std::stoul(err.substr(err.find(':', at + 16) + 1)));
        port = p->listening_port();
    }
    std::string events(int run) const { return dir + "/" + name + "-" + std::to_string(run) + ".jsonl"; }
    bool leads() const
    {
        try
        {
            return probe::metric(probe::metrics(admin), "catena_webhooks_store_leader") == 1;
        }
        catch(std::exception const&)
        {
            return false; // not answering: dead or starting
        }
    }
    double metric(char const* series) const { return probe::metric(probe::metrics(admin), series); }
};

// Waits until one of `nodes` leads (polling its metric); its index, or -1 after `limit`.
int await_leader(std::vector<node*> const& nodes, std::chrono::milliseconds limit = 20s)
{
    auto const until = std::chrono::steady_clock::now() + limit;
    while(std::chrono::steady_clock::now() < until)
    {
        for(std::size_t i = 0; i < nodes.size(); ++i)
            if(nodes[i]->p && nodes[i]->leads())
                return static_cast<int>(i);
        std::this_thread::sleep_for(20ms);
    }
    return -1;
}

/** Sends every message through the nodes as a load balancer with Catena's retries would: to
    one node, on any failure to the other, again after a pause; acked holds the messages
    answered 202. Runs on a thread of its own until every message is acked or `give_up`.
    Messages from `allowed` on wait until allow() lets them go (a test's pace), while those
    sent before go again. */
struct sender
{
    std::vector<cs::message const*> todo;
    std::vector<node*> nodes;
    std::set<std::string> acked; // event ids, once finished
    std::atomic<std::size_t> done{0}, refused{0};
    std::atomic<bool> give_up{false};
    std::atomic<long> sending{-1}; // the number of the attempt sent and not answered yet, or -1
    std::thread t;
    std::mutex answers;
    std::condition_variable cv;  // after every answer, and when allowed grows
    std::size_t allowed = std::numeric_limits<std::size_t>::max(); // under answers

    /// Waits until `pred` holds after some answer (false after `limit`).
    bool await(std::function<bool()> const& pred, std::chrono::milliseconds limit = 60s)
    {
        std::unique_lock lock(answers);
        return cv.wait_for(lock, limit, pred);
    }
    void answered()
    {
        std::lock_guard lock(answers);
        cv.notify_all();
    }
    /// Lets the messages before `n` go.
    void allow(std::size_t n)
    {
        std::lock_guard lock(answers);
        allowed = n;
        cv.notify_all();
    }

    void run()
    {
        t = std::thread([this] {
            cs::send_options o;
            o.max_retries = 0;
            o.timeout = 3000ms;
            std::size_t turn = 0, resent = 0;
            long attempts = 0;
            for(std::size_t i = 0; i < todo.size();)
            {
                bool waits = false;
                {
                    std::unique_lock lock(answers);
                    if(i >= allowed && i == 0) // nothing to send again yet
                        cv.wait(lock, [&] { return i < allowed || give_up.load(); });
                    waits = i >= allowed && !give_up.load();
                }
                if(waits)
                {
                    // Held back by the test's pace: meanwhile a message answered before goes
                    // again (as Catena retries one whose answer it missed), so that the
                    // receivers are never idle.
                    auto* n = nodes[turn++ % nodes.size()];
                    cs::endpoint ep;
                    ep.port = n->port.load();
                    cs::client c(ep, o);
                    sending = attempts++;
                    (void)c.send(*todo[resent++ % i], secret, 2);
                    sending = -1;
                    continue;
                }
                for(int attempt = 0; !give_up.load(); ++attempt)
                {
                    auto* n = nodes[turn++ % nodes.size()];
                    cs::endpoint ep;
                    ep.port = n->port.load();
                    cs::client c(ep, o);
                    sending = attempts++;
                    auto const r = c.send(*todo[i], secret, static_cast<std::uint32_t>(attempt + 1));
                    sending = -1;
                    if(r.status == 202)
                    {
                        acked.insert(todo[i]->event_id);
                        break;
                    }
                    if(r.status != 0)
                    {
                        ++refused;
                        answered();
                    }
                    if(attempt % 2 == 1)
                        std::this_thread::sleep_for(100ms); // both refused: Catena's retry pause
                }
                ++i;
                ++done;
                answered();
            }
        });
    }
    void join()
    {
        if(t.joinable())
            t.join();
    }
};

struct outcome
{
    std::map<std::string, int> seen;                           // idempotency key -> times dispatched
    std::map<std::string, std::set<std::string>> transitions;  // idempotency key -> "fleet dimension from>to"
};

outcome read_outcome(std::vector<node*> const& nodes)
{
    outcome o;
    for(auto const* n : nodes)
        for(int run = 0; run < n->runs; ++run)
        {
            std::ifstream in(n->events(run));
            for(std::string line; std::getline(in, line);)
            {
                boost::system::error_code ec;
                auto v = json::parse(line, ec);
                if(ec || !v.is_object())
                    continue; // a line cut short by a kill
                auto const& l = v.as_object();
                if(l.at("kind") == "event")
                    ++o.seen[std::string(l.at("idempotency_key").as_string())];
                else if(l.at("kind") == "transition")
                    o.transitions[std::string(l.at("idempotency_key").as_string())].insert(
                        json::serialize(l.at("fleet_key")) + " " + json::serialize(l.at("dimension")) + " " +
                        json::serialize(l.at("from")) + ">" + json::serialize(l.at("to")));
            }
        }
    return o;
}

// The fleets as a node's state API shows them: fleet_ref -> "stage/health".
std::map<std::string, std::string> fleets_at(node const& n)
{
    net::io_context ioc;
    net::ip::tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), n.admin});
    probe::receive_timeout(s, 10);
    net::write(s, net::buffer(std::string("GET /v1/fleets?limit=1000 HTTP/1.1\r\nHost: localhost\r\n\r\n")));
    auto const [status, body] = probe::read_response(s);
    BOOST_REQUIRE_EQUAL(status, 200u);
    std::map<std::string, std::string> out;
    auto const page = json::parse(body);
    for(auto const& f : page.at("fleets").as_array())
    {
        // One fleet per journey: a second record of a fleet_ref is a correlation gone wrong.
        BOOST_TEST(!(f.at("fleet_ref").is_string() && out.contains(std::string(f.at("fleet_ref").as_string()))),
                   "a second fleet of one fleet_ref: " << json::serialize(f));
        if(f.at("fleet_ref").is_string())
            out[std::string(f.at("fleet_ref").as_string())] =
                json::serialize(f.at("stage")) + "/" + json::serialize(f.at("health"));
    }
    return out;
}

// Waits until the leader has processed everything kept: no row of the shared inbox is left
// unprocessed (asked of the database itself: a receiver's inbox metric counts the other
// receivers' appends only once a second).
void drain(std::string const& db)
{
    cw::detail::pg_connection c;
    std::string why;
    BOOST_REQUIRE_MESSAGE(c.open(db, why), why);
    auto left = [&] { return c.exec("SELECT count(*) FROM inbox WHERE NOT processed", {}, false).text_integer(0, 0); };
    auto const until = std::chrono::steady_clock::now() + 60s;
    while(left() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(50ms);
    BOOST_TEST(left() == 0);
}

// The receiver that holds the leadership lock as the database sees it (the application name of
// the session holding it: the receiver's instance name), or "" while nobody holds it. A
// receiver's own metric can still say it leads after the database restarted under it, until
// its next poll finds its session gone.
std::string lock_holder(std::string const& db)
{
    cw::detail::pg_connection c;
    std::string why;
    if(!c.open(db, why))
        return {};
    auto const key = static_cast<std::uint64_t>(cw::detail::pg_leader_lock);
    auto const r = c.exec(("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                           "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = " +
                           std::to_string(key >> 32) + " AND l.objid = " + std::to_string(key & 0xffffffffu))
                              .c_str(),
                          {}, false);
    return r.ok() && r.rows() == 1 ? r.text(0, 0) : std::string();
}

cs::scenario scenario(std::uint64_t seed)
{
    cs::scenario_options so;
    so.fleets = 30;
    so.seed = seed;
    so.telematics_per_fleet = 5;
    so.start = cw::system_now() - 1h;
    return cs::make_scenario(so, {}, "wh-failover");
}

void check_outcome(cs::scenario const& sc, std::vector<cs::message const*> const& todo, std::set<std::string> const& acked,
                   std::vector<node*> const& nodes, std::string const& db)
{
    auto const o = read_outcome(nodes);
    // Every delivery answered 202 by either receiver produced its events.
    std::size_t missing = 0;
    for(auto const* m : todo)
        if(acked.contains(m->event_id))
            for(auto const& r : m->data)
                if(!o.seen.contains(m->webhook_id + "/" + m->event_id + "/" +
                                    std::string(r.as_object().at("id").as_string())))
                    ++missing;
    BOOST_TEST(missing == 0u);
    BOOST_TEST(o.seen.size() == sc.unique_records); // nothing else, nothing twice under another key
    // Callbacks are at least once: a failover dispatches some again, with the same keys. But
    // the fleets' committed history holds each transition once: none was applied twice.
    std::size_t redelivered = 0;
    for(auto const& [key, n] : o.seen)
        redelivered += static_cast<std::size_t>(n - 1);
    BOOST_TEST_MESSAGE(o.seen.size() << " events and " << o.transitions.size()
                                     << " transitions dispatched; events dispatched again after a failover: "
                                     << redelivered);
    cw::detail::pg_connection c;
    std::string why;
    BOOST_REQUIRE_MESSAGE(c.open(db, why), why);
    auto const history = c.exec("SELECT doc::json->>'idempotency_key', count(*) FROM transitions GROUP BY 1 "
                                "HAVING count(*) > 1",
                                {}, false);
    BOOST_REQUIRE(history.ok());
    BOOST_TEST(history.rows() == 0, history.rows() << " transitions applied twice, e.g. "
                                                   << (history.rows() ? history.text(0, 0) : ""));
    auto const total = c.exec("SELECT count(*) FROM transitions", {}, false);
    BOOST_TEST(total.text_integer(0, 0) > 0);
}

/** Two receivers on a fresh database, a scenario flowing through both. */
struct pair_under_load
{
    std::string dir, db = database();
    node a, b;
    std::vector<node*> nodes{&a, &b};
    cs::scenario sc;
    sender s;

    /// `paced`: nothing is sent before s.allow().
    pair_under_load(std::string const& prefix, std::uint64_t seed, bool paced = false)
        : dir(tst::make_temp_dir(prefix)), a{"a", dir, db}, b{"b", dir, db}, sc(scenario(seed))
    {
        if(paced)
            s.allowed = 0;
        a.start();
        b.start();
        BOOST_REQUIRE(await_leader(nodes) >= 0);
        for(auto const& m : sc.messages)
            if(!m.duplicate)
                s.todo.push_back(&m.msg);
        s.nodes = nodes;
        s.run();
    }

    /** Once everything was acknowledged: the leader processes all, both receivers show the
        fleets in the states of an uninterrupted run, both drain, and the events check out. */
    void finish()
    {
        s.join();
        BOOST_TEST(s.acked.size() == s.todo.size());
        int const l = await_leader(nodes);
        BOOST_REQUIRE(l >= 0);
        auto& leader = *nodes[static_cast<std::size_t>(l)];
        auto& standby = *nodes[1 - static_cast<std::size_t>(l)];
        drain(db);
        auto const at_leader = fleets_at(leader);
        // The standby looks for newly committed fleet state every second.
        auto const until = std::chrono::steady_clock::now() + 60s; // bounds a failure only
        while(fleets_at(standby) != at_leader && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(50ms);
        auto const at_standby = fleets_at(standby);
        BOOST_TEST(at_leader.size() == sc.fleets.size());
        BOOST_TEST(at_standby.size() == sc.fleets.size());
        for(auto const& f : sc.fleets)
            BOOST_TEST_CONTEXT(f.fleet_ref)
            {
                auto const want = json::serialize(json::value(f.stage)) + "/" + json::serialize(json::value(f.health));
                BOOST_TEST((at_leader.contains(f.fleet_ref) ? at_leader.at(f.fleet_ref) : "missing") == want);
                BOOST_TEST((at_standby.contains(f.fleet_ref) ? at_standby.at(f.fleet_ref) : "missing") == want);
            }
        standby.p->signal(SIGTERM);
        BOOST_TEST(standby.p->wait(15s).value_or(-1) == 0);
        leader.p->signal(SIGTERM);
        BOOST_TEST(leader.p->wait(15s).value_or(-1) == 0);
        check_outcome(sc, s.todo, s.acked, nodes, db);
    }
};

BOOST_AUTO_TEST_SUITE(failover)

BOOST_AUTO_TEST_CASE(the_leader_killed_at_random_moments_loses_nothing_and_applies_nothing_twice)
{
    pair_under_load run("failover", 7, true);
    auto& s = run.s;
    std::mt19937 rng(11);
    int const rounds = 10;
    // Each round lets another share of the messages go and kills the leader after a random
    // number of them were answered, while the sender has the next one in flight: a kill never
    // lands on receivers with nothing to do.
    std::size_t const share = s.todo.size() / (rounds + 1);
    BOOST_REQUIRE(share >= 2);
    std::vector<double> takeover_ms;
    int in_flight_kills = 0;
    for(int round = 0; round < rounds; ++round)
    {
        auto const from = static_cast<std::size_t>(round) * share;
        s.allow(from + share);
        auto const kill_at = from + std::uniform_int_distribution<std::size_t>(1, share / 2)(rng);
        int const l = await_leader(run.nodes);
        BOOST_REQUIRE_MESSAGE(l >= 0, "no leader in round " << round);
        BOOST_REQUIRE_MESSAGE(s.await([&] { return s.done.load() >= kill_at; }),
                              "round " << round << ": " << s.done.load() << " of " << kill_at << " messages answered");
        // Not a synchronization: the moment of the kill, a random time into the flow after the
        // answer just seen (which otherwise leaves the sender between two messages).
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20'000)(rng)));
        // Then the next request out (the sender may be between two): the kill lands while it
        // waits for its answer. Bounded, should the sender have nothing left to send.
        for(auto const until = std::chrono::steady_clock::now() + 5s;
            s.sending.load() < 0 && std::chrono::steady_clock::now() < until;)
            std::this_thread::yield();
        auto& killed = *run.nodes[static_cast<std::size_t>(l)];
        auto& other = *run.nodes[1 - static_cast<std::size_t>(l)];
        auto const t0 = std::chrono::steady_clock::now();
        bool const in_flight = s.sending.load() >= 0;
        killed.p->signal(SIGKILL);
        in_flight_kills += in_flight;
        BOOST_TEST_MESSAGE("round " << round << ": leader " << killed.name << " killed after " << s.done.load()
                                    << " messages answered, " << (in_flight ? 1 : 0) << " request in flight");
        BOOST_REQUIRE(killed.p->wait(10s).has_value());
        killed.p.reset();
        BOOST_REQUIRE_MESSAGE(await_leader({&other}) == 0, "the standby did not take over in round " << round);
        takeover_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        killed.start(); // as its service manager would
    }
    s.allow(s.todo.size());
    std::sort(takeover_ms.begin(), takeover_ms.end());
    BOOST_TEST_MESSAGE(rounds << " kill -9 rounds, " << in_flight_kills << " with a request in flight; takeover median "
                              << takeover_ms[takeover_ms.size() / 2] << " ms, max " << takeover_ms.back() << " ms");
    // A kill of an idle leader tests nothing: nearly every kill must come while a request is out.
    BOOST_TEST(in_flight_kills * 4 >= rounds * 3, in_flight_kills << " of " << rounds << " kills had a request in flight");
    run.finish();
}

BOOST_AUTO_TEST_CASE(a_database_restarted_under_load_answers_503_meanwhile_and_never_202_without_a_commit)
{
    pair_under_load run("failover-db", 8);
    auto& s = run.s;
    std::string why;
    auto* server = tst::postgres_server::shared(why);
    // Once a third of the deliveries went through, the database goes away (as in a crash).
    auto const third = s.todo.size() / 3;
    BOOST_REQUIRE(s.await([&] { return s.done.load() >= third; }));
    server->kill();
    auto const refused_before = s.refused.load();
    BOOST_REQUIRE(s.await([&] { return s.refused.load() >= refused_before + 20; }));
    BOOST_REQUIRE_MESSAGE(server->start(why), why);
    // A receiver that finds another elected while its session was gone stops (exit 75); its
    // service manager starts it again. Settled: one leads, the other stands by and never led
    // (a deposed leader counts two changes before it exits).
    int restarted = 0;
    auto const until = std::chrono::steady_clock::now() + 60s;
    auto settled = [&] {
        int const l = await_leader(run.nodes, 1s);
        if(l < 0 || lock_holder(run.db) != run.nodes[static_cast<std::size_t>(l)]->name)
            return false;
        auto& other = *run.nodes[1 - static_cast<std::size_t>(l)];
        try
        {
            return !other.p->wait(0ms) && other.metric("catena_webhooks_store_leadership_changes_total") == 0;
        }
        catch(std::exception const&)
        {
            return false;
        }
    };
    while((s.done.load() < s.todo.size() || !settled()) && std::chrono::steady_clock::now() < until)
    {
        for(auto* n : run.nodes)
            if(auto code = n->p->wait(0ms))
            {
                BOOST_TEST(*code == 75, n->p->stderr_text());
                n->start();
                ++restarted;
            }
        std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST(s.refused.load() >= refused_before + 20); // 503s while it was down
    BOOST_TEST_MESSAGE(restarted << " receivers restarted after losing leadership");
    // Never a 202 without a commit: every acknowledged delivery was read back from the
    // database and produced its events (finish()).
    run.finish();
}

BOOST_AUTO_TEST_CASE(dead_letters_of_a_shared_store_are_listed_and_replayed_while_the_receivers_run)
{
    auto const dir = tst::make_temp_dir("failover-dl");
    auto const db = database();
    node a{"a", dir, db};
    a.start();
    BOOST_REQUIRE(await_leader({&a}) == 0);
    // A delivery whose record has no id: kept (it is signed), then dead-lettered.
    cs::endpoint ep;
    ep.port = a.port.load();
    cs::client c(ep, probe::no_retry());
    cs::message undecodable;
    undecodable.webhook_id = "wh-dl";
    undecodable.event_name = "vehicle.added";
    undecodable.event_id = "0193-dl-shared";
    undecodable.data = json::array{json::object{{"no_id", true}}};
    BOOST_REQUIRE_EQUAL(c.send(undecodable, secret).status, 202u);
    auto const until = std::chrono::steady_clock::now() + 120s; // bounds a failure only
    while(a.metric("catena_webhooks_dead_letters_total") < 1 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(20ms);

    // Committed with the next progress (the metric counts it when it is decoded).
    std::string line;
    for(int i = 0; i < 200 && line.empty(); ++i)
    {
        tst::child_process list({probe::daemon_path, "dead-letters", "list", "--store", db}, {}, dir);
        BOOST_REQUIRE_EQUAL(list.wait(20s).value_or(-1), 0);
        line = list.stdout_text();
        if(line.empty())
            std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST(line.find("\"kind\":\"undecodable\"") != std::string::npos, line);
    auto const id = json::parse(line.substr(0, line.find('\n'))).at("id").as_int64();
    tst::child_process replay({probe::daemon_path, "dead-letters", "replay", std::to_string(id), "--store", db}, {}, dir);
    BOOST_REQUIRE_EQUAL(replay.wait(20s).value_or(-1), 0);
    // The running leader processes the replayed delivery at once: dead-lettered again.
    while(a.metric("catena_webhooks_dead_letters_total") < 2 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST(a.metric("catena_webhooks_dead_letters_total") == 2);
    // The password belongs in PGPASSWORD or ~/.pgpass, never on the command line.
    tst::child_process refused({probe::daemon_path, "dead-letters", "list", "--store", db + " password=x"}, {}, dir);
    BOOST_TEST(refused.wait(20s).value_or(-1) == 2);
    a.p->signal(SIGTERM);
    BOOST_TEST(a.p->wait(15s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace integration_failover
