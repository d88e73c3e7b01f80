// SPDX-License-Identifier: BSL-1.0
// test/support/disk_faults.cpp - short writes, EIO and ENOSPC under SQLite, at chosen writes of chosen files.
#include "disk_faults.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>

#include <sys/types.h>
#include <unistd.h>

namespace catena::webhooks::test {

namespace {

using pwrite_fn = ssize_t (*)(int, void const*, size_t, off_t);

std::mutex mutex;
pwrite_fn real_pwrite = nullptr;
bool installed = false;
bool armed = false;
disk_faults::plan current;
std::uint64_t seen = 0, failed = 0;
int torn_fd = -1; // the continuation of a torn write on this descriptor fails

std::string path_of(int fd)
{
    char link[64], target[4096];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    auto const n = ::readlink(link, target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

bool ends_with(std::string const& s, std::string const& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ssize_t faulty_pwrite(int fd, void const* p, size_t n, off_t at)
{
    disk_faults::fault what{};
    {
        std::lock_guard lock(mutex);
        if(!armed)
            return real_pwrite(fd, p, n, at);
        if(fd == torn_fd)
        {
            torn_fd = -1;
            errno = ENOSPC;
            return -1;
        }
        if(!ends_with(path_of(fd), current.suffix))
            return real_pwrite(fd, p, n, at);
        auto const k = seen++;
        if(k < current.skip || k - current.skip >= current.count)
            return real_pwrite(fd, p, n, at);
        ++failed;
        what = current.what;
        if(what == disk_faults::fault::torn && n > 1)
            torn_fd = fd;
    }
    switch(what)
    {
    case disk_faults::fault::eio: errno = EIO; return -1;
    case disk_faults::fault::enospc: errno = ENOSPC; return -1;
    case disk_faults::fault::short_write: return real_pwrite(fd, p, n < 2 ? n : n / 2, at);
    case disk_faults::fault::torn:
        if(n < 2)
        {
            errno = ENOSPC;
            return -1;
        }
        return real_pwrite(fd, p, n / 2, at);
    }
    return real_pwrite(fd, p, n, at);
}

sqlite3_vfs* unix_vfs()
{
    sqlite3_initialize();
    auto* v = sqlite3_vfs_find("unix");
    if(!v || v->iVersion < 3 || !v->xSetSystemCall)
        throw std::runtime_error("disk_faults: SQLite's unix VFS cannot have its system calls replaced");
    return v;
}

} // namespace

disk_faults::disk_faults()
{
    auto* v = unix_vfs();
    std::lock_guard lock(mutex);
    if(installed)
        throw std::logic_error("disk_faults: one at a time");
    real_pwrite = reinterpret_cast<pwrite_fn>(v->xGetSystemCall(v, "pwrite64"));
    if(!real_pwrite)
        throw std::runtime_error("disk_faults: SQLite's unix VFS writes without pwrite64");
    if(v->xSetSystemCall(v, "pwrite64", reinterpret_cast<sqlite3_syscall_ptr>(&faulty_pwrite)) != SQLITE_OK)
        throw std::runtime_error("disk_faults: xSetSystemCall(pwrite64) failed");
    installed = true;
    armed = false;
}

disk_faults::~disk_faults()
{
    auto* v = unix_vfs();
    std::lock_guard lock(mutex);
    v->xSetSystemCall(v, "pwrite64", nullptr); // its default again
    installed = false;
    armed = false;
    torn_fd = -1;
}

void disk_faults::arm(plan p)
{
    std::lock_guard lock(mutex);
    current = std::move(p);
    seen = failed = 0;
    torn_fd = -1;
    armed = true;
}

void disk_faults::disarm()
{
    std::lock_guard lock(mutex);
    armed = false;
    torn_fd = -1;
}

std::uint64_t disk_faults::writes() const
{
    std::lock_guard lock(mutex);
    return seen;
}

std::uint64_t disk_faults::faults() const
{
    std::lock_guard lock(mutex);
    return failed;
}

char const* disk_faults::name(fault f)
{
    switch(f)
    {
    case fault::short_write: return "short write";
    case fault::eio: return "EIO";
    case fault::enospc: return "ENOSPC";
    case fault::torn: return "torn write";
    }
    return "?";
}

} // namespace catena::webhooks::test
