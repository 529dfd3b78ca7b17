/*
 * finetune.c -- train a classifier of your own classes on a folder of
 * photos with libmobilenet, from C: the "head" recipe (the bundled model's
 * embeddings computed once per image, then only a new Logits layer trains).
 *
 *   finetune DATA OUTPUT [MODEL] [EPOCHS]
 *
 * DATA    a folder with one sub-folder per class (the sub-folder's name is
 *         the label), holding JPEG or PNG files (whatever stb_image
 *         decodes; other files are reported and skipped).
 * OUTPUT  the model to write (safetensors, atomically); it loads with
 *         mobilenet_model_load and `mobilenet-cli classify --model OUTPUT`,
 *         and carries the folder names as its labels.
 * MODEL   the base model. Default: $MOBILENET_MODEL if set, else
 *         models/mobilenet_v1_1.0_224.safetensors.
 * EPOCHS  passes over the images (default 30: each is milliseconds).
 *
 * Prints the class counts, the loss and training accuracy per few epochs.
 * Exit status: 0 success, 1 failure (the message says which call), 2 usage.
 *
 * Build (after `make install PREFIX=...`, with libstb-dev installed):
 *
 *   cc -std=c99 -Wall -Wextra -pedantic finetune.c -o finetune \
 *      $(pkg-config --cflags --libs mobilenet) -lstb -lm -Wl,-rpath,PREFIX/lib
 */
#define _DEFAULT_SOURCE /* opendir, strdup */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb/stb_image.h>
#include <mobilenet.h>

#define MAX_CLASSES 1000
#define BATCH 32

