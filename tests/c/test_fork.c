/*
 * test_fork.c -- fork() in a process that uses the library.
 *
 *   test_fork MODEL [SMALL_MODEL]
 *
 * For pools of 2 and 4 threads: 50 children forked right after a run and 50
 * forked while another thread of the parent runs the model without pause.
 * Each child runs the model it inherited (same logits as the parent's),
 * frees it, loads SMALL_MODEL afresh with 1, 2 and 4 threads, runs and
 * frees each, and exits; an alarm turns a hang into a failure. Before the
 * fork handlers, ~5 in 100 children of a 2-thread parent hung in
 * ThreadPool.parallel (a worker held the pool's lock at the fork) and a
 * child freeing a 4-thread model died of SIGSEGV (teardown waited for
 * workers that exist only in the parent). The parent's models keep working.
 * SMALL_MODEL defaults to MODEL (the bundled one: slower).
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <math.h>
#include <pthread.h>

#define SIDE 48
#define CHILDREN 50

static const char *g_small;
static float g_input[SIDE * SIDE * 3];
static int g_classes;

static mobilenet_model *load(const char *path, int threads) {
    mobilenet_options options;
    mobilenet_options_init(&options);
    options.num_threads = threads;
    mobilenet_model *model = NULL;
    if (mobilenet_model_load(path, &options, &model) != MOBILENET_OK) return NULL;
    return model;
}

static int run(mobilenet_model *model, float *logits) {
    return mobilenet_model_run(model, g_input, 1, SIDE, SIDE, logits, (size_t)g_classes) == MOBILENET_OK;
}

struct runner {
    mobilenet_model *model;
    volatile int stop;
    long runs;
};

static void *keep_running(void *arg) {
    struct runner *r = arg;
    float *logits = malloc(sizeof(float) * (size_t)g_classes);
    while (!r->stop && logits && run(r->model, logits)) r->runs++;
    free(logits);
    return NULL;
}

/* The child: 0 on success, else the number of the step that failed. */
static int child_main(mobilenet_model *inherited, const float *reference) {
    alarm(30);
    float *logits = malloc(sizeof(float) * (size_t)g_classes);
    if (!logits) return 10;
    if (!run(inherited, logits)) return 1;
    if (memcmp(logits, reference, sizeof(float) * (size_t)g_classes) != 0) return 2;
    mobilenet_model_free(inherited);
    static const int counts[3] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        mobilenet_model *fresh = load(g_small, counts[i]);
        if (!fresh) return 3;
        if (mobilenet_model_num_classes(fresh) == g_classes && !run(fresh, logits)) return 4;
        mobilenet_model_free(fresh);
    }
    free(logits);
    return 0;
}

static void fork_children(mobilenet_model *model, int threads, int during, const float *reference) {
    struct runner r = {model, 0, 0};
    pthread_t thread;
    float *logits = malloc(sizeof(float) * (size_t)g_classes);
    if (during) CHECK(pthread_create(&thread, NULL, keep_running, &r) == 0);
    int ok = 0, hung = 0, crashed = 0, failed = 0;
    for (int c = 0; c < CHILDREN; c++) {
        if (!during) CHECK(run(model, logits)); /* then fork right after */
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) _exit(child_main(model, reference));
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) { failed++; continue; }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) hung++;
        else if (WIFSIGNALED(status)) { crashed++; printf("  child killed by signal %d\n", WTERMSIG(status)); }
        else { failed++; printf("  child failed at step %d\n", WEXITSTATUS(status)); }
    }
    if (during) {
        r.stop = 1;
        pthread_join(thread, NULL);
    }
    printf("  %d threads, forked %s: %d ok, %d hung, %d crashed, %d failed%s\n", threads,
           during ? "during runs" : "after a run", ok, hung, crashed, failed, during ? "" : "");
    if (during) printf("    (the parent's runner thread made %ld runs meanwhile)\n", r.runs);
    CHECKF(ok == CHILDREN, "%d threads, %s: all %d children ran, freed and loaded models (%d hung, %d crashed)",
           threads, during ? "during runs" : "after a run", CHILDREN, hung, crashed);
    /* The parent's model still gives the same logits. */
    CHECK(run(model, logits) && memcmp(logits, reference, sizeof(float) * (size_t)g_classes) == 0);
    free(logits);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "models/mobilenet_v1_1.0_224.safetensors";
    g_small = argc > 2 ? argv[2] : path;
    for (int i = 0; i < SIDE * SIDE * 3; i++) g_input[i] = (float)sin(0.37 * i);
    static const int pools[2] = {2, 4};
    for (int p = 0; p < 2; p++) {
        mobilenet_model *model = load(g_small, pools[p]);
        CHECKF(model != NULL, "load %s with %d threads: %s", g_small, pools[p], mobilenet_last_error());
        if (!model) continue;
        g_classes = mobilenet_model_num_classes(model);
        float *reference = malloc(sizeof(float) * (size_t)g_classes);
        CHECK(reference && run(model, reference));
        for (int during = 0; during < 2; during++) fork_children(model, pools[p], during, reference);
        mobilenet_model_free(model);
        free(reference);
    }
    (void)path;
    return test_summary();
}
