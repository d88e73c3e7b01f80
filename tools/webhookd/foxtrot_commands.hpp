// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/foxtrot_commands.hpp - `catena-webhookd subscriptions --provider foxtrot …`: Foxtrot's webhooks from the command line.
#ifndef CATENA_WEBHOOKD_FOXTROT_COMMANDS_HPP
#define CATENA_WEBHOOKD_FOXTROT_COMMANDS_HPP

#include <string>
#include <vector>

namespace webhookd {

/** What the subscriptions command line says, for Foxtrot. */
struct foxtrot_args
{
    std::string verb;
    std::vector<std::string> positional;
    bool json = false, yes = false, prune = false;
    std::string api_url, ca_file, key_header, url;
    std::vector<std::string> events, dc_ids;
};

/** The common commands (list, enable, disable, delete, apply FILE: manager.hpp) through
    Foxtrot's client, and create --url URL --event TYPE... [--dc-id DC]...; the key from
    FOXTROT_API_KEY. 0 done, 1 the API failed (one line), 2 a usage or file error. */
int foxtrot_command(foxtrot_args const& a);

} // namespace webhookd

#endif
