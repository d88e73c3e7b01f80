// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_http_session.cpp - one connection's session over an in-memory stream: arbitrary bytes, and requests built from them.
//
// Input: one byte that cuts the rest into reads ((b % 64) + 1 bytes each, 0: all at once),
// then the bytes a client sends on one connection. The same bytes are then read as a program
// of well-formed requests for a second connection (see build()).
// Invariants:
// - Any bytes: the session never crashes or hangs and ends once the client has closed (the
//   host sees it open and close once); what it wrote back is whole HTTP responses, each with
//   a status of the README's answer table for the public listener (200, 202, 400, 401, 404,
//   405, 408, 431, 503), a 503 with Retry-After, a 200 only as text (health, metrics), every
//   other body {"status":<the status>,"reason":"..."}; nothing is kept that was not answered
//   202.
// - Built requests: each is answered in order with the status the table gives it (a correctly
//   signed delivery 202, gzip or not, Content-Length or chunked, one byte of it changed 401, a
//   stale timestamp 401, an unknown coding or a body that is not gzip 503, over the size
//   limit 503, health and metrics 200, other paths 404, other methods 405), up to the first
//   answer that closes the connection; the inbox then holds exactly the 202-answered
//   deliveries that were not copies (same X-Request-ID, or an envelope id seen before), each
//   with its bytes, subscription, request id, timestamp and coding.
// Every input has its own host, store and io_context; only the options are shared.
#include "session_host.hpp"

#include "fuzz_support.hpp"

#include <catena/webhooks/timestamp.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>

