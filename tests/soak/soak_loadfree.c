/*
 * soak_loadfree.c -- many models loaded and freed in parallel.
 *
 *   soak_loadfree GOOD_MODEL BAD_MODEL "SUBSTRING"
 *
 * 4 threads each load and free GOOD_MODEL 50 times, concurrently: from the
 * path or from one shared memory buffer, with num_threads 0, 1 or 2 in turn
 * (so worker pools are created and joined concurrently), running it after
 * each load -- logits must equal, bit for bit, a reference computed before
 * the threads start. Every 5th iteration a thread also loads BAD_MODEL,
 * which must fail with FORMAT and a thread-local mobilenet_last_error
 * containing SUBSTRING that other threads' calls do not change. Afterwards
 * the process must be back to its starting thread and file-descriptor counts.
 * Environment: SOAK_QUICK=1 (10 per thread), SOAK_LOADS, SOAK_THREADS.
 * Last line: "N passed, N failed".
 */
#include "soak_common.h"

#include <sched.h>

#define MAX_THREADS 64
#define SIDE 16

static const char *good_path, *bad_path, *bad_substring;
static unsigned char *good_bytes;
static size_t good_size;
static int loads, num_classes;
static float input[SIDE * SIDE * 3];
static float *reference;
static pthread_barrier_t start;

typedef struct { int index, ok_loads, failures, mismatches, bad_ok; } result;

static void *worker(void *arg) {
    result *r = arg;
    float *logits = malloc(sizeof(float) * num_classes);
    pthread_barrier_wait(&start);
    for (int i = 0; i < loads; i++) {
        mobilenet_options options;
        mobilenet_options_init(&options);
        options.num_threads = (i + r->index) % 3;
        mobilenet_model *model = NULL;
        mobilenet_status s = (i + r->index) % 2
            ? mobilenet_model_load(good_path, &options, &model)
            : mobilenet_model_load_memory(good_bytes, good_size, &options, &model);
        if (s != MOBILENET_OK) {
            if (r->failures++ == 0) soak_check(0, 0, "thread %d load %d: %s", r->index, i, mobilenet_last_error());
            continue;
        }
        r->ok_loads++;
        s = mobilenet_model_run(model, input, 1, SIDE, SIDE, logits, num_classes);
        if (s != MOBILENET_OK || memcmp(logits, reference, sizeof(float) * num_classes) != 0) {
            if (r->mismatches++ == 0)
                soak_check(0, 0, "thread %d load %d: run %s or logits differ", r->index, i, mobilenet_last_error());
        }
        mobilenet_model_free(model);

        if (i % 5 == 0) {
            mobilenet_model *bad = NULL;
            s = mobilenet_model_load(bad_path, NULL, &bad);
            char copy[512];
            snprintf(copy, sizeof copy, "%s", mobilenet_last_error());
            sched_yield();  /* let the other threads succeed and fail in between */
            int same = strcmp(copy, mobilenet_last_error()) == 0;
            if (s == MOBILENET_ERROR_FORMAT && bad == NULL && strstr(copy, bad_substring) && same) {
                r->bad_ok++;
            } else if (r->failures++ == 0) {
                soak_check(0, 0, "thread %d: bad model gave status %d, message \"%s\" (now \"%s\")", r->index, s,
                           copy, mobilenet_last_error());
            }
        }
    }
    free(logits);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s GOOD_MODEL BAD_MODEL SUBSTRING\n", argv[0]);
        return 2;
    }
    good_path = argv[1];
    bad_path = argv[2];
    bad_substring = argv[3];
    loads = (int)soak_env_long("SOAK_LOADS", soak_quick() ? 10 : 50);
    int num_threads = (int)soak_env_long("SOAK_THREADS", 4);
    if (num_threads < 1 || num_threads > MAX_THREADS) num_threads = 4;
    good_bytes = soak_read_file(good_path, &good_size);
    soak_check(good_bytes != NULL, 1, "read %s", good_path);
    if (!good_bytes) return soak_finish();

    long threads_before = soak_baseline_threads();
    int fds_before = soak_open_fds();
    mobilenet_options options;
    mobilenet_options_init(&options);
    options.num_threads = 1;
    mobilenet_model *model = NULL;
    mobilenet_status s = mobilenet_model_load(good_path, &options, &model);
    soak_check(s == MOBILENET_OK, 1, "reference load %s", mobilenet_last_error());
    if (s != MOBILENET_OK) return soak_finish();
    num_classes = mobilenet_model_num_classes(model);
    unsigned seed = 3;
    for (int i = 0; i < SIDE * SIDE * 3; i++) input[i] = (float)(soak_next(&seed) % 2001) / 1000.0f - 1.0f;
    reference = malloc(sizeof(float) * num_classes);
    s = mobilenet_model_run(model, input, 1, SIDE, SIDE, reference, num_classes);
    soak_check(s == MOBILENET_OK, 1, "reference run");
    mobilenet_model_free(model);

    pthread_t threads[MAX_THREADS];
    result results[MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)num_threads);
    double t0 = soak_seconds();
    for (int t = 0; t < num_threads; t++) {
        memset(&results[t], 0, sizeof results[t]);
        results[t].index = t;
        pthread_create(&threads[t], NULL, worker, &results[t]);
    }
    int total = 0;
    for (int t = 0; t < num_threads; t++) {
        pthread_join(threads[t], NULL);
        result *r = &results[t];
        total += r->ok_loads;
        soak_check(r->ok_loads == loads && r->failures == 0 && r->mismatches == 0 && r->bad_ok == (loads + 4) / 5,
                   1, "thread %d: %d/%d loads, %d bad-model checks, %d failures, %d mismatches", t, r->ok_loads,
                   loads, r->bad_ok, r->failures, r->mismatches);
    }
    printf("%d threads x %d load/run/free: %.2f s\n", num_threads, loads, soak_seconds() - t0);
    pthread_barrier_destroy(&start);
    long threads_after = soak_settled_threads(threads_before);
    int fds_after = soak_open_fds();
    soak_check(threads_after == threads_before, 1, "threads: %ld before, %ld after (pool workers joined)",
               threads_before, threads_after);
    soak_check(fds_after == fds_before, 1, "file descriptors: %d before, %d after", fds_before, fds_after);
    soak_check(total == num_threads * loads, 1, "%d models loaded and freed", total);
    free(reference);
    free(good_bytes);
    return soak_finish();
}
