// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/report_log.cpp - catena-webhookd's reports in its log: rate-limited, with what was suppressed summarised.
#include "report_log.hpp"

#include <catena/webhooks/error.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace webhookd {

namespace cw = catena::webhooks;

log_level level_of(cw::error_report const& r) noexcept
{
    if(r.ec.category() != cw::error_category())
        return log_level::error; // not the library's: something failed inside
    switch(static_cast<cw::error>(r.ec.value()))
    {
    case cw::error::store_failure:
    case cw::error::handler_exception:
    case cw::error::callback_dead_lettered:
    case cw::error::dedup_memory_full:
    case cw::error::shutdown_timed_out:
    case cw::error::store_locked:
    case cw::error::store_not_ours:
    case cw::error::store_newer_schema:
    case cw::error::leadership_lost:
        return log_level::error;
    default:
        return log_level::warn;
    }
}

void report_log::roll(std::chrono::steady_clock::time_point now, bool last)
{
    if(!last && now - window_ < std::chrono::seconds(1))
        return;
    if(suppressed_ > 0)
        log_.write(worst_suppressed_, std::to_string(suppressed_) + " lines suppressed", {{"suppressed", suppressed_}});
    window_ = now;
    written_ = 0;
    suppressed_ = 0;
    worst_suppressed_ = log_level::debug;
}

void report_log::write(cw::error_report const& r)
{
    auto const level = level_of(r);
    if(!log_.enabled(level))
        return;
    std::lock_guard lock(mutex_);
    roll(std::chrono::steady_clock::now());
    bool const always = r.ec == cw::error::penalty_started || r.ec == cw::error::penalty_ended;
    if(!always && ++written_ > per_second_)
    {
        ++suppressed_;
        worst_suppressed_ = std::max(worst_suppressed_, level);
        return;
    }
    std::vector<log_field> fields{{"reason", r.reason}};
    if(r.http_status)
        fields.emplace_back("status", r.http_status);
    if(!r.request_id.empty())
        fields.emplace_back("request_id", r.request_id);
    if(!r.webhook_id.empty())
        fields.emplace_back("webhook_id", r.webhook_id);
    log_.write(level, r.detail.empty() ? r.reason : std::string_view(r.detail), fields);
}

void report_log::flush(bool last)
{
    std::lock_guard lock(mutex_);
    roll(std::chrono::steady_clock::now(), last);
}

} // namespace webhookd
