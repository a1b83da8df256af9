#ifndef LIAISON_CSQLITETUNING_SHIM_H
#define LIAISON_CSQLITETUNING_SHIM_H
#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's
   memory statistics: with them on, every allocation SQLite makes takes a
   process-wide mutex. Works only before SQLite initialises (before the first
   connection opens); returns SQLITE_MISUSE afterwards. */
static inline int liaison_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
