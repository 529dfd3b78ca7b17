/*
 * test_api.c -- tests every function of mobilenet.h against the installed
 * libmobilenet.so, as a C program that only knows the header.
 *
 *   test_api [MODEL]
 *
 * MODEL: the bundled model (mobilenet_v1_1.0_224.safetensors). Default: the
 * MOBILENET_MODEL environment variable, else
 * models/mobilenet_v1_1.0_224.safetensors relative to the current directory.
 *
 * Environment:
 *   MOBILENET_TEST_QUICK=1    fewer threads, iterations and model loads
 *                             (for valgrind)
 *   MOBILENET_TEST_VERBOSE=1  print every status check with its message
 *
 * Each failed check prints "file:line: FAILED ..."; the program ends with
 * exactly one line "N passed, N failed" and exits 1 if any check failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <mobilenet.h>

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ======================================================================== */
/* A tiny test framework                                                     */
/* ======================================================================== */

static pthread_mutex_t g_report_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_passed = 0;
static int g_failed = 0;
static int g_verbose = 0;
static int g_quick = 0;
/* The input size of run() tests: 224, or 32 in quick mode (valgrind runs
 * the network about a thousand times slower). */
static int g_run_size = 224;
static const char *g_section = "";

static int check_impl(int ok, const char *file, int line, const char *format, ...) {
    pthread_mutex_lock(&g_report_lock);
    if (ok) {
        g_passed++;
    } else {
        va_list args;
        g_failed++;
        printf("%s:%d: FAILED [%s]: ", file, line, g_section);
        va_start(args, format);
        vprintf(format, args);
        va_end(args);
        printf("\n");
        fflush(stdout);
    }
    pthread_mutex_unlock(&g_report_lock);
    return ok;
}

/* CHECK(condition): the condition's text is the message. */
#define CHECK(cond) check_impl((cond) ? 1 : 0, __FILE__, __LINE__, "%s", #cond)
/* CHECKF(condition, printf format, ...): a custom message. */
#define CHECKF(cond, ...) check_impl((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

static void section(const char *name) {
    g_section = name;
    if (g_verbose) printf("== %s\n", name);
}

/* Checks a status-returning call: its status is `expected` (or `also`, if
 * not -1), and mobilenet_last_error() is "" after success and non-empty
 * after failure. The message is copied at once: the library's pointer is
 * only valid until the thread's next call into it. */
static int status_impl(const char *file, int line, const char *text, mobilenet_status got,
                       int expected, int also) {
    char message[1024];
    const char *error = mobilenet_last_error();
    int status_ok = (int)got == expected || (also >= 0 && (int)got == also);
    int message_ok;
    if (error == NULL) {
        message_ok = 0;
        strcpy(message, "(NULL)");
    } else {
        message_ok = got == MOBILENET_OK ? error[0] == '\0' : error[0] != '\0';
        snprintf(message, sizeof message, "%s", error);
    }
    if (g_verbose) {
        pthread_mutex_lock(&g_report_lock);
        printf("   %s -> %d (%s) \"%s\"\n", text, (int)got, mobilenet_status_string(got), message);
        pthread_mutex_unlock(&g_report_lock);
    }
    if (!status_ok)
        return check_impl(0, file, line, "%s returned %d (%s), expected %d (%s)%s; last error \"%s\"",
                          text, (int)got, mobilenet_status_string(got), expected,
                          mobilenet_status_string((mobilenet_status)expected),
                          also >= 0 ? " or another accepted status" : "", message);
    if (!message_ok)
        return check_impl(0, file, line,
                          got == MOBILENET_OK
                              ? "%s succeeded but mobilenet_last_error() is \"%s\", not \"\""
                              : "%s failed but mobilenet_last_error() is empty (\"%s\")",
                          text, message);
    return check_impl(1, file, line, "");
}

/* EXPECT_STATUS(expected status, call) */
#define EXPECT_STATUS(expected, call) \
    status_impl(__FILE__, __LINE__, #call, (call), (int)(expected), -1)
/* EXPECT_STATUS2(one status, another, call): either is accepted. */
#define EXPECT_STATUS2(expected, also, call) \
    status_impl(__FILE__, __LINE__, #call, (call), (int)(expected), (int)(also))
#define EXPECT_OK(call) EXPECT_STATUS(MOBILENET_OK, call)
#define EXPECT_INVALID(call) EXPECT_STATUS(MOBILENET_ERROR_INVALID_ARGUMENT, call)

/* ======================================================================== */
/* Helpers                                                                   */
/* ======================================================================== */

static void *xmalloc(size_t size) {
    void *p = malloc(size > 0 ? size : 1);
    if (p == NULL) {
        printf("test_api: out of memory (%lu bytes)\n", (unsigned long)size);
        exit(2);
    }
    return p;
}

static uint32_t hash32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* A deterministic synthetic photo: smooth gradients and blobs plus noise. */
static uint8_t pixel_value(int x, int y, int c, uint32_t seed) {
    int a = (int)(seed % 7) + 1, b = (int)(seed % 5) + 2;
    int smooth = (x * a + y * b * (c + 1)) / 3 + (int)((seed * 37U) & 255U);
    int blob = ((x / 16 + y / 16 + c + (int)seed) % 3) * 40;
    int noise = (int)(hash32((uint32_t)x * 7919U ^ (uint32_t)y * 104729U ^ (uint32_t)c * 31U ^
                             seed * 2654435761U) & 31U);
    return (uint8_t)((smooth + blob + noise) & 255);
}

/* width x height RGB, rows `stride` bytes apart; padding bytes are garbage. */
static uint8_t *make_rgb(int width, int height, size_t stride, uint32_t seed) {
    uint8_t *rgb = xmalloc(stride * (size_t)height);
    int x, y, c;
    size_t i;
    for (i = 0; i < stride * (size_t)height; i++) rgb[i] = (uint8_t)(hash32((uint32_t)i) >> 24);
    for (y = 0; y < height; y++)
        for (x = 0; x < width; x++)
            for (c = 0; c < 3; c++)
                rgb[(size_t)y * stride + (size_t)x * 3 + (size_t)c] = pixel_value(x, y, c, seed);
    return rgb;
}

/* One NHWC image normalized to [-1, 1] (the bundled model's recipe) from the
 * region [x0, x0 + width) x [y0, y0 + height) of the synthetic photo `seed`. */
static void fill_input(float *out, int width, int height, int x0, int y0, uint32_t seed) {
    int x, y, c;
    for (y = 0; y < height; y++)
        for (x = 0; x < width; x++)
            for (c = 0; c < 3; c++)
                *out++ = ((float)pixel_value(x0 + x, y0 + y, c, seed) - 127.5f) / 127.5f;
}

static float *make_input(int batch, int height, int width, const uint32_t *seeds) {
    size_t per_image = (size_t)height * (size_t)width * 3;
    float *input = xmalloc((size_t)batch * per_image * sizeof(float));
    int i;
    for (i = 0; i < batch; i++) fill_input(input + (size_t)i * per_image, width, height, 0, 0, seeds[i]);
    return input;
}

static int all_finite(const float *values, size_t count) {
    size_t i;
    for (i = 0; i < count; i++)
        if (!isfinite(values[i])) return 0;
    return 1;
}

static double max_abs_diff(const float *a, const float *b, size_t count) {
    double worst = 0;
    size_t i;
    for (i = 0; i < count; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d != d) return INFINITY;
        if (d > worst) worst = d;
    }
    return worst;
}

static void softmax(const float *logits, int count, double *out) {
    double max = logits[0], sum = 0;
    int i;
    for (i = 1; i < count; i++)
        if (logits[i] > max) max = logits[i];
    for (i = 0; i < count; i++) sum += out[i] = exp((double)logits[i] - max);
    for (i = 0; i < count; i++) out[i] /= sum;
}

static int predictions_equal(const mobilenet_prediction *a, const mobilenet_prediction *b, int n) {
    int i;
    for (i = 0; i < n; i++)
        if (a[i].class_index != b[i].class_index || a[i].probability != b[i].probability ||
            a[i].label != b[i].label)
            return 0;
    return 1;
}

/* As predictions_equal, labels compared as strings (another model's). */
static int predictions_equal_values(const mobilenet_prediction *a, const mobilenet_prediction *b, int n) {
    int i;
    for (i = 0; i < n; i++)
        if (a[i].class_index != b[i].class_index || a[i].probability != b[i].probability ||
            a[i].label == NULL || b[i].label == NULL || strcmp(a[i].label, b[i].label) != 0)
            return 0;
    return 1;
}

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long length;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (length = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    data = xmalloc((size_t)length);
    if (fread(data, 1, (size_t)length, f) != (size_t)length) {
        free(data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = (size_t)length;
    return data;
}

/* Writes a temporary file; returns its malloc'd path (caller unlinks, frees). */
static char *write_temp_file(const void *data, size_t size) {
    const char *dir = getenv("TMPDIR");
    char *path;
    int fd;
    size_t done = 0;
    if (dir == NULL || dir[0] == '\0') dir = "/tmp";
    path = xmalloc(strlen(dir) + 40);
    if (path == NULL) return NULL; /* not reached: xmalloc exits */
    strcpy(path, dir);
    strcat(path, "/mobilenet-test-XXXXXX");
    fd = mkstemp(path);
    if (fd < 0) {
        printf("test_api: cannot create a temporary file in %s: %s\n", dir, strerror(errno));
        free(path);
        return NULL;
    }
    while (done < size) {
        ssize_t n = write(fd, (const char *)data + done, size - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
    if (done != size) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* A simple two-party step counter (pthread barriers are optional in POSIX). */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int step;
} stepper;

static void stepper_init(stepper *s) {
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->step = 0;
}
static void stepper_destroy(stepper *s) {
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
}
static void stepper_set(stepper *s, int step) {
    pthread_mutex_lock(&s->lock);
    s->step = step;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}
static void stepper_wait(stepper *s, int step) {
    pthread_mutex_lock(&s->lock);
    while (s->step < step) pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

/* ======================================================================== */
/* Version, status strings, options                                          */
/* ======================================================================== */

static void test_version(void) {
    char expected[64];
    const char *version = mobilenet_version();
    section("version");
    CHECK(version != NULL);
    if (version == NULL) return;
    CHECKF(strcmp(version, MOBILENET_VERSION_STRING) == 0, "mobilenet_version() is \"%s\", header says \"%s\"",
           version, MOBILENET_VERSION_STRING);
    CHECKF(mobilenet_version_number() == MOBILENET_VERSION_NUMBER,
           "mobilenet_version_number() is %d, header says %d", mobilenet_version_number(),
           MOBILENET_VERSION_NUMBER);
    sprintf(expected, "%d.%d.%d", MOBILENET_VERSION_MAJOR, MOBILENET_VERSION_MINOR,
            MOBILENET_VERSION_PATCH);
    CHECK(strcmp(MOBILENET_VERSION_STRING, expected) == 0);
    CHECK(MOBILENET_VERSION_NUMBER ==
          MOBILENET_VERSION_MAJOR * 10000 + MOBILENET_VERSION_MINOR * 100 + MOBILENET_VERSION_PATCH);
    CHECK(mobilenet_version() == version); /* static storage */
}

static void test_status_strings(void) {
    const char *strings[8];
    int i, j;
    static const int unknown[] = {8, 9, 100, INT_MAX, -1, INT_MIN};
    section("status strings");
    for (i = 0; i <= 7; i++) {
        strings[i] = mobilenet_status_string((mobilenet_status)i);
        CHECKF(strings[i] != NULL && strings[i][0] != '\0', "status %d: empty string", i);
        if (strings[i] == NULL) strings[i] = "";
        CHECKF(strcmp(strings[i], "unknown status") != 0, "status %d: \"unknown status\"", i);
        for (j = 0; j < i; j++)
            CHECKF(strcmp(strings[i], strings[j]) != 0, "statuses %d and %d share \"%s\"", j, i,
                   strings[i]);
    }
    CHECKF(strcmp(strings[MOBILENET_ERROR_INVALID_ARGUMENT], "invalid argument") == 0,
           "INVALID_ARGUMENT is \"%s\"", strings[MOBILENET_ERROR_INVALID_ARGUMENT]);
    for (i = 0; i < (int)(sizeof unknown / sizeof unknown[0]); i++) {
        const char *s = mobilenet_status_string((mobilenet_status)unknown[i]);
        CHECKF(s != NULL && strcmp(s, "unknown status") == 0, "status %d gives \"%s\"", unknown[i],
               s != NULL ? s : "(NULL)");
    }
}

static void test_options_init(void) {
    mobilenet_options options;
    section("options_init");
    memset(&options, 0xAB, sizeof options);
    mobilenet_options_init(&options);
    CHECK(options.struct_size == sizeof(mobilenet_options));
    CHECK(options.num_threads == 0);
    CHECK(options.crop_fraction == 0.0f);
    CHECK(options.max_isa == MOBILENET_ISA_AUTO);
    mobilenet_options_init(NULL); /* ignored, must not crash */
    CHECK(1);

    /* The function itself (0.1.0's entry point, called by old binaries): only 0.1.0's 16 bytes. */
    memset(&options, 0xAB, sizeof options);
    (mobilenet_options_init)(&options);
    CHECK(options.struct_size == offsetof(mobilenet_options, max_isa));
    CHECK(options.num_threads == 0 && options.crop_fraction == 0.0f);
    CHECK(((unsigned char *)&options)[offsetof(mobilenet_options, max_isa)] == 0xAB);

    /* init_sized: any size from 0.1.0's to today's, that many bytes written; others refused. */
    {
        size_t size;
        for (size = offsetof(mobilenet_options, max_isa); size <= sizeof options; size++) {
            memset(&options, 0xAB, sizeof options);
            EXPECT_OK(mobilenet_options_init_sized(&options, size));
            CHECK(options.struct_size == size && options.num_threads == 0);
            if (size < sizeof options) CHECK(((unsigned char *)&options)[size] == 0xAB);
        }
        memset(&options, 0xAB, sizeof options);
        EXPECT_INVALID(mobilenet_options_init_sized(&options, 0));
        EXPECT_INVALID(mobilenet_options_init_sized(&options, offsetof(mobilenet_options, max_isa) - 1));
        EXPECT_INVALID(mobilenet_options_init_sized(&options, sizeof options + 1));
        EXPECT_INVALID(mobilenet_options_init_sized(&options, (size_t)-1));
        CHECK(((unsigned char *)&options)[0] == 0xAB);
        EXPECT_INVALID(mobilenet_options_init_sized(NULL, sizeof options));
    }
}

/* ======================================================================== */
/* mobilenet_last_error                                                      */
/* ======================================================================== */

static void test_last_error_basics(void) {
    mobilenet_info info;
    mobilenet_model *model = NULL;
    char saved[1024];
    section("last_error");
    CHECK(mobilenet_last_error() != NULL);
    info.struct_size = sizeof info;
    EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000, &info));
    CHECK(strcmp(mobilenet_last_error(), "") == 0);
    EXPECT_INVALID(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 0, 1000, &info));
    snprintf(saved, sizeof saved, "%s", mobilenet_last_error());
    CHECK(saved[0] != '\0');
    /* Functions that return no status leave the message alone. */
    (void)mobilenet_version();
    (void)mobilenet_version_number();
    (void)mobilenet_status_string(MOBILENET_ERROR_IO);
    mobilenet_options_init(NULL);
    (void)mobilenet_model_num_classes(NULL);
    (void)mobilenet_model_label(NULL, 0);
    mobilenet_model_free(NULL);
    CHECKF(strcmp(mobilenet_last_error(), saved) == 0,
           "functions without a status changed the last error from \"%s\" to \"%s\"", saved,
           mobilenet_last_error());
    /* Reading it twice gives the same message. */
    CHECK(strcmp(mobilenet_last_error(), saved) == 0);
    /* A different failure gives its own message. */
    EXPECT_STATUS(MOBILENET_ERROR_IO,
                  mobilenet_model_load("/nonexistent-mobilenet-dir/none.safetensors", NULL, &model));
    CHECK(model == NULL);
    CHECKF(strcmp(mobilenet_last_error(), saved) != 0, "two different failures, same message \"%s\"",
           saved);
    /* Success resets it. */
    EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_SHALLOW, 0.5f, 128, 10, &info));
    CHECK(strcmp(mobilenet_last_error(), "") == 0);
}

typedef struct {
    stepper *steps;
    char message[1024];     /* the thread's failure message */
    int fresh_empty;        /* last_error was "" before the thread called anything */
    int kept_own_message;   /* after the other thread's calls */
    int success_empty;      /* "" right after its own success */
} last_error_job;

/* Thread A fails, lets B run (B succeeds and fails differently), then checks
 * that its own message did not change. */
static void *last_error_thread_a(void *arg) {
    last_error_job *job = arg;
    mobilenet_info info;
    job->fresh_empty = strcmp(mobilenet_last_error(), "") == 0;
    info.struct_size = sizeof info;
    if (mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, -1.0f, 224, 1000, &info) ==
        MOBILENET_ERROR_INVALID_ARGUMENT)
        snprintf(job->message, sizeof job->message, "%s", mobilenet_last_error());
    stepper_set(job->steps, 1);
    stepper_wait(job->steps, 2);
    job->kept_own_message = job->message[0] != '\0' && strcmp(mobilenet_last_error(), job->message) == 0;
    stepper_set(job->steps, 3);
    return NULL;
}

