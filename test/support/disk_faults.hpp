// SPDX-License-Identifier: BSL-1.0
// test/support/disk_faults.hpp - short writes, EIO and ENOSPC under SQLite, at chosen writes of chosen files.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_DISK_FAULTS_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_DISK_FAULTS_HPP

#include <cstdint>
#include <limits>
#include <string>

namespace catena::webhooks::test {

/** Faults in the writes SQLite makes to disk, for as long as the object lives.

    SQLite's unix VFS issues every write through its table of system calls; this replaces
    pwrite64 in it (xSetSystemCall, process-wide) with a function that passes writes through
    until a plan is armed, then makes the chosen writes of the chosen files fail as a disk
    does. The store's own coalescing VFS sits above the unix VFS, so a fault reaches it, and
    the store, exactly as a real one would: through the unix VFS's handling of a short write
    (it writes the rest), of ENOSPC (SQLITE_FULL) and of EIO (SQLITE_IOERR_WRITE).

    One object at a time; create it before the store under test opens and destroy it after
    the store closed (the system call table is not meant to change under running I/O).
*/
class disk_faults
{
public:
    enum class fault
    {
        short_write, ///< Half the bytes are written and the call returns that many (SQLite writes the rest).
        eio,         ///< Nothing is written; -1, errno EIO.
        enospc,      ///< Nothing is written; -1, errno ENOSPC.
        torn,        ///< Half the bytes are written, then the write of the rest fails with ENOSPC:
                     ///< a frame cut in two on disk, and SQLITE_FULL.
    };

    /** Which writes fail: those to files whose path ends with `suffix` ("-wal": the write-ahead
        log, where commits go; ".db": the database file, written by checkpoints), after
        `skip` of them passed, `count` of them (then writes pass again). */
    struct plan
    {
        std::string suffix;
        fault what = fault::eio;
        std::uint64_t skip = 0;
        std::uint64_t count = std::numeric_limits<std::uint64_t>::max();
    };

    /// "short write", "EIO", "ENOSPC", "torn write".
    static char const* name(fault f);

    disk_faults();
    ~disk_faults();
    disk_faults(disk_faults const&) = delete;
    disk_faults& operator=(disk_faults const&) = delete;

    /// From now on, `p`; its counts start at zero.
    void arm(plan p);
    /// Every write passes again.
    void disarm();

    /// Writes to the armed plan's files since it was armed, and of them those made to fail.
    std::uint64_t writes() const;
    std::uint64_t faults() const;
};

} // namespace catena::webhooks::test

#endif
