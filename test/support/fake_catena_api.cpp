// SPDX-License-Identifier: BSL-1.0
// test/support/fake_catena_api.cpp - the Notifications API and token endpoint, faked over HTTPS.
#include "fake_catena_api.hpp"

#include "fake_https.hpp"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <mutex>

namespace catena::webhooks::test {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::vector<std::string> actions_of(std::string const& resource)
{
    if(resource == "invitation")
        return {"created", "sent", "viewed", "accepted", "declined", "expired", "deleted"};
    if(resource == "webhook")
        return {"created", "updated", "deleted", "staled", "activated", "paused"};
    if(resource == "connection")
        return {"created", "staled"};
    return {"created", "updated", "deleted"};
}

std::string decode_form_value(std::string_view v)
{
    std::string out;
    for(std::size_t i = 0; i < v.size(); ++i)
    {
        if(v[i] == '%' && i + 2 < v.size())
        {
            out.push_back(static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        }
        else
            out.push_back(v[i] == '+' ? ' ' : v[i]);
    }
    return out;
}

std::map<std::string, std::string> parse_params(std::string_view q)
{
    std::map<std::string, std::string> out;
    while(!q.empty())
    {
        auto const amp = q.find('&');
        auto const part = q.substr(0, amp);
        auto const eq = part.find('=');
        if(eq != std::string_view::npos)
            out[decode_form_value(part.substr(0, eq))] = decode_form_value(part.substr(eq + 1));
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    }
    return out;
}

struct reply
{
    unsigned status = 200;
    json::value body;
};

reply problem(unsigned status, std::string code, std::string message, json::value detail = nullptr)
{
    return {status, json::object{{"code", std::move(code)}, {"message", std::move(message)}, {"detail", std::move(detail)}}};
}

} // namespace

struct fake_catena_api::impl
{
    std::unique_ptr<fake_https> server;

    mutable std::mutex mutex;
    std::chrono::seconds token_lifetime{300};
    unsigned token_serial = 0;
    std::map<std::string, std::chrono::steady_clock::time_point> tokens;
    unsigned fail_status = 0, fail_count = 0, fail_retry_after = 0;
    std::map<std::string, json::object> hooks; // by id, secret in clear
    std::map<std::string, std::vector<json::object>> logs;
    std::map<std::string, json::object> operations; // by id
    operation_fault op_fault = operation_fault::none;
    unsigned serial = 0;
    counts c;
    std::function<void(std::string const&)> replay_hook;
    std::vector<std::string> replays_to_announce; // filled under the lock, announced after it

    json::object read_model(json::object o) const
    {
        o["secret"] = "*****";
        auto const url = std::string(o["url"].as_string());
        auto const host_end = url.find('/', 8);
        o["url"] = host_end == std::string::npos ? url : url.substr(0, host_end) + "/*****";
        return o;
    }

    static std::string now_text() { return "2026-11-30T12:00:00Z"; }

    reply token_endpoint(std::string const& body)
    {
        ++c.token_requests;
        auto p = parse_params(body);
        if(p["grant_type"] != "client_credentials" || p["client_id"] != client_id || p["client_secret"] != client_secret)
            return {401, json::object{{"error", "invalid_client"}, {"error_description", "Invalid client credentials"}}};
        auto t = "tok-" + std::to_string(++token_serial);
        tokens[t] = std::chrono::steady_clock::now() + token_lifetime;
        return {200, json::object{{"access_token", t}, {"expires_in", token_lifetime.count()}, {"token_type", "Bearer"}}};
    }

    reply validation(std::string field, std::string input, std::string message, std::string type)
    {
        return problem(422, "validation_error", "Request validation failed",
                       json::array{json::object{{"path", json::array{"body", field}},
                                                {"input", input},
                                                {"message", message},
                                                {"error_type", type}}});
    }

