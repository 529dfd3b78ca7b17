/*
 * test_trainer.c -- the training API of mobilenet.h ("Training (since
 * 0.3.0)") through the installed library, as a C program that only knows
 * the header.
 *
 *   test_trainer MODEL      (MODEL: the bundled mobilenet_v1_1.0_224.safetensors)
 *
 * 1. Arguments: every argument of every mobilenet_trainer_* function with
 *    NULL, zero, negative and too large values, labels out of range,
 *    non-finite inputs, options with a wrong struct_size or a value out of
 *    its documented range: each failing call returns the documented status
 *    with a non-empty mobilenet_last_error() and leaves its outputs (and the
 *    trainer's tensors) untouched.
 * 2. Behaviour on a tiny network (separable, alpha 0.25, 32x32, 5 classes):
 *    TF-Slim's initial values, the tensor names and slots of each optimizer,
 *    a fixed batch overfitted by every optimizer (the loss must fall),
 *    global_step, set_learning_rate, evaluate, bit-identical results for 1
 *    and 2 threads, save + mobilenet_model_load, resume bit for bit, export
 *    equal to loading the saved file, trainable_from, BATCHNORM_FROZEN,
 *    labels, the non-finite-update rule.
 * 3. The bundled model: trainer_load keeps or (num_classes) replaces the
 *    head; its export runs as the file itself does, bit for bit.
 * Ends with "N passed, N failed" (tests/c/run.sh reads it).
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>

#define CLASSES 5   /* the tiny network */
#define RES 32
#define ALPHA 0.25f

static mobilenet_trainer *const SENTINEL = (mobilenet_trainer *)(uintptr_t)0x5A5A5A50;
static mobilenet_model *const SENTINEL_MODEL = (mobilenet_model *)(uintptr_t)0x5A5A5A60;
static char g_dir[4096];       /* a private temporary directory */
static char g_ckpt[4200];      /* a tiny checkpoint in it (made early) */

/* ---- helpers ------------------------------------------------------------ */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        printf("test_trainer: out of memory\n");
        exit(2);
    }
    return p;
}

/* Deterministic inputs in [-1, 1]. */
static void fill(float *x, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
    }
}

static void options(mobilenet_train_options *o, int threads, mobilenet_optimizer optimizer) {
    mobilenet_train_options_init(o);
    o->num_threads = threads;
    o->optimizer = optimizer;
    o->seed = 1;
}

static mobilenet_trainer *tiny(const mobilenet_train_options *o) {
    mobilenet_trainer *t = NULL;
    mobilenet_status s = mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, ALPHA, RES, CLASSES, o, &t);
    CHECKF(s == MOBILENET_OK && t, "trainer_new(separable, 0.25, 32, 5): %s", mobilenet_last_error());
    return s == MOBILENET_OK ? t : NULL;
}

/* A copy of tensor name (NULL if it has none); *n its size. */
static float *tensor(const mobilenet_trainer *t, const char *name, size_t *n) {
    size_t size = mobilenet_trainer_tensor_size(t, name);
    if (n) *n = size;
    if (size == 0) return NULL;
    float *v = xmalloc(size * sizeof *v);
    if (mobilenet_trainer_get_tensor(t, name, v, size) != MOBILENET_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* Whether tensor name is the same in a and b, bit for bit. */
static int same_tensor(const mobilenet_trainer *a, const mobilenet_trainer *b, const char *name) {
    size_t na, nb;
    float *x = tensor(a, name, &na), *y = tensor(b, name, &nb);
    int same = x && y && na == nb && memcmp(x, y, na * sizeof *x) == 0;
    free(x);
    free(y);
    return same;
}

/* Every tensor (names in order, values) and the global step. */
typedef struct {
    int n;
    char **names;
    float **values;
    size_t *sizes;
    int64_t step;
} snapshot;

static snapshot take(const mobilenet_trainer *t) {
    snapshot s;
    s.n = mobilenet_trainer_num_tensors(t);
    s.step = mobilenet_trainer_global_step(t);
    s.names = xmalloc(sizeof *s.names * (size_t)(s.n > 0 ? s.n : 1));
    s.values = xmalloc(sizeof *s.values * (size_t)(s.n > 0 ? s.n : 1));
    s.sizes = xmalloc(sizeof *s.sizes * (size_t)(s.n > 0 ? s.n : 1));
    for (int i = 0; i < s.n; i++) {
        const char *name = mobilenet_trainer_tensor_name(t, i);
        s.names[i] = strdup(name ? name : "(NULL)");
        s.values[i] = tensor(t, s.names[i], &s.sizes[i]);
    }
    return s;
}

static void drop(snapshot *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->names[i]);
        free(s->values[i]);
    }
    free(s->names);
    free(s->values);
    free(s->sizes);
}

/* NULL if equal, else the first differing tensor's name (or a reason). */
static const char *differs(const snapshot *a, const snapshot *b) {
    if (a->n != b->n) return "the tensor count";
    if (a->step != b->step) return "global_step";
    for (int i = 0; i < a->n; i++) {
        if (strcmp(a->names[i], b->names[i]) != 0) return a->names[i];
        if (!a->values[i] || !b->values[i] || a->sizes[i] != b->sizes[i] ||
            memcmp(a->values[i], b->values[i], a->sizes[i] * sizeof(float)) != 0)
            return a->names[i];
    }
    return NULL;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Entries of g_dir other than `keep` (temporary files left behind). */
static int stray_files(const char *keep) {
    DIR *d = opendir(g_dir);
    int n = 0;
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (!keep || strcmp(e->d_name, keep))) n++;
    closedir(d);
    return n;
}

/* The fixed batch: 2 images (or n), labels 1, 3, 0, 2, ... */
static float g_x[8 * RES * RES * 3];
static int32_t g_y[8] = {1, 3, 0, 2, 4, 1, 2, 3};

static mobilenet_status step(mobilenet_trainer *t, int batch, float *loss) {
    return mobilenet_trainer_step(t, g_x, g_y, batch, RES, RES, loss);
}

/* ---- options_init --------------------------------------------------------- */

static void test_options_init(void) {
    mobilenet_train_options o;
    memset(&o, 0xA5, sizeof o);
    mobilenet_train_options_init(&o);
    mobilenet_train_options_init(NULL); /* ignored */
    CHECK(o.struct_size == sizeof(mobilenet_train_options));
    if (sizeof(void *) == 8) CHECK(sizeof(mobilenet_train_options) == 80); /* the header's "80 bytes on LP64" */
    CHECK(o.num_threads == 0 && o.optimizer == MOBILENET_OPTIMIZER_RMSPROP);
    CHECK(o.learning_rate == 0.01f && o.momentum == 0.9f && o.rmsprop_decay == 0.9f && o.epsilon == 1.0f);
    CHECK(o.weight_decay == 4e-5f && o.label_smoothing == 0.0f);
    CHECK(o.batchnorm == MOBILENET_BATCHNORM_TRAIN && o.batchnorm_decay == 0.9997f);
    CHECK(o.trainable_from == NULL && o.num_classes == 0);
    CHECK(o.adam_beta1 == 0.9f && o.adam_beta2 == 0.999f);
}

/* ---- bad options ---------------------------------------------------------- */

/* Case i of the invalid options (each value used by the optimizer it sets),
 * applied to defaults; returns what it is, or NULL past the last case.
 * for_new: skip num_classes (ignored by trainer_new). */
