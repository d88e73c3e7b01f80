// SPDX-License-Identifier: BSL-1.0
// test/integration/durability.cpp - nothing acknowledged is lost: kill -9 while deliveries are in
// flight, a full disk, a foreign database file, a second process on the same data directory, progress.
#include <catena/webhooks/receiver.hpp>

#include "embedded_receiver.hpp"
#include "process.hpp"
#include "scenario.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace integration_durability { // this file's own: the test binaries compile a few files as one (unity build)

#ifndef CATENA_WEBHOOKD_PATH
#error "CATENA_WEBHOOKD_PATH must name the catena-webhookd binary"
#endif

namespace {

namespace cw = catena::webhooks;
namespace cs = catena::webhooks::sim;
namespace tst = catena::webhooks::test;
namespace json = boost::json;
using namespace std::chrono_literals;
using tst::embedded;
using tst::eventually;

constexpr char daemon_path[] = CATENA_WEBHOOKD_PATH;
constexpr char const* secret = tst::durable_secret;

// Reads JSON lines, skipping a last line cut short by a kill.
std::vector<json::object> read_lines(std::string const& path)
{
    std::vector<json::object> out;
    std::ifstream in(path);
    for(std::string line; std::getline(in, line);)
    {
        boost::system::error_code ec;
        auto v = json::parse(line, ec);
        if(!ec && v.is_object())
            out.push_back(std::move(v.as_object()));
    }
    return out;
}

int crash_rounds()
{
    if(char const* v = std::getenv("CATENA_WEBHOOKS_CRASH_ROUNDS"))
        return std::max(1, std::atoi(v));
#if defined(CATENA_WEBHOOKS_SANITIZED)
    return 6; // the sanitizer build is several times slower
#else
    return 20;
#endif
}

/** One round of the kill -9 test: the killer kills the daemon `at` after it listens, and notes
    which request, if any, the client was waiting on at that moment. */
struct crash_round
{
    std::chrono::milliseconds at{0};
    std::atomic<long> sending{-1};  // the number (in this round) of the request the client waits on, or -1
    long sending_at_kill = -1;      // read by the killer just before the kill
    std::vector<unsigned> statuses; // of this round's requests, by number (0: no answer)

