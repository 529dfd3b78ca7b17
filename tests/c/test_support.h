/*
 * test_support.h -- the small check framework of the hostile-input C tests
 * (test_files.c, test_sparse.c, test_tsd_keys.c, test_fork.c, test_memory.c,
 * test_quantize.c).
 * Each failed check prints "file:line: FAILED ..."; a test ends with
 * test_summary(), whose one line "N passed, N failed" tests/c/run.sh reads.
 */
#ifndef MOBILENET_TEST_SUPPORT_H
#define MOBILENET_TEST_SUPPORT_H

#include <mobilenet.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int t_passed, t_failed;

static inline int t_check(int ok, const char *file, int line, const char *format, ...) {
    if (ok) {
        t_passed++;
    } else {
        va_list args;
        t_failed++;
        printf("%s:%d: FAILED ", file, line);
        va_start(args, format);
        vprintf(format, args);
        va_end(args);
        printf("\n");
        fflush(stdout);
    }
    return ok;
}

#define CHECK(cond) t_check((cond) ? 1 : 0, __FILE__, __LINE__, "%s", #cond)
#define CHECKF(cond, ...) t_check((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

static inline int test_summary(void) {
    printf("%d passed, %d failed\n", t_passed, t_failed);
    return t_failed == 0 ? 0 : 1;
}

static inline double t_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whether `status` is `want` and the thread's message contains `text`
 * (NULL: any non-empty message); prints both otherwise. */
static inline int t_status(mobilenet_status status, mobilenet_status want, const char *text, const char *file, int line,
                    const char *what) {
    const char *message = mobilenet_last_error();
    int ok = status == want && message != NULL &&
             (want == MOBILENET_OK ? message[0] == '\0' : message[0] != '\0' && (!text || strstr(message, text)));
    return t_check(ok, file, line, "%s: status %s (want %s), message '%s' (want '%s')", what,
                   mobilenet_status_string(status), mobilenet_status_string(want), message ? message : "(null)",
                   text ? text : "(any)");
}
#define CHECK_STATUS(call, want, text) t_status((call), (want), (text), __FILE__, __LINE__, #call)

/* A whole file in a malloc'ed buffer (NULL if it cannot be read); *size gets its length. */
static inline unsigned char *t_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long n;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    data = (unsigned char *)malloc((size_t)n + 1);
    if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return data;
}

/* Runs body(arg) in a forked child with an alarm of `seconds`; returns the
 * child's wait status (a hang is SIGALRM, a Swift trap SIGILL or SIGTRAP). */
static inline int t_in_child(int (*body)(void *), void *arg, unsigned seconds) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        t_passed = t_failed = 0; /* the child's body reports its own */
        alarm(seconds);
        _exit(body(arg));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {}
    return status;
}

static inline const char *t_describe_wait(int status) {
    static char text[64];
    if (status == -1) return "fork failed";
    if (WIFEXITED(status)) snprintf(text, sizeof text, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(text, sizeof text, "killed by signal %d", WTERMSIG(status));
    else snprintf(text, sizeof text, "wait status %d", status);
    return text;
}

#endif
