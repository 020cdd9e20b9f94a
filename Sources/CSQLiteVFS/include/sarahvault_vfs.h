#ifndef SARAHVAULT_VFS_H
#define SARAHVAULT_VFS_H

/* An SQLite VFS over the default one that gathers the pages a transaction appends to a main
   database file into writes of up to 112 KiB, instead of one write per page. See
   coalescing_vfs.c. Registering is idempotent and thread-safe; it returns an SQLite result code.
   Open a database with it by passing sarahvault_vfs_name() to sqlite3_open_v2. */
int sarahvault_vfs_register(void);
const char *sarahvault_vfs_name(void);

/* sqlite3_file_control(db, "main", SARAHVAULT_FCNTL_COALESCE, &v) with an int v: 1 lets the main
   database file hold appends back (only once the connection is known to use a rollback journal
   and synchronous=FULL), 0 stops it, -1 only asks; v is set to the state. SQLITE_NOTFOUND on a
   connection that does not use this VFS. */
#define SARAHVAULT_FCNTL_COALESCE 0x53560001

/* Makes SQLite's unix VFS start writeback of each 32 MiB a file grows by, on SQLite's own
   descriptor (writeback.c). Idempotent and thread-safe; call it before the first connection
   opens. Returns an SQLite result code. */
int sarahvault_writeback_install(void);

#endif
