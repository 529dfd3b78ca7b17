/*
 * mobilenet.h -- the C interface of libmobilenet.
 *
 * libmobilenet runs MobileNet v1 image classifiers (Howard et al., 2017) on
 * the CPU. This header is the whole public interface of libmobilenet.so;
 * every function below is exported and nothing else is.
 *
 * Conventions (they hold for every function unless its comment says otherwise)
 *
 *  Status.   Functions that can fail return a mobilenet_status. On failure
 *            the calling thread's error message (mobilenet_last_error) says
 *            what went wrong; on success it is reset to "". Output
 *            parameters are written only on success.
 *  Arguments. Every argument is validated before use: NULL pointers, sizes
 *            that are zero, negative, too large or whose products overflow,
 *            and output buffers that are too small are reported as
 *            MOBILENET_ERROR_INVALID_ARGUMENT (or _BUFFER_TOO_SMALL), never
 *            by crashing.
 *  Ownership. Pointers passed in remain owned by the caller and are not
 *            retained after the call returns. Pointers returned (strings,
 *            labels) are owned by the library; their lifetime is stated at
 *            each function. A mobilenet_model is owned by the caller from a
 *            successful load until mobilenet_model_free.
 *  Threads.  A loaded model is immutable. Any number of threads may call
 *            any function on the same model at the same time, except
 *            mobilenet_model_free, which must not race with other calls on
 *            that model. Functions without a model are thread-safe.
 *  fork().   A process may fork() at any time, from any thread, even while
 *            other threads are inside the library: fork() waits for runs in
 *            progress to finish the layer they are splitting (pthread_atfork
 *            handlers). In the child, models loaded before the fork work and
 *            give the same results, on the calling thread only (their worker
 *            threads stayed in the parent), and mobilenet_model_free releases
 *            them without waiting for workers. Models loaded in the child
 *            start their own worker threads.
 *  Memory.   The library never retains or frees memory it did not
 *            allocate. The model file is read completely during load; the
 *            model does not depend on the file (or, for
 *            mobilenet_model_load_memory, the buffer) afterwards.
 *
 *  Growth.   The header grows without breaking callers built against an
 *            earlier one (0.1.0 on): new functions get new names; option
 *            and info structs gain fields only at their end, and struct_size
 *            tells the library which fields a caller knows. Any struct_size
 *            from the first released size (noted at each struct) up to the
 *            current sizeof is accepted: fields the caller does not know
 *            (or whose bytes its size covers only in part) take their
 *            defaults on input, and nothing past struct_size is written. Enum
 *            values never change meaning; new ones are added.
 *
 * The header is C99 and C++ clean.
 */
#ifndef MOBILENET_H
#define MOBILENET_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define MOBILENET_VERSION_MAJOR 0
#define MOBILENET_VERSION_MINOR 5
#define MOBILENET_VERSION_PATCH 0
#define MOBILENET_VERSION_STRING "0.5.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define MOBILENET_VERSION_NUMBER \
    (MOBILENET_VERSION_MAJOR * 10000 + MOBILENET_VERSION_MINOR * 100 + MOBILENET_VERSION_PATCH)

#if defined(_WIN32)
#  define MOBILENET_API
#elif defined(__GNUC__) || defined(__clang__)
#  define MOBILENET_API __attribute__((visibility("default")))
#else
#  define MOBILENET_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library actually loaded, as "MAJOR.MINOR.PATCH".
 * Static storage; never NULL. Compare with MOBILENET_VERSION_STRING to detect
 * a header/library mismatch. */
MOBILENET_API const char *mobilenet_version(void);

/* The loaded library's MOBILENET_VERSION_NUMBER. */
MOBILENET_API int mobilenet_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status and errors                                                         */
/* ------------------------------------------------------------------------ */

typedef enum mobilenet_status {
    MOBILENET_OK = 0,
    /* A NULL pointer, a size out of range, an overflowing size product, a
     * top_k out of range, options with an unknown struct_size, ... */
    MOBILENET_ERROR_INVALID_ARGUMENT = 1,
    /* The model file could not be opened or read. */
    MOBILENET_ERROR_IO = 2,
    /* The model file is malformed: bad safetensors header or JSON, missing,
     * extra or misshapen tensors, offsets out of range or overlapping,
     * NaN/infinite weights, bad metadata. */
    MOBILENET_ERROR_FORMAT = 3,
    /* The model file is well formed but describes something this version
     * does not run (another architecture, a tensor dtype other than F32),
     * or options ask for kernels this CPU cannot run (see mobilenet_isa). */
    MOBILENET_ERROR_UNSUPPORTED = 4,
    /* An allocation failed or would exceed what the input justifies. */
    MOBILENET_ERROR_OUT_OF_MEMORY = 5,
    /* An output buffer's capacity is smaller than the result. */
    MOBILENET_ERROR_BUFFER_TOO_SMALL = 6,
    /* A bug in libmobilenet; please report it with the message. */
    MOBILENET_ERROR_INTERNAL = 7
} mobilenet_status;

/* A short English description of a status, e.g. "invalid argument".
 * Static storage; never NULL (unknown values give "unknown status"). */
MOBILENET_API const char *mobilenet_status_string(mobilenet_status status);