    void kill(tst::child_process& p)
    {
        // Not a synchronization: the random moment of the crash (startup, recovery, intake,
        // processing, a commit), while the client keeps a request out.
        std::this_thread::sleep_for(at);
        sending_at_kill = sending.load();
        p.signal(SIGKILL);
    }
    /// A request was out, sent and not answered yet, when the kill came.
    bool in_flight() const { return sending_at_kill >= 0; }
    /// ... and it never got its answer.
    bool cut_short() const
    {
        return in_flight() && static_cast<std::size_t>(sending_at_kill) < statuses.size() &&
               statuses[static_cast<std::size_t>(sending_at_kill)] != 202u;
    }
};

BOOST_AUTO_TEST_SUITE(durability)

BOOST_AUTO_TEST_CASE(every_acknowledged_delivery_survives_kill_9_exactly_once)
{
    auto const dir = tst::make_temp_dir("durable");
    cs::scenario_options so;
    so.fleets = 40;
    so.seed = 5;
    so.telematics_per_fleet = 6;
    so.start = cw::system_now() - 1h;
    auto const sc = cs::make_scenario(so, {}, "wh-durable");
    std::vector<cs::message const*> todo;
    for(auto const& m : sc.messages)
        if(!m.duplicate)
            todo.push_back(&m.msg);

    int const rounds = crash_rounds();
    std::mt19937 rng(42);
    std::size_t next = 0; // first message without a 202
    std::set<std::string> acked;
    std::vector<std::set<std::string>> acked_in(static_cast<std::size_t>(rounds) + 1); // event ids, by round
    int killed = 0, in_flight = 0, cut_short = 0;
    // `rounds` runs killed at a random moment under load, then one that drains gracefully.
    for(int round = 0; round <= rounds; ++round)
    {
        bool const last = round == rounds;
        auto const events = dir + "/events-" + std::to_string(round) + ".jsonl";
        tst::child_process p({daemon_path, "--listen", "127.0.0.1:0", "--data-dir", dir + "/data", "--events", events,
                              "--reorder-window", "200"},
                             {{"CATENA_WEBHOOK_SECRET", secret}}, dir);
        BOOST_REQUIRE_MESSAGE(p.wait_stderr("listening on"), p.stderr_text());
        cs::endpoint ep;
        ep.port = p.listening_port();
        cs::send_options no_retry;
        no_retry.max_retries = 0;
        no_retry.timeout = 2000ms;
        cs::client c(ep, no_retry);
        crash_round cr;
        cr.at = std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 600)(rng));
        std::thread killer;
        if(!last)
            killer = std::thread([&] { cr.kill(p); });
        // Each killed round gets its share of the new deliveries; then, until the kill, the
        // client sends again those this daemon answered 202 (as Catena retries one whose answer
        // it missed): the load never stops, so the kill never finds the daemon idle. Only this
        // daemon's: it knows them and keeps none again, so what an earlier daemon acknowledged
        // reaches the events from its store alone.
        auto const share = (todo.size() - next) / static_cast<std::size_t>(rounds + 1 - round) + 1;
        std::vector<cs::message const*> acked_here; // in the order of their 202s
        std::size_t fresh_sent = 0, resent = 0;
        int tries = 0;
        for(;;)
        {
            bool const fresh = next < todo.size() && (last || fresh_sent < share);
            if(!fresh && (last || acked_here.empty()))
                break;
            auto const& m = fresh ? *todo[next] : *acked_here[acked_here.size() - 1 - resent++ % acked_here.size()];
            cr.sending = static_cast<long>(cr.statuses.size());
            auto const r = c.send(m, secret, fresh ? 1 : 2);
            cr.sending = -1;
            cr.statuses.push_back(r.status);
            if(r.status != 202)
            {
                // Killed: the rest goes to the next run, as Catena would retry it. The last run
                // is not killed, but on a loaded machine a request may time out or meet a full
                // inbox while the earlier runs' backlog is processed (503): retried, as Catena does.
                BOOST_TEST_MESSAGE("round " << round << ": delivery " << next << " answered " << r.status);
                if(last && ++tries < 10)
                    continue;
                break;
            }
            tries = 0;
            if(!fresh)
                continue;
            acked.insert(m.event_id);
            acked_in[static_cast<std::size_t>(round)].insert(m.event_id);
            acked_here.push_back(&m);
            ++next;
            ++fresh_sent;
        }
        if(killer.joinable())
        {
            killer.join();
            BOOST_TEST(p.wait(5s).has_value());
            ++killed;
            in_flight += cr.in_flight();
            cut_short += cr.cut_short();
            BOOST_TEST_MESSAGE("round " << round << ": killed " << cr.at.count() << " ms after it listened, "
                                        << cr.statuses.size() << " requests sent, " << (cr.in_flight() ? 1 : 0)
                                        << " in flight at the kill" << (cr.cut_short() ? " (never answered)" : ""));
        }
        else
        {
            // The last run processes what earlier runs left, and drains gracefully.
            p.signal(SIGTERM);
            BOOST_TEST(p.wait(120s).value_or(-1) == 0);
        }
    }
    BOOST_TEST_MESSAGE(killed << " kill -9 rounds, " << in_flight << " with a request in flight (" << cut_short
                              << " of them never answered), " << todo.size() << " deliveries");
    BOOST_TEST(killed == rounds);
    BOOST_TEST(next == todo.size());
    // A kill on an idle daemon tests nothing: nearly every kill must come while a request is out.
    BOOST_TEST(in_flight * 4 >= rounds * 3, in_flight << " of " << rounds << " kills came with a request in flight");

    // Every delivery that got a 202 produced its events, once per idempotency key, across runs.
    // A round killed before the daemon opened its events file has none: the rounds after it count.
    std::map<std::string, int> seen;       // idempotency key -> times dispatched
    std::map<std::string, std::string> stage, health;
    std::size_t kept_unprocessed = 0;      // answered 202 in a killed round, not dispatched before the kill
    for(int round = 0; round <= rounds; ++round)
    {
        auto const path = dir + "/events-" + std::to_string(round) + ".jsonl";
        if(!std::filesystem::exists(path))
        {
            BOOST_TEST_MESSAGE("round " << round << ": no events file (killed before it was opened)");
            continue;
        }
        std::set<std::string> dispatched; // event ids
        for(auto const& l : read_lines(path))
        {
            if(l.at("kind") == "event")
            {
                ++seen[std::string(l.at("idempotency_key").as_string())];
                if(l.at("event_id").is_string())
                    dispatched.insert(std::string(l.at("event_id").as_string()));
            }
            else if(l.at("kind") == "transition" && l.at("fleet_ref").is_string() &&
                    (l.at("dimension") == "stage" || l.at("dimension") == "health")) // not a part's own
                (l.at("dimension") == "stage" ? stage : health)[std::string(l.at("fleet_ref").as_string())] =
                    std::string(l.at("to").as_string());
        }
        if(round < rounds)
            for(auto const& id : acked_in[static_cast<std::size_t>(round)])
                kept_unprocessed += !dispatched.contains(id);
    }
    // The restarts had something to recover: deliveries kept but not processed at a kill.
    BOOST_TEST_MESSAGE(kept_unprocessed << " deliveries answered 202 and not processed when their daemon was killed");
    BOOST_TEST(kept_unprocessed > 0u);
    std::size_t missing = 0;
    for(auto const* m : todo)
        for(auto const& r : m->data)
        {
            auto const key = m->webhook_id + "/" + m->event_id + "/" + std::string(r.as_object().at("id").as_string());
            if(!seen.contains(key))
                ++missing;
        }
    BOOST_TEST(missing == 0u);
    BOOST_TEST(seen.size() == sc.unique_records); // nothing else, nothing twice under another key
    std::size_t redelivered = 0;
    for(auto const& [k, n] : seen)
        redelivered += static_cast<std::size_t>(n - 1);
    BOOST_TEST_MESSAGE(redelivered << " events dispatched again after a crash (same idempotency key)");

    // The fleets end where an uninterrupted run ends.
    for(auto const& f : sc.fleets)
        BOOST_TEST_CONTEXT(f.fleet_ref)
        {
            BOOST_TEST(stage[f.fleet_ref] == f.stage);
            BOOST_TEST((health.contains(f.fleet_ref) ? health[f.fleet_ref] : std::string("ok")) == f.health);
        }
}

