"""libmobilenet through its C ABI (include/mobilenet.h), with ctypes.

The benchmark drives the library exactly as a C application would: the
structs below mirror the header's, and every call goes through the exported
symbols of libmobilenet.so. Only numpy is needed.
"""

import ctypes
import os

import numpy as np

MAX_LAYERS = 32
VARIANTS = {"separable": 0, "full_conv": 1, "shallow": 2}
# enum mobilenet_isa (0.2.0)
ISAS = {0: "auto", 1: "generic", 2: "avx2", 3: "avx512", 4: "neon"}


class Options(ctypes.Structure):
    # 0.2.0's layout (24 bytes on LP64); 0.1.0's ends after crop_fraction (16)
    _fields_ = [("struct_size", ctypes.c_size_t),
                ("num_threads", ctypes.c_int),
                ("crop_fraction", ctypes.c_float),
                ("max_isa", ctypes.c_int)]


class LayerInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 48),
                ("type", ctypes.c_int),
                ("stride", ctypes.c_int),
                ("input_height", ctypes.c_int),
                ("input_width", ctypes.c_int),
                ("input_channels", ctypes.c_int),
                ("output_height", ctypes.c_int),
                ("output_width", ctypes.c_int),
                ("output_channels", ctypes.c_int),
                ("mult_adds", ctypes.c_int64),
                ("parameters", ctypes.c_int64)]


class Info(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t),
                ("variant", ctypes.c_int),
                ("width_multiplier", ctypes.c_float),
                ("resolution", ctypes.c_int),
                ("num_classes", ctypes.c_int),
                ("mult_adds", ctypes.c_int64),
                ("parameters", ctypes.c_int64),
                ("num_layers", ctypes.c_int),
                ("layers", LayerInfo * MAX_LAYERS)]


class MobileNetError(RuntimeError):
    pass


class Library:
    """The loaded libmobilenet.so and typed entry points."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        lib = ctypes.CDLL(self.path)
        lib.mobilenet_version.restype = ctypes.c_char_p
        lib.mobilenet_last_error.restype = ctypes.c_char_p
        lib.mobilenet_options_init.argtypes = [ctypes.POINTER(Options)]
        lib.mobilenet_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(Options),
                                             ctypes.POINTER(ctypes.c_void_p)]
        lib.mobilenet_model_free.argtypes = [ctypes.c_void_p]
        lib.mobilenet_model_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                            ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                                            ctypes.c_size_t]
        lib.mobilenet_model_num_classes.argtypes = [ctypes.c_void_p]
        lib.mobilenet_describe.argtypes = [ctypes.c_int, ctypes.c_float, ctypes.c_int,
                                           ctypes.c_int, ctypes.POINTER(Info)]
        lib.mobilenet_model_info.argtypes = [ctypes.c_void_p, ctypes.POINTER(Info)]
        # 0.2.0: kernel tiers and sized options; absent from 0.1.0 builds
        self.has_isa = hasattr(lib, "mobilenet_model_isa")
        if self.has_isa:
            lib.mobilenet_model_isa.argtypes = [ctypes.c_void_p]
            lib.mobilenet_model_isa.restype = ctypes.c_int
            lib.mobilenet_best_isa.argtypes = []
            lib.mobilenet_best_isa.restype = ctypes.c_int
            lib.mobilenet_isa_name.argtypes = [ctypes.c_int]
            lib.mobilenet_isa_name.restype = ctypes.c_char_p
        # 0.4.0: the arithmetic a loaded model runs in (int8 .tflite files)
        self.has_precision = hasattr(lib, "mobilenet_model_precision")
        if self.has_precision:
            lib.mobilenet_model_precision.argtypes = [ctypes.c_void_p]
            lib.mobilenet_model_precision.restype = ctypes.c_int
            lib.mobilenet_precision_name.argtypes = [ctypes.c_int]
            lib.mobilenet_precision_name.restype = ctypes.c_char_p
        self.has_options_sized = hasattr(lib, "mobilenet_options_init_sized")
        if self.has_options_sized:
            lib.mobilenet_options_init_sized.argtypes = [ctypes.POINTER(Options), ctypes.c_size_t]
            lib.mobilenet_options_init_sized.restype = ctypes.c_int
        self.lib = lib

    def version(self):
        return self.lib.mobilenet_version().decode()

    def check(self, status, what):
        if status != 0:
            raise MobileNetError(f"{what}: status {status}: "
                                 f"{self.lib.mobilenet_last_error().decode()}")

    def isa_name(self, isa):
        if not self.has_isa:
            return ISAS.get(isa, "unknown")
        return self.lib.mobilenet_isa_name(isa).decode()

    def best_isa(self):
        """The tier a load with default options would pick now (CPU, OS and
        MOBILENET_MAX_ISA); None for a library without tiers (0.1.0)."""
        if not self.has_isa:
            return None
        return self.isa_name(self.lib.mobilenet_best_isa())

    def options(self):
        """Default options: 0.2.0's full struct through mobilenet_options_init_sized,
        or 0.1.0's 16 bytes through the exported mobilenet_options_init."""
        opts = Options()
        if self.has_options_sized:
            self.check(self.lib.mobilenet_options_init_sized(ctypes.byref(opts),
                                                            ctypes.sizeof(Options)),
                       "mobilenet_options_init_sized")
        else:
            self.lib.mobilenet_options_init(ctypes.byref(opts))
        return opts

    def describe(self, alpha=1.0, resolution=224, num_classes=1001, variant="separable"):
        info = Info()
        info.struct_size = ctypes.sizeof(Info)
        self.check(self.lib.mobilenet_describe(VARIANTS[variant], alpha, resolution,
                                               num_classes, ctypes.byref(info)),
                   "mobilenet_describe")
        return info

    def load(self, model_path, num_threads):
        return Model(self, model_path, num_threads)


