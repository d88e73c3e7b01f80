// SPDX-License-Identifier: BSL-1.0
// lib/http/openapi.hpp - the OpenAPI 3.1 document of the admin listener's routes, served at /v1/openapi.json.
#ifndef CATENA_WEBHOOKS_HTTP_OPENAPI_HPP
#define CATENA_WEBHOOKS_HTTP_OPENAPI_HPP

#include <string_view>

namespace catena::webhooks::detail {

/** docs/openapi.json as it was when the library was built: the build embeds that file
    (cmake/embed_file.cmake), so the document served and the one in the repository are one. */
std::string_view openapi_document() noexcept;

} // namespace catena::webhooks::detail

#endif
