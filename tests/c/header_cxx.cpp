/*
 * header_cxx.cpp -- mobilenet.h is C++ clean (C++11 and later), declares its
 * functions with C linkage, and has the same ABI as seen from C.
 *
 * Compiled by tests/c/run.sh with -std=c++11 -Wall -Wextra -Werror -pedantic
 * (and stricter warnings), with g++ and clang++; linked against the
 * installed libmobilenet.so: an unexported or C++-mangled function fails the
 * link.
 */
#include <mobilenet.h>
#include <mobilenet.h> // the include guard works

#include <cstdio>
#include <cstring>
#include <type_traits>

#define MOBILENET_ABI_ASSERT(name, condition) static_assert(condition, #name)
#define MOBILENET_ABI_MEMBER_SIZE(type, member) sizeof(type::member)
#include "header_abi.h"

// Plain data: usable from C++ exactly as from C.
static_assert(std::is_trivial<mobilenet_options>::value, "mobilenet_options is trivial");
static_assert(std::is_standard_layout<mobilenet_options>::value, "standard layout");
static_assert(std::is_trivial<mobilenet_prediction>::value, "mobilenet_prediction is trivial");
static_assert(std::is_standard_layout<mobilenet_prediction>::value, "standard layout");
static_assert(std::is_trivial<mobilenet_layer_info>::value, "mobilenet_layer_info is trivial");
static_assert(std::is_standard_layout<mobilenet_layer_info>::value, "standard layout");
static_assert(std::is_trivial<mobilenet_info>::value, "mobilenet_info is trivial");
static_assert(std::is_standard_layout<mobilenet_info>::value, "standard layout");

// Exact signatures.
static_assert(std::is_same<decltype(&mobilenet_version), const char *(*)()>::value, "version");
static_assert(std::is_same<decltype(&mobilenet_version_number), int (*)()>::value, "number");
static_assert(std::is_same<decltype(&mobilenet_status_string),
                           const char *(*)(mobilenet_status)>::value, "status_string");
static_assert(std::is_same<decltype(&mobilenet_last_error), const char *(*)()>::value,
              "last_error");
static_assert(std::is_same<decltype(&mobilenet_options_init),
                           void (*)(mobilenet_options *)>::value, "options_init");
static_assert(std::is_same<decltype(&mobilenet_model_load),
                           mobilenet_status (*)(const char *, const mobilenet_options *,
                                                mobilenet_model **)>::value, "load");
static_assert(std::is_same<decltype(&mobilenet_model_load_memory),
                           mobilenet_status (*)(const void *, size_t, const mobilenet_options *,
                                                mobilenet_model **)>::value, "load_memory");
static_assert(std::is_same<decltype(&mobilenet_model_free), void (*)(mobilenet_model *)>::value,
              "free");
static_assert(std::is_same<decltype(&mobilenet_model_run),
                           mobilenet_status (*)(mobilenet_model *, const float *, int, int, int,
                                                float *, size_t)>::value, "run");
static_assert(std::is_same<decltype(&mobilenet_model_classify_rgb8),
                           mobilenet_status (*)(mobilenet_model *, const uint8_t *, int, int,
                                                size_t, int, mobilenet_prediction *)>::value,
              "classify_rgb8");
static_assert(std::is_same<decltype(&mobilenet_model_num_classes),
                           int (*)(const mobilenet_model *)>::value, "num_classes");
static_assert(std::is_same<decltype(&mobilenet_model_label),
                           const char *(*)(const mobilenet_model *, int)>::value, "label");
static_assert(std::is_same<decltype(&mobilenet_describe),
                           mobilenet_status (*)(mobilenet_variant, float, int, int,
                                                mobilenet_info *)>::value, "describe");
static_assert(std::is_same<decltype(&mobilenet_model_info),
                           mobilenet_status (*)(const mobilenet_model *, mobilenet_info *)>::value,
              "model_info");
static_assert(std::is_same<decltype(&mobilenet_options_init_sized),
                           mobilenet_status (*)(mobilenet_options *, size_t)>::value, "options_init_sized");
static_assert(std::is_same<decltype(&mobilenet_best_isa), mobilenet_isa (*)()>::value, "best_isa");
static_assert(std::is_same<decltype(&mobilenet_isa_name), const char *(*)(mobilenet_isa)>::value, "isa_name");
static_assert(std::is_same<decltype(&mobilenet_model_num_layers), int (*)(const mobilenet_model *)>::value,
              "model_num_layers");
static_assert(std::is_same<decltype(&mobilenet_model_layer),
                           mobilenet_status (*)(const mobilenet_model *, int, mobilenet_layer_info *)>::value,
              "model_layer");
static_assert(std::is_same<decltype(&mobilenet_describe_num_layers),
                           int (*)(mobilenet_variant, float, int, int)>::value, "describe_num_layers");
static_assert(std::is_same<decltype(&mobilenet_describe_layer),
                           mobilenet_status (*)(mobilenet_variant, float, int, int, int,
                                                mobilenet_layer_info *)>::value, "describe_layer");
static_assert(std::is_same<decltype(&mobilenet_model_isa), mobilenet_isa (*)(const mobilenet_model *)>::value,
              "model_isa");
static_assert(std::is_same<decltype(&mobilenet_model_precision),
                           mobilenet_precision (*)(const mobilenet_model *)>::value, "model_precision");
static_assert(std::is_same<decltype(&mobilenet_precision_name), const char *(*)(mobilenet_precision)>::value,
              "precision_name");
static_assert(std::is_same<decltype(&mobilenet_model_embedding_size), int (*)(const mobilenet_model *)>::value,
              "embedding_size");
static_assert(std::is_same<decltype(&mobilenet_model_embed),
                           mobilenet_status (*)(mobilenet_model *, const float *, int, int, int, float *,
                                                size_t)>::value, "embed");
static_assert(std::is_same<decltype(&mobilenet_model_embed_rgb8),
                           mobilenet_status (*)(mobilenet_model *, const uint8_t *, int, int, size_t, float *,
                                                size_t)>::value, "embed_rgb8");
static_assert(std::is_same<decltype(&mobilenet_quantize_options_init_sized),
                           mobilenet_status (*)(mobilenet_quantize_options *, size_t)>::value,
              "quantize_options_init_sized");
static_assert(std::is_same<decltype(&mobilenet_quantize),
                           mobilenet_status (*)(const char *, const float *, int, int, int,
                                                const mobilenet_quantize_options *, const char *)>::value,
              "quantize");

int main() {
    int failed = 0;
    // Calls through the C linkage names (a mangled declaration would not link).
    mobilenet_options options;
    mobilenet_options_init(&options);
    if (options.struct_size != sizeof(mobilenet_options)) failed = 1;
    mobilenet_quantize_options quantize_options;
    mobilenet_quantize_options_init(&quantize_options);
    if (quantize_options.struct_size != sizeof quantize_options) failed = 1;
    mobilenet_info info = mobilenet_info();
    info.struct_size = sizeof info;
    if (mobilenet_describe(MOBILENET_VARIANT_SEPARABLE, 1.0f, 224, 1000, &info) != MOBILENET_OK)
        failed = 1;
    if (std::strcmp(mobilenet_version(), MOBILENET_VERSION_STRING) != 0 ||
        mobilenet_version_number() != MOBILENET_VERSION_NUMBER)
        failed = 1;
    mobilenet_model_free(nullptr);
    std::printf("header_cxx: %s (C++ %ld)\n", failed ? "FAILED" : "ok",
                static_cast<long>(__cplusplus));
    return failed;
}
