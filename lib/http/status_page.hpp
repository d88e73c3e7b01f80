// SPDX-License-Identifier: BSL-1.0
// lib/http/status_page.hpp - the admin listener's status page: one HTML document, no external assets.
#ifndef CATENA_WEBHOOKS_HTTP_STATUS_PAGE_HPP
#define CATENA_WEBHOOKS_HTTP_STATUS_PAGE_HPP

#include <string_view>

namespace catena::webhooks::detail {

/** The status page served at `/` of the admin listener. It holds no data: its script reads
    the state API (/v1/summary, /v1/fleets, /v1/dead-letters, /v1/subscriptions, /v1/sinks) and
    renders the build (version, commit), each number under its name in /v1/summary and /metrics,
    fleets by stage and health, the fleets that need attention with their connections, the
    recent dead letters, the subscriptions and the intake rates, refreshing every 5 seconds.
    With an admin token, the page takes it from its URL fragment (`/#token=…`) or a form,
    keeps it in the tab's sessionStorage and sends it as a bearer token. */
std::string_view status_page_html() noexcept;

} // namespace catena::webhooks::detail

#endif
