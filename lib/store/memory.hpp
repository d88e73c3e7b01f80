// SPDX-License-Identifier: BSL-1.0
// lib/store/memory.hpp - the in-memory store: a bounded inbox; nothing survives the process.
#ifndef CATENA_WEBHOOKS_STORE_MEMORY_HPP
#define CATENA_WEBHOOKS_STORE_MEMORY_HPP

#include "store/store.hpp"

#include <memory>

namespace catena::webhooks::detail {

/// The in-memory store: a bounded FIFO of kept deliveries and the most recent dead letters.
std::unique_ptr<store> make_memory_store(store_limits limits);

} // namespace catena::webhooks::detail

#endif