/* The message describing the calling thread's most recent failure of a
 * status-returning function, or "" if its most recent such call succeeded.
 * Thread-local: other threads' calls do not change it. Never NULL. The
 * pointer stays valid until the calling thread's next call into the library
 * or until the thread exits; copy it if you need it longer. If the process
 * has no free pthread key (the host created PTHREAD_KEYS_MAX) or memory runs
 * out, it is a fixed static text saying the message is unavailable; the
 * status still says what failed. */
MOBILENET_API const char *mobilenet_last_error(void);

/* ------------------------------------------------------------------------ */
/* Kernels: instruction-set tiers                                            */
/* ------------------------------------------------------------------------ */

/* libmobilenet.so carries its kernels for several instruction sets and picks,
 * at each model load, the best one the CPU and the OS support (CPUID and
 * XGETBV: AVX-512 is used only if the OS saves the zmm registers). The
 * environment variable MOBILENET_MAX_ISA=generic|avx2|avx512 (neon on arm64)
 * caps the choice for every load, like oneDNN's ONEDNN_MAX_CPU_ISA; an
 * unknown value fails the load with INVALID_ARGUMENT. Results are
 * bit-identical for any thread count within a tier; tiers may differ in the
 * last bits (the generic tier has no FMA). */
typedef enum mobilenet_isa {
    MOBILENET_ISA_AUTO = 0,    /* options: the best available (the default) */
    MOBILENET_ISA_GENERIC = 1, /* x86-64 baseline (SSE2): any x86-64 CPU, several times slower */
    MOBILENET_ISA_AVX2 = 2,    /* AVX2 + FMA: Intel since 2013 (Haswell), AMD since 2015 */
    MOBILENET_ISA_AVX512 = 3,  /* AVX-512 F/BW/DQ/VL/VNNI: Intel Cascade Lake and later, AMD Zen 4 and later */
    MOBILENET_ISA_NEON = 4     /* arm64 (NEON is baseline there) */
} mobilenet_isa;

/* The tier a model loaded now with default options would use: the best the
 * CPU and OS support, capped by MOBILENET_MAX_ISA. MOBILENET_ISA_AUTO if
 * MOBILENET_MAX_ISA holds an unknown value. */
MOBILENET_API mobilenet_isa mobilenet_best_isa(void);

/* "generic", "avx2", "avx512", "neon" ("auto" for MOBILENET_ISA_AUTO,
 * "unknown" otherwise). Static storage; never NULL. */
MOBILENET_API const char *mobilenet_isa_name(mobilenet_isa isa);

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* First released size (0.1.0): struct_size, num_threads, crop_fraction
 * (16 bytes on LP64). */
typedef struct mobilenet_options {
    /* sizeof(mobilenet_options) as the caller compiled it; set by
     * mobilenet_options_init. Any size from the first released one on is
     * accepted (see Growth above). */
    size_t struct_size;
    /* Worker threads one inference may use: 0 = one per CPU the process may
     * use (the least of the online CPUs, the affinity mask (taskset,
     * sched_setaffinity) and the cgroup CPU quota (cpu.max, or
     * cpu.cfs_quota_us / cpu.cfs_period_us), rounded up, at most 64);
     * otherwise 1..256. Results are bit-identical whatever the count.
     * One image's layers are split across the threads; a batch of at least
     * num_threads images instead gives each thread whole images (faster,
     * and one activation buffer set per thread: about 7 MB each at 224). */
    int num_threads;
    /* Fraction of the image's height and width kept by the central crop of
     * mobilenet_model_classify_rgb8: 0 = the default, 0.875 (TF-Slim's
     * evaluation recipe); otherwise in (0, 1]; 1 = the whole image. */
    float crop_fraction;
    /* Since 0.2.0. The fastest kernel tier to use: MOBILENET_ISA_AUTO (0) =
     * the best available; otherwise at most this tier, which the CPU must
     * support (else the load fails with UNSUPPORTED). MOBILENET_MAX_ISA
     * caps it further. */
    mobilenet_isa max_isa;
} mobilenet_options;

/* Fills the first struct_size bytes of *options with the defaults
 * (struct_size = struct_size, num_threads 0, crop_fraction 0, max_isa AUTO)
 * and writes nothing past them. struct_size: from 0.1.0's size to today's
 * sizeof(mobilenet_options). Since 0.2.0.
 * Errors: INVALID_ARGUMENT for a size out of that range (nothing written);
 * NULL is ignored as by mobilenet_options_init: INVALID_ARGUMENT is returned
 * but the thread's last error is left as it was. */
MOBILENET_API mobilenet_status mobilenet_options_init_sized(mobilenet_options *options,
                                                            size_t struct_size);

/* Fills *options with the defaults. Code compiled against this header calls
 * mobilenet_options_init_sized with its own sizeof through the macro below;
 * the function itself remains for programs built against 0.1.0 and fills
 * only 0.1.0's fields (struct_size = 16 on LP64), since it cannot know a
 * caller's size. NULL is ignored. */
MOBILENET_API void mobilenet_options_init(mobilenet_options *options);
#define mobilenet_options_init(options) \
    ((void)mobilenet_options_init_sized((options), sizeof(mobilenet_options)))

/* ------------------------------------------------------------------------ */
/* Models                                                                    */
/* ------------------------------------------------------------------------ */

/* An opaque loaded model: weights packed for the kernels, labels and the
 * preprocessing recipe. Immutable after load; see Threads above. */
