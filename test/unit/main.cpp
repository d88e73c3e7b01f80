// SPDX-License-Identifier: BSL-1.0
// test/unit/main.cpp - the Boost.Test entry point of the unit tests.
#define BOOST_TEST_MODULE catena_webhooks
#include <boost/test/unit_test.hpp>
