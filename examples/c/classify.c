/*
 * classify.c -- classify a photo with libmobilenet, from C.
 *
 *   classify IMAGE [MODEL] [TOP_K]
 *
 * IMAGE  a JPEG, PNG, BMP, GIF, ... file (whatever stb_image decodes);
 *        grayscale and alpha images are converted to RGB.
 * MODEL  a libmobilenet safetensors model. Default: the MOBILENET_MODEL
 *        environment variable if set and non-empty, else
 *        models/mobilenet_v1_1.0_224.safetensors relative to the current
 *        directory (i.e. run it from the repository root). An empty MODEL
 *        argument also means the default.
 * TOP_K  how many classes to print, 1..number of classes. Default: 5.
 *
 * Output (stdout):
 *
 *   examples/images/cat.jpg (451x300)
 *     1.  87.65%  Egyptian cat [286]
 *     2.   9.37%  tabby, tabby cat [282]
 *     ...
 *
 * The number in brackets is the model's class index (for the bundled model
 * 0 is "background" and i is ImageNet class i-1). Errors go to stderr.
 *
 * Exit status:
 *   0  success
 *   1  an unexpected failure (out of memory, ...)
 *   2  usage error (wrong arguments, TOP_K not a number or out of range)
 *   3  the image could not be read or decoded
 *   4  the model could not be loaded
 *   5  classification failed
 *
 * Build (after `make install PREFIX=...`, with libstb-dev installed):
 *
 *   cc -std=c99 -Wall -Wextra -pedantic classify.c -o classify \
 *      $(pkg-config --cflags --libs mobilenet) -lstb -Wl,-rpath,PREFIX/lib
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include <mobilenet.h>

#define DEFAULT_MODEL "models/mobilenet_v1_1.0_224.safetensors"
#define DEFAULT_TOP_K 5

enum {
    EXIT_OK = 0,
    EXIT_UNEXPECTED = 1,
    EXIT_USAGE = 2,
    EXIT_IMAGE = 3,
    EXIT_MODEL = 4,
    EXIT_CLASSIFY = 5
};

static void usage(FILE *out, const char *argv0) {
    fprintf(out,
            "usage: %s IMAGE [MODEL] [TOP_K]\n"
            "  IMAGE  a JPEG or PNG file (anything stb_image reads)\n"
            "  MODEL  a libmobilenet safetensors model; default: $MOBILENET_MODEL,\n"
            "         else %s (relative to the current directory)\n"
            "  TOP_K  number of classes to print (default %d)\n",
            argv0, DEFAULT_MODEL, DEFAULT_TOP_K);
}

/* Parses a whole decimal int >= 1; returns 0 if text is not one. */
static int parse_positive_int(const char *text, int *out) {
    char *end = NULL;
    long value;
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 1 || value > INT_MAX)
        return 0;
    *out = (int)value;
    return 1;
}

int main(int argc, char **argv) {
    const char *argv0 = argc > 0 && argv[0] != NULL ? argv[0] : "classify";
    const char *image_path;
    const char *model_path;
    const char *env_model;
    int top_k = DEFAULT_TOP_K;
    int width = 0, height = 0, channels_in_file = 0;
    unsigned char *pixels = NULL;
    FILE *image_file;
    int read_failed, read_errno;
    mobilenet_options options;
    mobilenet_model *model = NULL;
    mobilenet_prediction *predictions = NULL;
    mobilenet_status status;
    int num_classes;
    int exit_code = EXIT_OK;
    int i;

    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout, argv0);
        return EXIT_OK;
    }
    if (argc < 2 || argc > 4 || argv[1][0] == '\0') {
        usage(stderr, argv0);
        return EXIT_USAGE;
    }
    image_path = argv[1];
    env_model = getenv("MOBILENET_MODEL");
    if (argc >= 3 && argv[2][0] != '\0')
        model_path = argv[2];
    else if (env_model != NULL && env_model[0] != '\0')
        model_path = env_model;
    else
        model_path = DEFAULT_MODEL;
    if (argc == 4 && !parse_positive_int(argv[3], &top_k)) {
        fprintf(stderr, "%s: TOP_K must be a positive integer, not \"%s\"\n", argv0, argv[3]);
        return EXIT_USAGE;
    }

    /* 1. The image, as 8-bit RGB (stb_image converts gray/alpha images). The
     * file is opened here, not by stbi_load, to report the system's reason
     * ("No such file or directory") rather than stb_image's "can't fopen". */
    image_file = fopen(image_path, "rb");
    if (image_file == NULL) {
        fprintf(stderr, "%s: cannot read image %s: %s\n", argv0, image_path, strerror(errno));
        return EXIT_IMAGE;
    }
    pixels = stbi_load_from_file(image_file, &width, &height, &channels_in_file, 3);
    /* A directory opens but does not read: ferror says the read failed. */
    read_failed = ferror(image_file);
    read_errno = errno;
    fclose(image_file);
    if (pixels == NULL) {
        const char *reason = read_failed ? strerror(read_errno) : stbi_failure_reason();
        fprintf(stderr, "%s: cannot read image %s: %s\n", argv0, image_path,
                reason != NULL ? reason : "unknown error");
        return EXIT_IMAGE;
    }

    /* 2. The model. Options are optional (NULL = defaults); shown here. */
    mobilenet_options_init(&options);
    options.num_threads = 0;      /* one worker per online CPU core */
    options.crop_fraction = 0.0f; /* the model's default central crop (0.875) */
    status = mobilenet_model_load(model_path, &options, &model);
    if (status != MOBILENET_OK) {
        fprintf(stderr, "%s: cannot load model %s: %s (%s)\n", argv0, model_path,
                mobilenet_last_error(), mobilenet_status_string(status));
        exit_code = EXIT_MODEL;
        goto done;
    }

    num_classes = mobilenet_model_num_classes(model);
    if (top_k > num_classes) {
        fprintf(stderr, "%s: TOP_K must be in 1..%d (the model's classes), not %d\n", argv0,
                num_classes, top_k);
        exit_code = EXIT_USAGE;
        goto done;
    }

    /* 3. Classify: central crop, resize, normalization happen inside. */
    predictions = malloc((size_t)top_k * sizeof *predictions);
    if (predictions == NULL) {
        fprintf(stderr, "%s: out of memory\n", argv0);
        exit_code = EXIT_UNEXPECTED;
        goto done;
    }
    status = mobilenet_model_classify_rgb8(model, pixels, width, height, (size_t)width * 3,
                                           top_k, predictions);
    if (status != MOBILENET_OK) {
        fprintf(stderr, "%s: cannot classify %s: %s (%s)\n", argv0, image_path,
                mobilenet_last_error(), mobilenet_status_string(status));
        exit_code = EXIT_CLASSIFY;
        goto done;
    }

    printf("%s (%dx%d)\n", image_path, width, height);
    for (i = 0; i < top_k; i++) {
        /* Labels are owned by the model: valid until mobilenet_model_free. */
        const char *label = predictions[i].label != NULL ? predictions[i].label : "(no label)";
        printf("  %d. %6.2f%%  %s [%d]\n", i + 1, 100.0 * predictions[i].probability, label,
               predictions[i].class_index);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write the results\n", argv0);
        exit_code = EXIT_UNEXPECTED;
    }

done:
    free(predictions);
    mobilenet_model_free(model); /* NULL is a no-op */
    stbi_image_free(pixels);
    return exit_code;
}
