// SPDX-License-Identifier: BSL-1.0
// test/support/fake_foxtrot_api.cpp - Foxtrot's webhook management API, faked over HTTPS.
#include "fake_foxtrot_api.hpp"

#include "fake_https.hpp"

#include <boost/json.hpp>

#include <map>
#include <mutex>

namespace catena::webhooks::test {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

fake_reply failure(unsigned status, std::string code, std::string message)
{
    json::object o{{"status", "error"}, {"message", std::move(message)}};
    if(!code.empty())
        o["code"] = std::move(code);
    return {status, std::move(o)};
}

fake_reply success(json::value data) { return {200, json::object{{"status", "success"}, {"data", std::move(data)}}}; }

bool is_url(std::string_view u)
{
    return (u.rfind("https://", 0) == 0 && u.size() > 8) || (u.rfind("http://", 0) == 0 && u.size() > 7);
}

} // namespace

struct fake_foxtrot_api::impl
{
    std::unique_ptr<fake_https> server;
    std::string key_header;
    mutable std::mutex mutex;
    std::map<std::string, json::object> hooks;
    unsigned serial = 0, requests = 0, fail_status = 0, fail_count = 0, fail_retry_after = 0;
    std::vector<std::string> lines;

    json::object make(std::string url, json::array events, json::array dc_ids, bool enabled)
    {
        auto id = "wh-" + std::to_string(++serial);
        json::object w{{"id", id}, {"url", std::move(url)}, {"enabled", enabled}, {"dc_ids", std::move(dc_ids)},
                       {"events", std::move(events)}};
        hooks[id] = w;
        return w;
    }

    fake_reply handle(fake_request const& req)
    {
        std::lock_guard lock(mutex);
        ++requests;
        auto const target = std::string(req.target());
        lines.push_back(std::string(req.method_string()) + " " + target);
        auto const key = req.find(key_header);
        auto const expected = key_header == "Authorization" ? std::string("Bearer ") + api_key : std::string(api_key);
        if(key == req.end() || key->value() != expected)
            return failure(401, "", "API key is invalid");
        if(fail_count > 0)
        {
            --fail_count;
            auto f = failure(fail_status, fail_status == 429 ? "RATE_LIMITED" : "", "try again later");
            f.retry_after = fail_status == 429 ? fail_retry_after : 0;
            return f;
        }
        json::value body;
        if(!req.body().empty())
        {
            json::error_code ec;
            body = json::parse(req.body(), ec);
            if(ec || !body.is_object())
                return failure(400, "INVALID_PARAMETER", "the body must be a JSON object");
        }
        if(target == "/webhooks" && req.method() == http::verb::get)
        {
            json::array all;
            for(auto const& [id, w] : hooks)
                all.push_back(w);
            return success(json::object{{"webhooks", std::move(all)}});
        }
        if(target == "/webhooks" && req.method() == http::verb::post)
        {
            auto const& o = body.as_object();
            auto const* url = o.if_contains("webhook_url");
            if(!url || !url->is_string() || !is_url(url->get_string()))
                return failure(400, "INVALID_URL", "webhook_url must be a fully formed http or https URL");
            auto const* events = o.if_contains("events");
            if(!events || !events->is_array() || events->get_array().empty())
                return failure(400, "INVALID_EVENTS", "events must be a non-empty list");
            for(auto const& e : events->get_array())
                if(!e.is_string() || e.get_string().empty() ||
                   std::string_view(e.get_string()).find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string_view::npos)
                    return failure(400, "INVALID_EVENTS", "unknown event type " + json::serialize(e));
            auto const* dcs = o.if_contains("dc_ids");
            json::array dc_ids = dcs && dcs->is_array() ? dcs->get_array() : json::array{};
            return success(json::object{{"webhook", make(std::string(url->get_string()), events->get_array(), dc_ids, true)}});
        }
        if(target.rfind("/webhooks/", 0) == 0)
        {
            auto const id = target.substr(10);
            auto it = hooks.find(id);
            if(it == hooks.end())
                return failure(404, "NOT_FOUND", "Webhook not found");
            if(req.method() == http::verb::delete_)
            {
                hooks.erase(it);
                return {200, nullptr, 0, true};
            }
            if(req.method() == http::verb::patch || req.method() == http::verb::put)
            {
                auto const* enabled = body.is_object() ? body.as_object().if_contains("enabled") : nullptr;
                if(!enabled || !enabled->is_bool() || body.as_object().size() != 1)
                    return failure(400, "INVALID_PARAMETER", "only enabled (a boolean) can be changed");
                it->second["enabled"] = enabled->get_bool();
                return success(json::object{{"webhook", it->second}});
            }
        }
        return failure(404, "NOT_FOUND", "no such route");
    }
};

fake_foxtrot_api::fake_foxtrot_api(std::string const& dir, std::string key_header) : impl_(std::make_unique<impl>())
{
    impl_->key_header = std::move(key_header);
    impl_->server = std::make_unique<fake_https>(dir, [this](fake_request const& req) { return impl_->handle(req); });
}

fake_foxtrot_api::~fake_foxtrot_api()
{
    impl_->server.reset(); // its thread reads the rest of impl
}

std::string fake_foxtrot_api::api_url() const { return impl_->server->url(); }
std::string fake_foxtrot_api::ca_file() const { return impl_->server->ca_file(); }

void fake_foxtrot_api::fail_next(unsigned status, unsigned count, unsigned retry_after)
{
    std::lock_guard lock(impl_->mutex);
    impl_->fail_status = status;
    impl_->fail_count = count;
    impl_->fail_retry_after = retry_after;
}

std::string fake_foxtrot_api::add(std::string url, std::vector<std::string> events, std::vector<std::string> dc_ids,
                                  bool enabled)
{
    std::lock_guard lock(impl_->mutex);
    json::array e, d;
    for(auto& x : events)
        e.emplace_back(x);
    for(auto& x : dc_ids)
        d.emplace_back(x);
    return std::string(impl_->make(std::move(url), std::move(e), std::move(d), enabled).at("id").as_string());
}

boost::json::value fake_foxtrot_api::stored(std::string const& id) const
{
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->hooks.find(id);
    return it == impl_->hooks.end() ? json::value(nullptr) : json::value(it->second);
}

std::size_t fake_foxtrot_api::count() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->hooks.size();
}

unsigned fake_foxtrot_api::requests() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

std::vector<std::string> fake_foxtrot_api::request_lines() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->lines;
}

} // namespace catena::webhooks::test
