/*
 * test_quantize.c -- mobilenet_quantize and its options (since 0.5.0):
 * defaults and struct_size rules of mobilenet_quantize_options; every bad
 * argument refused with its status and a message, nothing left at the output
 * path; a real quantization of the α0.25/128 fixture model that loads as
 * INT8 with the float model's classes and labels, runs, gives the same
 * bytes at 1 and 2 calibration threads, replaces an existing file, and
 * leaves no temporary file (tests/c/run.sh runs this under valgrind too,
 * with MOBILENET_TEST_QUICK=1).
 *
 * Usage: test_quantize MODEL.safetensors FIXTURE_DIR (tests/fixtures/tflite)
 */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    }
    closedir(d);
    return n;
}

static uint32_t lcg(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* A status and a message naming the function, nothing at out. */
static void expect_refused(mobilenet_status status, mobilenet_status expected, const char *out, int line) {
    t_status(status, expected, "mobilenet_quantize", __FILE__, line, "mobilenet_quantize");
    t_check(!exists(out), __FILE__, line, "nothing written at %s", out);
}

int main(int argc, char **argv) {
    char small[4096], tflite[4096], dir[] = "/tmp/mobilenet_test_quantize_XXXXXX", out[4200], out2[4200],
         junk[4200], missing[4300];
    const int side = 128, count = 4;
    float *images;
    size_t n = (size_t)count * side * side * 3, i;
    uint32_t seed = 7;
    mobilenet_quantize_options o;
    mobilenet_model *q = NULL, *f = NULL;
    int quick = getenv("MOBILENET_TEST_QUICK") != NULL;
    (void)quick;
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    snprintf(small, sizeof small, "%s/mobilenet_v1_0.25_128.safetensors", argv[2]);
    snprintf(tflite, sizeof tflite, "%s/mobilenet_v1_0.25_128_int8.tflite", argv[2]);
    if (mkdtemp(dir) == NULL) return 2;
    snprintf(out, sizeof out, "%s/q.tflite", dir);
    snprintf(out2, sizeof out2, "%s/q2.tflite", dir);
    snprintf(junk, sizeof junk, "%s/junk.safetensors", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/q.tflite", dir);

    images = (float *)malloc(n * sizeof(float));
    for (i = 0; i < n; i++) images[i] = (float)(lcg(&seed) % 2001) / 1000.0f - 1.0f;

    /* Options: defaults, sizes. */
    CHECK(mobilenet_quantize_options_init_sized(NULL, sizeof o) == MOBILENET_ERROR_INVALID_ARGUMENT);
    memset(&o, 0xAB, sizeof o);
    CHECK(mobilenet_quantize_options_init_sized(&o, 8) == MOBILENET_ERROR_INVALID_ARGUMENT);
    CHECK(o.struct_size == (size_t)0xABABABABABABABABull);
    CHECK(mobilenet_quantize_options_init_sized(&o, sizeof o + 8) == MOBILENET_ERROR_INVALID_ARGUMENT);
    mobilenet_quantize_options_init(&o);
    CHECK(o.struct_size == sizeof o && o.num_threads == 0 && o.method == MOBILENET_CALIBRATION_MINMAX);
    CHECK(o.percentile == 99.99 && o.bias_correction == 1 && o.logits_headroom == 1.5);
    mobilenet_quantize_options_init(NULL); /* ignored */

    /* Bad arguments. */
    expect_refused(mobilenet_quantize(NULL, images, count, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize("", images, count, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, NULL, count, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, count, side, side, NULL, NULL),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, count, side, side, NULL, ""),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, 0, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, -1, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, 100001, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, 1, 0, 0, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, 1, -5, -5, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, 1, 4097, 4097, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, 1, 64, 32, NULL, out),
                   MOBILENET_ERROR_UNSUPPORTED, out, __LINE__);
    expect_refused(mobilenet_quantize(tflite, images, count, side, side, NULL, out),
                   MOBILENET_ERROR_UNSUPPORTED, out, __LINE__);
    expect_refused(mobilenet_quantize(missing, images, count, side, side, NULL, out),
                   MOBILENET_ERROR_IO, out, __LINE__);
    {
        FILE *j = fopen(junk, "wb");
        fputs("this is not a model file, but it is long enough to have a header", j);
        fclose(j);
    }
    expect_refused(mobilenet_quantize(junk, images, count, side, side, NULL, out),
                   MOBILENET_ERROR_FORMAT, out, __LINE__);
    expect_refused(mobilenet_quantize(small, images, count, side, side, NULL, missing),
                   MOBILENET_ERROR_IO, missing, __LINE__);
    images[5] = NAN;
    expect_refused(mobilenet_quantize(small, images, count, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    images[5] = INFINITY;
    expect_refused(mobilenet_quantize(small, images, count, side, side, NULL, out),
                   MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
    images[5] = 0.5f;
    {
        struct { const char *what; mobilenet_quantize_options options; } bad[9];
        int b;
        for (b = 0; b < 9; b++) mobilenet_quantize_options_init(&bad[b].options);
        bad[0].options.method = (mobilenet_calibration)7;
        bad[1].options.percentile = 49.0;
        bad[2].options.percentile = NAN;
        bad[3].options.bias_correction = 2;
        bad[4].options.logits_headroom = 0.5;
        bad[5].options.logits_headroom = NAN;
        bad[6].options.logits_headroom = 9.0;
        bad[7].options.num_threads = -1;
        bad[8].options.struct_size = 12;
        for (b = 0; b < 9; b++) {
            expect_refused(mobilenet_quantize(small, images, count, side, side, &bad[b].options, out),
                           MOBILENET_ERROR_INVALID_ARGUMENT, out, __LINE__);
        }
    }
    CHECK(count_prefixed(dir, "q.tflite") == 0);

    /* A real quantization. */
    mobilenet_quantize_options_init(&o);
    o.num_threads = 1;
    CHECK(mobilenet_quantize(small, images, count, side, side, &o, out) == MOBILENET_OK);
    CHECK(strcmp(mobilenet_last_error(), "") == 0);
    o.num_threads = 2;
    CHECK(mobilenet_quantize(small, images, count, side, side, &o, out2) == MOBILENET_OK);
    {
        size_t a_size = 0, b_size = 0;
        unsigned char *a = t_read_file(out, &a_size), *b = t_read_file(out2, &b_size);
        CHECK(a != NULL && b != NULL && a_size == b_size && a_size > 1000 && memcmp(a, b, a_size) == 0);
        CHECK(a != NULL && a_size > 8 && memcmp(a + 4, "TFL3", 4) == 0);
        free(a);
        free(b);
    }
    CHECK(count_prefixed(dir, "q.tflite.") == 0 && count_prefixed(dir, "q2.tflite.") == 0);
    CHECK(mobilenet_model_load(out, NULL, &q) == MOBILENET_OK);
    CHECK(mobilenet_model_load(small, NULL, &f) == MOBILENET_OK);
    if (q != NULL && f != NULL) {
        int classes = mobilenet_model_num_classes(f), c, same_labels = 1;
        float *lq = (float *)malloc(sizeof(float) * (size_t)classes * count);
        float *lf = (float *)malloc(sizeof(float) * (size_t)classes * count);
        CHECK(mobilenet_model_precision(q) == MOBILENET_PRECISION_INT8);
        CHECK(mobilenet_model_precision(f) == MOBILENET_PRECISION_FLOAT32);
        CHECK(mobilenet_model_num_classes(q) == classes);
        for (c = 0; c < classes; c++) {
            const char *a = mobilenet_model_label(q, c), *b = mobilenet_model_label(f, c);
            if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0)) same_labels = 0;
        }
        CHECK(same_labels);
        CHECK(mobilenet_model_run(q, images, count, side, side, lq, (size_t)classes * count) == MOBILENET_OK);
        CHECK(mobilenet_model_run(f, images, count, side, side, lf, (size_t)classes * count) == MOBILENET_OK);
        {
            /* The int8 logits follow the float ones: error well below their spread. */
            double max_diff = 0, lo = 1e30, hi = -1e30;
            int finite = 1;
            for (i = 0; i < (size_t)classes * count; i++) {
                if (!isfinite(lq[i])) finite = 0;
                if (fabs(lq[i] - lf[i]) > max_diff) max_diff = fabs(lq[i] - lf[i]);
                if (lf[i] < lo) lo = lf[i];
                if (lf[i] > hi) hi = lf[i];
            }
            CHECK(finite);
            CHECK(max_diff < 0.25 * (hi - lo));
            if (!(max_diff < 0.25 * (hi - lo))) printf("  max |int8 - float| %g, float range %g\n", max_diff, hi - lo);
        }
        free(lq);
        free(lf);
    }
    mobilenet_model_free(q);
    mobilenet_model_free(f);
    /* Replacing an existing file: the old one is gone, the new one loads. */
    {
        FILE *old = fopen(out2, "wb");
        fputs("old", old);
        fclose(old);
        o.method = MOBILENET_CALIBRATION_PERCENTILE;
        o.percentile = 99.0;
        CHECK(mobilenet_quantize(small, images, 1, side, side, &o, out2) == MOBILENET_OK);
        q = NULL;
        CHECK(mobilenet_model_load(out2, NULL, &q) == MOBILENET_OK);
        mobilenet_model_free(q);
        o.method = MOBILENET_CALIBRATION_MSE;
        o.bias_correction = 0;
        o.logits_headroom = 1.0;
        CHECK(mobilenet_quantize(small, images, 1, side, side, &o, out2) == MOBILENET_OK);
    }
    /* A smaller input size than the model's resolution. */
    CHECK(mobilenet_quantize(small, images, 2, 64, 64, NULL, out2) == MOBILENET_OK);
    q = NULL;
    CHECK(mobilenet_model_load(out2, NULL, &q) == MOBILENET_OK);
    {
        mobilenet_info info;
        info.struct_size = sizeof info;
        CHECK(q != NULL && mobilenet_model_info(q, &info) == MOBILENET_OK && info.resolution == 64);
    }
    mobilenet_model_free(q);

    unlink(out);
    unlink(out2);
    unlink(junk);
    rmdir(dir);
    free(images);
    return test_summary();
}
