// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/report_log.cpp - catena-webhookd's reports on stderr: rate-limited, with what was suppressed summarised.
#include "report_log.hpp"

#include <catena/webhooks/error.hpp>

#include <string>

namespace webhookd {

namespace cw = catena::webhooks;

void report_log::roll(std::chrono::steady_clock::time_point now, bool last)
{
    if(!last && now - window_ < std::chrono::seconds(1))
        return;
    if(suppressed_ > 0)
        std::fprintf(out_, "catena-webhookd: %u lines suppressed\n", suppressed_);
    window_ = now;
    written_ = 0;
    suppressed_ = 0;
}

void report_log::write(cw::error_report const& r)
{
    std::lock_guard lock(mutex_);
    roll(std::chrono::steady_clock::now());
    bool const always = r.ec == cw::error::penalty_started || r.ec == cw::error::penalty_ended;
    if(!always && ++written_ > per_second_)
    {
        ++suppressed_;
        return;
    }
    std::fprintf(out_, "catena-webhookd: %.*s (%s)%s%s: %s\n", static_cast<int>(r.reason.size()), r.reason.data(),
                 r.http_status ? std::to_string(r.http_status).c_str() : "-", r.request_id.empty() ? "" : " request ",
                 r.request_id.c_str(), r.detail.c_str());
}

void report_log::flush(bool last)
{
    std::lock_guard lock(mutex_);
    roll(std::chrono::steady_clock::now(), last);
}

} // namespace webhookd