static const char *bad_option(int i, mobilenet_train_options *o, int for_new) {
    mobilenet_train_options_init(o);
    o->num_threads = 1;
    switch (i) {
    case 0: o->struct_size = 0; return "struct_size 0";
    case 1: o->struct_size = 8; return "struct_size 8";
    case 2: o->struct_size = sizeof *o - 1; return "struct_size sizeof - 1";
    case 3: o->struct_size = offsetof(mobilenet_train_options, adam_beta2); return "struct_size without adam_beta2";
    case 4: o->struct_size = sizeof *o + 1; return "struct_size sizeof + 1";
    case 5: o->struct_size = sizeof *o * 2; return "struct_size 2 sizeof";
    case 6: o->struct_size = SIZE_MAX; return "struct_size SIZE_MAX";
    case 7: o->num_threads = -1; return "num_threads -1";
    case 8: o->num_threads = 257; return "num_threads 257";
    case 9: o->num_threads = INT_MIN; return "num_threads INT_MIN";
    case 10: o->optimizer = (mobilenet_optimizer)4; return "optimizer 4";
    case 11: o->optimizer = (mobilenet_optimizer)-1; return "optimizer -1";
    case 12: o->learning_rate = 0; return "learning_rate 0";
    case 13: o->learning_rate = -0.0f; return "learning_rate -0";
    case 14: o->learning_rate = -0.01f; return "learning_rate -0.01";
    case 15: o->learning_rate = NAN; return "learning_rate NaN";
    case 16: o->learning_rate = INFINITY; return "learning_rate inf";
    case 17: o->momentum = 1.0f; return "momentum 1 (rmsprop)";
    case 18: o->momentum = -0.1f; return "momentum -0.1 (rmsprop)";
    case 19: o->momentum = NAN; return "momentum NaN (rmsprop)";
    case 20: o->optimizer = MOBILENET_OPTIMIZER_MOMENTUM; o->momentum = 1.0f; return "momentum 1 (momentum)";
    case 21: o->optimizer = MOBILENET_OPTIMIZER_MOMENTUM; o->momentum = -1e-7f; return "momentum -1e-7 (momentum)";
    case 22: o->rmsprop_decay = 1.0f; return "rmsprop_decay 1";
    case 23: o->rmsprop_decay = -0.01f; return "rmsprop_decay -0.01";
    case 24: o->rmsprop_decay = NAN; return "rmsprop_decay NaN";
    case 25: o->epsilon = 0; return "epsilon 0 (rmsprop)";
    case 26: o->epsilon = -1; return "epsilon -1 (rmsprop)";
    case 27: o->epsilon = NAN; return "epsilon NaN (rmsprop)";
    case 28: o->optimizer = MOBILENET_OPTIMIZER_ADAM; o->epsilon = 0; return "epsilon 0 (adam)";
    case 29: o->weight_decay = -1e-5f; return "weight_decay -1e-5";
    case 30: o->weight_decay = NAN; return "weight_decay NaN";
    case 31: o->weight_decay = -INFINITY; return "weight_decay -inf";
    case 32: o->label_smoothing = 1.0f; return "label_smoothing 1";
    case 33: o->label_smoothing = -0.1f; return "label_smoothing -0.1";
    case 34: o->label_smoothing = NAN; return "label_smoothing NaN";
    case 35: o->batchnorm = (mobilenet_batchnorm)2; return "batchnorm 2";
    case 36: o->batchnorm = (mobilenet_batchnorm)-1; return "batchnorm -1";
    case 37: o->batchnorm_decay = 1.0f; return "batchnorm_decay 1";
    case 38: o->batchnorm_decay = -0.5f; return "batchnorm_decay -0.5";
    case 39: o->batchnorm_decay = NAN; return "batchnorm_decay NaN";
    case 40: o->trainable_from = "Bogus"; return "trainable_from Bogus";
    case 41: o->trainable_from = "Conv2d_14_depthwise"; return "trainable_from Conv2d_14_depthwise";
    case 42: o->trainable_from = "conv2d_0"; return "trainable_from conv2d_0 (case)";
    case 43: o->trainable_from = "Conv2d_1"; return "trainable_from Conv2d_1 (a full_conv name)";
    case 44: o->trainable_from = "MobilenetV1/Logits"; return "trainable_from MobilenetV1/Logits";
    case 45: o->trainable_from = "Logits "; return "trainable_from 'Logits '";
    case 46: o->optimizer = MOBILENET_OPTIMIZER_ADAM; o->adam_beta1 = 1.0f; return "adam_beta1 1";
    case 47: o->optimizer = MOBILENET_OPTIMIZER_ADAM; o->adam_beta1 = -0.1f; return "adam_beta1 -0.1";
    case 48: o->optimizer = MOBILENET_OPTIMIZER_ADAM; o->adam_beta1 = NAN; return "adam_beta1 NaN";
    case 49: o->optimizer = MOBILENET_OPTIMIZER_ADAM; o->adam_beta2 = 1.0f; return "adam_beta2 1";
    case 50: o->optimizer = MOBILENET_OPTIMIZER_ADAM; o->adam_beta2 = NAN; return "adam_beta2 NaN";
    case 51: o->optimizer = MOBILENET_OPTIMIZER_ADAM; o->adam_beta2 = 1.5f; return "adam_beta2 1.5";
    case 52: if (for_new) return "(skipped)"; o->num_classes = -1; return "num_classes -1";
    case 53: if (for_new) return "(skipped)"; o->num_classes = 100001; return "num_classes 100001";
    case 54: if (for_new) return "(skipped)"; o->num_classes = INT_MIN; return "num_classes INT_MIN";
    default: return NULL;
    }
}