namespace {

namespace cw = catena::webhooks;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using cw::fuzz::require;

constexpr std::string_view webhook_id = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a";
constexpr std::string_view secret = "wX9kLmP2nQrT4vYz";
constexpr std::size_t max_body = 64 << 10;
// The corpus' signed requests carry this instant (fuzz/make_corpus.py).
constexpr std::string_view now_text = "2024-11-28T10:30:00Z";

cw::receiver_options options()
{
    cw::receiver_options o;
    o.secrets.add(webhook_id, secret);
    auto const now = *cw::parse_rfc3339(now_text);
    o.clock = [now] { return now; };
    o.limits.max_body_bytes = max_body;
    o.limits.max_header_bytes = 4 << 10;
    o.limits.inflate.max_inflated_bytes = 256 << 10;
    return o;
}

cw::receiver_options const& shared_options()
{
    static cw::receiver_options const opts = options(); // immutable
    return opts;
}

struct session_run
{
    std::string written;  // what the session wrote back
    std::vector<cw::detail::inbox_entry> kept;
    int kept_count = 0;
};

// One connection: `input` written in reads of `cut` bytes, then closed; the session must end.
session_run run_session(std::string_view input, std::size_t cut)
{
    net::io_context ioc;
    auto host = std::make_shared<cw::test::memory_host>(shared_options());
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
    require(host->opened_count == 1 && host->closed_count == 1, "the session did not end after the client closed");
    session_run r;
    r.written = client.str();
    r.kept = host->store().take(1'000);
    r.kept_count = host->kept;
    require(static_cast<int>(r.kept.size()) == r.kept_count, "the inbox and the kept count disagree");
    return r;
}

struct response
{
    unsigned status = 0;
    std::string content_type, retry_after, allow, body;
};

// The session's output as whole responses; anything truncated or malformed breaks the run.
std::vector<response> parse_responses(std::string const& out)
{
    std::vector<response> all;
    net::const_buffer rest(out.data(), out.size());
    while(rest.size() > 0)
    {
        http::response_parser<http::string_body> p;
        p.eager(true);
        cw::error_code ec;
        auto const used = p.put(rest, ec);
        if(ec == http::error::need_more && p.is_header_done() && !p.get().has_content_length())
            p.put_eof(ec);
        require(!ec && p.is_done(), "a truncated or malformed response");
        auto const& m = p.get();
        auto const field = [&](http::field f) { return std::string(m[f]); };
        all.push_back({m.result_int(), field(http::field::content_type), field(http::field::retry_after),
                       field(http::field::allow), m.body()});
        rest += used;
    }
    return all;
}

// What the answer table allows of any response; `strict`: the body may not be empty (no HEAD).
void check_response(response const& r, bool strict)
{
    static std::set<unsigned> const table{200, 202, 400, 401, 404, 405, 408, 431, 503};
    require(table.count(r.status) == 1, "a status the README's answer table does not have");
    if(r.status == 503)
        require(r.retry_after == std::to_string(shared_options().timeouts.retry_after.count()),
                "a 503 without Retry-After");
    if(r.status == 200)
    {
        require(r.content_type.starts_with("text/plain"), "a 200 that is not the health or metrics route");
        return;
    }
    if(r.body.empty() && !strict)
        return; // the answer to a HEAD
    json::error_code ec;
    auto const v = json::parse(r.body, ec);
    auto const* o = v.if_object();
    require(!ec && o && o->size() == 2 && r.content_type == "application/json", "an answer's body is not JSON");
    auto const* status = o->if_contains("status");
    auto const* reason = o->if_contains("reason");
    require(status && status->is_int64() && status->get_int64() == r.status,
            "an answer's body does not carry its status");
    require(reason && reason->is_string() && !reason->get_string().empty(), "an answer's body has no reason");
}

//------------------------------------------------------------------------------
// Built requests

enum class kind
{
    delivery,    // signed and fresh: 202
    tampered,    // signed, then a byte of the body changed: 401 after the body
    stale,       // signed 400 s ago: 401 at the headers
    bad_coding,  // signed, with an unknown coding or a body that is not gzip: 503 after the body
    health,      // GET /healthz or HEAD /metrics: 200
    wrong_route, // GET elsewhere 404, GET on the delivery path 405
    oversized,   // announces more than the limit: 503 at the headers
};

struct built
{
    kind k = kind::delivery;
    unsigned status = 0;
    bool closes = false;        // answered before the body was read: nothing after it is read
    std::string request_id, timestamp, plain, sent; // for deliveries
    bool gzip = false;
    std::string head_method;
};

std::string header_name(std::string_view name, bool lower)
{
    std::string s(name);
    if(lower)
        std::transform(s.begin(), s.end(), s.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    return s;
}

// Reads requests from `p` until it runs out: a kind byte, then its parameters and body.
std::string build(cw::fuzz::bytes_reader& p, std::vector<built>& plan)
{
    auto const now = *cw::parse_rfc3339(now_text);
    std::string wire;
    for(int n = 0; n < 8 && p.left() > 0; ++n)
    {
        std::uint8_t const op = p.byte();
        std::uint8_t const flags = p.byte();
        bool const lower = flags & 1;
        built b;
        b.k = static_cast<kind>(op % 7);
        if(b.k == kind::health)
        {
            bool const head = flags & 2;
            wire += head ? "HEAD /metrics HTTP/1.1\r\nHost: r\r\n\r\n" : "GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n";
            b.status = 200;
            b.head_method = head ? "HEAD" : "GET";
            plan.push_back(std::move(b));
            continue;
        }
        if(b.k == kind::wrong_route)
        {
            bool const path = flags & 2;
            wire += path ? "GET /webhooks/catena HTTP/1.1\r\nHost: r\r\n\r\n" : "GET /nowhere HTTP/1.1\r\nHost: r\r\n\r\n";
            b.status = path ? 405 : 404;
            plan.push_back(std::move(b));
            continue;
        }
        // A delivery of up to 2 KiB of the input, signed as Catena signs.
        b.plain = std::string(p.take(p.byte() * 8u));
        b.gzip = flags & 4;
        bool const chunked = flags & 8;
        // A copy of the previous delivery's X-Request-ID, or a new one.
        bool const copy = flags & 16 && !plan.empty() && !plan.back().request_id.empty();
        b.request_id = copy ? plan.back().request_id : "rid-" + std::to_string(n);
        auto const sent_at = b.k == kind::stale ? now - std::chrono::seconds(400)
                                                : now - std::chrono::seconds(p.byte() % 200);
        b.timestamp = cw::format_rfc3339(sent_at, flags & 32 ? cw::utc_suffix::z : cw::utc_suffix::offset);
        auto const signature = cw::fuzz::reference_signature(secret, b.timestamp, b.plain);
        std::string body = b.plain;
        if(b.k == kind::tampered)
            body.push_back(body.empty() ? 'x' : static_cast<char>(body.back() ^ 1));
        std::string coding = b.gzip ? "gzip" : "";
        if(b.k == kind::bad_coding)
            coding = flags & 64 ? "br" : "gzip"; // with "gzip" the body stays plain: not gzip
        else if(b.gzip)
            body = cw::fuzz::reference_gzip(body, cw::fuzz::gzip_shape{});
        if(b.k == kind::bad_coding && coding == "gzip" && body.size() >= 2 && body[0] == '\x1f')
            body[0] = '{'; // a plain body that starts like gzip is not one still
        b.sent = body;
        std::string head = "POST /webhooks/catena HTTP/1.1\r\nHost: receiver\r\n";
        auto const add = [&](std::string_view name, std::string_view value) {
            head.append(header_name(name, lower)).append(": ").append(value).append("\r\n");
        };
        add("X-Catena-Signature", signature);
        add("X-Catena-Timestamp", b.timestamp);
        add("X-Webhook-ID", webhook_id);
        add("X-Request-ID", b.request_id);
        add("X-Delivery-Attempt", "1");
        add("Content-Type", "application/json");
        if(!coding.empty())
            add("Content-Encoding", coding);
        if(b.k == kind::oversized)
        {
            add("Content-Length", std::to_string(max_body + 1 + body.size()));
            wire += head + "\r\n" + body; // the rest never comes: the answer does
            b.status = 503;
            b.closes = true;
            plan.push_back(std::move(b));
            break;
        }
        if(chunked)
        {
            add("Transfer-Encoding", "chunked");
            head += "\r\n";
            for(std::size_t at = 0; at < body.size();)
            {
                std::size_t const len = std::min<std::size_t>(body.size() - at, 1 + p.byte() % 64);
                char size[8];
                std::snprintf(size, sizeof size, "%zx", len);
                head.append(size).append("\r\n").append(body, at, len).append("\r\n");
                at += len;
            }
            head += "0\r\n\r\n";
        }
        else
        {
            add("Content-Length", std::to_string(body.size()));
            head += "\r\n" + body;
        }
        wire += head;
        switch(b.k)
        {
        case kind::delivery: b.status = 202; break;
        case kind::tampered: b.status = 401; break;
        case kind::bad_coding: b.status = 503; break;
        case kind::stale:
            b.status = 401;
            // Refused at the headers: a body not read yet closes the connection after the answer.
            b.closes = chunked || !body.empty();
            break;
        default: break;
        }
        bool const closes = b.closes;
        plan.push_back(std::move(b));
        if(closes)
            break;
    }
    return wire;
}

// Whether intake could read an envelope id from this body (a top-level "id" key, or an
// escaped one): if not, only its X-Request-ID can make it a copy.
bool may_carry_envelope_id(std::string_view plain)
{
    return plain.find("id") != std::string_view::npos || plain.find("\\u") != std::string_view::npos;
}

void check_built(std::vector<built> const& plan, session_run const& run)
{
    auto const answers = parse_responses(run.written);
    // In order, each with its status (the plan ends with the first answer that closes).
    require(answers.size() == plan.size(), "a built request was not answered, or answered twice");
    for(std::size_t i = 0; i < answers.size(); ++i)
    {
        bool const head = plan[i].head_method == "HEAD";
        check_response(answers[i], !head);
        require(answers[i].status == plan[i].status, "a built request got another status than the table gives it");
        if(plan[i].status == 405)
            require(answers[i].allow == "POST", "a 405 without Allow: POST");
    }
    // The inbox: the 202-answered deliveries that were not copies, in order.
    std::set<std::string> remembered; // X-Request-IDs of kept deliveries
    std::size_t next = 0;
    for(auto const& b : plan)
    {
        if(b.k != kind::delivery)
            continue;
        bool const kept = next < run.kept.size() && run.kept[next].request_id == b.request_id &&
                          run.kept[next].body == b.sent;
        if(!kept)
        {
            require(remembered.count(b.request_id) == 1 || may_carry_envelope_id(b.plain),
                    "a signed delivery answered 202 was not kept");
            continue;
        }
        require(remembered.insert(b.request_id).second, "a delivery was kept twice under one X-Request-ID");
        auto const& e = run.kept[next++];
        require(e.compressed == b.gzip && e.webhook_id == webhook_id && e.delivery_attempt == 1 &&
                    e.sent_at == *cw::parse_rfc3339(b.timestamp),
                "a kept delivery lost its headers");
        if(e.compressed && !e.json.empty())
            require(e.json == b.plain, "the JSON kept beside a gzip body is not its body");
    }
    require(next == run.kept.size(), "the inbox holds something that was not a 202-answered delivery");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if(size == 0)
        return 0;

    // Any bytes.
    std::size_t const cut = data[0] == 0 ? size : (data[0] % 64) + 1;
    auto const raw = run_session(std::string_view(reinterpret_cast<char const*>(data) + 1, size - 1), cut);
    int accepted = 0;
    for(auto const& r : parse_responses(raw.written))
    {
        check_response(r, false);
        accepted += r.status == 202;
    }
    require(raw.kept_count <= accepted, "kept without a 202");

    // The same bytes as a program of well-formed requests.
    cw::fuzz::bytes_reader p(data, size);
    // Reads of 64 bytes to 2 KiB: the first phase already cuts finely.
    std::size_t const built_cut = 64 + (p.byte() % 16) * 128;
    std::vector<built> plan;
    auto const wire = build(p, plan);
    check_built(plan, run_session(wire, built_cut));
    return 0;
}
