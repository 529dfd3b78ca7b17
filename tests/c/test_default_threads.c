/*
 * test_default_threads.c -- num_threads 0 follows the CPUs the process may
 * use, not the machine's online count.
 *
 *   test_default_threads MODEL [EXPECTED]
 *
 * Loads MODEL with num_threads = 0 and counts the threads the process gained
 * (/proc/self/task): the pool's workers, one fewer than its thread count.
 * EXPECTED (tests/c/run.sh passes 1 and runs the program under
 * `taskset -c 0`) is the thread count the pool must have; without it the
 * count must be at least 1 and at most the affinity mask's CPU count.
 * Under `taskset -c 0` the library used to start 2 threads on 2 online CPUs.
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <dirent.h>
#include <sched.h>

static int count_threads(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "models/mobilenet_v1_1.0_224.safetensors";
    int expected = argc > 2 ? atoi(argv[2]) : 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    int affinity = CPU_COUNT(&set);
    int before = count_threads();
    mobilenet_options options;
    mobilenet_options_init(&options);
    options.num_threads = 0;
    mobilenet_model *model = NULL;
    CHECK_STATUS(mobilenet_model_load(path, &options, &model), MOBILENET_OK, NULL);
    int pool = count_threads() - before + 1;
    printf("affinity: %d CPUs, online: %ld; default pool: %d threads\n", affinity, sysconf(_SC_NPROCESSORS_ONLN),
           pool);
    if (expected > 0) {
        CHECKF(affinity == expected, "the affinity mask has %d CPUs (run under taskset -c 0)", affinity);
        CHECKF(pool == expected, "default pool of %d threads, expected %d", pool, expected);
    } else {
        CHECKF(pool >= 1 && pool <= affinity, "default pool of %d threads within 1..%d", pool, affinity);
    }
    /* And the model works at that count. */
    static unsigned char rgb[16 * 16 * 3];
    mobilenet_prediction top[1];
    if (model) {
        CHECK(mobilenet_model_classify_rgb8(model, rgb, 16, 16, 16 * 3, 1, top) == MOBILENET_OK);
        mobilenet_model_free(model);
    }
    CHECKF(count_threads() == before, "free joined the workers (%d threads left, %d before)", count_threads(), before);
    return test_summary();
}