class Model:
    """A loaded model; run() writes logits into a reused buffer."""

    def __init__(self, library, model_path, num_threads):
        self.library = library
        lib = library.lib
        opts = library.options()
        opts.num_threads = num_threads
        handle = ctypes.c_void_p()
        library.check(lib.mobilenet_model_load(os.fsencode(model_path), ctypes.byref(opts),
                                               ctypes.byref(handle)), "mobilenet_model_load")
        self.handle = handle
        self.num_classes = lib.mobilenet_model_num_classes(handle)
        self._out = None

    def isa(self):
        """The kernel tier this model runs on ("avx512", "avx2", "generic", ...);
        None for a library without tiers (0.1.0)."""
        if not self.library.has_isa:
            return None
        return self.library.isa_name(self.library.lib.mobilenet_model_isa(self.handle))

    def precision(self):
        """"float32", "int8" or "uint8"; None for a library before 0.4.0."""
        if not self.library.has_precision:
            return None
        lib = self.library.lib
        return lib.mobilenet_precision_name(lib.mobilenet_model_precision(self.handle)).decode()

    def info(self):
        info = Info()
        info.struct_size = ctypes.sizeof(Info)
        self.library.check(self.library.lib.mobilenet_model_info(self.handle, ctypes.byref(info)),
                           "mobilenet_model_info")
        return info

    def run(self, x):
        """x: contiguous float32 [N, H, W, 3] -> logits [N, K] (a reused buffer)."""
        n, h, w, _ = x.shape
        if self._out is None or self._out.shape[0] != n:
            self._out = np.empty((n, self.num_classes), np.float32)
        out = self._out
        self.library.check(self.library.lib.mobilenet_model_run(
            self.handle, x.ctypes.data, n, h, w, out.ctypes.data, out.size),
            "mobilenet_model_run")
        return out

    def close(self):
        if self.handle:
            self.library.lib.mobilenet_model_free(self.handle)
            self.handle = None
