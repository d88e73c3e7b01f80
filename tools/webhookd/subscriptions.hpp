// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/subscriptions.hpp - `catena-webhookd subscriptions ...`: the Notifications API
// from the command line, and `apply` of a declarative file.
#ifndef CATENA_WEBHOOKD_SUBSCRIPTIONS_HPP
#define CATENA_WEBHOOKD_SUBSCRIPTIONS_HPP

namespace webhookd {

/// argv[1] == "subscriptions": runs the command; 0 done, 1 the API failed, 2 a usage error.
int subscriptions_command(int argc, char** argv);

} // namespace webhookd

#endif
