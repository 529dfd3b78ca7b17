/*
 * header_c99.c -- mobilenet.h is C99 clean, its ABI is stable and every
 * declared function is exported by the installed library.
 *
 * Compiled by tests/c/run.sh with -std=c99 -Wall -Wextra -Werror -pedantic
 * (and stricter warnings), with gcc and clang; linked against the installed
 * libmobilenet.so, so a function declared but not exported fails the link.
 */
#include <mobilenet.h>
#include <mobilenet.h> /* the include guard works */

#include <stdio.h>
#include <string.h>

/* C99 has no _Static_assert: a negative array size is a compile error. */
#define MOBILENET_ABI_ASSERT(name, condition) \
    typedef char mobilenet_abi_assert_##name[(condition) ? 1 : -1]
#define MOBILENET_ABI_MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
#include "header_abi.h"

/* Every function of the header, with the exact signature it declares. */
static const char *(*const p_version)(void) = mobilenet_version;
static int (*const p_version_number)(void) = mobilenet_version_number;
static const char *(*const p_status_string)(mobilenet_status) = mobilenet_status_string;
static const char *(*const p_last_error)(void) = mobilenet_last_error;
static void (*const p_options_init)(mobilenet_options *) = mobilenet_options_init;
static mobilenet_status (*const p_load)(const char *, const mobilenet_options *,
                                        mobilenet_model **) = mobilenet_model_load;
static mobilenet_status (*const p_load_memory)(const void *, size_t, const mobilenet_options *,
                                               mobilenet_model **) = mobilenet_model_load_memory;
static void (*const p_free)(mobilenet_model *) = mobilenet_model_free;
static mobilenet_status (*const p_run)(mobilenet_model *, const float *, int, int, int, float *,
                                       size_t) = mobilenet_model_run;
static mobilenet_status (*const p_classify)(mobilenet_model *, const uint8_t *, int, int, size_t,
                                            int, mobilenet_prediction *) =
    mobilenet_model_classify_rgb8;
static int (*const p_num_classes)(const mobilenet_model *) = mobilenet_model_num_classes;
static const char *(*const p_label)(const mobilenet_model *, int) = mobilenet_model_label;
static mobilenet_status (*const p_describe)(mobilenet_variant, float, int, int,
                                            mobilenet_info *) = mobilenet_describe;
static mobilenet_status (*const p_info)(const mobilenet_model *, mobilenet_info *) =
    mobilenet_model_info;
/* Since 0.2.0. */
static mobilenet_status (*const p_options_init_sized)(mobilenet_options *, size_t) =
    mobilenet_options_init_sized;
static mobilenet_isa (*const p_best_isa)(void) = mobilenet_best_isa;
static const char *(*const p_isa_name)(mobilenet_isa) = mobilenet_isa_name;
static int (*const p_num_layers)(const mobilenet_model *) = mobilenet_model_num_layers;
static mobilenet_status (*const p_layer)(const mobilenet_model *, int, mobilenet_layer_info *) =
    mobilenet_model_layer;
static int (*const p_describe_num_layers)(mobilenet_variant, float, int, int) =
    mobilenet_describe_num_layers;
static mobilenet_status (*const p_describe_layer)(mobilenet_variant, float, int, int, int,
                                                  mobilenet_layer_info *) = mobilenet_describe_layer;
static mobilenet_isa (*const p_model_isa)(const mobilenet_model *) = mobilenet_model_isa;
static mobilenet_precision (*const p_model_precision)(const mobilenet_model *) = mobilenet_model_precision;
static const char *(*const p_precision_name)(mobilenet_precision) = mobilenet_precision_name;
static int (*const p_embedding_size)(const mobilenet_model *) = mobilenet_model_embedding_size;
static mobilenet_status (*const p_quantize_options_init_sized)(mobilenet_quantize_options *, size_t) =
    mobilenet_quantize_options_init_sized;
static mobilenet_status (*const p_quantize)(const char *, const float *, int, int, int,
                                            const mobilenet_quantize_options *, const char *) = mobilenet_quantize;
static mobilenet_status (*const p_embed)(mobilenet_model *, const float *, int, int, int, float *, size_t) =
    mobilenet_model_embed;
static mobilenet_status (*const p_embed_rgb8)(mobilenet_model *, const uint8_t *, int, int, size_t, float *,
                                              size_t) = mobilenet_model_embed_rgb8;

int main(void) {
    int failed = 0;
    int all_present = p_version != 0 && p_version_number != 0 && p_status_string != 0 &&
                      p_last_error != 0 && p_options_init != 0 && p_load != 0 &&
                      p_load_memory != 0 && p_free != 0 && p_run != 0 && p_classify != 0 &&
                      p_num_classes != 0 && p_label != 0 && p_describe != 0 && p_info != 0 &&
                      p_options_init_sized != 0 && p_best_isa != 0 && p_isa_name != 0 &&
                      p_num_layers != 0 && p_layer != 0 && p_describe_num_layers != 0 &&
                      p_describe_layer != 0 && p_model_isa != 0 && p_model_precision != 0 && p_precision_name != 0 && p_embedding_size != 0 &&
                      p_embed != 0 && p_embed_rgb8 != 0 && p_quantize_options_init_sized != 0 &&
                      p_quantize != 0;
    if (!all_present) {
        printf("header_c99: a function pointer is null\n");
        failed = 1;
    }
    if (strcmp(p_version(), MOBILENET_VERSION_STRING) != 0 ||
        p_version_number() != MOBILENET_VERSION_NUMBER) {
        printf("header_c99: header %s (%d) but library %s (%d)\n", MOBILENET_VERSION_STRING,
               MOBILENET_VERSION_NUMBER, p_version(), p_version_number());
        failed = 1;
    }
    printf("header_c99: %s (C99, sizeof(mobilenet_info) = %u)\n", failed ? "FAILED" : "ok",
           (unsigned)sizeof(mobilenet_info));
    return failed;
}
