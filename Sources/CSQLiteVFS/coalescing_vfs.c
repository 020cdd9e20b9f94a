/* A write-coalescing SQLite VFS.
 *
 * SQLite writes a database one page per write call (16 KiB in a vault), so archiving a 1 GiB
 * document makes some 65,000 system calls, each paying the kernel's per-call and per-page cost.
 * This shim sits over the default (unix) VFS and, for a main database file only, gathers writes
 * that *append* to the file -- pages past its current end, contiguous with each other -- into one
 * buffer of up to 112 KiB (the unix VFS takes at most 128 KiB in one write) and writes them in one
 * call.
 *
 * Why this cannot change what survives a crash: only appended pages are held back. A rollback
 * journal restores pages that existed before the transaction and truncates the file to its old
 * size, so appended pages matter to recovery not at all until the commit's sync -- and every
 * sync, read, truncate, size query, lock change, file control and close writes the buffer out
 * first. An overwrite of an existing page writes the buffer out, then goes straight through.
 * SQLite never assumes a write reached the disk before xSync; holding an append a little longer
 * is within what the VFS contract allows, and a failed write of the buffer is reported by the
 * call that wrote it, as a failed write would have been.
 *
 * That argument needs a rollback journal and synchronous=FULL: with WAL, appends are not what
 * recovery ignores, and with synchronous=OFF no sync comes to write the buffer out. So a file
 * starts in pass-through and holds appends back only after the connection's owner has checked
 * both settings and said so (SARAHVAULT_FCNTL_COALESCE, from SQLiteStore); any later
 * journal_mode or synchronous pragma on the connection turns holding back off again, and a
 * WAL file is refused outright.
 *
 * Journals and every other file pass straight through. The io_methods are version 1: no WAL
 * shared memory and no memory-mapped I/O on these files (a vault uses neither). */
#include "sarahvault_vfs.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { CAPACITY = 7 * 16384 };

typedef struct File {
    sqlite3_file base;
    sqlite3_file *real;       /* the underlying file, in the memory right after this struct */
    unsigned char *buffer;    /* NULL: pass-through */
    sqlite3_int64 offset;     /* where the buffered bytes go */
    int length;               /* how many are buffered */
    sqlite3_int64 end;        /* the real file's size as far as this connection wrote it */
    int coalescing;           /* appends are held back: the owner vouched for journal and sync */
} File;

static sqlite3_vfs *lower;
static sqlite3_vfs vfs;
static int registered = SQLITE_ERROR;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define REAL(f) ((f)->real->pMethods)

static int flush(File *f) {
    if (f->length == 0) return SQLITE_OK;
    const int n = f->length;
    f->length = 0;
    const int rc = REAL(f)->xWrite(f->real, f->buffer, n, f->offset);
    if (rc == SQLITE_OK && f->offset + n > f->end) f->end = f->offset + n;
    return rc;
}

