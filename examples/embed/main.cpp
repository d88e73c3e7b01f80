// SPDX-License-Identifier: BSL-1.0
// examples/embed/main.cpp - a complete service embedding the receiver (the README's first example).
#include <catena/webhooks.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>

int main()
{
    char const* id = std::getenv("CATENA_WEBHOOK_ID");         // your subscription's X-Webhook-ID;
    if(!id) id = "5f0c1e2a-0000-4000-8000-00000000a001";       // the default is catena-webhook-sim's
    char const* secret = std::getenv("CATENA_WEBHOOK_SECRET");
    boost::asio::io_context ioc;
    catena::webhooks::receiver_options opts;                   // 127.0.0.1:8080, /webhooks/catena
    if(!opts.secrets.add(id, secret ? secret : "")) { std::fprintf(stderr, "set CATENA_WEBHOOK_SECRET\n"); return 1; }
    catena::webhooks::receiver rx{ioc.get_executor(), std::move(opts)};
    rx.on("invitation.*", [](catena::webhooks::event const& e) {
        std::printf("%s %s fleet_ref=%s\n", e.event_name.c_str(), e.record_id.c_str(), e.fleet_ref.c_str());
        std::fflush(stdout);
    });
    rx.on_error([](catena::webhooks::error_report const& r) {  // every rejection, naming what it got
        std::fprintf(stderr, "%s: %s\n", std::string(r.reason).c_str(), r.detail.c_str());
    });
    if(auto ec = rx.start()) { std::fprintf(stderr, "%s: %s\n", ec.message().c_str(), rx.start_detail().c_str()); return 1; }
    ioc.run();
}
