// SPDX-License-Identifier: BSL-1.0
// lib/model/operation.cpp - names of operation outcomes, and the operation a write call's 202 answered with.
#include <catena/webhooks/operation.hpp>

#include "detail/operation_record.hpp"

#include <boost/json/parse.hpp>

namespace catena::webhooks {

std::string_view to_string(operation_source s) noexcept
{
    switch(s)
    {
    case operation_source::webhook: return "webhook";
    case operation_source::poll: return "poll";
    case operation_source::timeout: return "timeout";
    }
    return "webhook";
}

std::string_view to_string(operation_status s) noexcept
{
    switch(s)
    {
    case operation_status::pending: return "pending";
    case operation_status::success: return "success";
    case operation_status::failed: return "failed";
    case operation_status::timed_out: return "timed_out";
    }
    return "pending";
}

result<operation_ref> parse_operation_response(std::string_view body)
{
    boost::json::error_code ec;
    auto const v = boost::json::parse(body, ec);
    if(ec || !v.is_object())
        return make_error_code(error::api_bad_response);
    auto const r = detail::operation_of(v.get_object());
    if(r.operation_id.empty())
        return make_error_code(error::api_bad_response);
    return operation_ref{r.operation_id, r.connection_id, r.resource};
}

} // namespace catena::webhooks
