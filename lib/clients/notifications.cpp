// SPDX-License-Identifier: BSL-1.0
// lib/clients/notifications.cpp - the Notifications API client: token, requests, retries.
#include <catena/webhooks/notifications.hpp>

#include "clients/api_transport.hpp"
#include "detail/operation_record.hpp"
#include "detail/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>

namespace catena::webhooks {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

using detail::parse_url;
using detail::percent_encode;
using detail::url_parts;

namespace {

constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);
constexpr int max_pages = 10'000;

api_error failure(error e, std::string message) { return detail::api_failure(e, std::move(message)); }

// A query string from name/value pairs, leaving out empty values.
std::string query_of(std::initializer_list<std::pair<std::string_view, std::string>> params)
{
    std::string q;
    for(auto const& [k, v] : params)
        if(!v.empty())
            q.append(q.empty() ? "?" : "&").append(k).append("=").append(percent_encode(v));
    return q;
}

} // namespace

std::string check_notifications_options(notifications_options const& o)
{
    if(!parse_url(o.api_url))
        return "the API URL must be https://HOST[:PORT][/PATH] (http:// only to a loopback address): " + o.api_url;
    if(!parse_url(o.auth_url))
        return "the token URL must be https://HOST[:PORT]/PATH (http:// only to a loopback address): " + o.auth_url;
    if(o.client_id.empty() || o.client_secret.empty())
        return "the client id and secret are needed (CATENA_CLIENT_ID, CATENA_CLIENT_SECRET)";
    if(o.max_attempts == 0 || o.timeout.count() <= 0)
        return "max_attempts and timeout must be positive";
    return {};
}

//------------------------------------------------------------------------------

struct notifications_client::impl : std::enable_shared_from_this<impl>
{
    impl(net::any_io_executor ex, notifications_options o)
        : http(ex, detail::transport_options_of(o)), opts(std::move(o)), refresh_done(http.strand())
    {
        problem = check_notifications_options(opts);
        if(problem.empty())
        {
            api = *parse_url(opts.api_url);
            auth = *parse_url(opts.auth_url);
        }
        if(problem.empty())
            problem = http.problem();
    }

    using answer = detail::api_answer;

    detail::api_transport http;
    net::strand<net::any_io_executor>& strand = http.strand();
    notifications_options const opts;
    url_parts api, auth;
    std::string problem; // why the options cannot work

    std::string token;
    std::chrono::steady_clock::time_point token_expiry{};
    bool refreshing = false;
    net::steady_timer refresh_done; // waiters of a refresh wait on it; the refresh cancels it
    std::optional<api_error> refresh_error;

    std::atomic<std::uint64_t> retries{0}, token_requests{0}, errors{0};

    void close_all()
    {
        http.close_all();
        refresh_done.cancel();
    }

    net::awaitable<api_result<answer>> exchange(url_parts const& u, http::verb method, std::string const& target,
                                                std::string const& body, std::string_view content_type,
                                                std::string const& bearer)
    {
        std::string const authorization = bearer.empty() ? std::string() : "Bearer " + bearer;
        co_return co_await http.exchange(u, method, target, body, content_type, "Authorization", authorization);
    }

    // The token endpoint, once: {access_token, expires_in}.
    net::awaitable<api_result<std::string>> fetch_token()
    {
        ++token_requests;
        std::string const form = "grant_type=client_credentials&client_id=" + percent_encode(opts.client_id) +
                                 "&client_secret=" + percent_encode(opts.client_secret);
        std::string const none;
        auto r = co_await exchange(auth, http::verb::post, none, form, "application/x-www-form-urlencoded", none);
        if(!r)
            co_return r.error();
        if(r->status != 200)
        {
            auto e = parse_api_error(r->status, r->body, r->retry_after);
            // OAuth's own error shape: {"error": "...", "error_description": "..."}.
            json::error_code jec;
            auto const v = json::parse(r->body, jec);
            if(!jec && v.is_object())
            {
                if(auto const* d = v.get_object().if_contains("error_description"); d && d->is_string())
                    e.message = std::string(d->get_string());
                if(auto const* c = v.get_object().if_contains("error"); c && c->is_string())
                    e.code = std::string(c->get_string());
            }
            if(r->status == 400 || r->status == 401 || r->status == 403)
                e.ec = make_error_code(error::api_unauthorized);
            e.message = "token endpoint: " + (e.message.empty() ? std::string("refused") : e.message);
            co_return e;
        }
        json::error_code jec;
        auto const v = json::parse(r->body, jec);
        if(jec || !v.is_object() || !v.get_object().contains("access_token") ||
           !v.get_object().at("access_token").is_string())
            co_return failure(error::api_bad_response, "token endpoint: no access_token in its answer");
        auto const& o = v.get_object();
        long long expires_in = 300;
        if(auto const* e = o.if_contains("expires_in"); e && e->is_number())
            expires_in = std::max<long long>(1, e->to_number<long long>());
        token = std::string(o.at("access_token").get_string());
        // A token that lives less than the margin serves the calls waiting for it, and the
        // next call fetches another.
        token_expiry = std::chrono::steady_clock::now() +
                       std::chrono::seconds(std::max<long long>(0, expires_in - opts.refresh_margin.count()));
        co_return token;
    }

