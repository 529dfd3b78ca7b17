/*
 * soak_shared.c -- one model shared by many threads.
 *
 *   soak_shared MODEL            (tests/soak/run.sh passes the bundled model)
 *
 * Loads MODEL once (default options: a worker pool, which concurrent callers
 * then contend for). Each of 8 threads classifies its own 4 synthetic images
 * (different sizes and row strides) 200 times, in turn, all threads at once,
 * and every 10th iteration also runs the network on a 96x96 float input (a
 * second arena size). Every result -- top-5 class indices, probabilities and
 * label pointers, and the raw logits -- must equal, bit for bit, a
 * sequential reference computed before the threads start.
 * Environment: SOAK_QUICK=1 (10 iterations), SOAK_ITERATIONS, SOAK_THREADS.
 * Last line: "N passed, N failed".
 */
#include "soak_common.h"

#include <stdint.h>

#define MAX_THREADS 64
#define IMAGES_PER_THREAD 4
#define TOP_K 5
#define RUN_SIDE 96

typedef struct {
    int width, height;
    size_t stride;
    unsigned char *rgb;
    mobilenet_prediction reference[TOP_K];
} image;

static mobilenet_model *model;
static int num_classes;
static int top_k;              /* min(TOP_K, num_classes) */
static int iterations;
static int num_threads;
static image *images;          /* num_threads * IMAGES_PER_THREAD */
static float *run_input;       /* num_threads inputs of RUN_SIDE^2 * 3 floats */
static float *run_reference;   /* num_threads * num_classes logits */
static pthread_barrier_t start;

/* A synthetic photo-like image: smooth gradients, a few discs, some noise. */
static void make_image(image *im, unsigned seed) {
    unsigned s = seed * 2654435761u + 1;
    im->width = 150 + (int)(soak_next(&s) % 300);
    im->height = 150 + (int)(soak_next(&s) % 300);
    im->stride = (size_t)im->width * 3 + soak_next(&s) % 17;
    im->rgb = malloc(im->stride * im->height);
    int cx[3], cy[3], r[3];
    unsigned char col[3][3];
    for (int d = 0; d < 3; d++) {
        cx[d] = (int)(soak_next(&s) % im->width);
        cy[d] = (int)(soak_next(&s) % im->height);
        r[d] = 10 + (int)(soak_next(&s) % 80);
        for (int c = 0; c < 3; c++) col[d][c] = (unsigned char)soak_next(&s);
    }
    unsigned phase = soak_next(&s) % 256;
    for (int y = 0; y < im->height; y++) {
        unsigned char *row = im->rgb + y * im->stride;
        for (int x = 0; x < im->width; x++) {
            int v[3] = {(int)((x * 255) / im->width + phase) & 255, (y * 255) / im->height,
                        (int)(((x + y) * 127) / (im->width + im->height) + phase / 2)};
            for (int d = 0; d < 3; d++) {
                int dx = x - cx[d], dy = y - cy[d];
                if (dx * dx + dy * dy < r[d] * r[d])
                    for (int c = 0; c < 3; c++) v[c] = col[d][c];
            }
            for (int c = 0; c < 3; c++) {
                int n = v[c] + (int)(soak_next(&s) % 21) - 10;
                row[x * 3 + c] = (unsigned char)(n < 0 ? 0 : n > 255 ? 255 : n);
            }
        }
    }
}

static int same_predictions(const mobilenet_prediction *a, const mobilenet_prediction *b) {
    for (int i = 0; i < top_k; i++)
        if (a[i].class_index != b[i].class_index || memcmp(&a[i].probability, &b[i].probability, 4) != 0 ||
            a[i].label != b[i].label)
            return 0;
    return 1;
}

typedef struct { int index; int mismatches; int errors; int runs; int classifications; } worker_result;