static void *last_error_thread_b(void *arg) {
    last_error_job *job = arg;
    mobilenet_model *model = NULL;
    mobilenet_info info;
    stepper_wait(job->steps, 1);
    /* A has just failed; B's own message is still "". */
    job->fresh_empty = strcmp(mobilenet_last_error(), "") == 0;
    info.struct_size = sizeof info;
    job->success_empty = mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000, &info) ==
                             MOBILENET_OK &&
                         strcmp(mobilenet_last_error(), "") == 0;
    if (mobilenet_model_load("/nonexistent-mobilenet-dir/b.safetensors", NULL, &model) ==
        MOBILENET_ERROR_IO)
        snprintf(job->message, sizeof job->message, "%s", mobilenet_last_error());
    stepper_set(job->steps, 2);
    stepper_wait(job->steps, 3);
    job->kept_own_message = job->message[0] != '\0' && strcmp(mobilenet_last_error(), job->message) == 0;
    return NULL;
}

static void test_last_error_threads(void) {
    stepper steps;
    last_error_job a, b;
    pthread_t ta, tb;
    mobilenet_model *model = NULL;
    char main_message[1024];
    section("last_error is thread-local");
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    stepper_init(&steps);
    a.steps = b.steps = &steps;
    EXPECT_INVALID(mobilenet_model_load(NULL, NULL, &model));
    snprintf(main_message, sizeof main_message, "%s", mobilenet_last_error());
    if (!CHECK(pthread_create(&ta, NULL, last_error_thread_a, &a) == 0)) return;
    if (!CHECK(pthread_create(&tb, NULL, last_error_thread_b, &b) == 0)) {
        stepper_set(&steps, 2);
        pthread_join(ta, NULL);
        return;
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    stepper_destroy(&steps);
    CHECKF(a.fresh_empty, "a new thread's last error is not \"\" (main thread failed before)");
    CHECKF(a.message[0] != '\0', "thread A's failure left no message");
    CHECKF(b.message[0] != '\0', "thread B's failure left no message");
    CHECKF(b.fresh_empty, "thread B sees thread A's failure message");
    CHECKF(b.success_empty, "thread B: last error not \"\" after success");
    CHECKF(a.kept_own_message, "thread A's message changed by thread B's calls (was \"%s\", now differs)",
           a.message);
    CHECKF(b.kept_own_message, "thread B's message changed by thread A's calls");
    CHECKF(strcmp(a.message, b.message) != 0, "threads A and B report the same message \"%s\"",
           a.message);
    CHECKF(strcmp(mobilenet_last_error(), main_message) == 0,
           "the main thread's message changed from \"%s\" to \"%s\"", main_message,
           mobilenet_last_error());
}

/* ======================================================================== */
/* mobilenet_describe and mobilenet_model_info                               */
/* ======================================================================== */

static int depth_of(int d, float alpha) {
    int c = (int)((float)d * alpha);
    return c > 8 ? c : 8;
}

/* Checks everything derivable about one mobilenet_info. */
static void check_info(const char *what, const mobilenet_info *info, mobilenet_variant variant,
                       float alpha, int resolution, int classes) {
    int64_t mult_adds = 0, parameters = 0;
    int i, expected_layers;
    int chain_ok = 1, names_ok = 1, formula_ok = 1, strides_ok = 1;
    const mobilenet_layer_info *first, *last, *pool;
    expected_layers = variant == MOBILENET_VARIANT_SEPARABLE ? 29
                      : variant == MOBILENET_VARIANT_FULL_CONV ? 16
                                                               : 19;
    CHECKF(info->struct_size == sizeof(mobilenet_info), "%s: struct_size changed to %lu", what,
           (unsigned long)info->struct_size);
    CHECKF(info->variant == variant, "%s: variant %d, expected %d", what, (int)info->variant, (int)variant);
    CHECKF(info->width_multiplier == alpha, "%s: width_multiplier %g, expected %g", what,
           (double)info->width_multiplier, (double)alpha);
    CHECKF(info->resolution == resolution, "%s: resolution %d, expected %d", what, info->resolution,
           resolution);
    CHECKF(info->num_classes == classes, "%s: num_classes %d, expected %d", what, info->num_classes,
           classes);
    if (!CHECKF(info->num_layers == expected_layers, "%s: %d layers, expected %d", what,
                info->num_layers, expected_layers))
        return;
    for (i = 0; i < info->num_layers; i++) {
        const mobilenet_layer_info *l = &info->layers[i];
        int64_t oh = l->output_height, ow = l->output_width, ci = l->input_channels,
                co = l->output_channels;
        mult_adds += l->mult_adds;
        parameters += l->parameters;
        if (memchr(l->name, '\0', sizeof l->name) == NULL || l->name[0] == '\0') {
            if (names_ok)
                CHECKF(0, "%s: layer %d: name empty or not NUL-terminated", what, i);
            names_ok = 0;
        }
        if (i > 0) {
            const mobilenet_layer_info *p = &info->layers[i - 1];
            if (l->input_height != p->output_height || l->input_width != p->output_width ||
                l->input_channels != p->output_channels) {
                if (chain_ok)
                    CHECKF(0, "%s: layer %d (%s) input %dx%dx%d != layer %d output %dx%dx%d", what, i,
                           l->name, l->input_height, l->input_width, l->input_channels, i - 1,
                           p->output_height, p->output_width, p->output_channels);
                chain_ok = 0;
            }
        }
        switch (l->type) {
        case MOBILENET_LAYER_CONV_3X3:
        case MOBILENET_LAYER_DEPTHWISE_3X3:
        case MOBILENET_LAYER_POINTWISE_1X1: {
            int s = l->stride;
            int ok_stride = (s == 1 || s == 2) &&
                            l->output_height == (l->input_height + s - 1) / s &&
                            l->output_width == (l->input_width + s - 1) / s &&
                            (l->type != MOBILENET_LAYER_POINTWISE_1X1 || s == 1);
            if (!ok_stride && strides_ok) {
                CHECKF(0, "%s: layer %d (%s) stride %d maps %dx%d to %dx%d (SAME padding expected)",
                       what, i, l->name, s, l->input_height, l->input_width, l->output_height,
                       l->output_width);
                strides_ok = 0;
            }
            break;
        }
        default:
            break;
        }
        {
            int64_t want_ma = -1, want_p = -1;
            switch (l->type) {
            case MOBILENET_LAYER_CONV_3X3:
                want_ma = oh * ow * 9 * ci * co;
                want_p = 9 * ci * co;
                break;
            case MOBILENET_LAYER_DEPTHWISE_3X3:
                want_ma = oh * ow * 9 * ci;
                want_p = 9 * ci;
                if (co != ci) want_p = -2; /* forces a failure */
                break;
            case MOBILENET_LAYER_POINTWISE_1X1:
                want_ma = oh * ow * ci * co;
                want_p = ci * co;
                break;
            case MOBILENET_LAYER_AVERAGE_POOL:
                want_ma = l->mult_adds; /* convention-dependent: not checked */
                want_p = 0;
                if (oh != 1 || ow != 1 || co != ci) want_p = -2;
                break;
            case MOBILENET_LAYER_FULLY_CONNECTED:
                want_ma = ci * co;
                want_p = ci * co; /* weights only, as the paper counts them: no biases */
                if (oh != 1 || ow != 1 || co != classes) want_p = -2;
                break;
            default:
                want_p = -2;
                break;
            }
            if ((l->mult_adds != want_ma || l->parameters != want_p) &&
                formula_ok) {
                CHECKF(0,
                       "%s: layer %d (%s, type %d, %dx%dx%d -> %dx%dx%d): mult_adds %lld "
                       "(expected %lld), parameters %lld (expected %lld)",
                       what, i, l->name, (int)l->type, l->input_height, l->input_width,
                       l->input_channels, l->output_height, l->output_width, l->output_channels,
                       (long long)l->mult_adds, (long long)want_ma, (long long)l->parameters,
                       (long long)want_p);
                formula_ok = 0;
            }
        }
    }
    if (names_ok && chain_ok && strides_ok && formula_ok) CHECK(1); /* failures reported above */
    CHECKF(mult_adds == info->mult_adds, "%s: layers' mult_adds sum to %lld, total says %lld", what,
           (long long)mult_adds, (long long)info->mult_adds);
    CHECKF(parameters == info->parameters, "%s: layers' parameters sum to %lld, total says %lld",
           what, (long long)parameters, (long long)info->parameters);
    first = &info->layers[0];
    last = &info->layers[info->num_layers - 1];
    pool = &info->layers[info->num_layers - 2];
    CHECKF(first->type == MOBILENET_LAYER_CONV_3X3 && first->stride == 2 &&
               first->input_height == resolution && first->input_width == resolution &&
               first->input_channels == 3 && first->output_channels == depth_of(32, alpha),
           "%s: first layer %s type %d stride %d %dx%dx%d -> %d channels", what, first->name,
           (int)first->type, first->stride, first->input_height, first->input_width,
           first->input_channels, first->output_channels);
    CHECKF(pool->type == MOBILENET_LAYER_AVERAGE_POOL &&
               pool->input_channels == depth_of(1024, alpha),
           "%s: second-to-last layer %s is not the average pool over %d channels", what, pool->name,
           depth_of(1024, alpha));
    CHECKF(last->type == MOBILENET_LAYER_FULLY_CONNECTED && last->output_channels == classes,
           "%s: last layer %s is not the FC layer to %d classes", what, last->name, classes);
    for (i = 1; i < info->num_layers - 2; i++) {
        mobilenet_layer_type want;
        if (variant == MOBILENET_VARIANT_FULL_CONV)
            want = MOBILENET_LAYER_CONV_3X3;
        else
            want = i % 2 == 1 ? MOBILENET_LAYER_DEPTHWISE_3X3 : MOBILENET_LAYER_POINTWISE_1X1;
        if (!CHECKF(info->layers[i].type == want, "%s: layer %d (%s) has type %d, expected %d", what,
                    i, info->layers[i].name, (int)info->layers[i].type, (int)want))
            break;
    }
}

static void check_totals(const char *what, const mobilenet_info *info, double mult_adds_m,
                         double parameters_m, double tolerance_m) {
    double ma = (double)info->mult_adds / 1e6, p = (double)info->parameters / 1e6;
    CHECKF(fabs(ma - mult_adds_m) <= tolerance_m, "%s: %.2fM mult-adds, expected about %.1fM", what,
           ma, mult_adds_m);
    CHECKF(fabs(p - parameters_m) <= tolerance_m / 10 + 0.01, "%s: %.3fM parameters, expected about %.2fM",
           what, p, parameters_m);
}

static void test_describe(void) {
    mobilenet_info info, info2;
    section("describe");
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000, &info))) {
        check_info("separable 1.0/224/1000", &info, MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000);
        check_totals("separable 1.0/224/1000", &info, 568.7, 4.21, 1.0);
        CHECK(info.mult_adds > 560000000 && info.mult_adds < 575000000);
        CHECK(info.parameters > 4100000 && info.parameters < 4300000);
        CHECK(info.layers[0].output_height == 112 && info.layers[0].output_channels == 32);
        CHECK(info.layers[26].input_height == 7 && info.layers[26].input_channels == 1024);
        CHECK(strlen(info.layers[0].name) > 0);
    }
    /* Deterministic and plain data. */
    memset(&info2, 0x5A, sizeof info2);
    info2.struct_size = sizeof info2;
    if (EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000, &info2)))
        CHECK(info2.mult_adds == info.mult_adds && info2.parameters == info.parameters &&
              info2.num_layers == info.num_layers &&
              memcmp(info2.layers, info.layers, (size_t)info.num_layers * sizeof info.layers[0]) == 0);

    info.struct_size = sizeof info;
    if (EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_FULL_CONV, 1.0f, 224, 1000, &info))) {
        check_info("full_conv 1.0/224/1000", &info, MOBILENET_VARIANT_FULL_CONV, 1.0f, 224, 1000);
        check_totals("full_conv 1.0/224/1000", &info, 4866.0, 29.3, 5.0);
    }
    info.struct_size = sizeof info;
    if (EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_SHALLOW, 1.0f, 224, 1000, &info))) {
        int i, bad = 0;
        check_info("shallow 1.0/224/1000", &info, MOBILENET_VARIANT_SHALLOW, 1.0f, 224, 1000);
        check_totals("shallow 1.0/224/1000", &info, 307.0, 2.9, 1.5);
        /* No 14x14x512 -> 14x14x512 separable blocks are left. */
        for (i = 0; i < info.num_layers; i++)
            if (info.layers[i].type == MOBILENET_LAYER_POINTWISE_1X1 &&
                info.layers[i].input_height == 14 && info.layers[i].input_channels == 512 &&
                info.layers[i].output_channels == 512)
                bad++;
        CHECKF(bad == 0, "shallow: %d 14x14x512 pointwise layers remain", bad);
    }
    {
        static const struct {
            float alpha;
            int resolution;
            double mult_adds_m, parameters_m;
        } table[] = {{0.75f, 224, 325.4, 2.57}, {0.5f, 224, 149.5, 1.32}, {0.25f, 224, 41.0, 0.46},
                     {1.0f, 192, 418.1, 4.21},  {1.0f, 160, 290.7, 4.21}, {1.0f, 128, 186.4, 4.21}};
        size_t i;
        for (i = 0; i < sizeof table / sizeof table[0]; i++) {
            char what[64];
            sprintf(what, "separable %.2f/%d/1000", (double)table[i].alpha, table[i].resolution);
            info.struct_size = sizeof info;
            if (EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, table[i].alpha,
                                             table[i].resolution, 1000, &info))) {
                check_info(what, &info, MOBILENET_VARIANT_SEPARABLE, table[i].alpha,
                           table[i].resolution, 1000);
                check_totals(what, &info, table[i].mult_adds_m, table[i].parameters_m, 0.6);
            }
        }
    }
    /* Odd but valid configurations. */
    {
        static const struct {
            mobilenet_variant variant;
            float alpha;
            int resolution, classes;
        } odd[] = {{MOBILENET_VARIANT_SEPARABLE, 4.0f, 1, 1},
                   {MOBILENET_VARIANT_SEPARABLE, 0.01f, 225, 100000},
                   {MOBILENET_VARIANT_FULL_CONV, 0.3f, 97, 7},
                   {MOBILENET_VARIANT_SHALLOW, 1.5f, 4096, 1001},
                   {MOBILENET_VARIANT_SEPARABLE, 1.0f, 2, 1001}};
        size_t i;
        for (i = 0; i < sizeof odd / sizeof odd[0]; i++) {
            char what[80];
            sprintf(what, "variant %d %.2f/%d/%d", (int)odd[i].variant, (double)odd[i].alpha,
                    odd[i].resolution, odd[i].classes);
            info.struct_size = sizeof info;
            if (EXPECT_OK(mobilenet_describe(odd[i].variant, odd[i].alpha, odd[i].resolution,
                                             odd[i].classes, &info)))
                check_info(what, &info, odd[i].variant, odd[i].alpha, odd[i].resolution,
                           odd[i].classes);
        }
    }
}

