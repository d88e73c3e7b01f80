// SPDX-License-Identifier: BSL-1.0
// lib/store/coalescing_vfs.cpp - a SQLite VFS that writes a WAL transaction with one system call.
#include "store/coalescing_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace catena::webhooks::detail {

namespace {

// The WAL file format (https://www.sqlite.org/fileformat2.html#walformat): a 32-byte header,
// then frames of a 24-byte header and a page. Bytes 4-7 of a frame header (big-endian) hold
// the database size in pages after the commit for a commit frame, zero for any other frame.
constexpr sqlite3_int64 wal_header_bytes = 32;
constexpr int frame_header_bytes = 24;
// Most bytes gathered: a transaction larger than this is written in pieces. The default
// VFS writes at most 128 KiB - 1 bytes a call (it never needs more than a page), so a
// gathered write must stay below that.
constexpr std::size_t max_gathered = 120u << 10;

std::atomic<std::uint64_t> received{0};
std::atomic<std::uint64_t> issued{0};

sqlite3_vfs* base = nullptr;
sqlite3_vfs shim{};
char const* registered = nullptr;

// A WAL file: the default VFS's file follows this struct in the same block.
struct wal_file
{
    sqlite3_file file; // first: SQLite sees this
    sqlite3_file* real;
    char* data; // gathered bytes, to be written at `at`
    std::size_t size;
    std::size_t capacity;
    sqlite3_int64 at;
    bool commit; // the last frame header gathered marks a commit
};

constexpr std::size_t real_offset = (sizeof(wal_file) + 15) & ~std::size_t{15};

wal_file* as_wal(sqlite3_file* f) noexcept { return reinterpret_cast<wal_file*>(f); }
sqlite3_io_methods const* real_methods(wal_file* w) noexcept { return w->real->pMethods; }

int write_gathered(wal_file* w)
{
    if(w->size == 0)
        return SQLITE_OK;
    auto const n = w->size;
    w->size = 0;
    issued.fetch_add(1, std::memory_order_relaxed);
    return real_methods(w)->xWrite(w->real, w->data, static_cast<int>(n), w->at);
}

bool gather(wal_file* w, void const* p, int n, sqlite3_int64 at)
{
    auto const need = w->size + static_cast<std::size_t>(n);
    if(need > w->capacity)
    {
        auto cap = w->capacity ? w->capacity : std::size_t{64} << 10;
        while(cap < need)
            cap *= 2;
        auto* grown = static_cast<char*>(sqlite3_realloc64(w->data, cap));
        if(!grown)
            return false;
        w->data = grown;
        w->capacity = cap;
    }
    if(w->size == 0)
        w->at = at;
    std::memcpy(w->data + w->size, p, static_cast<std::size_t>(n));
    w->size = need;
    return true;
}

int wal_write(sqlite3_file* f, void const* p, int n, sqlite3_int64 at)
{
    auto* w = as_wal(f);
    received.fetch_add(1, std::memory_order_relaxed);
    // Not where the gathered bytes end (SQLite rewrites an earlier frame, or starts the log
    // again): what is gathered goes first, in order.
    if(w->size != 0 && at != w->at + static_cast<sqlite3_int64>(w->size))
        if(int rc = write_gathered(w); rc != SQLITE_OK)
            return rc;
    if(w->size + static_cast<std::size_t>(n) > max_gathered)
        if(int rc = write_gathered(w); rc != SQLITE_OK)
            return rc;
    if(static_cast<std::size_t>(n) > max_gathered || !gather(w, p, n, at))
    {
        if(int rc = write_gathered(w); rc != SQLITE_OK)
            return rc;
        issued.fetch_add(1, std::memory_order_relaxed);
        return real_methods(w)->xWrite(w->real, p, n, at);
    }
    if(n == frame_header_bytes && at >= wal_header_bytes)
    {
        auto const* b = static_cast<unsigned char const*>(p);
        w->commit = (b[4] | b[5] | b[6] | b[7]) != 0;
        return SQLITE_OK; // its page follows
    }
    if(n == wal_header_bytes && at == 0)
        return SQLITE_OK; // the log's header: the first frame follows
    // A page: its frame is complete. A commit frame's ends the transaction.
    if(w->commit)
    {
        w->commit = false;
        return write_gathered(w);
    }
    return SQLITE_OK;
}

// Every other operation sees the file with the gathered bytes written.
int wal_close(sqlite3_file* f)
{
    auto* w = as_wal(f);
    int const rc = write_gathered(w);
    sqlite3_free(w->data);
    w->data = nullptr;
    w->capacity = 0;
    int const rc2 = real_methods(w)->xClose(w->real);
    return rc != SQLITE_OK ? rc : rc2;
}

int wal_read(sqlite3_file* f, void* p, int n, sqlite3_int64 at)
{
    auto* w = as_wal(f);
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    return real_methods(w)->xRead(w->real, p, n, at);
}

int wal_truncate(sqlite3_file* f, sqlite3_int64 size)
{
    auto* w = as_wal(f);
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    return real_methods(w)->xTruncate(w->real, size);
}

int wal_sync(sqlite3_file* f, int flags)
{
    auto* w = as_wal(f);
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    return real_methods(w)->xSync(w->real, flags);
}

int wal_file_size(sqlite3_file* f, sqlite3_int64* size)
{
    auto* w = as_wal(f);
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    return real_methods(w)->xFileSize(w->real, size);
}

int wal_lock(sqlite3_file* f, int level)
{
    auto* w = as_wal(f);
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    return real_methods(w)->xLock(w->real, level);
}

int wal_unlock(sqlite3_file* f, int level)
{
    auto* w = as_wal(f);
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    return real_methods(w)->xUnlock(w->real, level);
}

int wal_check_reserved(sqlite3_file* f, int* out)
{
    auto* w = as_wal(f);
    return real_methods(w)->xCheckReservedLock(w->real, out);
}

int wal_file_control(sqlite3_file* f, int op, void* arg)
{
    auto* w = as_wal(f);
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    return real_methods(w)->xFileControl(w->real, op, arg);
}

int wal_sector_size(sqlite3_file* f)
{
    auto* w = as_wal(f);
    return real_methods(w)->xSectorSize(w->real);
}

int wal_device_characteristics(sqlite3_file* f)
{
    auto* w = as_wal(f);
    return real_methods(w)->xDeviceCharacteristics(w->real);
}

// A WAL file has no shared memory of its own and is never mapped; these only forward.
int wal_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out)
{
    auto* w = as_wal(f);
    if(real_methods(w)->iVersion < 2)
        return SQLITE_IOERR;
    return real_methods(w)->xShmMap(w->real, region, size, extend, out);
}

