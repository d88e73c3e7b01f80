// SPDX-License-Identifier: BSL-1.0
// lib/providers/foxtrot/client.cpp - Foxtrot's webhook management API: the wrapper, its errors, four calls.
#include <catena/webhooks/foxtrot.hpp>

#include <catena/webhooks/subscriptions.hpp> // parse_api_error: Foxtrot errors share its shape

#include "clients/api_transport.hpp"
#include "detail/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>

namespace catena::webhooks::foxtrot {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using detail::api_failure;

namespace {

std::string text_of(json::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    if(!v)
        return {};
    return v->is_string() ? std::string(v->get_string()) : v->is_null() ? std::string() : json::serialize(*v);
}

api_result<std::vector<std::string>> strings_of(json::object const& o, std::string_view key)
{
    std::vector<std::string> out;
    auto const* v = o.if_contains(key);
    if(!v || v->is_null())
        return out;
    if(!v->is_array())
        return api_failure(error::api_bad_response, "a webhook whose " + std::string(key) + " is not a list");
    for(auto const& x : v->get_array())
    {
        if(!x.is_string())
            return api_failure(error::api_bad_response, "a webhook whose " + std::string(key) + " holds a non-string");
        out.emplace_back(x.get_string());
    }
    return out;
}

std::string webhooks_path(std::string_view id = {})
{
    return id.empty() ? std::string("/webhooks") : "/webhooks/" + detail::percent_encode(id);
}

} // namespace

std::string check_client_options(client_options const& o)
{
    if(o.api_url.empty())
        return "the Foxtrot API URL is needed (its reference names no host)";
    if(!detail::parse_url(o.api_url))
        return "the API URL must be https://HOST[:PORT][/PATH] (http:// only to a loopback address): " + o.api_url;
    if(o.api_key.empty())
        return "the API key is needed (FOXTROT_API_KEY)";
    if(o.key_header.empty() || o.key_header.find_first_of(": \r\n") != std::string::npos)
        return "the API key header must be a header name: " + o.key_header;
    if(o.max_attempts == 0 || o.timeout.count() <= 0)
        return "max_attempts and timeout must be positive";
    return {};
}

api_result<json::value> unwrap(json::value const& v)
{
    if(!v.is_object())
        return api_failure(error::api_bad_response, "an answer that is not a JSON object");
    auto const& o = v.get_object();
    if(text_of(o, "status") != "success")
        return api_failure(error::api_bad_response, "an answer whose status is not \"success\"");
    auto const* d = o.if_contains("data");
    return d ? *d : json::value(nullptr);
}

api_result<webhook> parse_webhook(json::value const& v)
{
    if(!v.is_object())
        return api_failure(error::api_bad_response, "a webhook that is not an object");
    auto const& o = v.get_object();
    webhook w;
    w.id = text_of(o, "id");
    w.url = text_of(o, "url");
    if(w.id.empty())
        return api_failure(error::api_bad_response, "a webhook without an id");
    if(auto const* e = o.if_contains("enabled"); e && e->is_bool())
        w.enabled = e->get_bool();
    auto dcs = strings_of(o, "dc_ids");
    if(!dcs)
        return dcs.error();
    w.dc_ids = std::move(*dcs);
    auto events = strings_of(o, "events");
    if(!events)
        return events.error();
    w.events = std::move(*events);
    return w;
}

api_error parse_error(unsigned status, std::string_view body, std::optional<std::chrono::seconds> retry_after)
{
    // The common shape first ({code, message} at the top), then the wrapper's places for them.
    auto e = parse_api_error(status, body, retry_after);
    json::error_code jec;
    auto const v = json::parse(body, jec);
    if(jec || !v.is_object())
        return e;
    for(auto const* place : {"data", "error"})
        if(auto const* inner = v.get_object().if_contains(place))
        {
            if(inner->is_object())
            {
                if(e.code.empty())
                    e.code = text_of(inner->get_object(), "code");
                if(e.code.empty())
                    e.code = text_of(inner->get_object(), "error_code");
                if(e.message.empty())
                    e.message = text_of(inner->get_object(), "message");
            }
            else if(inner->is_string() && e.message.empty())
                e.message = std::string(inner->get_string());
        }
    if(e.code.empty())
        e.code = text_of(v.get_object(), "error_code");
    return e;
}

//------------------------------------------------------------------------------

struct client::impl : std::enable_shared_from_this<impl>
{
    impl(net::any_io_executor ex, client_options o) : http(ex, detail::transport_options_of(o)), opts(std::move(o))
    {
        problem = check_client_options(opts);
        if(problem.empty())
        {
            api = *detail::parse_url(opts.api_url);
            problem = http.problem();
        }
        key_value = boost::beast::iequals(opts.key_header, "Authorization") ? "Bearer " + opts.api_key : opts.api_key;
    }