typedef struct mobilenet_model mobilenet_model;

/* Loads a model from a safetensors file (see README: "Weights format") or,
 * since 0.4.0, a TFLite flatbuffer (.tflite, recognised by its "TFL3"
 * identifier) holding a MobileNet v1: float32, full-integer int8 as
 * TensorFlow's converter writes it, or 2018-style uint8 (docs/tflite.md
 * lists what is accepted; mobilenet_model_precision tells which). Every
 * offset, table, vector and tensor index of a .tflite is bounds-checked and
 * its graph checked to be a MobileNet v1 before anything runs: anything
 * else is UNSUPPORTED or FORMAT with a message naming what was found.
 * path: NUL-terminated file name, passed to open() byte for byte (it need
 * not be UTF-8), not retained. Only a regular file (or a symlink to one) is
 * accepted: a directory, FIFO, socket or device is MOBILENET_ERROR_IO at
 * once, without blocking. options: NULL for defaults.
 * On success stores a new model in *out_model, which the caller must release
 * with mobilenet_model_free. The whole file is read and validated (header,
 * shapes against the width multiplier and class count, offsets, finiteness
 * of every weight) before the model is built; the file may be changed or
 * deleted once this returns. On failure *out_model is left untouched.
 * Errors: INVALID_ARGUMENT, IO, FORMAT, UNSUPPORTED, OUT_OF_MEMORY. */
MOBILENET_API mobilenet_status mobilenet_model_load(const char *path,
                                                    const mobilenet_options *options,
                                                    mobilenet_model **out_model);

/* As mobilenet_model_load, from size bytes at data (the contents of a
 * safetensors or .tflite file). The bytes are copied as needed; the caller may free or
 * reuse them as soon as this returns. */
MOBILENET_API mobilenet_status mobilenet_model_load_memory(const void *data, size_t size,
                                                           const mobilenet_options *options,
                                                           mobilenet_model **out_model);

/* Releases a model and everything it owns (labels included). NULL is a
 * no-op. Must not be called while another thread uses the model. */
MOBILENET_API void mobilenet_model_free(mobilenet_model *model);

/* Runs the network on a batch of images and writes pre-softmax logits.
 * input:  batch * height * width * 3 floats, NHWC, already normalized the
 *         way the model expects (for the bundled model: RGB scaled to
 *         [-1, 1]). Read only; not retained.
 * batch:  1..4096. height, width: 1..4096 each; any size is accepted (the
 *         network is convolutional up to its global average pool), though
 *         accuracy is best near the model's resolution.
 * logits: receives batch * num_classes floats, image-major.
 * logits_capacity: the number of floats logits can hold.
 * Memory: activations live in arenas planned per input size and cached by
 * the model. After the first call at a given input size, a call allocates
 * no memory as long as the arenas in use fit the model's cache: at least
 * num_threads + 2 arenas of the model's own resolution, and any mix of
 * sizes up to 128 MiB in all (an arena is about 5 MB at 224 x 224, 1.0).
 * A batch of at least num_threads images uses num_threads arenas at once.
 * An arena larger than the cache is freed after its call.
 * Errors: INVALID_ARGUMENT, BUFFER_TOO_SMALL, OUT_OF_MEMORY. */
MOBILENET_API mobilenet_status mobilenet_model_run(mobilenet_model *model, const float *input,
                                                   int batch, int height, int width,
                                                   float *logits, size_t logits_capacity);

/* One class of a classification result. */
typedef struct mobilenet_prediction {
    int class_index;     /* 0..num_classes-1 (bundled model: 0 = "background") */
    float probability;   /* softmax of the logits, in [0, 1] */
    const char *label;   /* owned by the model, valid until mobilenet_model_free;
                            NULL if the model has no label for this class */
} mobilenet_prediction;

/* Classifies one 8-bit RGB image of any size with the model's own
 * preprocessing, TF-Slim's evaluation recipe by default:
 *   1. central crop keeping crop_fraction (default 0.875) of the height and
 *      width: offset = (int)((size - size * fraction) / 2) on each side;
 *   2. bilinear resize of the crop to the model's resolution (TensorFlow's
 *      resize_bilinear, align_corners = false, no half-pixel centers);
 *   3. normalization (value - mean) * scale per channel from the model
 *      file (bundled model: (value - 127.5) / 127.5, i.e. [-1, 1]).
 * rgb:         height rows of width * 3 bytes (R, G, B), rows row_stride
 *              bytes apart (row_stride >= width * 3). Not retained.
 * width, height: 1..65536 each.
 * top_k:       1..num_classes.
 * predictions: receives top_k entries, most probable first (ties: lower
 *              class index first). Probabilities are always finite and sum
 *              to 1, even if a model's weights make its logits overflow.
 * Errors: INVALID_ARGUMENT, OUT_OF_MEMORY. */
MOBILENET_API mobilenet_status mobilenet_model_classify_rgb8(mobilenet_model *model,
                                                             const uint8_t *rgb, int width,
                                                             int height, size_t row_stride,
                                                             int top_k,
                                                             mobilenet_prediction *predictions);

/* ------------------------------------------------------------------------ */
/* Embeddings (since 0.2.0)                                                  */
/* ------------------------------------------------------------------------ */

