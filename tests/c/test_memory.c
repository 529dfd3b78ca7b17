/*
 * test_memory.c -- hostile headers against time, resident memory and an
 * address-space limit.
 *
 *   test_memory MODEL
 *
 * 1. A 64 MiB header of `[0,0,...]` (the largest the format allows) is
 *    rejected from memory and from a file in under 1 s, and the child's
 *    peak resident memory grows by less than 2 x 64 MiB (before the JSON
 *    parser bounded its values: 4.5 s and 1.15 GB).
 * 2. Under RLIMIT_AS set (in a forked child) to the smallest limit of a
 *    16 MiB ladder at which MODEL loads and classifies with 1 thread, plus
 *    the hostile buffers, the model still loads and classifies, and 16 MiB
 *    and 64 MiB hostile headers ([0,0,...], one long string, deep arrays)
 *    each return FORMAT or OUT_OF_MEMORY; the process never aborts (a
 *    Swift allocation failure used to print "failed to allocate" and
 *    abort the host).
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>

static const char *g_model;

#define KINDS 4

/* A safetensors file image: 8-byte length, then a header of `size` bytes
 * made by `kind`: 0 = [0,0,...,0], 1 = {"__metadata__":{"labels":"xxx..."}},
 * 2 = [[[...]]] repeated (nesting within the limit, many values),
 * 3 = an object of many keys (duplicates after 10 million; never reached). */
static unsigned char *hostile(size_t size, int kind, size_t *total) {
    unsigned char *bytes = malloc(size + 8);
    if (!bytes) return NULL;
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)((uint64_t)size >> (8 * i));
    unsigned char *h = bytes + 8;
    if (kind == 0) {
        for (size_t i = 0; i < size; i++) h[i] = (i % 2) ? '0' : ',';
        h[0] = '[';
        h[size - 1] = ']'; /* size is even: h[size - 2] is a '0' */
    } else if (kind == 1) {
        const char *open = "{\"__metadata__\":{\"labels\":\"", *close = "\"}}";
        memset(h, 'x', size);
        memcpy(h, open, strlen(open));
        memcpy(h + size - strlen(close), close, strlen(close));
    } else if (kind == 3) {
        /* {"k0000000":0,"k0000001":0,...}: many keys, each one value */
        size_t i = 0, n = 0;
        h[i++] = '{';
        while (i + 16 < size) i += (size_t)sprintf((char *)h + i, "\"k%07zu\":0,", n++ % 10000000);
        h[i - 1] = '}';
        while (i < size) h[i++] = ' ';
    } else {
        /* "[[[[0]]]]," groups inside one array */
        const char *group = "[[[[0]]]],";
        size_t n = strlen(group);
        h[0] = '[';
        size_t i = 1;
        while (i + n + 2 <= size) { memcpy(h + i, group, n); i += n; }
        h[i++] = '0';
        while (i < size - 1) h[i++] = ' ';
        h[size - 1] = ']';
    }
    *total = size + 8;
    return bytes;
}

