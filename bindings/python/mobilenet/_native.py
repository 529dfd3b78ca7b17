"""ctypes declarations of include/mobilenet.h and the search for libmobilenet.so.

Everything that touches C lives here. The structures mirror the C ones field
for field with ctypes' natural (C) alignment, so their sizes and offsets are
the C compiler's: on LP64 sizeof(mobilenet_options) = 24,
sizeof(mobilenet_prediction) = 16, sizeof(mobilenet_layer_info) = 96,
sizeof(mobilenet_info) = 3128 and sizeof(mobilenet_train_options) = 80.

The training functions (0.3.0) are bound when the library has all of them;
a library without any of them (an older 0.x build) still opens, and
has_training() says so. One with only some of them is rejected.

The library is opened with ctypes.CDLL (not PyDLL), so every call releases the
GIL for its duration: inference in one Python thread does not block others.
"""

import ctypes
import ctypes.util
import os
import sys
import threading

# Header constants (include/mobilenet.h).
HEADER_VERSION = "0.5.0"
HEADER_VERSION_NUMBER = 400
MAX_LAYERS = 32
LAYER_NAME_SIZE = 48

# Limits the header documents, checked on the Python side before any call.
MAX_BATCH = 4096
MAX_RUN_SIZE = 4096          # mobilenet_model_run: height, width 1..4096
MAX_IMAGE_SIZE = 65536       # mobilenet_model_classify_rgb8: width, height 1..65536
MAX_THREADS = 256
MAX_RESOLUTION = 4096        # mobilenet_describe
MAX_CLASSES = 100000         # mobilenet_describe
MAX_WIDTH_MULTIPLIER = 4.0   # mobilenet_describe: (0, 4]
MAX_LABEL_BYTES = 255        # mobilenet_trainer_set_labels: 1..255 bytes each

INT_MAX = 2**31 - 1

if sys.platform == "darwin":
    LIBRARY_FILE = "libmobilenet.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "mobilenet.dll"
else:
    LIBRARY_FILE = "libmobilenet.so"

LIBRARY_ENV = "MOBILENET_LIBRARY"

_c_int = ctypes.c_int
_c_float = ctypes.c_float
_c_size_t = ctypes.c_size_t
_c_int64 = ctypes.c_int64
_c_char_p = ctypes.c_char_p
_c_void_p = ctypes.c_void_p
_c_uint64 = ctypes.c_uint64


class Options(ctypes.Structure):
    """struct mobilenet_options."""

    _fields_ = [
        ("struct_size", _c_size_t),
        ("num_threads", _c_int),
        ("crop_fraction", _c_float),
        ("max_isa", _c_int),  # since 0.2.0 (enum mobilenet_isa)
    ]


class Prediction(ctypes.Structure):
    """struct mobilenet_prediction (label is NULL or owned by the model)."""

    _fields_ = [
        ("class_index", _c_int),
        ("probability", _c_float),
        ("label", _c_char_p),
    ]


class LayerInfo(ctypes.Structure):
    """struct mobilenet_layer_info (the enum mobilenet_layer_type is a C int)."""

    _fields_ = [
        ("name", ctypes.c_char * LAYER_NAME_SIZE),
        ("type", _c_int),
        ("stride", _c_int),
        ("input_height", _c_int),
        ("input_width", _c_int),
        ("input_channels", _c_int),
        ("output_height", _c_int),
        ("output_width", _c_int),
        ("output_channels", _c_int),
        ("mult_adds", _c_int64),
        ("parameters", _c_int64),
    ]


class Info(ctypes.Structure):
    """struct mobilenet_info (the enum mobilenet_variant is a C int)."""

    _fields_ = [
        ("struct_size", _c_size_t),
        ("variant", _c_int),
        ("width_multiplier", _c_float),
        ("resolution", _c_int),
        ("num_classes", _c_int),
        ("mult_adds", _c_int64),
        ("parameters", _c_int64),
        ("num_layers", _c_int),
        ("layers", LayerInfo * MAX_LAYERS),
        ("total_layers", _c_int),  # since 0.2.0
        ("isa", _c_int),
    ]


class TrainOptions(ctypes.Structure):
    """struct mobilenet_train_options (since 0.3.0; 80 bytes on LP64). The
    enums mobilenet_optimizer and mobilenet_batchnorm are C ints."""

    _fields_ = [
        ("struct_size", _c_size_t),
        ("num_threads", _c_int),
        ("optimizer", _c_int),
        ("learning_rate", _c_float),
        ("momentum", _c_float),
        ("rmsprop_decay", _c_float),
        ("epsilon", _c_float),
        ("weight_decay", _c_float),
        ("label_smoothing", _c_float),
        ("batchnorm", _c_int),
        ("batchnorm_decay", _c_float),
        ("trainable_from", _c_char_p),
        ("num_classes", _c_int),
        ("seed", _c_uint64),
        ("adam_beta1", _c_float),
        ("adam_beta2", _c_float),
    ]