static void test_describe_bad_args(void) {
    mobilenet_info info, pristine;
    size_t i;
    static const float bad_alpha[] = {0.0f, -0.5f, -0.0f};
    static const int bad_resolution[] = {0, -1, 4097, INT_MIN, INT_MAX};
    static const int bad_classes[] = {0, -1, 100001, INT_MIN, INT_MAX};
    /* Below 0.1.0's size (everything up to total_layers), or above today's. */
    static const size_t bad_sizes[] = {0, 1, offsetof(mobilenet_info, total_layers) - 1, sizeof(mobilenet_info) + 1,
                                       sizeof(mobilenet_info) * 2, sizeof(mobilenet_layer_info)};
    section("describe: bad arguments");
    memset(&pristine, 0x5A, sizeof pristine);
    pristine.struct_size = sizeof pristine;
#define DESCRIBE_FAILS(variant, alpha, res, classes)                                               \
    do {                                                                                           \
        info = pristine;                                                                           \
        EXPECT_INVALID(mobilenet_describe(variant, alpha, res, classes, &info));                   \
        CHECKF(memcmp(&info, &pristine, sizeof info) == 0, "describe wrote its output on failure"); \
    } while (0)
    for (i = 0; i < sizeof bad_alpha / sizeof bad_alpha[0]; i++)
        DESCRIBE_FAILS(MOBILENET_VARIANT_SEPARABLE, bad_alpha[i], 224, 1000);
    DESCRIBE_FAILS(MOBILENET_VARIANT_SEPARABLE, nextafterf(4.0f, 5.0f), 224, 1000);
    DESCRIBE_FAILS(MOBILENET_VARIANT_SEPARABLE, 4.5f, 224, 1000);
    DESCRIBE_FAILS(MOBILENET_VARIANT_SEPARABLE, NAN, 224, 1000);
    DESCRIBE_FAILS(MOBILENET_VARIANT_SEPARABLE, INFINITY, 224, 1000);
    DESCRIBE_FAILS(MOBILENET_VARIANT_SEPARABLE, -INFINITY, 224, 1000);
    for (i = 0; i < sizeof bad_resolution / sizeof bad_resolution[0]; i++)
        DESCRIBE_FAILS(MOBILENET_VARIANT_SEPARABLE, 1.0f, bad_resolution[i], 1000);
    for (i = 0; i < sizeof bad_classes / sizeof bad_classes[0]; i++)
        DESCRIBE_FAILS(MOBILENET_VARIANT_FULL_CONV, 1.0f, 224, bad_classes[i]);
    DESCRIBE_FAILS((mobilenet_variant)3, 1.0f, 224, 1000);
    DESCRIBE_FAILS((mobilenet_variant)-1, 1.0f, 224, 1000);
    DESCRIBE_FAILS((mobilenet_variant)1000, 1.0f, 224, 1000);
    for (i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        info = pristine;
        info.struct_size = bad_sizes[i];
        EXPECT_INVALID(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000, &info));
        CHECKF(info.struct_size == bad_sizes[i] &&
                   memcmp((char *)&info + sizeof info.struct_size,
                          (char *)&pristine + sizeof pristine.struct_size,
                          sizeof info - sizeof info.struct_size) == 0,
               "describe with struct_size %lu wrote its output", (unsigned long)bad_sizes[i]);
    }
    EXPECT_INVALID(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000, NULL));