int wal_shm_lock(sqlite3_file* f, int offset, int n, int flags)
{
    auto* w = as_wal(f);
    if(real_methods(w)->iVersion < 2)
        return SQLITE_IOERR;
    return real_methods(w)->xShmLock(w->real, offset, n, flags);
}

void wal_shm_barrier(sqlite3_file* f)
{
    auto* w = as_wal(f);
    if(real_methods(w)->iVersion >= 2)
        real_methods(w)->xShmBarrier(w->real);
}

int wal_shm_unmap(sqlite3_file* f, int remove)
{
    auto* w = as_wal(f);
    if(real_methods(w)->iVersion < 2)
        return SQLITE_OK;
    return real_methods(w)->xShmUnmap(w->real, remove);
}

int wal_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out)
{
    auto* w = as_wal(f);
    *out = nullptr;
    if(int rc = write_gathered(w); rc != SQLITE_OK)
        return rc;
    if(real_methods(w)->iVersion < 3)
        return SQLITE_OK;
    return real_methods(w)->xFetch(w->real, at, n, out);
}

int wal_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p)
{
    auto* w = as_wal(f);
    if(real_methods(w)->iVersion < 3)
        return SQLITE_OK;
    return real_methods(w)->xUnfetch(w->real, at, p);
}

sqlite3_io_methods const wal_methods = {
    3,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    wal_shm_map,
    wal_shm_lock,
    wal_shm_barrier,
    wal_shm_unmap,
    wal_fetch,
    wal_unfetch,
};

int shim_open(sqlite3_vfs*, char const* name, sqlite3_file* f, int flags, int* out_flags)
{
    // Not a WAL file: the default VFS's file, as it is, in the same block.
    if((flags & SQLITE_OPEN_WAL) == 0)
        return base->xOpen(base, name, f, flags, out_flags);
    auto* w = as_wal(f);
    w->file.pMethods = nullptr;
    w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + real_offset);
    w->data = nullptr;
    w->size = 0;
    w->capacity = 0;
    w->at = 0;
    w->commit = false;
    int const rc = base->xOpen(base, name, w->real, flags, out_flags);
    if(rc != SQLITE_OK)
    {
        if(w->real->pMethods)
            w->real->pMethods->xClose(w->real);
        return rc;
    }
    w->file.pMethods = &wal_methods;
    return SQLITE_OK;
}

} // namespace

char const* coalescing_vfs()
{
    static std::once_flag once;
    std::call_once(once, [] {
        base = sqlite3_vfs_find(nullptr);
        if(!base)
            return;
        shim = *base;
        shim.pNext = nullptr;
        shim.zName = "catena-coalescing";
        shim.szOsFile = static_cast<int>(real_offset) + base->szOsFile;
        shim.xOpen = shim_open;
        if(sqlite3_vfs_register(&shim, 0) == SQLITE_OK)
            registered = shim.zName;
    });
    return registered;
}

coalescing_counts coalescing_vfs_counts() noexcept
{
    return {received.load(std::memory_order_relaxed), issued.load(std::memory_order_relaxed)};
}

} // namespace catena::webhooks::detail