/* Floats per embedding: the channels of the global-average-pooled features
 * before the logits layer (1024 for width multiplier 1.0; only the real
 * channels, no padding), or 0 if model is NULL. */
MOBILENET_API int mobilenet_model_embedding_size(const mobilenet_model *model);

/* As mobilenet_model_run, but writes batch * embedding_size floats: each
 * image's pooled features (TensorFlow's MobilenetV1/Logits/AvgPool_1a
 * output), image-major. The logits layer is not computed.
 * Errors: INVALID_ARGUMENT, BUFFER_TOO_SMALL, OUT_OF_MEMORY. */
MOBILENET_API mobilenet_status mobilenet_model_embed(mobilenet_model *model, const float *input,
                                                     int batch, int height, int width,
                                                     float *embeddings, size_t embeddings_capacity);

/* The embedding of one 8-bit RGB image with the model's preprocessing
 * (arguments as mobilenet_model_classify_rgb8): embedding_size floats.
 * Errors: INVALID_ARGUMENT, BUFFER_TOO_SMALL, OUT_OF_MEMORY. */
MOBILENET_API mobilenet_status mobilenet_model_embed_rgb8(mobilenet_model *model,
                                                          const uint8_t *rgb, int width, int height,
                                                          size_t row_stride, float *embedding,
                                                          size_t embedding_capacity);

/* The number of classes the model outputs (1001 for the bundled model), or
 * 0 if model is NULL. */
MOBILENET_API int mobilenet_model_num_classes(const mobilenet_model *model);

/* The label of class_index, owned by the model and valid until
 * mobilenet_model_free; NULL if model is NULL, class_index is out of range
 * or the model has no labels. The bundled model has 1001 classes: index 0 is
 * "background" and index i (1..1000) is ImageNet class i-1 in the usual
 * 1000-class (sorted synset) order: mind the off-by-one. */
MOBILENET_API const char *mobilenet_model_label(const mobilenet_model *model, int class_index);

/* ------------------------------------------------------------------------ */
/* Structure: a loaded model's, or any configuration's                       */
/* ------------------------------------------------------------------------ */

/* The network family members of the MobileNets paper. */
typedef enum mobilenet_variant {
    MOBILENET_VARIANT_SEPARABLE = 0, /* MobileNet v1 (paper Table 1) */
    MOBILENET_VARIANT_FULL_CONV = 1, /* each separable block as one full 3x3 conv (Table 4) */
    MOBILENET_VARIANT_SHALLOW = 2    /* without the five 14x14x512 separable blocks (Table 5) */
} mobilenet_variant;

typedef enum mobilenet_layer_type {
    MOBILENET_LAYER_CONV_3X3 = 0,       /* full 3x3 convolution + BN + ReLU6 */
    MOBILENET_LAYER_DEPTHWISE_3X3 = 1,  /* depthwise 3x3 + BN + ReLU6 */
    MOBILENET_LAYER_POINTWISE_1X1 = 2,  /* 1x1 convolution + BN + ReLU6 */
    MOBILENET_LAYER_AVERAGE_POOL = 3,   /* global average pool */
    MOBILENET_LAYER_FULLY_CONNECTED = 4 /* logits (1x1 conv with bias) */
} mobilenet_layer_type;

/* Rows mobilenet_info holds inline. Networks may have more layers: read
 * them all by index with mobilenet_model_layer / mobilenet_describe_layer. */
#define MOBILENET_MAX_LAYERS 32

/* One layer's row. Shapes are height x width x channels. Its layout is fixed
 * (it has no struct_size): later versions describe more in new structs. */
typedef struct mobilenet_layer_info {
    char name[48];              /* e.g. "Conv2d_3_pointwise", NUL-terminated */
    mobilenet_layer_type type;
    int stride;
    int input_height, input_width, input_channels;
    int output_height, output_width, output_channels;
    int64_t mult_adds;          /* for one image */
    int64_t parameters;         /* weights only, as the paper counts them: no
                                   biases, no BatchNorm parameters */
} mobilenet_layer_info;

/* A network's structure for one input size. Plain data: no pointers, no
 * ownership; copy it freely. First released size (0.1.0): up to and
 * including layers[] (3120 bytes on LP64). */
typedef struct mobilenet_info {
    size_t struct_size;         /* set by the caller: sizeof(mobilenet_info) */
    mobilenet_variant variant;
    float width_multiplier;     /* alpha */
    int resolution;             /* input height = width */
    int num_classes;
    int64_t mult_adds;          /* totals over all layers, one image */
    int64_t parameters;
    int num_layers;             /* rows used in layers[]: at most MOBILENET_MAX_LAYERS */
    mobilenet_layer_info layers[MOBILENET_MAX_LAYERS];
    /* Since 0.2.0. */
    int total_layers;           /* every layer, also those past layers[] */
    mobilenet_isa isa;          /* model info: its kernels' tier; describe: AUTO */
} mobilenet_info;

/* Describes a configuration without weights. width_multiplier in (0, 4],
 * resolution 1..4096, num_classes 1..100000 (the paper counts 1000).
 * info->struct_size: see Growth; only that many bytes are written.
 * Errors: INVALID_ARGUMENT. */
MOBILENET_API mobilenet_status mobilenet_describe(mobilenet_variant variant,
                                                  float width_multiplier, int resolution,
                                                  int num_classes, mobilenet_info *info);

