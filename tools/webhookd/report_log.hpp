// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/report_log.hpp - catena-webhookd's reports on stderr: rate-limited, with what was suppressed summarised.
#ifndef CATENA_WEBHOOKD_REPORT_LOG_HPP
#define CATENA_WEBHOOKD_REPORT_LOG_HPP

#include <catena/webhooks/event.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>

namespace webhookd {

/** Writes the receiver's error reports, at most `per_second` a second: a flood of forged
    requests must not drown the log (nor the disk). What a second suppressed is summarised in
    one line ("N lines suppressed"), written by the next report or by flush(), whichever
    comes first. The start and end of a penalty are always written: they are rare, and the
    operator's evidence that an address is being rationed.

    @par Thread safety
    Every member function from any thread. */
class report_log
{
public:
    explicit report_log(std::FILE* out, unsigned per_second = 20) : out_(out), per_second_(per_second) {}

    void write(catena::webhooks::error_report const& r);
    /// Writes the summary of a second that is over (call it about once a second); `last`:
    /// of the current one too (at exit).
    void flush(bool last = false);

private:
    void roll(std::chrono::steady_clock::time_point now, bool last = false);

    std::FILE* out_;
    unsigned const per_second_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point window_{};
    unsigned written_ = 0;
    unsigned suppressed_ = 0;
};

} // namespace webhookd

#endif
