/*
 * check_corpus.c -- the model-file corpus as a regression test.
 *
 *   cc -std=c99 -I include tests/corpus/check_corpus.c -L LIBDIR -lmobilenet \
 *      -Wl,-rpath,LIBDIR -o check_corpus
 *   ./check_corpus tests/corpus
 *
 * (tests/corpus/check.sh does this.) For every file of CORPUS/bad/ the load,
 * both from the path and from memory, must fail with the status named in the
 * file name (<status>__<kind>.safetensors or .tflite) and, if CORPUS/expected.tsv lists
 * the file, with a mobilenet_last_error containing the listed text; the
 * out_model must be left untouched. Every file of CORPUS/good/ must load both
 * ways, run at several input sizes (same logits both ways, all finite) and
 * classify. Then: a loaded model keeps working, bit for bit, after its file is
 * deleted, truncated or overwritten, and load keeps no file descriptor open;
 * and the I/O errors (missing file, directory, /dev/null, a FIFO without a
 * writer, a sparse file of 2^40 bytes, empty path).
 * mobilenet_trainer_load must agree with mobilenet_model_load on every file
 * (but a BatchNorm fold overflow, which only export meets):
 * a bad file fails (a non-empty message, out untouched, never INTERNAL), a
 * good one opens as a trainer with the model's class count (a good .tflite
 * file is refused as UNSUPPORTED: it cannot be trained; a checkpoint
 * loads as a model, so no file that is not a model may be a checkpoint).
 * The last line of output is "N passed, N failed"; the exit status is 0 only
 * if nothing failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mobilenet.h"

static int passed, failed;
static int verbose;

static void check(int ok, const char *what, ...) {
    va_list args;
    if (ok) {
        passed++;
        if (!verbose) return;
        printf("ok    ");
    } else {
        failed++;
        printf("FAIL  ");
    }
    va_start(args, what);
    vprintf(what, args);
    va_end(args);
    printf("\n");
}

/* ---- small helpers ------------------------------------------------------ */

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    *size = n;
    return buf;
}

static int write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

static int count_open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *name, const char *suffix) {
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

/* Sorted *.safetensors and *.tflite names in dir; *count set. */
static char **list_dir(const char *dir, int *count) {
    DIR *d = opendir(dir);
    char **names = NULL;
    int n = 0;
    *count = 0;
    if (!d) return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, ".safetensors") && !has_suffix(e->d_name, ".tflite")) continue;
        names = realloc(names, sizeof *names * (n + 1));
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;
}

/* expected.tsv: "bad/<file>\t<STATUS>\t<substring>" rows. */
typedef struct { char *file; char *status; char *substring; int seen; } expectation;
static expectation *expectations;
static int num_expectations;

static void load_expectations(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\r\n")] = 0;
        char *tab1 = strchr(line, '\t');
        if (!tab1) continue;
        *tab1 = 0;
        char *tab2 = strchr(tab1 + 1, '\t');
        if (tab2) *tab2 = 0;
        expectations = realloc(expectations, sizeof *expectations * (num_expectations + 1));
        expectation *e = &expectations[num_expectations++];
        e->file = strdup(line);
        e->status = strdup(tab1 + 1);
        e->substring = strdup(tab2 ? tab2 + 1 : "");
        e->seen = 0;
    }
    fclose(f);
}

static expectation *find_expectation(const char *file) {
    for (int i = 0; i < num_expectations; i++)
        if (strcmp(expectations[i].file, file) == 0) return &expectations[i];
    return NULL;
}

static const char *status_name(mobilenet_status s) {
    switch (s) {
    case MOBILENET_OK: return "OK";
    case MOBILENET_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case MOBILENET_ERROR_IO: return "IO";
    case MOBILENET_ERROR_FORMAT: return "FORMAT";
    case MOBILENET_ERROR_UNSUPPORTED: return "UNSUPPORTED";
    case MOBILENET_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case MOBILENET_ERROR_BUFFER_TOO_SMALL: return "BUFFER_TOO_SMALL";
    case MOBILENET_ERROR_INTERNAL: return "INTERNAL";
    }
    return "?";
}