/* Describes a loaded model at the resolution it was trained at (from its
 * file's metadata): variant, width multiplier, resolution, class count,
 * parameters, multiply-adds and kernel tier. info->struct_size: see Growth;
 * only that many bytes are written. Errors: INVALID_ARGUMENT. */
MOBILENET_API mobilenet_status mobilenet_model_info(const mobilenet_model *model,
                                                    mobilenet_info *info);

/* The number of layers of a loaded model (at its resolution), 0 if model
 * is NULL. */
MOBILENET_API int mobilenet_model_num_layers(const mobilenet_model *model);

/* Layer index (0..num_layers-1) of a loaded model into *row.
 * Errors: INVALID_ARGUMENT (NULL, index out of range). */
MOBILENET_API mobilenet_status mobilenet_model_layer(const mobilenet_model *model, int index,
                                                     mobilenet_layer_info *row);

/* The number of layers of a configuration (arguments as mobilenet_describe),
 * or 0 if they are invalid (mobilenet_describe says why). */
MOBILENET_API int mobilenet_describe_num_layers(mobilenet_variant variant, float width_multiplier,
                                                int resolution, int num_classes);

/* Layer index of a configuration into *row (arguments as mobilenet_describe).
 * Errors: INVALID_ARGUMENT. */
MOBILENET_API mobilenet_status mobilenet_describe_layer(mobilenet_variant variant,
                                                        float width_multiplier, int resolution,
                                                        int num_classes, int index,
                                                        mobilenet_layer_info *row);

/* The kernel tier a loaded model runs on; MOBILENET_ISA_AUTO if model is NULL. */
MOBILENET_API mobilenet_isa mobilenet_model_isa(const mobilenet_model *model);

/* ------------------------------------------------------------------------ */
/* Precision (since 0.4.0)                                                   */
/* ------------------------------------------------------------------------ */

/* The arithmetic a model runs in. Whatever it is, mobilenet_model_run and
 * _embed take normalized float NHWC input and return floats, and classify
 * works the same: an 8-bit model quantizes the input as TFLite's QUANTIZE
 * does and dequantizes its logits and embeddings as DEQUANTIZE does. 8-bit
 * results are exact integers inside, so they are bit-identical for every
 * thread count and every tier. */
typedef enum mobilenet_precision {
    MOBILENET_PRECISION_UNKNOWN = 0, /* model is NULL */
    MOBILENET_PRECISION_FLOAT32 = 1, /* safetensors and float32 .tflite files */
    MOBILENET_PRECISION_INT8 = 2,    /* int8 .tflite (per-channel weights, TFLite's requantization) */
    MOBILENET_PRECISION_UINT8 = 3    /* 2018 uint8 .tflite (per-tensor asymmetric) */
} mobilenet_precision;

MOBILENET_API mobilenet_precision mobilenet_model_precision(const mobilenet_model *model);

/* "float32", "int8", "uint8" ("unknown" otherwise). Static storage; never NULL. */
MOBILENET_API const char *mobilenet_precision_name(mobilenet_precision precision);

/* ------------------------------------------------------------------------ */
/* Training (since 0.3.0)                                                    */
/* ------------------------------------------------------------------------ */

/* A trainer holds a network's canonical parameters (BatchNorm unfolded), its
 * BatchNorm moving statistics, the optimizer's slots and the global step, and
 * trains them with TF-Slim's semantics (nets/mobilenet_v1.py with
 * train_image_classifier.py, dropout off); docs/training.md gives every
 * formula and the TF-Slim flag each option corresponds to.
 *
 * Threads: a trainer is mutable; use it from one thread at a time (calls on
 * different trainers may run concurrently). Each step splits its work over
 * num_threads worker threads; weights, losses and statistics are
 * bit-identical whatever num_threads is (every sum over images and pixels is
 * cut into parts fixed by the data size and added in part order).
 * Memory: activations kept for the backward pass are planned per (batch,
 * height, width) and reused; after the first step at a size, a step
 * allocates nothing. The trainer owns everything it allocates; free it with
 * mobilenet_trainer_free. A trainer used after free is the caller's bug; a
 * NULL trainer is INVALID_ARGUMENT.
 * fork(): as for models, a trainer inherited by a child process runs its
 * steps on the calling thread (the workers stayed in the parent). */
typedef struct mobilenet_trainer mobilenet_trainer;

typedef enum mobilenet_optimizer {
    MOBILENET_OPTIMIZER_RMSPROP = 0,  /* tf.compat.v1.train.RMSPropOptimizer (TF-Slim's default) */
    MOBILENET_OPTIMIZER_MOMENTUM = 1, /* tf.compat.v1.train.MomentumOptimizer */
    MOBILENET_OPTIMIZER_SGD = 2,      /* tf.compat.v1.train.GradientDescentOptimizer */
    MOBILENET_OPTIMIZER_ADAM = 3      /* tf.compat.v1.train.AdamOptimizer */
} mobilenet_optimizer;

typedef enum mobilenet_batchnorm {
    /* Normalise with the batch's mean and biased variance and update every
     * layer's moving statistics (also in layers that are not trainable),
     * as TF-Slim's is_training=True. */
    MOBILENET_BATCHNORM_TRAIN = 0,
    /* Normalise with the moving statistics and update none of them. */
    MOBILENET_BATCHNORM_FROZEN = 1
} mobilenet_batchnorm;