static int fail(const char *what) {
    fprintf(stderr, "finetune: %s: %s\n", what, mobilenet_last_error());
    return 1;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sorted names of the entries of `dir` that are directories (want_dirs)
 * or regular files; NULL-terminated, malloc'd. */
static char **list(const char *dir, int want_dirs, int *count) {
    DIR *d = opendir(dir);
    char **names = NULL, path[4096];
    int n = 0, capacity = 0;
    struct dirent *e;
    struct stat st;
    *count = 0;
    if (!d) return NULL;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || (want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) continue;
        if (n + 1 >= capacity) {
            capacity = capacity ? capacity * 2 : 16;
            char **grown = realloc(names, (size_t)capacity * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (names) {
        qsort(names, (size_t)n, sizeof *names, by_name);
        names[n] = NULL;
    }
    *count = n;
    return names;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s DATA OUTPUT [MODEL] [EPOCHS]\n", argv[0]);
        return 2;
    }
    const char *data = argv[1], *output = argv[2];
    const char *model_path = argc > 3 && argv[3][0] ? argv[3] : getenv("MOBILENET_MODEL");
    if (!model_path || !model_path[0]) model_path = "models/mobilenet_v1_1.0_224.safetensors";
    int epochs = argc > 4 ? atoi(argv[4]) : 30;
    if (epochs < 1 || epochs > 100000) {
        fprintf(stderr, "finetune: EPOCHS must be 1..100000\n");
        return 2;
    }

    int classes = 0;
    char **labels = list(data, 1, &classes);
    if (classes < 2 || classes > MAX_CLASSES) {
        fprintf(stderr, "finetune: %s needs 2..%d class sub-folders (found %d)\n", data, MAX_CLASSES, classes);
        return 2;
    }

    /* 1. Embeddings of every image, once, with the model's own preprocessing. */
    mobilenet_model *model;
    if (mobilenet_model_load(model_path, NULL, &model) != MOBILENET_OK) return fail("mobilenet_model_load");
    int dim = mobilenet_model_embedding_size(model), images = 0, capacity = 0;
    float *embeddings = NULL;
    int32_t *targets = NULL;
    for (int c = 0; c < classes; c++) {
        char dir[4096], path[8192];
        int files = 0, used = 0;
        snprintf(dir, sizeof dir, "%s/%s", data, labels[c]);
        char **names = list(dir, 0, &files);
        for (int i = 0; i < files; i++) {
            int w, h, channels;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            unsigned char *rgb = stbi_load(path, &w, &h, &channels, 3);
            free(names[i]);
            if (!rgb) {
                fprintf(stderr, "finetune: skipping %s: %s\n", path, stbi_failure_reason());
                continue;
            }
            if (images == capacity) {
                capacity = capacity ? capacity * 2 : 64;
                embeddings = realloc(embeddings, (size_t)capacity * (size_t)dim * sizeof *embeddings);
                targets = realloc(targets, (size_t)capacity * sizeof *targets);
                if (!embeddings || !targets) { fprintf(stderr, "finetune: out of memory\n"); return 1; }
            }
            mobilenet_status s = mobilenet_model_embed_rgb8(model, rgb, w, h, (size_t)w * 3,
                                                             embeddings + (size_t)images * (size_t)dim, (size_t)dim);
            stbi_image_free(rgb);
            if (s != MOBILENET_OK) {
                fprintf(stderr, "finetune: skipping %s: %s\n", path, mobilenet_last_error());
                continue;
            }
            targets[images++] = c;
            used++;
        }
        free(names);
        printf("%-24s %d images\n", labels[c], used);
    }
    mobilenet_model_free(model);
    if (images == 0) { fprintf(stderr, "finetune: no image decoded\n"); return 1; }

    /* 2. A trainer of the same network with a new head; only the Logits train. */
    mobilenet_train_options options;
    mobilenet_train_options_init(&options);
    options.trainable_from = "Logits";
    options.num_classes = classes;
    options.optimizer = MOBILENET_OPTIMIZER_ADAM;
    options.learning_rate = 0.001f;
    options.epsilon = 1e-8f;
    mobilenet_trainer *trainer;
    if (mobilenet_trainer_load(model_path, &options, &trainer) != MOBILENET_OK) return fail("mobilenet_trainer_load");

    /* 3. Epochs of shuffled mini-batches (a fixed-seed LCG shuffle). */
    int *order = malloc((size_t)images * sizeof *order);
    float *batch = malloc((size_t)BATCH * (size_t)dim * sizeof *batch);
    int32_t batch_labels[BATCH];
    uint32_t seed = 1;
    if (!order || !batch) { fprintf(stderr, "finetune: out of memory\n"); return 1; }
    for (int i = 0; i < images; i++) order[i] = i;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        for (int i = images - 1; i > 0; i--) {
            seed = seed * 1664525u + 1013904223u;
            int j = (int)(seed % (uint32_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double loss_sum = 0;
        for (int first = 0; first < images; first += BATCH) {
            int n = images - first < BATCH ? images - first : BATCH;
            for (int k = 0; k < n; k++) {
                memcpy(batch + (size_t)k * (size_t)dim, embeddings + (size_t)order[first + k] * (size_t)dim,
                       (size_t)dim * sizeof *batch);
                batch_labels[k] = targets[order[first + k]];
            }
            float loss;
            if (mobilenet_trainer_step_embeddings(trainer, batch, batch_labels, n, &loss) != MOBILENET_OK)
                return fail("mobilenet_trainer_step_embeddings");
            loss_sum += (double)loss * n;
        }
        if (epoch == 1 || epoch == epochs || epoch % 10 == 0) {
            int correct = 0;
            for (int first = 0; first < images; first += BATCH) {
                int n = images - first < BATCH ? images - first : BATCH, hits;
                if (mobilenet_trainer_evaluate_embeddings(trainer, embeddings + (size_t)first * (size_t)dim,
                                                          targets + first, n, NULL, &hits) != MOBILENET_OK)
                    return fail("mobilenet_trainer_evaluate_embeddings");
                correct += hits;
            }
            printf("epoch %3d  loss %.4f  training accuracy %.1f%%\n", epoch, loss_sum / images,
                   100.0 * correct / images);
        }
    }

    /* 4. The model, with the folder names as labels. */
    if (mobilenet_trainer_set_labels(trainer, (const char *const *)labels, classes) != MOBILENET_OK)
        return fail("mobilenet_trainer_set_labels");
    if (mobilenet_trainer_save(trainer, output) != MOBILENET_OK) return fail("mobilenet_trainer_save");
    printf("wrote %s (%d classes, %d images)\n", output, classes, images);
    mobilenet_trainer_free(trainer);
    for (int c = 0; c < classes; c++) free(labels[c]);
    free(labels);
    free(embeddings);
    free(targets);
    free(order);
    free(batch);
    return 0;
}