/* The status a bad file's name asks for: the part before "__", upper-cased. */
static const char *status_from_name(const char *name, char *buf, size_t cap) {
    const char *sep = strstr(name, "__");
    size_t n = sep ? (size_t)(sep - name) : 0;
    if (n == 0 || n >= cap) return NULL;
    for (size_t i = 0; i < n; i++) buf[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    buf[n] = 0;
    return buf;
}

static mobilenet_options one_thread(void) {
    mobilenet_options o;
    mobilenet_options_init(&o);
    o.num_threads = 1;
    return o;
}

/* ---- trainer_load agrees with model_load -------------------------------- */

/* classes: the file's class count if it loads as a model, else 0. */
static void check_trainer_load(const char *path, const char *rel, int classes) {
    mobilenet_train_options options;
    mobilenet_train_options_init(&options);
    options.num_threads = 1;
    mobilenet_trainer *sentinel = (mobilenet_trainer *)(uintptr_t)0x5e48, *trainer = sentinel;
    mobilenet_status s = mobilenet_trainer_load(path, &options, &trainer);
    const char *message = mobilenet_last_error();
    /* A good .tflite file holds folded (or quantized) weights, not the
     * canonical parameters training needs: UNSUPPORTED, saying so. */
    if (classes > 0 && has_suffix(rel, ".tflite")) {
        check(s == MOBILENET_ERROR_UNSUPPORTED, "%s: trainer_load: UNSUPPORTED (%s)", rel, message);
        check(message && strstr(message, "cannot be trained") != NULL, "%s: trainer_load says why", rel);
        check(trainer == sentinel, "%s: trainer_load left out untouched", rel);
        check(message && message[0], "%s: trainer_load's message is non-empty", rel);
        return;
    }
    if (classes > 0) {
        check(s == MOBILENET_OK && trainer != sentinel && trainer != NULL,
              "%s: trainer_load succeeds as model_load does (%s: %s)", rel, status_name(s), message);
        if (s == MOBILENET_OK && trainer != sentinel && trainer != NULL) {
            check(mobilenet_trainer_num_classes(trainer) == classes, "%s: trainer has %d classes, the model %d", rel,
                  mobilenet_trainer_num_classes(trainer), classes);
            mobilenet_trainer_free(trainer);
        }
        return;
    }
    /* A trainer keeps BatchNorm unfolded, so a file whose folding overflows
     * float32 trains; exporting it must then fail as loading it does. */
    if (strstr(rel, "batchnorm_fold") != NULL && s == MOBILENET_OK && trainer != sentinel && trainer) {
        mobilenet_model *model = NULL;
        mobilenet_status e = mobilenet_trainer_export(trainer, NULL, &model);
        check(e == MOBILENET_ERROR_FORMAT && model == NULL, "%s: the trainer opens it; export fails with FORMAT (%s)",
              rel, status_name(e));
        if (model) mobilenet_model_free(model);
        mobilenet_trainer_free(trainer);
        return;
    }
    check(s != MOBILENET_OK, "%s: trainer_load fails as model_load does", rel);
    check(s != MOBILENET_ERROR_INTERNAL, "%s: trainer_load: not INTERNAL (%s)", rel, message);
    check(trainer == sentinel, "%s: trainer_load left out untouched", rel);
    check(s == MOBILENET_OK || (message && message[0]), "%s: trainer_load's message is non-empty", rel);
    if (s == MOBILENET_OK && trainer != sentinel) mobilenet_trainer_free(trainer);
}

/* ---- bad files ---------------------------------------------------------- */

static void check_failure(const char *label, mobilenet_status got, mobilenet_model *model,
                          mobilenet_model *sentinel, const char *want, const char *substring) {
    const char *message = mobilenet_last_error();
    int status_ok = strcmp(status_name(got), want) == 0;
    check(status_ok, "%s: status %s, expected %s (%s)", label, status_name(got), want, message);
    check(model == sentinel, "%s: out_model left untouched", label);
    check(message && message[0] != 0, "%s: mobilenet_last_error is non-empty", label);
    if (substring && substring[0])
        check(message && strstr(message, substring) != NULL, "%s: message \"%s\" mentions \"%s\"", label,
              message ? message : "(null)", substring);
    if (got == MOBILENET_OK && model != sentinel) mobilenet_model_free(model);
}

static void check_bad(const char *corpus, const char *name) {
    char path[4096], rel[4096], want_buf[64];
    snprintf(path, sizeof path, "%s/bad/%s", corpus, name);
    snprintf(rel, sizeof rel, "bad/%s", name);
    expectation *e = find_expectation(rel);
    const char *want = status_from_name(name, want_buf, sizeof want_buf);
    const char *substring = NULL;
    if (e) {
        e->seen = 1;
        check(want && strcmp(want, e->status) == 0, "%s: file name and expected.tsv agree on the status", rel);
        want = e->status;
        substring = e->substring;
    }
    if (!want) {
        check(0, "%s: file name does not start with <status>__", rel);
        return;
    }
    mobilenet_options options = one_thread();
    mobilenet_model *sentinel = (mobilenet_model *)(uintptr_t)0x5e47;
    mobilenet_model *model = sentinel;
    char label[4200];
    snprintf(label, sizeof label, "%s (path)", rel);
    check_failure(label, mobilenet_model_load(path, &options, &model), model, sentinel, want, substring);
    check_trainer_load(path, rel, 0);

    size_t size = 0;
    unsigned char *bytes = read_file(path, &size);
    if (!bytes) {
        check(0, "%s: cannot read", rel);
        return;
    }
    /* An empty file becomes a non-NULL pointer with size 0. */
    model = sentinel;
    snprintf(label, sizeof label, "%s (memory)", rel);
    check_failure(label, mobilenet_model_load_memory(bytes, size, &options, &model), model, sentinel, want,
                  substring);
    free(bytes);
}

/* ---- good files --------------------------------------------------------- */

static void fill_input(float *input, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        input[i] = (float)((seed >> 16) & 0x7fff) / 16384.0f - 1.0f;
    }
}

