/*
 * test_trainer_kill.c -- mobilenet_trainer_save is atomic under SIGKILL.
 *
 *   test_trainer_kill MODEL [KILLS [SEED]]     defaults: 40 kills, seed 1
 *
 * The parent opens MODEL (the bundled alpha 1.0, 1001-class model: a
 * checkpoint of ~17 MB with SGD, so a save takes measurable time) as a
 * trainer and saves a first checkpoint into a private directory. Then, KILLS
 * times, it forks a child that loops "step; save(the same path)" and kills
 * it with SIGKILL after a random delay of 0-200 ms (rand() seeded with SEED).
 * After each kill the target must load with mobilenet_model_load and
 * mobilenet_trainer_load (never a torn file), and hold either the previous
 * checkpoint or one the child wrote (its global step says which). The header
 * allows a temporary file in the same directory; a kill during a save may
 * leave it behind, so leftovers are counted (and reported), then removed so
 * that they cannot fill the disk. After a save that was not interrupted the
 * directory holds the target only. Everything runs under alarm(): a hang is
 * a failure, never a stuck suite.
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define RES 32
#define BATCH 2

static char g_dir[4096], g_target[4200];
static float g_x[BATCH * RES * RES * 3];
static int32_t g_y[BATCH] = {1, 500};

/* Files in g_dir other than the target; removes them if `remove` is set. */
static int leftovers(int remove, long long *bytes) {
    DIR *d = opendir(g_dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "ckpt.safetensors")) continue;
        n++;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
        struct stat st;
        if (bytes && stat(path, &st) == 0) *bytes += (long long)st.st_size;
        if (n <= 3 && remove) printf("  leftover: %s\n", e->d_name);
        if (remove) unlink(path);
    }
    closedir(d);
    return n;
}

/* The child: step and save forever, one byte down the pipe per save. */
static void child(mobilenet_trainer *t, int fd) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
    alarm(20);
    for (;;) {
        if (mobilenet_trainer_step(t, g_x, g_y, BATCH, RES, RES, NULL) != MOBILENET_OK) _exit(3);
        if (mobilenet_trainer_save(t, g_target) != MOBILENET_OK) _exit(4);
        if (write(fd, "s", 1) != 1) _exit(5);
    }
}

/* Loads the target both ways; returns its global step, or -1. */
static int64_t check_target(const char *when) {
    mobilenet_options mo;
    mobilenet_options_init(&mo);
    mo.num_threads = 1;
    mobilenet_model *m = NULL;
    mobilenet_status s = mobilenet_model_load(g_target, &mo, &m);
    CHECKF(s == MOBILENET_OK, "%s: model_load of the checkpoint: %s '%s'", when, mobilenet_status_string(s),
           mobilenet_last_error());
    if (m) CHECK(mobilenet_model_num_classes(m) == 1001);
    mobilenet_model_free(m);
    mobilenet_train_options o;
    mobilenet_train_options_init(&o);
    o.num_threads = 1;
    o.optimizer = MOBILENET_OPTIMIZER_SGD;
    mobilenet_trainer *t = NULL;
    s = mobilenet_trainer_load(g_target, &o, &t);
    CHECKF(s == MOBILENET_OK, "%s: trainer_load of the checkpoint: %s '%s'", when, mobilenet_status_string(s),
           mobilenet_last_error());
    int64_t step = t ? mobilenet_trainer_global_step(t) : -1;
    mobilenet_trainer_free(t);
    return step;
}

