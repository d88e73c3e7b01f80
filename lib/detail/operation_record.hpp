// SPDX-License-Identifier: BSL-1.0
// lib/detail/operation_record.hpp - a resource operation record (spec §4.3, §6.x) read into an outcome.
#ifndef CATENA_WEBHOOKS_DETAIL_OPERATION_RECORD_HPP
#define CATENA_WEBHOOKS_DETAIL_OPERATION_RECORD_HPP

#include <catena/webhooks/operation.hpp>

#include <boost/json/object.hpp>

#include <optional>

namespace catena::webhooks::detail {

/** The fields of a resource operation record, as a webhook carries it and as the
    Integrations API answers it: id, resource, operation_type, resource_id, source_id,
    connection_id, fleet_ref, and from the last failed attempt in `logs` the error type,
    details and status code. The status and source are left to the caller. */
operation_result operation_of(boost::json::object const& record);

/** The record's own `status`: pending, success or failed ("succeeded" is read as success);
    nothing for a missing or unknown one. */
std::optional<operation_status> record_status(boost::json::object const& record);

} // namespace catena::webhooks::detail

#endif
