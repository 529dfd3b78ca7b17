/*
 * soak_cycles.c -- memory stays flat over many load/run/free cycles.
 *
 *   soak_cycles MODEL
 *
 * 10,000 cycles of: load MODEL (from the path and from memory in turn, with
 * default options, i.e. a new worker pool each time), run it on a 16x16
 * input (logits compared bit for bit with the first cycle's), classify a
 * small image, free. Resident memory (VmRSS of /proc/self/status) is sampled
 * every 1,000 cycles; the growth from the first sample (cycle 1,000, after
 * the allocator has warmed up) to the last must stay under 2 MiB. Threads
 * and open file descriptors must be back to their starting counts.
 * Environment: SOAK_QUICK=1 (1,000 cycles, sampled every 100), SOAK_CYCLES,
 * SOAK_RSS_BOUND_KB (default 2048), SOAK_NUM_THREADS (options.num_threads;
 * default: NULL options).
 * Last line: "N passed, N failed".
 */
#include "soak_common.h"

#define SIDE 16

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL\n", argv[0]);
        return 2;
    }
    long cycles = soak_env_long("SOAK_CYCLES", soak_quick() ? 1000 : 10000);
    long every = cycles / 10 > 0 ? cycles / 10 : 1;
    long bound_kb = soak_env_long("SOAK_RSS_BOUND_KB", 2048);
    size_t size = 0;
    unsigned char *bytes = soak_read_file(argv[1], &size);
    soak_check(bytes != NULL, 1, "read %s", argv[1]);
    if (!bytes) return soak_finish();

    float input[SIDE * SIDE * 3];
    unsigned seed = 5;
    for (int i = 0; i < SIDE * SIDE * 3; i++) input[i] = (float)(soak_next(&seed) % 2001) / 1000.0f - 1.0f;
    unsigned char rgb[23 * 19 * 3];
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (unsigned char)soak_next(&seed);
    float *reference = NULL, *logits = NULL;
    int classes = 0;

    mobilenet_options options, *opts = NULL;
    mobilenet_options_init(&options);
    if (getenv("SOAK_NUM_THREADS")) {
        options.num_threads = (int)soak_env_long("SOAK_NUM_THREADS", 0);
        opts = &options;
    }

    long threads_before = soak_baseline_threads();
    int fds_before = soak_open_fds();
    long rss[64];
    long samples = 0, failures = 0, mismatches = 0;
    long rss_start = soak_status_field("VmRSS");
    double t0 = soak_seconds();
    printf("%8s %10s %10s %8s\n", "cycle", "VmRSS kB", "VmHWM kB", "seconds");
    for (long c = 1; c <= cycles; c++) {
        mobilenet_model *model = NULL;
        mobilenet_status s = c % 2 ? mobilenet_model_load(argv[1], opts, &model)
                                   : mobilenet_model_load_memory(bytes, size, opts, &model);
        if (s != MOBILENET_OK) {
            if (failures++ == 0) soak_check(0, 1, "cycle %ld: load: %s", c, mobilenet_last_error());
            continue;
        }
        if (!reference) {
            classes = mobilenet_model_num_classes(model);
            reference = malloc(sizeof(float) * classes);
            logits = malloc(sizeof(float) * classes);
            s = mobilenet_model_run(model, input, 1, SIDE, SIDE, reference, classes);
        } else {
            s = mobilenet_model_run(model, input, 1, SIDE, SIDE, logits, classes);
            if (s == MOBILENET_OK && memcmp(logits, reference, sizeof(float) * classes) != 0 && mismatches++ == 0)
                soak_check(0, 1, "cycle %ld: logits differ from cycle 1's", c);
        }
        mobilenet_prediction top[2];
        if (s == MOBILENET_OK)
            s = mobilenet_model_classify_rgb8(model, rgb, 23, 19, 23 * 3, classes < 2 ? classes : 2, top);
        if (s != MOBILENET_OK && failures++ == 0) soak_check(0, 1, "cycle %ld: %s", c, mobilenet_last_error());
        mobilenet_model_free(model);
        if (c % every == 0 && samples < 64) {
            rss[samples++] = soak_status_field("VmRSS");
            printf("%8ld %10ld %10ld %8.2f\n", c, rss[samples - 1], soak_status_field("VmHWM"), soak_seconds() - t0);
            fflush(stdout);
        }
    }
    double elapsed = soak_seconds() - t0;
    soak_check(failures == 0 && mismatches == 0, 1, "%ld cycles in %.2f s (%.0f/s): %ld failures, %ld mismatches",
               cycles, elapsed, cycles / elapsed, failures, mismatches);
    if (samples >= 2) {
        long growth = rss[samples - 1] - rss[0];
        soak_check(growth < bound_kb, 1,
                   "VmRSS: %ld kB before the first load, %ld kB at cycle %ld, %ld kB at cycle %ld: growth %ld kB "
                   "(bound %ld kB)", rss_start, rss[0], every, rss[samples - 1], every * samples, growth, bound_kb);
    }
    long threads_after = soak_settled_threads(threads_before);
    int fds_after = soak_open_fds();
    soak_check(threads_after == threads_before, 1, "threads: %ld before, %ld after", threads_before, threads_after);
    soak_check(fds_after == fds_before, 1, "file descriptors: %d before, %d after", fds_before, fds_after);
    free(reference);
    free(logits);
    free(bytes);
    return soak_finish();
}
