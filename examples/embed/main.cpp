// SPDX-License-Identifier: BSL-1.0
// examples/embed/main.cpp - a complete service embedding the receiver (the README's first example).
#include <catena/webhooks.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>

int main()
{
    boost::asio::io_context ioc;
    catena::webhooks::receiver_options opts;                  // 127.0.0.1:8080, /webhooks/catena
    opts.secrets.add("247b2dea-a030-48b7-9a05-ee33c1b6ab0a",   // X-Webhook-ID of the subscription
                     std::getenv("CATENA_WEBHOOK_SECRET") ? std::getenv("CATENA_WEBHOOK_SECRET") : "");
    catena::webhooks::receiver rx{ioc.get_executor(), std::move(opts)};
    rx.on("invitation.*", [](catena::webhooks::event const& e) {
        std::printf("%s %s fleet_ref=%s\n", e.event_name.c_str(), e.record_id.c_str(), e.fleet_ref.c_str());
    });
    if(auto ec = rx.start()) { std::fprintf(stderr, "%s\n", ec.message().c_str()); return 1; }
    ioc.run();
}
