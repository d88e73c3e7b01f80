// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/api_error.hpp - why a call of an API client failed, and the result type of its calls.
#ifndef CATENA_WEBHOOKS_API_ERROR_HPP
#define CATENA_WEBHOOKS_API_ERROR_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks {

/** One entry of a 422's detail list. */
struct field_error
{
    std::string path;
    std::string input;
    std::string message;
    std::string error_type;
};

/** Why a call failed: the catena.webhooks error (api_* values), the HTTP status when the API
    answered, and the API's own {code, message, detail}. Never holds a credential. */
struct api_error
{
    error_code ec;
    unsigned status = 0;       ///< 0 when the API was not reached.
    std::string code;          ///< The API's code field.
    std::string message;       ///< The API's message, or what went wrong on the way.
    std::vector<field_error> details;            ///< 422.
    std::optional<std::chrono::seconds> retry_after; ///< 429.

    /// One line: "HTTP 422 validation_error: url: must be https (…)".
    CATENA_WEBHOOKS_DECL std::string what() const;
};

/// Throws system_error(e.ec, e.what()) (boost::system::result's hook).
[[noreturn]] CATENA_WEBHOOKS_DECL void throw_exception_from_error(api_error const& e,
                                                                  boost::source_location const& loc);

template<class T>
using api_result = boost::system::result<T, api_error>;

} // namespace catena::webhooks

#endif