#undef DESCRIBE_FAILS
}

static void test_model_info(mobilenet_model *model) {
    mobilenet_info info, expected, pristine;
    section("model_info");
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (EXPECT_OK(mobilenet_model_info(model, &info))) {
        check_info("bundled model", &info, MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1001);
        check_totals("bundled model", &info, 568.7, 4.21, 1.0);
        memset(&expected, 0, sizeof expected);
        expected.struct_size = sizeof expected;
        if (EXPECT_OK(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1001, &expected)))
            CHECKF(info.mult_adds == expected.mult_adds && info.parameters == expected.parameters &&
                       info.num_layers == expected.num_layers &&
                       memcmp(info.layers, expected.layers,
                              (size_t)expected.num_layers * sizeof expected.layers[0]) == 0,
                   "model_info differs from describe(separable, 1.0, 224, 1001)");
    }
    memset(&pristine, 0x5A, sizeof pristine);
    pristine.struct_size = sizeof pristine;
    info = pristine;
    EXPECT_INVALID(mobilenet_model_info(NULL, &info));
    CHECK(memcmp(&info, &pristine, sizeof info) == 0);
    EXPECT_INVALID(mobilenet_model_info(model, NULL));
    info = pristine;
    info.struct_size = offsetof(mobilenet_info, total_layers) - 1;
    EXPECT_INVALID(mobilenet_model_info(model, &info));
    info.struct_size = 0;
    EXPECT_INVALID(mobilenet_model_info(model, &info));
    info.struct_size = sizeof info + 8;
    EXPECT_INVALID(mobilenet_model_info(model, &info));
    info.struct_size = sizeof(mobilenet_options);
    EXPECT_INVALID(mobilenet_model_info(model, &info));
    CHECK(memcmp((char *)&info + sizeof info.struct_size, (char *)&pristine + sizeof info.struct_size,
                 sizeof info - sizeof info.struct_size) == 0);
}

/* ======================================================================== */
/* Loading                                                                   */
/* ======================================================================== */

/* The bundled model file, for loads with other options. */
static const unsigned char *g_model_bytes;
static size_t g_model_size;

static mobilenet_model *const SENTINEL_MODEL = (mobilenet_model *)(uintptr_t)0x5A5A5A50;

/* Expects load(path, options) to fail with `expected` and leave *out alone. */
#define LOAD_FAILS(expected, path, options)                                                  \
    do {                                                                                     \
        mobilenet_model *m_ = SENTINEL_MODEL;                                                \
        EXPECT_STATUS(expected, mobilenet_model_load(path, options, &m_));                   \
        CHECKF(m_ == SENTINEL_MODEL, "a failed load wrote *out_model");                      \
        if (m_ != SENTINEL_MODEL) mobilenet_model_free(m_);                                  \
    } while (0)
#define LOAD_MEMORY_FAILS(expected, data, size, options)                                     \
    do {                                                                                     \
        mobilenet_model *m_ = SENTINEL_MODEL;                                                \
        EXPECT_STATUS(expected, mobilenet_model_load_memory(data, size, options, &m_));      \
        CHECKF(m_ == SENTINEL_MODEL, "a failed load_memory wrote *out_model");               \
        if (m_ != SENTINEL_MODEL) mobilenet_model_free(m_);                                  \
    } while (0)

static void test_load_errors(const char *model_path, const unsigned char *bytes, size_t size) {
    mobilenet_options options;
    mobilenet_model *model = SENTINEL_MODEL;
    unsigned char garbage[4096];
    char *path;
    size_t i;
    /* Below 0.1.0's size (everything up to max_isa), or above today's. */
    static const size_t bad_sizes[] = {0, 1, offsetof(mobilenet_options, max_isa) - 1,
                                       sizeof(mobilenet_options) + 1, sizeof(mobilenet_options) * 2};
    static const int bad_threads[] = {-1, 257, INT_MIN, INT_MAX, 1000};
    float bad_crops[7];
    bad_crops[0] = 1.5f;
    bad_crops[1] = -0.1f;
    bad_crops[2] = NAN;
    bad_crops[3] = INFINITY;
    bad_crops[4] = -INFINITY;
    bad_crops[5] = nextafterf(1.0f, 2.0f);
    bad_crops[6] = -0.0f - 1e-30f;

    section("load: bad arguments");
    LOAD_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, NULL, NULL);
    EXPECT_INVALID(mobilenet_model_load(model_path, NULL, NULL));
    LOAD_MEMORY_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, NULL, size, NULL);
    LOAD_MEMORY_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, NULL, 0, NULL);
    EXPECT_INVALID(mobilenet_model_load_memory(bytes, size, NULL, NULL));
    /* Zero bytes: an invalid size, or an empty (malformed) file. */
    {
        mobilenet_model *m = SENTINEL_MODEL;
        EXPECT_STATUS2(MOBILENET_ERROR_INVALID_ARGUMENT, MOBILENET_ERROR_FORMAT,
                       mobilenet_model_load_memory(bytes, 0, NULL, &m));
        CHECK(m == SENTINEL_MODEL);
    }
    for (i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        mobilenet_options_init(&options);
        options.struct_size = bad_sizes[i];
        LOAD_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model_path, &options);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, bytes, size, &options);
    }
    for (i = 0; i < sizeof bad_threads / sizeof bad_threads[0]; i++) {
        mobilenet_options_init(&options);
        options.num_threads = bad_threads[i];
        LOAD_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model_path, &options);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, bytes, size, &options);
    }
    for (i = 0; i < sizeof bad_crops / sizeof bad_crops[0]; i++) {
        mobilenet_options_init(&options);
        options.crop_fraction = bad_crops[i];
        LOAD_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model_path, &options);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, bytes, size, &options);
    }

    section("load: files");
    LOAD_FAILS(MOBILENET_ERROR_IO, "/nonexistent-mobilenet-dir/model.safetensors", NULL);
    {
        /* An empty path: not a file name (INVALID_ARGUMENT) or not found (IO). */
        mobilenet_model *m = SENTINEL_MODEL;
        EXPECT_STATUS2(MOBILENET_ERROR_INVALID_ARGUMENT, MOBILENET_ERROR_IO,
                       mobilenet_model_load("", NULL, &m));
        CHECK(m == SENTINEL_MODEL);
    }
    LOAD_FAILS(MOBILENET_ERROR_IO, "/", NULL); /* a directory cannot be read */
    /* Empty file. */
    path = write_temp_file("", 0);
    if (CHECK(path != NULL)) {
        LOAD_FAILS(MOBILENET_ERROR_FORMAT, path, NULL);
        unlink(path);
        free(path);
    }
    /* Random garbage. */
    for (i = 0; i < sizeof garbage; i++) garbage[i] = (unsigned char)(hash32((uint32_t)i + 99U) >> 24);
    path = write_temp_file(garbage, sizeof garbage);
    if (CHECK(path != NULL)) {
        LOAD_FAILS(MOBILENET_ERROR_FORMAT, path, NULL);
        unlink(path);
        free(path);
    }
    LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, garbage, sizeof garbage, NULL);
    /* Plain text. */
    {
        static const char text[] = "this is not a safetensors file\n";
        path = write_temp_file(text, sizeof text - 1);
        if (CHECK(path != NULL)) {
            LOAD_FAILS(MOBILENET_ERROR_FORMAT, path, NULL);
            unlink(path);
            free(path);
        }
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, text, sizeof text - 1, NULL);
    }
    /* A plausible header length followed by bad JSON. */
    {
        unsigned char bad_json[64];
        memset(bad_json, ' ', sizeof bad_json);
        bad_json[0] = 16;
        for (i = 1; i < 8; i++) bad_json[i] = 0;
        memcpy(bad_json + 8, "{\"a\": [1, 2", 11);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, bad_json, 24, NULL);
    }
    /* Truncated copies of the real model. */
    if (bytes != NULL) {
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, bytes, 7, NULL);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, bytes, 8, NULL);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, bytes, 100, NULL);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, bytes, size / 2, NULL);
        LOAD_MEMORY_FAILS(MOBILENET_ERROR_FORMAT, bytes, size - 1, NULL);
    }
    (void)model;
}

/* ======================================================================== */
/* The model: classes, labels                                               */
/* ======================================================================== */

static void test_classes_and_labels(mobilenet_model *model) {
    int i, missing = 0;
    const char *label;
    section("classes and labels");
    CHECK(mobilenet_model_num_classes(model) == 1001);
    CHECK(mobilenet_model_num_classes(NULL) == 0);
    label = mobilenet_model_label(model, 0);
    CHECKF(label != NULL && strcmp(label, "background") == 0, "label(0) is \"%s\"",
           label != NULL ? label : "(NULL)");
    label = mobilenet_model_label(model, 1);
    CHECKF(label != NULL && strcmp(label, "tench, Tinca tinca") == 0, "label(1) is \"%s\"",
           label != NULL ? label : "(NULL)");
    label = mobilenet_model_label(model, 286);
    CHECKF(label != NULL && strcmp(label, "Egyptian cat") == 0, "label(286) is \"%s\"",
           label != NULL ? label : "(NULL)");
    label = mobilenet_model_label(model, 968);
    CHECKF(label != NULL && strcmp(label, "espresso") == 0, "label(968) is \"%s\"",
           label != NULL ? label : "(NULL)");
    for (i = 0; i < 1001; i++) {
        label = mobilenet_model_label(model, i);
        if (label == NULL || label[0] == '\0') missing++;
    }
    CHECKF(missing == 0, "%d of 1001 labels are NULL or empty", missing);
    CHECK(mobilenet_model_label(model, 5) == mobilenet_model_label(model, 5)); /* stable storage */
    CHECK(mobilenet_model_label(model, -1) == NULL);
    CHECK(mobilenet_model_label(model, 1001) == NULL);
    CHECK(mobilenet_model_label(model, INT_MIN) == NULL);
    CHECK(mobilenet_model_label(model, INT_MAX) == NULL);
    CHECK(mobilenet_model_label(NULL, 0) == NULL);
    CHECK(mobilenet_model_label(NULL, -1) == NULL);
    mobilenet_model_free(NULL);
    CHECK(1); /* model_free(NULL) is a no-op */
}

/* ======================================================================== */
/* mobilenet_model_run                                                       */
/* ======================================================================== */

#define CLASSES 1001

