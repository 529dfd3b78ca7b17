/*
 * header_abi.h -- compile-time checks of mobilenet.h's ABI, shared by
 * header_c99.c and header_cxx.cpp. Include after <mobilenet.h>.
 *
 * The public structs are passed between separately compiled callers and the
 * library, so their sizes and field offsets are part of the ABI: a change
 * here is an ABI break and needs a new major version (or, for
 * mobilenet_options and mobilenet_info, a field appended at the end).
 *
 * The includer defines MOBILENET_ABI_ASSERT(name, condition), a static
 * assertion, and MOBILENET_ABI_MEMBER_SIZE(type, member), sizeof a member.
 */
#include <stddef.h>
#include <stdint.h>

/* Version macros: integers usable in #if, consistent with each other. */
#if !defined(MOBILENET_VERSION_MAJOR) || !defined(MOBILENET_VERSION_MINOR) || \
    !defined(MOBILENET_VERSION_PATCH) || !defined(MOBILENET_VERSION_NUMBER)
#  error "mobilenet.h: version macros missing"
#endif
#if MOBILENET_VERSION_NUMBER != \
    MOBILENET_VERSION_MAJOR * 10000 + MOBILENET_VERSION_MINOR * 100 + MOBILENET_VERSION_PATCH
#  error "mobilenet.h: MOBILENET_VERSION_NUMBER inconsistent"
#endif
#if MOBILENET_VERSION_MINOR > 99 || MOBILENET_VERSION_PATCH > 99
#  error "mobilenet.h: version components do not fit MOBILENET_VERSION_NUMBER"
#endif
#if MOBILENET_MAX_LAYERS != 32
#  error "mobilenet.h: MOBILENET_MAX_LAYERS changed (ABI of mobilenet_info)"
#endif

/* Enumerations: values are ABI. */
MOBILENET_ABI_ASSERT(status_ok, MOBILENET_OK == 0);
MOBILENET_ABI_ASSERT(status_invalid, MOBILENET_ERROR_INVALID_ARGUMENT == 1);
MOBILENET_ABI_ASSERT(status_io, MOBILENET_ERROR_IO == 2);
MOBILENET_ABI_ASSERT(status_format, MOBILENET_ERROR_FORMAT == 3);
MOBILENET_ABI_ASSERT(status_unsupported, MOBILENET_ERROR_UNSUPPORTED == 4);
MOBILENET_ABI_ASSERT(status_oom, MOBILENET_ERROR_OUT_OF_MEMORY == 5);
MOBILENET_ABI_ASSERT(status_buffer, MOBILENET_ERROR_BUFFER_TOO_SMALL == 6);
MOBILENET_ABI_ASSERT(status_internal, MOBILENET_ERROR_INTERNAL == 7);
MOBILENET_ABI_ASSERT(variant_separable, MOBILENET_VARIANT_SEPARABLE == 0);
MOBILENET_ABI_ASSERT(variant_full_conv, MOBILENET_VARIANT_FULL_CONV == 1);
MOBILENET_ABI_ASSERT(variant_shallow, MOBILENET_VARIANT_SHALLOW == 2);
MOBILENET_ABI_ASSERT(layer_conv, MOBILENET_LAYER_CONV_3X3 == 0);
MOBILENET_ABI_ASSERT(layer_dw, MOBILENET_LAYER_DEPTHWISE_3X3 == 1);
MOBILENET_ABI_ASSERT(layer_pw, MOBILENET_LAYER_POINTWISE_1X1 == 2);
MOBILENET_ABI_ASSERT(layer_pool, MOBILENET_LAYER_AVERAGE_POOL == 3);
MOBILENET_ABI_ASSERT(layer_fc, MOBILENET_LAYER_FULLY_CONNECTED == 4);
MOBILENET_ABI_ASSERT(status_size, sizeof(mobilenet_status) == sizeof(int));
MOBILENET_ABI_ASSERT(variant_size, sizeof(mobilenet_variant) == sizeof(int));
MOBILENET_ABI_ASSERT(layer_type_size, sizeof(mobilenet_layer_type) == sizeof(int));
MOBILENET_ABI_ASSERT(isa_auto, MOBILENET_ISA_AUTO == 0);
MOBILENET_ABI_ASSERT(isa_generic, MOBILENET_ISA_GENERIC == 1);
MOBILENET_ABI_ASSERT(isa_avx2, MOBILENET_ISA_AVX2 == 2);
MOBILENET_ABI_ASSERT(isa_avx512, MOBILENET_ISA_AVX512 == 3);
MOBILENET_ABI_ASSERT(isa_neon, MOBILENET_ISA_NEON == 4);
MOBILENET_ABI_ASSERT(isa_size, sizeof(mobilenet_isa) == sizeof(int));
MOBILENET_ABI_ASSERT(precision_unknown, MOBILENET_PRECISION_UNKNOWN == 0);
MOBILENET_ABI_ASSERT(precision_float32, MOBILENET_PRECISION_FLOAT32 == 1);
MOBILENET_ABI_ASSERT(precision_int8, MOBILENET_PRECISION_INT8 == 2);
MOBILENET_ABI_ASSERT(precision_uint8, MOBILENET_PRECISION_UINT8 == 3);
MOBILENET_ABI_ASSERT(precision_size, sizeof(mobilenet_precision) == sizeof(int));
MOBILENET_ABI_ASSERT(calibration_minmax, MOBILENET_CALIBRATION_MINMAX == 0);
MOBILENET_ABI_ASSERT(calibration_percentile, MOBILENET_CALIBRATION_PERCENTILE == 1);
MOBILENET_ABI_ASSERT(calibration_mse, MOBILENET_CALIBRATION_MSE == 2);
MOBILENET_ABI_ASSERT(calibration_size, sizeof(mobilenet_calibration) == sizeof(int));

