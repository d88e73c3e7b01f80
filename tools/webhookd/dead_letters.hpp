// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/dead_letters.hpp - `catena-webhookd dead-letters ...`: a store's dead letters listed, shown and replayed.
#ifndef CATENA_WEBHOOKD_DEAD_LETTERS_HPP
#define CATENA_WEBHOOKD_DEAD_LETTERS_HPP

namespace webhookd {

/// argv[1] == "dead-letters": list, show ID, replay ID|--all [--data-dir DIR|--store CONNINFO];
/// --help prints the usage. 0 done, 1 a replay --all that did not put back everything, 2 a
/// usage error or no such dead letter.
int dead_letters_command(int argc, char** argv);

} // namespace webhookd

#endif
