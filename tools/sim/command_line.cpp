// SPDX-License-Identifier: BSL-1.0
// tools/sim/command_line.cpp - catena-webhook-sim's command line: its modes, their options and usage.
#include "command_line.hpp"

#include <catena/webhooks/timestamp.hpp>
#include <catena/webhooks/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace simtool {

using namespace std::chrono;

namespace {

// The options of every mode that sends, after the mode's own.
constexpr char target_options[] = R"(Receiver:
  --target HOST:PORT       receiver address (default 127.0.0.1:8080)
  --path PATH              delivery path (default /webhooks/catena)
  --tls                    use HTTPS; --ca FILE trusts FILE (default: no verification)
  --no-gzip                send bodies uncompressed
  --no-retry               do not retry on 5xx/timeouts (Catena retries up to 3 times)
)";

constexpr char signing_options[] = R"(  --secret-env NAME        environment variable holding the signing secret (default
                           CATENA_WEBHOOK_SECRET)
  --webhook-id ID          X-Webhook-ID to send (default 5f0c1e2a-0000-4000-8000-00000000a001)
)";

constexpr char profile_option[] = R"(  --profile friendly|realistic|replay  the traffic (default friendly: v7 ids, occurred_at now;
                           realistic: occurred_at lagging 0-120 s, 10 % null ids, 1-50 records,
                           5 % retries; replay: events 1-14 days old, half already sent)
)";

constexpr mode all_modes[] = {
    {"scenario", "onboarding journeys for N fleets (spec 5.8), optionally duplicated and reordered",
     R"(Onboarding journeys for --fleets fleets, deterministic for a --seed, optionally duplicated
and reordered; prints a summary of what was answered (exit 1 when anything was not 202).

Scenario:
  --fleets N (10) --seed S (1) --duplicates RATE (0.0) --jitter MS (0)
  --tsps N (1)             up to N TSP connections per connected fleet
  --reinvite RATE (0.0)    connected fleets invited again
  --late-steps RATE (0.0)  an invitation's invitation.sent delivered after it ended
  --null-ids RATE (0.0)    envelopes with "id": null
  --second-subscription RATE (0.0)   lifecycle events also through a second X-Webhook-ID
  --telematics-lag MS (0)  telematics occurred up to MS before they are sent
  --drop-operation-results RATE (0.0)  never send an operation's result webhook (as in a delivery
                           gap); --dropped-operations FILE writes their final records, as JSON Lines,
                           for an API that answers the poll of track_operation's fallback
  --expect FILE            write each fleet's expected final state as JSON Lines
  --realtime               wait until each message's send time instead of sending back to back
  --connections N          parallel keep-alive connections (default 1)
  --json                   print the summary as one JSON object
)"},
    {"load", "unique deliveries across 100 fleets as fast as possible, or at --rate",
     R"(Unique deliveries (telematics, operational and lifecycle events across 100 fleets) as fast
as possible, or at --rate; prints the throughput and the acknowledgement latencies.

Load:
  --count N | --duration SECONDS (default --count 10000)   --rate PER_SECOND (0 = unlimited)
  --connections N          parallel keep-alive connections (default 8)
  --json                   print the summary as one JSON object
)"},
    {"prepare", "the load mode's deliveries signed now, written as raw HTTP/1.1 requests for wrk",
     R"(The load mode's deliveries, signed now, written as raw HTTP/1.1 requests to --out for a
replaying load generator (bench/replay.lua for wrk); valid for the 5-minute window. Sends
nothing: --target and --path only go into the requests.

Prepare:
  --count N (default 10000)
  --out FILE               each request is written as "LENGTH\n" and its bytes (required)
)"},
    {"send", "one event: --event NAME [--record JSON]",
     R"(One delivery of one event; prints each attempt's status and answer (exit 1 unless 2xx).

Send:
  --event NAME             the event type, e.g. vehicle.added (required)
  --record JSON            its record (default {"id":"00000000-0000-4000-8000-000000000001"})
)"},
    {"histories", "random histories of fleets, printed one fact a line, or delivered with --send",
     R"(Random histories of --fleets fleets (invitations, agreements, connections, alarms and the
evidence that clears them, one record per message, every fact timed, no ties), printed one
fact a line: emitted, event, envelope id ("-" for none), record; --send delivers them in that
order instead.