ModelPointer = _c_void_p  # mobilenet_model * (opaque)
TrainerPointer = _c_void_p  # mobilenet_trainer * (opaque)
_float_p = ctypes.POINTER(_c_float)
_int32_p = ctypes.POINTER(ctypes.c_int32)

# name -> (restype, argtypes): every function of include/mobilenet.h.
PROTOTYPES = {
    "mobilenet_version": (_c_char_p, []),
    "mobilenet_version_number": (_c_int, []),
    "mobilenet_status_string": (_c_char_p, [_c_int]),
    "mobilenet_last_error": (_c_char_p, []),
    "mobilenet_options_init": (None, [ctypes.POINTER(Options)]),
    "mobilenet_options_init_sized": (_c_int, [ctypes.POINTER(Options), _c_size_t]),
    "mobilenet_model_load": (
        _c_int, [_c_char_p, ctypes.POINTER(Options), ctypes.POINTER(ModelPointer)]),
    "mobilenet_model_load_memory": (
        _c_int, [_c_void_p, _c_size_t, ctypes.POINTER(Options), ctypes.POINTER(ModelPointer)]),
    "mobilenet_model_free": (None, [ModelPointer]),
    "mobilenet_model_run": (
        _c_int, [ModelPointer, ctypes.POINTER(_c_float), _c_int, _c_int, _c_int,
                 ctypes.POINTER(_c_float), _c_size_t]),
    "mobilenet_model_classify_rgb8": (
        _c_int, [ModelPointer, ctypes.POINTER(ctypes.c_uint8), _c_int, _c_int, _c_size_t,
                 _c_int, ctypes.POINTER(Prediction)]),
    "mobilenet_model_num_classes": (_c_int, [ModelPointer]),
    "mobilenet_model_label": (_c_char_p, [ModelPointer, _c_int]),
    "mobilenet_describe": (_c_int, [_c_int, _c_float, _c_int, _c_int, ctypes.POINTER(Info)]),
    "mobilenet_model_info": (_c_int, [ModelPointer, ctypes.POINTER(Info)]),
    # Since 0.2.0: kernel tiers (mobilenet_isa values).
    "mobilenet_best_isa": (_c_int, []),
    "mobilenet_isa_name": (_c_char_p, [_c_int]),
    "mobilenet_model_isa": (_c_int, [ModelPointer]),
    "mobilenet_model_num_layers": (_c_int, [ModelPointer]),
    "mobilenet_model_embedding_size": (_c_int, [ModelPointer]),
    "mobilenet_model_embed": (
        _c_int, [ModelPointer, ctypes.POINTER(_c_float), _c_int, _c_int, _c_int,
                 ctypes.POINTER(_c_float), _c_size_t]),
    "mobilenet_model_embed_rgb8": (
        _c_int, [ModelPointer, ctypes.POINTER(ctypes.c_uint8), _c_int, _c_int, _c_size_t,
                 ctypes.POINTER(_c_float), _c_size_t]),
    "mobilenet_model_layer": (_c_int, [ModelPointer, _c_int, ctypes.POINTER(LayerInfo)]),
    "mobilenet_describe_num_layers": (_c_int, [_c_int, _c_float, _c_int, _c_int]),
    "mobilenet_describe_layer": (_c_int, [_c_int, _c_float, _c_int, _c_int, _c_int, ctypes.POINTER(LayerInfo)]),
}

