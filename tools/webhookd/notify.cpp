// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/notify.cpp - tells systemd (Type=notify) where the daemon stands.
#include "notify.hpp"

#if CATENA_WEBHOOKD_SYSTEMD
#include <systemd/sd-daemon.h>

#include <time.h>
#endif

namespace webhookd {

#if CATENA_WEBHOOKD_SYSTEMD

namespace {

void send(std::string const& text) { (void)sd_notify(0, text.c_str()); }

} // namespace

void notify_ready(std::string const& status) { send("READY=1\nSTATUS=" + status); }

void notify_reloading()
{
    // systemd 253 and later want the time of the reload with it.
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    auto const usec = static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ull +
                      static_cast<unsigned long long>(ts.tv_nsec) / 1000ull;
    send("RELOADING=1\nSTATUS=reloading the secrets\nMONOTONIC_USEC=" + std::to_string(usec));
}

void notify_stopping(std::string const& status) { send("STOPPING=1\nSTATUS=" + status); }

bool notify_supported() noexcept { return true; }

#else

void notify_ready(std::string const&) {}
void notify_reloading() {}
void notify_stopping(std::string const&) {}
bool notify_supported() noexcept { return false; }

#endif

} // namespace webhookd