static void test_run(mobilenet_model *model, float *reference_logits /* [CLASSES] out */) {
    const int h = g_run_size, w = g_run_size;
    const size_t image = (size_t)h * w * 3;
    uint32_t seeds[2] = {11, 22};
    float *input1 = make_input(1, h, w, seeds);
    float *input_aa, *input_ab;
    float *logits = xmalloc((CLASSES * 2 + 16) * sizeof(float));
    float *logits_b = xmalloc(CLASSES * sizeof(float));
    float *saved = xmalloc((CLASSES * 2 + 16) * sizeof(float));
    size_t i;

    section("run");
    /* Batch 1, capacity exactly batch * classes; nothing past it written. */
    memset(logits, 0xA5, (CLASSES * 2 + 16) * sizeof(float));
    memcpy(saved, logits, (CLASSES * 2 + 16) * sizeof(float));
    EXPECT_OK(mobilenet_model_run(model, input1, 1, h, w, logits, CLASSES));
    CHECK(all_finite(logits, CLASSES));
    CHECKF(memcmp(logits + CLASSES, saved + CLASSES, (CLASSES + 16) * sizeof(float)) == 0,
           "run wrote past logits_capacity");
    memcpy(reference_logits, logits, CLASSES * sizeof(float));
    {
        float lo = logits[0], hi = logits[0];
        for (i = 0; i < CLASSES; i++) {
            if (logits[i] < lo) lo = logits[i];
            if (logits[i] > hi) hi = logits[i];
        }
        CHECKF(hi - lo > 1.0f, "logits nearly constant (%g .. %g)", (double)lo, (double)hi);
    }
    /* Deterministic. */
    EXPECT_OK(mobilenet_model_run(model, input1, 1, h, w, logits, CLASSES));
    CHECKF(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0,
           "two runs on the same input differ (max |diff| %g)",
           max_abs_diff(logits, reference_logits, CLASSES));
    /* The input is read only. */
    {
        float *copy = make_input(1, h, w, seeds);
        CHECK(memcmp(copy, input1, image * sizeof(float)) == 0);
        free(copy);
    }

    /* Capacity one too small: BUFFER_TOO_SMALL, nothing written. */
    memset(logits, 0xA5, (CLASSES * 2 + 16) * sizeof(float));
    EXPECT_STATUS(MOBILENET_ERROR_BUFFER_TOO_SMALL,
                  mobilenet_model_run(model, input1, 1, h, w, logits, CLASSES - 1));
    CHECKF(memcmp(logits, saved, (CLASSES * 2 + 16) * sizeof(float)) == 0,
           "run wrote logits although the buffer was too small");
    EXPECT_STATUS(MOBILENET_ERROR_BUFFER_TOO_SMALL,
                  mobilenet_model_run(model, input1, 1, h, w, logits, 0));
    EXPECT_STATUS(MOBILENET_ERROR_BUFFER_TOO_SMALL,
                  mobilenet_model_run(model, input1, 1, h, w, logits, 1));

    /* Batch 2, the same image twice: each row equals the batch-1 logits. */
    section("run: batch");
    seeds[1] = seeds[0];
    input_aa = make_input(2, h, w, seeds);
    memset(logits, 0xA5, (CLASSES * 2 + 16) * sizeof(float));
    EXPECT_STATUS(MOBILENET_ERROR_BUFFER_TOO_SMALL,
                  mobilenet_model_run(model, input_aa, 2, h, w, logits, 2 * CLASSES - 1));
    CHECK(memcmp(logits, saved, (CLASSES * 2 + 16) * sizeof(float)) == 0);
    EXPECT_STATUS(MOBILENET_ERROR_BUFFER_TOO_SMALL,
                  mobilenet_model_run(model, input_aa, 2, h, w, logits, CLASSES));
    if (EXPECT_OK(mobilenet_model_run(model, input_aa, 2, h, w, logits, 2 * CLASSES))) {
        CHECKF(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0,
               "batch 2, image 0 differs from batch 1 (max |diff| %g)",
               max_abs_diff(logits, reference_logits, CLASSES));
        CHECKF(memcmp(logits + CLASSES, reference_logits, CLASSES * sizeof(float)) == 0,
               "batch 2, image 1 differs from batch 1 (max |diff| %g)",
               max_abs_diff(logits + CLASSES, reference_logits, CLASSES));
        CHECK(memcmp(logits + 2 * CLASSES, saved, 16 * sizeof(float)) == 0);
    }
    /* Batch 2, two different images: image-major, each as if alone. */
    seeds[1] = 22;
    input_ab = make_input(2, h, w, seeds);
    if (EXPECT_OK(mobilenet_model_run(model, input_ab + image, 1, h, w, logits_b, CLASSES)) &&
        EXPECT_OK(mobilenet_model_run(model, input_ab, 2, h, w, logits, 2 * CLASSES + 5))) {
        CHECKF(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0,
               "batch [A, B]: A differs (max |diff| %g)", max_abs_diff(logits, reference_logits, CLASSES));
        CHECKF(memcmp(logits + CLASSES, logits_b, CLASSES * sizeof(float)) == 0,
               "batch [A, B]: B differs (max |diff| %g)", max_abs_diff(logits + CLASSES, logits_b, CLASSES));
        CHECKF(max_abs_diff(logits_b, reference_logits, CLASSES) > 1e-3,
               "two different images give the same logits");
    }

    /* Other input sizes: non-square, tiny, odd. */
    section("run: input sizes");
    {
        static const int sizes[][2] = {{1, 1}, {33, 17}, {160, 224}, {224, 160}, {3, 300}, {97, 128}};
        size_t k, count = g_quick ? 2 : sizeof sizes / sizeof sizes[0];
        for (k = 0; k < count; k++) {
            int sh = sizes[k][0], sw = sizes[k][1];
            float *input = make_input(1, sh, sw, seeds);
            float *again = xmalloc(CLASSES * sizeof(float));
            int ok1 = EXPECT_OK(mobilenet_model_run(model, input, 1, sh, sw, logits, CLASSES));
            CHECKF(ok1 && all_finite(logits, CLASSES), "run %dx%d: logits not finite", sh, sw);
            if (ok1 && EXPECT_OK(mobilenet_model_run(model, input, 1, sh, sw, again, CLASSES)))
                CHECKF(memcmp(again, logits, CLASSES * sizeof(float)) == 0,
                       "run %dx%d: not deterministic", sh, sw);
            free(again);
            free(input);
        }
    }
    /* Back at the first size after other sizes: still the same answer. */
    EXPECT_OK(mobilenet_model_run(model, input1, 1, h, w, logits, CLASSES));
    CHECK(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0);

    free(input1);
    free(input_aa);
    free(input_ab);
    free(logits);
    free(logits_b);
    free(saved);
}

static void test_run_bad_args(mobilenet_model *model) {
    const int h = 224, w = 224;
    uint32_t seed = 5;
    float *input = make_input(1, h, w, &seed);
    size_t big = (size_t)4097 * CLASSES;
    float *logits = xmalloc(big * sizeof(float));
    float *saved = xmalloc(CLASSES * sizeof(float));
    size_t i;
    static const int bad_batch[] = {0, -1, 4097, INT_MIN, INT_MAX};
    static const int bad_size[] = {0, -1, 4097, INT_MIN, INT_MAX};

    section("run: bad arguments");
    memset(logits, 0xA5, CLASSES * sizeof(float));
    memcpy(saved, logits, CLASSES * sizeof(float));
#define RUN_FAILS(expected, m, in, b, hh, ww, out, cap)                                     \
    do {                                                                                    \
        EXPECT_STATUS(expected, mobilenet_model_run(m, in, b, hh, ww, out, cap));           \
        CHECKF(memcmp(logits, saved, CLASSES * sizeof(float)) == 0,                         \
               "a failed run wrote logits");                                                \
    } while (0)
    RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, NULL, input, 1, h, w, logits, CLASSES);
    RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model, NULL, 1, h, w, logits, CLASSES);
    RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model, input, 1, h, w, NULL, CLASSES);
    /* Bad sizes with a logits buffer big enough for any batch. */
    for (i = 0; i < sizeof bad_batch / sizeof bad_batch[0]; i++)
        RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model, input, bad_batch[i], h, w, logits, big);
    for (i = 0; i < sizeof bad_size / sizeof bad_size[0]; i++) {
        RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model, input, 1, bad_size[i], w, logits, big);
        RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model, input, 1, h, bad_size[i], logits, big);
    }
    RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model, input, 1, 0, 0, logits, big);
    RUN_FAILS(MOBILENET_ERROR_INVALID_ARGUMENT, model, input, -5, -5, -5, logits, big);
    /* Too small a buffer at once, and an invalid batch: an argument error
     * either way; nothing is written. */
    EXPECT_STATUS2(MOBILENET_ERROR_INVALID_ARGUMENT, MOBILENET_ERROR_BUFFER_TOO_SMALL,
                   mobilenet_model_run(model, input, 0, h, w, logits, 0));
    CHECK(memcmp(logits, saved, CLASSES * sizeof(float)) == 0);
    RUN_FAILS(MOBILENET_ERROR_BUFFER_TOO_SMALL, model, input, 1, h, w, logits, CLASSES - 1);
    /* After all these failures the model still works. */
    EXPECT_OK(mobilenet_model_run(model, input, 1, g_run_size, g_run_size, logits, CLASSES));
#undef RUN_FAILS
    free(input);
    free(logits);
    free(saved);
}

/* ======================================================================== */
/* mobilenet_model_classify_rgb8                                             */
/* ======================================================================== */

/* Checks a prediction list: order, ranges, labels. */
static void check_predictions(const char *what, mobilenet_model *model,
                              const mobilenet_prediction *p, int n) {
    int i, ok = 1;
    for (i = 0; i < n && ok; i++) {
        if (p[i].class_index < 0 || p[i].class_index >= CLASSES) {
            CHECKF(0, "%s: prediction %d has class %d", what, i, p[i].class_index);
            ok = 0;
        } else if (!(p[i].probability >= 0.0f && p[i].probability <= 1.0f)) {
            CHECKF(0, "%s: prediction %d has probability %g", what, i, (double)p[i].probability);
            ok = 0;
        } else if (p[i].label == NULL || p[i].label != mobilenet_model_label(model, p[i].class_index)) {
            CHECKF(0, "%s: prediction %d (class %d) label \"%s\" is not the model's label", what, i,
                   p[i].class_index, p[i].label != NULL ? p[i].label : "(NULL)");
            ok = 0;
        } else if (i > 0 && !(p[i - 1].probability > p[i].probability ||
                              (p[i - 1].probability == p[i].probability &&
                               p[i - 1].class_index < p[i].class_index))) {
            CHECKF(0, "%s: predictions %d (class %d, %g) and %d (class %d, %g) out of order", what,
                   i - 1, p[i - 1].class_index, (double)p[i - 1].probability, i, p[i].class_index,
                   (double)p[i].probability);
            ok = 0;
        }
    }
    CHECKF(ok, "%s: %d predictions well formed", what, n);
}

/* TF's resize_bilinear (align_corners = false, half_pixel_centers = false)
 * of the central crop, normalized to [-1, 1]: what classify_rgb8 feeds the
 * network, computed independently in double precision. */
static void reference_preprocess(const uint8_t *rgb, int width, int height, size_t stride,
                                 float fraction, int size, float *out) {
    int off_y = (int)(((float)height - (float)height * fraction) / 2);
    int off_x = (int)(((float)width - (float)width * fraction) / 2);
    int crop_h = height - 2 * off_y, crop_w = width - 2 * off_x;
    double scale_y = (double)crop_h / size, scale_x = (double)crop_w / size;
    int y, x, c;
    for (y = 0; y < size; y++) {
        double in_y = y * scale_y;
        int y0 = (int)floor(in_y), y1 = y0 + 1 < crop_h ? y0 + 1 : crop_h - 1;
        double ly = in_y - y0;
        for (x = 0; x < size; x++) {
            double in_x = x * scale_x;
            int x0 = (int)floor(in_x), x1 = x0 + 1 < crop_w ? x0 + 1 : crop_w - 1;
            double lx = in_x - x0;
            for (c = 0; c < 3; c++) {
#define PX(yy, xx) ((double)rgb[(size_t)(off_y + (yy)) * stride + (size_t)(off_x + (xx)) * 3 + (size_t)c])
                double top = PX(y0, x0) + (PX(y0, x1) - PX(y0, x0)) * lx;
                double bottom = PX(y1, x0) + (PX(y1, x1) - PX(y1, x0)) * lx;
                double v = top + (bottom - top) * ly;
#undef PX
                *out++ = (float)((v - 127.5) / 127.5);
            }
        }
    }
}

