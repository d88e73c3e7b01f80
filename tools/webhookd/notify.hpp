// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/notify.hpp - tells systemd (Type=notify) where the daemon stands.
#ifndef CATENA_WEBHOOKD_NOTIFY_HPP
#define CATENA_WEBHOOKD_NOTIFY_HPP

#include <string>

namespace webhookd {

/** sd_notify(3) when catena-webhookd is built with libsystemd (a no-op otherwise, and when
    NOTIFY_SOCKET is unset): READY=1 once listening, RELOADING=1 then READY=1 around a SIGHUP
    reload, STOPPING=1 when the drain begins; each with a STATUS= line. */
void notify_ready(std::string const& status);
void notify_reloading();
void notify_stopping(std::string const& status);
/// Whether this build talks to systemd at all.
bool notify_supported() noexcept;

} // namespace webhookd

#endif
