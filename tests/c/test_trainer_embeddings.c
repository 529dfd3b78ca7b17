/*
 * test_trainer_embeddings.c -- head-only training on cached embeddings
 * (mobilenet_trainer_step_embeddings / _evaluate_embeddings /
 * _embedding_size) against a float64 softmax regression computed here.
 *
 *   test_trainer_embeddings MODEL   (the bundled 1.0/224 model)
 *
 * A trainer of the bundled model with a new 3-class head, SGD, no weight
 * decay: one step on embeddings must move the Logits weights and biases by
 * -lr * the exact gradient of the mean cross-entropy (within float32
 * rounding), report that loss, leave every other tensor untouched, and
 * refuse to run when more than the Logits train. Then: weight decay and
 * label smoothing enter as in mobilenet_trainer_step, evaluate_embeddings
 * agrees with the float64 loss and arg-max, and bad arguments fail without
 * stepping.
 * Ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define K 3
#define N 4

static void fill(float *x, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / (float)(1u << 24);  /* [0, 1): pooled ReLU6 features are >= 0 */
    }
}

static float *get(const mobilenet_trainer *t, const char *name, size_t *n) {
    *n = mobilenet_trainer_tensor_size(t, name);
    float *v = malloc(*n * sizeof *v + 1);
    if (v && mobilenet_trainer_get_tensor(t, name, v, *n) != MOBILENET_OK) { free(v); return NULL; }
    return v;
}

/* Mean cross-entropy of logits f W + b with smoothing ls; grad of W and b if given. */
static double reference(const float *f, const int32_t *y, int d, const float *w, const float *b, double ls,
                        double *gw, double *gb, int *argmax) {
    double loss = 0;
    if (gw) memset(gw, 0, sizeof(double) * (size_t)d * K);
    if (gb) memset(gb, 0, sizeof(double) * K);
    for (int n = 0; n < N; n++) {
        double z[K], top = -INFINITY, sum = 0;
        for (int k = 0; k < K; k++) {
            z[k] = b[k];
            for (int i = 0; i < d; i++) z[k] += (double)f[n * d + i] * w[i * K + k];
            if (z[k] > top) { top = z[k]; argmax[n] = k; }
        }
        for (int k = 0; k < K; k++) sum += exp(z[k] - top);
        for (int k = 0; k < K; k++) {
            double p = exp(z[k] - top) / sum, target = (k == y[n] ? 1 - ls : 0) + ls / K;
            loss -= target * log(p);
            if (gb) gb[k] += (p - target) / N;
            if (gw) for (int i = 0; i < d; i++) gw[i * K + k] += (double)f[n * d + i] * (p - target) / N;
        }
    }
    return loss / N;
}

