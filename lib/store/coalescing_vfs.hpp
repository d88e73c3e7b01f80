// SPDX-License-Identifier: BSL-1.0
// lib/store/coalescing_vfs.hpp - a SQLite VFS that writes a WAL transaction with one system call.
#ifndef CATENA_WEBHOOKS_STORE_COALESCING_VFS_HPP
#define CATENA_WEBHOOKS_STORE_COALESCING_VFS_HPP


#include <cstdint>

namespace catena::webhooks::detail {

/** The name of a VFS (registered on first use) that wraps SQLite's default one and changes
    one thing: writes to a WAL file that continue one another are gathered in memory and
    issued as one write once a commit frame is complete. SQLite writes each frame as two
    writes (its 24-byte header, then the page), so a transaction of n pages costs 2n system
    calls; here it costs one.

    What SQLite sees is unchanged. Every frame of a transaction is in the file before the
    write of its commit frame returns, and so before SQLite publishes the commit in the WAL
    index: no other connection can look for a frame that is not written yet. Any other
    operation on the file (read, sync, size, truncate, close, file control) first writes
    what is gathered, so this connection never reads around it either. A failed write is
    reported by the write that issued it: the commit frame's, which fails the transaction.
    Other files (the database, its shared memory) are opened by the default VFS as they are.

    Null if the VFS could not be registered (the default VFS is used then).
*/
char const* coalescing_vfs();

/// Writes received from SQLite for WAL files, and writes issued for them (process-wide).
struct coalescing_counts
{
    std::uint64_t received = 0;
    std::uint64_t issued = 0;
};
coalescing_counts coalescing_vfs_counts() noexcept;

} // namespace catena::webhooks::detail

#endif
