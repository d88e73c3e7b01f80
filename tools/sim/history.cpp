// SPDX-License-Identifier: BSL-1.0
// tools/sim/history.cpp - random multi-fleet histories: journeys, alarms and their evidence, timed without ties.
#include "history.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <numeric>
#include <optional>
#include <string_view>

namespace catena::webhooks::sim {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// Telematics resources data records are drawn from; vehicle_location is never modified.
struct data_kind
{
    std::string_view resource;
    bool modifiable;
};
constexpr data_kind data_kinds[] = {{"vehicle_location", false}, {"vehicle", true}, {"hos_event", true},
                                    {"user", true},              {"trailer", true}, {"engine_log", true}};

constexpr std::string_view tsp_names[] = {"samsara", "motive", "geotab", "hos247"};

struct schedule
{
    std::string id, resource;
};

struct tsp_connection
{
    std::string id, source_name, tsp_id;
    std::vector<schedule> schedules;
};

struct invitation
{
    std::string id;
    timestamp created{}, expires{};
    int hours = 24;
    bool carries_fleet_id = false;
    enum { pending, accepted, declined, expired, deleted } state = pending;
};

struct agreement
{
    std::string id, invitation_id;
    std::optional<timestamp> created; // empty: its records carry no time
};

struct fleet
{
    std::string id, ref; // ref empty: the fleet has no fleet_ref
    timestamp clock{};
    bool id_revealed = false;
    std::vector<agreement> agreements; // the active ones
    std::vector<tsp_connection> connections;
};

std::string ts(timestamp t)
{
    return format_rfc3339(t, utc_suffix::z);
}

json::value optional(std::string const& s)
{
    return s.empty() ? json::value(nullptr) : json::value(s);
}

class generator
{
public:
    explicit generator(history_options const& o) : o_(o), rng_(o.seed), partner_id_(random_uuid(rng_)) {}

    history run()
    {
        for(std::size_t i = 0; i < o_.fleets; ++i)
        {
            fleet f;
            f.id = random_uuid(rng_);
            // One fleet in five has no fleet_ref: its invitations are known by their id alone.
            if(!chance(0.2))
                f.ref = "FLEET-" + std::to_string(o_.seed) + "-" + std::to_string(i);
            f.clock = o_.start + seconds(5 * i) + milliseconds(between(0, 3000));
            fleet_history(f);
        }
        std::stable_sort(h_.facts.begin(), h_.facts.end(),
                         [](history_fact const& a, history_fact const& b) { return a.emitted < b.emitted; });
        return std::move(h_);
    }

private:
    //---- randomness and time

    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
    long long between(long long lo, long long hi) { return std::uniform_int_distribution<long long>(lo, hi)(rng_); }
    template<class T>
    T const& one_of(std::vector<T> const& v) { return v[static_cast<std::size_t>(between(0, std::ssize(v) - 1))]; }
    /// Index drawn with the given weights.
    std::size_t weighted(std::initializer_list<int> w)
    {
        long long r = between(0, std::accumulate(w.begin(), w.end(), 0) - 1);
        std::size_t i = 0;
        for(int x : w)
        {
            if(r < x)
                return i;
            r -= x;
            ++i;
        }
        return i - 1;
    }

    /// The fleet's next step: at least a second after the last, never on the same millisecond.
    timestamp tick(fleet& f)
    {
        f.clock += seconds(between(1, 90)) + milliseconds(between(1, 999));
        return f.clock;
    }
    /// Catena sends a record that carries its own time a little after that time.
    timestamp soon(timestamp t) { return t + milliseconds(between(0, 1500)); }

    /// `timed`: the record carries its own time, so its envelope may have no id; otherwise
    /// the envelope id (a UUID v7 of `emitted`) is its only time.
    void emit(std::string event, json::object record, timestamp emitted, bool timed)
    {
        history_fact hf;
        hf.msg.webhook_id = o_.webhook_id;
        hf.msg.event_name = std::move(event);
        hf.msg.event_id = timed && chance(o_.null_id_rate) ? std::string() : uuid_v7(emitted, rng_);
        hf.msg.data.push_back(std::move(record));
        hf.emitted = emitted;
        h_.facts.push_back(std::move(hf));
    }

    //---- invitations

