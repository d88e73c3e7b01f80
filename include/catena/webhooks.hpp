// SPDX-License-Identifier: BSL-1.0
// catena/webhooks.hpp - includes every public component of catena-webhooks.
#ifndef CATENA_WEBHOOKS_HPP
#define CATENA_WEBHOOKS_HPP

#include <catena/webhooks/api_error.hpp>
#include <catena/webhooks/dead_letters.hpp>
#include <catena/webhooks/envelope.hpp>
#include <catena/webhooks/error.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/foxtrot.hpp>
#include <catena/webhooks/gzip.hpp>
#include <catena/webhooks/handlers.hpp>
#include <catena/webhooks/handoff.hpp>
#include <catena/webhooks/heal_options.hpp>
#include <catena/webhooks/json_lines.hpp>
#include <catena/webhooks/lifecycle.hpp>
#include <catena/webhooks/notifications.hpp>
#include <catena/webhooks/notifications_options.hpp>
#include <catena/webhooks/operation.hpp>
#include <catena/webhooks/receiver.hpp>
#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/request.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/signature.hpp>
#include <catena/webhooks/stats.hpp>
#include <catena/webhooks/subscriptions.hpp>
#include <catena/webhooks/timestamp.hpp>
#include <catena/webhooks/verifier.hpp>
#include <catena/webhooks/version.hpp>

#endif
