// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/option_parsing.hpp - catena-webhookd's config file, flags, addresses and routes parsed without exiting.
#ifndef CATENA_WEBHOOKD_OPTION_PARSING_HPP
#define CATENA_WEBHOOKD_OPTION_PARSING_HPP

#include "options.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd {

/// A refused config line, flag, address or route: what catena-webhookd prints before it exits 2.
struct option_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// A config file's text, its "name = value" lines as flags ("--name=value"); `file` names it
/// in the errors ("FILE:LINE: ..."). With `origins`, "FILE:LINE" of each flag is appended
/// to it. Throws option_error.
std::vector<std::string> config_lines(std::string_view text, std::string const& file,
                                      std::vector<std::string>* origins = nullptr);

/// The flags, the config file's first (the first `from_file`, which take their value inline
/// only); nothing when --help or -h asks for the usage, an options with show_version alone
/// when --version comes first. `origins`, when given, says where each of the first
/// `from_file` flags came from ("FILE:LINE"): a refusal of one of them, or of the value it
/// left in place (--threads 0, a --listen that is no address...), begins with it. Throws
/// option_error.
std::optional<options> parse_flags(std::vector<std::string> const& all, std::size_t from_file,
                                   std::vector<std::string> const& origins = {});

/// ADDR:PORT (IPv6 in brackets) as an endpoint; `flag` names it in the error. Throws option_error.
boost::asio::ip::tcp::endpoint endpoint_of(std::string const& flag, std::string const& v);

/// A --route spec (see parse_route); token-env names an environment variable. Throws option_error.
cw::route_options route_of(std::string const& spec);

} // namespace webhookd

#endif
