/* Writeback of a large transaction while it is being written, through SQLite's own descriptor.
 *
 * A 1 GiB archive dirties 1 GiB of page cache; left alone, the kernel starts writing it only at
 * the commit's fsync, so the disk idles while the document is encrypted and the fsync then waits
 * for all of it. Asking for writeback as the file grows (sync_file_range with
 * SYNC_FILE_RANGE_WRITE: start the writes, wait for nothing) overlaps the two.
 *
 * The request must use the descriptor SQLite already holds. Opening the vault again and closing
 * that descriptor would drop every POSIX lock the process holds on the file, SQLite's write lock
 * among them, in the middle of the transaction (issue 10: that is how an earlier version
 * corrupted vaults). So the hint is given from inside SQLite's unix VFS, by replacing its
 * pwrite/pwrite64 system calls (sqlite3_vfs.xSetSystemCall, the documented way to interpose on
 * them) with wrappers that make the same call and then, whenever a write crosses a 32 MiB
 * boundary of the file, ask for the 32 MiB just completed to be written. The wrappers keep no
 * state, open nothing and close nothing; sync_file_range neither changes what SQLite wrote nor
 * what survives a crash (only the commit's fsync promises durability), and its result is ignored:
 * it is a hint.
 *
 * Installed once, before the process opens its first connection (xSetSystemCall is not safe to
 * call while connections are open). */
#define _GNU_SOURCE
#include "sarahvault_vfs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <unistd.h>

enum { WINDOW = 32 << 20 };

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
static pwrite_fn real_pwrite;
static pwrite_fn real_pwrite64;
static int installed = SQLITE_ERROR;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void hint(int fd, off_t offset, ssize_t written) {
    if (written <= 0) return;
    const off_t end = offset + written;
    if (end / WINDOW > offset / WINDOW) {
        const off_t start = (end / WINDOW) * WINDOW - WINDOW;
        (void)sync_file_range(fd, start, WINDOW, SYNC_FILE_RANGE_WRITE);
    }
}

static ssize_t hinting_pwrite(int fd, const void *data, size_t n, off_t offset) {
    const ssize_t rc = real_pwrite(fd, data, n, offset);
    hint(fd, offset, rc);
    return rc;
}

static ssize_t hinting_pwrite64(int fd, const void *data, size_t n, off_t offset) {
    const ssize_t rc = real_pwrite64(fd, data, n, offset);
    hint(fd, offset, rc);
    return rc;
}

static void installOnce(void) {
    sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
    if (unix_vfs == NULL || unix_vfs->iVersion < 3 || unix_vfs->xGetSystemCall == NULL) return;
    real_pwrite = (pwrite_fn)unix_vfs->xGetSystemCall(unix_vfs, "pwrite");
    real_pwrite64 = (pwrite_fn)unix_vfs->xGetSystemCall(unix_vfs, "pwrite64");
    int rc = SQLITE_OK;
    if (real_pwrite != NULL)
        rc = unix_vfs->xSetSystemCall(unix_vfs, "pwrite", (sqlite3_syscall_ptr)hinting_pwrite);
    if (rc == SQLITE_OK && real_pwrite64 != NULL)
        rc = unix_vfs->xSetSystemCall(unix_vfs, "pwrite64", (sqlite3_syscall_ptr)hinting_pwrite64);
    installed = rc;
}

int sarahvault_writeback_install(void) {
    pthread_once(&once, installOnce);
    return installed;
}
