// SPDX-License-Identifier: BSL-1.0
// lib/detail/operation_record.cpp - a resource operation record read into an outcome.
#include "detail/operation_record.hpp"
#include "detail/json_fields.hpp"

#include <string_view>

namespace catena::webhooks::detail {

namespace json = boost::json;

namespace {

} // namespace

operation_result operation_of(json::object const& record)
{
    operation_result r;
    r.operation_id = string_field(record, "id");
    r.resource = string_field(record, "resource");
    r.operation_type = string_field(record, "operation_type");
    r.resource_id = string_field(record, "resource_id");
    r.source_id = string_field(record, "source_id");
    r.connection_id = string_field(record, "connection_id");
    r.fleet_ref = string_field(record, "fleet_ref");
    if(auto const* logs = record.if_contains("logs"); logs && logs->is_array())
    {
        // The last failed attempt explains the failure.
        for(auto it = logs->get_array().rbegin(); it != logs->get_array().rend(); ++it)
        {
            auto const* log = it->if_object();
            if(!log || string_field(*log, "status") != "failed")
                continue;
            r.error_type = string_field(*log, "error_type");
            r.error_details = string_field(*log, "error_details");
            if(auto const* code = log->if_contains("response_status_code"); code && code->is_int64())
                r.response_status_code = static_cast<int>(code->get_int64());
            break;
        }
    }
    return r;
}

std::optional<operation_status> record_status(json::object const& record)
{
    auto const s = string_field(record, "status");
    if(s == "pending")
        return operation_status::pending;
    if(s == "success" || s == "succeeded")
        return operation_status::success;
    if(s == "failed")
        return operation_status::failed;
    return std::nullopt;
}

} // namespace catena::webhooks::detail
