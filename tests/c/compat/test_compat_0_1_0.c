/*
 * test_compat_0_1_0.c -- an application built against the 0.1.0 header
 * (tests/c/compat/0.1.0/mobilenet.h, the header of git 669471f, the last
 * 0.1.0 release) runs against the current library: the options and info
 * structs it knows are smaller than today's, and the library must accept
 * them, default the fields it lacks and write no byte past its struct.
 *
 * Build: cc -I tests/c/compat/0.1.0 test_compat_0_1_0.c -lmobilenet
 * Usage: test_compat_0_1_0 MODEL   (prints "N passed, M failed" last)
 */
#include <mobilenet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MOBILENET_VERSION_NUMBER != 100
#error "this test must be compiled against the 0.1.0 header"
#endif

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf(" (%s)\n", mobilenet_last_error()); } } while (0)

/* An old struct followed by canary bytes the library must not touch. */
typedef struct { mobilenet_info info; unsigned char canary[256]; } guarded_info;

static int canary_intact(const unsigned char *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) if (bytes[i] != 0xA5) return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s MODEL\n", argv[0]); return 2; }
    CHECK(mobilenet_version_number() >= 200, "library version %d is not newer than the header", mobilenet_version_number());
    CHECK(strcmp(mobilenet_version(), MOBILENET_VERSION_STRING) != 0, "library reports %s", mobilenet_version());

    /* Options as 0.1.0 knew them. */
    mobilenet_options options;
    mobilenet_options_init(&options);
    CHECK(options.struct_size == sizeof(mobilenet_options), "options_init wrote struct_size %zu", options.struct_size);
    options.num_threads = 2;
    mobilenet_model *model = NULL;
    mobilenet_status status = mobilenet_model_load(argv[1], &options, &model);
    CHECK(status == MOBILENET_OK && model != NULL, "load with 0.1.0 options: status %d", (int)status);
    if (!model) { printf("%d passed, %d failed\n", passed, failed + 1); return 1; }

    /* A size below the first release is still refused. */
    mobilenet_options tiny = options;
    tiny.struct_size = sizeof(mobilenet_options) - 4;
    mobilenet_model *other = NULL;
    CHECK(mobilenet_model_load(argv[1], &tiny, &other) == MOBILENET_ERROR_INVALID_ARGUMENT && other == NULL,
          "a struct_size below 0.1.0's is refused");

    /* Inference through the old declarations. */
    int classes = mobilenet_model_num_classes(model);
    CHECK(classes == 1001, "num_classes %d", classes);
    size_t n = 224 * 224 * 3;
    float *input = malloc(n * sizeof(float));
    float *logits = malloc((size_t)classes * sizeof(float));
    for (size_t i = 0; i < n; i++) input[i] = (float)((i * 7919) % 255) / 127.5f - 1.0f;
    CHECK(mobilenet_model_run(model, input, 1, 224, 224, logits, (size_t)classes) == MOBILENET_OK, "run");
    unsigned char *rgb = malloc(64 * 48 * 3);
    for (int i = 0; i < 64 * 48 * 3; i++) rgb[i] = (unsigned char)(i * 31);
    mobilenet_prediction top[3];
    CHECK(mobilenet_model_classify_rgb8(model, rgb, 64, 48, 64 * 3, 3, top) == MOBILENET_OK, "classify");
    CHECK(top[0].probability >= top[1].probability && top[0].label != NULL, "classify results ordered, labelled");

    /* Info structs of 0.1.0's size: filled, nothing written past them. */
    guarded_info g;
    memset(&g, 0xA5, sizeof g);
    g.info.struct_size = sizeof(mobilenet_info);
    CHECK(mobilenet_model_info(model, &g.info) == MOBILENET_OK, "model_info with the 0.1.0 struct");
    CHECK(g.info.struct_size == sizeof(mobilenet_info), "struct_size kept: %zu", g.info.struct_size);
    CHECK(g.info.num_layers == 29 && g.info.resolution == 224 && g.info.num_classes == 1001,
          "info: %d layers, resolution %d, %d classes", g.info.num_layers, g.info.resolution, g.info.num_classes);
    CHECK(g.info.mult_adds == 568740352 || g.info.mult_adds > 560000000, "mult_adds %lld", (long long)g.info.mult_adds);
    CHECK(strcmp(g.info.layers[0].name, "Conv2d_0") == 0, "first layer %s", g.info.layers[0].name);
    CHECK(canary_intact(g.canary, sizeof g.canary), "model_info wrote past the 0.1.0 struct");

    memset(&g, 0xA5, sizeof g);
    g.info.struct_size = sizeof(mobilenet_info);
    CHECK(mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 0.5f, 160, 1000, &g.info) == MOBILENET_OK, "describe");
    CHECK(g.info.num_layers == 29 && g.info.mult_adds > 0, "describe: %d layers", g.info.num_layers);
    CHECK(canary_intact(g.canary, sizeof g.canary), "describe wrote past the 0.1.0 struct");

    free(rgb);
    free(logits);
    free(input);
    mobilenet_model_free(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
