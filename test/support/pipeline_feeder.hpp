// SPDX-License-Identifier: BSL-1.0
// test/support/pipeline_feeder.hpp - deliveries shaped as Catena sends them, pushed through a pipeline that records its outputs.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_PIPELINE_FEEDER_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_PIPELINE_FEEDER_HPP

#include "processing/pipeline.hpp"
#include "sim.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <utility>
#include <vector>

namespace catena::webhooks::test {

inline timestamp const t0{std::chrono::seconds(1'764'000'000)};

struct recorder : catena::webhooks::detail::pipeline_sink
{
    std::vector<event> events;
    std::vector<transition> transitions;
    std::vector<fleet_merge> merges;
    std::vector<dead_letter> dead;
    std::vector<std::pair<error_code, std::string>> problems;
    std::vector<operation_result> operations;
    std::vector<subscription_event> subscriptions;
    std::vector<pending_operation> tracked; ///< Every on_tracked.
    std::vector<std::string> decided;       ///< Every on_decided.
    std::vector<catena::webhooks::detail::stored_operation> kept; ///< Every on_outcome.

    void on_event(event&& ev) override { events.push_back(std::move(ev)); }
    void on_transition(transition&& t) override { transitions.push_back(std::move(t)); }
    void on_merge(fleet_merge&& m) override { merges.push_back(std::move(m)); }
    void on_dead_letter(dead_letter&& d) override { dead.push_back(std::move(d)); }
    void on_problem(error_code ec, std::string detail, event const*) override { problems.emplace_back(ec, detail); }
    void on_operation(operation_result&& r, operation_handler&& h) override
    {
        if(h)
            h(r);
        operations.push_back(std::move(r));
    }
    void on_subscription(subscription_event&& s) override { subscriptions.push_back(std::move(s)); }
    void on_tracked(pending_operation const& p) override { tracked.push_back(p); }
    void on_decided(std::string const& id) override { decided.push_back(id); }
    void on_outcome(catena::webhooks::detail::stored_operation&& op) override { kept.push_back(std::move(op)); }
};

inline catena::webhooks::detail::pipeline_options options(std::chrono::milliseconds window = std::chrono::milliseconds(2000))
{
    catena::webhooks::detail::pipeline_options o;
    o.processing.reorder_window = window;
    return o;
}

struct feeder
{
    recorder sink;
    catena::webhooks::detail::pipeline p;
    std::uint64_t sequence = 0;

    explicit feeder(catena::webhooks::detail::pipeline_options o = options()) : p(std::move(o), sink) {}

    catena::webhooks::detail::push_result push(sim::message const& m, timestamp now, std::uint32_t attempt = 1)
    {
        catena::webhooks::detail::inbox_entry e;
        e.sequence = ++sequence;
        e.body = sim::render_body(m, attempt, now);
        e.webhook_id = m.webhook_id;
        e.request_id = "req-" + std::to_string(sequence);
        e.event_type = m.event_name;
        e.delivery_attempt = attempt;
        e.sent_at = now;
        e.received_at = now;
        p.release(now);
        return p.push(e, now);
    }
};

inline sim::message message(std::string event_name, boost::json::object record, std::string event_id = "",
                    std::string webhook_id = "wh-1")
{
    sim::message m;
    m.webhook_id = std::move(webhook_id);
    m.event_name = std::move(event_name);
    m.event_id = std::move(event_id);
    m.data.push_back(std::move(record));
    return m;
}


} // namespace catena::webhooks::test

#endif