static void *worker(void *arg) {
    worker_result *res = arg;
    int t = res->index;
    float *logits = malloc(sizeof(float) * num_classes);
    pthread_barrier_wait(&start);
    for (int it = 0; it < iterations; it++) {
        image *im = &images[t * IMAGES_PER_THREAD + it % IMAGES_PER_THREAD];
        mobilenet_prediction p[TOP_K];
        memset(p, 0, sizeof p);
        mobilenet_status s = mobilenet_model_classify_rgb8(model, im->rgb, im->width, im->height, im->stride,
                                                           top_k, p);
        res->classifications++;
        if (s != MOBILENET_OK || mobilenet_last_error()[0] != 0) {
            if (res->errors++ == 0)
                soak_check(0, 0, "thread %d iteration %d: classify: %s", t, it, mobilenet_last_error());
        } else if (!same_predictions(p, im->reference)) {
            if (res->mismatches++ == 0)
                soak_check(0, 0, "thread %d iteration %d: top-%d differs from the sequential reference "
                           "(class %d p=%.9g vs class %d p=%.9g)", t, it, top_k, p[0].class_index,
                           p[0].probability, im->reference[0].class_index, im->reference[0].probability);
        }
        if (it % 10 == 0) {
            s = mobilenet_model_run(model, run_input + (size_t)t * RUN_SIDE * RUN_SIDE * 3, 1, RUN_SIDE, RUN_SIDE,
                                    logits, num_classes);
            res->runs++;
            if (s != MOBILENET_OK) {
                if (res->errors++ == 0) soak_check(0, 0, "thread %d: run: %s", t, mobilenet_last_error());
            } else if (memcmp(logits, run_reference + (size_t)t * num_classes, sizeof(float) * num_classes) != 0) {
                if (res->mismatches++ == 0)
                    soak_check(0, 0, "thread %d iteration %d: logits differ from the sequential reference", t, it);
            }
        }
    }
    free(logits);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL\n", argv[0]);
        return 2;
    }
    iterations = (int)soak_env_long("SOAK_ITERATIONS", soak_quick() ? 10 : 200);
    num_threads = (int)soak_env_long("SOAK_THREADS", 8);
    if (num_threads < 1 || num_threads > MAX_THREADS) num_threads = 8;

    double t0 = soak_seconds();
    mobilenet_status s = mobilenet_model_load(argv[1], NULL, &model);
    soak_check(s == MOBILENET_OK, 1, "load %s (%.2f s) %s", argv[1], soak_seconds() - t0, mobilenet_last_error());
    if (s != MOBILENET_OK) return soak_finish();
    num_classes = mobilenet_model_num_classes(model);
    top_k = num_classes < TOP_K ? num_classes : TOP_K;

    /* Sequential references. */
    t0 = soak_seconds();
    images = calloc((size_t)num_threads * IMAGES_PER_THREAD, sizeof *images);
    run_input = malloc(sizeof(float) * num_threads * RUN_SIDE * RUN_SIDE * 3);
    run_reference = malloc(sizeof(float) * num_threads * num_classes);
    int ref_ok = 1;
    for (int i = 0; i < num_threads * IMAGES_PER_THREAD; i++) {
        make_image(&images[i], (unsigned)i + 1);
        ref_ok &= mobilenet_model_classify_rgb8(model, images[i].rgb, images[i].width, images[i].height,
                                                images[i].stride, top_k, images[i].reference) == MOBILENET_OK;
    }
    unsigned seed = 7;
    for (size_t i = 0; i < (size_t)num_threads * RUN_SIDE * RUN_SIDE * 3; i++)
        run_input[i] = (float)(soak_next(&seed) % 2001) / 1000.0f - 1.0f;
    for (int t = 0; t < num_threads; t++)
        ref_ok &= mobilenet_model_run(model, run_input + (size_t)t * RUN_SIDE * RUN_SIDE * 3, 1, RUN_SIDE, RUN_SIDE,
                                      run_reference + (size_t)t * num_classes, num_classes) == MOBILENET_OK;
    /* The images must not all give the same answer, or the comparison is weak. */
    int distinct = 0;
    for (int i = 1; i < num_threads * IMAGES_PER_THREAD; i++)
        distinct += !same_predictions(images[i].reference, images[0].reference);
    soak_check(ref_ok, 1, "sequential references: %d images, %d runs (%.2f s)", num_threads * IMAGES_PER_THREAD,
               num_threads, soak_seconds() - t0);
    soak_check(distinct > 0, 1, "the synthetic images do not all get the same result (%d differ from the first)",
               distinct);

    pthread_t threads[MAX_THREADS];
    worker_result results[MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)num_threads);
    t0 = soak_seconds();
    for (int t = 0; t < num_threads; t++) {
        memset(&results[t], 0, sizeof results[t]);
        results[t].index = t;
        pthread_create(&threads[t], NULL, worker, &results[t]);
    }
    int classifications = 0, runs = 0;
    for (int t = 0; t < num_threads; t++) {
        pthread_join(threads[t], NULL);
        classifications += results[t].classifications;
        runs += results[t].runs;
        soak_check(results[t].mismatches == 0 && results[t].errors == 0, 1,
                   "thread %d: %d classifications and %d runs, %d differ from the reference, %d errors", t,
                   results[t].classifications, results[t].runs, results[t].mismatches, results[t].errors);
    }
    double elapsed = soak_seconds() - t0;
    printf("%d threads: %d classifications + %d runs in %.2f s (%.1f classifications/s)\n", num_threads,
           classifications, runs, elapsed, classifications / elapsed);
    pthread_barrier_destroy(&start);
    mobilenet_model_free(model);
    for (int i = 0; i < num_threads * IMAGES_PER_THREAD; i++) free(images[i].rgb);
    free(images);
    free(run_input);
    free(run_reference);
    return soak_finish();
}
