// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/timestamp.hpp - strict RFC 3339 parsing and the X-Catena-Timestamp freshness window.
#ifndef CATENA_WEBHOOKS_TIMESTAMP_HPP
#define CATENA_WEBHOOKS_TIMESTAMP_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace catena::webhooks {

/// A point in time with microsecond resolution, UTC.
using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/** A source of the current time. Tests inject a fixed or stepping clock. */
using clock_function = std::function<timestamp()>;

/** The system clock, truncated to microseconds. */
CATENA_WEBHOOKS_DECL timestamp system_now() noexcept;

/** Parses an RFC 3339 date-time such as `2024-11-28T10:30:00+00:00`.

    Accepts `Z`/`z` or a `±hh:mm` offset, `T`/`t` as separator, and 1 to 9 fractional
    digits (kept to the microsecond, further digits truncated). A leap second (`:60`) is
    read as the last microsecond of that minute. Everything else — missing parts, a space
    separator, out-of-range fields such as 2023-02-29, trailing bytes — is rejected.

    @return the instant in UTC, or error::malformed_timestamp.
*/
CATENA_WEBHOOKS_DECL result<timestamp> parse_rfc3339(std::string_view text) noexcept;

/** How the formatter writes the UTC offset. */
enum class utc_suffix
{
    offset, ///< `+00:00`, as Catena's samples do
    z,      ///< `Z`
};

/** Formats an instant as RFC 3339 in UTC, with fractional digits only when non-zero. */
CATENA_WEBHOOKS_DECL std::string format_rfc3339(timestamp t, utc_suffix suffix = utc_suffix::offset);

/** How far X-Catena-Timestamp may lie from the receiver's clock. */
struct freshness_window
{
    /// Oldest accepted age. Catena documents 5 minutes. Raising it widens the replay window.
    std::chrono::seconds max_past{300};
    /// Furthest accepted distance into the future (clock skew between Catena and us).
    std::chrono::seconds max_future{60};
};

/** Checks a parsed timestamp against `now`.

    @return error::timestamp_too_old, error::timestamp_in_future, or no error. The bounds
    themselves are accepted.
*/
CATENA_WEBHOOKS_DECL error_code check_freshness(timestamp sent, timestamp now,
                                                freshness_window const& window) noexcept;

} // namespace catena::webhooks

#endif
