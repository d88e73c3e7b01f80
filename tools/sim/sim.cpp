// SPDX-License-Identifier: BSL-1.0
// tools/sim/sim.cpp - the Catena sender: request building, the HTTP client, scenario generation.
#include "sim.hpp"

#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/verifier.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>

namespace catena::webhooks::sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
namespace json = boost::json;
using tcp = net::ip::tcp;

namespace {

std::string format_uuid(std::uint64_t hi, std::uint64_t lo)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(hi >> 32),
                  static_cast<unsigned long long>((hi >> 16) & 0xffff), static_cast<unsigned long long>(hi & 0xffff),
                  static_cast<unsigned long long>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
}

} // namespace

std::string random_uuid(std::mt19937_64& rng)
{
    std::uint64_t hi = rng(), lo = rng();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                        // version 4
    lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);              // variant 10
    return format_uuid(hi, lo);
}

std::string uuid_v7(timestamp t, std::mt19937_64& rng)
{
    auto const ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
    std::uint64_t hi = (ms << 16) | 0x7000ULL | (rng() & 0x0fffULL); // 48-bit time, version 7
    std::uint64_t lo = (rng() & ~(0xcULL << 60)) | (0x8ULL << 60);
    return format_uuid(hi, lo);
}

std::string render_body(message const& m, std::uint32_t attempt, timestamp now)
{
    json::object o;
    o["version"] = m.version;
    o["event_name"] = m.event_name;
    o["webhook_id"] = m.webhook_id;
    // The envelope timestamp is the dispatch time (spec C4): it changes per attempt.
    o["timestamp"] = format_rfc3339(now);
    if(m.event_id.empty())
        o["id"] = nullptr;
    else
        o["id"] = m.event_id;
    o["delivery_attempt"] = attempt;
    o["data"] = m.data;
    return json::serialize(o);
}

void replace_body(wire_request& r, std::string_view secret, std::string body, timestamp now)
{
    std::string const ts = format_rfc3339(now);
    signer s;
    for(auto& [name, value] : r.headers)
    {
        if(name == header::signature)
            value = s.sign(secret, ts, body);
        else if(name == header::timestamp)
            value = ts;
    }
    r.body = std::move(body);
}

wire_request build_request(message const& m, std::string_view secret, std::uint32_t attempt, timestamp now, bool gzip,
                           std::string_view request_id)
{
    wire_request r;
    std::string const body = render_body(m, attempt, now);
    std::string const ts = format_rfc3339(now);
    signer s;
    r.headers = {
        {"Content-Type", "application/json"},
        {"Accept", "application/json"},
        {"User-Agent", "Catena-Webhook"},
        {std::string(header::signature), s.sign(secret, ts, body)},
        {std::string(header::timestamp), ts},
        {std::string(header::event_type), m.event_name},
        {std::string(header::webhook_id), m.webhook_id},
        {std::string(header::request_id), std::string(request_id)},
        {std::string(header::delivery_attempt), std::to_string(attempt)},
        {std::string(header::schema_version), m.version},
        {std::string(header::source), "catena-notifications"},
    };
    if(gzip)
    {
        r.headers.emplace_back("Content-Encoding", "gzip");
        r.body = gzip_compress(body);
    }
    else
    {
        r.body = body;
    }
    return r;
}

wire_request build_foxtrot_request(foxtrot_message const& m, std::string_view token_header, std::string_view token,
                                   timestamp now, bool gzip)
{
    json::object o;
    o["id"] = m.id;
    if(!m.event.empty())
        o["event"] = m.event;
    o["created_at"] = format_rfc3339(now);
    o["dc_id"] = m.dc_id;
    o["data"] = m.data;
    wire_request r;
    r.headers = {{"Content-Type", "application/json"}, {"User-Agent", "Foxtrot-Webhooks (simulated)"}};
    if(!token_header.empty())
    {
        bool const authorization = beast::iequals(token_header, "Authorization");
        r.headers.emplace_back(std::string(token_header), (authorization ? "Bearer " : "") + std::string(token));
    }
    std::string body = json::serialize(o);
    if(gzip)
    {
        r.headers.emplace_back("Content-Encoding", "gzip");
        r.body = gzip_compress(body);
    }
    else
        r.body = std::move(body);
    return r;
}

