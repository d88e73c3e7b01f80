// SPDX-License-Identifier: BSL-1.0
// lib/model/version.cpp - the version the library was built as (its commit: build_commit.cpp, generated).
#include <catena/webhooks/version.hpp>

char const* catena::webhooks::version() noexcept
{
    return CATENA_WEBHOOKS_VERSION_STRING;
}