static void test_step(const char *model, float wd, float ls) {
    mobilenet_train_options o;
    mobilenet_train_options_init(&o);
    o.optimizer = MOBILENET_OPTIMIZER_SGD;
    o.learning_rate = 0.5f;
    o.weight_decay = wd;
    o.label_smoothing = ls;
    o.trainable_from = "Logits";
    o.num_classes = K;
    o.num_threads = 1;
    mobilenet_trainer *t = NULL;
    CHECK_STATUS(mobilenet_trainer_load(model, &o, &t), MOBILENET_OK, NULL);
    if (!t) return;
    int d = mobilenet_trainer_embedding_size(t);
    CHECKF(d == 1024, "embedding_size %d (1024 at alpha 1)", d);
    float *f = malloc(sizeof(float) * (size_t)N * (size_t)d);
    fill(f, (size_t)N * (size_t)d, 7);
    int32_t y[N] = {0, 1, 2, 1};
    size_t nw, nb, nc;
    float *w0 = get(t, "MobilenetV1/Logits/Conv2d_1c_1x1/weights", &nw);
    float *b0 = get(t, "MobilenetV1/Logits/Conv2d_1c_1x1/biases", &nb);
    float *c0 = get(t, "MobilenetV1/Conv2d_13_pointwise/weights", &nc);
    double *gw = malloc(sizeof(double) * (size_t)d * K), gb[K];
    int argmax[N];
    double expected = reference(f, y, d, w0, b0, ls, gw, gb, argmax);
    float loss = -1;
    CHECK_STATUS(mobilenet_trainer_step_embeddings(t, f, y, N, &loss), MOBILENET_OK, NULL);
    CHECKF(fabs(loss - expected) <= 1e-5 * fabs(expected), "loss %.8g, float64 %.8g", loss, expected);
    float *w1 = get(t, "MobilenetV1/Logits/Conv2d_1c_1x1/weights", &nw);
    float *b1 = get(t, "MobilenetV1/Logits/Conv2d_1c_1x1/biases", &nb);
    float *c1 = get(t, "MobilenetV1/Conv2d_13_pointwise/weights", &nc);
    double num = 0, den = 0;
    for (size_t i = 0; i < nw; i++) {
        double want = -o.learning_rate * (gw[i] + wd * w0[i]);
        num += (w1[i] - w0[i] - want) * (w1[i] - w0[i] - want);
        den += want * want;
    }
    for (int k = 0; k < K; k++) {
        double want = -o.learning_rate * gb[k];
        num += (b1[k] - b0[k] - want) * (b1[k] - b0[k] - want);
        den += want * want;
    }
    CHECKF(sqrt(num / den) < 1e-4, "update vs float64 gradient: relative error %.3g (wd %g, ls %g)",
           sqrt(num / den), wd, ls);
    CHECKF(memcmp(c0, c1, nc * sizeof(float)) == 0, "the backbone is untouched");
    CHECKF(mobilenet_trainer_global_step(t) == 1, "global_step %lld", (long long)mobilenet_trainer_global_step(t));
    /* evaluate_embeddings after the step, against float64 on the new weights. */
    int hits = -1, argmax1[N], want_hits = 0;
    double after = reference(f, y, d, w1, b1, 0, NULL, NULL, argmax1);
    for (int n = 0; n < N; n++) want_hits += argmax1[n] == y[n];
    CHECK_STATUS(mobilenet_trainer_evaluate_embeddings(t, f, y, N, &loss, &hits), MOBILENET_OK, NULL);
    CHECKF(fabs(loss - after) <= 1e-5 * fabs(after) && hits == want_hits, "evaluate: loss %.8g (%.8g), %d hits (%d)",
           loss, after, hits, want_hits);
    /* Bad arguments. */
    int32_t bad[N] = {0, 1, K, 0};
    CHECK_STATUS(mobilenet_trainer_step_embeddings(t, f, bad, N, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_step_embeddings(t, NULL, y, N, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_step_embeddings(t, f, y, 0, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    f[5] = NAN;
    CHECK_STATUS(mobilenet_trainer_step_embeddings(t, f, y, N, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(mobilenet_trainer_step_embeddings(NULL, f, y, N, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECKF(mobilenet_trainer_embedding_size(NULL) == 0, "embedding_size(NULL) = 0");
    CHECKF(mobilenet_trainer_global_step(t) == 1, "failed calls do not step");
    free(f); free(gw); free(w0); free(b0); free(c0); free(w1); free(b1); free(c1);
    mobilenet_trainer_free(t);
}

/* More than the Logits training: cached embeddings would be stale. */
static void test_refused(const char *model) {
    mobilenet_train_options o;
    mobilenet_train_options_init(&o);
    o.trainable_from = "Conv2d_13_pointwise";
    o.num_classes = K;
    mobilenet_trainer *t = NULL;
    CHECK_STATUS(mobilenet_trainer_load(model, &o, &t), MOBILENET_OK, NULL);
    if (!t) return;
    float f[1024 * N] = {0};
    int32_t y[N] = {0, 1, 2, 0};
    float loss = 123;
    CHECK_STATUS(mobilenet_trainer_step_embeddings(t, f, y, N, &loss), MOBILENET_ERROR_INVALID_ARGUMENT, NULL);
    CHECKF(loss == 123, "out_loss untouched on failure");
    int hits = -1;
    CHECK_STATUS(mobilenet_trainer_evaluate_embeddings(t, f, y, N, &loss, &hits), MOBILENET_OK, NULL);
    mobilenet_trainer_free(t);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s MODEL\n", argv[0]); return 2; }
    test_step(argv[1], 0, 0);
    test_step(argv[1], 0.01f, 0);
    test_step(argv[1], 0, 0.1f);
    test_refused(argv[1]);
    printf("%d passed, %d failed\n", t_passed, t_failed);
    return t_failed ? 1 : 0;
}
