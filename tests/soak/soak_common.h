/* Shared by the soak tests: pass/fail counting, /proc readings, files. */
#ifndef SOAK_COMMON_H
#define SOAK_COMMON_H

#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mobilenet.h"

static int soak_passed, soak_failed;
static pthread_mutex_t soak_lock = PTHREAD_MUTEX_INITIALIZER;

/* Counts a check; prints failures (and successes when always is set). */
static inline void soak_check(int ok, int always, const char *what, ...) {
    va_list args;
    pthread_mutex_lock(&soak_lock);
    if (ok) soak_passed++;
    else soak_failed++;
    if (!ok || always) {
        printf(ok ? "ok    " : "FAIL  ");
        va_start(args, what);
        vprintf(what, args);
        va_end(args);
        printf("\n");
        fflush(stdout);
    }
    pthread_mutex_unlock(&soak_lock);
}

static inline int soak_finish(void) {
    printf("%d passed, %d failed\n", soak_passed, soak_failed);
    return soak_failed ? 1 : 0;
}

static inline int soak_quick(void) {
    const char *q = getenv("SOAK_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

static inline long soak_env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM) or as a count (Threads). */
static inline long soak_status_field(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    size_t n = strlen(field);
    long value = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            value = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return value;
}

static inline void *soak_nothing(void *arg) { return arg; }

/* The process's thread count before a test, after one thread has been
 * created and joined: ThreadSanitizer's runtime starts its own background
 * thread at the first pthread_create, which must not count as the library's. */
static inline long soak_baseline_threads(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, soak_nothing, NULL) == 0) pthread_join(t, NULL);
    return soak_status_field("Threads");
}

/* The thread count once it is back to baseline, or after 2 s. A joined
 * thread can stay listed in /proc for a moment after pthread_join returns
 * (the kernel wakes the joiner before it removes the thread). */
static inline long soak_settled_threads(long baseline) {
    long n = soak_status_field("Threads");
    for (int i = 0; i < 100 && n > baseline; i++) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        n = soak_status_field("Threads");
    }
    return n;
}

static inline int soak_open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static inline double soak_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline unsigned char *soak_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Deterministic pseudo-random bytes/floats. */
static inline unsigned soak_next(unsigned *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

#endif
