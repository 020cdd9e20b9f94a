#ifndef SARAHVAULT_CSQLITE_SHIM_H
#define SARAHVAULT_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro over a cast function pointer and is not imported into Swift. */
static inline sqlite3_destructor_type sarahvault_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