static int xClose(sqlite3_file *p) {
    File *f = (File *)p;
    const int rc = flush(f);
    const int rc2 = REAL(f)->xClose(f->real);
    free(f->buffer);
    f->buffer = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int xRead(sqlite3_file *p, void *out, int amount, sqlite3_int64 offset) {
    File *f = (File *)p;
    const int rc = flush(f);
    return rc != SQLITE_OK ? rc : REAL(f)->xRead(f->real, out, amount, offset);
}

static int xWrite(sqlite3_file *p, const void *data, int amount, sqlite3_int64 offset) {
    File *f = (File *)p;
    if (f->buffer != NULL && f->coalescing && amount > 0 && amount <= CAPACITY) {
        if (f->length > 0 && offset == f->offset + f->length && f->length + amount <= CAPACITY) {
            memcpy(f->buffer + f->length, data, (size_t)amount);
            f->length += amount;
            return SQLITE_OK;
        }
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
        if (offset >= f->end) { /* an append: start a new run */
            memcpy(f->buffer, data, (size_t)amount);
            f->offset = offset;
            f->length = amount;
            return SQLITE_OK;
        }
    } else {
        const int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    const int rc = REAL(f)->xWrite(f->real, data, amount, offset);
    if (rc == SQLITE_OK && offset + amount > f->end) f->end = offset + amount;
    return rc;
}

static int xTruncate(sqlite3_file *p, sqlite3_int64 size) {
    File *f = (File *)p;
    int rc = flush(f);
    if (rc != SQLITE_OK) return rc;
    rc = REAL(f)->xTruncate(f->real, size);
    if (rc == SQLITE_OK) f->end = size;
    return rc;
}

static int xSync(sqlite3_file *p, int flags) {
    File *f = (File *)p;
    const int rc = flush(f);
    return rc != SQLITE_OK ? rc : REAL(f)->xSync(f->real, flags);
}

static int xFileSize(sqlite3_file *p, sqlite3_int64 *size) {
    File *f = (File *)p;
    int rc = flush(f);
    if (rc != SQLITE_OK) return rc;
    rc = REAL(f)->xFileSize(f->real, size);
    if (rc == SQLITE_OK) f->end = *size;
    return rc;
}

static int xLock(sqlite3_file *p, int level) {
    File *f = (File *)p;
    int rc = flush(f);
    if (rc != SQLITE_OK) return rc;
    rc = REAL(f)->xLock(f->real, level);
    /* Another connection may have grown the file while this one held no lock. */
    if (rc == SQLITE_OK && level == SQLITE_LOCK_SHARED && f->buffer != NULL) {
        sqlite3_int64 size;
        if (REAL(f)->xFileSize(f->real, &size) == SQLITE_OK) f->end = size;
    }
    return rc;
}

static int xUnlock(sqlite3_file *p, int level) {
    File *f = (File *)p;
    const int rc = flush(f);
    const int rc2 = REAL(f)->xUnlock(f->real, level);
    return rc != SQLITE_OK ? rc : rc2;
}

static int xCheckReservedLock(sqlite3_file *p, int *out) {
    File *f = (File *)p;
    return REAL(f)->xCheckReservedLock(f->real, out);
}

static int xFileControl(sqlite3_file *p, int op, void *arg) {
    File *f = (File *)p;
    const int rc = flush(f);
    if (rc != SQLITE_OK) return rc;
    if (op == SARAHVAULT_FCNTL_COALESCE) {
        int *value = (int *)arg;
        if (f->buffer == NULL) return SQLITE_NOTFOUND; /* not a main database file */
        if (*value >= 0) f->coalescing = *value != 0;
        *value = f->coalescing;
        return SQLITE_OK;
    }
    if (op == SQLITE_FCNTL_PRAGMA) {
        /* arg: { error message, pragma name, value or NULL }. A change to either setting the
           crash argument rests on ends coalescing until the owner checks again. */
        char **args = (char **)arg;
        if (args[1] != NULL && args[2] != NULL &&
            (strcasecmp(args[1], "journal_mode") == 0 || strcasecmp(args[1], "synchronous") == 0))
            f->coalescing = 0;
    }
    return REAL(f)->xFileControl(f->real, op, arg);
}

static int xSectorSize(sqlite3_file *p) { return REAL((File *)p)->xSectorSize(((File *)p)->real); }

static int xDeviceCharacteristics(sqlite3_file *p) {
    return REAL((File *)p)->xDeviceCharacteristics(((File *)p)->real);
}

static const sqlite3_io_methods methods = {
    1, xClose, xRead, xWrite, xTruncate, xSync, xFileSize, xLock, xUnlock, xCheckReservedLock,
    xFileControl, xSectorSize, xDeviceCharacteristics,
};

static int xOpen(sqlite3_vfs *self, const char *name, sqlite3_file *p, int flags, int *outFlags) {
    (void)self;
    File *f = (File *)p;
    memset(f, 0, sizeof(File));
    f->base.pMethods = NULL;
    if (flags & SQLITE_OPEN_WAL) return SQLITE_CANTOPEN; /* see above: rollback journals only */
    f->real = (sqlite3_file *)((char *)p + ((sizeof(File) + 15) & ~(size_t)15));
    int rc = lower->xOpen(lower, name, f->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        /* SQLite calls xClose only when pMethods is set; the lower VFS cleaned up after itself. */
        if (f->real->pMethods != NULL) f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return rc;
    }
    if (flags & SQLITE_OPEN_MAIN_DB) {
        rc = f->real->pMethods->xFileSize(f->real, &f->end);
        f->buffer = rc == SQLITE_OK ? malloc(CAPACITY) : NULL; /* no buffer: plain pass-through */
    }
    f->base.pMethods = &methods;
    return SQLITE_OK;
}

static void registerOnce(void) {
    lower = sqlite3_vfs_find(NULL);
    if (lower == NULL) return;
    vfs = *lower;
    vfs.iVersion = lower->iVersion < 3 ? lower->iVersion : 3;
    vfs.szOsFile = (int)((sizeof(File) + 15) & ~(size_t)15) + lower->szOsFile;
    vfs.pNext = NULL;
    vfs.zName = "sarahvault-coalescing";
    vfs.pAppData = lower->pAppData;
    vfs.xOpen = xOpen;
    registered = sqlite3_vfs_register(&vfs, 0);
}

int sarahvault_vfs_register(void) {
    pthread_once(&once, registerOnce);
    return registered;
}

const char *sarahvault_vfs_name(void) { return "sarahvault-coalescing"; }