Histories:
  --seed S (1) --fleets N (3) --start RFC3339 (2025-11-24T16:00:00Z)
  --send                   deliver them to the receiver instead of printing them
  --json                   with --send, print the summary as one JSON object
)"},
    {"foxtrot", "Foxtrot-shaped deliveries (a guess at their shape) to a --route of catena-webhookd",
     R"(--count Foxtrot-shaped deliveries to a --route of catena-webhookd. A GUESS: Foxtrot documents
no delivery format, so each is an unsigned JSON object {"id","event","created_at","dc_id","data"}
cycling through ROUTE_CREATED, ROUTE_STARTED, ROUTE_ETAS_CHANGED and WAYPOINT_STATUS_CHANGED;
prints the count of each status answered (exit 1 unless all 202).

Foxtrot:
  --count N (10000) --seed S (1)
  --token-env NAME         environment variable holding the route's token (default FOXTROT_TOKEN)
  --token-header NAME      send the token in this header; without it, as the path's last segment
  --duplicates RATE (0.0)  send some ids twice
)"},
};

mode const* find_mode(std::string_view name) noexcept
{
    for(auto const& m : all_modes)
        if(m.name == name)
            return &m;
    return nullptr;
}

std::string mode_names()
{
    std::string names;
    for(auto const& m : all_modes)
        names += (names.empty() ? "" : ", ") + std::string(m.name);
    return names;
}

std::string unknown_mode(std::string_view name)
{
    return "unknown mode '" + std::string(name) + "' (" + mode_names() + ")";
}

} // namespace

std::span<mode const> modes() noexcept { return all_modes; }

std::string usage(std::string_view mode_name)
{
    if(auto const* m = find_mode(mode_name))
    {
        std::string u = "usage: catena-webhook-sim " + std::string(m->name) + " [options]\n\n";
        u += m->usage;
        std::string_view const receiver = target_options;
        if(m->name == "prepare")
            u += "Requests:\n  --target HOST:PORT       their Host header (default 127.0.0.1:8080)\n"
                 "  --path PATH              their target (default /webhooks/catena)\n"
                 "  --no-gzip                bodies uncompressed\n";
        else if(m->name == "histories")
            u += "With --send, the receiver:\n" + std::string(receiver.substr(receiver.find('\n') + 1));
        else
            u += receiver;
        if(m->name != "foxtrot")
            u += signing_options;
        if(m->name == "load" || m->name == "prepare")
            u += profile_option;
        return u;
    }
    std::string u = R"(usage: catena-webhook-sim MODE [options]
       catena-webhook-sim MODE --help      the mode's options
       catena-webhook-sim --version

Sends Catena-shaped webhook deliveries to a receiver (catena-webhookd, or your own), signed
with the secret in CATENA_WEBHOOK_SECRET.

Modes:
)";
    for(auto const& m : all_modes)
    {
        u += "  ";
        u += m.name;
        u.append(m.name.size() < 11 ? 11 - m.name.size() : 1, ' ');
        u += m.summary;
        u += '\n';
    }
    u += "\nEvery mode that sends says in one line when the receiver cannot be reached, before sending.\n";
    return u;
}

std::string version_line()
{
    return std::string("catena-webhook-sim ") + catena::webhooks::version() + " (commit " +
           catena::webhooks::build_commit() + ")";
}

[[noreturn]] void fail(std::string const& msg)
{
    std::fprintf(stderr, "catena-webhook-sim: %s\n", msg.c_str());
    std::exit(2);
}

namespace {

template<class T>
T number(std::string const& flag, std::string const& v)
{
    try
    {
        std::size_t used = 0;
        double d = std::stod(v, &used);
        if(used != v.size() || d < 0)
            throw std::invalid_argument(v);
        return static_cast<T>(d);
    }
    catch(std::exception const&)
    {
        fail(flag + ": not a non-negative number: " + v);
    }
}

} // namespace