//------------------------------------------------------------------------------

struct client::impl
{
    endpoint ep;
    net::io_context ioc;
    std::optional<ssl::context> tls_ctx;
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    std::mt19937_64 rng{std::random_device{}()};

    explicit impl(endpoint e) : ep(std::move(e))
    {
        if(ep.tls)
        {
            tls_ctx.emplace(ssl::context::tls_client);
            if(ep.ca_file.empty())
                tls_ctx->set_verify_mode(ssl::verify_none);
            else
            {
                tls_ctx->load_verify_file(ep.ca_file);
                tls_ctx->set_verify_mode(ssl::verify_peer);
            }
        }
    }

    bool connected() const { return ep.tls ? secure.has_value() : plain.has_value(); }

    beast::tcp_stream& lowest() { return ep.tls ? beast::get_lowest_layer(*secure) : *plain; }

    void reset()
    {
        error_code ignored;
        if(plain)
            plain->socket().close(ignored);
        if(secure)
            beast::get_lowest_layer(*secure).socket().close(ignored);
        plain.reset();
        secure.reset();
        buffer.clear();
    }

    error_code connect(std::chrono::milliseconds timeout)
    {
        reset();
        tcp::resolver resolver(ioc);
        error_code ec;
        auto results = resolver.resolve(ep.host, std::to_string(ep.port), ec);
        if(ec)
            return ec;
        if(ep.tls)
        {
            secure.emplace(ioc, *tls_ctx);
            beast::get_lowest_layer(*secure).expires_after(timeout);
            beast::get_lowest_layer(*secure).connect(results, ec);
            if(!ec)
            {
                SSL_set_tlsext_host_name(secure->native_handle(), ep.host.c_str());
                secure->handshake(ssl::stream_base::client, ec);
            }
        }
        else
        {
            plain.emplace(ioc);
            plain->expires_after(timeout);
            plain->connect(results, ec);
            if(!ec)
                plain->socket().set_option(tcp::no_delay(true), ec);
        }
        if(ec)
            reset();
        return ec;
    }

    // tcp_stream's timeouts only apply to its asynchronous operations, so the exchange is
    // run asynchronously on the private io_context.
    template<class Stream>
    attempt_result exchange_on(Stream& stream, http::request<http::string_body>& req, std::chrono::milliseconds timeout)
    {
        attempt_result out;
        beast::get_lowest_layer(stream).expires_after(timeout);
        http::response<http::string_body> res;
        error_code ec;
        http::async_write(stream, req, [&](error_code e, std::size_t) {
            ec = e;
            if(!e)
                http::async_read(stream, buffer, res, [&](error_code e2, std::size_t) { ec = e2; });
        });
        ioc.restart();
        ioc.run();
        if(ec)
        {
            out.ec = ec;
            reset();
            return out;
        }
        out.status = res.result_int();
        out.body = std::move(res.body());
        if(!res.keep_alive())
            reset();
        return out;
    }

    attempt_result exchange(http::request<http::string_body>& req, std::chrono::milliseconds timeout)
    {
        if(!connected())
        {
            if(auto ec = connect(timeout))
            {
                attempt_result r;
                r.ec = ec;
                return r;
            }
        }
        return ep.tls ? exchange_on(*secure, req, timeout) : exchange_on(*plain, req, timeout);
    }
};

client::client(endpoint ep, send_options opts) : impl_(std::make_unique<impl>(std::move(ep))), opts_(std::move(opts)) {}
client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

void client::close() { impl_->reset(); }

