/*
 * soak_fork.c -- fork() while the library is busy in every way at once.
 *
 *   soak_fork SMALL_MODEL
 *
 * Four threads loop, each until the main thread is done forking: load
 * SMALL_MODEL with 2 or 4 threads (pools and their mutexes are created and
 * destroyed all the time, so the fork handlers' list changes under them),
 * run it and compare with the reference logits, free it; and in between
 * load hostile inputs: a FIFO with no writer, a 64 MiB `[0,0,...]` header
 * from memory, and a sparse file of 2^40 bytes. Meanwhile the main thread
 * forks SOAK_FORKS children (default 300, 50 with SOAK_QUICK); each child
 * loads SMALL_MODEL with 2 threads, runs, compares and frees it, under an
 * alarm of 30 s. Every child must exit 0, every parent run must match.
 */
#include "soak_common.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIDE 32

static const char *g_model;
static char g_fifo[256], g_sparse[256];
static unsigned char *g_hostile;
static size_t g_hostile_size;
static float g_input[SIDE * SIDE * 3];
static float *g_reference;
static int g_classes;
static volatile int g_stop;

static mobilenet_model *load(int threads) {
    mobilenet_options options;
    mobilenet_options_init(&options);
    options.num_threads = threads;
    mobilenet_model *model = NULL;
    return mobilenet_model_load(g_model, &options, &model) == MOBILENET_OK ? model : NULL;
}

static int run_matches(mobilenet_model *model, float *logits) {
    return mobilenet_model_run(model, g_input, 1, SIDE, SIDE, logits, (size_t)g_classes) == MOBILENET_OK &&
           memcmp(logits, g_reference, sizeof(float) * (size_t)g_classes) == 0;
}

static void *worker(void *arg) {
    long id = (long)arg, rounds = 0, bad = 0, hostile_bad = 0;
    float *logits = malloc(sizeof(float) * (size_t)g_classes);
    while (!g_stop) {
        mobilenet_model *model = load(rounds % 2 ? 4 : 2);
        if (!model || !run_matches(model, logits)) bad++;
        mobilenet_model_free(model);
        mobilenet_model *none = NULL;
        switch (rounds % 3) {
        case 0: hostile_bad += mobilenet_model_load(g_fifo, NULL, &none) != MOBILENET_ERROR_IO; break;
        case 1:
            hostile_bad += mobilenet_model_load_memory(g_hostile, g_hostile_size, NULL, &none) != MOBILENET_ERROR_FORMAT;
            break;
        default: hostile_bad += mobilenet_model_load(g_sparse, NULL, &none) != MOBILENET_ERROR_FORMAT; break;
        }
        hostile_bad += none != NULL;
        rounds++;
    }
    free(logits);
    soak_check(bad == 0, 1, "worker %ld: %ld load/run/free rounds at 2 and 4 threads, %ld mismatched", id, rounds, bad);
    soak_check(hostile_bad == 0, 0, "worker %ld: hostile loads gave their statuses (%ld wrong)", id, hostile_bad);
    return NULL;
}

static int child(void) {
    alarm(30);
    float *logits = malloc(sizeof(float) * (size_t)g_classes);
    mobilenet_model *model = load(2);
    int ok = model && logits && run_matches(model, logits);
    mobilenet_model_free(model);
    free(logits);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: soak_fork SMALL_MODEL\n"); return 2; }
    g_model = argv[1];
    int forks = getenv("SOAK_FORKS") ? atoi(getenv("SOAK_FORKS")) : getenv("SOAK_QUICK") ? 50 : 300;
    for (int i = 0; i < SIDE * SIDE * 3; i++) g_input[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;

    mobilenet_model *model = load(1);
    if (!model) { printf("cannot load %s: %s\n", g_model, mobilenet_last_error()); return 1; }
    g_classes = mobilenet_model_num_classes(model);
    g_reference = malloc(sizeof(float) * (size_t)g_classes);
    soak_check(mobilenet_model_run(model, g_input, 1, SIDE, SIDE, g_reference, (size_t)g_classes) == MOBILENET_OK,
               0, "reference run");
    mobilenet_model_free(model);

    snprintf(g_fifo, sizeof g_fifo, "/tmp/soak-fork-fifo-%d", (int)getpid());
    snprintf(g_sparse, sizeof g_sparse, "/tmp/soak-fork-sparse-%d", (int)getpid());
    unlink(g_fifo);
    soak_check(mkfifo(g_fifo, 0600) == 0, 0, "mkfifo");
    {
        const char *header = "{\"t\":{\"dtype\":\"F64\",\"shape\":[137438953000],\"data_offsets\":[0,8]}}";
        uint64_t n = strlen(header);
        int fd = open(g_sparse, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int ok = fd >= 0 && write(fd, &n, 8) == 8 && write(fd, header, n) == (ssize_t)n &&
                 ftruncate(fd, (off_t)1 << 40) == 0;
        if (fd >= 0) close(fd);
        soak_check(ok, 0, "sparse file of 2^40 bytes");
    }
    g_hostile_size = ((size_t)64 << 20) + 8;
    g_hostile = malloc(g_hostile_size);
    uint64_t length = (uint64_t)64 << 20;
    memcpy(g_hostile, &length, 8);
    for (size_t i = 0; i < length; i++) g_hostile[8 + i] = (i % 2) ? '0' : ',';
    g_hostile[8] = '[';
    g_hostile[g_hostile_size - 1] = ']';

    pthread_t threads[4];
    for (long t = 0; t < 4; t++) pthread_create(&threads[t], NULL, worker, (void *)t);
    int ok = 0, hung = 0, crashed = 0, failed = 0;
    time_t start = time(NULL);
    for (int i = 0; i < forks; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) _exit(child());
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) { failed++; continue; }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) hung++;
        else if (WIFSIGNALED(status)) crashed++;
        else failed++;
    }
    g_stop = 1;
    for (int t = 0; t < 4; t++) pthread_join(threads[t], NULL);
    soak_check(ok == forks, 1, "%d children forked during busy threads in %ld s: %d ok, %d hung, %d crashed, %d failed",
               forks, (long)(time(NULL) - start), ok, hung, crashed, failed);
    unlink(g_fifo);
    unlink(g_sparse);
    free(g_hostile);
    free(g_reference);
    return soak_finish();
}
