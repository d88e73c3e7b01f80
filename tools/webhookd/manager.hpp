// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/manager.hpp - what the subscriptions commands need of any provider's management API.
#ifndef CATENA_WEBHOOKD_MANAGER_HPP
#define CATENA_WEBHOOKD_MANAGER_HPP

#include <optional>
#include <string>
#include <vector>

namespace webhookd {

/** The commands every provider's management API serves, whoever's it is: list, enable or
    disable, delete, and apply a file of the subscriptions wanted. Each returns the command's
    exit status (0 done, 1 the API failed, said in one line on stderr; 2 a file that is wrong).
    What only one provider has (Catena's get, update, replay, metrics, logs and secrets;
    Foxtrot's DCs) stays with that provider's commands. */
class subscription_manager
{
public:
    virtual ~subscription_manager() = default;
    virtual int list(bool as_json) = 0;
    /// Catena: activate or pause; Foxtrot: PATCH enabled.
    virtual int set_enabled(std::string const& id, bool enabled, bool as_json) = 0;
    virtual int remove(std::string const& id) = 0;
    virtual int apply(std::string const& file, bool yes, bool prune, bool as_json) = 0;
};

/** Runs `verb` through `m` when it is one of the common commands (list; enable or activate;
    disable or pause; delete; apply FILE); nothing otherwise. A missing id or file is a usage
    error (exit 2). */
std::optional<int> common_command(subscription_manager& m, std::string const& verb,
                                  std::vector<std::string> const& positional, bool as_json, bool yes, bool prune);

} // namespace webhookd

#endif