    json::object invitation_record(fleet const& f, invitation const& inv, std::string_view status)
    {
        return {{"id", inv.id},
                {"created_at", ts(inv.created)},
                {"magic_link", "https://connect.catenatelematics.com/?invite=" + inv.id},
                {"expires_at", ts(inv.expires)},
                {"expires_in_hours", inv.hours},
                {"status", status},
                {"partner_provided_fleet_name", f.ref.empty() ? json::value(nullptr) : json::value("Fleet " + f.ref)},
                {"accepted_at", nullptr},
                {"pre_registration_access_token", nullptr},
                {"pre_registration_refresh_token", nullptr},
                {"callback_url", nullptr},
                {"limit_tsps", nullptr},
                {"fleet_id", inv.carries_fleet_id ? json::value(f.id) : json::value(nullptr)},
                {"partner_slug", "acme-logistics"},
                {"partner_id", partner_id_},
                {"decline_reason", nullptr},
                {"declined_at", nullptr},
                {"fleet_ref", optional(f.ref)}};
    }

    void delete_invitation(fleet& f, invitation& inv)
    {
        auto const t = tick(f);
        auto r = invitation_record(f, inv, "deleted");
        // A deletion says when in deleted_at, in updated_at, or only through its envelope id.
        switch(weighted({4, 3, 3}))
        {
        case 0: r["deleted_at"] = ts(t); r["updated_at"] = ts(t); emit("invitation.deleted", r, soon(t), true); break;
        case 1: r["updated_at"] = ts(t); emit("invitation.deleted", r, soon(t), true); break;
        default: emit("invitation.deleted", r, t, false); break;
        }
        inv.state = invitation::deleted;
    }

    /// One to three invitations at a time, each ended (at most one accepted) or left pending.
    void invitation_round(fleet& f, bool again)
    {
        std::vector<invitation> round(1 + weighted({70, 22, 8}));
        for(auto& inv : round)
        {
            inv.id = random_uuid(rng_);
            inv.created = tick(f);
            inv.hours = std::vector<int>{1, 24, 48, 72}[weighted({2, 4, 2, 2})];
            inv.expires = inv.created + std::chrono::hours(inv.hours);
            // Before acceptance Catena knows no fleet; a fleet invited again may be named.
            inv.carries_fleet_id = f.id_revealed && chance(0.5);
            emit("invitation.created", invitation_record(f, inv, "active"), soon(inv.created), true);
            if(chance(0.5))
                emit("invitation.sent", invitation_record(f, inv, "active"), tick(f), true);
            if(chance(0.65))
                emit("invitation.viewed", invitation_record(f, inv, "active"), tick(f), true);
        }
        std::shuffle(round.begin(), round.end(), rng_);
        invitation const* accepted = nullptr;
        for(auto& inv : round)
        {
            auto end = weighted({again ? 40 : 50, 15, 15, 10, 10});
            if(end == 0 && accepted)
                end = 1;
            if(end == 2 && f.clock >= inv.expires)
                end = 1; // the link lapsed already: a decline instead, so no time goes back
            if(end == 0)
            {
                auto const t = tick(f);
                auto r = invitation_record(f, inv, "accepted");
                r["accepted_at"] = ts(t);
                r["pre_registration_access_token"] = "eyJhbGciOiJSUzI1NiJ9.e30.sig";
                bool const named = chance(0.85);
                r["fleet_id"] = named ? json::value(f.id) : json::value(nullptr);
                f.id_revealed = f.id_revealed || named;
                emit("invitation.accepted", r, soon(t), true);
                inv.state = invitation::accepted;
                accepted = &inv;
            }
            else if(end == 1)
            {
                auto const t = tick(f);
                auto r = invitation_record(f, inv, "declined");
                r["declined_at"] = ts(t);
                r["decline_reason"] = chance(0.5) ? json::value("Not interested") : json::value(nullptr);
                emit("invitation.declined", r, soon(t), true);
                inv.state = invitation::declined;
            }
            else if(end == 2)
            {
                f.clock = inv.expires; // later than every step so far, so still distinct
                emit("invitation.expired", invitation_record(f, inv, "expired"), soon(inv.expires), true);
                inv.state = invitation::expired;
            }
            else if(end == 3)
                delete_invitation(f, inv); // removed before acceptance
        }
        // A declined or expired invitation may be deleted later; an accepted one never.
        for(auto& inv : round)
            if((inv.state == invitation::declined || inv.state == invitation::expired) && chance(0.3))
                delete_invitation(f, inv);
        if(accepted)
            onboard(f, *accepted, again);
    }