    // The cached token, or a fresh one; one refresh at a time, the others wait for it.
    net::awaitable<api_result<std::string>> access_token(bool force)
    {
        if(!force && !token.empty() && std::chrono::steady_clock::now() < token_expiry)
            co_return token;
        if(refreshing)
        {
            co_await refresh_done.async_wait(tuple_awaitable);
            if(refresh_error)
                co_return *refresh_error;
            co_return token;
        }
        refreshing = true;
        refresh_done.expires_at(std::chrono::steady_clock::time_point::max());
        token.clear();
        auto r = co_await fetch_token();
        refresh_error = r ? std::nullopt : std::optional(r.error());
        refreshing = false;
        refresh_done.cancel();
        co_return r;
    }

    // A call to the API: token, request, retries. A 2xx answer, or the error.
    net::awaitable<api_result<answer>> call(http::verb method, std::string const& target, std::string const& body)
    {
        if(!problem.empty())
            co_return failure(error::api_unreachable, problem);
        if(http.closing())
            co_return failure(error::api_unreachable, "cancelled");
        bool refreshed = false;
        auto attempt = [&]() -> net::awaitable<api_result<answer>> {
            std::string_view const type = body.empty() ? "" : "application/json";
            auto t = co_await access_token(false);
            if(!t)
                co_return t.error();
            auto r = co_await exchange(api, method, target, body, type, *t);
            if(r && r->status == 401 && !refreshed)
            {
                // The token may have been revoked or expired early: one new one, once, within
                // the same attempt.
                refreshed = true;
                token.clear();
                t = co_await access_token(false);
                if(!t)
                    co_return t.error();
                r = co_await exchange(api, method, target, body, type, *t);
            }
            if(!r)
                co_return r.error();
            if(r->status / 100 != 2)
                co_return parse_api_error(r->status, r->body, r->retry_after);
            co_return std::move(*r);
        };
        co_return co_await http.with_retries<answer>(detail::retry_policy_of(opts), attempt, retries);
    }

    template<class T, class Work>
    void run(std::function<void(api_result<T>)> h, Work work)
    {
        net::co_spawn(strand,
                      [self = shared_from_this(), h = std::move(h), work = std::move(work)]() mutable -> net::awaitable<void> {
                          auto r = co_await work(*self);
                          if(!r)
                              ++self->errors;
                          h(std::move(r));
                      },
                      net::detached);
    }

    static api_result<json::value> json_of(answer const& a)
    {
        json::error_code ec;
        auto v = json::parse(a.body, ec);
        if(ec)
            return failure(error::api_bad_response, "an answer that is not JSON (HTTP " + std::to_string(a.status) + ")");
        return v;
    }

    // A call whose JSON answer `parse` turns into T.
    template<class T, class Parse>
    void typed(std::function<void(api_result<T>)> h, http::verb method, std::string target, std::string body,
               Parse parse)
    {
        run<T>(std::move(h), [method, target = std::move(target), body = std::move(body),
                              parse](impl& self) mutable -> net::awaitable<api_result<T>> {
            auto a = co_await self.call(method, target, body);
            if(!a)
                co_return a.error();
            auto v = json_of(*a);
            if(!v)
                co_return v.error();
            co_return parse(*v);
        });
    }

