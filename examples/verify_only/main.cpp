// SPDX-License-Identifier: BSL-1.0
// examples/verify_only/main.cpp - verifies one delivery read from files, with nothing else of the library.
//
// Usage: example_verify_only HEADERS_FILE BODY_FILE [NOW]
// HEADERS_FILE holds "Name: value" lines (as `curl -D` writes them, or a proxy logs them),
// BODY_FILE the body exactly as received (gzip when Content-Encoding says so), NOW an RFC 3339
// instant to verify at (default: the clock). The secret is CATENA_WEBHOOK_SECRET.
// Prints what to answer Catena; exits 0 when the delivery is authentic, 1 when not (or it cannot
// be verified), 2 on bad usage.
#include <catena/webhooks/verifier.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace cw = catena::webhooks;

int main(int argc, char** argv)
{
    if(argc < 3)
    {
        std::fprintf(stderr, "usage: %s HEADERS_FILE BODY_FILE [NOW]\n", argv[0]);
        return 2;
    }
    std::ifstream hf(argv[1]), bf(argv[2], std::ios::binary);
    if(!hf || !bf)
    {
        std::fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    std::vector<std::string> lines;
    for(std::string line; std::getline(hf, line);)
        lines.push_back(line.ends_with('\r') ? line.substr(0, line.size() - 1) : line);
    std::vector<cw::header_field> headers;
    for(auto const& l : lines)
        if(auto colon = l.find(':'); colon != std::string::npos)
        {
            auto value = std::string_view(l).substr(colon + 1);
            value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
            headers.push_back({std::string_view(l).substr(0, colon), value});
        }
    std::string const body{std::istreambuf_iterator<char>(bf), std::istreambuf_iterator<char>()};

    cw::secret_ring secrets; // one secret for whatever X-Webhook-ID the delivery names
    char const* secret = std::getenv("CATENA_WEBHOOK_SECRET");
    secrets.add_default(secret ? secret : "");
    secrets.set_unknown_policy(cw::unknown_webhook_policy::try_defaults);
    auto now = cw::system_now();
    if(argc > 3)
    {
        auto t = cw::parse_rfc3339(argv[3]);
        if(!t)
        {
            std::fprintf(stderr, "NOW is not an RFC 3339 instant: %s\n", argv[3]);
            return 2;
        }
        now = *t;
    }

    auto const e = cw::verify_envelope(headers, body, secrets, now);
    auto const ec = e ? cw::error_code{} : e.error();
    unsigned const status = cw::answer_status(ec);
    auto const why = cw::reason(ec);
    if(e)
        std::printf("authentic: %.*s, %zu records; keep it, then answer %u\n", static_cast<int>(e->event_name().size()),
                    e->event_name().data(), e->records().size(), status);
    else if(status == 202)
        std::printf("authentic but not an envelope (%.*s): keep it for inspection, then answer 202\n",
                    static_cast<int>(why.size()), why.data());
    else if(ec == cw::condition::unauthenticated)
        std::printf("not authentic (%.*s): answer %u\n", static_cast<int>(why.size()), why.data(), status);
    else
        std::printf("cannot be verified now (%.*s): answer %u with Retry-After\n", static_cast<int>(why.size()),
                    why.data(), status);
    return status == 202 ? 0 : 1;
}
