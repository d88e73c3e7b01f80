// SPDX-License-Identifier: BSL-1.0
// test/support/process.hpp - runs a program of ours as a child process, as an operator would.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_PROCESS_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_PROCESS_HPP

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks::test {

class child_process
{
public:
    /// Starts `argv` with `env` added to the environment; stdout and stderr go to files in `dir`.
    child_process(std::vector<std::string> argv, std::map<std::string, std::string> env, std::string const& dir);
    ~child_process(); // SIGKILL if still running

    /// Waits until stderr contains `text`; false on timeout or exit.
    bool wait_stderr(std::string const& text, std::chrono::milliseconds limit = std::chrono::seconds(10));
    /// The port of the "listening on ADDR:PORT" line, after wait_stderr("listening on").
    unsigned short listening_port();
    void signal(int sig);
    /// Waits for exit; the exit code, or nullopt on timeout (or death by signal: -signal).
    std::optional<int> wait(std::chrono::milliseconds limit = std::chrono::seconds(10));
    std::string stdout_text() const;
    std::string stderr_text() const;
    int pid() const noexcept { return pid_; }

private:
    int pid_ = -1;
    std::optional<int> status_;
    std::string out_path_, err_path_;
};

} // namespace catena::webhooks::test

#endif
