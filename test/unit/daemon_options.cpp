// SPDX-License-Identifier: BSL-1.0
// test/unit/daemon_options.cpp - catena-webhookd's flags and config file: the log options,
// --version, and a refused config line named as FILE:LINE whatever refuses it.
#include "option_parsing.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace unit_daemon_options { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using webhookd::log_format;
using webhookd::log_level;
using webhookd::option_error;

// The config file's flags first, then the command line's, as catena-webhookd reads them.
struct parsed
{
    std::optional<webhookd::options> options;
    std::string refused; // the message, when refused
};

parsed read(std::string const& config, std::vector<std::string> const& command_line = {})
{
    std::vector<std::string> origins;
    try
    {
        auto all = webhookd::config_lines(config, "/etc/webhookd.conf", &origins);
        auto const from_file = all.size();
        all.insert(all.end(), command_line.begin(), command_line.end());
        return {webhookd::parse_flags(all, from_file, origins), {}};
    }
    catch(option_error const& e)
    {
        return {std::nullopt, e.what()};
    }
}

BOOST_AUTO_TEST_SUITE(daemon_options)

BOOST_AUTO_TEST_CASE(the_log_is_text_at_info_unless_the_flags_or_the_file_say_otherwise)
{
    auto const plain = read("");
    BOOST_REQUIRE(plain.options);
    BOOST_TEST((plain.options->log_as == log_format::text));
    BOOST_TEST((plain.options->log_from == log_level::info));

    auto const flags = read("", {"--log-format", "json", "--log-level=debug"});
    BOOST_REQUIRE(flags.options);
    BOOST_TEST((flags.options->log_as == log_format::json));
    BOOST_TEST((flags.options->log_from == log_level::debug));

    auto const file = read("log-format = json\nlog-level = \"warn\"\n");
    BOOST_REQUIRE(file.options);
    BOOST_TEST((file.options->log_as == log_format::json));
    BOOST_TEST((file.options->log_from == log_level::warn));

    auto const both = read("log-format = json\nlog-level = warn\n", {"--log-level", "error"}); // flags win
    BOOST_REQUIRE(both.options);
    BOOST_TEST((both.options->log_as == log_format::json));
    BOOST_TEST((both.options->log_from == log_level::error));

    BOOST_TEST(read("", {"--log-format", "xml"}).refused == "--log-format must be text or json, not xml");
    BOOST_TEST(read("", {"--log-level", "loud"}).refused == "--log-level must be debug, info, warn or error, not loud");
}

BOOST_AUTO_TEST_CASE(version_and_help_end_the_reading_of_the_command_line)
{
    auto const v = read("threads = 2\n", {"--listen", "127.0.0.1:1", "--version", "--bogus"});
    BOOST_REQUIRE(v.options);
    BOOST_TEST(v.options->show_version);
    auto const h = read("", {"--help", "--version"});
    BOOST_TEST(!h.options);
    BOOST_TEST(h.refused.empty());
    BOOST_TEST(!read("", {"--threads", "4"}).options->show_version);
}

// docs/service.md: a line that does not parse, or that names no option, or gives an option a
// value it cannot take, stops the start naming FILE:LINE.
BOOST_AUTO_TEST_CASE(a_refused_config_line_is_named_by_its_file_and_line)
{
    struct
    {
        char const* config;
        char const* refused;
    } const cases[] = {
        {"listen 127.0.0.1:0\n", "/etc/webhookd.conf:1: expected \"name = value\""},
        {"# comment\n\nnot-an-option = 1\n", "/etc/webhookd.conf:3: unknown option --not-an-option (see --help)"},
        {"memory = maybe\n", "/etc/webhookd.conf:1: memory is a switch: true or false, not maybe"},
        {"version = true\n", "/etc/webhookd.conf:1: not an option name: version"},
        {"threads = 2\nmax-body = lots\n", "/etc/webhookd.conf:2: --max-body: not a number: lots"},
        {"durability = eventually\n", "/etc/webhookd.conf:1: --durability must be process or power, not eventually"},
        {"public-metrics = sometimes\n", "/etc/webhookd.conf:1: --public-metrics must be on or off, not sometimes"},
        {"log-level = loud\n", "/etc/webhookd.conf:1: --log-level must be debug, info, warn or error, not loud"},
        // Values refused once every flag is read still name the line that set them.
        {"path = /p\nthreads = 0\n", "/etc/webhookd.conf:2: --threads must be at least 1"},
        {"\nlisten = nowhere\n", "/etc/webhookd.conf:2: --listen wants ADDR:PORT, got nowhere"},
        {"admin-listen = 127.0.0.1:99999\n", "/etc/webhookd.conf:1: --admin-listen: 99999 is too large"},
        {"shutdown-timeout = 0\n", "/etc/webhookd.conf:1: --shutdown-timeout must be at least 1"},
        {"max-body = 0\n", "/etc/webhookd.conf:1: --max-body must be at least 1"},
        {"memory = true\ntls-key = k.pem\n", "/etc/webhookd.conf:2: --tls-cert and --tls-key go together"},
        {"threads = 1\nthreads = 0\n", "/etc/webhookd.conf:2: --threads must be at least 1"}, // the last one set it
    };
    for(auto const& c : cases)
    {
        auto const r = read(c.config);
        BOOST_TEST(!r.options, c.config);
        BOOST_TEST(r.refused.starts_with(c.refused), c.config << " refused as: " << r.refused);
    }
}

// What the command line says is the command line's: its refusals name no file line, and a
// value it sets again is no longer the file's.
BOOST_AUTO_TEST_CASE(the_command_line_overrides_a_bad_value_of_the_file_and_its_own_refusals_name_no_line)
{
    auto const fixed = read("threads = 0\nlisten = nowhere\n", {"--threads", "2", "--listen=127.0.0.1:0"});
    BOOST_REQUIRE_MESSAGE(fixed.options, fixed.refused);
    BOOST_TEST(fixed.options->threads == 2u);
    BOOST_TEST(read("threads = 2\n", {"--threads", "0"}).refused == "--threads must be at least 1");
    BOOST_TEST(read("threads = 2\n", {"--bogus"}).refused == "unknown option --bogus (see --help)");
    BOOST_TEST(read("tls-cert = c.pem\n", {"--tls-key", "k.pem"}).options.has_value());
}

BOOST_AUTO_TEST_CASE(each_flag_of_the_file_knows_its_line)
{
    std::vector<std::string> origins{"earlier:1"};
    auto const flags = webhookd::config_lines("# c\nmemory = true\nheal = false\n\nlisten = \"127.0.0.1:1\"\n", "f",
                                              &origins);
    BOOST_TEST(flags == (std::vector<std::string>{"--memory", "--listen=127.0.0.1:1"}),
               boost::test_tools::per_element());
    BOOST_TEST(origins == (std::vector<std::string>{"earlier:1", "f:2", "f:5"}), boost::test_tools::per_element());
}

// What the package installs as /etc/catena-webhookd/catena-webhookd.conf starts the daemon.
BOOST_AUTO_TEST_CASE(the_packaged_config_file_reads)
{
    std::ifstream in(std::string(CATENA_WEBHOOKS_SOURCE_DIR) + "/packaging/catena-webhookd.conf");
    BOOST_REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    auto const r = read(text.str());
    BOOST_REQUIRE_MESSAGE(r.options, r.refused);
    BOOST_TEST((r.options->log_as == log_format::text));
    BOOST_TEST((r.options->log_from == log_level::info));
    BOOST_TEST(r.options->strict_secrets);
}

BOOST_AUTO_TEST_SUITE_END() // daemon_options

} // namespace

} // namespace unit_daemon_options
