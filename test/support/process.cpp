// SPDX-License-Identifier: BSL-1.0
// test/support/process.cpp - fork/exec with redirected output.
#include "process.hpp"

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
    : out_path_(dir + "/stdout." + std::to_string(::getpid()) + "." + std::to_string(reinterpret_cast<std::uintptr_t>(this)))
    , err_path_(dir + "/stderr." + std::to_string(::getpid()) + "." + std::to_string(reinterpret_cast<std::uintptr_t>(this)))
{
    pid_ = ::fork();
    if(pid_ < 0)
        throw std::runtime_error("fork failed");
    if(pid_ == 0)
    {
        int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
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
