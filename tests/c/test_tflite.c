/*
 * test_tflite.c -- .tflite files through the C API (since 0.4.0):
 * mobilenet_model_precision and _precision_name; each fixture file loaded
 * from its path and from memory, run, embedded and classified, with the same
 * bits at 1 and 2 threads and for a batch as image by image; and hostile
 * variants of a real file: every truncation point class (tables, vectors,
 * tensor data) and bytes corrupted at seeded random places must give FORMAT
 * or UNSUPPORTED with a message, leave out_model untouched and never crash
 * (tests/c/run.sh runs this under valgrind too, with MOBILENET_TEST_QUICK=1).
 *
 * Usage: test_tflite MODEL.safetensors FIXTURE_DIR (tests/fixtures/tflite)
 */
#include <mobilenet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, passes;

#define CHECK(cond) check((cond), #cond, __LINE__)
static void check(int ok, const char *what, int line) {
    if (ok) {
        passes++;
    } else {
        failures++;
        printf("FAIL line %d: %s (%s)\n", line, what, mobilenet_last_error());
    }
}

static unsigned char *read_file(const char *path, size_t *size) {
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

static uint32_t lcg(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static mobilenet_model *load(const char *path, int threads) {
    mobilenet_options options;
    mobilenet_model *model = NULL;
    mobilenet_options_init(&options);
    options.num_threads = threads;
    if (mobilenet_model_load(path, &options, &model) != MOBILENET_OK) return NULL;
    return model;
}

/* A file that must load: its precision, labels, runs at 1 and 2 threads. */
static void test_file(const char *dir, const char *name, mobilenet_precision precision, int classes, int side) {
    char path[4096];
    size_t size = 0, n, i;
    unsigned char *bytes;
    mobilenet_model *one, *two, *memory = NULL;
    float *input, *a, *b, *c, *embedding;
    unsigned char rgb[40 * 30 * 3];
    mobilenet_prediction top[3];
    int embedding_size;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    printf("  %s\n", name);
    one = load(path, 1);
    two = load(path, 2);
    CHECK(one != NULL && two != NULL);
    if (one == NULL || two == NULL) return;
    CHECK(mobilenet_model_precision(one) == precision);
    CHECK(mobilenet_model_num_classes(one) == classes);
    CHECK((mobilenet_model_label(one, 0) != NULL) == (classes == 1001));
    if (classes == 1001) CHECK(strcmp(mobilenet_model_label(one, 0), "background") == 0);

    bytes = read_file(path, &size);
    CHECK(bytes != NULL);
    if (bytes != NULL) {
        CHECK(mobilenet_model_load_memory(bytes, size, NULL, &memory) == MOBILENET_OK);
        memset(bytes, 0xA5, size); /* the model must not point into the caller's bytes */
        free(bytes);
    }

    n = (size_t)side * (size_t)side * 3;
    input = (float *)malloc(2 * n * sizeof(float));
    a = (float *)malloc(2 * (size_t)classes * sizeof(float));
    b = (float *)malloc(2 * (size_t)classes * sizeof(float));
    c = (float *)malloc(2 * (size_t)classes * sizeof(float));
    if (input == NULL || a == NULL || b == NULL || c == NULL) exit(2);
    for (i = 0; i < 2 * n; i++) input[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    CHECK(mobilenet_model_run(one, input, 2, side, side, a, 2 * (size_t)classes) == MOBILENET_OK);
    CHECK(mobilenet_model_run(two, input, 2, side, side, b, 2 * (size_t)classes) == MOBILENET_OK);
    CHECK(mobilenet_model_run(two, input, 1, side, side, c, (size_t)classes) == MOBILENET_OK);
    CHECK(mobilenet_model_run(two, input + n, 1, side, side, c + classes, (size_t)classes) == MOBILENET_OK);
    CHECK(memcmp(a, b, 2 * (size_t)classes * sizeof(float)) == 0);
    CHECK(memcmp(a, c, 2 * (size_t)classes * sizeof(float)) == 0);
    if (memory != NULL) {
        CHECK(mobilenet_model_run(memory, input, 1, side, side, c, (size_t)classes) == MOBILENET_OK);
        CHECK(memcmp(a, c, (size_t)classes * sizeof(float)) == 0);
        mobilenet_model_free(memory);
    }
    /* Another input size runs too (the pool is global, as for float models). */
    CHECK(mobilenet_model_run(one, input, 1, 9, 13, c, (size_t)classes) == MOBILENET_OK);

    embedding_size = mobilenet_model_embedding_size(one);
    CHECK(embedding_size > 0);
    embedding = (float *)malloc((size_t)embedding_size * sizeof(float));
    if (embedding == NULL) exit(2);
    CHECK(mobilenet_model_embed(one, input, 1, side, side, embedding, (size_t)embedding_size) == MOBILENET_OK);
    for (i = 0; i < sizeof rgb; i++) rgb[i] = (unsigned char)(i * 37);
    CHECK(mobilenet_model_classify_rgb8(one, rgb, 40, 30, 40 * 3, 3, top) == MOBILENET_OK);
    CHECK(top[0].probability >= top[1].probability && top[0].class_index >= 0 && top[0].class_index < classes);

    free(embedding);
    free(input);
    free(a);
    free(b);
    free(c);
    mobilenet_model_free(one);
    mobilenet_model_free(two);
}

static void expect_refused(const unsigned char *data, size_t size, const char *what) {
    mobilenet_model *model = (mobilenet_model *)&failures; /* a sentinel */
    mobilenet_status status = mobilenet_model_load_memory(data, size, NULL, &model);
    int ok = (status == MOBILENET_ERROR_FORMAT || status == MOBILENET_ERROR_UNSUPPORTED) &&
             model == (mobilenet_model *)&failures && mobilenet_last_error()[0] != '\0';
    if (!ok) printf("FAIL %s: status %d (%s)\n", what, (int)status, mobilenet_last_error());
    if (status == MOBILENET_OK && model != (mobilenet_model *)&failures) mobilenet_model_free(model);
    ok ? passes++ : failures++;
}

int main(int argc, char **argv) {
    int quick = getenv("MOBILENET_TEST_QUICK") != NULL;
    mobilenet_model *model;
    char path[4096];
    unsigned char *bytes, *copy;
    size_t size = 0, cut;
    uint32_t seed = 12345;
    int loaded = 0, refused = 0, k;

    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.safetensors FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    printf("precision\n");
    model = load(argv[1], 1);
    CHECK(model != NULL && mobilenet_model_precision(model) == MOBILENET_PRECISION_FLOAT32);
    mobilenet_model_free(model);
    CHECK(mobilenet_model_precision(NULL) == MOBILENET_PRECISION_UNKNOWN);
    CHECK(strcmp(mobilenet_precision_name(MOBILENET_PRECISION_FLOAT32), "float32") == 0);
    CHECK(strcmp(mobilenet_precision_name(MOBILENET_PRECISION_INT8), "int8") == 0);
    CHECK(strcmp(mobilenet_precision_name(MOBILENET_PRECISION_UINT8), "uint8") == 0);
    CHECK(strcmp(mobilenet_precision_name(MOBILENET_PRECISION_UNKNOWN), "unknown") == 0);
    CHECK(strcmp(mobilenet_precision_name((mobilenet_precision)77), "unknown") == 0);

    printf("fixture files\n");
    test_file(argv[2], "mobilenet_v1_0.25_128_float.tflite", MOBILENET_PRECISION_FLOAT32, 100, 128);
    test_file(argv[2], "mobilenet_v1_0.25_128_int8.tflite", MOBILENET_PRECISION_INT8, 100, 128);
    test_file(argv[2], "mobilenet_v1_0.25_128_uint8.tflite", MOBILENET_PRECISION_UINT8, 100, 128);
    if (!quick) test_file(argv[2], "mobilenet_v1_1.0_224_int8.tflite", MOBILENET_PRECISION_INT8, 1001, 224);

    printf("truncated and corrupted files\n");
    snprintf(path, sizeof path, "%s/%s", argv[2], "mobilenet_v1_0.25_128_int8.tflite");
    bytes = read_file(path, &size);
    CHECK(bytes != NULL && size > 4096);
    if (bytes == NULL) return 1;
    copy = (unsigned char *)malloc(size);
    if (copy == NULL) return 2;
    /* Every cut in the first 600 bytes (root, vtables, tables), then cuts spread over the rest. */
    for (cut = 0; cut < (quick ? 64u : 600u); cut++) expect_refused(bytes, cut, "a truncated file");
    for (k = 1; k < (quick ? 16 : 200); k++) {
        cut = 600 + (size - 601) * (size_t)k / (quick ? 16u : 200u);
        memcpy(copy, bytes, cut); /* an exact-size copy: a read past the end is valgrind's to see */
        expect_refused(copy, cut, "a truncated file");
    }
    /* Random bytes at random places: each must load cleanly or be refused. */
    for (k = 0; k < (quick ? 40 : 400); k++) {
        mobilenet_model *m = NULL;
        mobilenet_status status;
        int j, flips = 1 + (int)(lcg(&seed) % 4);
        memcpy(copy, bytes, size);
        for (j = 0; j < flips; j++) {
            /* Most of the structure is near the end (tables after the data). */
            size_t at = lcg(&seed) % 2 ? lcg(&seed) % 4096 : size - 1 - lcg(&seed) % 8192;
            copy[at] = (unsigned char)lcg(&seed);
        }
        status = mobilenet_model_load_memory(copy, size, NULL, &m);
        if (status == MOBILENET_OK) {
            size_t classes = (size_t)mobilenet_model_num_classes(m);
            float *x = (float *)calloc(16 * 16 * 3, sizeof(float));
            float *logits = (float *)malloc(classes * sizeof(float));
            loaded++;
            CHECK(x != NULL && logits != NULL && mobilenet_model_run(m, x, 1, 16, 16, logits, classes) == MOBILENET_OK);
            free(x);
            free(logits);
            mobilenet_model_free(m);
        } else {
            refused++;
            CHECK(status == MOBILENET_ERROR_FORMAT || status == MOBILENET_ERROR_UNSUPPORTED);
            CHECK(m == NULL);
        }
    }
    printf("  corrupted: %d loaded (data bytes), %d refused\n", loaded, refused);
    free(copy);
    free(bytes);
    printf("%d passed, %d failed\n", passes, failures);
    return failures != 0;
}