    // Every page of a listing, through next_page.
    template<class T, class Parse>
    void all_pages(std::function<void(api_result<std::vector<T>>)> h, std::string target, std::string first_cursor,
                   Parse parse)
    {
        run<std::vector<T>>(std::move(h), [target = std::move(target), cursor = std::move(first_cursor),
                                           parse](impl& self) mutable -> net::awaitable<api_result<std::vector<T>>> {
            std::vector<T> all;
            for(int pages = 0; pages < max_pages; ++pages)
            {
                // Named, not a temporary of the co_await expression (GCC 12 destroys some twice).
                std::string page_target = target;
                if(!cursor.empty())
                    page_target += (target.find('?') == std::string::npos ? "?cursor=" : "&cursor=") + percent_encode(cursor);
                std::string const no_body;
                auto a = co_await self.call(http::verb::get, page_target, no_body);
                if(!a)
                    co_return a.error();
                auto v = json_of(*a);
                if(!v)
                    co_return v.error();
                auto p = parse(*v);
                if(!p)
                    co_return p.error();
                for(auto& x : p->items)
                    all.push_back(std::move(x));
                if(p->next_page.empty())
                    co_return all;
                if(p->next_page == cursor)
                    co_return failure(error::api_bad_response, "a page whose next_page is its own cursor");
                cursor = std::move(p->next_page);
            }
            co_return failure(error::api_bad_response, "more than 10000 pages");
        });
    }
};

//------------------------------------------------------------------------------

namespace {

std::string webhooks_path(std::string_view id = {}, std::string_view action = {})
{
    std::string p = "/v2/notifications/webhooks";
    if(!id.empty())
        p += "/" + percent_encode(id);
    if(!action.empty())
        p += "/" + std::string(action);
    return p;
}

std::string listing_query(webhook_query const& q, bool with_cursor)
{
    return query_of({{"event_name", q.event_name},
                     {"status", q.status},
                     {"cursor", with_cursor ? q.cursor : std::string()},
                     {"size", std::to_string(std::clamp(q.size, 1u, 1000u))}});
}

// A resource operation as the Integrations API answers it (the object, or it under "data").
api_result<operation_result> operation_answer(json::value const& v)
{
    auto const* o = v.if_object();
    if(o && o->contains("data") && o->at("data").is_object())
        o = &o->at("data").get_object();
    if(!o)
        return failure(error::api_bad_response, "a resource operation answer that is not an object");
    auto r = detail::operation_of(*o);
    auto const st = detail::record_status(*o);
    if(r.operation_id.empty() || !st)
        return failure(error::api_bad_response, "a resource operation without an id or a known status");
    r.status = *st;
    r.source = operation_source::poll;
    return r;
}

// A page of the listing: {items, next_page} as the Notifications API pages, or a plain array.
api_result<api_page<operation_result>> operation_page(json::value const& v)
{
    api_page<operation_result> page;
    json::array const* items = v.if_array();
    if(auto const* o = v.if_object())
    {
        if(auto const* i = o->if_contains("items"))
            items = i->if_array();
        if(auto const* n = o->if_contains("next_page"); n && n->is_string())
            page.next_page = std::string(n->get_string());
    }
    if(!items)
        return failure(error::api_bad_response, "a resource operation listing without items");
    for(auto const& x : *items)
    {
        auto r = operation_answer(x);
        if(!r)
            return r.error();
        page.items.push_back(std::move(*r));
    }
    return page;
}

} // namespace

void notifications_client::resource_operation(std::string connection_id, std::string operation_id,
                                              handler<operation_result> h)
{
    auto target = "/v2/integrations/connections/" + percent_encode(connection_id) + "/resource-operations/" +
                  percent_encode(operation_id);
    impl_->typed<operation_result>(
        [h = std::move(h), id = std::move(operation_id)](api_result<operation_result> r) {
            // An answer about another operation is no answer about this one.
            if(r && r->operation_id != id)
                r = failure(error::api_bad_response, "asked for operation " + id + ", answered " + r->operation_id);
            h(std::move(r));
        },
        http::verb::get, std::move(target), {}, operation_answer);
}