/* classify_rgb8 (all classes) agrees with softmax(run(reference preprocessing)). */
static void check_against_run(const char *what, mobilenet_model *model, const uint8_t *rgb,
                              int width, int height, size_t stride, float fraction) {
    float *input = xmalloc((size_t)224 * 224 * 3 * sizeof(float));
    float *logits = xmalloc(CLASSES * sizeof(float));
    double *probabilities = xmalloc(CLASSES * sizeof(double));
    mobilenet_prediction *all = xmalloc(CLASSES * sizeof *all);
    double worst = 0;
    int i, argmax = 0;
    reference_preprocess(rgb, width, height, stride, fraction, 224, input);
    if (EXPECT_OK(mobilenet_model_run(model, input, 1, 224, 224, logits, CLASSES)) &&
        EXPECT_OK(mobilenet_model_classify_rgb8(model, rgb, width, height, stride, CLASSES, all))) {
        softmax(logits, CLASSES, probabilities);
        for (i = 0; i < CLASSES; i++) {
            double d = fabs(probabilities[all[i].class_index] - (double)all[i].probability);
            if (!(d <= worst)) worst = d;
            if (logits[i] > logits[argmax]) argmax = i;
        }
        CHECKF(worst <= 2e-4,
               "%s: classify_rgb8 probabilities differ from softmax(run(reference preprocessing)) "
               "by up to %g (crop %g, resize, normalize)",
               what, worst, (double)fraction);
        CHECKF(probabilities[all[0].class_index] >= probabilities[argmax] - 2e-4,
               "%s: classify's top class %d (p %g) is not the logits' argmax %d (p %g)", what,
               all[0].class_index, probabilities[all[0].class_index], argmax, probabilities[argmax]);
    }
    free(input);
    free(logits);
    free(probabilities);
    free(all);
}

/* The default model's top 5 for make_rgb(300, 200, 900, 7), for other tests. */
static mobilenet_prediction g_top5[5];

static void test_classify(mobilenet_model *model) {
    const int w = 300, h = 200;
    uint8_t *rgb = make_rgb(w, h, (size_t)w * 3, 7);
    uint8_t *padded = make_rgb(w, h, (size_t)w * 3 + 13, 7);
    mobilenet_prediction top5[6], again[6], sentinel;
    mobilenet_prediction *all = xmalloc(CLASSES * sizeof *all);
    double sum = 0;
    int i, distinct = 1;
    char *seen;

    section("classify_rgb8");
    memset(&sentinel, 0x77, sizeof sentinel);
    top5[5] = sentinel;
    if (EXPECT_OK(mobilenet_model_classify_rgb8(model, rgb, w, h, (size_t)w * 3, 5, top5))) {
        check_predictions("top 5", model, top5, 5);
        CHECKF(memcmp(&top5[5], &sentinel, sizeof sentinel) == 0, "classify wrote past top_k");
        memcpy(g_top5, top5, sizeof g_top5);
    }
    /* Deterministic. */
    if (!g_quick && EXPECT_OK(mobilenet_model_classify_rgb8(model, rgb, w, h, (size_t)w * 3, 5, again)))
        CHECK(predictions_equal(top5, again, 5));
    /* row_stride > width * 3: the padding is ignored. */
    if (EXPECT_OK(mobilenet_model_classify_rgb8(model, padded, w, h, (size_t)w * 3 + 13, 5, again)))
        CHECKF(predictions_equal(top5, again, 5), "row_stride > width * 3 changes the result");
    /* top_k = 1 and top_k = all classes. */
    if (!g_quick && EXPECT_OK(mobilenet_model_classify_rgb8(model, rgb, w, h, (size_t)w * 3, 1, again)))
        CHECK(predictions_equal(top5, again, 1));
    if (EXPECT_OK(mobilenet_model_classify_rgb8(model, rgb, w, h, (size_t)w * 3, CLASSES, all))) {
        check_predictions("all classes", model, all, CLASSES);
        CHECK(predictions_equal(top5, all, 5));
        seen = calloc(CLASSES, 1);
        if (seen != NULL) {
            for (i = 0; i < CLASSES; i++) {
                sum += all[i].probability;
                if (all[i].class_index >= 0 && all[i].class_index < CLASSES) {
                    if (seen[all[i].class_index]) distinct = 0;
                    seen[all[i].class_index] = 1;
                }
            }
            free(seen);
        }
        CHECKF(distinct, "all-class predictions repeat a class");
        CHECKF(fabs(sum - 1.0) < 1e-3, "probabilities sum to %g", sum);
    }

    /* Extreme sizes and a flat image. */
    section("classify_rgb8: sizes");
    if (!g_quick) {
        static const int sizes[][2] = {{1, 1}, {2, 1}, {1, 3}, {65536, 1}, {1, 4000}, {224, 224}, {451, 300}};
        size_t k;
        for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            int sw = sizes[k][0], sh = sizes[k][1];
            uint8_t *img = make_rgb(sw, sh, (size_t)sw * 3, (uint32_t)k);
            char what[64];
            sprintf(what, "%dx%d image", sw, sh);
            if (EXPECT_OK(mobilenet_model_classify_rgb8(model, img, sw, sh, (size_t)sw * 3, 5, again)))
                check_predictions(what, model, again, 5);
            free(img);
        }
    }
    if (!g_quick) {
        uint8_t *gray = xmalloc((size_t)64 * 48 * 3);
        memset(gray, 128, (size_t)64 * 48 * 3);
        if (EXPECT_OK(mobilenet_model_classify_rgb8(model, gray, 64, 48, 64 * 3, 5, again)))
            check_predictions("gray image", model, again, 5);
        free(gray);
    }

    /* The preprocessing is TF-Slim's recipe: crop 0.875, bilinear, [-1, 1]. */
    section("classify_rgb8: preprocessing");
    {
        uint8_t *img = make_rgb(256, 256, 256 * 3, 3);
        check_against_run("256x256 (crop to exactly 224x224)", model, img, 256, 256, 256 * 3, 0.875f);
        free(img);
    }
    if (!g_quick) {
        check_against_run("300x200 stride 913", model, padded, w, h, (size_t)w * 3 + 13, 0.875f);
    }
    if (!g_quick) {
        uint8_t *img = make_rgb(451, 300, 451 * 3, 9);
        check_against_run("451x300", model, img, 451, 300, 451 * 3, 0.875f);
        free(img);
    }
    if (!g_quick) {
        uint8_t *img = make_rgb(100, 150, 100 * 3, 4); /* upsampling */
        check_against_run("100x150", model, img, 100, 150, 100 * 3, 0.875f);
        free(img);
    }
    free(rgb);
    free(padded);
    free(all);
}

typedef struct {
    mobilenet_model *model;
    const uint8_t *rgb;
    size_t row_stride;
    int status;
    char message[256];
} child_classify_args;

/* Runs classify_rgb8 in a child process, so that a crash (a missing check
 * of an overflowing size) is reported instead of ending the tests.
 * Returns the status, or -1 for a crash/timeout; *message_ok tells whether
 * the failure message was non-empty. The child reports through a pipe and
 * then kills itself: under valgrind a normal exit would run a leak check of
 * a forked copy whose library worker threads do not exist. */
static int classify_in_child(mobilenet_model *model, const uint8_t *rgb, int width, int height,
                             size_t row_stride, int *message_ok) {
    int fds[2], wstatus = 0;
    unsigned char result[2] = {255, 0};
    pid_t pid;
    fflush(stdout);
    if (pipe(fds) != 0) return -2;
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -2;
    }
    if (pid == 0) {
        mobilenet_prediction p[5];
        mobilenet_status s;
        unsigned char out[2];
        alarm(60);
        close(fds[0]);
        s = mobilenet_model_classify_rgb8(model, rgb, width, height, row_stride, 5, p);
        out[0] = (unsigned char)s;
        out[1] = mobilenet_last_error()[0] != '\0';
        if (write(fds[1], out, 2) != 2) _exit(3);
        kill(getpid(), SIGKILL);
        _exit(0);
    }
    close(fds[1]);
    if (read(fds[0], result, 2) != 2) result[0] = 255; /* crashed before answering */
    close(fds[0]);
    waitpid(pid, &wstatus, 0);
    *message_ok = result[1];
    if (result[0] == 255) return -1;
    return result[0];
}

static void test_classify_bad_args(mobilenet_model *model) {
    const int w = 64, h = 48;
    uint8_t *rgb = make_rgb(w, h, (size_t)w * 3, 1);
    mobilenet_prediction p[CLASSES + 1], pristine[CLASSES + 1];
    size_t stride = (size_t)w * 3;
    size_t i;
    static const int bad_dim[] = {0, -1, 65537, INT_MIN, INT_MAX};
    static const int bad_k[] = {0, -1, CLASSES + 1, INT_MIN, INT_MAX};

    section("classify_rgb8: bad arguments");
    memset(pristine, 0x77, sizeof pristine);
    memcpy(p, pristine, sizeof p);
#define CLASSIFY_FAILS(m, img, ww, hh, rs, k, out)                                              \
    do {                                                                                        \
        EXPECT_INVALID(mobilenet_model_classify_rgb8(m, img, ww, hh, rs, k, out));              \
        CHECKF(memcmp(p, pristine, sizeof p) == 0, "a failed classify wrote predictions");      \
    } while (0)
    CLASSIFY_FAILS(NULL, rgb, w, h, stride, 5, p);
    CLASSIFY_FAILS(model, NULL, w, h, stride, 5, p);
    CLASSIFY_FAILS(model, rgb, w, h, stride, 5, NULL);
    for (i = 0; i < sizeof bad_dim / sizeof bad_dim[0]; i++) {
        CLASSIFY_FAILS(model, rgb, bad_dim[i], h, stride, 5, p);
        CLASSIFY_FAILS(model, rgb, w, bad_dim[i], stride, 5, p);
    }
    CLASSIFY_FAILS(model, rgb, w, h, stride - 1, 5, p);
    CLASSIFY_FAILS(model, rgb, w, h, (size_t)w, 5, p);
    CLASSIFY_FAILS(model, rgb, w, h, 0, 5, p);
    for (i = 0; i < sizeof bad_k / sizeof bad_k[0]; i++) CLASSIFY_FAILS(model, rgb, w, h, stride, bad_k[i], p);
#undef CLASSIFY_FAILS
    /* An overflowing image size (row_stride * height) must be rejected, not
     * read: run in a child process in case it is not. */
    {
        static const struct {
            size_t stride;
            int height;
        } overflow[] = {{(size_t)-1, 2}, {(size_t)-1 / 2 + 1, 3}, {(size_t)-1 / 3, 4}};
        for (i = 0; i < sizeof overflow / sizeof overflow[0]; i++) {
            int message_ok = 0;
            int status = classify_in_child(model, rgb, 1, overflow[i].height, overflow[i].stride,
                                           &message_ok);
            CHECKF(status == MOBILENET_ERROR_INVALID_ARGUMENT && message_ok,
                   "classify with row_stride %lu and height %d (size overflows): %s %d, message %s",
                   (unsigned long)overflow[i].stride, overflow[i].height,
                   status < 0 ? "crashed or hung" : "status", status, message_ok ? "set" : "empty");
        }
    }
    free(rgb);
}

/* ======================================================================== */
/* Loading from memory, from a deleted file, options                         */
/* ======================================================================== */

