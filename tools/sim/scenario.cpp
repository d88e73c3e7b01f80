// SPDX-License-Identifier: BSL-1.0
// tools/sim/scenario.cpp - onboarding journeys as Catena would deliver them, and what each fleet should end as.
#include "scenario.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <optional>

namespace catena::webhooks::sim {

namespace json = boost::json;


namespace {

struct journey_builder
{
    scenario_options const& o;
    subscription_map const& subs;
    std::string_view default_webhook;
    std::mt19937_64& rng;
    std::vector<scheduled_message>& out;

    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

    // Sends `record` as `event_name`, occurring at `t` (and sent then, give or take the
    // jitter); `sent` when it is sent later than it occurred (lagging telematics, a late step).
    void emit(std::string const& event_name, timestamp t, json::object record, fleet_expectation& f,
              std::optional<timestamp> sent = std::nullopt)
    {
        scheduled_message s;
        auto it = subs.find(event_name);
        s.msg.webhook_id = it != subs.end() ? it->second : std::string(default_webhook);
        s.msg.event_name = event_name;
        // Records that carry no time of their own (connection, fleet_connection, schedule) are
        // ordered by the envelope id's time, else by arrival: the simulator sends faster than
        // its scenario's clock runs, so they keep their id here.
        bool const untimed = event_name.starts_with("connection.") || event_name.starts_with("fleet_connection.") ||
                             event_name.starts_with("schedule.");
        s.msg.event_id = !untimed && chance(o.null_id_rate) ? std::string() : uuid_v7(t, rng);
        s.msg.data.push_back(std::move(record));
        s.occurred = t;
        auto const base = std::chrono::duration_cast<std::chrono::milliseconds>(sent.value_or(t) - o.start);
        auto jitter = [&] {
            return o.jitter.count() > 0
                       ? std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, o.jitter.count())(rng))
                       : std::chrono::milliseconds(0);
        };
        s.send_at = base + jitter();
        f.events.push_back(event_name);
        bool const dup = chance(o.duplicate_rate);
        bool const lifecycle = event_name.find("invitation.") == 0 || event_name.find("share_agreement.") == 0 ||
                               event_name.find("connection.") == 0 || event_name.find("fleet_connection.") == 0;
        bool const second = lifecycle && chance(o.second_subscription_rate);
        out.push_back(s);
        if(second)
        {
            // The same record through an invitation's callback_url subscription.
            auto copy = s;
            copy.duplicate = true;
            copy.msg.webhook_id = o.second_webhook_id;
            if(!copy.msg.event_id.empty())
                copy.msg.event_id = uuid_v7(t, rng);
            copy.send_at = base + jitter();
            out.push_back(std::move(copy));
        }
        if(dup)
        {
            // Catena's retry: the same envelope, attempt 2.
            s.duplicate = true;
            s.attempt = 2;
            s.send_at = base + jitter() + jitter();
            out.push_back(std::move(s));
        }
    }
};

// A fleet's health is the worst of its parts: ok < degraded < halted < stale.
int severity_of(std::string_view h)
{
    return h == "degraded" ? 1 : h == "halted" ? 2 : h == "stale" ? 3 : 0;
}

} // namespace

