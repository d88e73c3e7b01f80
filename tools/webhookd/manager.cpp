// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/manager.cpp - the subscriptions commands every provider has.
#include "manager.hpp"

#include <cstdio>
#include <cstdlib>

namespace webhookd {

std::optional<int> common_command(subscription_manager& m, std::string const& verb,
                                  std::vector<std::string> const& positional, bool as_json, bool yes, bool prune)
{
    auto const one = [&](char const* what) {
        if(positional.size() != 1)
        {
            std::fprintf(stderr, "catena-webhookd subscriptions: %s needs %s (see --help)\n", verb.c_str(), what);
            std::exit(2);
        }
        return positional[0];
    };
    if(verb == "list")
        return m.list(as_json);
    if(verb == "enable" || verb == "activate" || verb == "disable" || verb == "pause")
        return m.set_enabled(one("one subscription id"), verb == "enable" || verb == "activate", as_json);
    if(verb == "delete")
        return m.remove(one("one subscription id"));
    if(verb == "apply")
        return m.apply(one("the file"), yes, prune, as_json);
    return std::nullopt;
}

} // namespace webhookd