static void test_load_memory(mobilenet_model *model, const unsigned char *bytes, size_t size,
                             const float *reference_logits) {
    unsigned char *copy = xmalloc(size);
    mobilenet_model *from_memory = NULL;
    uint32_t seed = 11;
    float *input = make_input(1, g_run_size, g_run_size, &seed);
    float *logits = xmalloc(CLASSES * sizeof(float));
    uint8_t *rgb = make_rgb(300, 200, 900, 7);
    mobilenet_prediction a[5];
    mobilenet_info info;

    section("load_memory");
    memcpy(copy, bytes, size);
    EXPECT_OK(mobilenet_model_load_memory(copy, size, NULL, &from_memory));
    memset(copy, 0xFF, size); /* the model must not depend on the buffer */
    free(copy);
    if (CHECK(from_memory != NULL)) {
        CHECK(mobilenet_model_num_classes(from_memory) == CLASSES);
        CHECK(mobilenet_model_label(from_memory, 0) != NULL &&
              strcmp(mobilenet_model_label(from_memory, 0), "background") == 0);
        CHECK(mobilenet_model_label(from_memory, 1000) != NULL &&
              mobilenet_model_label(model, 1000) != NULL &&
              strcmp(mobilenet_model_label(from_memory, 1000), mobilenet_model_label(model, 1000)) == 0);
        info.struct_size = sizeof info;
        EXPECT_OK(mobilenet_model_info(from_memory, &info));
        if (EXPECT_OK(mobilenet_model_run(from_memory, input, 1, g_run_size, g_run_size, logits, CLASSES)))
            CHECKF(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0,
                   "model from memory gives other logits than from the file (max |diff| %g)",
                   max_abs_diff(logits, reference_logits, CLASSES));
        if (!g_quick && EXPECT_OK(mobilenet_model_classify_rgb8(from_memory, rgb, 300, 200, 900, 5, a))) {
            int i, same = 1;
            for (i = 0; i < 5; i++)
                if (a[i].class_index != g_top5[i].class_index ||
                    a[i].probability != g_top5[i].probability || a[i].label == NULL ||
                    g_top5[i].label == NULL || strcmp(a[i].label, g_top5[i].label) != 0)
                    same = 0;
            CHECKF(same, "classify differs between models from memory and from the file");
        }
        mobilenet_model_free(from_memory);
    }
    free(input);
    free(logits);
    free(rgb);
}

static void test_deleted_file(const unsigned char *bytes, size_t size, const float *reference_logits) {
    char *path = write_temp_file(bytes, size);
    mobilenet_model *model = NULL;
    uint32_t seed = 11;
    float *input, *logits;
    section("load from a file deleted afterwards");
    if (!CHECK(path != NULL)) return;
    EXPECT_OK(mobilenet_model_load(path, NULL, &model));
    {
        /* Overwrite, then delete the file. */
        FILE *f = fopen(path, "r+b");
        if (f != NULL) {
            static const char junk[64] = "junk";
            fwrite(junk, 1, sizeof junk, f);
            fclose(f);
        }
    }
    unlink(path);
    free(path);
    if (!CHECK(model != NULL)) return;
    input = make_input(1, g_run_size, g_run_size, &seed);
    logits = xmalloc(CLASSES * sizeof(float));
    if (EXPECT_OK(mobilenet_model_run(model, input, 1, g_run_size, g_run_size, logits, CLASSES)))
        CHECK(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0);
    mobilenet_model_free(model);
    free(input);
    free(logits);
}

/* num_threads does not change results; crop_fraction does what it says. */
static void test_options(const char *model_path, mobilenet_model *model, const float *reference_logits) {
    mobilenet_options options;
    mobilenet_model *one = NULL;
    uint32_t seed = 11;
    float *input = make_input(1, g_run_size, g_run_size, &seed);
    float *logits = xmalloc(CLASSES * sizeof(float));
    uint8_t *rgb = make_rgb(300, 200, 900, 7);
    uint8_t *square = make_rgb(224, 224, 224 * 3, 8);
    mobilenet_prediction a[5];

    section("options: one thread, whole image");
    mobilenet_options_init(&options);
    options.num_threads = 1;
    options.crop_fraction = 1.0f;
    if (EXPECT_OK(mobilenet_model_load(model_path, &options, &one)) && CHECK(one != NULL)) {
        if (EXPECT_OK(mobilenet_model_run(one, input, 1, g_run_size, g_run_size, logits, CLASSES)))
            CHECKF(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0,
                   "num_threads 1 and 0 give different logits (max |diff| %g)",
                   max_abs_diff(logits, reference_logits, CLASSES));
        CHECK(mobilenet_model_num_classes(one) == mobilenet_model_num_classes(model));
        if (!g_quick) {
            /* crop 1: a 224x224 image goes to the network untouched. */
            check_against_run("crop 1.0, 224x224", one, square, 224, 224, 224 * 3, 1.0f);
            check_against_run("crop 1.0, 300x200", one, rgb, 300, 200, 900, 1.0f);
            if (EXPECT_OK(mobilenet_model_classify_rgb8(one, rgb, 300, 200, 900, 5, a)))
                CHECKF(a[0].probability != g_top5[0].probability ||
                           a[1].probability != g_top5[1].probability,
                       "crop_fraction 1.0 and the default give the same result");
        }
        mobilenet_model_free(one);
    }
    if (!g_quick) {
        static const struct {
            int threads;
            float crop;
        } variants[] = {{3, 0.875f}, {2, 0.0f}};
        size_t i;
        section("options: more threads, explicit default crop");
        for (i = 0; i < sizeof variants / sizeof variants[0]; i++) {
            mobilenet_model *other = NULL;
            mobilenet_options_init(&options);
            options.num_threads = variants[i].threads;
            options.crop_fraction = variants[i].crop;
            if (!EXPECT_OK(mobilenet_model_load(model_path, &options, &other)) || !CHECK(other != NULL))
                continue;
            if (EXPECT_OK(mobilenet_model_run(other, input, 1, g_run_size, g_run_size, logits, CLASSES)))
                CHECKF(memcmp(logits, reference_logits, CLASSES * sizeof(float)) == 0,
                       "num_threads %d gives other logits (max |diff| %g)", variants[i].threads,
                       max_abs_diff(logits, reference_logits, CLASSES));
            if (EXPECT_OK(mobilenet_model_classify_rgb8(other, rgb, 300, 200, 900, 5, a)))
                CHECKF(predictions_equal_values(a, g_top5, 5),
                       "crop %g (threads %d) differs from the default", (double)variants[i].crop,
                       variants[i].threads);
            mobilenet_model_free(other);
        }
    }
    free(input);
    free(logits);
    free(rgb);
    free(square);
}

/* ======================================================================== */
/* Many threads, one model                                                   */
/* ======================================================================== */

typedef struct {
    mobilenet_model *model;
    int iterations;
    int width, height;      /* classify input */
    uint8_t *rgb;
    int run_h, run_w;       /* run input (a per-thread size) */
    float *input;
    mobilenet_prediction expected[5];
    float *expected_logits;
    /* results */
    int failures;           /* non-OK statuses or messages not "" */
    int mismatches;         /* results differing from the sequential ones */
} thread_job;

static void *classify_thread(void *arg) {
    thread_job *job = arg;
    mobilenet_prediction got[5];
    float *logits = malloc(CLASSES * sizeof(float));
    int i;
    if (logits == NULL) {
        job->failures++;
        return NULL;
    }
    for (i = 0; i < job->iterations; i++) {
        if (mobilenet_model_classify_rgb8(job->model, job->rgb, job->width, job->height,
                                          (size_t)job->width * 3, 5, got) != MOBILENET_OK ||
            mobilenet_last_error()[0] != '\0')
            job->failures++;
        else if (!predictions_equal(got, job->expected, 5) ||
                 mobilenet_model_label(job->model, got[0].class_index) != got[0].label)
            job->mismatches++;
        if (i % 2 == 0 || g_quick) {
            if (mobilenet_model_run(job->model, job->input, 1, job->run_h, job->run_w, logits,
                                    CLASSES) != MOBILENET_OK)
                job->failures++;
            else if (memcmp(logits, job->expected_logits, CLASSES * sizeof(float)) != 0)
                job->mismatches++;
        }
        if (mobilenet_model_num_classes(job->model) != CLASSES) job->mismatches++;
    }
    free(logits);
    return NULL;
}