/* First released size (0.3.0): the whole struct (80 bytes on LP64). */
typedef struct mobilenet_train_options {
    size_t struct_size;             /* sizeof(mobilenet_train_options); set by the init function */
    int num_threads;                /* 0 = one per CPU the process may use (as mobilenet_options); else 1..256 */
    mobilenet_optimizer optimizer;  /* --optimizer: rmsprop (default) */
    float learning_rate;            /* --learning_rate: 0.01; finite, normal, > 0 */
    float momentum;                 /* --momentum (rmsprop, momentum): 0.9; in [0, 1) */
    float rmsprop_decay;            /* --rmsprop_decay: 0.9; in [0, 1) */
    float epsilon;                  /* --opt_epsilon (rmsprop, adam): 1.0; finite, normal, > 0 */
    float weight_decay;             /* --weight_decay: 4e-5; >= 0 */
    float label_smoothing;          /* --label_smoothing: 0; in [0, 1) */
    mobilenet_batchnorm batchnorm;  /* TRAIN (default) or FROZEN */
    float batchnorm_decay;          /* mobilenet_v1_arg_scope's batch_norm_decay: 0.9997; in [0, 1) */
    /* NULL or "" = every layer trains; else the first trainable layer, a name
     * as mobilenet_layer_info gives it ("Conv2d_12_depthwise", "Logits", ...):
     * it and every later layer train (--trainable_scopes); "AvgPool_1a", which
     * has no variables, trains the Logits only. Layers that do not train get
     * no optimizer slots. Not retained. */
    const char *trainable_from;
    /* 0 = keep the checkpoint's classifier; else a new Logits layer with this
     * many classes (1..100000), initialised as from scratch
     * (--checkpoint_exclude_scopes=MobilenetV1/Logits); the file's labels and
     * its Logits slots are dropped with it. */
    int num_classes;
    uint64_t seed;                  /* initialisation of new layers; 0 is a valid seed */
    float adam_beta1;               /* --adam_beta1: 0.9; in [0, 1) */
    float adam_beta2;               /* --adam_beta2: 0.999; in [0, 1) */
} mobilenet_train_options;

/* Fills the first struct_size bytes of *options with TF-Slim's defaults
 * (above; struct_size = struct_size) and writes nothing past them.
 * struct_size: from the first released size to today's sizeof.
 * Errors: INVALID_ARGUMENT for a size out of that range or NULL (nothing
 * written). Every field is validated when the options are used, also those
 * the chosen optimizer ignores (momentum for SGD, the betas for RMSProp). */
MOBILENET_API mobilenet_status mobilenet_train_options_init_sized(mobilenet_train_options *options,
                                                                  size_t struct_size);

/* Fills *options with the defaults. Code compiled against this header calls
 * mobilenet_train_options_init_sized with its own sizeof through the macro
 * below; the function itself fills the first released size (0.3.0's 80
 * bytes), for callers that cannot use the macro. NULL is ignored. */
MOBILENET_API void mobilenet_train_options_init(mobilenet_train_options *options);
#define mobilenet_train_options_init(options) \
    ((void)mobilenet_train_options_init_sized((options), sizeof(mobilenet_train_options)))

/* Opens a model file or a checkpoint for training. A checkpoint written by
 * mobilenet_trainer_save resumes exactly (its slots, global step and
 * optimizer state; the same later steps, bit for bit, as if never
 * interrupted); a model file starts with fresh slots at global step 0.
 * options: NULL = a checkpoint's own saved options (the learning rate as
 * last set included), or the defaults for a model file; given options win
 * over saved ones, and the checkpoint's slots are used where their names
 * match the chosen optimizer's (else they start fresh). With
 * options->num_classes set, the file's Logits are replaced by a new
 * classifier.
 * Errors: INVALID_ARGUMENT, IO, FORMAT, UNSUPPORTED, OUT_OF_MEMORY. On
 * failure *out is left untouched. */
MOBILENET_API mobilenet_status mobilenet_trainer_load(const char *path,
                                                      const mobilenet_train_options *options,
                                                      mobilenet_trainer **out);

/* A new network initialised as TF-Slim does from scratch (weights from a
 * truncated normal with stddev 0.09, biases 0; BatchNorm gamma 1, beta 0,
 * moving mean 0, moving variance 1), from options->seed. resolution is the
 * size recorded in the model (1..4096; steps may use any size); num_classes
 * 1..100000 (options->num_classes is ignored here). */
MOBILENET_API mobilenet_status mobilenet_trainer_new(mobilenet_variant variant, float width_multiplier,
                                                     int resolution, int num_classes,
                                                     const mobilenet_train_options *options,
                                                     mobilenet_trainer **out);

/* One training step on a batch: forward, mean softmax cross-entropy (with
 * label smoothing), backward, weight decay, one optimizer update, BatchNorm
 * statistics per the mode; the global step grows by one.
 * input: batch * height * width * 3 floats, NHWC, normalised as for
 * mobilenet_model_run; labels: batch class indices in [0, num_classes).
 * batch 1..4096, height and width 1..4096. out_loss (may be NULL): the
 * batch's mean cross-entropy before the update, without the L2 term.
 * Errors: INVALID_ARGUMENT (NULL, sizes, a label out of range, a non-finite
 * input), OUT_OF_MEMORY; a step that would make a weight non-finite is
 * INVALID_ARGUMENT and leaves the trainer as it was before the step. */