    reply create(json::value const& body)
    {
        if(!body.is_object())
            return problem(400, "bad_request", "body must be a JSON object");
        auto const& b = body.as_object();
        auto const url = b.contains("url") && b.at("url").is_string() ? std::string(b.at("url").as_string()) : "";
        auto const event = b.contains("event_name") && b.at("event_name").is_string()
                               ? std::string(b.at("event_name").as_string())
                               : "";
        if(url.rfind("https://", 0) != 0)
            return validation("url", url, "URL scheme should be 'https'", "url_scheme");
        if(event.empty())
            return validation("event_name", "", "Field required", "missing");
        std::string secret;
        if(b.contains("secret") && b.at("secret").is_string())
        {
            secret = std::string(b.at("secret").as_string());
            if(secret.size() < 12)
                return validation("secret", secret, "String should have at least 12 characters", "string_too_short");
        }
        json::value const filters = b.contains("filters") ? b.at("filters") : json::value(nullptr);
        std::vector<std::string> events;
        if(event.size() > 2 && event.ends_with(".*"))
            for(auto const& a : actions_of(event.substr(0, event.size() - 2)))
                events.push_back(event.substr(0, event.size() - 1) + a);
        else
            events.push_back(event);
        for(auto const& [id, h] : hooks)
            for(auto const& e : events)
                if(h.at("event_name").as_string() == e && h.at("url").as_string() == url && h.at("filters") == filters &&
                   h.at("status").as_string() != "deleted")
                    return problem(409, "conflict", "A webhook for " + e + " with this URL and filters exists");
        json::array made;
        for(auto const& e : events)
        {
            char id[40];
            std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012u", ++serial);
            json::object h{{"id", id},
                           {"url", url},
                           {"partner_id", "partner-1"},
                           {"event_name", e},
                           {"filters", filters},
                           {"secret", secret.empty() ? "generated-secret-" + std::to_string(serial) : secret},
                           {"status", "active"},
                           {"created_at", now_text()},
                           {"updated_at", now_text()},
                           {"deleted_at", nullptr}};
            hooks[id] = h;
            made.push_back(h);
        }
        if(events.size() == 1 && !(event.ends_with(".*")))
            return {200, made[0]};
        return {200, made};
    }

    template<class T>
    reply page(std::vector<T> const& all, std::map<std::string, std::string> const& q)
    {
        std::size_t size = 300, from = 0;
        if(auto it = q.find("size"); it != q.end())
            size = std::stoul(it->second);
        if(size < 1 || size > 1000)
            return validation("size", q.at("size"), "Input should be between 1 and 1000", "range");
        if(auto it = q.find("cursor"); it != q.end())
            from = std::stoul(it->second.substr(2)); // "c-N"
        json::array items;
        for(auto i = from; i < all.size() && i < from + size; ++i)
            items.push_back(all[i]);
        json::value next = from + size < all.size() ? json::value("c-" + std::to_string(from + size)) : nullptr;
        return {200, json::object{{"items", std::move(items)},
                                  {"current_page", "c-" + std::to_string(from)},
                                  {"current_page_backwards", nullptr},
                                  {"previous_page", from ? json::value("c-0") : nullptr},
                                  {"next_page", next}}};
    }