int main(int argc, char **argv) {
    const char *model = argc > 1 ? argv[1] : "models/mobilenet_v1_1.0_224.safetensors";
    int kills = argc > 2 ? atoi(argv[2]) : 40;
    unsigned seed = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1u;
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(300);
    srand(seed);
    for (size_t i = 0; i < sizeof g_x / sizeof *g_x; i++) g_x[i] = (float)((i * 7919u) % 2001u) / 1000.0f - 1.0f;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/mobilenet-kill-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        printf("mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    snprintf(g_target, sizeof g_target, "%s/ckpt.safetensors", g_dir);
    printf("test_trainer_kill: %s, %d kills, seed %u, directory %s\n", model, kills, seed, g_dir);

    /* SGD: no slots, so the checkpoint is the model's ~17 MB. One thread:
     * the children use the trainer they inherit (forked trainers are not
     * documented; a trainer without workers is the safe case). */
    mobilenet_train_options o;
    mobilenet_train_options_init(&o);
    o.num_threads = 1;
    o.optimizer = MOBILENET_OPTIMIZER_SGD;
    o.learning_rate = 0.001f;
    mobilenet_trainer *t = NULL;
    if (!CHECKF(mobilenet_trainer_load(model, &o, &t) == MOBILENET_OK, "trainer_load %s: %s", model,
                mobilenet_last_error()))
        return test_summary();
    CHECK(mobilenet_trainer_step(t, g_x, g_y, BATCH, RES, RES, NULL) == MOBILENET_OK);
    double start = t_now();
    CHECK_STATUS(mobilenet_trainer_save(t, g_target), MOBILENET_OK, NULL);
    double save_time = t_now() - start;
    struct stat st;
    long long size = stat(g_target, &st) == 0 ? (long long)st.st_size : -1;
    printf("  first checkpoint: %lld bytes, saved in %.0f ms\n", size, save_time * 1000);
    CHECKF(leftovers(0, NULL) == 0, "an uninterrupted save left %d other files", leftovers(0, NULL));
    const int64_t base = mobilenet_trainer_global_step(t); /* every child starts here */
    int64_t previous = check_target("first save");
    CHECK(previous == base);

    int total_leftovers = 0, kills_with_leftovers = 0, died = 0;
    long long leftover_bytes = 0, saves = 0;
    for (int k = 0; k < kills; k++) {
        int fds[2];
        if (!CHECK(pipe(fds) == 0)) break;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            child(t, fds[1]);
        }
        close(fds[1]);
        if (!CHECK(pid > 0)) break;
        long delay_us = rand() % 200001; /* 0-200 ms */
        usleep((useconds_t)delay_us);
        kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            died++;
            printf("  child %d ended by itself: %s\n", k, t_describe_wait(status));
        }
        /* Saves the child completed (renamed) before the kill. */
        char buf[256];
        ssize_t n;
        long done = 0;
        while ((n = read(fds[0], buf, sizeof buf)) > 0) done += n;
        close(fds[0]);
        saves += done;
        long long bytes = 0;
        int left = leftovers(1, &bytes);
        total_leftovers += left;
        kills_with_leftovers += left > 0;
        leftover_bytes += bytes;
        char when[64];
        snprintf(when, sizeof when, "kill %d after %ld ms", k, delay_us / 1000);
        int64_t step = check_target(when);
        /* Either the file as it was, or one of this child's checkpoints: the
         * one after its last reported save may have been renamed just before
         * the kill. */
        CHECKF(step == previous || (step >= base + 1 && step <= base + done + 1),
               "%s: global step %lld, previous %lld, child saved %ld", when, (long long)step,
               (long long)previous, done);
        previous = step;
    }
    CHECKF(died == 0, "%d children stopped before their kill", died);
    printf("  %d kills: children completed %lld saves; %d kills left %d temporary files (%lld bytes) "
           "beside the target, which always loaded\n",
           kills, saves, kills_with_leftovers, total_leftovers, leftover_bytes);
    /* At most one save runs at a time, so one leftover per kill at most. */
    CHECKF(total_leftovers <= kills, "%d leftovers after %d kills", total_leftovers, kills);
    /* A save after all that still works and cleans up after itself. */
    CHECK_STATUS(mobilenet_trainer_save(t, g_target), MOBILENET_OK, NULL);
    CHECK(leftovers(0, NULL) == 0);
    CHECK(check_target("final save") == base);
    mobilenet_trainer_free(t);
    unlink(g_target);
    rmdir(g_dir);
    return test_summary();
}
