// SPDX-License-Identifier: BSL-1.0
// examples/operations/main.cpp - fleet lifecycle, subscription health and tracking an asynchronous write.
//
// A service that follows each fleet's onboarding, tells operators when a subscription stops
// delivering, and learns the outcome of a write it made through Catena's API. Run it, then
// feed it with: catena-webhook-sim scenario --target 127.0.0.1:8080 --fleets 5
#include <catena/webhooks.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace cw = catena::webhooks;

int main()
{
    boost::asio::io_context ioc;
    cw::receiver_options opts;
    if(char const* s = std::getenv("CATENA_WEBHOOK_SECRET"))
    {
        opts.secrets.add_default(s); // tried for every subscription, as catena-webhookd does
        opts.secrets.set_unknown_policy(cw::unknown_webhook_policy::try_defaults);
    }
    // Catena retries within about 5 s; hold events up to 3 s to put them back in order.
    opts.processing.reorder_window = std::chrono::seconds(3);
    // An operation whose result webhook does not come (a subscription stale or paused meanwhile)
    // is asked of Catena's Integrations API after 5 minutes, or at once after a delivery gap.
    if(std::getenv("CATENA_CLIENT_ID") && std::getenv("CATENA_CLIENT_SECRET"))
    {
        opts.operations.enabled = true;
        opts.operations.api.client_id = std::getenv("CATENA_CLIENT_ID");
        opts.operations.api.client_secret = std::getenv("CATENA_CLIENT_SECRET");
    }
    cw::receiver rx{ioc.get_executor(), std::move(opts)};

    // Stage and health changes, once per event, in order per fleet.
    rx.on_transition([](cw::transition const& t) {
        std::printf("fleet %s: %s %.*s -> %.*s (%s)\n", t.fleet_key.c_str(), std::string(cw::to_string(t.what)).c_str(),
                    static_cast<int>(t.from.size()), t.from.data(), static_cast<int>(t.to.size()), t.to.data(),
                    t.cause.c_str());
        if(t.to == "connected")
            std::printf("  -> backfill fleet %s from the REST API: ingestion starts now\n", t.fleet_id.c_str());
        if(t.to == "stale")
            std::printf("  -> ask fleet %s to re-authenticate with its invitation link\n", t.fleet_id.c_str());
    });
    rx.on_merge([](cw::fleet_merge const& m) { std::printf("%s is now %s\n", m.from.c_str(), m.into.c_str()); });

    // webhook.staled / webhook.paused: Catena stopped delivering to a subscription.
    rx.on_subscription([](cw::subscription_event const& e) {
        if(e.delivery_stopped())
            std::printf("subscription %s %s: reactivate it, replay its dead letters, backfill the gap\n",
                        e.subscription_id.c_str(), e.action.c_str());
    });

    // After POST /v2/.../messages answered 202 with the operation ({"id": ..., "connection_id":
    // ..., "status": "pending", ...}), in OPERATION here; or only its id, in OPERATION_ID.
    auto on_outcome = [](cw::operation_result const& r) {
        auto const how = std::string(cw::to_string(r.source));
        if(r.status == cw::operation_status::success)
            std::printf("operation %s done (%s): %s %s\n", r.operation_id.c_str(), how.c_str(), r.resource.c_str(),
                        r.resource_id.c_str());
        else
            std::printf("operation %s not done (%s): %s %s\n", r.operation_id.c_str(), how.c_str(),
                        r.error_type.c_str(), r.error_details.c_str());
    };
    if(char const* body = std::getenv("OPERATION"))
    {
        if(auto op = cw::parse_operation_response(body))
            rx.track_operation(*op, on_outcome);
        else
            std::fprintf(stderr, "OPERATION is not the operation of a 202\n");
    }
    else if(char const* op = std::getenv("OPERATION_ID"))
        rx.track_operation(op, on_outcome);

    rx.on_error([](cw::error_report const& r) {
        std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(r.reason.size()), r.reason.data(), r.detail.c_str());
    });
    if(auto ec = rx.start())
    {
        std::fprintf(stderr, "cannot start: %s\n", ec.message().c_str());
        return 1;
    }
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) { rx.stop(); });
    ioc.run();
    for(auto const& f : rx.fleets_in(cw::stage::connected))
        std::printf("connected: %s (%s)\n", f.key.c_str(), std::string(cw::to_string(f.health)).c_str());
    // The fleets that need attention, a page at a time, and what each subscription delivered.
    auto const tally = rx.tally();
    std::printf("%llu fleets, %llu stale\n", static_cast<unsigned long long>(tally.total),
                static_cast<unsigned long long>(tally.by_health[static_cast<std::size_t>(cw::health::stale)]));
    cw::fleet_query q;
    q.health = cw::health::stale;
    for(;;)
    {
        auto page = rx.fleets(q);
        for(auto const& f : page.fleets)
            std::printf("stale: %s\n", f.key.c_str());
        if(page.next_cursor.empty())
            break;
        q.after = page.next_cursor;
    }
    for(auto const& s : rx.subscriptions())
        std::printf("subscription %s: %llu deliveries%s\n", s.webhook_id.c_str(),
                    static_cast<unsigned long long>(s.deliveries), s.delivery_stopped ? ", stopped" : "");
}