    //---- agreements, connections, ingestion

    json::object agreement_record(fleet const& f, agreement const& a, std::string_view status)
    {
        json::object r{{"id", a.id},
                       {"fleet_id", f.id},
                       {"partner_id", partner_id_},
                       {"fleet_ref", optional(f.ref)},
                       {"status", status},
                       {"effective_date", a.created ? json::value(ts(*a.created)) : json::value(nullptr)},
                       {"expiration_date", nullptr},
                       {"scopes",
                        json::object{{"vehicle", "read"}, {"vehicle_location", "read"}, {"user", "read_write"}}}};
        if(!a.invitation_id.empty())
            r["invitation_id"] = a.invitation_id;
        return r;
    }

    void create_agreement(fleet& f, invitation const& inv)
    {
        agreement a;
        a.id = random_uuid(rng_);
        if(chance(0.8))
            a.invitation_id = inv.id;
        auto const t = tick(f);
        if(chance(0.8))
            a.created = t;
        auto r = agreement_record(f, a, "active");
        if(a.created)
        {
            r["created_at"] = ts(t);
            r["updated_at"] = ts(t);
        }
        emit("share_agreement.created", r, a.created ? soon(t) : t, a.created.has_value());
        f.id_revealed = true;
        if(chance(0.25))
        {
            auto const u = tick(f);
            r["updated_at"] = ts(u);
            r["scopes"].as_object()["hos_event"] = "read";
            emit("share_agreement.updated", r, soon(u), true);
        }
        f.agreements.push_back(std::move(a));
    }

    /// Every agreement deleted: the fleet is revoked.
    void revoke(fleet& f)
    {
        for(auto const& a : f.agreements)
        {
            auto const t = tick(f);
            auto r = agreement_record(f, a, "deleted");
            if(chance(0.6))
            {
                if(a.created)
                    r["created_at"] = ts(*a.created);
                r["updated_at"] = ts(t);
                emit("share_agreement.deleted", r, soon(t), true);
            }
            else
                emit("share_agreement.deleted", r, t, false); // no time but its envelope id's
        }
        f.agreements.clear();
    }

    json::object connection_record(fleet const& f, tsp_connection const& c, std::string_view status)
    {
        return {{"id", c.id}, {"source_name", c.source_name}, {"fleet_id", f.id}, {"tsp_id", c.tsp_id},
                {"status", status}};
    }

    void data(fleet& f, tsp_connection const& c, std::string_view resource, std::string const& schedule_id,
              timestamp ingested, timestamp emitted)
    {
        auto const kind = std::find_if(std::begin(data_kinds), std::end(data_kinds),
                                       [&](data_kind const& k) { return k.resource == resource; });
        bool const modified = kind->modifiable && chance(0.3);
        // Catena ingests a record minutes after it happened on the vehicle.
        auto const occurred = ingested - milliseconds(between(0, o_.max_data_lag.count()));
        auto const created = modified ? ingested - seconds(between(60, 3600)) : ingested;
        json::object r{{"id", random_uuid(rng_)},
                       {"fleet_id", f.id},
                       {"fleet_ref", optional(f.ref)},
                       {"tsp_id", c.tsp_id},
                       {"source_name", c.source_name},
                       {"connection_id", c.id},
                       {"source_id", "src-" + std::to_string(between(10000, 99999))},
                       {"created_at", ts(created)},
                       {"updated_at", ts(ingested)},
                       {"deleted_at", nullptr},
                       {"occurred_at", ts(occurred)},
                       {"execution_id", nullptr},
                       {"schedule_id", optional(schedule_id)},
                       {"extras", nullptr}};
        if(resource == "vehicle_location")
        {
            r["vehicle_id"] = random_uuid(rng_);
            r["location"] = json::object{{"type", "Point"}, {"coordinates", json::array{-97.7431, 30.2672}}};
            r["speed"] = between(0, 110);
        }
        emit(std::string(resource) + (modified ? ".modified" : ".added"), std::move(r), emitted, true);
    }

    /// Data ingested at a fresh step, sent soon after.
    void data(fleet& f, tsp_connection const& c, std::string_view resource, std::string const& schedule_id)
    {
        auto const t = tick(f);
        data(f, c, resource, schedule_id, t, soon(t));
    }

    void some_data(fleet& f, tsp_connection const& c)
    {
        auto const t = tick(f);
        some_data(f, c, t, soon(t));
    }

