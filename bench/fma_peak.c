/*
 * fma_peak.c -- measures this machine's float32 FMA throughput.
 *
 * Built with -mavx512f it measures 512-bit FMA: each thread runs 16
 * independent chains of 16-wide vfmadd231ps on zmm registers (32 flops per
 * instruction). Otherwise (-mavx2 -mfma) it measures 256-bit FMA: 12 chains
 * of 8-wide vfmadd231ps on ymm registers (16 flops per instruction; 12
 * accumulators + 2 operands fit the 16 ymm registers). Either way there are
 * more chains than FMA latency (4 cycles) x FMA pipes (2) on current x86
 * cores, so the loop is throughput-bound. Runs for about SECONDS of wall
 * time. Prints one line: "<threads> <GFLOP/s> <avx512|avx2>".
 *
 * Build: cc -O2 -mavx2 -mfma -pthread bench/fma_peak.c -o fma_peak_avx2
 *        cc -O2 -mavx2 -mfma -mavx512f -pthread bench/fma_peak.c -o fma_peak_avx512
 * Usage: fma_peak [THREADS=1] [SECONDS=0.5]
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __AVX512F__
#define CHAINS 16
#define LANES 16
#define ISA "avx512"
typedef __m512 vec;
#define SET1(v) _mm512_set1_ps(v)
#define FMADD(a, b, c) _mm512_fmadd_ps(a, b, c)
#define STOREU(p, v) _mm512_storeu_ps(p, v)
#else
#define CHAINS 12
#define LANES 8
#define ISA "avx2"
typedef __m256 vec;
#define SET1(v) _mm256_set1_ps(v)
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#define STOREU(p, v) _mm256_storeu_ps(p, v)
#endif

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
    vec acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = SET1(0.001f * (float)c);
    /* a * x + acc with a slightly below 1 keeps the values bounded. */
    const vec a = SET1(0.999999f);
    const vec x = SET1(1e-7f);
    pthread_barrier_wait(j->start);
    long long outer = 0;
    double t0 = now(), t1;
    do {
        for (int i = 0; i < INNER; i++) {
            /* written out: every chain stays in a register */
            acc[0] = FMADD(a, acc[0], x);
            acc[1] = FMADD(a, acc[1], x);
            acc[2] = FMADD(a, acc[2], x);
            acc[3] = FMADD(a, acc[3], x);
            acc[4] = FMADD(a, acc[4], x);
            acc[5] = FMADD(a, acc[5], x);
            acc[6] = FMADD(a, acc[6], x);
            acc[7] = FMADD(a, acc[7], x);
            acc[8] = FMADD(a, acc[8], x);
            acc[9] = FMADD(a, acc[9], x);
            acc[10] = FMADD(a, acc[10], x);
            acc[11] = FMADD(a, acc[11], x);
#if CHAINS > 12
            acc[12] = FMADD(a, acc[12], x);
            acc[13] = FMADD(a, acc[13], x);
            acc[14] = FMADD(a, acc[14], x);
            acc[15] = FMADD(a, acc[15], x);
#endif
        }
        outer++;
        t1 = now();
    } while (t1 - t0 < j->seconds);
    float out[LANES], sum = 0;
    for (int c = 0; c < CHAINS; c++) {
        STOREU(out, acc[c]);
        for (int k = 0; k < LANES; k++) sum += out[k];
    }
    j->sink = sum;
    j->flops = (double)outer * INNER * CHAINS * (2.0 * LANES);
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
    printf("%d %.2f %s\n", threads, gflops, ISA);
    /* sink keeps the chains alive; it is finite and never printed otherwise */
    return sink != sink ? 1 : 0;
}
