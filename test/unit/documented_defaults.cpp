// SPDX-License-Identifier: BSL-1.0
// test/unit/documented_defaults.cpp - the numbers the README documents are receiver_options' defaults.
#include <catena/webhooks/receiver_options.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

namespace unit_documented_defaults { // this file's own: the test binaries compile a few files as one (unity build)

namespace cw = catena::webhooks;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(documented_defaults)

// Each number of the README's answer table (and of its dedup and ordering paragraphs) is the
// default in receiver_options: read from the README itself, so that neither changes alone.
BOOST_AUTO_TEST_CASE(the_defaults_are_the_numbers_the_readme_documents)
{
    std::ifstream in(std::string(CATENA_WEBHOOKS_SOURCE_DIR) + "/README.md");
    std::string const readme{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    BOOST_REQUIRE(!readme.empty());
    // The numbers captured by `pattern` in the README, in order (a space matches a line break too).
    auto const numbers = [&](std::string const& pattern) {
        std::smatch m;
        auto const spaced = std::regex_replace(pattern, std::regex(" "), R"(\s+)");
        BOOST_REQUIRE_MESSAGE(std::regex_search(readme, m, std::regex(spaced)), "the README no longer says: " << pattern);
        std::vector<long long> v;
        for(std::size_t i = 1; i < m.size(); ++i)
            v.push_back(std::stoll(m[i].str()));
        return v;
    };
    using ll = long long;
    cw::receiver_options const o;
    auto const mib = [](std::size_t b) { return static_cast<ll>(b >> 20); };
    BOOST_TEST(numbers(R"(kept in the last (\d+) min)") == std::vector<ll>{o.request_id_memory.count() / 60});
    BOOST_TEST(numbers(R"(timestamp more than (\d+) s old or (\d+) s ahead)") ==
               (std::vector<ll>{o.window.max_past.count(), o.window.max_future.count()}));
    BOOST_TEST(numbers(R"(over `--max-body` \((\d+) MiB as sent\))") == std::vector<ll>{mib(o.limits.max_body_bytes)});
    BOOST_TEST(numbers(R"(inflating past (\d+) MiB or (\d+):1)") ==
               (std::vector<ll>{mib(o.limits.inflate.max_inflated_bytes), static_cast<ll>(o.limits.inflate.max_ratio)}));
    BOOST_TEST(numbers(R"(`--body-budget`, (\d+) MiB)") == std::vector<ll>{mib(o.limits.body_budget_bytes)});
    BOOST_TEST(numbers(R"(failed this subscription's signature (\d+) times within a minute)") ==
               std::vector<ll>{static_cast<ll>(o.limits.max_auth_failures_per_minute)});
    BOOST_TEST(o.limits.auth_failure_penalty == 60s); // "for a minute its bodies for it are verified at most one a second"
    BOOST_TEST(o.limits.penalty_verify_interval == 1s);
    BOOST_TEST(numbers(R"(Headers not complete (\d+) s after their first byte, body not complete (\d+) s)") ==
               (std::vector<ll>{o.timeouts.header.count() / 1000, o.timeouts.body.count() / 1000}));
    BOOST_TEST(numbers(R"(Request line and headers over (\d+) KiB)") == std::vector<ll>{static_cast<ll>(o.limits.max_header_bytes >> 10)});
    BOOST_TEST(numbers(R"(reads and drops up to (\d+) MiB for up to (\d+) s)") ==
               (std::vector<ll>{mib(o.limits.linger_bytes), o.timeouts.linger.count() / 1000}));
    BOOST_TEST(numbers(R"(identities are remembered (\d+) days)") ==
               std::vector<ll>{std::chrono::duration_cast<std::chrono::hours>(o.processing.dedup_retention).count() / 24});
    BOOST_TEST(numbers(R"(`processing.reorder_window` \((\d+) s\))") == std::vector<ll>{o.processing.reorder_window.count() / 1000});
    BOOST_TEST(o.unverified_status == 401u); // "401 (or 503, see below)"
}

BOOST_AUTO_TEST_SUITE_END() // documented_defaults

} // namespace unit_documented_defaults
