// SPDX-License-Identifier: BSL-1.0
// test/unit/handoff.cpp - the completion an asynchronous handler finishes its call with.
#include <catena/webhooks/handoff.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace unit_handoff { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;

// A completion whose outcome is recorded: "done" or the reason of the failure.
completion recording(std::vector<std::string>& out)
{
    return completion([&out](std::optional<std::string> why) { out.push_back(why ? *why : "done"); });
}

BOOST_AUTO_TEST_SUITE(handoff)

BOOST_AUTO_TEST_CASE(is_completed_once_whatever_is_called_after)
{
    std::vector<std::string> out;
    auto c = recording(out);
    BOOST_TEST(static_cast<bool>(c));
    c.done();
    c.fail("too late");
    c.done();
    BOOST_TEST(!c);
    BOOST_TEST(out == std::vector<std::string>{"done"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_uncompleted_completion_replaced_by_another_fails_as_dropped)
{
    std::vector<std::string> first, second;
    auto c = recording(first);
    c = recording(second); // the first call can no longer be completed: it fails
    BOOST_TEST(first == std::vector<std::string>{"completion dropped"}, boost::test_tools::per_element());
    BOOST_TEST(second.empty());
    c.done();
    BOOST_TEST(second == std::vector<std::string>{"done"}, boost::test_tools::per_element());

    // A completed one, or a moved-from one, is replaced without a word.
    std::vector<std::string> third;
    auto d = recording(third);
    d.done();
    d = recording(third);
    auto moved = std::move(d);
    d = recording(third);
    d.abandon();
    BOOST_TEST(third == std::vector<std::string>{"done"}, boost::test_tools::per_element());
    moved.fail("sink down");
    BOOST_TEST(third.back() == "sink down");
}

BOOST_AUTO_TEST_CASE(a_failure_whose_function_throws_does_not_escape_fail)
{
    // fail() is noexcept: what its function throws stays inside it, and the call counts as
    // completed (it is not failed twice by the destructor).
    int calls = 0;
    {
        completion c([&calls](std::optional<std::string>) {
            ++calls;
            throw std::runtime_error("out of memory, say");
        });
        c.fail("sink down");
        BOOST_TEST(!c);
    }
    BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(a_completion_destroyed_uncompleted_fails_as_dropped_and_an_abandoned_one_says_nothing)
{
    std::vector<std::string> out;
    {
        auto c = recording(out);
    }
    BOOST_TEST(out == std::vector<std::string>{"completion dropped"}, boost::test_tools::per_element());
    {
        auto c = recording(out);
        c.abandon();
        BOOST_TEST(!c);
    }
    BOOST_TEST(out.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END() // handoff

} // namespace

} // namespace unit_handoff
