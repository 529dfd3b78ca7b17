/*
 * test_files.c -- mobilenet_model_load on paths that are not plain model
 * files, and on file names that are not UTF-8.
 *
 *   test_files MODEL
 *
 * Non-regular files must fail at once with MOBILENET_ERROR_IO and a message
 * naming what was found: a FIFO with no writer (it used to block forever in
 * open()), a directory, /dev/null, /dev/zero, a socket, a block device (if
 * one is readable), a dangling symlink; a symlink to the model loads. File
 * names are bytes: "x\xE9.safetensors" and "x\xEF\xBF\xBD.safetensors" (the
 * first with its invalid byte replaced by U+FFFD) are different files, and
 * each path loads its own. Every load runs in a child with an alarm, so a
 * hang or a crash fails the test; no load may leave a descriptor open.
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static const char *g_model;

static int count_open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

struct load_case {
    const char *path;
    mobilenet_status want;
    const char *text; /* substring of the message, NULL: any */
    double max_seconds;
};

/* In the child: loads the case's path; exit 0 when status, message and
 * time are as expected and no descriptor was left open. */
static int load_body(void *arg) {
    const struct load_case *c = arg;
    int fds = count_open_fds();
    mobilenet_model *model = NULL;
    double start = t_now();
    mobilenet_status status = mobilenet_model_load(c->path, NULL, &model);
    double seconds = t_now() - start;
    CHECK_STATUS(status, c->want, c->text);
    if (c->want == MOBILENET_OK) {
        CHECKF(model != NULL && mobilenet_model_num_classes(model) > 0, "%s: a usable model", c->path);
        mobilenet_model_free(model);
    } else {
        CHECKF(model == NULL, "%s: out_model untouched", c->path);
    }
    CHECKF(seconds < c->max_seconds, "%s: took %.3f s (limit %.1f)", c->path, seconds, c->max_seconds);
    CHECKF(count_open_fds() == fds, "%s: no descriptor left open", c->path);
    fflush(stdout);
    return t_failed == 0 ? 0 : 1;
}

static void expect_load(const char *path, mobilenet_status want, const char *text) {
    struct load_case c = {path, want, text, want == MOBILENET_OK ? 20.0 : 1.0};
    int status = t_in_child(load_body, &c, 30);
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "load '%s' in a child: %s", path,
           t_describe_wait(status));
}

static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buffer[1 << 16];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buffer, 1, sizeof buffer, in)) > 0) ok = fwrite(buffer, 1, n, out) == n;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok;
}

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* A readable block device, if the machine gives us one. */
static const char *find_block_device(void) {
    static char path[300];
    DIR *d = opendir("/dev");
    struct dirent *e;
    if (!d) return NULL;
    while ((e = readdir(d))) {
        struct stat info;
        snprintf(path, sizeof path, "/dev/%s", e->d_name);
        if (stat(path, &info) == 0 && S_ISBLK(info.st_mode) && access(path, R_OK) == 0) {
            closedir(d);
            return path;
        }
    }
    closedir(d);
    return NULL;
}

int main(int argc, char **argv) {
    g_model = argc > 1 ? argv[1] : "models/mobilenet_v1_1.0_224.safetensors";
    char dir[] = "/tmp/mobilenet-files.XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 2; }
    char path[512], target[512];

    printf("== non-regular files\n");
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK(mkfifo(path, 0600) == 0);
    expect_load(path, MOBILENET_ERROR_IO, "is a FIFO");
    expect_load(dir, MOBILENET_ERROR_IO, "is a directory");
    expect_load("/dev/null", MOBILENET_ERROR_IO, "is a character device");
    expect_load("/dev/zero", MOBILENET_ERROR_IO, "is a character device");
    const char *block = find_block_device();
    if (block) expect_load(block, MOBILENET_ERROR_IO, "is a block device");
    else printf("  (no readable block device: that case skipped)\n");

    snprintf(path, sizeof path, "%s/socket", dir);
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof address.sun_path);
    memcpy(address.sun_path, path, strlen(path) + 1 < sizeof address.sun_path ? strlen(path) + 1 : 0);
    CHECK(sock >= 0 && bind(sock, (struct sockaddr *)&address, sizeof address) == 0);
    CHECK(listen(sock, 1) == 0);
    expect_load(path, MOBILENET_ERROR_IO, "is a socket");
    close(sock);

    printf("== symlinks\n");
    snprintf(path, sizeof path, "%s/link", dir);
    CHECK(realpath(g_model, target) != NULL && symlink(target, path) == 0);
    expect_load(path, MOBILENET_OK, NULL);
    snprintf(path, sizeof path, "%s/dangling", dir);
    snprintf(target, sizeof target, "%s/no-such-file", dir);
    CHECK(symlink(target, path) == 0);
    expect_load(path, MOBILENET_ERROR_IO, "No such file");
    snprintf(path, sizeof path, "%s/missing", dir);
    expect_load(path, MOBILENET_ERROR_IO, "No such file");

    printf("== file names that are not UTF-8\n");
    /* Latin-1 e-acute alone, and the U+FFFD a lossy conversion makes of it. */
    char latin1[512], replaced[512];
    snprintf(latin1, sizeof latin1, "%s/x\xE9.safetensors", dir);
    snprintf(replaced, sizeof replaced, "%s/x\xEF\xBF\xBD.safetensors", dir);
    for (int round = 0; round < 2; round++) {
        /* Round 0: the model under the Latin-1 name; round 1: swapped. */
        const char *good = round == 0 ? latin1 : replaced, *bad = round == 0 ? replaced : latin1;
        CHECK(copy_file(g_model, good));
        CHECK(write_text(bad, "bad"));
        expect_load(good, MOBILENET_OK, NULL);
        expect_load(bad, MOBILENET_ERROR_FORMAT, "too short");
        unlink(good);
        unlink(bad);
    }
    /* Only the name's invalid byte: no such file, and the message says so
     * without the library choking on the bytes. */
    expect_load(latin1, MOBILENET_ERROR_IO, "No such file");

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0) printf("  (could not remove %s)\n", dir);
    return test_summary();
}
