// SPDX-License-Identifier: BSL-1.0
// lib/receiver/options_check.hpp - the checks receiver::start() makes of its options before anything is opened.
#ifndef CATENA_WEBHOOKS_RECEIVER_OPTIONS_CHECK_HPP
#define CATENA_WEBHOOKS_RECEIVER_OPTIONS_CHECK_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/receiver_options.hpp>

#include <string>

namespace catena::webhooks::detail {

/** error::invalid_options when the options are out of range or contradict each other, with
    a one-line explanation in `detail` where there is more to say than the code; else success. */
error_code check_options(receiver_options const& o, std::string& detail);

} // namespace catena::webhooks::detail

#endif
