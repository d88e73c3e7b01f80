// SPDX-License-Identifier: BSL-1.0
// test/package/consumer.cpp - a program that uses the library the way a user's project does.
#include <catena/webhooks.hpp>

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
    return ok ? 0 : 1;
}
