// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_operation_answer.cpp - what the Integrations API answers about a resource operation,
// and a write call's 202, read into an operation (untrusted: whatever the API or a proxy sends).
//
// Input: the bytes of an answer body.
// Invariants: nothing throws or crashes; parse_operation_response succeeds exactly when the body
// is a JSON object whose "id" is a non-empty string, and then names that id and the object's
// string connection_id and resource (empty when absent or not strings); record_status knows only
// pending, success (or succeeded) and failed; the error read from `logs` comes from an attempt
// whose status is failed, and is empty when there is none.
#include <catena/webhooks/operation.hpp>

#include "detail/operation_record.hpp"
#include "fuzz_support.hpp"

#include <boost/json/parse.hpp>

namespace {

namespace cw = catena::webhooks;
namespace json = boost::json;
using cw::fuzz::require;

std::string text(json::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const body(reinterpret_cast<char const*>(data), size);
    auto const op = cw::parse_operation_response(body);
    json::error_code ec;
    auto const v = json::parse(body, ec);
    json::object const* o = !ec ? v.if_object() : nullptr;
    bool const has_id = o && !text(*o, "id").empty();
    require(op.has_value() == has_id, "parse_operation_response and the body disagree on whether it is an operation");
    if(!op)
    {
        require(op.error() == cw::error::api_bad_response, "a body that is no operation is not api_bad_response");
        return 0;
    }
    require(op->operation_id == text(*o, "id"), "the operation id is not the body's id");
    require(op->connection_id == text(*o, "connection_id"), "the connection is not the body's connection_id");
    require(op->resource == text(*o, "resource"), "the resource is not the body's resource");

    auto const st = cw::detail::record_status(*o);
    auto const s = text(*o, "status");
    require(st.has_value() == (s == "pending" || s == "success" || s == "succeeded" || s == "failed"),
            "record_status knows a status Catena does not document, or misses one it does");
    auto const r = cw::detail::operation_of(*o);
    bool any_failed = false;
    if(auto const* logs = o->if_contains("logs"); logs && logs->is_array())
        for(auto const& l : logs->get_array())
            any_failed |= l.is_object() && text(l.get_object(), "status") == "failed";
    if(!any_failed)
        require(r.error_type.empty() && r.error_details.empty() && !r.response_status_code,
                "an error was read from logs without a failed attempt");
    return 0;
}
