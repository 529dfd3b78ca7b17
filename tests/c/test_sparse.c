/*
 * test_sparse.c -- model files whose size is huge but whose bytes are not
 * there: sparse files of 2^40, 2^60 and about 2^63 bytes (ftruncate).
 *
 *   test_sparse [MODEL]
 *
 * A header that describes a tensor as large as such a file used to reach an
 * overflowing size product in the safetensors checks, a Swift trap (SIGILL)
 * in the host. Each file is loaded from its path in a child with an alarm;
 * the load must return FORMAT (or OUT_OF_MEMORY) at once, without reading
 * the file's phantom data. The files go to /dev/shm when it takes sizes up
 * to 2^63 (tmpfs does, ext4 stops at 2^44), else to TMPDIR; a size the file
 * system refuses (EFBIG) is reported and skipped, but 2^40 must work.
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

static char g_dir[256];

struct sparse_case {
    const char *path;
    const char *what;
};

static int load_body(void *arg) {
    const struct sparse_case *c = arg;
    mobilenet_model *model = NULL;
    double start = t_now();
    mobilenet_status status = mobilenet_model_load(c->path, NULL, &model);
    double seconds = t_now() - start;
    CHECKF(status == MOBILENET_ERROR_FORMAT || status == MOBILENET_ERROR_OUT_OF_MEMORY,
           "%s: status %s (%s)", c->what, mobilenet_status_string(status), mobilenet_last_error());
    CHECKF(model == NULL, "%s: out_model untouched", c->what);
    CHECKF(seconds < 2.0, "%s: took %.2f s", c->what, seconds);
    printf("  %-52s %s\n", c->what, mobilenet_last_error());
    fflush(stdout);
    return t_failed == 0 ? 0 : 1;
}

/* Writes `header` as a safetensors header, then extends the file to
 * `size` bytes; returns 0 if the file system refused the size. */
static int make_sparse(const char *path, const char *header, int64_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    uint64_t length = strlen(header);
    unsigned char prefix[8];
    for (int i = 0; i < 8; i++) prefix[i] = (unsigned char)(length >> (8 * i));
    int ok = write(fd, prefix, 8) == 8 && write(fd, header, length) == (ssize_t)length;
    ok = ok && ftruncate(fd, (off_t)size) == 0;
    close(fd);
    return ok;
}

static void try_case(int64_t size, const char *label, const char *format, int64_t a, int64_t b, int64_t c) {
    char header[1024], path[512], what[160];
    snprintf(header, sizeof header, format, (long long)a, (long long)b, (long long)c);
    snprintf(path, sizeof path, "%s/sparse.safetensors", g_dir);
    snprintf(what, sizeof what, "%s, file of %lld bytes", label, (long long)size);
    if (!make_sparse(path, header, size)) {
        printf("  %-52s skipped: %s\n", what, strerror(errno));
        CHECKF(size <= ((int64_t)1 << 40) ? 0 : 1, "%s: the file system takes a 2^40-byte sparse file", what);
        unlink(path);
        return;
    }
    struct sparse_case sc = {path, what};
    int status = t_in_child(load_body, &sc, 10);
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: %s", what, t_describe_wait(status));
    unlink(path);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    /* tmpfs takes sparse files up to 2^63 - 1 bytes. */
    snprintf(g_dir, sizeof g_dir, "/dev/shm/mobilenet-sparse.XXXXXX");
    if (!mkdtemp(g_dir)) {
        snprintf(g_dir, sizeof g_dir, "%s/mobilenet-sparse.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(g_dir)) { perror("mkdtemp"); return 2; }
    }
    printf("sparse files in %s\n", g_dir);
    const int64_t sizes[] = {(int64_t)1 << 40, (int64_t)1 << 60, INT64_MAX - 7, INT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t size = sizes[i];
        /* The data section is size - 8 - header bytes; these shapes stay
         * within it element-wise, so only the byte product overflows. */
        int64_t data = size - 8 - 200;
        try_case(size, "F64 [data] (count x 8 overflows)",
                 "{\"t\":{\"dtype\":\"F64\",\"shape\":[%lld],\"data_offsets\":[0,%lld]}}%.0lld", data, data, 0);
        try_case(size, "F32 [data / 2, 2]",
                 "{\"t\":{\"dtype\":\"F32\",\"shape\":[%lld,2],\"data_offsets\":[0,%lld]}}%.0lld", data / 2, data, 0);
        try_case(size, "I64 [2^31, 2^31, 2]",
                 "{\"t\":{\"dtype\":\"I64\",\"shape\":[%lld,%lld,2],\"data_offsets\":[0,8]}}%.0lld",
                 (int64_t)1 << 31, (int64_t)1 << 31, 0);
        try_case(size, "data_offsets [0, file size]",
                 "{\"t\":{\"dtype\":\"U8\",\"shape\":[%lld],\"data_offsets\":[0,%lld]}}%.0lld", size, size, 0);
        try_case(size, "no tensors (all bytes belong to none)", "{\"__metadata__\":{}}%.0lld%.0lld%.0lld", 0, 0, 0);
        /* A tensor that tiles the whole sparse data section exactly. */
        char probe[256];
        int hlen = snprintf(probe, sizeof probe, "{\"t\":{\"dtype\":\"U8\",\"shape\":[%lld],\"data_offsets\":[0,%lld]}}",
                            (long long)size, (long long)size);
        int64_t exact = size - 8 - hlen;
        /* the digits of `exact` may be fewer than those of `size`: pad with spaces */
        try_case(size, "U8 tensor tiling the whole data section",
                 "{\"t\":{\"dtype\":\"U8\",\"shape\":[%lld],\"data_offsets\":[0,%lld]}}%.0lld", exact, exact, 0);
    }
    rmdir(g_dir);
    return test_summary();
}