/* Layout rules that hold on every platform. */
MOBILENET_ABI_ASSERT(options_struct_size_first, offsetof(mobilenet_options, struct_size) == 0);
MOBILENET_ABI_ASSERT(info_struct_size_first, offsetof(mobilenet_info, struct_size) == 0);
MOBILENET_ABI_ASSERT(quantize_options_struct_size_first, offsetof(mobilenet_quantize_options, struct_size) == 0);
MOBILENET_ABI_ASSERT(layer_name_first, offsetof(mobilenet_layer_info, name) == 0);
MOBILENET_ABI_ASSERT(layer_name_size, MOBILENET_ABI_MEMBER_SIZE(mobilenet_layer_info, name) == 48);
MOBILENET_ABI_ASSERT(info_layers_count,
                     MOBILENET_ABI_MEMBER_SIZE(mobilenet_info, layers) ==
                         MOBILENET_MAX_LAYERS * sizeof(mobilenet_layer_info));

/* Exact layouts on the supported LP64 targets (x86-64 and arm64 Linux). */
#if defined(__LP64__) || defined(_LP64)
/* 0.1.0's options were 16 bytes; 0.2.0 appended max_isa. */
MOBILENET_ABI_ASSERT(options_size, sizeof(mobilenet_options) == 24);
MOBILENET_ABI_ASSERT(options_num_threads, offsetof(mobilenet_options, num_threads) == 8);
MOBILENET_ABI_ASSERT(options_crop_fraction, offsetof(mobilenet_options, crop_fraction) == 12);
MOBILENET_ABI_ASSERT(options_max_isa, offsetof(mobilenet_options, max_isa) == 16);

MOBILENET_ABI_ASSERT(prediction_size, sizeof(mobilenet_prediction) == 16);
MOBILENET_ABI_ASSERT(prediction_class_index, offsetof(mobilenet_prediction, class_index) == 0);
MOBILENET_ABI_ASSERT(prediction_probability, offsetof(mobilenet_prediction, probability) == 4);
MOBILENET_ABI_ASSERT(prediction_label, offsetof(mobilenet_prediction, label) == 8);