cs::message big(int i)
{
    cs::message m;
    m.webhook_id = "wh-disk";
    m.event_name = "vehicle.added";
    m.event_id = "0193-disk-" + std::to_string(i);
    // Random letters: the store keeps gzip bodies compressed, and these do not compress much.
    std::mt19937 rng(static_cast<unsigned>(i));
    std::string padding(8000, ' ');
    for(auto& c : padding)
        c = static_cast<char>('a' + rng() % 26);
    m.data.push_back(json::object{{"id", "v-" + std::to_string(i)}, {"fleet_id", "f-1"}, {"padding", padding}});
    return m;
}

BOOST_AUTO_TEST_CASE(full_disk_answers_503_never_202_and_recovers)
{
    auto const dir = tst::make_temp_dir("diskfull");
    std::set<std::string> acked, first_run_events, second_run_events;
    int refused = 0;
    {
        // The file may not grow past 64 pages (256 KiB): as if the disk filled up.
        embedded e(dir, 64);
        BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
        cs::send_options so;
        so.max_retries = 0;
        cs::client c(e.ep(), so);
        for(int i = 0; i < 80; ++i)
        {
            auto r = c.send(big(i), secret);
            if(r.status == 202)
                acked.insert("v-" + std::to_string(i));
            else
            {
                BOOST_TEST(r.status == 503u);
                BOOST_TEST(r.body.find("store_failure") != std::string::npos);
                ++refused;
            }
        }
        // Reported: the failed writes are counted.
        auto const text = e.rx.metrics_text();
        auto const at = text.find("\ncatena_webhooks_store_write_failures_total ");
        BOOST_REQUIRE(at != std::string::npos);
        BOOST_TEST(std::stod(text.substr(at + 44)) >= 1.0);
        first_run_events = e.stop_and_record_ids();
    }
    BOOST_TEST(refused > 0);
    BOOST_TEST(!acked.empty());
    // What was answered 503 was not kept: only acknowledged deliveries became events.
    BOOST_TEST(first_run_events == acked, boost::test_tools::per_element());

    // Room again: the refused deliveries, sent again as Catena would, are kept now.
    embedded e(dir);
    BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
    cs::send_options so;
    so.max_retries = 0;
    cs::client c(e.ep(), so);
    std::size_t resent = 0;
    for(int i = 0; i < 80; ++i)
        if(!acked.contains("v-" + std::to_string(i)))
        {
            BOOST_TEST(c.send(big(i), secret).status == 202u);
            ++resent;
        }
    second_run_events = e.stop_and_record_ids();
    BOOST_TEST(resent == static_cast<std::size_t>(refused));
    BOOST_TEST(second_run_events.size() == resent);
    std::set<std::string> all = first_run_events;
    all.insert(second_run_events.begin(), second_run_events.end());
    BOOST_TEST(all.size() == 80u);
}

