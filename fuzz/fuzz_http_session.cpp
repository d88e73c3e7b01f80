// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_http_session.cpp - arbitrary bytes into one connection's session, over an in-memory stream.
//
// Input: one byte that cuts the rest into reads ((b % 64) + 1 bytes each, 0: all at once),
// then the bytes a client sends on one connection (requests, pipelined or not, or anything).
// Invariant: the session never crashes and never hangs; once the client has closed, it ends
// (the host sees it open and close once); everything it wrote back parses as a sequence of
// HTTP responses, each with one of the documented statuses, and nothing is kept that was not
// answered 202.
#include "session_host.hpp"

#include <catena/webhooks/timestamp.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace {

namespace cw = catena::webhooks;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::string_view webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";
constexpr std::string_view secret = "wX9kLmP2nQrT4vYz";

cw::receiver_options options()
{
    cw::receiver_options o;
    o.secrets.add(webhook_id, secret);
    // The corpus' signed requests carry this instant (fuzz/make_corpus.py).
    auto const now = *cw::parse_rfc3339("2024-11-28T10:30:00Z");
    o.clock = [now] { return now; };
    o.limits.max_body_bytes = 64 << 10;
    o.limits.max_header_bytes = 4 << 10;
    o.limits.inflate.max_inflated_bytes = 256 << 10;
    return o;
}

bool documented(unsigned status)
{
    static std::set<unsigned> const all{200, 202, 400, 401, 404, 405, 408, 413, 415, 431, 500, 503};
    return all.count(status) == 1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if(size == 0)
        return 0;
    std::size_t const cut = data[0] == 0 ? size : (data[0] % 64) + 1;
    std::string_view input(reinterpret_cast<char const*>(data) + 1, size - 1);

    static cw::receiver_options const opts = options();
    net::io_context ioc;
    auto host = std::make_shared<cw::test::memory_host>(opts);
    beast::test::stream client(ioc);
    beast::test::stream server(ioc);
    client.connect(server);
    std::make_shared<cw::detail::session<beast::test::stream>>(host, std::move(server))->run();
    while(!input.empty())
    {
        auto const n = std::min(cut, input.size());
        cw::error_code ec;
        client.write_some(net::buffer(input.data(), n), ec);
        if(ec)
            break; // the session closed the connection
        input.remove_prefix(n);
        ioc.poll();
    }
    client.close();
    ioc.run();
    if(host->opened_count != 1 || host->closed_count != 1)
        std::abort(); // the session did not end

    // What came back is whole responses, each with a documented status.
    auto const out = client.str();
    net::const_buffer rest(out.data(), out.size());
    int accepted = 0;
    while(rest.size() > 0)
    {
        http::response_parser<http::string_body> p;
        p.eager(true);
        cw::error_code ec;
        auto const used = p.put(rest, ec);
        if(ec == http::error::need_more && p.is_header_done() && !p.get().has_content_length())
            p.put_eof(ec);
        if(ec || !p.is_done())
            std::abort(); // a truncated or malformed response
        if(!documented(p.get().result_int()))
            std::abort();
        accepted += p.get().result_int() == 202;
        rest += used;
    }
    if(host->kept > accepted)
        std::abort(); // kept without a 202
    return 0;
}
