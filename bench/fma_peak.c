/*
 * fma_peak.c -- measures this machine's float32 FMA throughput.
 *
 * Each thread runs 12 independent chains of 8-wide vfmadd231ps (AVX2 + FMA),
 * enough to cover the FMA latency times the number of FMA pipes on current
 * x86 cores, for about SECONDS of wall time. One FMA lane is 2 flops, so
 * one instruction is 16 flops. Prints one line: "<threads> <GFLOP/s>".
 *
 * Build: cc -O2 -mavx2 -mfma -pthread bench/fma_peak.c -o fma_peak
 * Usage: fma_peak [THREADS=1] [SECONDS=0.5]
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define INNER 4096 /* iterations between clock reads */

typedef struct {
    double seconds;
    double flops;
    float sink;
    pthread_barrier_t *start;
} job;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *worker(void *arg) {
    job *j = (job *)arg;
    __m256 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps(0.001f * (float)c);
    /* a * x + acc with a slightly below 1 keeps the values bounded. */
    const __m256 a = _mm256_set1_ps(0.999999f);
    const __m256 x = _mm256_set1_ps(1e-7f);
    pthread_barrier_wait(j->start);
    long long outer = 0;
    double t0 = now(), t1;
    do {
        for (int i = 0; i < INNER; i++) {
            acc[0] = _mm256_fmadd_ps(a, acc[0], x);
            acc[1] = _mm256_fmadd_ps(a, acc[1], x);
            acc[2] = _mm256_fmadd_ps(a, acc[2], x);
            acc[3] = _mm256_fmadd_ps(a, acc[3], x);
            acc[4] = _mm256_fmadd_ps(a, acc[4], x);
            acc[5] = _mm256_fmadd_ps(a, acc[5], x);
            acc[6] = _mm256_fmadd_ps(a, acc[6], x);
            acc[7] = _mm256_fmadd_ps(a, acc[7], x);
            acc[8] = _mm256_fmadd_ps(a, acc[8], x);
            acc[9] = _mm256_fmadd_ps(a, acc[9], x);
            acc[10] = _mm256_fmadd_ps(a, acc[10], x);
            acc[11] = _mm256_fmadd_ps(a, acc[11], x);
        }
        outer++;
        t1 = now();
    } while (t1 - t0 < j->seconds);
    float out[8], sum = 0;
    for (int c = 0; c < CHAINS; c++) {
        _mm256_storeu_ps(out, acc[c]);
        for (int k = 0; k < 8; k++) sum += out[k];
    }
    j->sink = sum;
    j->flops = (double)outer * INNER * CHAINS * 16.0;
    j->seconds = t1 - t0;
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    if (threads < 1 || threads > 1024 || !(seconds > 0)) {
        fprintf(stderr, "usage: fma_peak [THREADS] [SECONDS]\n");
        return 2;
    }
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_barrier_t start;
    if (!tid || !jobs || pthread_barrier_init(&start, NULL, (unsigned)threads) != 0) return 1;
    for (int t = 0; t < threads; t++) {
        jobs[t].seconds = seconds;
        jobs[t].start = &start;
        if (pthread_create(&tid[t], NULL, worker, &jobs[t]) != 0) return 1;
    }
    double gflops = 0, sink = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        gflops += jobs[t].flops / jobs[t].seconds / 1e9;
        sink += jobs[t].sink;
    }
    printf("%d %.2f\n", threads, gflops);
    /* sink keeps the chains alive; it is finite and never printed otherwise */
    return sink != sink ? 1 : 0;
}
