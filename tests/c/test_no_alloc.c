/*
 * test_no_alloc.c -- checks the header's promise that, after the first call
 * for a given input size, mobilenet_model_run and mobilenet_model_classify_rgb8
 * allocate no memory (with 1 and 2 threads, batch 1 and batches that spread
 * whole images over the threads), and neither do training steps after the
 * first at their size (mobilenet_trainer_step, _step_embeddings).
 *
 * It counts calls to the malloc family by defining them here: the executable's
 * definitions take precedence over the C library's for every shared object in
 * the process, libmobilenet.so and its static Swift runtime included. It also
 * checks that the counter sees the allocations of a first call at a new size,
 * so a broken interposition cannot pass silently.
 *
 * Usage: test_no_alloc MODEL.safetensors [MORE MODELS...]: the inference
 * checks run on each model (tests/c/run.sh adds an int8 .tflite file).
 */
#include <mobilenet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* glibc's own allocator entry points. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static int counting;
static unsigned long allocations;

static void count(void) {
    if (__atomic_load_n(&counting, __ATOMIC_RELAXED)) __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    void *p;
    count();
    p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}
void free(void *p) { __libc_free(p); }

static int failures, passes;

static void check(int ok, const char *what) {
    if (ok) {
        passes++;
        printf("  ok    %s\n", what);
    } else {
        failures++;
        printf("  FAIL  %s\n", what);
    }
}