BOOST_AUTO_TEST_CASE(foreign_database_file_is_refused_and_left_untouched)
{
    auto const dir = tst::make_temp_dir("foreign");
    auto const db = dir + "/catena-webhooks.db";
    {
        std::ofstream f(db, std::ios::binary);
        f << "this is not a database, and it must stay as it is\n";
    }
    auto const before = std::filesystem::file_size(db);
    embedded e(dir);
    BOOST_TEST((e.start() == cw::error::store_not_ours));
    BOOST_TEST(e.rx.start_detail().find("not a SQLite database") != std::string::npos);
    BOOST_TEST(std::filesystem::file_size(db) == before);

    // The daemon says so in one line and exits 2.
    tst::child_process p({daemon_path, "--listen", "127.0.0.1:0", "--data-dir", dir}, {{"CATENA_WEBHOOK_SECRET", secret}},
                         dir);
    BOOST_TEST(p.wait().value_or(-1) == 2);
    BOOST_TEST(p.stderr_text().find("catena-webhooks.db") != std::string::npos);
    BOOST_TEST(std::filesystem::file_size(db) == before);
}

BOOST_AUTO_TEST_CASE(second_receiver_on_the_same_store_is_refused)
{
    auto const dir = tst::make_temp_dir("locked");
    embedded a(dir);
    BOOST_REQUIRE_MESSAGE(!a.start(), a.rx.start_detail());
    embedded b(dir);
    BOOST_TEST((b.start() == cw::error::store_locked));
    BOOST_TEST(b.rx.start_detail().find("in use by another process") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fleet_state_and_identities_survive_a_restart)
{
    auto const dir = tst::make_temp_dir("restart");
    cs::message accepted;
    accepted.webhook_id = "wh-r";
    accepted.event_name = "invitation.accepted";
    accepted.event_id = "0193-restart-1";
    accepted.data.push_back(json::object{{"id", "inv-1"}, {"fleet_id", "fleet-r"}, {"fleet_ref", "R"},
                                         {"status", "accepted"}, {"updated_at", "2026-11-22T10:00:00Z"}});
    // An event whose envelope id is a UUID v7 of now: created after the first run began.
    std::mt19937_64 rng(5);
    cs::message located;
    located.webhook_id = "wh-r";
    located.event_name = "vehicle_location.added";
    located.event_id = cs::uuid_v7(cw::system_now(), rng);
    located.data.push_back(json::object{{"id", "loc-1"}, {"fleet_id", "fleet-r"}, {"occurred_at", "2026-11-22T10:00:01Z"}});
    {
        embedded e(dir);
        BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
        cs::client c(e.ep(), {});
        BOOST_TEST(c.send(accepted, secret).status == 202u);
        BOOST_TEST(c.send(located, secret).status == 202u);
    } // stop() drains: both are processed and their fleet state committed
    embedded e(dir);
    BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
    auto const f = e.rx.fleet("fleet-r");
    BOOST_REQUIRE(f.has_value());
    BOOST_TEST(cw::to_string(f->stage) == "accepted");
    BOOST_TEST(e.rx.fleet("ref:R").has_value());
    auto stages = e.rx.history("fleet-r");
    std::erase_if(stages, [](cw::transition const& t) { return t.what != cw::dimension::stage; });
    BOOST_TEST(stages.size() == 1u);
    // Retries of the same events after the restart are recognised as duplicates: memory is
    // empty, the identities are found on disk.
    cs::client c(e.ep(), {});
    BOOST_TEST(c.send(accepted, secret, 2).status == 202u);
    BOOST_TEST(c.send(located, secret, 2).status == 202u);
    // Drained: both retries have been through processing, and none became an event.
    e.stop_and_record_ids();
    BOOST_TEST(e.rx.stats().duplicate_events == 2u);
    std::lock_guard lock(e.m);
    BOOST_TEST(e.events.empty());
}

// Delivery i of a series named tag: one vehicle.added record for fleet f-<tag>.
cs::message one_vehicle(std::string const& tag, int i)
{
    cs::message m;
    m.webhook_id = "wh-" + tag;
    m.event_name = "vehicle.added";
    m.event_id = "0193-" + tag + "-" + std::to_string(i);
    m.data.push_back(json::object{{"id", "v-" + std::to_string(i)}, {"fleet_id", "f-" + tag}});
    return m;
}

// A sink that buffers events and flushes them in on_before_progress: every delivery recorded as
// processed has been flushed, and a hook that fails keeps its deliveries unrecorded, so they
// come again after a restart.
BOOST_AUTO_TEST_CASE(progress_is_recorded_only_after_on_before_progress_flushed_its_deliveries)
{
    auto const dir = tst::make_temp_dir("before-progress");
    auto message = [](int i) { return one_vehicle("bp", i); };
    std::atomic<bool> failing{true};
    std::atomic<int> calls{0};
    std::mutex m;
    std::vector<std::string> buffered, flushed;
    auto setup = [&](cw::receiver& rx) {
        rx.on_any([&](cw::event const& e) {
            std::lock_guard lock(m);
            buffered.push_back(e.idempotency_key);
        });
        rx.on_before_progress([&] {
            ++calls;
            if(failing)
                throw std::runtime_error("sink unavailable");
            std::lock_guard lock(m);
            flushed.insert(flushed.end(), buffered.begin(), buffered.end());
            buffered.clear();
        });
    };
    std::atomic<int> reported{0};
    {
        // The hook fails throughout: nothing may be recorded as processed.
        embedded e(dir, 0, {}, [&](cw::receiver& rx) {
            setup(rx);
            rx.on_error([&](cw::error_report const& r) { reported += r.ec == cw::error::handler_exception; });
        });
        BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
        cs::client c(e.ep(), {});
        for(int i = 0; i < 3; ++i)
            BOOST_TEST(c.send(message(i), secret).status == 202u);
        BOOST_TEST(eventually([&] { return calls >= 2; })); // tried again after the failure
        BOOST_TEST(reported >= 1);
    }
    BOOST_TEST(flushed.empty());
    buffered.clear();
    failing = false;
    {
        // After the restart the three deliveries are processed again, flushed, then recorded.
        embedded e(dir, 0, {}, setup);
        BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
        BOOST_TEST(eventually([&] {
            std::lock_guard lock(m);
            return flushed.size() >= 3;
        }));
        std::lock_guard lock(m);
        BOOST_TEST(flushed.size() == 3u);
    }
    flushed.clear();
    {
        // Recorded: a second restart has nothing to do again.
        embedded e(dir, 0, {}, setup);
        BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
        // Stopping drains whatever the store gave back: had it given back the three
        // deliveries, their events would be buffered (and flushed) by now.
        BOOST_TEST(e.stop_and_record_ids().empty());
        BOOST_TEST(e.rx.stats().events == 0u);
        std::lock_guard lock(m);
        BOOST_TEST(flushed.empty());
        BOOST_TEST(buffered.empty());
    }
}

// Progress gathered over store.progress_interval goes to the store in one transaction, also
// after a flush that came early because 1024 deliveries waited.
BOOST_AUTO_TEST_CASE(progress_is_committed_once_per_interval_also_after_an_early_flush)
{
    auto const dir = tst::make_temp_dir("progress-interval");
    auto message = [](int i) { return one_vehicle("pi", i); };
    std::atomic<int> flushes{0};
    embedded e(
        dir, 0, [](cw::receiver_options& o) { o.store.progress_interval = std::chrono::hours(1); },
        [&](cw::receiver& rx) { rx.on_before_progress([&] { ++flushes; }); });
    BOOST_REQUIRE_MESSAGE(!e.start(), e.rx.start_detail());
    auto const dispatched = [&] {
        std::lock_guard lock(e.m);
        return e.events.size();
    };
    auto const wait_for_events = [&](std::size_t n) {
        BOOST_REQUIRE(eventually([&] { return dispatched() >= n; }));
        BOOST_REQUIRE_EQUAL(dispatched(), n);
        // Their deliveries settle behind them: the settle markers leave the callback queues.
        BOOST_REQUIRE(eventually([&] { return e.rx.stats().callback_backlog == 0; }));
    };
    cs::client c(e.ep(), {});
    int sent = 0;
    for(; sent < 1030; ++sent)
        BOOST_REQUIRE_EQUAL(c.send(message(sent), secret).status, 202u);
    wait_for_events(1030);
    BOOST_TEST(flushes == 0); // an hour has not passed
    // The next delivery finds more than 1024 processed deliveries waiting: they are flushed.
    BOOST_REQUIRE_EQUAL(c.send(message(sent++), secret).status, 202u);
    wait_for_events(1031);
    BOOST_TEST(flushes == 1);
    // Those that finish after it wait for the interval again, each of them.
    for(int i = 0; i < 20; ++i)
        BOOST_REQUIRE_EQUAL(c.send(message(sent++), secret).status, 202u);
    wait_for_events(1051);
    BOOST_TEST(flushes == 1);
    e.rx.stop();
    e.t.join();
    BOOST_TEST(flushes == 2); // the last one, at the stop
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace integration_durability
