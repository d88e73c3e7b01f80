// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_delivery_sequence.cpp - sequences of deliveries through dedup, reorder and the fleet lifecycle.
//
// The input is read twice.
//
// As a program of operations, each an opcode byte and its operands:
//   0 deliver: event (1 byte), envelope id (1, 0 = none), subscription (1), fleet ids (4),
//              time offset (1), record count (1)
//   1 advance the clock by (1) * 100 ms and release
//   2 track an operation (1) with a deadline (1) * 100 ms ahead
//   3 deliver a raw body: length (1), bytes
//   4 flush
// Ids come from small pools so that links, merges, duplicates and late events are frequent.
// Invariants: no crash; each event's idempotency key is released at most once; a late event
// causes no transition but a merge's and a health one's (a late data record is still evidence
// of ingestion); a fleet's stage transitions chain (each `from` is the
// previous `to`, across merges); the buffer honours its bounds and is empty after a flush.
//
// As a history (see fleet_history.hpp): facts of two fleets' journeys, each with its own time, that
// the rules of docs/processing.md judge by those times alone ("never from the order deliveries
// arrived in"). The history is delivered in two arrival orders (as written, and reversed or
// shuffled by the input), each into a fresh pipeline that applies every delivery before the
// next arrives. Invariants: every distinct delivery gives exactly one event, a repeated one
// none; and each fleet whose fleet_id the history names ends the same in both: stage,
// health, and every invitation, agreement, connection and schedule with its state (two rules
// the fleet does not follow yet are left out: health_by_time and deletion_after_end in
// fleet_history.hpp).
#include "fleet_history.hpp"
#include "processing/pipeline.hpp"

#include <boost/json/serialize.hpp>

#include <map>
#include <set>
#include <string>

namespace {

namespace cw = catena::webhooks;
namespace json = boost::json;
using cw::fuzz::require;

constexpr char const* event_names[] = {
    "invitation.created",      "invitation.sent",         "invitation.viewed",        "invitation.accepted",
    "invitation.declined",     "invitation.expired",      "invitation.deleted",       "share_agreement.created",
    "share_agreement.deleted", "connection.created",      "connection.staled",        "fleet_connection.created",
    "execution.failed",        "execution.created",       "schedule.deactivated",     "vehicle_location.added",
    "resource_operation.created", "resource_operation.succeeded", "resource_operation.failed", "webhook.staled",
    "tsp.created",             "unknown.event",
};
constexpr std::size_t event_count = sizeof(event_names) / sizeof(event_names[0]);

struct checker : cw::detail::pipeline_sink
{
    std::set<std::string> keys;
    bool last_late = false;
    std::map<std::string, std::string> stage; // fleet key -> current stage name