    reply api(http::verb method, std::string const& path, std::map<std::string, std::string> const& q,
              std::string const& body)
    {
        if(path.rfind("/v2/integrations/", 0) == 0)
            return integrations(method, path, q);
        std::string const base = "/v2/notifications/webhooks";
        if(method == http::verb::post && path == base)
        {
            json::error_code ec;
            auto v = json::parse(body, ec);
            return ec ? problem(400, "bad_request", "body is not JSON") : create(v);
        }
        if(method == http::verb::get && path == base)
        {
            std::vector<json::object> all;
            for(auto const& [id, h] : hooks)
            {
                if(q.contains("event_name") && h.at("event_name").as_string() != q.at("event_name"))
                    continue;
                if(q.contains("status") && h.at("status").as_string() != q.at("status"))
                    continue;
                all.push_back(read_model(h));
            }
            return page(all, q);
        }
        if(path.rfind("/v2/notifications/schemas/", 0) == 0)
        {
            auto rest = path.substr(26);
            std::string version = "1.0";
            if(auto v = rest.find("/versions/"); v != std::string::npos)
            {
                version = rest.substr(v + 10);
                rest = rest.substr(0, v);
            }
            if(rest != "vehicle.added" || (version != "1.0" && version != "1.1"))
                return problem(404, "not_found", "No schema for " + rest + " " + version);
            return {200, json::object{{"event_name", rest},
                                      {"version", version},
                                      {"created_at", now_text()},
                                      {"openapi_schema", "{\"openapi\":\"3.0.0\"}"},
                                      {"changelog", "Initial schema version"}}};
        }
        if(path.rfind(base + "/", 0) != 0)
            return problem(404, "not_found", "No such route");
        auto rest = path.substr(base.size() + 1);
        auto const slash = rest.find('/');
        auto const id = rest.substr(0, slash);
        auto const action = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
        auto it = hooks.find(id);
        if(it == hooks.end() || it->second.at("status").as_string() == "deleted")
            return problem(404, "not_found", "Webhook not found");
        auto& h = it->second;
        if(action.empty() && method == http::verb::get)
            return {200, read_model(h)};
        if(action.empty() && method == http::verb::delete_)
        {
            h["status"] = "deleted";
            return {204, nullptr};
        }
        if(action.empty() && method == http::verb::patch)
        {
            json::error_code ec;
            auto v = json::parse(body, ec);
            if(ec || !v.is_object())
                return problem(400, "bad_request", "body must be a JSON object");
            auto const& b = v.as_object();
            if(b.contains("secret") && (!b.at("secret").is_string() || b.at("secret").as_string().size() < 12))
                return validation("secret", "", "String should have at least 12 characters", "string_too_short");
            if(b.contains("url") && (!b.at("url").is_string() || b.at("url").as_string().find("https://") != 0))
                return validation("url", "", "URL scheme should be 'https'", "url_scheme");
            for(auto const* k : {"url", "filters", "secret", "status"})
                if(b.contains(k))
                    h[k] = b.at(k);
            h["updated_at"] = now_text();
            return {200, read_model(h)};
        }
        if(method == http::verb::post && (action == "activate" || action == "pause"))
        {
            h["status"] = action == "activate" ? "active" : "paused";
            return {200, read_model(h)};
        }
        if(method == http::verb::post && action == "replay")
        {
            ++c.replays[id];
            replays_to_announce.push_back(id);
            return {202, json::object{{"message", "Replay started"}}};
        }
        if(method == http::verb::get && action == "metrics")
        {
            json::object per;
            auto windows = [](auto v) { return json::object{{"6h", v}, {"24h", v}, {"7d", v}, {"14d", v}}; };
            return {200, json::object{{"webhook_id", id},
                                      {"http_attempts", windows(120)},
                                      {"http_success_attempts", windows(114)},
                                      {"http_failure_attempts", windows(6)},
                                      {"message_count", windows(100)},
                                      {"message_success_count", windows(98)},
                                      {"success_rate", json::object{{"6h", nullptr}, {"24h", 98.0}, {"7d", 98.0}, {"14d", 98.0}}},
                                      {"avg_response_time_ms", windows(41.5)},
                                      {"ewma_success_rate", h.at("status").as_string() == "stale" ? 0.62 : 0.98},
                                      {"dlq_count", h.at("status").as_string() == "stale" ? 17 : 0}}};
        }
        if(method == http::verb::get && action == "logs")
            return page(logs[id], q);
        return problem(405, "method_not_allowed", "Method not allowed");
    }

    // GET /v2/integrations/connections/{connection_id}/resource-operations/{id} and
    // GET /v2/integrations/connections/resource-operations?connection_id=&resource=.
    reply integrations(http::verb method, std::string const& path, std::map<std::string, std::string> const& q)
    {
        std::string const list = "/v2/integrations/connections/resource-operations";
        std::string const conn = "/v2/integrations/connections/";
        if(method != http::verb::get)
            return problem(405, "method_not_allowed", "Method not allowed");
        bool const listing = path == list;
        (listing ? c.operation_listings : c.operation_requests) += 1;
        switch(op_fault)
        {
        case operation_fault::none: break;
        case operation_fault::unauthorized: return problem(401, "unauthorized", "Invalid or expired token");
        case operation_fault::server_error: return problem(503, "unavailable", "Service unavailable");
        case operation_fault::garbage: return {200, json::value("<html><body>maintenance</body></html>")};
        }
        if(listing)
        {
            std::vector<json::object> all;
            for(auto const& [id, op] : operations)
            {
                if(q.contains("connection_id") && op.at("connection_id").as_string() != q.at("connection_id"))
                    continue;
                if(q.contains("resource") && op.contains("resource") && op.at("resource").as_string() != q.at("resource"))
                    continue;
                all.push_back(op);
            }
            return page(all, q);
        }
        std::string const marker = "/resource-operations/";
        auto const at = path.find(marker);
        if(path.rfind(conn, 0) != 0 || at == std::string::npos)
            return problem(404, "not_found", "No such route");
        auto const connection = path.substr(conn.size(), at - conn.size());
        auto const id = path.substr(at + marker.size());
        auto it = operations.find(id);
        if(it == operations.end() || it->second.at("connection_id").as_string() != connection)
            return problem(404, "not_found", "Resource operation not found");
        return {200, it->second};
    }

