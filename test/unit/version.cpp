// SPDX-License-Identifier: BSL-1.0
// test/unit/version.cpp - the version and commit the library reports of itself.
#include <catena/webhooks/version.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

namespace unit_version { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

std::string run(std::string const& command)
{
    std::string out;
    if(FILE* p = ::popen(command.c_str(), "r"))
    {
        char buf[256];
        while(auto n = std::fread(buf, 1, sizeof buf, p))
            out.append(buf, n);
        ::pclose(p);
    }
    while(!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

BOOST_AUTO_TEST_SUITE(version)

BOOST_AUTO_TEST_CASE(the_version_is_the_one_the_header_was_made_with)
{
    BOOST_TEST(std::string(catena::webhooks::version()) == CATENA_WEBHOOKS_VERSION_STRING);
    BOOST_TEST(std::string(CATENA_WEBHOOKS_VERSION_STRING) ==
               std::to_string(CATENA_WEBHOOKS_VERSION_MAJOR) + "." + std::to_string(CATENA_WEBHOOKS_VERSION_MINOR) +
                   "." + std::to_string(CATENA_WEBHOOKS_VERSION_PATCH));
}

// Built from a git checkout (the suite's case), the commit is the checkout's HEAD, marked
// "+dirty" exactly when tracked files differ from it; built elsewhere it says "unknown".
BOOST_AUTO_TEST_CASE(the_commit_is_the_checkout_the_library_was_built_from)
{
    std::string const source = CATENA_WEBHOOKS_SOURCE_DIR;
    std::string const commit = catena::webhooks::build_commit();
    if(!std::filesystem::exists(source + "/.git"))
    {
        BOOST_TEST(commit == "unknown");
        return;
    }
    auto const head = run("git -C '" + source + "' rev-parse --short=12 HEAD");
    BOOST_REQUIRE_EQUAL(head.size(), 12u);
    BOOST_TEST(commit.substr(0, 12) == head);
    BOOST_TEST((commit.size() == 12 || commit.substr(12) == "+dirty"), commit);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace

} // namespace unit_version