# Since 0.3.0: training (bound only if the library has all of them).
TRAINING_PROTOTYPES = {
    "mobilenet_train_options_init": (None, [ctypes.POINTER(TrainOptions)]),
    "mobilenet_train_options_init_sized": (_c_int, [ctypes.POINTER(TrainOptions), _c_size_t]),
    "mobilenet_trainer_step_embeddings": (
        _c_int, [TrainerPointer, ctypes.POINTER(_c_float), ctypes.POINTER(ctypes.c_int32), _c_int,
                 ctypes.POINTER(_c_float)]),
    "mobilenet_trainer_evaluate_embeddings": (
        _c_int, [TrainerPointer, ctypes.POINTER(_c_float), ctypes.POINTER(ctypes.c_int32), _c_int,
                 ctypes.POINTER(_c_float), ctypes.POINTER(_c_int)]),
    "mobilenet_trainer_embedding_size": (_c_int, [TrainerPointer]),
    "mobilenet_trainer_load": (
        _c_int, [_c_char_p, ctypes.POINTER(TrainOptions), ctypes.POINTER(TrainerPointer)]),
    "mobilenet_trainer_new": (
        _c_int, [_c_int, _c_float, _c_int, _c_int, ctypes.POINTER(TrainOptions),
                 ctypes.POINTER(TrainerPointer)]),
    "mobilenet_trainer_step": (
        _c_int, [TrainerPointer, _float_p, _int32_p, _c_int, _c_int, _c_int, _float_p]),
    "mobilenet_trainer_evaluate": (
        _c_int, [TrainerPointer, _float_p, _int32_p, _c_int, _c_int, _c_int, _float_p,
                 ctypes.POINTER(_c_int)]),
    "mobilenet_trainer_set_learning_rate": (_c_int, [TrainerPointer, _c_float]),
    "mobilenet_trainer_global_step": (_c_int64, [TrainerPointer]),
    "mobilenet_trainer_num_classes": (_c_int, [TrainerPointer]),
    "mobilenet_trainer_num_tensors": (_c_int, [TrainerPointer]),
    "mobilenet_trainer_tensor_name": (_c_char_p, [TrainerPointer, _c_int]),
    "mobilenet_trainer_tensor_size": (_c_size_t, [TrainerPointer, _c_char_p]),
    "mobilenet_trainer_get_tensor": (_c_int, [TrainerPointer, _c_char_p, _float_p, _c_size_t]),
    "mobilenet_trainer_set_labels": (_c_int, [TrainerPointer, ctypes.POINTER(_c_char_p), _c_int]),
    "mobilenet_trainer_save": (_c_int, [TrainerPointer, _c_char_p]),
    "mobilenet_trainer_export": (
        _c_int, [TrainerPointer, ctypes.POINTER(Options), ctypes.POINTER(ModelPointer)]),
    "mobilenet_trainer_free": (None, [TrainerPointer]),
}
PROTOTYPES.update(TRAINING_PROTOTYPES)

# Since 0.4.0: precision (mobilenet_precision values); bound when present, an
# older library's models being float32.
OPTIONAL_PROTOTYPES = {
    "mobilenet_model_precision": (_c_int, [ModelPointer]),
    "mobilenet_precision_name": (_c_char_p, [_c_int]),
}
PROTOTYPES.update(OPTIONAL_PROTOTYPES)


class QuantizeOptions(ctypes.Structure):
    """struct mobilenet_quantize_options (since 0.5.0; 40 bytes on LP64).
    The enum mobilenet_calibration is a C int."""

    _fields_ = [
        ("struct_size", _c_size_t),
        ("num_threads", _c_int),
        ("method", _c_int),
        ("percentile", ctypes.c_double),
        ("bias_correction", _c_int),
        ("logits_headroom", ctypes.c_double),
    ]


CALIBRATION_METHODS = {"minmax": 0, "percentile": 1, "mse": 2}

# Since 0.5.0: post-training quantization; bound when present.
OPTIONAL_PROTOTYPES.update({
    "mobilenet_quantize_options_init": (None, [ctypes.POINTER(QuantizeOptions)]),
    "mobilenet_quantize_options_init_sized": (_c_int, [ctypes.POINTER(QuantizeOptions), _c_size_t]),
    "mobilenet_quantize": (
        _c_int, [_c_char_p, _float_p, _c_int, _c_int, _c_int, ctypes.POINTER(QuantizeOptions), _c_char_p]),
})
PROTOTYPES.update(OPTIONAL_PROTOTYPES)


class LibraryNotFoundError(OSError):
    """libmobilenet could not be found or opened (see README: library search)."""


def package_dir():
    return os.path.dirname(os.path.abspath(__file__))


def _open(path):
    lib = ctypes.CDLL(path)
    missing = [name for name in PROTOTYPES if name not in TRAINING_PROTOTYPES
               and name not in OPTIONAL_PROTOTYPES and not hasattr(lib, name)]
    if missing:
        raise LibraryNotFoundError(f"{path} is not libmobilenet: it lacks {', '.join(missing)}")
    training_missing = [name for name in TRAINING_PROTOTYPES if not hasattr(lib, name)]
    if training_missing and len(training_missing) != len(TRAINING_PROTOTYPES):
        raise LibraryNotFoundError(f"{path} has part of the training API only: it lacks "
                                   f"{', '.join(training_missing)}")
    lib._mobilenet_training = not training_missing
    for name, (restype, argtypes) in PROTOTYPES.items():
        if training_missing and name in TRAINING_PROTOTYPES:
            continue
        if name in OPTIONAL_PROTOTYPES and not hasattr(lib, name):
            continue
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    number = lib.mobilenet_version_number()
    if number // 10000 != HEADER_VERSION_NUMBER // 10000:
        version = lib.mobilenet_version().decode("utf-8", "replace")
        raise LibraryNotFoundError(
            f"{path} is libmobilenet {version}, incompatible with this binding "
            f"(written for {HEADER_VERSION}; the major versions must match)")
    lib._mobilenet_path = path
    lib._mobilenet_file = _loaded_file(lib) or (path if os.sep in path else None)
    return lib


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", _c_char_p), ("dli_fbase", _c_void_p),
                ("dli_sname", _c_char_p), ("dli_saddr", _c_void_p)]