    detail::api_transport http;
    client_options const opts;
    detail::url_parts api;
    std::string problem;
    std::string key_value;
    std::atomic<std::uint64_t> retries{0}, errors{0};

    // A call: the request, its retries; the unwrapped payload of a 2xx answer, or the error.
    net::awaitable<api_result<json::value>> call(http::verb method, std::string const& target, std::string const& body)
    {
        if(!problem.empty())
            co_return api_failure(error::api_unreachable, problem);
        auto attempt = [&]() -> net::awaitable<api_result<json::value>> {
            std::string_view const type = body.empty() ? "" : "application/json";
            auto r = co_await http.exchange(api, method, target, body, type, opts.key_header, key_value);
            if(!r)
                co_return r.error();
            if(r->status / 100 != 2)
                co_return parse_error(r->status, r->body, r->retry_after);
            if(method == http::verb::delete_ && r->body.empty())
                co_return json::value(nullptr);
            json::error_code jec;
            auto v = json::parse(r->body, jec);
            if(jec)
                co_return api_failure(error::api_bad_response,
                                      "an answer that is not JSON (HTTP " + std::to_string(r->status) + ")");
            co_return unwrap(v);
        };
        co_return co_await http.with_retries<json::value>(detail::retry_policy_of(opts), attempt, retries);
    }

    template<class T, class Parse>
    void run(std::function<void(api_result<T>)> h, http::verb method, std::string target, std::string body, Parse parse)
    {
        net::co_spawn(http.strand(),
                      [self = shared_from_this(), h = std::move(h), method, target = std::move(target),
                       body = std::move(body), parse]() mutable -> net::awaitable<void> {
                          auto r = co_await self->call(method, target, body);
                          api_result<T> out = r ? parse(*r) : api_result<T>(r.error());
                          if(!out)
                              ++self->errors;
                          h(std::move(out));
                      },
                      net::detached);
    }
};

client::client(net::any_io_executor ex, client_options opts) : impl_(std::make_shared<impl>(std::move(ex), std::move(opts)))
{
}

client::~client() = default;

void client::list(handler<std::vector<webhook>> h)
{
    impl_->run<std::vector<webhook>>(std::move(h), http::verb::get, webhooks_path(), {},
                                     [](json::value const& d) -> api_result<std::vector<webhook>> {
                                         auto const* list = d.is_object() ? d.get_object().if_contains("webhooks") : nullptr;
                                         if(!list || !list->is_array())
                                             return api_failure(error::api_bad_response, "no data.webhooks list");
                                         std::vector<webhook> out;
                                         for(auto const& x : list->get_array())
                                         {
                                             auto w = parse_webhook(x);
                                             if(!w)
                                                 return w.error();
                                             out.push_back(std::move(*w));
                                         }
                                         return out;
                                     });
}

namespace {

api_result<webhook> one_webhook(json::value const& d)
{
    auto const* w = d.is_object() ? d.get_object().if_contains("webhook") : nullptr;
    if(!w)
        return api_failure(error::api_bad_response, "no data.webhook");
    return parse_webhook(*w);
}

json::array array_of(std::vector<std::string> const& v)
{
    json::array a;
    for(auto const& x : v)
        a.emplace_back(x);
    return a;
}

} // namespace

void client::create(webhook_create c, handler<webhook> h)
{
    json::object body{{"webhook_url", c.webhook_url}, {"events", array_of(c.events)}, {"dc_ids", array_of(c.dc_ids)}};
    impl_->run<webhook>(std::move(h), http::verb::post, webhooks_path(), json::serialize(body), one_webhook);
}

void client::set_enabled(std::string id, bool enabled, handler<webhook> h)
{
    impl_->run<webhook>(std::move(h), http::verb::patch, webhooks_path(id),
                        json::serialize(json::object{{"enabled", enabled}}), one_webhook);
}

void client::remove(std::string id, done_handler h)
{
    impl_->run<void>(std::move(h), http::verb::delete_, webhooks_path(id), {},
                     [](json::value const&) -> api_result<void> { return {}; });
}

client_stats client::stats() const
{
    client_stats s;
    s.requests = impl_->http.requests.load();
    s.retries = impl_->retries.load();
    s.errors = impl_->errors.load();
    return s;
}

void client::cancel()
{
    net::post(impl_->http.strand(), [self = impl_] { self->http.close_all(); });
}

} // namespace catena::webhooks::foxtrot