scenario make_scenario(scenario_options const& o, subscription_map const& subs, std::string_view default_webhook_id)
{
    scenario sc;
    std::mt19937_64 rng(o.seed);
    journey_builder b{o, subs, default_webhook_id, rng, sc.messages};
    std::string const partner = "11223344-5566-7788-99aa-bbccddeeff00";
    auto& dropped = sc.dropped_operations;

    for(std::size_t i = 0; i < o.fleets; ++i)
    {
        fleet_expectation f;
        f.fleet_ref = "FLEET-" + std::to_string(i + 1);
        f.invitation_id = random_uuid(rng);
        std::string const fleet_id = random_uuid(rng);
        // Fleets start 100 ms apart; their steps are 1 s apart.
        timestamp t = o.start + std::chrono::milliseconds(100 * static_cast<long long>(i));
        auto next = [&t] { return t += std::chrono::seconds(1); };

        // Spec §4.3: an invitation record carries its own created_at on every step and no
        // updated_at; accepted_at and declined_at where they apply.
        std::map<std::string, timestamp> created_at; // per invitation: when it was created
        auto invitation = [&](std::string const& id, std::string_view status, bool with_fleet) {
            json::object r;
            r["id"] = id;
            r["created_at"] = format_rfc3339(created_at.try_emplace(id, t).first->second, utc_suffix::z);
            r["magic_link"] = "https://connect.catenatelematics.com/?invite=" + id;
            r["expires_at"] = format_rfc3339(o.start + std::chrono::hours(24), utc_suffix::z);
            r["expires_in_hours"] = 24;
            r["status"] = status;
            r["partner_id"] = partner;
            r["fleet_ref"] = f.fleet_ref;
            r["fleet_id"] = with_fleet ? json::value(fleet_id) : json::value(nullptr);
            return r;
        };
        // The model of the fleet's parts, from which its expected stage and health follow.
        std::map<std::string, std::string> health_of; // connection id -> ok, degraded, stale
        bool halted = false;

        auto const& inv = f.invitation_id;
        b.emit("invitation.created", t, invitation(inv, "active", false), f);
        f.invitations[inv] = "created";
        f.stage = "invited";
        // With email delivery configured Catena sends invitation.sent; its delivery may also
        // come late, after the invitation ended (late_step: when it happened).
        std::optional<timestamp> late_sent;
        if(b.chance(0.5))
        {
            next();
            if(b.chance(o.late_invitation_rate))
                late_sent = t;
            else
            {
                b.emit("invitation.sent", t, invitation(inv, "active", false), f);
                f.invitations[inv] = "sent";
            }
        }
        next();
        b.emit("invitation.viewed", t, invitation(inv, "active", false), f);
        f.invitations[inv] = "viewed";
        f.stage = "viewed";

        double const exit = std::uniform_real_distribution<double>(0, 1)(rng);
        if(exit < o.decline_rate)
        {
            auto r = invitation(inv, "declined", false);
            r["decline_reason"] = "not now";
            r["declined_at"] = format_rfc3339(next(), utc_suffix::z);
            b.emit("invitation.declined", t, std::move(r), f);
            f.invitations[inv] = "declined";
            f.stage = "declined";
        }
        else if(exit < o.decline_rate + o.expire_rate)
        {
            next();
            b.emit("invitation.expired", t, invitation(inv, "expired", false), f);
            f.invitations[inv] = "expired";
            f.stage = "expired";
        }
        else if(exit < o.decline_rate + o.expire_rate + o.delete_rate)
        {
            next();
            b.emit("invitation.deleted", t, invitation(inv, "deleted", false), f);
            f.invitations[inv] = "deleted";
            f.stage = "deleted";
        }
        else
        {
            f.fleet_id = fleet_id;
            auto acc = invitation(inv, "accepted", true);
            acc["accepted_at"] = format_rfc3339(next(), utc_suffix::z);
            b.emit("invitation.accepted", t, std::move(acc), f);
            f.invitations[inv] = "accepted";
            f.stage = "accepted";

            json::object sa;
            sa["id"] = random_uuid(rng);
            sa["fleet_id"] = fleet_id;
            sa["partner_id"] = partner;
            sa["fleet_ref"] = f.fleet_ref;
            sa["invitation_id"] = inv;
            sa["status"] = "active";
            sa["effective_date"] = format_rfc3339(next(), utc_suffix::z);
            sa["updated_at"] = format_rfc3339(t, utc_suffix::z);
            sa["scopes"] = json::object{{"vehicle", "read"}, {"vehicle_location", "read"}, {"user", "read_write"}};
            b.emit("share_agreement.created", t, std::move(sa), f);
            f.stage = "agreement";

            // One to max_tsps TSPs, each its own connection (spec §4.3: no timestamps).
            static constexpr std::string_view tsps[] = {"samsara", "motive", "geotab"};
            std::size_t const count =
                1 + (o.max_tsps > 1 ? std::uniform_int_distribution<std::size_t>(0, o.max_tsps - 1)(rng) : 0);
            std::vector<std::string> connections;
            for(std::size_t k = 0; k < count; ++k)
                connections.push_back(random_uuid(rng));
            f.connection_id = connections.front();
            auto connection = [&](std::string const& id, std::size_t k, std::string_view status) {
                json::object c;
                c["id"] = id;
                c["source_name"] = std::string(tsps[k % 3]);
                c["fleet_id"] = fleet_id;
                c["tsp_id"] = "5b6c7d8e-9f00-4112-8334-55667788990" + std::to_string(k % 10);
                c["status"] = status;
                return c;
            };
            for(std::size_t k = 0; k < count; ++k)
            {
                auto const& cid = connections[k];
                // connection.created may be skipped when the fleet already had the connection.
                if(k > 0 || !b.chance(o.skip_connection_rate))
                {
                    next();
                    b.emit("connection.created", t, connection(cid, k, "active"), f);
                    if(f.stage == "agreement")
                        f.stage = "connection";
                }
                json::object fc;
                fc["id"] = random_uuid(rng);
                fc["fleet_id"] = fleet_id;
                fc["connection_id"] = cid;
                next();
                b.emit("fleet_connection.created", t, std::move(fc), f);
                f.stage = "connected";
                health_of[cid] = "ok";
            }
            auto any_connection = [&] {
                return connections[std::uniform_int_distribution<std::size_t>(0, connections.size() - 1)(rng)];
            };

            for(std::size_t k = 0; k < o.telematics_per_fleet; ++k)
            {
                auto const cid = any_connection();
                next();
                // Catena polls the TSP on a schedule: the record occurred a while before it is sent.
                auto const lag = o.telematics_lag.count() > 0
                                     ? std::chrono::milliseconds(
                                           std::uniform_int_distribution<long long>(0, o.telematics_lag.count())(rng))
                                     : std::chrono::milliseconds(0);
                json::object v;
                v["id"] = random_uuid(rng);
                v["fleet_id"] = fleet_id;
                v["fleet_ref"] = f.fleet_ref;
                v["source_name"] = "samsara";
                v["connection_id"] = cid;
                v["source_id"] = "loc-" + std::to_string(k);
                v["occurred_at"] = format_rfc3339(t - lag, utc_suffix::z);
                v["created_at"] = format_rfc3339(t + std::chrono::milliseconds(300), utc_suffix::z);
                v["updated_at"] = format_rfc3339(t + std::chrono::milliseconds(300), utc_suffix::z);
                v["location"] = json::object{{"type", "Point"}, {"coordinates", json::array{-97.7431, 30.2672}}};
                v["h3_index_11"] = 627710138564640767LL;
                v["speed"] = 54;
                b.emit("vehicle_location.added", t - lag, std::move(v), f, t);
            }
            if(b.chance(o.execution_failed_rate))
            {
                auto const cid = any_connection();
                json::object e;
                e["id"] = random_uuid(rng);
                e["created_at"] = format_rfc3339(next(), utc_suffix::z);
                e["updated_at"] = format_rfc3339(t, utc_suffix::z);
                e["schedule_id"] = random_uuid(rng);
                e["connection_id"] = cid;
                e["fleet_id"] = fleet_id;
                e["status"] = "failed";
                e["source_name"] = "samsara";
                e["resource"] = "vehicle_location";
                b.emit("execution.failed", t, std::move(e), f);
                // Milder than stale: it never hides it.
                if(health_of[cid] == "ok")
                    health_of[cid] = "degraded";
            }
            if(b.chance(o.stale_rate))
            {
                auto const cid = any_connection();
                std::size_t const k = static_cast<std::size_t>(
                    std::find(connections.begin(), connections.end(), cid) - connections.begin());
                next();
                b.emit("connection.staled", t, connection(cid, k, "stale"), f);
                health_of[cid] = "stale";
            }
            if(b.chance(o.halt_rate))
            {
                json::object sc_;
                sc_["id"] = random_uuid(rng);
                sc_["connection_id"] = any_connection(); // the only link to the fleet
                sc_["resource"] = "hos_event";
                sc_["execution_interval_seconds"] = 300;
                sc_["status"] = "inactive";
                sc_["consecutive_error_threshold"] = 10;
                sc_["max_concurrent_executions"] = 1;
                next();
                b.emit("schedule.deactivated", t, std::move(sc_), f);
                halted = true;
            }
            if(b.chance(o.reinvite_rate))
            {
                // Invited again, to add a TSP or scopes: normal for a connected fleet.
                auto const again = random_uuid(rng);
                next();
                b.emit("invitation.created", t, invitation(again, "active", true), f);
                next();
                b.emit("invitation.viewed", t, invitation(again, "active", true), f);
                auto acc2 = invitation(again, "accepted", true);
                acc2["accepted_at"] = format_rfc3339(next(), utc_suffix::z);
                b.emit("invitation.accepted", t, std::move(acc2), f);
                f.invitations[again] = "accepted";
            }
            if(b.chance(o.resource_operation_rate))
            {
                std::string const op = random_uuid(rng);
                bool const ok = b.chance(0.5);
                auto const cid = connections.front();
                auto record = [&](std::string_view status) {
                    json::object r;
                    r["id"] = op;
                    r["created_at"] = format_rfc3339(o.start, utc_suffix::z);
                    r["updated_at"] = format_rfc3339(t, utc_suffix::z);
                    r["partner_id"] = partner;
                    r["connection_id"] = cid;
                    r["fleet_ref"] = f.fleet_ref;
                    r["source_name"] = "samsara";
                    r["resource"] = "message";
                    r["operation_type"] = "create";
                    r["status"] = status;
                    r["payload"] = json::object{{"message_text", "hello"}};
                    r["resource_id"] = nullptr;
                    r["source_id"] = nullptr;
                    return r;
                };
                next();
                b.emit("resource_operation.created", t, record("pending"), f);
                next();
                auto done = record(ok ? "success" : "failed");
                if(ok)
                {
                    done["resource_id"] = random_uuid(rng);
                    done["source_id"] = "tsp-msg-1";
                }
                else
                {
                    done["logs"] = json::array{json::object{{"id", random_uuid(rng)},
                                                            {"resource_operation_id", op},
                                                            {"status", "failed"},
                                                            {"error_type", "auth"},
                                                            {"error_details", "TSP answered 401"},
                                                            {"response_status_code", 401},
                                                            {"response_headers", nullptr}}};
                }
                // Dropped only when asked for: the chance costs a draw, and the same seed
                // must give the same scenario as before the option existed.
                if(o.drop_operation_result_rate > 0 && b.chance(o.drop_operation_result_rate))
                    dropped.push_back(std::move(done));
                else
                    b.emit(ok ? "resource_operation.succeeded" : "resource_operation.failed", t, std::move(done), f);
            }
        }
        // The invitation.sent that arrives after its invitation ended: late, it changes nothing
        // (only a different invitation starts a journey again).
        if(late_sent)
            b.emit("invitation.sent", *late_sent, invitation(inv, "active", false), f, next() + std::chrono::seconds(5));

        // Health: the worst of the connections, and halted under a deactivated schedule.
        std::string worst = "ok";
        for(auto const& [cid, h] : health_of)
        {
            f.connection_health[cid] = h;
            if(severity_of(h) > severity_of(worst))
                worst = h;
        }
        if(halted && severity_of("halted") > severity_of(worst))
            worst = "halted";
        f.health = worst;
        sc.fleets.push_back(std::move(f));
    }

    std::stable_sort(sc.messages.begin(), sc.messages.end(),
                     [](scheduled_message const& x, scheduled_message const& y) { return x.send_at < y.send_at; });
    for(auto const& m : sc.messages)
        if(!m.duplicate)
        {
            ++sc.unique_events;
            sc.unique_records += m.msg.data.size();
        }
    return sc;
}

std::string expectations_jsonl(scenario const& s)
{
    std::string out;
    for(auto const& f : s.fleets)
    {
        json::object o;
        o["fleet_ref"] = f.fleet_ref;
        o["fleet_id"] = f.fleet_id.empty() ? json::value(nullptr) : json::value(f.fleet_id);
        o["invitation_id"] = f.invitation_id;
        o["connection_id"] = f.connection_id.empty() ? json::value(nullptr) : json::value(f.connection_id);
        o["stage"] = f.stage;
        o["health"] = f.health;
        json::array ev;
        for(auto const& e : f.events)
            ev.push_back(json::value(e));
        o["events"] = std::move(ev);
        out += json::serialize(o);
        out += '\n';
    }
    return out;
}

} // namespace catena::webhooks::sim
