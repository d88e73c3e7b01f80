// SPDX-License-Identifier: BSL-1.0
// lib/store/conninfo.hpp - what can be said of a PostgreSQL connection string without libpq:
// its redacted form for logs and errors (a build without PostgreSQL names the store it refuses).
#pragma once

#include <string>

namespace catena::webhooks::detail {

/** The conninfo with every password-like value (URI user:password@; password= and
    sslpassword= as keywords or URI parameters) replaced by "***": what a log or an error may
    show. */
std::string redact_conninfo(std::string const& conninfo);

/** Why a build without PostgreSQL cannot open `conninfo` (redacted in the text). */
std::string no_postgresql_support(std::string const& conninfo);

} // namespace catena::webhooks::detail
