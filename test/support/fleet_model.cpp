// SPDX-License-Identifier: BSL-1.0
// test/support/fleet_model.cpp - the fleet rules of docs/processing.md as tables, to be read beside it row by row.
#include "fleet_model.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace catena::webhooks::test {

namespace json = boost::json;

namespace {

std::string text(json::object const& r, std::string_view name)
{
    auto const* v = r.if_contains(name);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<timestamp> time_field(json::object const& r, std::string_view name)
{
    auto const* v = r.if_contains(name);
    if(!v || !v->is_string())
        return std::nullopt;
    auto const t = parse_rfc3339(v->get_string());
    if(!t)
        return std::nullopt;
    return *t;
}

std::string show(std::optional<timestamp> t)
{
    return t ? format_rfc3339(*t, utc_suffix::z) : std::string("-");
}

template<class Range>
bool contains(Range const& r, std::string_view v)
{
    return std::find(std::begin(r), std::end(r), v) != std::end(r);
}

//---- The time of a fact ("the first that the record has") ----------------------------------

constexpr std::string_view by_envelope = "envelope id";
constexpr std::string_view by_arrival = "received";

struct time_row
{
    std::string_view event; ///< "" is any event.
    std::array<std::string_view, 3> sources;
};

constexpr time_row time_rows[] = {
    {"", {"occurred_at"}},
    {"invitation.accepted", {"accepted_at"}},
    {"invitation.declined", {"declined_at"}},
    {"invitation.rejected", {"declined_at"}},
    {"invitation.expired", {"expires_at"}},
    {"invitation.deleted", {"deleted_at", "updated_at", by_envelope}},
    {"", {"updated_at", "created_at", by_envelope}},
    {"", {by_arrival}},
};

//---- Which resources are what --------------------------------------------------------------

// "resource_operation.*, webhook.* and tsp.* belong to no fleet."
constexpr std::string_view fleetless[] = {"resource_operation", "webhook", "tsp"};
// The ingestion time is that of "a data record (any resource but the lifecycle, operation,
// webhook and TSP ones)".
constexpr std::string_view lifecycle[] = {"invitation", "share_agreement", "connection",
                                          "fleet_connection", "execution", "schedule"};
// "made by any connection.*, fleet_connection.*, execution.* or schedule.* record naming it
// (data makes none)"
constexpr std::string_view connection_makers[] = {"connection", "fleet_connection", "execution", "schedule"};

std::string_view resource_of(std::string_view event)
{
    return event.substr(0, event.find('.'));
}

std::string_view action_of(std::string_view event)
{
    return event.find('.') == std::string_view::npos ? std::string_view() : event.substr(event.find('.') + 1);
}

/** A fact with the fields the rules read taken out of its record. */
struct fact
{
    model_fact const* src = nullptr;
    std::string const* key = nullptr; // its identity in the set, for a canonical order
    std::string event, resource, action;
    fact_time time;
    std::optional<timestamp> ingested; // data records only
    std::string id, fleet_id, fleet_ref, invitation_id, connection_id, schedule_id, status, of_resource;

    explicit fact(std::string const& k, model_fact const& f)
        : src(&f), key(&k), event(f.event_name), resource(resource_of(f.event_name)),
          action(action_of(f.event_name)), time(time_of(f)),
          id(text(f.record, "id")), fleet_id(text(f.record, "fleet_id")), fleet_ref(text(f.record, "fleet_ref")),
          invitation_id(text(f.record, "invitation_id")), connection_id(text(f.record, "connection_id")),
          schedule_id(text(f.record, "schedule_id")), status(text(f.record, "status")),
          of_resource(text(f.record, "resource"))
    {
        if(belongs_to_a_fleet(event) && !contains(lifecycle, resource))
        {
            // "the later of its created_at and updated_at, never its occurred_at"
            auto const c = time_field(f.record, "created_at"), u = time_field(f.record, "updated_at");
            ingested = c && u ? std::max(*c, *u) : c ? c : u ? u : std::optional<timestamp>(time.at);
        }
    }

    /// The connection it is about: a connection record's id, everything else's connection_id.
    std::string const& connection() const { return resource == "connection" ? id : connection_id; }
    /// The invitation it names: an invitation record's id, an agreement's invitation_id.
    std::string const& invitation() const { return resource == "invitation" ? id : invitation_id; }
    bool is_data() const { return ingested.has_value(); }
};

//---- Correlation: union-find over keys, never joining two fleet_ids ------------------------

struct links
{
    std::map<std::string, std::string> parent;
    std::map<std::string, std::string> fleet_id; // root -> its fleet_id

    void add(std::string const& k, bool is_fleet_id)
    {
        if(parent.emplace(k, k).second && is_fleet_id)
            fleet_id[k] = k;
    }

    std::string find(std::string k) const
    {
        for(auto it = parent.find(k); it != parent.end() && it->second != k; it = parent.find(k))
            k = it->second;
        return k;
    }

    void unite(std::string const& a, std::string const& b)
    {
        auto const ra = find(a), rb = find(b);
        if(ra == rb)
            return;
        if(fleet_id.count(ra) && fleet_id.count(rb))
            return; // "Two fleet_ids are never merged."
        parent[ra] = rb;
        if(fleet_id.count(ra) && !fleet_id.count(rb))
            fleet_id[rb] = fleet_id[ra];
    }
};

/// Every id a fact carries, as keys; its own fleet_id (when it has one) first.
std::vector<std::string> keys_of(fact const& f)
{
    std::vector<std::string> k;
    if(!f.fleet_id.empty())
        k.push_back(f.fleet_id);
    if(!f.fleet_ref.empty())
        k.push_back("ref:" + f.fleet_ref);
    if(!f.invitation().empty())
        k.push_back("invitation:" + f.invitation());
    if(!f.connection().empty())
        k.push_back("connection:" + f.connection());
    return k;
}

//---- The parts -----------------------------------------------------------------------------

struct invitation_part
{
    invitation_state state = invitation_state::created;
    timestamp created_at{};
    std::optional<timestamp> accepted_at, ended_at;

    bool ended() const { return state >= invitation_state::declined; }
    /// "its accepted_at once accepted, else its created_at"
    timestamp step_time() const { return state == invitation_state::accepted ? *accepted_at : created_at; }
};

// "created < sent < viewed < accepted, declined, expired; declined, expired < deleted".
std::optional<std::pair<invitation_state, int>> invitation_step(std::string_view action)
{
    static constexpr std::tuple<std::string_view, invitation_state, int> steps[] = {
        {"created", invitation_state::created, 0},   {"sent", invitation_state::sent, 1},
        {"viewed", invitation_state::viewed, 2},     {"accepted", invitation_state::accepted, 3},
        {"declined", invitation_state::declined, 3}, {"rejected", invitation_state::declined, 3},
        {"expired", invitation_state::expired, 3},   {"deleted", invitation_state::deleted, 4},
    };
    for(auto const& [name, state, rank] : steps)
        if(name == action)
            return std::pair{state, rank};
    return std::nullopt;
}

/// One invitation from its facts (in time order): the furthest step; "not after accepted"
/// for a deletion.
invitation_part make_invitation(std::vector<fact const*> const& fs)
{
    invitation_part p;
    bool accepted = false;
    std::optional<timestamp> created;
    for(auto const* f : fs)
    {
        accepted = accepted || f->action == "accepted";
        if(auto const c = time_field(f->src->record, "created_at"); c && (!created || *c < *created))
            created = c;
    }
    p.created_at = created ? *created : fs.front()->time.at;
    int best = -1;
    for(auto const* f : fs)
    {
        auto const step = invitation_step(f->action);
        if(!step || (step->first == invitation_state::deleted && accepted) || step->second < best)
            continue;
        best = step->second;
        p.state = step->first;
        p.ended_at = f->time.at;
        if(step->first == invitation_state::accepted)
            p.accepted_at = f->time.at;
    }
    if(!p.ended())
        p.ended_at.reset();
    return p;
}

struct agreement_part { bool active = true; std::optional<timestamp> deleted_at; };
struct connection_part { bool reported = false, linked = false; }; // a connection.* record; fleet_connection.created
struct schedule_part { std::string connection, resource; };

/** Everything one fleet is made of, and the values the stage rows read. */
struct fleet_parts
{
    std::map<std::string, invitation_part> invitations;
    std::map<std::string, agreement_part> agreements;
    std::map<std::string, connection_part> connections;
    std::map<std::string, schedule_part> schedules;
    /// R: "the time of the last agreement deletion when agreements are known and none is active".
    std::optional<timestamp> revoked_at;

    bool agreement_active() const
    {
        return std::any_of(agreements.begin(), agreements.end(), [](auto const& a) { return a.second.active; });
    }
    bool active_or_none() const { return agreements.empty() || agreement_active(); }
    /// "created, sent, viewed or accepted, and, when R is set, whose step time is after R"
    bool live(invitation_part const& i) const { return !i.ended() && (!revoked_at || i.step_time() > *revoked_at); }
    bool live_in(std::initializer_list<invitation_state> states) const
    {
        return std::any_of(invitations.begin(), invitations.end(), [&](auto const& i) {
            return live(i.second) && std::find(states.begin(), states.end(), i.second.state) != states.end();
        });
    }
    /// "invitations known and every one ended: the one whose end time is latest decides"; the
    /// rows' order (deleted, expired, declined) settles equal end times.
    bool latest_end_is(invitation_state s) const
    {
        if(invitations.empty())
            return false;
        timestamp latest{};
        for(auto const& [id, i] : invitations)
        {
            if(!i.ended())
                return false;
            latest = std::max(latest, *i.ended_at);
        }
        return std::any_of(invitations.begin(), invitations.end(),
                           [&](auto const& i) { return i.second.state == s && *i.second.ended_at == latest; });
    }
    bool any_connection(bool connection_part::*flag) const
    {
        return std::any_of(connections.begin(), connections.end(), [&](auto const& c) { return c.second.*flag; });
    }
};

//---- Stage: the first row that holds, top to bottom -----------------------------------------

struct stage_row { catena::webhooks::stage result; std::string_view when; bool (*holds)(fleet_parts const&); };

stage_row const stage_rows[] = {
    {stage::connected, "a linked connection, and an active agreement or none known",
     [](fleet_parts const& p) { return p.any_connection(&connection_part::linked) && p.active_or_none(); }},
    {stage::connection, "a reported connection, and an active agreement or none known",
     [](fleet_parts const& p) { return p.any_connection(&connection_part::reported) && p.active_or_none(); }},
    {stage::agreement, "an active agreement", [](fleet_parts const& p) { return p.agreement_active(); }},
    {stage::accepted, "the furthest live invitation is accepted",
     [](fleet_parts const& p) { return p.live_in({invitation_state::accepted}); }},
    {stage::viewed, "the furthest live invitation is viewed",
     [](fleet_parts const& p) { return p.live_in({invitation_state::viewed}); }},
    {stage::invited, "the furthest live invitation is created or sent",
     [](fleet_parts const& p) { return p.live_in({invitation_state::created, invitation_state::sent}); }},
    {stage::revoked, "agreements known, none active",
     [](fleet_parts const& p) { return !p.agreements.empty() && !p.agreement_active(); }},
    {stage::deleted, "every invitation ended, the latest end a deletion",
     [](fleet_parts const& p) { return p.latest_end_is(invitation_state::deleted); }},
    {stage::expired, "every invitation ended, the latest end an expiry",
     [](fleet_parts const& p) { return p.latest_end_is(invitation_state::expired); }},
    {stage::declined, "every invitation ended, the latest end a decline",
     [](fleet_parts const& p) { return p.latest_end_is(invitation_state::declined); }},
    {stage::none, "nothing of the above known", [](fleet_parts const&) { return true; }},
};

//---- Health: each alarm holds until evidence strictly after its time -------------------------

/** The part a health row is evaluated on: a connection, or a schedule of one. */
struct part_ref { std::string_view connection, schedule, resource; };

bool on_connection(fact const& f, part_ref const& p) { return f.connection() == p.connection; }

// "connection.created on it; a data record on it (by ingestion time); an execution on it
// whose status is success"
std::optional<timestamp> connection_evidence(fact const& f, part_ref const& p)
{
    if(!on_connection(f, p))
        return std::nullopt;
    if(f.is_data())
        return f.ingested;
    bool const evidence = f.event == "connection.created" || (f.resource == "execution" && f.status == "success");
    return evidence ? std::optional(f.time.at) : std::nullopt;
}

// "a data record on its connection of its resource or carrying its schedule_id (by ingestion
// time); an execution of it (schedule_id) whose status is success"
std::optional<timestamp> schedule_evidence(fact const& f, part_ref const& p)
{
    if(f.is_data() && ((on_connection(f, p) && !p.resource.empty() && f.resource == p.resource) ||
                       f.schedule_id == p.schedule))
        return f.ingested;
    if(f.resource == "execution" && f.schedule_id == p.schedule && f.status == "success")
        return f.time.at;
    return std::nullopt;
}

struct health_row
{
    catena::webhooks::health result;
    std::string_view part; // "connection" or "schedule"
    bool (*alarm)(fact const&, part_ref const&);
    std::optional<timestamp> (*evidence)(fact const&, part_ref const&);
};

health_row const health_rows[] = {
    {health::stale, "connection",
     [](fact const& f, part_ref const& p) { return f.event == "connection.staled" && on_connection(f, p); },
     connection_evidence},
    {health::halted, "schedule",
     [](fact const& f, part_ref const& p) { return f.event == "schedule.deactivated" && f.id == p.schedule; },
     schedule_evidence},
    {health::degraded, "connection",
     [](fact const& f, part_ref const& p) {
         return (f.event == "execution.failed" || f.event == "execution.staled") && on_connection(f, p);
     },
     connection_evidence},
};

/// The first of `part`'s rows that holds (ok when none does), with the times compared.
std::pair<health, std::string> part_health(std::vector<fact> const& fs, std::string_view part, part_ref const& p)
{
    std::string why;
    for(auto const& row : health_rows)
    {
        if(row.part != part)
            continue;
        fact const *alarm = nullptr, *evidence = nullptr;
        std::optional<timestamp> evidence_at;
        for(auto const& f : fs)
        {
            if(row.alarm(f, p) && (!alarm || f.time.at > alarm->time.at))
                alarm = &f;
            if(auto const e = row.evidence(f, p); e && (!evidence_at || *e > *evidence_at))
                evidence = &f, evidence_at = e;
        }
        if(!alarm)
            continue;
        // An alarm holds until evidence strictly after its time clears it.
        bool const holds = !evidence_at || alarm->time.at >= *evidence_at;
        why += "    " + std::string(to_string(row.result)) + (holds ? " holds" : " cleared") + ": latest " +
               alarm->event + " at " + show(alarm->time.at) + " (" + std::string(alarm->time.from) +
               "), latest evidence " + (evidence ? evidence->event + " at " + show(evidence_at) : std::string("none")) +
               (evidence && evidence->is_data() ? " (ingestion time)" : "") + "\n";
        if(holds)
            return {row.result, why};
    }
    return {health::ok, why};
}

//---- All fleets from all facts ---------------------------------------------------------------

struct computed_fleet { model_fleet out; std::string why; };

std::vector<computed_fleet> compute(std::map<std::string, model_fact> const& facts)
{
    std::vector<fact> fs;
    for(auto const& [k, f] : facts)
        fs.emplace_back(k, f);
    // Links are made in the order things happened, so a conflict is settled the same way
    // whatever order the facts were added in.
    std::sort(fs.begin(), fs.end(),
              [](fact const& a, fact const& b) { return std::tie(a.time.at, *a.key) < std::tie(b.time.at, *b.key); });

    links l;
    for(auto const& f : fs)
    {
        if(!belongs_to_a_fleet(f.event))
            continue;
        auto const keys = keys_of(f);
        for(auto const& k : keys)
            l.add(k, &k == &keys.front() && !f.fleet_id.empty());
        for(auto const& k : keys)
            l.unite(keys.front(), k);
    }

    std::map<std::string, computed_fleet> fleets; // by root
    std::map<std::string, fleet_parts> parts;     // by root
    for(auto const& [k, parent] : l.parent)
        fleets[l.find(k)].out.lookups.insert(k);

    std::map<std::string, std::vector<fact const*>> invitation_facts, agreement_facts;
    for(auto const& f : fs)
    {
        if(!belongs_to_a_fleet(f.event))
            continue;
        if(f.resource == "invitation" && !f.id.empty() && invitation_step(f.action))
            invitation_facts[f.id].push_back(&f);
        if(f.resource == "share_agreement" && !f.id.empty())
            agreement_facts[f.id].push_back(&f);
        auto const& c = f.connection();
        if(!c.empty() && contains(connection_makers, f.resource))
        {
            auto& part = parts[l.find("connection:" + c)].connections[c];
            part.reported = part.reported || f.resource == "connection";
            part.linked = part.linked || f.event == "fleet_connection.created";
        }
        auto const schedule =
            f.resource == "schedule" ? f.id : f.resource == "execution" ? f.schedule_id : std::string();
        if(!schedule.empty() && !f.connection_id.empty())
        {
            auto& s = parts[l.find("connection:" + f.connection_id)].schedules[schedule];
            s.connection = f.connection_id;
            // The schedule's own record names its resource; an execution's stands in until then.
            if(s.resource.empty() || f.resource == "schedule")
                s.resource = f.of_resource;
        }
    }
    for(auto const& [id, list] : invitation_facts)
        parts[l.find("invitation:" + id)].invitations[id] = make_invitation(list);
    for(auto const& [id, list] : agreement_facts)
    {
        auto const keys = keys_of(*list.front());
        if(keys.empty())
            continue;
        agreement_part a;
        for(auto const* f : list)
            if(f->action == "deleted")
                a.active = false, a.deleted_at = std::max(a.deleted_at.value_or(f->time.at), f->time.at);
        parts[l.find(keys.front())].agreements[id] = a;
    }

    std::vector<computed_fleet> out;
    for(auto& [root, cf] : fleets)
    {
        auto& p = parts[root];
        auto& m = cf.out;
        m.key = l.fleet_id.count(root) ? l.fleet_id.at(root) : std::string();
        for(std::string_view kind : {"ref:", "invitation:", "connection:"})
            for(auto it = m.lookups.begin(); m.key.empty() && it != m.lookups.end(); ++it)
                if(it->starts_with(kind))
                    m.key = *it;
        if(!p.agreements.empty() && !p.agreement_active())
            for(auto const& [id, a] : p.agreements)
                p.revoked_at = std::max(p.revoked_at.value_or(*a.deleted_at), *a.deleted_at);

        cf.why = "fleet " + m.key + "\n  known by:";
        for(auto const& k : m.lookups)
            cf.why += " " + k;
        cf.why += "\n  stage rows (R = " + show(p.revoked_at) + "):\n";
        bool decided = false;
        for(auto const& row : stage_rows)
        {
            bool const holds = row.holds(p);
            cf.why += std::string("    [") + (holds ? (decided ? "x" : "X") : " ") + "] " +
                      std::string(row.result == stage::none ? "none" : to_string(row.result)) + ": " +
                      std::string(row.when) + "\n";
            if(holds && !decided)
                m.stage = row.result, decided = true;
        }
        for(auto const& [id, i] : p.invitations)
        {
            m.invitations[id] = i.state;
            cf.why += "  invitation " + id + ": " + std::string(to_string(i.state)) + ", step time " +
                      show(i.step_time()) + ", end time " + show(i.ended_at) + (p.live(i) ? ", live" : "") + "\n";
        }
        for(auto const& [id, a] : p.agreements)
        {
            m.agreements[id] = a.active;
            cf.why += "  agreement " + id + (a.active ? ": active\n" : ": deleted at " + show(a.deleted_at) + "\n");
        }
        for(auto const& [id, c] : p.connections)
        {
            auto const [h, why] = part_health(fs, "connection", {id, {}, {}});
            m.connections[id] = h;
            if(severity(h) > severity(m.health))
                m.health = h;
            cf.why += "  connection " + id + (c.reported ? " reported" : "") + (c.linked ? " linked" : "") + ": " +
                      std::string(to_string(h)) + "\n" + why;
        }
        for(auto const& [id, s] : p.schedules)
        {
            auto const [h, why] = part_health(fs, "schedule", {s.connection, id, s.resource});
            m.schedules[id] = h == health::halted;
            if(severity(h) > severity(m.health))
                m.health = h;
            cf.why += "  schedule " + id + " (" + s.resource + " on " + s.connection + "): " +
                      std::string(to_string(h)) + "\n" + why;
        }
        cf.why += "  => " + std::string(m.stage == stage::none ? "none" : to_string(m.stage)) + ", " +
                  std::string(to_string(m.health)) + "\n";
        out.push_back(std::move(cf));
    }
    std::sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.out.key < b.out.key; });
    return out;
}

} // namespace