    void on_event(cw::event&& ev) override
    {
        require(keys.insert(ev.idempotency_key).second, "an idempotency key was released twice");
        last_late = ev.late;
    }
    void on_transition(cw::transition&& t) override
    {
        // A late event changes no part's state; the link it reveals may still merge two
        // journeys, and the merge reports what the merged parts say (its key names the merge).
        // A late data record was still ingested: evidence that may clear an alarm (health).
        bool const health = t.what == cw::dimension::health || t.what == cw::dimension::connection ||
                            t.what == cw::dimension::schedule;
        require(!last_late || health || t.idempotency_key.find("#merge/") != std::string::npos,
                "a late event moved state");
        if(t.what != cw::dimension::stage)
            return;
        auto& cur = stage[t.fleet_key];
        require(cur == t.from, "a fleet's stage transitions do not chain");
        cur = std::string(t.to);
    }
    void on_merge(cw::fleet_merge&& m) override
    {
        // The merged journey's stage continues under the new key.
        auto it = stage.find(m.from);
        if(it != stage.end())
        {
            if(!stage.contains(m.into) || stage[m.into].empty())
                stage[m.into] = it->second;
            stage.erase(it);
        }
    }
    void on_dead_letter(cw::dead_letter&&) override {}
    void on_problem(cw::error_code, std::string, cw::event const*) override {}
    void on_operation(cw::operation_result&& r, cw::operation_handler&& h) override
    {
        if(h)
            h(r);
    }
    void on_subscription(cw::subscription_event&&) override {}
};

struct reader
{
    std::uint8_t const* p;
    std::size_t n;
    std::uint8_t byte()
    {
        if(n == 0)
            return 0;
        --n;
        return *p++;
    }
};

std::string pick(char const* prefix, std::uint8_t v, unsigned pool)
{
    if(v % (pool + 1) == 0)
        return {};
    return std::string(prefix) + std::to_string(v % (pool + 1));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    checker sink;
    cw::detail::pipeline_options o;
    o.processing.reorder_window = std::chrono::milliseconds(500);
    o.processing.reorder_max_events = 16;
    o.processing.reorder_max_bytes = 1u << 16;
    o.processing.max_tracked_operations = 4;
    // Memories sized for a program, not for a receiver (they are allocated whole at start).
    o.processing.dedup_max_identities = 1024;
    o.processing.max_record_versions = 1024;
    o.processing.max_cross_subscription_events = 1024;
    cw::detail::pipeline p(o, sink);
    cw::timestamp now{std::chrono::seconds(1'764'000'000)};
    std::uint64_t sequence = 0;
    reader r{data, size};
    int ops = 0;
    while(r.n > 0 && ++ops < 256)
    {
        switch(r.byte() % 5)
        {
        case 0: {
            auto const name = std::string(event_names[r.byte() % event_count]);
            auto const id = r.byte() % 9;
            auto const sub = "wh-" + std::to_string(r.byte() % 2);
            auto const fleet_id = pick("fleet-", r.byte(), 3);
            auto const fleet_ref = pick("REF-", r.byte(), 3);
            auto const invitation = pick("inv-", r.byte(), 3);
            auto const connection = pick("conn-", r.byte(), 3);
            auto const when = now + std::chrono::milliseconds(100 * (static_cast<int>(r.byte()) - 128));
            unsigned const records = 1u + r.byte() % 3u;
            json::object env{{"version", "1.0"}, {"event_name", name}, {"webhook_id", sub},
                             {"timestamp", cw::format_rfc3339(now)}};
            env["id"] = id ? json::value("0190-" + std::to_string(id)) : json::value(nullptr);
            json::array recs;
            for(unsigned i = 0; i < records; ++i)
            {
                json::object rec;
                rec["id"] = name.starts_with("invitation.") && !invitation.empty() ? invitation
                            : name.starts_with("connection.") && !connection.empty() ? connection
                                                                                    : "rec-" + std::to_string(i);
                if(!fleet_id.empty())
                    rec["fleet_id"] = fleet_id;
                if(!fleet_ref.empty())
                    rec["fleet_ref"] = fleet_ref;
                if(!invitation.empty() && !name.starts_with("invitation."))
                    rec["invitation_id"] = invitation;
                if(!connection.empty() && !name.starts_with("connection."))
                    rec["connection_id"] = connection;
                rec["status"] = name.ends_with("failed") ? "failed" : "success";
                rec["updated_at"] = cw::format_rfc3339(when + std::chrono::milliseconds(i));
                recs.push_back(std::move(rec));
            }
            env["data"] = std::move(recs);
            cw::detail::inbox_entry e;
            e.sequence = ++sequence;
            e.body = json::serialize(env);
            e.webhook_id = sub;
            e.event_type = name;
            e.received_at = now;
            p.push(e, now);
            break;
        }
        case 1:
            now += std::chrono::milliseconds(100 * r.byte());
            p.release(now);
            break;
        case 2: {
            auto const id = "rec-" + std::to_string(r.byte() % 3);
            (void)p.track(id, [](cw::operation_result const&) {}, now + std::chrono::milliseconds(100 * r.byte()));
            break;
        }
        case 3: {
            std::string body;
            auto len = r.byte();
            while(len-- && r.n)
                body.push_back(static_cast<char>(r.byte()));
            cw::detail::inbox_entry e;
            e.sequence = ++sequence;
            e.body = std::move(body);
            e.webhook_id = "wh-0";
            e.received_at = now;
            p.push(e, now);
            break;
        }
        case 4:
            p.flush(now);
            break;
        }
        auto const st = p.stats();
        require(st.held <= o.processing.reorder_max_events && st.held_bytes <= o.processing.reorder_max_bytes,
                "the reorder buffer went past its bounds");
    }
    p.flush(now);
    require(p.stats().held == 0, "a flush left events held");

    cw::fuzz::bytes_reader in(data, size);
    auto const h = cw::fuzz::read_history(in);
    cw::fuzz::check_arrival_orders(h, in);
    return 0;
}
