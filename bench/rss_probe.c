/*
 * rss_probe.c -- the smallest C program that uses libmobilenet: loads a model
 * through the C API, classifies one synthetic 8-bit RGB image, frees the
 * model and exits. bench/bench.py runs it as a child process and reads its
 * peak resident set size (ru_maxrss), i.e. what libmobilenet costs an
 * application without any Python around it.
 *
 * Prints nothing on success; on failure, one line on stderr and exit 1.
 *
 * Build: cc -O2 -Iinclude bench/rss_probe.c -L.build/release -lmobilenet \
 *            -Wl,-rpath,$PWD/.build/release -o rss_probe
 * Usage: rss_probe MODEL [THREADS=1]
 */
#include <stdio.h>
#include <stdlib.h>

#include "mobilenet.h"

#define SIDE 256

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: rss_probe MODEL [THREADS]\n");
        return 2;
    }
    mobilenet_options options;
    mobilenet_options_init(&options);
    options.num_threads = argc > 2 ? atoi(argv[2]) : 1;

    mobilenet_model *model = NULL;
    mobilenet_status status = mobilenet_model_load(argv[1], &options, &model);
    if (status != MOBILENET_OK) {
        fprintf(stderr, "rss_probe: load: %s\n", mobilenet_last_error());
        return 1;
    }
    static unsigned char rgb[SIDE * SIDE * 3];
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            unsigned char *p = rgb + (size_t)(y * SIDE + x) * 3;
            p[0] = (unsigned char)x;
            p[1] = (unsigned char)y;
            p[2] = (unsigned char)((x * y) >> 8);
        }
    mobilenet_prediction top[1];
    status = mobilenet_model_classify_rgb8(model, rgb, SIDE, SIDE, SIDE * 3, 1, top);
    if (status != MOBILENET_OK) {
        fprintf(stderr, "rss_probe: classify: %s\n", mobilenet_last_error());
        mobilenet_model_free(model);
        return 1;
    }
    mobilenet_model_free(model);
    return 0;
}