    /// Data of a random resource, sometimes one a schedule of the connection fetches (and
    /// then sometimes naming that schedule).
    void some_data(fleet& f, tsp_connection const& c, timestamp ingested, timestamp emitted)
    {
        if(chance(0.5))
        {
            auto const& s = one_of(c.schedules);
            data(f, c, s.resource, chance(0.4) ? s.id : std::string(), ingested, emitted);
        }
        else
            data(f, c, data_kinds[between(0, std::size(data_kinds) - 1)].resource, {}, ingested, emitted);
    }

    /// An execution of schedule `s`, at a fresh step unless `at` is given.
    void execution(fleet& f, tsp_connection const& c, schedule const& s, std::string_view event,
                   std::string_view status, std::optional<timestamp> at = {})
    {
        auto const t = at ? *at : tick(f);
        json::object r{{"id", random_uuid(rng_)},
                       {"created_at", ts(t - seconds(between(1, 30)))},
                       {"updated_at", ts(t)},
                       {"schedule_id", s.id},
                       {"connection_id", c.id},
                       {"fleet_id", f.id},
                       {"status", status},
                       {"source_name", c.source_name},
                       {"resource", s.resource}};
        emit(std::string(event), std::move(r), soon(t), true);
    }

    void deactivate(tsp_connection const& c, schedule const& s, timestamp t)
    {
        json::object r{{"id", s.id},
                       {"connection_id", c.id},
                       {"resource", s.resource},
                       {"execution_interval_seconds", 300},
                       {"status", "inactive"},
                       {"consecutive_error_threshold", 10},
                       {"max_concurrent_executions", 1}};
        emit("schedule.deactivated", std::move(r), t, false);
    }

    /// An alarm at a fresh step; sometimes data ingested just before it is delivered after it.
    template<class Alarm>
    void alarm_with_earlier_data(fleet& f, tsp_connection const& c, std::string_view resource, Alarm raise)
    {
        std::optional<timestamp> before;
        if(chance(0.25))
            before = tick(f);
        auto const a = tick(f);
        raise(a);
        if(before)
            data(f, c, resource, {}, *before, soon(a) + seconds(1));
    }

    void operations(fleet& f, tsp_connection& c)
    {
        for(auto n = between(0, 5); n > 0; --n)
        {
            auto const& s = one_of(c.schedules);
            switch(weighted({25, 10, 20, 25, 20}))
            {
            case 0: some_data(f, c); break;
            case 1: execution(f, c, s, "execution.created", chance(0.8) ? "success" : "scheduled"); break;
            case 2: // credentials invalid: re-authentication, data, a successful fetch, or nothing
                alarm_with_earlier_data(f, c, s.resource, [&](timestamp a) {
                    emit("connection.staled", connection_record(f, c, "stale"), a, false);
                });
                switch(weighted({30, 25, 15, 30}))
                {
                case 0: emit("connection.created", connection_record(f, c, "active"), tick(f), false); break;
                case 1: some_data(f, c); break;
                case 2: execution(f, c, s, "execution.created", "success"); break;
                default: break;
                }
                break;
            case 3: // schedule deactivated: healed by data of its resource or naming it, or a successful run
                alarm_with_earlier_data(f, c, s.resource, [&](timestamp a) { deactivate(c, s, a); });
                switch(weighted({30, 10, 15, 15, 30}))
                {
                case 0: data(f, c, s.resource, {}); break;
                case 1: data(f, c, s.resource == "user" ? "vehicle" : "user", s.id); break;
                case 2: // data of another resource: not the schedule's evidence
                    data(f, c, s.resource == "trailer" ? "engine_log" : "trailer", {});
                    break;
                case 3: execution(f, c, s, "execution.created", "success"); break;
                default: break;
                }
                break;
            default: // one fetch failed; Catena retries by itself
                alarm_with_earlier_data(f, c, s.resource, [&](timestamp a) {
                    execution(f, c, s, chance(0.85) ? "execution.failed" : "execution.staled", "failed", a);
                });
                switch(weighted({30, 30, 10, 30}))
                {
                case 0: some_data(f, c); break;
                case 1: execution(f, c, s, "execution.created", "success"); break;
                case 2: emit("connection.created", connection_record(f, c, "active"), tick(f), false); break;
                default: break;
                }
                break;
            }
        }
    }

