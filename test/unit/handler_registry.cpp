// SPDX-License-Identifier: BSL-1.0
// test/unit/handler_registry.cpp - registrations before start, one rule after it, and the order of matches.
#include "delivery/handler_registry.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace unit_handler_registry { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using detail::handler_registry;

std::vector<std::string> matches(handler_registry const& r, std::string_view name)
{
    std::vector<std::string> v;
    auto const resource = name.substr(0, name.find('.'));
    r.for_each_match(name, resource, [&](auto const& handlers, std::string const& registration) {
        for(std::size_t i = 0; i < handlers.size(); ++i)
            v.push_back(registration);
    });
    return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(handler_registry_)

BOOST_AUTO_TEST_CASE(matches_come_exact_first_then_resource_then_any)
{
    handler_registry r;
    auto const noop = [](event const&) {};
    BOOST_TEST(!r.add_event("*", noop));
    BOOST_TEST(!r.add_event("invitation.*", noop));
    BOOST_TEST(!r.add_event("invitation.accepted", noop));
    BOOST_TEST(!r.add_event("invitation.accepted", noop));
    BOOST_TEST((matches(r, "invitation.accepted") ==
                std::vector<std::string>{"on(invitation.accepted)", "on(invitation.accepted)", "on(invitation.*)",
                                         "on_any"}));
    BOOST_TEST((matches(r, "invitation.viewed") == std::vector<std::string>{"on(invitation.*)", "on_any"}));
    BOOST_TEST((matches(r, "vehicle.added") == std::vector<std::string>{"on_any"}));
}

BOOST_AUTO_TEST_CASE(every_registration_after_freeze_is_refused_and_changes_nothing)
{
    handler_registry r;
    BOOST_TEST(!r.add(r.transitions, transition_handler([](transition const&) {})));
    r.freeze();
    BOOST_TEST((r.add_event("vehicle.added", [](event const&) {}) == error::already_started));
    BOOST_TEST((r.add_event("*", [](event const&) {}) == error::already_started));
    BOOST_TEST((r.add(r.transitions, transition_handler([](transition const&) {})) ==
                error::already_started));
    BOOST_TEST((r.add(r.errors, error_handler([](error_report const&) {})) == error::already_started));
    BOOST_TEST((r.add(r.unhandled, event_handler([](event const&) {})) == error::already_started));
    BOOST_TEST(r.transitions.all.size() == 1u);
    BOOST_TEST(!r.errors);
    BOOST_TEST(!r.unhandled);
    BOOST_TEST(matches(r, "vehicle.added").empty());
}

BOOST_AUTO_TEST_CASE(a_single_handler_registration_replaces_the_previous_one)
{
    handler_registry r;
    int which = 0;
    BOOST_TEST(!r.add(r.errors, error_handler([&](error_report const&) { which = 1; })));
    BOOST_TEST(!r.add(r.errors, error_handler([&](error_report const&) { which = 2; })));
    r.errors.current(error_report{});
    BOOST_TEST(which == 2);
}

BOOST_AUTO_TEST_SUITE_END() // handler_registry_

} // namespace unit_handler_registry
