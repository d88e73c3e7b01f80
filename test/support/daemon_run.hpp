// SPDX-License-Identifier: BSL-1.0
// test/support/daemon_run.hpp - what the daemon's tests start it with and send it.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_DAEMON_RUN_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_DAEMON_RUN_HPP

#include "sim.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

#ifndef CATENA_WEBHOOKD_PATH
#error "the daemon's tests are built with catena-webhookd (test/CMakeLists.txt)"
#endif

namespace catena::webhooks::test::daemon_run {

inline constexpr char daemon_path[] = CATENA_WEBHOOKD_PATH;

/// catena-webhookd on an ephemeral loopback port, its store and events under `dir`, then `extra`.
inline std::vector<std::string> args(std::string const& dir, std::vector<std::string> extra = {})
{
    std::vector<std::string> a{daemon_path, "--listen", "127.0.0.1:0", "--data-dir", dir + "/data",
                               "--events", dir + "/events.jsonl"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

/// One record of fleet f-1, its envelope id made of `id`'s first two characters.
inline sim::message message(std::string webhook_id, std::string event_name, std::string id)
{
    sim::message m;
    m.webhook_id = std::move(webhook_id);
    m.event_name = std::move(event_name);
    m.event_id = "01936b2e-7c00-7000-8000-0000000000" + id.substr(0, 2);
    m.data.push_back(boost::json::object{{"id", id}, {"fleet_id", "f-1"}, {"fleet_ref", "FLEET-1"},
                                         {"occurred_at", "2025-12-11T14:21:30Z"}});
    return m;
}

inline sim::send_options no_retry()
{
    sim::send_options o;
    o.max_retries = 0;
    return o;
}

} // namespace catena::webhooks::test::daemon_run

#endif