static long peak_rss_kb(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

static int write_file(const char *path, const unsigned char *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

/* ---- 1. time and resident memory ---------------------------------------- */

static int rss_body(void *arg) {
    int from_file = *(int *)arg;
    size_t total = 0;
    unsigned char *bytes = hostile((size_t)64 << 20, 0, &total);
    if (!bytes) { printf("cannot allocate the hostile header\n"); return 1; }
    char path[] = "/tmp/mobilenet-memory.XXXXXX";
    if (from_file) {
        int fd = mkstemp(path);
        CHECK(fd >= 0 && write_file(path, bytes, total));
        if (fd >= 0) close(fd);
        free(bytes);
        bytes = NULL;
    }
    long before = peak_rss_kb();
    mobilenet_model *model = NULL;
    double start = t_now();
    mobilenet_status status = from_file ? mobilenet_model_load(path, NULL, &model)
                                        : mobilenet_model_load_memory(bytes, total, NULL, &model);
    double seconds = t_now() - start;
    long grown = peak_rss_kb() - before;
    printf("  64 MiB [0,0,...] from %s: %.3f s, peak RSS +%ld kB: %s\n", from_file ? "a file" : "memory",
           seconds, grown, mobilenet_last_error());
    CHECKF(status == MOBILENET_ERROR_FORMAT, "rejected as FORMAT (%s)", mobilenet_status_string(status));
    CHECKF(seconds < 1.0, "rejected in %.3f s (< 1 s)", seconds);
    CHECKF(grown < 2 * 64 * 1024, "peak RSS grew by %ld kB (< 2 x 64 MiB)", grown);
    if (from_file) unlink(path);
    free(bytes);
    fflush(stdout);
    return t_failed == 0 ? 0 : 1;
}

/* ---- 2. under RLIMIT_AS -------------------------------------------------- */

struct limited {
    rlim_t extra;      /* bytes of address space above the current size */
    int hostile_loads; /* 0: only load and classify MODEL */
};

static long vm_size_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

static int classify_model(void) {
    mobilenet_options options;
    mobilenet_options_init(&options);
    options.num_threads = 1;
    mobilenet_model *model = NULL;
    if (mobilenet_model_load(g_model, &options, &model) != MOBILENET_OK) return 0;
    static unsigned char rgb[64 * 64 * 3];
    mobilenet_prediction top[5];
    int ok = mobilenet_model_classify_rgb8(model, rgb, 64, 64, 64 * 3, 5, top) == MOBILENET_OK;
    mobilenet_model_free(model);
    return ok;
}

static int limited_body(void *arg) {
    const struct limited *l = arg;
    /* The hostile images exist before the limit, so the limit counts what
     * the library allocates, not the test's own buffers. */
    size_t sizes[2] = {(size_t)16 << 20, (size_t)64 << 20};
    unsigned char *images[2][KINDS];
    size_t totals[2][KINDS];
    for (int s = 0; s < 2 && l->hostile_loads; s++) {
        for (int k = 0; k < KINDS; k++) {
            images[s][k] = hostile(sizes[s], k, &totals[s][k]);
            if (!images[s][k]) { printf("cannot allocate hostile image\n"); return 3; }
        }
    }
    struct rlimit limit;
    long now = vm_size_bytes();
    limit.rlim_cur = limit.rlim_max = (rlim_t)now + l->extra;
    if (now < 0 || setrlimit(RLIMIT_AS, &limit) != 0) { perror("setrlimit"); return 3; }
    if (!classify_model()) return 2; /* too tight for the model itself */
    if (!l->hostile_loads) return 0;
    static const char *kinds[KINDS] = {"[0,0,...]", "one long string", "nested arrays", "many keys"};
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < KINDS; k++) {
            mobilenet_model *model = NULL;
            mobilenet_status status = mobilenet_model_load_memory(images[s][k], totals[s][k], NULL, &model);
            printf("  under RLIMIT_AS: %zu MiB header of %s: %s: %s\n", sizes[s] >> 20, kinds[k],
                   mobilenet_status_string(status), mobilenet_last_error());
            CHECKF(status == MOBILENET_ERROR_FORMAT || status == MOBILENET_ERROR_OUT_OF_MEMORY,
                   "%zu MiB %s: FORMAT or OUT_OF_MEMORY", sizes[s] >> 20, kinds[k]);
            CHECK(model == NULL);
        }
    }
    /* Freed only now: each load ran with all six images still taking
     * their address space. */
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < KINDS; k++) free(images[s][k]);
    }
    CHECKF(classify_model(), "the model still loads and classifies afterwards");
    fflush(stdout);
    return t_failed == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    g_model = argc > 1 ? argv[1] : "models/mobilenet_v1_1.0_224.safetensors";
    printf("== 64 MiB [0,0,...]: time and peak resident memory\n");
    for (int from_file = 0; from_file < 2; from_file++) {
        int status = t_in_child(rss_body, &from_file, 60);
        CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rss child (%s): %s", from_file ? "file" : "memory",
               t_describe_wait(status));
    }

    printf("== hostile headers under RLIMIT_AS\n");
    rlim_t extra = 0;
    for (rlim_t step = 1; step <= 64; step++) {
        struct limited probe = {step << 24, 0};
        int status = t_in_child(limited_body, &probe, 60);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) { extra = step << 24; break; }
    }
    CHECKF(extra > 0, "the model loads and classifies under some RLIMIT_AS up to +1 GiB");
    if (extra > 0) {
        printf("  smallest working limit: current size + %lu MiB\n", (unsigned long)(extra >> 20));
        struct limited run = {extra, 1};
        int status = t_in_child(limited_body, &run, 120);
        CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "hostile loads under the limit: %s",
               t_describe_wait(status));
    }
    return test_summary();
}