void notifications_client::resource_operations(std::string connection_id, std::string resource,
                                               handler<std::vector<operation_result>> h)
{
    auto const target = "/v2/integrations/connections/resource-operations" +
                        query_of({{"connection_id", connection_id}, {"resource", resource}});
    impl_->all_pages<operation_result>(std::move(h), target, {}, operation_page);
}

notifications_client::notifications_client(net::any_io_executor ex, notifications_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts)))
{
}

notifications_client::~notifications_client() = default;

void notifications_client::create(webhook_create c, handler<std::vector<webhook_subscription>> h)
{
    impl_->typed<std::vector<webhook_subscription>>(std::move(h), http::verb::post, webhooks_path(),
                                                    json::serialize(to_json(c)), parse_created);
}

void notifications_client::list(webhook_query q, handler<std::vector<webhook_subscription>> h)
{
    impl_->all_pages<webhook_subscription>(std::move(h), webhooks_path() + listing_query(q, false), q.cursor,
                                           parse_subscription_page);
}

void notifications_client::list_page(webhook_query q, handler<api_page<webhook_subscription>> h)
{
    impl_->typed<api_page<webhook_subscription>>(std::move(h), http::verb::get, webhooks_path() + listing_query(q, true),
                                                 {}, parse_subscription_page);
}

void notifications_client::get(std::string id, handler<webhook_subscription> h)
{
    impl_->typed<webhook_subscription>(std::move(h), http::verb::get, webhooks_path(id), {}, parse_subscription);
}

void notifications_client::update(std::string id, webhook_update u, handler<webhook_subscription> h)
{
    impl_->typed<webhook_subscription>(std::move(h), http::verb::patch, webhooks_path(id), json::serialize(to_json(u)),
                                       parse_subscription);
}

void notifications_client::activate(std::string id, handler<webhook_subscription> h)
{
    impl_->typed<webhook_subscription>(std::move(h), http::verb::post, webhooks_path(id, "activate"), {},
                                       parse_subscription);
}

void notifications_client::pause(std::string id, handler<webhook_subscription> h)
{
    impl_->typed<webhook_subscription>(std::move(h), http::verb::post, webhooks_path(id, "pause"), {},
                                       parse_subscription);
}

void notifications_client::remove(std::string id, done_handler h)
{
    impl_->run<void>(std::move(h), [target = webhooks_path(id)](impl& self) -> net::awaitable<api_result<void>> {
        std::string const no_body;
        auto a = co_await self.call(http::verb::delete_, target, no_body);
        if(!a)
            co_return a.error();
        co_return api_result<void>{};
    });
}

void notifications_client::replay(std::string id, done_handler h)
{
    impl_->run<void>(std::move(h), [target = webhooks_path(id, "replay")](impl& self) -> net::awaitable<api_result<void>> {
        std::string const no_body;
        auto a = co_await self.call(http::verb::post, target, no_body);
        if(!a)
            co_return a.error();
        co_return api_result<void>{};
    });
}

void notifications_client::metrics(std::string id, handler<webhook_metrics> h)
{
    impl_->typed<webhook_metrics>(std::move(h), http::verb::get, webhooks_path(id, "metrics"), {}, parse_metrics);
}

void notifications_client::logs(std::string id, log_query q, handler<std::vector<webhook_log>> h)
{
    auto const target = webhooks_path(id, "logs") + query_of({{"start_date", q.start_date},
                                                              {"end_date", q.end_date},
                                                              {"status", q.status},
                                                              {"size", std::to_string(std::clamp(q.size, 1u, 1000u))}});
    impl_->all_pages<webhook_log>(std::move(h), target, q.cursor, parse_log_page);
}

void notifications_client::schema(std::string event_name, std::string version, handler<event_schema> h)
{
    auto target = "/v2/notifications/schemas/" + percent_encode(event_name);
    if(!version.empty())
        target += "/versions/" + percent_encode(version);
    impl_->typed<event_schema>(std::move(h), http::verb::get, std::move(target), {}, parse_schema);
}

void notifications_client::cancel()
{
    net::post(impl_->strand, [self = impl_] { self->close_all(); });
}

notifications_stats notifications_client::stats() const
{
    notifications_stats s;
    s.requests = impl_->http.requests.load();
    s.retries = impl_->retries.load();
    s.token_requests = impl_->token_requests.load();
    s.errors = impl_->errors.load();
    return s;
}

} // namespace catena::webhooks
