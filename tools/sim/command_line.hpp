// SPDX-License-Identifier: BSL-1.0
// tools/sim/command_line.hpp - catena-webhook-sim's command line: its modes, their options and usage.
#ifndef CATENA_WEBHOOK_SIM_COMMAND_LINE_HPP
#define CATENA_WEBHOOK_SIM_COMMAND_LINE_HPP

#include "history.hpp"
#include "load.hpp"
#include "scenario.hpp"
#include "sim.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace simtool {

namespace cs = catena::webhooks::sim;

/// A mode of the simulator: `catena-webhook-sim NAME [options]`. --help lists them all, one
/// line each; `NAME --help` prints the mode's usage.
struct mode
{
    std::string_view name;
    std::string_view summary; ///< One line, for --help.
    std::string_view usage;   ///< What the mode does and its options, after its "usage:" line.
};

/// Every mode, in the order --help lists them.
std::span<mode const> modes() noexcept;

/// The usage of `mode_name` ("usage: catena-webhook-sim MODE [options]" and its options), or
/// of the binary (its modes) when it names none.
std::string usage(std::string_view mode_name = {});

/// "catena-webhook-sim 0.1.0 (commit abcdef123456)", without its newline.
std::string version_line();

/// The command line, parsed.
struct options
{
    std::string mode;
    cs::endpoint ep;
    std::string secret_env = "CATENA_WEBHOOK_SECRET";
    std::string webhook_id = "5f0c1e2a-0000-4000-8000-00000000a001";
    bool gzip = true, retry = true, json_out = false, realtime = false;
    std::size_t connections = 0;
    cs::scenario_options sc;
    std::string expect_file, out_file, dropped_file;
    std::size_t count = 0;
    double duration_s = 0, rate = 0;
    cs::load_profile profile = cs::load_profile::friendly;
    std::string event_name, record = R"({"id":"00000000-0000-4000-8000-000000000001"})";
    std::string token_env = "FOXTROT_TOKEN", token_header;
    cs::history_options history;
    bool send = false;
};

/// Prints "catena-webhook-sim: MSG" and exits 2.
[[noreturn]] void fail(std::string const& msg);

/// Parses the command line. --help (or -h) anywhere prints the usage of the mode (of the
/// binary before one) and exits 0, --version the version; no mode prints the usage on stderr
/// and exits 2, as a bad flag or an unknown mode does.
options parse(int argc, char** argv);

} // namespace simtool

#endif