    /// A TSP connection: connection.created (may be skipped), fleet_connection.created, its
    /// schedules' first runs and data.
    tsp_connection& connect(fleet& f)
    {
        tsp_connection c;
        c.id = random_uuid(rng_);
        c.source_name = tsp_names[between(0, std::size(tsp_names) - 1)];
        c.tsp_id = random_uuid(rng_);
        for(auto n = between(1, 2); n > 0; --n)
        {
            std::string_view resource = data_kinds[between(0, std::size(data_kinds) - 1)].resource;
            auto const same = [&](schedule const& s) { return s.resource == resource; };
            if(std::none_of(c.schedules.begin(), c.schedules.end(), same))
                c.schedules.push_back({random_uuid(rng_), std::string(resource)});
        }
        if(chance(0.85))
            emit("connection.created", connection_record(f, c, "active"), tick(f), false);
        if(chance(0.9))
        {
            json::object r{{"id", random_uuid(rng_)}, {"fleet_id", f.id}, {"connection_id", c.id}};
            emit("fleet_connection.created", std::move(r), tick(f), false);
        }
        for(auto const& s : c.schedules)
            if(chance(0.7))
                execution(f, c, s, "execution.created", "success");
        for(auto n = between(0, 2); n > 0; --n)
            some_data(f, c);
        f.connections.push_back(std::move(c));
        return f.connections.back();
    }

    void resource_operation(fleet& f, tsp_connection const& c)
    {
        auto const t = tick(f);
        json::object r{{"id", random_uuid(rng_)}, {"created_at", ts(t)}, {"updated_at", ts(t)},
                       {"partner_id", partner_id_}, {"connection_id", c.id}, {"fleet_ref", optional(f.ref)},
                       {"source_name", c.source_name}, {"resource", "message"}, {"resource_id", nullptr},
                       {"source_id", nullptr}, {"operation_type", "create"}, {"status", "pending"},
                       {"payload", json::object{{"message_text", "Load 42 ready"}}}, {"logs", json::array{}}};
        emit("resource_operation.created", r, soon(t), true);
        auto const u = tick(f);
        r["updated_at"] = ts(u);
        bool const ok = chance(0.7);
        r["status"] = ok ? "success" : "failed";
        if(ok)
        {
            r["resource_id"] = random_uuid(rng_);
            r["source_id"] = "msg-1";
        }
        emit(ok ? "resource_operation.succeeded" : "resource_operation.failed", r, soon(u), true);
    }

    void onboard(fleet& f, invitation const& inv, bool again)
    {
        if(chance(0.95))
            create_agreement(f, inv);
        auto const tsps = again ? (chance(0.5) ? 1 : 0) : 1 + weighted({60, 30, 10});
        for(std::size_t i = 0; i < tsps; ++i)
            operations(f, connect(f));
        if(!f.connections.empty() && chance(0.3))
            resource_operation(f, one_of(f.connections));
    }

    void fleet_history(fleet& f)
    {
        invitation_round(f, false);
        for(int round = 1; round < 3; ++round)
        {
            if(!f.agreements.empty() && chance(0.3))
            {
                revoke(f);
                if(!chance(0.4))
                    break;
            }
            else if(!chance(f.agreements.empty() ? 0.35 : 0.2))
                break;
            invitation_round(f, true);
        }
        if(chance(0.15))
        {
            static constexpr std::string_view actions[] = {"staled", "activated", "paused", "updated"};
            auto const action = actions[between(0, 3)];
            json::object r{{"id", random_uuid(rng_)},
                           {"url", "https://hooks.example.com/catena"},
                           {"event_name", "vehicle_location.added"},
                           {"filters", nullptr},
                           {"status", action == "staled" ? "stale" : action == "paused" ? "paused" : "active"}};
            emit("webhook." + std::string(action), std::move(r), tick(f), false);
        }
    }

    history_options const& o_;
    std::mt19937_64 rng_;
    std::string partner_id_;
    history h_;
};

} // namespace

history make_history(history_options const& o)
{
    return generator(o).run();
}

std::string to_text(history const& h)
{
    std::string out;
    for(auto const& f : h.facts)
    {
        out += ts(f.emitted);
        out += ' ';
        out += f.msg.event_name;
        out += ' ';
        out += f.msg.event_id.empty() ? std::string("-") : f.msg.event_id;
        out += ' ';
        out += f.msg.data.empty() ? std::string("{}") : json::serialize(f.msg.data.front());
        out += '\n';
    }
    return out;
}

} // namespace catena::webhooks::sim