static void test_threads(mobilenet_model *model) {
    enum { MAX_THREADS = 8 };
    thread_job jobs[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    int started[MAX_THREADS];
    int n = g_quick ? 2 : 8, iterations = g_quick ? 1 : 20;
    int t;
    char what[64];

    sprintf(what, "%d threads x %d classifications, one model", n, iterations);
    section(what);
    memset(jobs, 0, sizeof jobs);
    for (t = 0; t < n; t++) {
        thread_job *job = &jobs[t];
        uint32_t seed = 100U + (uint32_t)t;
        job->model = model;
        job->iterations = iterations;
        job->width = g_quick ? 300 : 180 + 23 * t;
        job->height = g_quick ? 200 : 150 + 11 * t;
        job->rgb = make_rgb(job->width, job->height, (size_t)job->width * 3, g_quick ? 7 : seed);
        job->run_h = g_quick ? 16 + 8 * t : 96 + 8 * t;
        job->run_w = g_quick ? 24 - 4 * t : 128 - 4 * t;
        job->input = make_input(1, job->run_h, job->run_w, &seed);
        job->expected_logits = xmalloc(CLASSES * sizeof(float));
        /* The sequential answers (in quick mode, test_classify's). */
        if (g_quick)
            memcpy(job->expected, g_top5, sizeof g_top5);
        else
            EXPECT_OK(mobilenet_model_classify_rgb8(model, job->rgb, job->width, job->height,
                                                    (size_t)job->width * 3, 5, job->expected));
        EXPECT_OK(mobilenet_model_run(model, job->input, 1, job->run_h, job->run_w,
                                      job->expected_logits, CLASSES));
    }
    for (t = 0; t < n; t++) started[t] = pthread_create(&threads[t], NULL, classify_thread, &jobs[t]) == 0;
    for (t = 0; t < n; t++)
        if (started[t]) pthread_join(threads[t], NULL);
    for (t = 0; t < n; t++) {
        CHECKF(started[t], "thread %d not started", t);
        CHECKF(jobs[t].failures == 0, "thread %d: %d calls failed or left a message", t, jobs[t].failures);
        CHECKF(jobs[t].mismatches == 0, "thread %d: %d results differ from the sequential ones", t,
               jobs[t].mismatches);
        free(jobs[t].rgb);
        free(jobs[t].input);
        free(jobs[t].expected_logits);
    }
}

/* ======================================================================== */

/* ======================================================================== */
/* Growth: older struct sizes, layers by index, kernel tiers                 */
/* ======================================================================== */

/* Every struct_size from 0.1.0's to today's: accepted, only that prefix written. */
static void test_struct_size_prefixes(mobilenet_model *model) {
    size_t first = offsetof(mobilenet_info, total_layers), size;
    mobilenet_info full, info;
    section("struct_size: every size from 0.1.0's to today's");
    memset(&full, 0, sizeof full);
    full.struct_size = sizeof full;
    if (!EXPECT_OK(mobilenet_model_info(model, &full))) return;
    CHECKF(full.total_layers == full.num_layers && full.total_layers == 29, "total_layers %d, num_layers %d",
           full.total_layers, full.num_layers);
    CHECKF(full.isa == mobilenet_model_isa(model), "info.isa %d, model_isa %d", (int)full.isa,
           (int)mobilenet_model_isa(model));
    for (size = first; size <= sizeof info; size++) {
        memset(&info, 0x5A, sizeof info);
        info.struct_size = size;
        if (!EXPECT_OK(mobilenet_model_info(model, &info))) continue;
        CHECKF(memcmp((char *)&info + sizeof info.struct_size, (char *)&full + sizeof full.struct_size,
                      size - sizeof info.struct_size) == 0 && info.struct_size == size,
               "struct_size %lu: the prefix differs from a full info", (unsigned long)size);
        if (size < sizeof info)
            CHECKF(((unsigned char *)&info)[size] == 0x5A, "struct_size %lu: wrote byte %lu", (unsigned long)size,
                   (unsigned long)size);
    }
    if (!g_quick) { /* a load of the bundled model: minutes under valgrind */
        mobilenet_options options;
        mobilenet_model *m = NULL;
        mobilenet_options_init(&options);
        CHECK(options.max_isa == MOBILENET_ISA_AUTO);
        options.struct_size = offsetof(mobilenet_options, max_isa);
        options.max_isa = (mobilenet_isa)12345; /* past the caller's size: must be ignored */
        options.num_threads = 1;
        if (EXPECT_OK(mobilenet_model_load_memory(g_model_bytes, g_model_size, &options, &m))) {
            CHECK(mobilenet_model_isa(m) == mobilenet_best_isa());
            mobilenet_model_free(m);
        }
    }
}

static int same_row(const mobilenet_layer_info *a, const mobilenet_layer_info *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

static void test_layers_by_index(mobilenet_model *model) {
    mobilenet_info info;
    mobilenet_layer_info row, pristine;
    int i, n;
    section("layers by index");
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (!EXPECT_OK(mobilenet_model_info(model, &info))) return;
    n = mobilenet_model_num_layers(model);
    CHECKF(n == info.total_layers, "num_layers %d, info.total_layers %d", n, info.total_layers);
    CHECK(mobilenet_model_num_layers(NULL) == 0);
    for (i = 0; i < n; i++) {
        memset(&row, 0, sizeof row);
        if (EXPECT_OK(mobilenet_model_layer(model, i, &row)) && i < MOBILENET_MAX_LAYERS)
            CHECKF(same_row(&row, &info.layers[i]), "model_layer(%d) differs from info.layers[%d]", i, i);
    }
    memset(&pristine, 0x5A, sizeof pristine);
    row = pristine;
    EXPECT_INVALID(mobilenet_model_layer(model, n, &row));
    EXPECT_INVALID(mobilenet_model_layer(model, -1, &row));
    EXPECT_INVALID(mobilenet_model_layer(model, INT_MIN, &row));
    EXPECT_INVALID(mobilenet_model_layer(NULL, 0, &row));
    CHECK(same_row(&row, &pristine));
    EXPECT_INVALID(mobilenet_model_layer(model, 0, NULL));

    /* describe: the same rows; the shallow and full variants too. */
    CHECK(mobilenet_describe_num_layers(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1001) == n);
    CHECK(mobilenet_describe_num_layers(MOBILENET_VARIANT_FULL_CONV, 1.0f, 224, 1000) == 16);
    CHECK(mobilenet_describe_num_layers(MOBILENET_VARIANT_SHALLOW, 1.0f, 224, 1000) == 19);
    CHECK(mobilenet_describe_num_layers(MOBILENET_VARIANT_SEPARABLE, NAN, 224, 1000) == 0);
    CHECK(mobilenet_describe_num_layers((mobilenet_variant)7, 1.0f, 224, 1000) == 0);
    CHECK(mobilenet_describe_num_layers(MOBILENET_VARIANT_SEPARABLE, 1.0f, 0, 1000) == 0);
    for (i = 0; i < n; i++) {
        mobilenet_layer_info mine;
        if (EXPECT_OK(mobilenet_describe_layer(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1001, i, &row)) &&
            EXPECT_OK(mobilenet_model_layer(model, i, &mine)))
            CHECKF(same_row(&row, &mine), "describe_layer(%d) differs from model_layer(%d)", i, i);
    }
    row = pristine;
    EXPECT_INVALID(mobilenet_describe_layer(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1001, n, &row));
    EXPECT_INVALID(mobilenet_describe_layer(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1001, -1, &row));
    EXPECT_INVALID(mobilenet_describe_layer(MOBILENET_VARIANT_SEPARABLE, 0.0f, 224, 1001, 0, &row));
    EXPECT_INVALID(mobilenet_describe_layer((mobilenet_variant)-1, 1.0f, 224, 1001, 0, &row));
    CHECK(same_row(&row, &pristine));
    EXPECT_INVALID(mobilenet_describe_layer(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1001, 0, NULL));
}

static void test_isa(mobilenet_model *model) {
    mobilenet_isa best = mobilenet_best_isa(), isa;
    section("kernel tiers");
    CHECKF(best == MOBILENET_ISA_GENERIC || best == MOBILENET_ISA_AVX2 || best == MOBILENET_ISA_AVX512 ||
               best == MOBILENET_ISA_NEON, "best_isa %d", (int)best);
    CHECKF(mobilenet_model_isa(model) == best, "the default load runs %s, best is %s",
           mobilenet_isa_name(mobilenet_model_isa(model)), mobilenet_isa_name(best));
    CHECK(mobilenet_model_isa(NULL) == MOBILENET_ISA_AUTO);
    CHECK(strcmp(mobilenet_isa_name(MOBILENET_ISA_AVX512), "avx512") == 0);
    CHECK(strcmp(mobilenet_isa_name(MOBILENET_ISA_AUTO), "auto") == 0);
    CHECK(strcmp(mobilenet_isa_name((mobilenet_isa)99), "unknown") == 0);
    /* Every tier up to the best loads and reports itself; the others fail. */
    for (isa = MOBILENET_ISA_GENERIC; isa <= MOBILENET_ISA_NEON; isa = (mobilenet_isa)(isa + 1)) {
        mobilenet_options options;
        mobilenet_model *m = SENTINEL_MODEL;
        mobilenet_status status;
        int runnable = best == MOBILENET_ISA_NEON ? isa == MOBILENET_ISA_NEON
                                                  : (isa != MOBILENET_ISA_NEON && isa <= best);
        if (g_quick && runnable && isa != best) continue; /* loads are slow under valgrind */
        mobilenet_options_init(&options);
        options.num_threads = 1;
        options.max_isa = isa;
        status = mobilenet_model_load_memory(g_model_bytes, g_model_size, &options, &m);
        if (runnable) {
            if (EXPECT_OK(status)) {
                CHECKF(mobilenet_model_isa(m) == isa, "max_isa %s loaded %s", mobilenet_isa_name(isa),
                       mobilenet_isa_name(mobilenet_model_isa(m)));
                mobilenet_model_free(m);
            }
        } else {
            EXPECT_STATUS(MOBILENET_ERROR_UNSUPPORTED, status);
            CHECK(m == SENTINEL_MODEL);
        }
    }
    {
        mobilenet_options options;
        mobilenet_model *m = SENTINEL_MODEL;
        mobilenet_options_init(&options);
        options.max_isa = (mobilenet_isa)-3;
        EXPECT_STATUS(MOBILENET_ERROR_UNSUPPORTED,
                      mobilenet_model_load_memory(g_model_bytes, g_model_size, &options, &m));
        CHECK(m == SENTINEL_MODEL);
    }
}

static void test_embed(mobilenet_model *model) {
    int d = mobilenet_model_embedding_size(model), i;
    float *x, *e, *e2, guard[4];
    unsigned char rgb[40 * 30 * 3];
    section("embeddings");
    CHECKF(d == 1024, "embedding_size %d", d);
    CHECK(mobilenet_model_embedding_size(NULL) == 0);
    if (d != 1024) return;
    x = calloc((size_t)2 * 96 * 96 * 3, sizeof(float));
    e = malloc((size_t)2 * (size_t)d * sizeof(float));
    e2 = malloc((size_t)d * sizeof(float));
    if (!CHECK(x && e && e2)) { free(x); free(e); free(e2); return; }
    for (i = 0; i < 2 * 96 * 96 * 3; i++) x[i] = (float)((i * 37) % 200) / 100.0f - 1.0f;
    if (EXPECT_OK(mobilenet_model_embed(model, x, 2, 96, 96, e, (size_t)2 * (size_t)d))) {
        int finite = 1, nonneg = 1;
        for (i = 0; i < 2 * d; i++) { finite &= isfinite(e[i]) != 0; nonneg &= e[i] >= 0 && e[i] <= 6; }
        CHECKF(finite && nonneg, "embeddings are means of ReLU6 outputs: finite, in [0, 6]");
        /* The second image alone gives the same bits. */
        if (EXPECT_OK(mobilenet_model_embed(model, x + 96 * 96 * 3, 1, 96, 96, e2, (size_t)d)))
            CHECK(memcmp(e + d, e2, (size_t)d * sizeof(float)) == 0);
    }
    EXPECT_STATUS(MOBILENET_ERROR_BUFFER_TOO_SMALL, mobilenet_model_embed(model, x, 2, 96, 96, e, (size_t)2 * (size_t)d - 1));
    EXPECT_INVALID(mobilenet_model_embed(NULL, x, 1, 96, 96, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed(model, NULL, 1, 96, 96, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed(model, x, 1, 96, 96, NULL, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed(model, x, 0, 96, 96, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed(model, x, 1, 0, 96, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed(model, x, 1, 96, -5, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed(model, x, INT_MAX, 96, 96, e, (size_t)d));
    for (i = 0; i < 40 * 30 * 3; i++) rgb[i] = (unsigned char)(i * 13);
    if (EXPECT_OK(mobilenet_model_embed_rgb8(model, rgb, 40, 30, 40 * 3, e, (size_t)d)))
        CHECK(isfinite(e[0]) && e[0] >= 0);
    memcpy(guard, e, sizeof guard);
    EXPECT_STATUS(MOBILENET_ERROR_BUFFER_TOO_SMALL, mobilenet_model_embed_rgb8(model, rgb, 40, 30, 40 * 3, e, (size_t)d - 1));
    CHECK(memcmp(guard, e, sizeof guard) == 0);
    EXPECT_INVALID(mobilenet_model_embed_rgb8(NULL, rgb, 40, 30, 40 * 3, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed_rgb8(model, NULL, 40, 30, 40 * 3, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed_rgb8(model, rgb, 40, 30, 40 * 3, NULL, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed_rgb8(model, rgb, 40, 30, 40 * 3 - 1, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed_rgb8(model, rgb, 0, 30, 40 * 3, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed_rgb8(model, rgb, 40, -1, 40 * 3, e, (size_t)d));
    EXPECT_INVALID(mobilenet_model_embed_rgb8(model, rgb, 40, 30, (size_t)-1, e, (size_t)d));
    free(x);
    free(e);
    free(e2);
}

int main(int argc, char **argv) {
    const char *model_path = NULL;
    const char *env;
    mobilenet_model *model = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0;
    float reference_logits[CLASSES];

    setvbuf(stdout, NULL, _IOLBF, 0); /* progress visible even if a test crashes */
    env = getenv("MOBILENET_TEST_QUICK");
    g_quick = env != NULL && env[0] != '\0' && strcmp(env, "0") != 0;
    if (g_quick) g_run_size = 32;
    env = getenv("MOBILENET_TEST_VERBOSE");
    g_verbose = env != NULL && env[0] != '\0' && strcmp(env, "0") != 0;
    if (argc > 2) {
        printf("usage: %s [MODEL]\n", argv[0]);
        return 2;
    }
    if (argc == 2)
        model_path = argv[1];
    else if ((env = getenv("MOBILENET_MODEL")) != NULL && env[0] != '\0')
        model_path = env;
    else
        model_path = "models/mobilenet_v1_1.0_224.safetensors";
    printf("test_api: libmobilenet %s, model %s%s\n", mobilenet_version(), model_path,
           g_quick ? " (quick)" : "");
    fflush(stdout);

    /* No model needed. */
    test_version();
    test_status_strings();
    test_options_init();
    test_last_error_basics();
    test_last_error_threads();
    test_describe();
    test_describe_bad_args();

    bytes = read_file(model_path, &size);
    section("the bundled model");
    if (!CHECKF(bytes != NULL, "cannot read %s", model_path)) goto done;
    test_load_errors(model_path, bytes, size);
    section("load the bundled model");
    if (!EXPECT_OK(mobilenet_model_load(model_path, NULL, &model)) || !CHECK(model != NULL)) goto done;

    test_classes_and_labels(model);
    test_model_info(model);
    test_run(model, reference_logits);
    test_run_bad_args(model);
    test_classify(model);
    test_classify_bad_args(model);
    test_load_memory(model, bytes, size, reference_logits);
    if (!g_quick) test_deleted_file(bytes, size, reference_logits);
    test_options(model_path, model, reference_logits);
    test_threads(model);
    g_model_bytes = bytes;
    g_model_size = size;
    test_struct_size_prefixes(model);
    test_layers_by_index(model);
    test_isa(model);
    test_embed(model);

done:
    mobilenet_model_free(model);
    free(bytes);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