static int all_finite(const float *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

static void check_good(const char *corpus, const char *name) {
    char path[4096], rel[4096];
    snprintf(path, sizeof path, "%s/good/%s", corpus, name);
    snprintf(rel, sizeof rel, "good/%s", name);
    expectation *e = find_expectation(rel);
    if (e) e->seen = 1;
    mobilenet_options options = one_thread();
    mobilenet_model *from_path = NULL, *from_memory = NULL;
    mobilenet_status s = mobilenet_model_load(path, &options, &from_path);
    check(s == MOBILENET_OK, "%s: loads from the path (%s: %s)", rel, status_name(s), mobilenet_last_error());
    check(mobilenet_last_error()[0] == 0 || s != MOBILENET_OK, "%s: last_error is \"\" after success", rel);
    size_t size = 0;
    unsigned char *bytes = read_file(path, &size);
    s = bytes ? mobilenet_model_load_memory(bytes, size, NULL, &from_memory) : MOBILENET_ERROR_IO;
    check(s == MOBILENET_OK, "%s: loads from memory (%s: %s)", rel, status_name(s), mobilenet_last_error());
    if (bytes) {
        memset(bytes, 0xAB, size);  /* the model must not depend on the buffer */
        free(bytes);
    }
    if (!from_path || !from_memory) {
        mobilenet_model_free(from_path);
        mobilenet_model_free(from_memory);
        return;
    }
    mobilenet_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    s = mobilenet_model_info(from_path, &info);
    check(s == MOBILENET_OK && info.num_classes == mobilenet_model_num_classes(from_path) && info.num_classes > 0,
          "%s: mobilenet_model_info", rel);
    int classes = mobilenet_model_num_classes(from_path);
    check_trainer_load(path, rel, classes);
    int sizes[][3] = {{1, info.resolution, info.resolution}, {2, 8, 8}, {1, 1, 1}, {1, 3, 17}, {3, 32, 5}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int batch = sizes[k][0], h = sizes[k][1], w = sizes[k][2];
        size_t n_in = (size_t)batch * h * w * 3, n_out = (size_t)batch * classes;
        float *input = malloc(n_in * sizeof *input);
        float *a = malloc(n_out * sizeof *a), *b = malloc(n_out * sizeof *b);
        fill_input(input, n_in, (unsigned)(h * 31 + w));
        mobilenet_status sa = mobilenet_model_run(from_path, input, batch, h, w, a, n_out);
        mobilenet_status sb = mobilenet_model_run(from_memory, input, batch, h, w, b, n_out);
        check(sa == MOBILENET_OK && sb == MOBILENET_OK, "%s: runs %dx%dx%d (%s)", rel, batch, h, w,
              mobilenet_last_error());
        if (sa == MOBILENET_OK && sb == MOBILENET_OK) {
            check(all_finite(a, n_out), "%s: %dx%dx%d logits are finite", rel, batch, h, w);
            check(memcmp(a, b, n_out * sizeof *a) == 0, "%s: %dx%dx%d path and memory models agree bit for bit",
                  rel, batch, h, w);
        }
        free(input);
        free(a);
        free(b);
    }
    /* The input_dependent_* models: two inputs give logits that differ
     * (by more than 0.1), so the checks above can see an inference bug. */
    if (strncmp(name, "input_dependent", 15) == 0) {
        size_t n_in = (size_t)info.resolution * info.resolution * 3;
        float *x = malloc(n_in * sizeof *x), *y = malloc(n_in * sizeof *y);
        float *a = malloc((size_t)classes * sizeof *a), *b = malloc((size_t)classes * sizeof *b);
        fill_input(x, n_in, 1);
        fill_input(y, n_in, 2);
        float most = 0;
        if (mobilenet_model_run(from_path, x, 1, info.resolution, info.resolution, a, (size_t)classes) == MOBILENET_OK &&
            mobilenet_model_run(from_path, y, 1, info.resolution, info.resolution, b, (size_t)classes) == MOBILENET_OK) {
            for (int i = 0; i < classes; i++) most = fmaxf(most, fabsf(a[i] - b[i]));
        }
        check(most > 0.1f, "%s: logits depend on the input (largest difference %g between two inputs)", rel, most);
        free(x);
        free(y);
        free(a);
        free(b);
    }
    /* Classify a small odd-sized RGB image with padded rows. */
    int width = 13, height = 20;
    size_t stride = width * 3 + 5;
    unsigned char *rgb = malloc(stride * height);
    for (size_t i = 0; i < stride * height; i++) rgb[i] = (unsigned char)(i * 7 + 3);
    mobilenet_prediction *p = calloc(classes, sizeof *p);
    s = mobilenet_model_classify_rgb8(from_path, rgb, width, height, stride, classes, p);
    check(s == MOBILENET_OK, "%s: classifies (%s)", rel, mobilenet_last_error());
    if (s == MOBILENET_OK) {
        double sum = 0;
        int ordered = 1, labels_ok = 1;
        for (int i = 0; i < classes; i++) {
            sum += p[i].probability;
            if (i > 0 && p[i].probability > p[i - 1].probability) ordered = 0;
            if (p[i].label != mobilenet_model_label(from_path, p[i].class_index)) labels_ok = 0;
        }
        check(fabs(sum - 1.0) < 1e-4 && ordered && labels_ok, "%s: probabilities sum to 1 (%g), ordered, labelled",
              rel, sum);
    }
    free(rgb);
    free(p);
    check(mobilenet_model_label(from_path, -1) == NULL && mobilenet_model_label(from_path, classes) == NULL,
          "%s: out-of-range labels are NULL", rel);
    mobilenet_model_free(from_path);
    mobilenet_model_free(from_memory);
}

/* ---- the model does not depend on its file ------------------------------ */

typedef struct { float *logits; mobilenet_prediction top[3]; int classes; } outcome;

static int evaluate(mobilenet_model *model, outcome *out) {
    out->classes = mobilenet_model_num_classes(model);
    int h = 16, w = 16;
    float input[16 * 16 * 3];
    fill_input(input, sizeof input / sizeof input[0], 99);
    out->logits = malloc(out->classes * sizeof(float));
    unsigned char rgb[40 * 30 * 3];
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (unsigned char)(i * 13);
    int k = out->classes < 3 ? out->classes : 3;
    return mobilenet_model_run(model, input, 1, h, w, out->logits, out->classes) == MOBILENET_OK &&
           mobilenet_model_classify_rgb8(model, rgb, 40, 30, 40 * 3, k, out->top) == MOBILENET_OK;
}

static int same_outcome(const outcome *a, const outcome *b) {
    int k = a->classes < 3 ? a->classes : 3;
    if (a->classes != b->classes || memcmp(a->logits, b->logits, a->classes * sizeof(float)) != 0) return 0;
    for (int i = 0; i < k; i++)
        if (a->top[i].class_index != b->top[i].class_index || a->top[i].probability != b->top[i].probability ||
            a->top[i].label != b->top[i].label)
            return 0;
    return 1;
}

static void check_file_independence(const char *corpus) {
    char source[4096], other[4096], dir[] = "/tmp/mobilenet-corpus-XXXXXX", path[4200];
    snprintf(source, sizeof source, "%s/good/separable_labels.safetensors", corpus);
    snprintf(other, sizeof other, "%s/good/separable_no_labels.safetensors", corpus);
    size_t size = 0, other_size = 0;
    unsigned char *bytes = read_file(source, &size), *other_bytes = read_file(other, &other_size);
    if (!bytes || !other_bytes || !mkdtemp(dir)) {
        check(0, "file independence: cannot read %s / %s or make a temporary directory", source, other);
        free(bytes);
        free(other_bytes);
        return;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const char *how[] = {"deleted", "truncated to 0 bytes", "overwritten with zeros",
                         "overwritten with another model", "replaced by a directory"};
    for (int mode = 0; mode < 5; mode++) {
        if (!write_file(path, bytes, size)) {
            check(0, "file independence: cannot write %s", path);
            break;
        }
        int fds_before = count_open_fds();
        mobilenet_model *model = NULL;
        mobilenet_status s = mobilenet_model_load(path, NULL, &model);
        check(s == MOBILENET_OK, "file independence: load %s (%s)", path, mobilenet_last_error());
        if (s != MOBILENET_OK) break;
        check(count_open_fds() == fds_before, "file independence: no file descriptor left open after load");
        outcome before, after;
        int ok_before = evaluate(model, &before);
        switch (mode) {
        case 0: unlink(path); break;
        case 1: if (truncate(path, 0) != 0) perror("truncate"); break;
        case 2: {
            unsigned char *zeros = calloc(1, size);
            write_file(path, zeros, size);
            free(zeros);
            break;
        }
        case 3: write_file(path, other_bytes, other_size); break;
        case 4: unlink(path); mkdir(path, 0700); break;
        }
        int ok_after = evaluate(model, &after);
        check(ok_before && ok_after && same_outcome(&before, &after),
              "file independence: the model works, bit for bit, after its file is %s", how[mode]);
        free(before.logits);
        free(after.logits);
        mobilenet_model_free(model);
        if (mode == 4) rmdir(path);
        else unlink(path);
    }
    rmdir(dir);
    free(bytes);
    free(other_bytes);
}

/* ---- I/O errors and arguments of the load functions --------------------- */

static void check_io_errors(const char *corpus) {
    mobilenet_model *sentinel = (mobilenet_model *)(uintptr_t)0x5e47, *model = sentinel;
    check_failure("missing file", mobilenet_model_load("/nonexistent/model.safetensors", NULL, &model), model,
                  sentinel, "IO", "nonexistent");
    model = sentinel;
    check_failure("directory", mobilenet_model_load(corpus, NULL, &model), model, sentinel, "IO",
                  "not a regular file");
    model = sentinel;
    check_failure("character device", mobilenet_model_load("/dev/null", NULL, &model), model, sentinel, "IO",
                  "is a character device");
    /* A FIFO with no writer used to block open() forever; a sparse file
     * whose tensor's byte count overflows was a Swift trap (at 2^60 bytes,
     * more than ext4 takes: tests/c/test_sparse.c uses tmpfs). Here 2^40
     * bytes with 8 x (2^40 - 776) bytes claimed. */
    char dir[] = "/tmp/mobilenet-corpus-io.XXXXXX", special[4096];
    if (mkdtemp(dir)) {
        snprintf(special, sizeof special, "%s/fifo", dir);
        model = sentinel;
        if (mkfifo(special, 0600) == 0) {
            check_failure("FIFO without a writer", mobilenet_model_load(special, NULL, &model), model, sentinel,
                          "IO", "is a FIFO");
            unlink(special);
        }
        snprintf(special, sizeof special, "%s/sparse", dir);
        const char *header = "{\"t\":{\"dtype\":\"F64\",\"shape\":[1099511627000],\"data_offsets\":[0,8]}}";
        unsigned char prefix[8] = {0};
        prefix[0] = (unsigned char)strlen(header);
        FILE *f = fopen(special, "wb");
        int made = f && fwrite(prefix, 1, 8, f) == 8 && fputs(header, f) >= 0;
        if (f && fclose(f) != 0) made = 0;
        if (made && truncate(special, (off_t)1 << 40) == 0) {
            model = sentinel;
            check_failure("sparse file of 2^40 bytes", mobilenet_model_load(special, NULL, &model), model, sentinel,
                          "FORMAT", "larger than the file");
        }
        unlink(special);
        rmdir(dir);
    }
    model = sentinel;
    check_failure("empty path", mobilenet_model_load("", NULL, &model), model, sentinel, "INVALID_ARGUMENT",
                  "path");
    model = sentinel;
    check_failure("NULL path", mobilenet_model_load(NULL, NULL, &model), model, sentinel, "INVALID_ARGUMENT",
                  "path");
    model = sentinel;
    check_failure("NULL data", mobilenet_model_load_memory(NULL, 10, NULL, &model), model, sentinel,
                  "INVALID_ARGUMENT", "data");
    char path[4096];
    snprintf(path, sizeof path, "%s/good/separable_labels.safetensors", corpus);
    check(mobilenet_model_load(path, NULL, NULL) == MOBILENET_ERROR_INVALID_ARGUMENT,
          "NULL out_model is INVALID_ARGUMENT");
    mobilenet_options options;
    mobilenet_options_init(&options);
    options.struct_size = 3;
    model = sentinel;
    check_failure("bad options struct_size", mobilenet_model_load(path, &options, &model), model, sentinel,
                  "INVALID_ARGUMENT", "struct_size");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR [-v]\n", argv[0]);
        return 2;
    }
    const char *corpus = argv[1];
    verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/expected.tsv", corpus);
    load_expectations(path);
    check(num_expectations > 0, "%s lists the corpus", path);

    int n_bad = 0, n_good = 0;
    snprintf(path, sizeof path, "%s/bad", corpus);
    char **bad = list_dir(path, &n_bad);
    snprintf(path, sizeof path, "%s/good", corpus);
    char **good = list_dir(path, &n_good);
    check(n_bad > 0 && n_good > 0, "corpus has %d bad and %d good files", n_bad, n_good);
    for (int i = 0; i < n_bad; i++) check_bad(corpus, bad[i]);
    for (int i = 0; i < n_good; i++) check_good(corpus, good[i]);
    for (int i = 0; i < num_expectations; i++)
        check(expectations[i].seen, "%s (in expected.tsv) exists", expectations[i].file);
    check_file_independence(corpus);
    check_io_errors(corpus);
    printf("%d bad and %d good files checked\n", n_bad, n_good);
    for (int i = 0; i < n_bad; i++) free(bad[i]);
    for (int i = 0; i < n_good; i++) free(good[i]);
    free(bad);
    free(good);
    for (int i = 0; i < num_expectations; i++) {
        free(expectations[i].file);
        free(expectations[i].status);
        free(expectations[i].substring);
    }
    free(expectations);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
