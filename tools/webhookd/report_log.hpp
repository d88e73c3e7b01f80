// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/report_log.hpp - catena-webhookd's reports in its log: rate-limited, with what was suppressed summarised.
#ifndef CATENA_WEBHOOKD_REPORT_LOG_HPP
#define CATENA_WEBHOOKD_REPORT_LOG_HPP

#include "log.hpp"

#include <catena/webhooks/event.hpp>

#include <chrono>
#include <mutex>

namespace webhookd {

/// The level of a report: error for what went wrong on this side (the store, a callback, a
/// drain cut short, leadership lost), warn for what a peer did or what is only rationed.
log_level level_of(catena::webhooks::error_report const& r) noexcept;

/** Writes the receiver's error reports to a log, at most `per_second` lines a second: a flood
    of forged requests must not drown the log (nor the disk). What a second suppressed is
    summarised in one line ("N lines suppressed", at the level of the worst of them), written
    by the next report or by flush(), whichever comes first. The start and end of a penalty
    are always written: they are rare, and the operator's evidence that an address is being
    rationed. Reports below the log's level are neither written nor counted.

    @par Thread safety
    Every member function from any thread. */
class report_log
{
public:
    explicit report_log(logger& log, unsigned per_second = 20) : log_(log), per_second_(per_second) {}

    void write(catena::webhooks::error_report const& r);
    /// Writes the summary of a second that is over (call it about once a second); `last`:
    /// of the current one too (at exit).
    void flush(bool last = false);

private:
    void roll(std::chrono::steady_clock::time_point now, bool last = false);

    logger& log_;
    unsigned const per_second_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point window_{};
    unsigned written_ = 0;
    unsigned suppressed_ = 0;
    log_level worst_suppressed_ = log_level::debug;
};

} // namespace webhookd

#endif