MOBILENET_API mobilenet_status mobilenet_trainer_step(mobilenet_trainer *trainer, const float *input,
                                                      const int32_t *labels, int batch, int height,
                                                      int width, float *out_loss);

/* The mean cross-entropy (no label smoothing, no L2 term) and the number of
 * images whose top-1 class is their label, with BatchNorm on the moving
 * statistics (inference), changing nothing. Arguments as
 * mobilenet_trainer_step; out_loss and out_correct may be NULL. */
MOBILENET_API mobilenet_status mobilenet_trainer_evaluate(mobilenet_trainer *trainer, const float *input,
                                                          const int32_t *labels, int batch, int height,
                                                          int width, float *out_loss, int *out_correct);

/* Head-only training on cached features (the fine-tuning "head" recipe):
 * the embeddings mobilenet_model_embed gives for the trainer's network
 * (mobilenet_trainer_export of it, or the model file it was loaded from), so
 * each image's forward pass is paid once, not once per epoch. Allowed only
 * while the Logits alone train (trainable_from "Logits" or "AvgPool_1a"),
 * else INVALID_ARGUMENT: a trained backbone would make cached features stale.
 * embeddings: batch * embedding_size floats, finite; labels as for
 * mobilenet_trainer_step; batch 1..4096. The step is the Logits part of
 * mobilenet_trainer_step exactly (cross-entropy with label smoothing, weight
 * decay, the optimizer, the global step); BatchNorm is not involved. */
MOBILENET_API mobilenet_status mobilenet_trainer_step_embeddings(mobilenet_trainer *trainer,
                                                                 const float *embeddings,
                                                                 const int32_t *labels, int batch,
                                                                 float *out_loss);

/* Loss (no label smoothing) and top-1 hits of the Logits on embeddings;
 * changes nothing. Arguments as mobilenet_trainer_step_embeddings (allowed
 * whatever trains). */
MOBILENET_API mobilenet_status mobilenet_trainer_evaluate_embeddings(mobilenet_trainer *trainer,
                                                                     const float *embeddings,
                                                                     const int32_t *labels, int batch,
                                                                     float *out_loss, int *out_correct);

/* Floats per image of the embeddings the Logits take (1024 at alpha 1); 0 if
 * trainer is NULL. */
MOBILENET_API int mobilenet_trainer_embedding_size(const mobilenet_trainer *trainer);

/* Sets the learning rate of later steps (a schedule is the caller's).
 * Errors: INVALID_ARGUMENT (NULL; a rate that is not finite, normal and
 * > 0). The rate is saved in checkpoints. */
MOBILENET_API mobilenet_status mobilenet_trainer_set_learning_rate(mobilenet_trainer *trainer,
                                                                   float learning_rate);

/* Steps taken since the network was created (kept in checkpoints); -1 if
 * trainer is NULL. */
MOBILENET_API int64_t mobilenet_trainer_global_step(const mobilenet_trainer *trainer);

/* The class count of the trainer's classifier; 0 if trainer is NULL. */
MOBILENET_API int mobilenet_trainer_num_classes(const mobilenet_trainer *trainer);

/* Tensors by TensorFlow name: TF-Slim's variables
 * ("MobilenetV1/Conv2d_0/weights", ".../BatchNorm/moving_mean",
 * "MobilenetV1/Logits/Conv2d_1c_1x1/biases", ...) and TF1's optimizer slots
 * "<var>/RMSProp" (mean square), "<var>/RMSProp_1" (momentum),
 * "<var>/Momentum", "<var>/Adam" (m), "<var>/Adam_1" (v), plus Adam's
 * "beta1_power" and "beta2_power". Shapes are TensorFlow's (HWIO); values
 * row-major. */

/* The number of tensors the trainer holds (variables and slots); 0 if NULL. */
MOBILENET_API int mobilenet_trainer_num_tensors(const mobilenet_trainer *trainer);

/* The name of tensor index (0..num_tensors-1), in checkpoint order. Owned by
 * the trainer: the same pointer on every call, valid until the trainer is
 * freed. NULL if out of range or trainer is NULL. */
MOBILENET_API const char *mobilenet_trainer_tensor_name(const mobilenet_trainer *trainer, int index);

/* The number of floats of tensor name, or 0 if there is none (or NULL). */
MOBILENET_API size_t mobilenet_trainer_tensor_size(const mobilenet_trainer *trainer, const char *name);

/* Copies tensor name into values (capacity floats).
 * Errors: INVALID_ARGUMENT (NULL, no such tensor: the message names it),
 * BUFFER_TOO_SMALL. */
MOBILENET_API mobilenet_status mobilenet_trainer_get_tensor(const mobilenet_trainer *trainer,
                                                            const char *name, float *values,
                                                            size_t capacity);

/* Sets the class names a saved or exported model carries: count must be the
 * class count; each a NUL-terminated UTF-8 string of 1..255 bytes without
 * control characters (below 0x20, and 0x7F), copied. labels NULL with count 0 removes them.
 * Errors: INVALID_ARGUMENT. */
MOBILENET_API mobilenet_status mobilenet_trainer_set_labels(mobilenet_trainer *trainer,
                                                            const char *const *labels, int count);