#define FAILS(want, call, out, sentinel)                                                     \
    do {                                                                                     \
        CHECK_STATUS(call, want, NULL);                                                      \
        CHECKF((out) == (sentinel), "%s: a failed call wrote its output", #call);           \
    } while (0)

static void test_new_and_load_bad_args(const char *model_path) {
    mobilenet_train_options o;
    mobilenet_trainer *t;
    const char *what;
    options(&o, 1, MOBILENET_OPTIMIZER_RMSPROP);

    CHECK_STATUS(mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, ALPHA, RES, CLASSES, &o, NULL),
                 MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    static const int variants[] = {3, -1, 1000};
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        t = SENTINEL;
        FAILS(MOBILENET_ERROR_INVALID_ARGUMENT,
              mobilenet_trainer_new((mobilenet_variant)variants[i], ALPHA, RES, CLASSES, &o, &t), t, SENTINEL);
    }
    const float alphas[] = {0.0f, -0.25f, NAN, INFINITY, -INFINITY, nextafterf(4.0f, 5.0f), 100.0f};
    for (size_t i = 0; i < sizeof alphas / sizeof *alphas; i++) {
        t = SENTINEL;
        FAILS(MOBILENET_ERROR_INVALID_ARGUMENT,
              mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, alphas[i], RES, CLASSES, &o, &t), t, SENTINEL);
    }
    static const int resolutions[] = {0, -1, 4097, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof resolutions / sizeof *resolutions; i++) {
        t = SENTINEL;
        FAILS(MOBILENET_ERROR_INVALID_ARGUMENT,
              mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, ALPHA, resolutions[i], CLASSES, &o, &t), t,
              SENTINEL);
    }
    static const int classes[] = {0, -1, 100001, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        t = SENTINEL;
        FAILS(MOBILENET_ERROR_INVALID_ARGUMENT,
              mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, ALPHA, RES, classes[i], &o, &t), t, SENTINEL);
    }
    for (int i = 0; (what = bad_option(i, &o, 1)) != NULL; i++) {
        if (what[0] == '(') continue;
        t = SENTINEL;
        mobilenet_status s = mobilenet_trainer_new(MOBILENET_VARIANT_SEPARABLE, ALPHA, RES, CLASSES, &o, &t);
        CHECKF(s == MOBILENET_ERROR_INVALID_ARGUMENT && mobilenet_last_error()[0] && t == SENTINEL,
               "trainer_new with %s: %s '%s'%s", what, mobilenet_status_string(s), mobilenet_last_error(),
               t == SENTINEL ? "" : ", out written");
        if (s == MOBILENET_OK && t != SENTINEL) mobilenet_trainer_free(t);
    }
    /* trainer_new ignores options->num_classes (documented). */
    options(&o, 1, MOBILENET_OPTIMIZER_SGD);
    o.num_classes = 7;
    if ((t = tiny(&o)) != NULL) {
        CHECK(mobilenet_trainer_num_classes(t) == CLASSES);
        mobilenet_trainer_free(t);
    }
    /* NULL options are the defaults. */
    t = NULL;
    CHECK_STATUS(mobilenet_trainer_new(MOBILENET_VARIANT_SHALLOW, ALPHA, 16, 3, NULL, &t), MOBILENET_OK, NULL);
    if (t) CHECK(mobilenet_trainer_num_classes(t) == 3 && mobilenet_trainer_global_step(t) == 0);
    mobilenet_trainer_free(t);

    /* trainer_load: paths, files, options (on the tiny checkpoint). */
    options(&o, 1, MOBILENET_OPTIMIZER_RMSPROP);
    t = SENTINEL;
    FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, mobilenet_trainer_load(NULL, &o, &t), t, SENTINEL);
    CHECK_STATUS(mobilenet_trainer_load(g_ckpt, &o, NULL), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    t = SENTINEL;
    FAILS(MOBILENET_ERROR_IO, mobilenet_trainer_load("/nonexistent-mobilenet-dir/x.safetensors", &o, &t), t,
          SENTINEL);
    t = SENTINEL;
    FAILS(MOBILENET_ERROR_IO, mobilenet_trainer_load("/", &o, &t), t, SENTINEL);
    t = SENTINEL;
    {
        mobilenet_status s = mobilenet_trainer_load("", &o, &t);
        CHECKF((s == MOBILENET_ERROR_INVALID_ARGUMENT || s == MOBILENET_ERROR_IO) && mobilenet_last_error()[0] &&
                   t == SENTINEL,
               "trainer_load(\"\"): %s", mobilenet_status_string(s));
    }
    {
        char path[4300];
        snprintf(path, sizeof path, "%s/garbage.safetensors", g_dir);
        FILE *f = fopen(path, "wb");
        if (f) {
            for (int i = 0; i < 4096; i++) fputc((i * 131 + 7) & 255, f);
            fclose(f);
            t = SENTINEL;
            FAILS(MOBILENET_ERROR_FORMAT, mobilenet_trainer_load(path, &o, &t), t, SENTINEL);
        }
        /* The checkpoint cut in half. */
        FILE *in = fopen(g_ckpt, "rb");
        f = fopen(path, "wb");
        if (in && f) {
            fseek(in, 0, SEEK_END);
            long n = ftell(in);
            fseek(in, 0, SEEK_SET);
            for (long i = 0; i < n / 2; i++) fputc(fgetc(in), f);
        }
        if (in) fclose(in);
        if (f) {
            fclose(f);
            t = SENTINEL;
            FAILS(MOBILENET_ERROR_FORMAT, mobilenet_trainer_load(path, &o, &t), t, SENTINEL);
        }
        unlink(path);
    }
    for (int i = 0; (what = bad_option(i, &o, 0)) != NULL; i++) {
        t = SENTINEL;
        mobilenet_status s = mobilenet_trainer_load(g_ckpt, &o, &t);
        CHECKF(s == MOBILENET_ERROR_INVALID_ARGUMENT && mobilenet_last_error()[0] && t == SENTINEL,
               "trainer_load with %s: %s '%s'%s", what, mobilenet_status_string(s), mobilenet_last_error(),
               t == SENTINEL ? "" : ", out written");
        if (s == MOBILENET_OK && t != SENTINEL) mobilenet_trainer_free(t);
    }
    /* The bundled model too (options are checked whatever the file). */
    mobilenet_train_options_init(&o);
    o.num_classes = 100001;
    t = SENTINEL;
    FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, mobilenet_trainer_load(model_path, &o, &t), t, SENTINEL);
}

/* ---- NULL trainers and the other functions' arguments ------------------- */