static unsigned long start_counting(void) {
    __atomic_store_n(&allocations, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static unsigned long stop_counting(void) {
    __atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&allocations, __ATOMIC_RELAXED);
}

int main(int argc, char **argv) {
    enum { SIDE = 224, BATCH = 3, RUNS = 5 };
    static float input[BATCH * SIDE * SIDE * 3];
    static unsigned char rgb[300 * 200 * 3];
    float *logits;
    mobilenet_prediction top[5];
    int threads, i, classes, file;
    char what[160];

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.safetensors [MORE MODELS...]\n", argv[0]);
        return 2;
    }
    for (i = 0; i < BATCH * SIDE * SIDE * 3; i++) input[i] = (float)(i % 255) / 127.5f - 1.0f;
    for (i = 0; i < 300 * 200 * 3; i++) rgb[i] = (unsigned char)(i * 31);

    for (file = 1; file < argc; file++)
    for (threads = 1; threads <= 2; threads++) {
        mobilenet_options options;
        mobilenet_model *model = NULL;
        unsigned long n;
        int batch, ok = 1;

        mobilenet_options_init(&options);
        options.num_threads = threads;
        if (mobilenet_model_load(argv[file], &options, &model) != MOBILENET_OK) {
            printf("  FAIL  load %s: %s\n", argv[file], mobilenet_last_error());
            return 1;
        }
        printf("%s (%s):\n", argv[file], mobilenet_precision_name(mobilenet_model_precision(model)));
        classes = mobilenet_model_num_classes(model);
        logits = (float *)malloc((size_t)(BATCH * classes) * sizeof(float));
        if (logits == NULL) return 1;

        /* First calls at each size and batch: these may allocate. */
        start_counting();
        for (batch = 1; batch <= BATCH; batch++) {
            ok &= mobilenet_model_run(model, input, batch, SIDE, SIDE, logits, (size_t)(BATCH * classes)) == MOBILENET_OK;
        }
        ok &= mobilenet_model_classify_rgb8(model, rgb, 300, 200, 300 * 3, 5, top) == MOBILENET_OK;
        n = stop_counting();
        sprintf(what, "%d thread(s): first calls succeed and the counter sees their %lu allocation(s)", threads, n);
        check(ok && n > 0, what);

        for (batch = 1; batch <= BATCH; batch++) {
            ok = 1;
            start_counting();
            for (i = 0; i < RUNS; i++) {
                ok &= mobilenet_model_run(model, input, batch, SIDE, SIDE, logits,
                                          (size_t)(BATCH * classes)) == MOBILENET_OK;
            }
            n = stop_counting();
            sprintf(what, "%d thread(s): %d more runs of batch %d allocate nothing (%lu allocations)", threads, RUNS,
                    batch, n);
            check(ok && n == 0, what);
        }

        ok = 1;
        start_counting();
        for (i = 0; i < RUNS; i++) ok &= mobilenet_model_classify_rgb8(model, rgb, 300, 200, 300 * 3, 5, top) == MOBILENET_OK;
        n = stop_counting();
        sprintf(what, "%d thread(s): %d more classifications allocate nothing (%lu allocations)", threads, RUNS, n);
        check(ok && n == 0, what);

        /* top_k = every class: the top-k selection's scratch must not come
         * from the heap either (it is k indices). */
        {
            mobilenet_prediction *all = (mobilenet_prediction *)malloc((size_t)classes * sizeof *all);
            if (all == NULL) return 1;
            ok = mobilenet_model_classify_rgb8(model, rgb, 300, 200, 300 * 3, classes, all) == MOBILENET_OK;
            start_counting();
            for (i = 0; i < RUNS; i++) {
                ok &= mobilenet_model_classify_rgb8(model, rgb, 300, 200, 300 * 3, classes, all) == MOBILENET_OK;
            }
            n = stop_counting();
            sprintf(what, "%d thread(s): %d classifications with top_k = %d classes allocate nothing (%lu allocations)",
                    threads, RUNS, classes, n);
            check(ok && n == 0, what);
            free(all);
        }

        free(logits);
        mobilenet_model_free(model);
    }
    /* Training: the header promises a step allocates nothing after the first
     * at its (batch, size), with the backward pass's activations planned once. */
    for (threads = 1; threads <= 2; threads++) {
        enum { TB = 2, TS = 64 };
        static float x[TB * TS * TS * 3];
        static float f[TB * 256];
        int32_t labels[TB] = {1, 3};
        mobilenet_train_options o;
        mobilenet_trainer *t = NULL;
        unsigned long n;
        int ok = 1;
        float loss;
        for (i = 0; i < TB * TS * TS * 3; i++) x[i] = (float)(i % 97) / 48.5f - 1.0f;
        for (i = 0; i < TB * 256; i++) f[i] = (float)(i % 13) / 13.0f;
        mobilenet_train_options_init(&o);
        o.num_threads = threads;
        if (mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, 0.25f, TS, 5, &o, &t) != MOBILENET_OK) {
            printf("  FAIL  trainer_new: %s\n", mobilenet_last_error());
            return 1;
        }
        start_counting();
        ok &= mobilenet_trainer_step(t, x, labels, TB, TS, TS, &loss) == MOBILENET_OK;
        n = stop_counting();
        sprintf(what, "%d thread(s): a first training step succeeds and allocates (%lu)", threads, n);
        check(ok && n > 0, what);
        start_counting();
        for (i = 0; i < RUNS; i++) ok &= mobilenet_trainer_step(t, x, labels, TB, TS, TS, &loss) == MOBILENET_OK;
        n = stop_counting();
        sprintf(what, "%d thread(s): %d more training steps allocate nothing (%lu allocations)", threads, RUNS, n);
        check(ok && n == 0, what);
        mobilenet_trainer_free(t);

        /* Head-only steps on embeddings (alpha 0.25: 256 features). */
        o.trainable_from = "Logits";
        if (mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, 0.25f, TS, 5, &o, &t) != MOBILENET_OK) {
            printf("  FAIL  trainer_new: %s\n", mobilenet_last_error());
            return 1;
        }
        ok = mobilenet_trainer_step_embeddings(t, f, labels, TB, &loss) == MOBILENET_OK;
        start_counting();
        for (i = 0; i < RUNS; i++) ok &= mobilenet_trainer_step_embeddings(t, f, labels, TB, &loss) == MOBILENET_OK;
        n = stop_counting();
        sprintf(what, "%d thread(s): %d more steps on embeddings allocate nothing (%lu allocations)", threads, RUNS, n);
        check(ok && n == 0, what);
        mobilenet_trainer_free(t);
    }

    printf("%d passed, %d failed\n", passes, failures);
    return failures == 0 ? 0 : 1;
}