def _loaded_file(lib):
    """The file the dynamic loader opened for lib, as it opened it (dladdr;
    for a library found by name, e.g. through LD_LIBRARY_PATH), or None."""
    try:
        dladdr = ctypes.CDLL(None).dladdr  # glibc >= 2.34, musl, macOS
    except (OSError, AttributeError):
        try:
            dladdr = ctypes.CDLL(ctypes.util.find_library("dl") or "libdl.so.2").dladdr
        except (OSError, AttributeError):
            return None
    dladdr.argtypes = [_c_void_p, ctypes.POINTER(_DlInfo)]
    dladdr.restype = _c_int
    info = _DlInfo()
    address = ctypes.cast(lib.mobilenet_version_number, _c_void_p)
    if not dladdr(address, ctypes.byref(info)) or not info.dli_fname:
        return None
    return os.path.abspath(os.fsdecode(info.dli_fname))


def share_dir():
    """PREFIX/share/mobilenet for the library PREFIX/lib/libmobilenet.so (the
    layout of `make install PREFIX=...`), or None if the library is not found."""
    try:
        path = lib()._mobilenet_file
    except OSError:
        return None
    if not path:
        return None
    return os.path.normpath(os.path.join(os.path.dirname(path), os.pardir, "share", "mobilenet"))


def find_library():
    """Opens libmobilenet, searching in this order:

    1. $MOBILENET_LIBRARY, a path: if it is set, it is the only candidate,
       and a wrong path is an error (never silently another library);
    2. libmobilenet.so in the package directory (copied in at install time);
    3. the system: ctypes.util.find_library("mobilenet"), then
       CDLL("libmobilenet.so") (LD_LIBRARY_PATH, ld.so.cache, ...).
    Raises LibraryNotFoundError saying what was tried.
    """
    env = os.environ.get(LIBRARY_ENV)
    if env:
        if not os.path.isfile(env):
            raise LibraryNotFoundError(f"${LIBRARY_ENV} is {env!r}, which is not a file")
        try:
            return _open(env)
        except LibraryNotFoundError:
            raise
        except OSError as error:
            raise LibraryNotFoundError(f"${LIBRARY_ENV} = {env!r} could not be opened: {error}") from error

    tried = []
    local = os.path.join(package_dir(), LIBRARY_FILE)
    if os.path.isfile(local):
        try:
            return _open(local)
        except LibraryNotFoundError:
            raise
        except OSError as error:
            raise LibraryNotFoundError(f"{local} could not be opened: {error}") from error
    tried.append(f"  next to the package: {local}: no such file")

    names = []
    system = ctypes.util.find_library("mobilenet")
    for name in (system, LIBRARY_FILE):
        if name and name not in names:
            names.append(name)
    for name in names:
        try:
            return _open(name)
        except OSError as error:  # LibraryNotFoundError included: try the next
            tried.append(f"  system: {name}: {error}")
    raise LibraryNotFoundError(
        f"{LIBRARY_FILE} not found. Build it (make lib) and either set {LIBRARY_ENV} to the "
        f"file (e.g. {LIBRARY_ENV}=$PWD/.build/release/{LIBRARY_FILE}), or install it with "
        "`make install PREFIX=...` (default /usr/local; it goes to PREFIX/lib) and, for a "
        "PREFIX/lib the system loader does not search, add that directory to LD_LIBRARY_PATH; "
        "or reinstall this package from the repository (pip install ./bindings/python), which "
        "bundles the library. Tried:\n" + "\n".join(tried))


_lib = None
_lib_lock = threading.Lock()


def lib():
    """The opened library (opened on first use, then cached)."""
    global _lib
    if _lib is None:
        with _lib_lock:
            if _lib is None:
                _lib = find_library()
    return _lib


def has_training():
    """Whether the opened library has the training API (mobilenet_trainer_*, 0.3.0)."""
    return lib()._mobilenet_training


def library_path():
    """The path or name the library was opened from."""
    return lib()._mobilenet_path