options parse(int argc, char** argv)
{
    options o;
    if(argc < 2)
    {
        std::fputs(usage().c_str(), stderr);
        std::exit(2);
    }
    // --help and --version win wherever they are: the usage of the mode named first, if any.
    std::string_view const first = argv[1];
    bool const has_mode = !first.empty() && first.front() != '-';
    for(int i = 1; i < argc; ++i)
    {
        std::string_view const a = argv[i];
        if(a == "--version")
        {
            std::printf("%s\n", version_line().c_str());
            std::exit(0);
        }
        if(a == "--help" || a == "-h")
        {
            if(has_mode && !find_mode(first))
                fail(unknown_mode(first));
            std::fputs(usage(has_mode ? first : std::string_view()).c_str(), stdout);
            std::exit(0);
        }
    }
    if(!has_mode)
        fail("say a mode first, then its options: " + mode_names() + " (see --help)");
    o.mode = argv[1];
    if(!find_mode(o.mode))
        fail(unknown_mode(o.mode));
    for(int i = 2; i < argc; ++i)
    {
        std::string const a = argv[i];
        auto value = [&]() -> std::string {
            if(i + 1 >= argc)
                fail(a + " needs a value");
            return argv[++i];
        };
        if(a == "--target")
        {
            auto v = value();
            auto colon = v.rfind(':');
            if(colon == std::string::npos)
                fail("--target wants HOST:PORT, got " + v);
            o.ep.host = v.substr(0, colon);
            if(o.ep.host.size() > 2 && o.ep.host.front() == '[')
                o.ep.host = o.ep.host.substr(1, o.ep.host.size() - 2);
            o.ep.port = number<std::uint16_t>(a, v.substr(colon + 1));
        }
        else if(a == "--path") o.ep.path = value();
        else if(a == "--tls") o.ep.tls = true;
        else if(a == "--ca") o.ep.ca_file = value();
        else if(a == "--secret-env") o.secret_env = value();
        else if(a == "--webhook-id") o.webhook_id = value();
        else if(a == "--no-gzip") o.gzip = false;
        else if(a == "--no-retry") o.retry = false;
        else if(a == "--json") o.json_out = true;
        else if(a == "--realtime") o.realtime = true;
        else if(a == "--connections") o.connections = number<std::size_t>(a, value());
        else if(a == "--fleets") o.sc.fleets = o.history.fleets = number<std::size_t>(a, value());
        else if(a == "--seed") o.sc.seed = o.history.seed = number<std::uint64_t>(a, value());
        else if(a == "--send") o.send = true;
        else if(a == "--start")
        {
            auto const v = value();
            auto const t = catena::webhooks::parse_rfc3339(v);
            if(!t)
                fail("--start is not an RFC 3339 date-time: " + v);
            o.history.start = *t;
        }
        else if(a == "--duplicates") o.sc.duplicate_rate = number<double>(a, value());
        else if(a == "--jitter") o.sc.jitter = milliseconds(number<long long>(a, value()));
        else if(a == "--tsps") o.sc.max_tsps = number<std::size_t>(a, value());
        else if(a == "--reinvite") o.sc.reinvite_rate = number<double>(a, value());
        else if(a == "--late-steps") o.sc.late_invitation_rate = number<double>(a, value());
        else if(a == "--null-ids") o.sc.null_id_rate = number<double>(a, value());
        else if(a == "--second-subscription") o.sc.second_subscription_rate = number<double>(a, value());
        else if(a == "--telematics-lag") o.sc.telematics_lag = milliseconds(number<long long>(a, value()));
        else if(a == "--expect") o.expect_file = value();
        else if(a == "--drop-operation-results") o.sc.drop_operation_result_rate = number<double>(a, value());
        else if(a == "--dropped-operations") o.dropped_file = value();
        else if(a == "--out") o.out_file = value();
        else if(a == "--count") o.count = number<std::size_t>(a, value());
        else if(a == "--profile")
        {
            auto const v = value();
            auto const p = cs::parse_load_profile(v);
            if(!p)
                fail("--profile must be friendly, realistic or replay, not " + v);
            o.profile = *p;
        }
        else if(a == "--duration") o.duration_s = number<double>(a, value());
        else if(a == "--rate") o.rate = number<double>(a, value());
        else if(a == "--event") o.event_name = value();
        else if(a == "--record") o.record = value();
        else if(a == "--token-env") o.token_env = value();
        else if(a == "--token-header") o.token_header = value();
        else fail("unknown option " + a + " (see catena-webhook-sim " + o.mode + " --help)");
    }
    if(o.connections == 0)
        o.connections = o.mode == "load" ? 8 : 1;
    if((o.mode == "load" || o.mode == "prepare" || o.mode == "foxtrot") && o.count == 0 && o.duration_s == 0)
        o.count = 10000;
    if(o.mode == "prepare" && o.out_file.empty())
        fail("prepare needs --out FILE");
    if(o.mode == "send" && o.event_name.empty())
        fail("send needs --event NAME");
    o.history.webhook_id = o.webhook_id;
    return o;
}

} // namespace simtool