attempt_result client::send_raw(std::string_view method, std::string_view target, wire_request const& wr)
{
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, impl_->ep.host);
    for(auto const& [k, v] : wr.headers)
        req.set(k, v);
    req.body() = wr.body;
    req.prepare_payload();
    req.keep_alive(true);
    std::string rid;
    if(auto it = req.find(header::request_id); it != req.end())
        rid = it->value();
    auto const t0 = std::chrono::steady_clock::now();
    auto r = impl_->exchange(req, opts_.timeout);
    // A connection the server closed between requests gets one reconnect.
    if(r.ec == http::error::end_of_stream || r.ec == net::error::connection_reset || r.ec == net::error::broken_pipe ||
       r.ec == net::error::eof)
        r = impl_->exchange(req, opts_.timeout);
    r.latency = std::chrono::steady_clock::now() - t0;
    r.request_id = std::move(rid);
    return r;
}

attempt_result client::send(message const& m, std::string_view secret, std::uint32_t attempt)
{
    auto const rid = random_uuid(impl_->rng);
    auto const wr = build_request(m, secret, attempt, opts_.clock(), opts_.gzip, rid);
    return send_raw("POST", impl_->ep.path, wr);
}

delivery_result client::deliver(message const& m, std::string_view secret)
{
    delivery_result out;
    for(int attempt = 1;; ++attempt)
    {
        out.attempts.push_back(send(m, secret, static_cast<std::uint32_t>(attempt)));
        auto const& a = out.attempts.back();
        bool const failed = a.status == 0 || a.status >= 500;
        if(!failed || attempt > opts_.max_retries)
            return out;
        auto const& b = opts_.backoff;
        if(!b.empty())
            std::this_thread::sleep_for(b[std::min<std::size_t>(static_cast<std::size_t>(attempt - 1), b.size() - 1)]);
    }
}

//------------------------------------------------------------------------------
// Load

message load_message(std::mt19937_64& rng, std::string const& webhook_id, std::size_t n)
{
    // A mix across 100 fleets: 80 % telematics (two records), 10 % operational failures and
    // 10 % lifecycle events (the fleet connection, then re-authentications: connection.created).
    std::size_t const fleet = n % 100;
    auto const now = system_now();
    message m;
    m.webhook_id = webhook_id;
    m.event_id = uuid_v7(now, rng);
    std::string const fleet_id = "00000000-0000-4000-8000-" + std::string(12 - std::to_string(fleet).size(), '0') + std::to_string(fleet);
    std::size_t const kind = (n + n / 100) % 10; // every fleet gets every kind
    if(kind == 9)
    {
        m.event_name = "execution.failed";
        m.data.push_back(json::object{{"id", random_uuid(rng)},
                                      {"created_at", format_rfc3339(now)},
                                      {"updated_at", format_rfc3339(now)},
                                      {"schedule_id", random_uuid(rng)},
                                      {"connection_id", fleet_id},
                                      {"fleet_id", fleet_id},
                                      {"status", "failed"},
                                      {"source_name", "geotab"},
                                      {"resource", "vehicle_location"}});
        return m;
    }
    if(kind == 4)
    {
        m.event_name = n < 1000 ? "fleet_connection.created" : "connection.created";
        m.data.push_back(json::object{{"id", n < 1000 ? "00000000-0000-4000-9000-" + fleet_id.substr(24) : fleet_id},
                                      {"fleet_id", fleet_id},
                                      {"connection_id", fleet_id},
                                      {"status", "active"},
                                      {"updated_at", format_rfc3339(now)}});
        return m;
    }
    m.event_name = "vehicle_location.added";
    for(int k = 0; k < 2; ++k)
        m.data.push_back(json::object{
            {"id", random_uuid(rng)}, {"fleet_id", fleet_id}, {"fleet_ref", "FLEET-" + std::to_string(fleet)},
            {"tsp_id", "5b6c7d8e-9f00-4112-8334-556677889900"}, {"source_name", "samsara"}, {"connection_id", fleet_id},
            {"source_id", "abc" + std::to_string(n)}, {"created_at", format_rfc3339(now)},
            {"updated_at", format_rfc3339(now)}, {"occurred_at", format_rfc3339(now)},
            {"location", json::object{{"type", "Point"}, {"coordinates", json::array{-97.7431, 30.2672}}}},
            {"h3_index_11", 627710138564640767LL}, {"speed", 54}});
    return m;
}

} // namespace catena::webhooks::sim
