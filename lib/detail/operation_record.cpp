// SPDX-License-Identifier: BSL-1.0
// lib/detail/operation_record.cpp - a resource operation record read into an outcome.
#include "detail/operation_record.hpp"

#include <string_view>

namespace catena::webhooks::detail {

namespace json = boost::json;

namespace {

std::string text(json::object const& o, std::string_view key)
{
    if(auto const* v = o.if_contains(key); v && v->is_string())
        return std::string(v->get_string());
    return {};
}

} // namespace

operation_result operation_of(json::object const& record)
{
    operation_result r;
    r.operation_id = text(record, "id");
    r.resource = text(record, "resource");
    r.operation_type = text(record, "operation_type");
    r.resource_id = text(record, "resource_id");
    r.source_id = text(record, "source_id");
    r.connection_id = text(record, "connection_id");
    r.fleet_ref = text(record, "fleet_ref");
    if(auto const* logs = record.if_contains("logs"); logs && logs->is_array())
    {
        // The last failed attempt explains the failure.
        for(auto it = logs->get_array().rbegin(); it != logs->get_array().rend(); ++it)
        {
            auto const* log = it->if_object();
            if(!log || text(*log, "status") != "failed")
                continue;
            r.error_type = text(*log, "error_type");
            r.error_details = text(*log, "error_details");
            if(auto const* code = log->if_contains("response_status_code"); code && code->is_int64())
                r.response_status_code = static_cast<int>(code->get_int64());
            break;
        }
    }
    return r;
}

std::optional<operation_status> record_status(json::object const& record)
{
    auto const s = text(record, "status");
    if(s == "pending")
        return operation_status::pending;
    if(s == "success" || s == "succeeded")
        return operation_status::success;
    if(s == "failed")
        return operation_status::failed;
    return std::nullopt;
}

} // namespace catena::webhooks::detail
