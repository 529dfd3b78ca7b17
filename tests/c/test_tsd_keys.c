/*
 * test_tsd_keys.c -- the library and a host that used every pthread key.
 *
 *   test_tsd_keys [MODEL]
 *
 * Before its first library call the program creates pthread keys until
 * pthread_key_create fails (EAGAIN) and stores its own pointer in each
 * (key 0 included, which an unchecked library would take as its own).
 * Then, in the main thread and in a second thread that exits afterwards, it
 * triggers errors: every status must come back, mobilenet_last_error must be
 * a non-NULL, non-empty static text, and every key must still hold the
 * host's pointer (the library used to store its message in key 0 and free
 * the host's pointer). The process must not crash at thread exit.
 */
#define _GNU_SOURCE
#include "test_support.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>

#define MAX_KEYS 4096
static pthread_key_t g_keys[MAX_KEYS];
static int g_key_count;
static int g_values[MAX_KEYS]; /* each key holds &g_values[i] */

static int keys_untouched(void) {
    for (int i = 0; i < g_key_count; i++) {
        if (pthread_getspecific(g_keys[i]) != &g_values[i]) return 0;
    }
    return 1;
}

static void set_all_keys(void) {
    for (int i = 0; i < g_key_count; i++) pthread_setspecific(g_keys[i], &g_values[i]);
}

/* Errors of several kinds, each with a sensible message; keys untouched. */
static void trigger_errors(const char *where) {
    mobilenet_model *model = NULL;
    static const unsigned char junk[16] = "not a model";
    mobilenet_status status = mobilenet_model_load(NULL, NULL, &model);
    CHECKF(status == MOBILENET_ERROR_INVALID_ARGUMENT, "%s: NULL path gives INVALID_ARGUMENT", where);
    const char *message = mobilenet_last_error();
    CHECKF(message != NULL && strlen(message) > 10, "%s: a message ('%s')", where, message ? message : "(null)");
    CHECKF(message && strstr(message, "unavailable"), "%s: the static fallback message, not a key's pointer", where);
    status = mobilenet_model_load_memory(junk, sizeof junk, NULL, &model);
    CHECKF(status == MOBILENET_ERROR_FORMAT, "%s: junk bytes give FORMAT", where);
    status = mobilenet_model_load("/nonexistent/model.safetensors", NULL, &model);
    CHECKF(status == MOBILENET_ERROR_IO, "%s: a missing file gives IO", where);
    CHECKF(model == NULL, "%s: out_model untouched", where);
    message = mobilenet_last_error();
    CHECKF(message != NULL && message[0] != '\0', "%s: still a message", where);
    CHECKF(keys_untouched(), "%s: every host key still holds the host's pointer", where);
}

static void *thread_body(void *arg) {
    (void)arg;
    set_all_keys();
    trigger_errors("second thread");
    return NULL;
}

int main(int argc, char **argv) {
    const char *model_path = argc > 1 ? argv[1] : "models/mobilenet_v1_1.0_224.safetensors";
    int error = 0;
    while (g_key_count < MAX_KEYS) {
        error = pthread_key_create(&g_keys[g_key_count], NULL);
        if (error != 0) break;
        g_key_count++;
    }
    printf("created %d keys before pthread_key_create failed (%s)\n", g_key_count, strerror(error));
    CHECKF(error == EAGAIN, "pthread keys exhausted with EAGAIN (got %d)", error);
    int has_key0 = 0;
    for (int i = 0; i < g_key_count; i++) has_key0 |= g_keys[i] == 0;
    printf("key 0 is %s\n", has_key0 ? "the host's" : "not the host's");
    set_all_keys();

    trigger_errors("main thread");

    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, thread_body, NULL) == 0);
    CHECK(pthread_join(thread, NULL) == 0); /* its exit runs the key destructors */
    CHECKF(keys_untouched(), "main thread keys intact after the second thread exited");

    /* The library still works: a real model loads and classifies. */
    mobilenet_model *model = NULL;
    mobilenet_status status = mobilenet_model_load(model_path, NULL, &model);
    CHECKF(status == MOBILENET_OK, "the model loads without a message key (%s)", mobilenet_status_string(status));
    if (model) {
        static unsigned char rgb[32 * 32 * 3];
        mobilenet_prediction top[1];
        CHECK(mobilenet_model_classify_rgb8(model, rgb, 32, 32, 32 * 3, 1, top) == MOBILENET_OK);
        mobilenet_model_free(model);
    }
    CHECKF(keys_untouched(), "keys intact at the end");
    return test_summary();
}