std::optional<timestamp> uuid_v7_time(std::string_view id)
{
    // xxxxxxxx-xxxx-7xxx-...: the version nibble is the 15th character.
    if(id.size() != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7')
        return std::nullopt;
    std::uint64_t high = 0, low = 0;
    auto const a = std::from_chars(id.data(), id.data() + 8, high, 16);
    auto const b = std::from_chars(id.data() + 9, id.data() + 13, low, 16);
    if(a.ptr != id.data() + 8 || b.ptr != id.data() + 13)
        return std::nullopt;
    return timestamp{std::chrono::milliseconds(high << 16 | low)};
}

fact_time time_of(model_fact const& f)
{
    for(auto const& row : time_rows)
    {
        if(!row.event.empty() && row.event != f.event_name)
            continue;
        for(auto const source : row.sources)
        {
            if(source.empty())
                break;
            if(source == by_arrival)
                return {f.received, by_arrival};
            auto const t = source == by_envelope ? uuid_v7_time(f.envelope_id) : time_field(f.record, source);
            if(t)
                return {*t, source};
        }
    }
    return {f.received, by_arrival};
}

bool belongs_to_a_fleet(std::string_view event_name)
{
    return !contains(fleetless, resource_of(event_name));
}

void fleet_model::add(model_fact f)
{
    auto key = f.event_name + '\n' + f.envelope_id + '\n' + json::serialize(f.record);
    auto [it, fresh] = facts_.try_emplace(std::move(key), f);
    // A content seen twice is one fact; the earliest receipt is its arrival.
    if(!fresh && f.received < it->second.received)
        it->second.received = f.received;
}

std::vector<model_fleet> fleet_model::fleets() const
{
    std::vector<model_fleet> out;
    for(auto& cf : compute(facts_))
        out.push_back(std::move(cf.out));
    return out;
}

std::optional<model_fleet> fleet_model::find(std::string const& key) const
{
    for(auto& f : fleets())
        if(f.lookups.count(key))
            return std::move(f);
    return std::nullopt;
}

std::string fleet_model::explain(std::string const& key) const
{
    for(auto const& cf : compute(facts_))
        if(cf.out.lookups.count(key))
            return cf.why;
    return "no fleet is known by " + key + "\n";
}

} // namespace catena::webhooks::test
