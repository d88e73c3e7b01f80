// SPDX-License-Identifier: BSL-1.0
// test/package/consumer.cpp - a program that uses the library the way a user's project does.
#include <catena/webhooks.hpp>

#include <boost/asio/io_context.hpp>

#include <iostream>

int main()
{
    namespace cw = catena::webhooks;
    cw::signer s;
    // Spec §3.6 TV-2.
    auto sig = s.sign("your-webhook-secret-min-12-chars", "2024-11-28T10:30:00+00:00",
                      R"({"version":"1.0","event_name":"webhook.staled","webhook_id":"247b2dea-a030-48b7-9a05-ee33c1b6ab0a","data":[]})");
    bool const ok = sig == "kMeIa6E7PXY8SUuC6CIYpsjC0TlYIxUM0lcTD/Xw/hg=";
    std::cout << "catena-webhooks " << CATENA_WEBHOOKS_VERSION_STRING << (ok ? " ok\n" : " WRONG SIGNATURE\n");
#if !CATENA_WEBHOOKS_HAS_POSTGRESQL
    // Built without PostgreSQL: a store shared on PostgreSQL is refused at start, by name.
    boost::asio::io_context ioc;
    cw::receiver_options o;
    o.listen = {boost::asio::ip::make_address_v4("127.0.0.1"), 0};
    o.secrets.add_default("your-webhook-secret-min-12-chars");
    o.store.postgres = "postgresql://app:s3cret@db.example/catena";
    cw::receiver rx{ioc.get_executor(), std::move(o)};
    auto const ec = rx.start();
    std::string const why = rx.start_detail();
    bool const refused = ec && why.find("no PostgreSQL support") != std::string::npos &&
                         why.find("s3cret") == std::string::npos;
    std::cout << "without PostgreSQL: " << (refused ? "refused: " : "NOT REFUSED AS IT SHOULD: ") << why << "\n";
    return ok && refused ? 0 : 1;
#else
    return ok ? 0 : 1;
#endif
}