/* Writes a safetensors checkpoint: every variable under its TF-Slim name
 * (BatchNorm unfolded), the optimizer slots, and the global step and options
 * in the metadata (docs/training.md). Atomic: written to a temporary file in
 * the same directory, fsync'ed and renamed over path, so a crash or a full
 * disk leaves either the previous file or the new one, never a mix.
 * mobilenet_model_load loads the result as a model (slots ignored);
 * mobilenet_trainer_load resumes it. Its resolution (and that of
 * mobilenet_trainer_export's model) is the side of the last square batch
 * mobilenet_trainer_step trained on, else the base file's, so classify
 * resizes to what the weights learned.
 * Errors: INVALID_ARGUMENT, IO (the message names the failing call). */
MOBILENET_API mobilenet_status mobilenet_trainer_save(mobilenet_trainer *trainer, const char *path);

/* An inference model of the current weights (BatchNorm folded with the
 * moving statistics), compiled by the path a saved file takes: the same
 * bits as saving and loading. options: as mobilenet_model_load (NULL for
 * defaults). Free it with mobilenet_model_free; it does not depend on the
 * trainer. Errors: INVALID_ARGUMENT (NULL, options), UNSUPPORTED (max_isa),
 * OUT_OF_MEMORY. */
MOBILENET_API mobilenet_status mobilenet_trainer_export(const mobilenet_trainer *trainer,
                                                        const mobilenet_options *options,
                                                        mobilenet_model **out);

/* Releases a trainer and everything it owns. NULL is a no-op. */
MOBILENET_API void mobilenet_trainer_free(mobilenet_trainer *trainer);

/* ------------------------------------------------------------------------ */
/* Quantization (since 0.5.0)                                                */
/* ------------------------------------------------------------------------ */

/* How each activation's int8 range is chosen from the calibration images
 * (docs/quantization.md). The ReLU6 outputs get [0, t]; the input and the
 * logits always keep their observed extremes. */
typedef enum mobilenet_calibration {
    MOBILENET_CALIBRATION_MINMAX = 0,     /* t = the largest value seen (default; docs/quantization.md) */
    MOBILENET_CALIBRATION_PERCENTILE = 1, /* t = the given percentile of the non-zero values */
    MOBILENET_CALIBRATION_MSE = 2         /* t minimizing clipping + rounding squared error */
} mobilenet_calibration;

/* First released size (0.5.0): the whole struct (40 bytes on LP64). */
typedef struct mobilenet_quantize_options {
    size_t struct_size;            /* sizeof(mobilenet_quantize_options); set by the init function */
    int num_threads;               /* calibration threads: 0 = one per CPU (as mobilenet_options), else 1..256 */
    mobilenet_calibration method;  /* MINMAX (default) */
    double percentile;             /* for PERCENTILE: 50..100; default 99.99 */
    /* 1 (default): subtract from each bias the mean shift that rounding the
     * weights causes (E[x] from calibration); 0: plain rounding. */
    int bias_correction;
    /* The logits' range is [calibrated min, calibrated max x this]: 1..8,
     * default 1.5 (a clipped top ties the leading classes). */
    double logits_headroom;
} mobilenet_quantize_options;

/* Fills the first struct_size bytes of *options with the defaults (above;
 * struct_size = struct_size) and writes nothing past them. Errors:
 * INVALID_ARGUMENT for NULL or a size outside the first released size to
 * today's sizeof (nothing written). */
MOBILENET_API mobilenet_status mobilenet_quantize_options_init_sized(mobilenet_quantize_options *options,
                                                                     size_t struct_size);

/* Fills *options with the defaults; through the macro, with this header's
 * sizeof. NULL is ignored. */
MOBILENET_API void mobilenet_quantize_options_init(mobilenet_quantize_options *options);
#define mobilenet_quantize_options_init(options) \
    ((void)mobilenet_quantize_options_init_sized((options), sizeof(mobilenet_quantize_options)))

/* Post-training int8 quantization of a float model file (safetensors, a
 * checkpoint included; not a .tflite) into an int8 TFLite flatbuffer at
 * output_path, which mobilenet_model_load (MOBILENET_PRECISION_INT8) and
 * LiteRT both run: BatchNorm folded, per-channel symmetric int8 weights,
 * asymmetric int8 activations, TFLite's requantization. The model's labels,
 * input normalization, source and license are kept (docs/weights-format.md).
 * calibration: count (1..100000) NHWC images of height x width x 3 floats,
 * normalized as mobilenet_model_run takes them (the model's input_mean and
 * input_scale, as classify applies them), finite; height must equal
 * width (1..4096) and becomes the file's input size. Not retained.
 * options: NULL for the defaults. The file is written atomically (as
 * mobilenet_trainer_save), and only after it has been loaded back and
 * checked. Errors: INVALID_ARGUMENT (NULL, counts, sizes, non-finite
 * values, options), IO, FORMAT (the model file), UNSUPPORTED (a .tflite or
 * non-separable model, non-square images), OUT_OF_MEMORY. */
MOBILENET_API mobilenet_status mobilenet_quantize(const char *model_path, const float *calibration, int count,
                                                  int height, int width,
                                                  const mobilenet_quantize_options *options,
                                                  const char *output_path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MOBILENET_H */