static void test_null_trainer(void) {
    float v[4] = {0}, loss = 123.0f;
    int correct = 77;
    const char *labels[1] = {"a"};
    mobilenet_model *m = SENTINEL_MODEL;
    mobilenet_trainer_free(NULL);
    CHECK(mobilenet_trainer_global_step(NULL) == -1);
    CHECK(mobilenet_trainer_num_classes(NULL) == 0);
    CHECK(mobilenet_trainer_num_tensors(NULL) == 0);
    CHECK(mobilenet_trainer_tensor_name(NULL, 0) == NULL);
    CHECK(mobilenet_trainer_tensor_size(NULL, "MobilenetV1/Conv2d_0/weights") == 0);
    CHECK_STATUS(mobilenet_trainer_get_tensor(NULL, "MobilenetV1/Conv2d_0/weights", v, 4),
                 MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_step(NULL, g_x, g_y, 1, RES, RES, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_evaluate(NULL, g_x, g_y, 1, RES, RES, &loss, &correct),
                 MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK(loss == 123.0f && correct == 77);
    CHECK_STATUS(mobilenet_trainer_set_learning_rate(NULL, 0.1f), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_set_labels(NULL, labels, 1), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_save(NULL, g_ckpt), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, mobilenet_trainer_export(NULL, NULL, &m), m, SENTINEL_MODEL);
}

/* step and evaluate with every bad argument: nothing changes. */
static void test_step_bad_args(mobilenet_trainer *t) {
    enum { BIG = 4097 * 3 };
    float *big = xmalloc(sizeof(float) * BIG * 4), loss = 123.0f;
    int32_t *labels = xmalloc(sizeof(int32_t) * 4097);
    int correct = 77;
    fill(big, (size_t)BIG * 4, 5);
    for (int i = 0; i < 4097; i++) labels[i] = i % CLASSES;
    snapshot before = take(t);
    /* {batch, height, width}: each out of 1..4096 in one place. */
    static const int dims[][3] = {{0, 1, 1},  {-1, 1, 1},    {4097, 1, 1}, {INT_MIN, 1, 1}, {1, 0, 1},
                                  {1, -1, 1}, {1, 4097, 1},  {1, 1, 0},    {1, 1, -1},      {1, 1, 4097},
                                  {1, 1, INT_MAX}, {INT_MAX, INT_MAX, INT_MAX}};
    for (size_t i = 0; i < sizeof dims / sizeof *dims; i++) {
        int b = dims[i][0], h = dims[i][1], w = dims[i][2];
        mobilenet_status s = mobilenet_trainer_step(t, big, labels, b, h, w, &loss);
        CHECKF(s == MOBILENET_ERROR_INVALID_ARGUMENT && mobilenet_last_error()[0], "step %dx%dx%d: %s", b, h, w,
               mobilenet_status_string(s));
        s = mobilenet_trainer_evaluate(t, big, labels, b, h, w, &loss, &correct);
        CHECKF(s == MOBILENET_ERROR_INVALID_ARGUMENT && mobilenet_last_error()[0], "evaluate %dx%dx%d: %s", b, h,
               w, mobilenet_status_string(s));
    }
    CHECK_STATUS(mobilenet_trainer_step(t, NULL, g_y, 2, RES, RES, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_step(t, g_x, NULL, 2, RES, RES, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_evaluate(t, NULL, g_y, 2, RES, RES, &loss, &correct),
                 MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_evaluate(t, g_x, NULL, 2, RES, RES, &loss, &correct),
                 MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    /* Labels out of [0, num_classes), in second place. */
    static const int32_t bad_labels[] = {-1, CLASSES, CLASSES + 1, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad_labels / sizeof *bad_labels; i++) {
        int32_t y[2] = {0, bad_labels[i]};
        CHECK_STATUS(mobilenet_trainer_step(t, g_x, y, 2, RES, RES, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
        CHECK_STATUS(mobilenet_trainer_evaluate(t, g_x, y, 2, RES, RES, &loss, &correct),
                     MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    }
    /* A non-finite value at the start, in the middle, at the very end. */
    const size_t n = 2 * RES * RES * 3;
    const size_t where[] = {0, n / 2 + 1, n - 1};
    const float values[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        float saved = g_x[where[i]];
        g_x[where[i]] = values[i];
        CHECK_STATUS(mobilenet_trainer_step(t, g_x, g_y, 2, RES, RES, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
        CHECK_STATUS(mobilenet_trainer_evaluate(t, g_x, g_y, 2, RES, RES, &loss, &correct),
                     MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
        g_x[where[i]] = saved;
    }
    CHECK(loss == 123.0f && correct == 77); /* outputs untouched */
    /* set_learning_rate: not finite and > 0. */
    const float rates[] = {0.0f, -0.0f, -1.0f, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++)
        CHECK_STATUS(mobilenet_trainer_set_learning_rate(t, rates[i]), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    snapshot after = take(t);
    const char *d = differs(&before, &after);
    CHECKF(d == NULL, "failed steps/evaluations changed %s", d ? d : "");
    drop(&before);
    drop(&after);
    free(big);
    free(labels);
}

/* ---- tensors -------------------------------------------------------------- */

static void test_tensors(mobilenet_trainer *t) {
    int n = mobilenet_trainer_num_tensors(t);
    CHECKF(n > 0, "num_tensors %d", n);
    CHECK(mobilenet_trainer_tensor_name(t, -1) == NULL);
    CHECK(mobilenet_trainer_tensor_name(t, n) == NULL);
    CHECK(mobilenet_trainer_tensor_name(t, INT_MAX) == NULL);
    CHECK(mobilenet_trainer_tensor_name(t, INT_MIN) == NULL);
    int unique = 1, readable = 1, slots_ok = 1;
    for (int i = 0; i < n; i++) {
        const char *name = mobilenet_trainer_tensor_name(t, i);
        if (!CHECKF(name != NULL && name[0], "tensor_name(%d)", i)) continue;
        for (int j = 0; j < i; j++) {
            const char *other = mobilenet_trainer_tensor_name(t, j);
            if (other && strcmp(name, other) == 0) unique = 0;
        }
        size_t size = mobilenet_trainer_tensor_size(t, name);
        float *v = xmalloc((size + 1) * sizeof *v);
        v[size] = 1234.5f;
        mobilenet_status s = size ? mobilenet_trainer_get_tensor(t, name, v, size + 1) : MOBILENET_ERROR_INTERNAL;
        if (size == 0 || s != MOBILENET_OK || v[size] != 1234.5f) {
            readable = 0;
            printf("  tensor %d '%s': size %lu, get_tensor %s, wrote past its size: %d\n", i, name,
                   (unsigned long)size, mobilenet_status_string(s), v[size] != 1234.5f);
        }
        free(v);
        /* TF1's slots: every trainable variable has RMSProp (ms) and
         * RMSProp_1 (momentum) of its size; moving statistics have none. */
        if (strncmp(name, "MobilenetV1/", 12) == 0 && !strstr(name, "/RMSProp")) {
            char slot[512];
            int moving = strstr(name, "/moving_") != NULL;
            snprintf(slot, sizeof slot, "%s/RMSProp", name);
            size_t s0 = mobilenet_trainer_tensor_size(t, slot);
            snprintf(slot, sizeof slot, "%s/RMSProp_1", name);
            size_t s1 = mobilenet_trainer_tensor_size(t, slot);
            if (moving ? (s0 || s1) : (s0 != size || s1 != size)) {
                slots_ok = 0;
                printf("  %s: slot sizes %lu and %lu\n", name, (unsigned long)s0, (unsigned long)s1);
            }
        }
    }
    CHECK(unique);
    CHECK(readable);
    CHECK(slots_ok);
    /* The expected TF-Slim names, with TF shapes' sizes (depth 8 at Conv2d_0,
     * 16 after block 1, 256 after block 13 at alpha 0.25). */
    static const struct { const char *name; size_t size; } expected[] = {
        {"MobilenetV1/Conv2d_0/weights", 3 * 3 * 3 * 8},
        {"MobilenetV1/Conv2d_0/BatchNorm/gamma", 8},
        {"MobilenetV1/Conv2d_0/BatchNorm/beta", 8},
        {"MobilenetV1/Conv2d_0/BatchNorm/moving_mean", 8},
        {"MobilenetV1/Conv2d_0/BatchNorm/moving_variance", 8},
        {"MobilenetV1/Conv2d_1_depthwise/depthwise_weights", 3 * 3 * 8},
        {"MobilenetV1/Conv2d_1_pointwise/weights", 8 * 16},
        {"MobilenetV1/Conv2d_13_pointwise/weights", 256 * 256},
        {"MobilenetV1/Conv2d_13_pointwise/BatchNorm/moving_variance", 256},
        {"MobilenetV1/Logits/Conv2d_1c_1x1/weights", 256 * CLASSES},
        {"MobilenetV1/Logits/Conv2d_1c_1x1/biases", CLASSES},
        {"MobilenetV1/Conv2d_0/weights/RMSProp", 3 * 3 * 3 * 8},
        {"MobilenetV1/Conv2d_0/weights/RMSProp_1", 3 * 3 * 3 * 8},
        {"MobilenetV1/Logits/Conv2d_1c_1x1/biases/RMSProp_1", CLASSES},
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
        size_t size = mobilenet_trainer_tensor_size(t, expected[i].name);
        CHECKF(size == expected[i].size, "%s: size %lu, expected %lu", expected[i].name, (unsigned long)size,
               (unsigned long)expected[i].size);
    }
    CHECK(mobilenet_trainer_tensor_size(t, "MobilenetV1/Conv2d_0/BatchNorm/moving_mean/RMSProp") == 0);
    CHECK(mobilenet_trainer_tensor_size(t, "MobilenetV1/Conv2d_0/BatchNorm/moving_variance/RMSProp_1") == 0);

    /* Unknown names, NULLs, capacities. */
    const char *name = "MobilenetV1/Conv2d_0/weights";
    float v[216 + 1];
    for (int i = 0; i < 217; i++) v[i] = -7.0f;
    static const char *unknown[] = {"", "MobilenetV1/Conv2d_0/weight", "MobilenetV1/Conv2d_0/weights/",
                                    "mobilenetv1/conv2d_0/weights", "MobilenetV1/Conv2d_99/weights",
                                    "MobilenetV1/Conv2d_0/weights/Adam"};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        CHECKF(mobilenet_trainer_tensor_size(t, unknown[i]) == 0, "tensor_size('%s') != 0", unknown[i]);
        mobilenet_status s = mobilenet_trainer_get_tensor(t, unknown[i], v, 217);
        const char *message = mobilenet_last_error();
        CHECKF(s == MOBILENET_ERROR_INVALID_ARGUMENT && message[0] && (!unknown[i][0] || strstr(message, unknown[i])),
               "get_tensor('%s'): %s, message '%s' (must name it)", unknown[i], mobilenet_status_string(s), message);
    }
    CHECK(mobilenet_trainer_tensor_size(t, NULL) == 0);
    CHECK_STATUS(mobilenet_trainer_get_tensor(t, NULL, v, 217), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_get_tensor(t, name, NULL, 216), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_get_tensor(t, name, v, 215), MOBILENET_ERROR_BUFFER_TOO_SMALL, NULL);
    CHECK_STATUS(mobilenet_trainer_get_tensor(t, name, v, 1), MOBILENET_ERROR_BUFFER_TOO_SMALL, NULL);
    CHECK_STATUS(mobilenet_trainer_get_tensor(t, name, v, 0), MOBILENET_ERROR_BUFFER_TOO_SMALL, NULL);
    int untouched = 1;
    for (int i = 0; i < 217; i++) untouched &= v[i] == -7.0f;
    CHECKF(untouched, "a failed get_tensor wrote its buffer");
    CHECK_STATUS(mobilenet_trainer_get_tensor(t, name, v, 216), MOBILENET_OK, NULL);
    CHECK_STATUS(mobilenet_trainer_get_tensor(t, name, v, SIZE_MAX), MOBILENET_OK, NULL); /* capacity is an upper bound */
    CHECK(v[216] == -7.0f);
}

/* The documented initial values (TF-Slim from scratch, TF1's slots). */
static void test_initial_values(mobilenet_trainer *t) {
    CHECK(mobilenet_trainer_global_step(t) == 0 && mobilenet_trainer_num_classes(t) == CLASSES);
    static const struct { const char *suffix; float value; } constant[] = {
        {"/BatchNorm/gamma", 1.0f}, {"/BatchNorm/beta", 0.0f}, {"/BatchNorm/moving_mean", 0.0f},
        {"/BatchNorm/moving_variance", 1.0f}, {"/biases", 0.0f}, {"/RMSProp", 1.0f}, {"/RMSProp_1", 0.0f}};
    int n = mobilenet_trainer_num_tensors(t), bad = 0;
    for (int i = 0; i < n; i++) {
        const char *name = mobilenet_trainer_tensor_name(t, i);
        if (!name) continue;
        for (size_t k = 0; k < sizeof constant / sizeof *constant; k++) {
            if (!ends_with(name, constant[k].suffix)) continue;
            size_t size;
            float *v = tensor(t, name, &size);
            for (size_t j = 0; v && j < size; j++)
                if (v[j] != constant[k].value) {
                    printf("  %s[%lu] = %g, expected %g\n", name, (unsigned long)j, v[j], constant[k].value);
                    bad++;
                    break;
                }
            free(v);
        }
    }
    CHECKF(bad == 0, "%d tensors do not start at their documented constant", bad);
    /* Weights: truncated normal, stddev 0.09 (TF truncates at 2 stddevs). */
    static const char *weights[] = {"MobilenetV1/Conv2d_0/weights", "MobilenetV1/Conv2d_13_pointwise/weights",
                                    "MobilenetV1/Logits/Conv2d_1c_1x1/weights"};
    for (size_t k = 0; k < 3; k++) {
        size_t size;
        float *v = tensor(t, weights[k], &size);
        double sum = 0, sq = 0, most = 0;
        for (size_t j = 0; v && j < size; j++) {
            sum += v[j];
            sq += (double)v[j] * v[j];
            most = fmax(most, fabs(v[j]));
        }
        double sd = size ? sqrt(sq / (double)size - (sum / (double)size) * (sum / (double)size)) : 0;
        CHECKF(v && most <= 0.18 + 1e-6 && sd > 0.05 && sd < 0.1, "%s: max |w| %g, stddev %g", weights[k], most, sd);
        free(v);
    }
}

/* ---- training --------------------------------------------------------------- */

/* Overfitting a fixed batch must lower the loss, for every optimizer. */
static void test_overfit(void) {
    static const struct { mobilenet_optimizer optimizer; float rate; const char *name; } cases[] = {
        {MOBILENET_OPTIMIZER_RMSPROP, 0.01f, "rmsprop"}, {MOBILENET_OPTIMIZER_MOMENTUM, 0.005f, "momentum"},
        {MOBILENET_OPTIMIZER_SGD, 0.05f, "sgd"}, {MOBILENET_OPTIMIZER_ADAM, 0.01f, "adam"}};
    for (size_t c = 0; c < 4; c++) {
        mobilenet_train_options o;
        options(&o, 1, cases[c].optimizer);
        o.learning_rate = cases[c].rate;
        o.seed = 3;
        mobilenet_trainer *t = tiny(&o);
        if (!t) continue;
        float losses[30];
        int ok = 1, finite = 1;
        for (int i = 0; i < 30; i++) {
            losses[i] = -1.0f;
            ok &= step(t, 2, &losses[i]) == MOBILENET_OK;
            finite &= isfinite(losses[i]) && losses[i] >= 0;
        }
        CHECKF(ok && finite, "%s: 30 steps succeed with finite losses (%s)", cases[c].name, mobilenet_last_error());
        CHECKF(mobilenet_trainer_global_step(t) == 30, "%s: global_step %lld", cases[c].name,
               (long long)mobilenet_trainer_global_step(t));
        /* BatchNorm over 2 images normalises the 1x1 maps of the last blocks
         * to +-1, so single steps jump: compare the last five on average. */
        float last = (losses[25] + losses[26] + losses[27] + losses[28] + losses[29]) / 5;
        CHECKF(last < losses[0], "%s: loss %g -> %g (mean of the last 5) does not fall", cases[c].name, losses[0], last);
        printf("  %s: loss %.4f -> %.4f in 30 steps\n", cases[c].name, losses[0], losses[29]);
        if (cases[c].optimizer == MOBILENET_OPTIMIZER_ADAM) {
            CHECKF(losses[29] < 0.5f * losses[0], "adam: loss %g -> %g, not halved", losses[0], losses[29]);
            size_t n1, n2;
            float *b1 = tensor(t, "beta1_power", &n1), *b2 = tensor(t, "beta2_power", &n2);
            CHECKF(b1 && b2 && n1 == 1 && n2 == 1 && fabs(b1[0] - pow(0.9, 31)) < 1e-4 * pow(0.9, 31) &&
                       fabs(b2[0] - pow(0.999, 31)) < 1e-4,
                   "adam: beta1_power %g, beta2_power %g after 30 steps (TF1: beta^(steps+1))", b1 ? b1[0] : -1.0,
                   b2 ? b2[0] : -1.0);
            free(b1);
            free(b2);
            CHECK(mobilenet_trainer_tensor_size(t, "MobilenetV1/Conv2d_0/weights/Adam") == 216);
            CHECK(mobilenet_trainer_tensor_size(t, "MobilenetV1/Conv2d_0/weights/Adam_1") == 216);
            CHECK(mobilenet_trainer_tensor_size(t, "MobilenetV1/Conv2d_0/BatchNorm/moving_mean/Adam") == 0);
        }
        if (cases[c].optimizer == MOBILENET_OPTIMIZER_MOMENTUM)
            CHECK(mobilenet_trainer_tensor_size(t, "MobilenetV1/Conv2d_0/weights/Momentum") == 216);
        if (cases[c].optimizer != MOBILENET_OPTIMIZER_RMSPROP)
            CHECK(mobilenet_trainer_tensor_size(t, "MobilenetV1/Conv2d_0/weights/RMSProp") == 0);
        if (cases[c].optimizer == MOBILENET_OPTIMIZER_SGD) {
            int slots = 0;
            for (int i = 0; i < mobilenet_trainer_num_tensors(t); i++) {
                const char *name = mobilenet_trainer_tensor_name(t, i);
                if (name && (strstr(name, "/RMSProp") || strstr(name, "/Momentum") || strstr(name, "/Adam"))) slots++;
            }
            CHECKF(slots == 0, "sgd: %d slot tensors", slots);
        }
        /* out_loss may be NULL. */
        CHECK_STATUS(step(t, 2, NULL), MOBILENET_OK, NULL);
        mobilenet_trainer_free(t);
    }
}

/* evaluate changes nothing; its loss is the exported model's cross-entropy. */
static void test_evaluate(mobilenet_trainer *t) {
    snapshot before = take(t);
    float loss = -1, loss2 = -2;
    int correct = -1, correct2 = -2;
    CHECK_STATUS(mobilenet_trainer_evaluate(t, g_x, g_y, 4, RES, RES, &loss, &correct), MOBILENET_OK, NULL);
    CHECKF(isfinite(loss) && loss >= 0 && correct >= 0 && correct <= 4, "evaluate: loss %g, correct %d", loss,
           correct);
    CHECK_STATUS(mobilenet_trainer_evaluate(t, g_x, g_y, 4, RES, RES, NULL, NULL), MOBILENET_OK, NULL);
    CHECK_STATUS(mobilenet_trainer_evaluate(t, g_x, g_y, 4, RES, RES, &loss2, &correct2), MOBILENET_OK, NULL);
    CHECK(memcmp(&loss, &loss2, sizeof loss) == 0 && correct == correct2);
    snapshot after = take(t);
    const char *d = differs(&before, &after);
    CHECKF(d == NULL, "evaluate changed %s", d ? d : "");
    mobilenet_model *m = NULL;
    mobilenet_options mo;
    mobilenet_options_init(&mo);
    mo.num_threads = 1;
    if (CHECK_STATUS(mobilenet_trainer_export(t, &mo, &m), MOBILENET_OK, NULL) && m) {
        float logits[4 * CLASSES];
        double ce = 0;
        int hits = 0;
        CHECK_STATUS(mobilenet_model_run(m, g_x, 4, RES, RES, logits, 4 * CLASSES), MOBILENET_OK, NULL);
        for (int i = 0; i < 4; i++) {
            const float *l = logits + i * CLASSES;
            double most = l[0], sum = 0;
            int best = 0;
            for (int k = 1; k < CLASSES; k++)
                if (l[k] > most) most = l[k], best = k;
            for (int k = 0; k < CLASSES; k++) sum += exp(l[k] - most);
            ce += -(l[g_y[i]] - most - log(sum)) / 4;
            hits += best == g_y[i];
        }
        CHECKF(fabs(ce - loss) < 1e-3 + 1e-3 * ce, "evaluate loss %g, exported model's cross-entropy %g", loss, ce);
        printf("  evaluate: loss %.5f (export: %.5f), %d of 4 correct (export: %d)\n", loss, ce, correct, hits);
        mobilenet_model_free(m);
    }
    drop(&before);
    drop(&after);
}

/* set_learning_rate before a step = that learning rate in the options. */
static void test_learning_rate(void) {
    mobilenet_train_options o;
    options(&o, 1, MOBILENET_OPTIMIZER_MOMENTUM);
    mobilenet_trainer *a = tiny(&o), *c = tiny(&o);
    o.learning_rate = 0.02f;
    mobilenet_trainer *b = tiny(&o);
    if (a && b && c) {
        CHECK_STATUS(mobilenet_trainer_set_learning_rate(a, 0.02f), MOBILENET_OK, NULL);
        for (int i = 0; i < 3; i++) {
            step(a, 2, NULL);
            step(b, 2, NULL);
            step(c, 2, NULL);
        }
        snapshot sa = take(a), sb = take(b), sc = take(c);
        const char *d = differs(&sa, &sb);
        CHECKF(d == NULL, "set_learning_rate(0.02) differs from options.learning_rate 0.02 in %s", d ? d : "");
        CHECKF(differs(&sa, &sc) != NULL, "set_learning_rate(0.02) made no difference to 0.01");
        drop(&sa);
        drop(&sb);
        drop(&sc);
    }
    mobilenet_trainer_free(a);
    mobilenet_trainer_free(b);
    mobilenet_trainer_free(c);
}

/* Seeds: the same seed the same network; another seed another one. */
static void test_seeds(void) {
    mobilenet_train_options o;
    options(&o, 1, MOBILENET_OPTIMIZER_SGD);
    o.seed = 0; /* valid */
    mobilenet_trainer *a = tiny(&o), *b = tiny(&o);
    o.seed = 12345;
    mobilenet_trainer *c = tiny(&o);
    if (a && b && c) {
        CHECK(same_tensor(a, b, "MobilenetV1/Conv2d_0/weights"));
        CHECK(same_tensor(a, b, "MobilenetV1/Logits/Conv2d_1c_1x1/weights"));
        CHECK(!same_tensor(a, c, "MobilenetV1/Conv2d_0/weights"));
    }
    mobilenet_trainer_free(a);
    mobilenet_trainer_free(b);
    mobilenet_trainer_free(c);
}

/* 1 and 2 threads: the same bits, also for the losses. */
static void test_threads(void) {
    mobilenet_train_options o;
    float la[3], lb[3];
    options(&o, 1, MOBILENET_OPTIMIZER_RMSPROP);
    o.seed = 5;
    mobilenet_trainer *a = tiny(&o);
    o.num_threads = 2;
    mobilenet_trainer *b = tiny(&o);
    if (a && b) {
        for (int i = 0; i < 3; i++) {
            CHECK(mobilenet_trainer_step(a, g_x, g_y, 4, RES, RES, &la[i]) == MOBILENET_OK);
            CHECK(mobilenet_trainer_step(b, g_x, g_y, 4, RES, RES, &lb[i]) == MOBILENET_OK);
        }
        /* an odd size too (the split over pixels changes) */
        CHECK(mobilenet_trainer_step(a, g_x, g_y, 3, 17, 23, NULL) == MOBILENET_OK);
        CHECK(mobilenet_trainer_step(b, g_x, g_y, 3, 17, 23, NULL) == MOBILENET_OK);
        CHECK(memcmp(la, lb, sizeof la) == 0);
        snapshot sa = take(a), sb = take(b);
        const char *d = differs(&sa, &sb);
        CHECKF(d == NULL, "1 and 2 threads differ in %s", d ? d : "");
        drop(&sa);
        drop(&sb);
    }
    mobilenet_trainer_free(a);
    mobilenet_trainer_free(b);
}

/* trainable_from and BATCHNORM_FROZEN: what moves and what does not. */
static void test_trainable_and_frozen(void) {
    mobilenet_train_options o;
    options(&o, 1, MOBILENET_OPTIMIZER_RMSPROP);
    o.trainable_from = "Logits";
    mobilenet_trainer *fresh = tiny(&o), *t = tiny(&o);
    if (fresh && t) {
        for (int i = 0; i < 3; i++) CHECK(step(t, 2, NULL) == MOBILENET_OK);
        CHECK(same_tensor(t, fresh, "MobilenetV1/Conv2d_0/weights"));
        CHECK(same_tensor(t, fresh, "MobilenetV1/Conv2d_0/BatchNorm/gamma"));
        CHECK(same_tensor(t, fresh, "MobilenetV1/Conv2d_13_pointwise/weights"));
        CHECKF(!same_tensor(t, fresh, "MobilenetV1/Conv2d_0/BatchNorm/moving_mean"),
               "trainable_from Logits, BatchNorm TRAIN: Conv2d_0's moving_mean did not move");
        CHECK(!same_tensor(t, fresh, "MobilenetV1/Conv2d_13_pointwise/BatchNorm/moving_variance"));
        CHECK(!same_tensor(t, fresh, "MobilenetV1/Logits/Conv2d_1c_1x1/weights"));
    }
    mobilenet_trainer_free(fresh);
    mobilenet_trainer_free(t);

    o.trainable_from = "Conv2d_13_pointwise";
    fresh = tiny(&o);
    t = tiny(&o);
    if (fresh && t) {
        for (int i = 0; i < 2; i++) CHECK(step(t, 2, NULL) == MOBILENET_OK);
        CHECK(same_tensor(t, fresh, "MobilenetV1/Conv2d_13_depthwise/depthwise_weights"));
        CHECK(!same_tensor(t, fresh, "MobilenetV1/Conv2d_13_pointwise/weights"));
    }
    mobilenet_trainer_free(fresh);
    mobilenet_trainer_free(t);
    o.trainable_from = ""; /* every layer */
    t = tiny(&o);
    fresh = tiny(&o);
    if (t && fresh) {
        CHECK(step(t, 2, NULL) == MOBILENET_OK);
        CHECK(!same_tensor(t, fresh, "MobilenetV1/Conv2d_0/weights"));
    }
    mobilenet_trainer_free(fresh);
    mobilenet_trainer_free(t);

    options(&o, 1, MOBILENET_OPTIMIZER_RMSPROP);
    o.batchnorm = MOBILENET_BATCHNORM_FROZEN;
    fresh = tiny(&o);
    t = tiny(&o);
    if (fresh && t) {
        for (int i = 0; i < 3; i++) CHECK(step(t, 2, NULL) == MOBILENET_OK);
        int moved = 0, stats = 0;
        for (int i = 0; i < mobilenet_trainer_num_tensors(t); i++) {
            const char *name = mobilenet_trainer_tensor_name(t, i);
            if (!name || !strstr(name, "/moving_")) continue;
            stats++;
            if (!same_tensor(t, fresh, name)) {
                moved++;
                printf("  BATCHNORM_FROZEN moved %s\n", name);
            }
        }
        CHECKF(stats > 0 && moved == 0, "BATCHNORM_FROZEN: %d of %d moving statistics moved", moved, stats);
        CHECK(!same_tensor(t, fresh, "MobilenetV1/Conv2d_0/weights"));
    }
    mobilenet_trainer_free(fresh);
    mobilenet_trainer_free(t);
}

/* A step whose update overflows is refused and changes nothing. */
static void test_nonfinite_update(void) {
    mobilenet_train_options o;
    options(&o, 1, MOBILENET_OPTIMIZER_SGD);
    mobilenet_trainer *t = tiny(&o);
    if (!t) return;
    CHECK_STATUS(mobilenet_trainer_set_learning_rate(t, FLT_MAX), MOBILENET_OK, NULL);
    /* Weight decay alone makes w -= FLT_MAX * 4e-5 * w overflow by the
     * second step (|w| ~ 1e33 after the first). */
    int refused = 0;
    for (int i = 0; i < 3 && !refused; i++) {
        snapshot before = take(t);
        float loss = 123.0f;
        mobilenet_status s = step(t, 2, &loss);
        if (s != MOBILENET_OK) {
            refused = 1;
            CHECKF(s == MOBILENET_ERROR_INVALID_ARGUMENT && mobilenet_last_error()[0],
                   "an overflowing step: %s '%s'", mobilenet_status_string(s), mobilenet_last_error());
            snapshot after = take(t);
            const char *d = differs(&before, &after);
            CHECKF(d == NULL, "a refused step changed %s", d ? d : "");
            CHECK(loss == 123.0f);
            drop(&after);
        }
        drop(&before);
    }
    CHECKF(refused, "three SGD steps at learning rate FLT_MAX all succeeded");
    snapshot s = take(t);
    int finite = 1;
    for (int i = 0; i < s.n; i++)
        for (size_t j = 0; s.values[i] && j < s.sizes[i]; j++) finite &= isfinite(s.values[i][j]) != 0;
    CHECK(finite);
    drop(&s);
    mobilenet_trainer_free(t);
}

/* ---- save, load, export, labels ----------------------------------------- */

static int run_model(mobilenet_model *m, int batch, int h, int w, float *logits) {
    return mobilenet_model_run(m, g_x, batch, h, w, logits, (size_t)batch * CLASSES) == MOBILENET_OK;
}

static void test_labels(mobilenet_trainer *t) {
    static const char *good[CLASSES] = {"zero", "caf\xc3\xa9", "two, deux", "3", "four"};
    char long_label[257], max_label[256];
    memset(long_label, 'x', 256);
    long_label[256] = 0;
    memset(max_label, 'y', 255);
    max_label[255] = 0;
    CHECK_STATUS(mobilenet_trainer_set_labels(t, good, CLASSES), MOBILENET_OK, NULL);
    const char *bad[CLASSES];
    const char *cases[] = {NULL, "", long_label, "tab\there", "new\nline", "\xff\xfe", "\xc0\xaf", "del\x7f"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(bad, good, sizeof bad);
        bad[2] = cases[i];
        CHECKF(mobilenet_trainer_set_labels(t, bad, CLASSES) == MOBILENET_ERROR_INVALID_ARGUMENT &&
                   mobilenet_last_error()[0],
               "set_labels with label %lu invalid", (unsigned long)i);
    }
    CHECK_STATUS(mobilenet_trainer_set_labels(t, good, CLASSES - 1), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_set_labels(t, good, CLASSES + 1), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_set_labels(t, good, -1), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_set_labels(t, good, 0), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_set_labels(t, NULL, CLASSES), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    /* Removing, then a label of 255 bytes (the maximum) from a buffer that changes afterwards. */
    mobilenet_model *m = NULL;
    CHECK_STATUS(mobilenet_trainer_set_labels(t, NULL, 0), MOBILENET_OK, NULL);
    if (mobilenet_trainer_export(t, NULL, &m) == MOBILENET_OK) {
        CHECK(mobilenet_model_label(m, 0) == NULL);
        mobilenet_model_free(m);
    }
    memcpy(bad, good, sizeof bad);
    bad[4] = max_label;
    CHECK_STATUS(mobilenet_trainer_set_labels(t, bad, CLASSES), MOBILENET_OK, NULL);
    max_label[0] = 'z'; /* copied, not retained */
    m = NULL;
    if (CHECK_STATUS(mobilenet_trainer_export(t, NULL, &m), MOBILENET_OK, NULL) && m) {
        const char *l4 = mobilenet_model_label(m, 4);
        CHECK(l4 && strlen(l4) == 255 && l4[0] == 'y');
        mobilenet_model_free(m);
    }
    /* The labels the checkpoint test expects; a failed call keeps them. */
    CHECK_STATUS(mobilenet_trainer_set_labels(t, good, CLASSES), MOBILENET_OK, NULL);
    CHECK(mobilenet_trainer_set_labels(t, good, 2) == MOBILENET_ERROR_INVALID_ARGUMENT);
}

static int labels_are(mobilenet_model *m) {
    static const char *good[CLASSES] = {"zero", "caf\xc3\xa9", "two, deux", "3", "four"};
    for (int i = 0; i < CLASSES; i++) {
        const char *l = mobilenet_model_label(m, i);
        if (!l || strcmp(l, good[i]) != 0) return 0;
    }
    return mobilenet_model_label(m, CLASSES) == NULL;
}

static void test_save_load_export(void) {
    mobilenet_train_options o;
    options(&o, 1, MOBILENET_OPTIMIZER_RMSPROP);
    o.seed = 9;
    o.learning_rate = 0.03f;
    mobilenet_trainer *t = tiny(&o);
    if (!t) return;
    for (int i = 0; i < 3; i++) CHECK(step(t, 2, NULL) == MOBILENET_OK);
    test_labels(t);
    char path[4300];
    snprintf(path, sizeof path, "%s/model.ckpt.safetensors", g_dir);
    CHECK_STATUS(mobilenet_trainer_save(t, path), MOBILENET_OK, NULL);
    CHECKF(stray_files("model.ckpt.safetensors") == 1, "after save: %d other files in %s (the tiny checkpoint only)",
           stray_files("model.ckpt.safetensors"), g_dir);
    /* Saving again over it works (rename over an existing file). */
    CHECK_STATUS(mobilenet_trainer_save(t, path), MOBILENET_OK, NULL);
    CHECK_STATUS(mobilenet_trainer_save(t, NULL), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_save(t, "/nonexistent-mobilenet-dir/x.safetensors"), MOBILENET_ERROR_IO, NULL);
    CHECK_STATUS(mobilenet_trainer_save(t, g_dir), MOBILENET_ERROR_IO, NULL); /* a directory */
    {
        mobilenet_status s = mobilenet_trainer_save(t, "");
        CHECKF((s == MOBILENET_ERROR_INVALID_ARGUMENT || s == MOBILENET_ERROR_IO) && mobilenet_last_error()[0],
               "save(\"\"): %s", mobilenet_status_string(s));
    }
    /* The checkpoint as a model. */
    mobilenet_options mo;
    mobilenet_options_init(&mo);
    mo.num_threads = 1;
    mobilenet_model *file = NULL, *exported = NULL;
    CHECK_STATUS(mobilenet_model_load(path, &mo, &file), MOBILENET_OK, NULL);
    CHECK_STATUS(mobilenet_trainer_export(t, &mo, &exported), MOBILENET_OK, NULL);
    if (file && exported) {
        mobilenet_info a, b;
        a.struct_size = b.struct_size = sizeof a;
        CHECK(mobilenet_model_info(file, &a) == MOBILENET_OK && mobilenet_model_info(exported, &b) == MOBILENET_OK);
        CHECK(a.num_classes == CLASSES && a.resolution == RES && a.width_multiplier == ALPHA &&
              a.variant == MOBILENET_VARIANT_SEPARABLE);
        CHECK(b.num_classes == CLASSES && b.resolution == RES && b.width_multiplier == ALPHA);
        CHECK(labels_are(file));
        CHECK(labels_are(exported));
        static const int sizes[][3] = {{2, RES, RES}, {1, 17, 23}, {3, 1, 1}};
        for (int k = 0; k < 3; k++) {
            float la[3 * CLASSES], lb[3 * CLASSES];
            int b2 = sizes[k][0], h = sizes[k][1], w = sizes[k][2];
            CHECK(run_model(file, b2, h, w, la) && run_model(exported, b2, h, w, lb));
            CHECKF(memcmp(la, lb, sizeof(float) * (size_t)b2 * CLASSES) == 0,
                   "%dx%dx%d: export and model_load(saved file) logits differ", b2, h, w);
        }
    }
    /* export's arguments. */
    mobilenet_model *m = SENTINEL_MODEL;
    CHECK_STATUS(mobilenet_trainer_export(t, NULL, NULL), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    mo.struct_size = 3;
    FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, mobilenet_trainer_export(t, &mo, &m), m, SENTINEL_MODEL);
    mobilenet_options_init(&mo);
    mo.num_threads = -1;
    FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, mobilenet_trainer_export(t, &mo, &m), m, SENTINEL_MODEL);
    mo.num_threads = 1;

    /* Resume: the same tensors, then the same steps bit for bit. */
    mobilenet_trainer *r = NULL;
    CHECK_STATUS(mobilenet_trainer_load(path, &o, &r), MOBILENET_OK, NULL);
    if (r) {
        CHECK(mobilenet_trainer_global_step(r) == 3 && mobilenet_trainer_num_classes(r) == CLASSES);
        snapshot st = take(t), sr = take(r);
        const char *d = differs(&st, &sr);
        CHECKF(d == NULL, "the resumed trainer differs in %s", d ? d : "");
        drop(&st);
        drop(&sr);
        /* The learning rate explicitly on both: whether a checkpoint keeps
         * a set_learning_rate is not what this checks. */
        CHECK(mobilenet_trainer_set_learning_rate(t, 0.02f) == MOBILENET_OK);
        CHECK(mobilenet_trainer_set_learning_rate(r, 0.02f) == MOBILENET_OK);
        for (int i = 0; i < 3; i++) {
            float lt = -1, lr = -2;
            CHECK(mobilenet_trainer_step(t, g_x, g_y, 2 + i, RES, RES, &lt) == MOBILENET_OK);
            CHECK(mobilenet_trainer_step(r, g_x, g_y, 2 + i, RES, RES, &lr) == MOBILENET_OK);
            CHECKF(memcmp(&lt, &lr, sizeof lt) == 0, "resumed step %d: loss %.9g vs %.9g", i, lr, lt);
        }
        st = take(t);
        sr = take(r);
        d = differs(&st, &sr);
        CHECKF(d == NULL, "after further steps the resumed trainer differs in %s", d ? d : "");
        CHECK(st.step == 6);
        drop(&st);
        drop(&sr);
        /* Its export carries the labels of the checkpoint. */
        mobilenet_model *re = NULL;
        if (mobilenet_trainer_export(r, &mo, &re) == MOBILENET_OK) {
            CHECKF(labels_are(re), "a resumed trainer's export lost the labels");
            mobilenet_model_free(re);
        }
        mobilenet_trainer_free(r);
    }
    /* The export does not depend on the trainer. */
    if (exported && file) {
        float la[2 * CLASSES], lb[2 * CLASSES];
        mobilenet_trainer_free(t);
        t = NULL;
        CHECK(run_model(exported, 2, RES, RES, la) && run_model(file, 2, RES, RES, lb) &&
              memcmp(la, lb, sizeof la) == 0);
    }
    mobilenet_model_free(file);
    mobilenet_model_free(exported);
    mobilenet_trainer_free(t);
    unlink(path);
}

/* ---- the bundled model -------------------------------------------------- */

static void test_bundled(const char *model_path) {
    mobilenet_train_options o;
    options(&o, 1, MOBILENET_OPTIMIZER_SGD);
    mobilenet_trainer *keep = NULL, *head = NULL;
    CHECK_STATUS(mobilenet_trainer_load(model_path, &o, &keep), MOBILENET_OK, NULL);
    o.num_classes = 7;
    CHECK_STATUS(mobilenet_trainer_load(model_path, &o, &head), MOBILENET_OK, NULL);
    if (keep) {
        CHECK(mobilenet_trainer_num_classes(keep) == 1001 && mobilenet_trainer_global_step(keep) == 0);
        CHECK(mobilenet_trainer_tensor_size(keep, "MobilenetV1/Logits/Conv2d_1c_1x1/biases") == 1001);
        /* Export of an untouched model file = the file itself, bit for bit. */
        mobilenet_options mo;
        mobilenet_options_init(&mo);
        mo.num_threads = 1;
        mobilenet_model *file = NULL, *exported = NULL;
        if (mobilenet_model_load(model_path, &mo, &file) == MOBILENET_OK &&
            CHECK_STATUS(mobilenet_trainer_export(keep, &mo, &exported), MOBILENET_OK, NULL)) {
            float *a = xmalloc(1001 * sizeof *a), *b = xmalloc(1001 * sizeof *b);
            CHECK(mobilenet_model_run(file, g_x, 1, RES, RES, a, 1001) == MOBILENET_OK &&
                  mobilenet_model_run(exported, g_x, 1, RES, RES, b, 1001) == MOBILENET_OK);
            CHECKF(memcmp(a, b, 1001 * sizeof *a) == 0, "export of the bundled model differs from loading it");
            free(a);
            free(b);
        }
        mobilenet_model_free(file);
        mobilenet_model_free(exported);
    }
    if (head) {
        CHECK(mobilenet_trainer_num_classes(head) == 7);
        CHECK(mobilenet_trainer_tensor_size(head, "MobilenetV1/Logits/Conv2d_1c_1x1/biases") == 7);
        CHECK(mobilenet_trainer_tensor_size(head, "MobilenetV1/Logits/Conv2d_1c_1x1/weights") == 1024 * 7);
        size_t n;
        float *bias = tensor(head, "MobilenetV1/Logits/Conv2d_1c_1x1/biases", &n);
        int zero = bias != NULL;
        for (size_t i = 0; bias && i < n; i++) zero &= bias[i] == 0.0f;
        CHECKF(zero, "the new head's biases start at 0");
        free(bias);
        if (keep) CHECK(same_tensor(keep, head, "MobilenetV1/Conv2d_13_pointwise/weights"));
        const char *labels[7] = {"a", "b", "c", "d", "e", "f", "g"};
        CHECK_STATUS(mobilenet_trainer_set_labels(head, labels, 1001), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
        CHECK_STATUS(mobilenet_trainer_set_labels(head, labels, 7), MOBILENET_OK, NULL);
        int32_t y[2] = {6, 0};
        float loss = -1;
        CHECK_STATUS(mobilenet_trainer_step(head, g_x, y, 2, RES, RES, &loss), MOBILENET_OK, NULL);
        CHECK(isfinite(loss));
        y[0] = 7; /* the old head had 1001 classes; the new one 7 */
        CHECK_STATUS(mobilenet_trainer_step(head, g_x, y, 2, RES, RES, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
        mobilenet_model *m = NULL;
        if (CHECK_STATUS(mobilenet_trainer_export(head, NULL, &m), MOBILENET_OK, NULL) && m) {
            CHECK(mobilenet_model_num_classes(m) == 7);
            const char *l = mobilenet_model_label(m, 6);
            CHECK(l && strcmp(l, "g") == 0);
            mobilenet_model_free(m);
        }
    }
    mobilenet_trainer_free(keep);
    mobilenet_trainer_free(head);
}

int main(int argc, char **argv) {
    const char *model_path = argc > 1 ? argv[1] : "models/mobilenet_v1_1.0_224.safetensors";
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(600); /* never hang the suite */
    fill(g_x, sizeof g_x / sizeof *g_x, 42);
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/mobilenet-trainer-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        printf("test_trainer: mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    printf("test_trainer: libmobilenet %s, model %s, directory %s\n", mobilenet_version(), model_path, g_dir);

    test_options_init();
    test_null_trainer();
    /* The tiny checkpoint the load tests use. */
    mobilenet_train_options o;
    options(&o, 1, MOBILENET_OPTIMIZER_RMSPROP);
    mobilenet_trainer *t = tiny(&o);
    snprintf(g_ckpt, sizeof g_ckpt, "%s/tiny.safetensors", g_dir);
    if (t) {
        test_initial_values(t);
        test_tensors(t);
        CHECK_STATUS(mobilenet_trainer_save(t, g_ckpt), MOBILENET_OK, NULL);
        test_step_bad_args(t);
        test_evaluate(t);
        mobilenet_trainer_free(t);
    }
    test_new_and_load_bad_args(model_path);
    test_overfit();
    test_learning_rate();
    test_seeds();
    test_threads();
    test_trainable_and_frozen();
    test_nonfinite_update();
    test_save_load_export();
    test_bundled(model_path);

    unlink(g_ckpt);
    int left = stray_files(NULL);
    CHECKF(left == 0, "%d files left in %s", left, g_dir);
    rmdir(g_dir);
    return test_summary();
}