MOBILENET_ABI_ASSERT(layer_size, sizeof(mobilenet_layer_info) == 96);
MOBILENET_ABI_ASSERT(layer_type, offsetof(mobilenet_layer_info, type) == 48);
MOBILENET_ABI_ASSERT(layer_stride, offsetof(mobilenet_layer_info, stride) == 52);
MOBILENET_ABI_ASSERT(layer_input_height, offsetof(mobilenet_layer_info, input_height) == 56);
MOBILENET_ABI_ASSERT(layer_input_width, offsetof(mobilenet_layer_info, input_width) == 60);
MOBILENET_ABI_ASSERT(layer_input_channels, offsetof(mobilenet_layer_info, input_channels) == 64);
MOBILENET_ABI_ASSERT(layer_output_height, offsetof(mobilenet_layer_info, output_height) == 68);
MOBILENET_ABI_ASSERT(layer_output_width, offsetof(mobilenet_layer_info, output_width) == 72);
MOBILENET_ABI_ASSERT(layer_output_channels,
                     offsetof(mobilenet_layer_info, output_channels) == 76);
MOBILENET_ABI_ASSERT(layer_mult_adds, offsetof(mobilenet_layer_info, mult_adds) == 80);
MOBILENET_ABI_ASSERT(layer_parameters, offsetof(mobilenet_layer_info, parameters) == 88);

/* 0.5.0's quantize options, the first released size. */
MOBILENET_ABI_ASSERT(quantize_options_size, sizeof(mobilenet_quantize_options) == 40);
MOBILENET_ABI_ASSERT(quantize_options_num_threads, offsetof(mobilenet_quantize_options, num_threads) == 8);
MOBILENET_ABI_ASSERT(quantize_options_method, offsetof(mobilenet_quantize_options, method) == 12);
MOBILENET_ABI_ASSERT(quantize_options_percentile, offsetof(mobilenet_quantize_options, percentile) == 16);
MOBILENET_ABI_ASSERT(quantize_options_bias_correction,
                     offsetof(mobilenet_quantize_options, bias_correction) == 24);
MOBILENET_ABI_ASSERT(quantize_options_logits_headroom,
                     offsetof(mobilenet_quantize_options, logits_headroom) == 32);

/* 0.1.0's info was 48 + 32 * 96 bytes; 0.2.0 appended total_layers and isa. */
MOBILENET_ABI_ASSERT(info_size, sizeof(mobilenet_info) == 48 + 32 * 96 + 8);
MOBILENET_ABI_ASSERT(info_total_layers, offsetof(mobilenet_info, total_layers) == 48 + 32 * 96);
MOBILENET_ABI_ASSERT(info_isa, offsetof(mobilenet_info, isa) == 48 + 32 * 96 + 4);
MOBILENET_ABI_ASSERT(info_variant, offsetof(mobilenet_info, variant) == 8);
MOBILENET_ABI_ASSERT(info_width_multiplier, offsetof(mobilenet_info, width_multiplier) == 12);
MOBILENET_ABI_ASSERT(info_resolution, offsetof(mobilenet_info, resolution) == 16);
MOBILENET_ABI_ASSERT(info_num_classes, offsetof(mobilenet_info, num_classes) == 20);
MOBILENET_ABI_ASSERT(info_mult_adds, offsetof(mobilenet_info, mult_adds) == 24);
MOBILENET_ABI_ASSERT(info_parameters, offsetof(mobilenet_info, parameters) == 32);
MOBILENET_ABI_ASSERT(info_num_layers, offsetof(mobilenet_info, num_layers) == 40);
MOBILENET_ABI_ASSERT(info_layers, offsetof(mobilenet_info, layers) == 48);
#endif
