// SPDX-License-Identifier: BSL-1.0
// lib/receiver/receiver_options.cpp - the checks receiver::start() makes of its options before anything is opened.
#include <catena/webhooks/receiver_options.hpp>

#include <catena/webhooks/notifications.hpp>

#include "detail/address.hpp"
#include "providers/route_table.hpp"
#include "receiver/options_check.hpp"

namespace catena::webhooks::detail {

namespace {

bool in_range(receiver_options const& o)
{
    return !o.path.empty() && o.path.front() == '/' && (o.health_path.empty() || o.health_path.front() == '/') &&
           (o.metrics_path.empty() || o.metrics_path.front() == '/') && o.health_path != o.path &&
           o.metrics_path != o.path && (o.unverified_status == 401 || o.unverified_status == 503) &&
           o.limits.max_body_bytes > 0 && o.limits.max_header_bytes >= 1024 && o.limits.max_inbox_entries > 0 &&
           o.limits.max_inbox_bytes > 0 && o.limits.inflate.max_inflated_bytes > 0 && o.timeouts.header.count() > 0 &&
           o.timeouts.body.count() > 0 && o.timeouts.idle.count() > 0 && o.timeouts.write.count() > 0 &&
           o.timeouts.shutdown_timeout.count() > 0 && o.timeouts.linger.count() >= 0 &&
           o.window.max_past.count() >= 0 && o.window.max_future.count() >= 0 &&
           (!o.admin_listen || (o.health_path != "" || o.metrics_path != "")) && o.clock &&
           o.store.progress_interval.count() >= 0 &&
           (o.tls.certificate_file.empty() == o.tls.private_key_file.empty());
}

error_code refuse(std::string& detail, std::string why)
{
    detail = std::move(why);
    return error::invalid_options;
}

} // namespace

error_code check_options(receiver_options const& o, std::string& detail)
{
    if(!in_range(o))
        return error::invalid_options;
    if(o.heal.enabled)
        if(auto problem = check_notifications_options(o.heal.api); !problem.empty())
            return refuse(detail, "heal: " + problem);
    if(o.operations.enabled)
        if(auto problem = check_notifications_options(o.operations.api); !problem.empty())
            return refuse(detail, "operations: " + problem);
    if(auto problem = route_table::check(o); !problem.empty())
        return refuse(detail, problem);
    if(!o.admin_token.empty() && !o.admin_listen)
        return refuse(detail, "admin_token is set but there is no admin listener for it to protect: the delivery "
                              "listener would serve metrics without it (catena-webhookd: --admin-token-env needs "
                              "--admin-listen)");
    for(auto const& t : o.trusted_proxies)
        if(!parse_cidr(t))
            return refuse(detail, "trusted proxy \"" + t + "\" is not an address or a CIDR");
    if(o.proxy_protocol && o.trusted_proxies.empty())
        return refuse(detail, "proxy_protocol needs trusted_proxies: the PROXY header is taken only from them");
    // The state API tells who the fleets are: off the loopback it wants a token.
    if(o.admin_listen && !o.admin_listen->address().is_loopback() && o.admin_token.empty())
        return refuse(detail, "the admin listener on " + o.admin_listen->address().to_string() +
                                  " is not a loopback address: it needs admin_token (catena-webhookd: "
                                  "--admin-token-env)");
    return {};
}

} // namespace catena::webhooks::detail
