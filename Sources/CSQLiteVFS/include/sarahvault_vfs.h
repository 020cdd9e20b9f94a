#ifndef SARAHVAULT_VFS_H
#define SARAHVAULT_VFS_H

/* The one hand-written part left between SQLite and the vault file (README, "What stayed, and
   why"). A coalescing VFS that gathered appended pages into larger writes was measured within
   the noise (1.01x on archive) and removed (issue 10). */

/* Makes SQLite's unix VFS start writeback of each 32 MiB a file grows by, on SQLite's own
   descriptor (writeback.c). Idempotent and thread-safe; call it before the first connection
   opens. Returns an SQLite result code. */
int sarahvault_writeback_install(void);

#endif
