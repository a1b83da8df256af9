#ifndef LIAISON_CLINUX_SHIM_H
#define LIAISON_CLINUX_SHIM_H
#include <stdint.h>

/* Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc
   module is not built with. The declarations match glibc's <fcntl.h>. */
extern int sync_file_range(int fd, int64_t offset, int64_t count, unsigned int flags);
#define LIAISON_SYNC_FILE_RANGE_WRITE 2u

/* glibc's <pthread.h>; pthread_t is an unsigned long there. */
extern int pthread_setname_np(unsigned long thread, const char *name);

/* Whether the process was started with `sig` ignored (as `nohup` does for SIGHUP). */
#include <signal.h>
static inline int liaison_signal_is_ignored(int sig) {
    struct sigaction current;
    if (sigaction(sig, 0, &current) != 0) return 0;
    return current.sa_handler == SIG_IGN;
}

#endif