    reply handle(http::request<http::string_body> const& req)
    {
        std::lock_guard lock(mutex);
        auto target = std::string(req.target());
        auto const qmark = target.find('?');
        auto const path = target.substr(0, qmark);
        auto const q = qmark == std::string::npos ? std::map<std::string, std::string>{} : parse_params(target.substr(qmark + 1));
        if(path == "/token" && req.method() == http::verb::post)
            return token_endpoint(req.body());
        ++c.api_requests;
        auto const auth = req[http::field::authorization];
        c.authorizations.emplace_back(auth);
        auto const bearer = auth.starts_with("Bearer ") ? std::string(auth.substr(7)) : std::string();
        auto t = tokens.find(bearer);
        if(t == tokens.end() || t->second < std::chrono::steady_clock::now())
        {
            ++c.unauthorized;
            return problem(401, "unauthorized", "Invalid or expired token");
        }
        if(fail_count > 0)
        {
            --fail_count;
            if(fail_status == 429)
                return problem(429, "rate_limited", "Too many requests",
                               json::object{{"retry_after_seconds", fail_retry_after}, {"message", "slow down"}});
            return problem(fail_status, "server_error", "Internal server error");
        }
        return api(req.method(), path, q, req.body());
    }

    // Replays are announced after the answer is decided, outside the lock.
    void announce_replays()
    {
        std::vector<std::string> announce;
        std::function<void(std::string const&)> hook;
        {
            std::lock_guard lock(mutex);
            announce.swap(replays_to_announce);
            hook = replay_hook;
        }
        if(hook)
            for(auto const& id : announce)
                hook(id);
    }
};

fake_catena_api::fake_catena_api(std::string const& dir) : impl_(std::make_unique<impl>())
{
    impl_->server = std::make_unique<fake_https>(
        dir,
        [this](fake_request const& req) {
            auto r = impl_->handle(req);
            return fake_reply{r.status, std::move(r.body), r.status == 429 ? impl_->fail_retry_after : 0u};
        },
        [this] { impl_->announce_replays(); });
}

fake_catena_api::~fake_catena_api()
{
    impl_->server.reset(); // its thread reads the rest of impl
}

std::string fake_catena_api::api_url() const { return impl_->server->url(); }
std::string fake_catena_api::auth_url() const { return api_url() + "/token"; }
std::string fake_catena_api::ca_file() const { return impl_->server->ca_file(); }

notifications_options fake_catena_api::client_options() const
{
    notifications_options o;
    o.api_url = api_url();
    o.auth_url = auth_url();
    o.ca_file = ca_file();
    o.client_id = client_id;
    o.client_secret = client_secret;
    return o;
}

void fake_catena_api::set_token_lifetime(std::chrono::seconds s)
{
    std::lock_guard lock(impl_->mutex);
    impl_->token_lifetime = s;
}

void fake_catena_api::revoke_tokens()
{
    std::lock_guard lock(impl_->mutex);
    impl_->tokens.clear();
}

void fake_catena_api::fail_next(unsigned status, unsigned count, unsigned retry_after_seconds)
{
    std::lock_guard lock(impl_->mutex);
    impl_->fail_status = status;
    impl_->fail_count = count;
    impl_->fail_retry_after = retry_after_seconds;
}

void fake_catena_api::set_status(std::string const& id, std::string const& status)
{
    std::lock_guard lock(impl_->mutex);
    impl_->hooks.at(id)["status"] = status;
}

void fake_catena_api::on_replay(std::function<void(std::string const&)> f)
{
    std::lock_guard lock(impl_->mutex);
    impl_->replay_hook = std::move(f);
}

void fake_catena_api::add_logs(std::string const& id, unsigned n)
{
    std::lock_guard lock(impl_->mutex);
    for(unsigned i = 0; i < n; ++i)
        impl_->logs[id].push_back(json::object{{"created_at", impl_->now_text()},
                                               {"webhook_id", id},
                                               {"message_id", "msg-" + std::to_string(i)},
                                               {"event_name", impl_->hooks.at(id).at("event_name")},
                                               {"status", i % 4 == 3 ? "failed" : "success"},
                                               {"status_code", i % 4 == 3 ? 503 : 202},
                                               {"error_message", i % 4 == 3 ? json::value("Service Unavailable") : nullptr},
                                               {"response_time_ms", 12.5}});
}

void fake_catena_api::put_operation(boost::json::object op)
{
    std::lock_guard lock(impl_->mutex);
    auto const id = std::string(op.at("id").as_string());
    impl_->operations[id] = std::move(op);
}

void fake_catena_api::fault_operations(operation_fault f)
{
    std::lock_guard lock(impl_->mutex);
    impl_->op_fault = f;
}

fake_catena_api::counts fake_catena_api::seen() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->c;
}

boost::json::value fake_catena_api::stored(std::string const& id) const
{
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->hooks.find(id);
    return it == impl_->hooks.end() ? json::value(nullptr) : json::value(it->second);
}

std::size_t fake_catena_api::subscription_count() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->hooks.size();
}

} // namespace catena::webhooks::test
