// SPDX-License-Identifier: BSL-1.0
// test/support/tls_material.hpp - a self-signed certificate made at test time (never committed).
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_TLS_MATERIAL_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_TLS_MATERIAL_HPP

#include <string>

namespace catena::webhooks::test {

struct tls_files
{
    std::string certificate; ///< PEM path
    std::string private_key; ///< PEM path
};

/// Writes a fresh P-256 key and a self-signed certificate for 127.0.0.1/localhost into `dir`.
tls_files make_self_signed(std::string const& dir);

/// A fresh empty directory under the system temp dir.
std::string make_temp_dir(std::string const& prefix);

} // namespace catena::webhooks::test

#endif
