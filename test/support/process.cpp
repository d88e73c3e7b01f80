// SPDX-License-Identifier: BSL-1.0
// test/support/process.cpp - fork/exec with redirected output.
#include "process.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace catena::webhooks::test {

namespace {

// Children started by this process: each one's output files are named after its number.
std::atomic<unsigned> children_started{0};

std::string read_file(std::string const& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

child_process::child_process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                             std::string const& dir)
{
    auto const tag = std::to_string(::getpid()) + "." + std::to_string(++children_started);
    out_path_ = dir + "/stdout." + tag;
    err_path_ = dir + "/stderr." + tag;
    // The output files are made empty here, before the child exists: a caller that reads them
    // as soon as this returns (wait_stderr("listening on")) never finds what an earlier child
    // wrote there. Each child has files of its own, so an earlier child's are left as they were.
    int const out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int const err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if(out < 0 || err < 0)
        throw std::runtime_error("cannot create " + out_path_ + " or " + err_path_);
    pid_ = ::fork();
    if(pid_ == 0)
    {
        int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        for(auto const& [k, v] : env)
            ::setenv(k.c_str(), v.c_str(), 1);
        // Relative paths (the default ./catena-data) land in the test's own directory.
        if(::chdir(dir.c_str()) != 0)
            ::_exit(126);
        std::vector<char*> args;
        for(auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(out);
    ::close(err);
    if(pid_ < 0)
        throw std::runtime_error("fork failed");
}

child_process::~child_process()
{
    if(pid_ > 0 && !status_)
    {
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
}

bool child_process::wait_stderr(std::string const& text, std::chrono::milliseconds limit)
{
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while(std::chrono::steady_clock::now() < deadline)
    {
        if(stderr_text().find(text) != std::string::npos)
            return true;
        int st = 0;
        if(!status_ && ::waitpid(pid_, &st, WNOHANG) == pid_)
        {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
            return stderr_text().find(text) != std::string::npos;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

unsigned short child_process::listening_port()
{
    auto const err = stderr_text();
    auto const at = err.find("listening on ");
    if(at == std::string::npos)
        return 0;
    auto const eol = err.find('\n', at);
    auto const line = err.substr(at, eol - at);
    return static_cast<unsigned short>(std::stoul(line.substr(line.rfind(':') + 1)));
}

void child_process::signal(int sig)
{
    if(pid_ > 0 && !status_)
        ::kill(pid_, sig);
}

std::optional<int> child_process::wait(std::chrono::milliseconds limit)
{
    // Looks at least once: wait(0ms) tells whether it has exited by now.
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while(!status_)
    {
        int st = 0;
        if(::waitpid(pid_, &st, WNOHANG) == pid_)
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        else if(std::chrono::steady_clock::now() >= deadline)
            break;
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

std::string child_process::stdout_text() const { return read_file(out_path_); }
std::string child_process::stderr_text() const { return read_file(err_path_); }

} // namespace catena::webhooks::test
