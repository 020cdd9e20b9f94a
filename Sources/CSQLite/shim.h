#ifndef SARAHVAULT_CSQLITE_SHIM_H
#define SARAHVAULT_CSQLITE_SHIM_H
#include <sqlite3.h>
#include <unistd.h>
#include <sys/syscall.h>

/* SQLITE_TRANSIENT is a macro over a cast function pointer and is not imported into Swift. */
static inline sqlite3_destructor_type sarahvault_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/* Starts writeback of a file's dirty pages without waiting (sync_file_range with
   SYNC_FILE_RANGE_WRITE = 2), which glibc declares only under _GNU_SOURCE. */
static inline int sarahvault_start_writeback(int fd) {
#ifdef SYS_sync_file_range
    return (int)syscall(SYS_sync_file_range, fd, (long long)0, (long long)0, (unsigned int)2);
#else
    (void)fd;
    return 0;
#endif
}
#endif
