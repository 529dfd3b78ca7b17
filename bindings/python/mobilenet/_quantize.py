"""mobilenet.quantize: post-training int8 quantization (mobilenet_quantize)."""

import ctypes
import os

import numpy as np

from . import _native, _preprocess
from ._model import Model, _check, _int_arg, _path_arg, _rgb8


def _calibration_array(calibration, model_path, size):
    """(N, S, S, 3) float32 C-contiguous: calibration as given if it is such
    an array, else each image (a uint8 RGB (H, W, 3) or gray (H, W) array, or
    anything classify takes) preprocessed as classify does (central crop 0.875, bilinear resize to
    size, the model file's normalization)."""
    if isinstance(calibration, np.ndarray) and calibration.dtype != np.uint8:
        if calibration.dtype != np.dtype(np.float32):
            raise TypeError(f"calibration must have dtype float32 (normalized) or be uint8 images, "
                            f"not {calibration.dtype}")
        if calibration.ndim != 4 or calibration.shape[3] != 3 or calibration.size == 0:
            raise ValueError(f"a float calibration array must be (N, H, W, 3), got shape {calibration.shape}")
        if not np.isfinite(calibration).all():
            raise ValueError("calibration holds a NaN or infinite value")
        return np.ascontiguousarray(calibration)
    if isinstance(calibration, np.ndarray):
        if calibration.ndim not in (3, 4):
            raise ValueError(f"uint8 calibration images must be (N, H, W, 3) or (N, H, W), "
                             f"got shape {calibration.shape}")
        images = list(calibration)
    else:
        try:
            images = list(calibration)
        except TypeError:
            raise TypeError(f"calibration must be a float32 array or an iterable of uint8 images, "
                            f"not {type(calibration).__name__}") from None
    if not images:
        raise ValueError("calibration holds no images")
    mean, scale = _preprocess.normalization_of_file(model_path)
    out = np.empty((len(images), size, size, 3), dtype=np.float32)
    for i, image in enumerate(images):
        if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)  # gray
        try:
            image = _rgb8(image)
        except (TypeError, ValueError) as error:
            raise type(error)(f"calibration image {i}: {error}") from None
        out[i] = _preprocess.for_eval(image, size, mean, scale)
    return out


def _real(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    return float(value)


def quantize(model_path, calibration, output_path, *, method=None, percentile=None, bias_correction=True,
             logits_headroom=None, size=None, threads=0):
    """Quantizes a float model file (safetensors) to an int8 .tflite at
    output_path (written atomically; loads with mobilenet.Model and LiteRT).

    calibration: a float32 array (N, S, S, 3) normalized as Model.run takes
    it, or an iterable of uint8 RGB (H, W, 3) / gray (H, W) images, which are
    or anything Model.classify takes (file names, PIL images, encoded bytes),
    preprocessed as classify does at size (default: the model's resolution).
    method: "minmax", "percentile" or "mse" (None: the library's default);
    percentile (50..100) for "percentile"; bias_correction and
    logits_headroom (1..8) as in docs/quantization.md. Returns output_path.
    Errors: mobilenet.Error with the C status and message."""
    lib = _native.lib()
    if not hasattr(lib, "mobilenet_quantize"):
        raise _native.LibraryNotFoundError("this libmobilenet predates mobilenet_quantize (0.5.0)")
    model_bytes = _path_arg("model_path", model_path)
    output_bytes = _path_arg("output_path", output_path)
    options = _native.QuantizeOptions()
    _check(lib.mobilenet_quantize_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)))
    if method is not None:
        if method not in _native.CALIBRATION_METHODS:
            raise ValueError(f"method must be one of {sorted(_native.CALIBRATION_METHODS)}, not {method!r}")
        options.method = _native.CALIBRATION_METHODS[method]
    if percentile is not None:
        options.percentile = _real("percentile", percentile)
    if logits_headroom is not None:
        options.logits_headroom = _real("logits_headroom", logits_headroom)
    if not isinstance(bias_correction, bool):
        raise TypeError("bias_correction must be a bool")
    options.bias_correction = int(bias_correction)
    options.num_threads = _int_arg("threads", threads, 0, 256)
    if size is None:
        if isinstance(calibration, np.ndarray) and calibration.dtype == np.float32 and calibration.ndim == 4:
            size = calibration.shape[1]
        else:
            with Model(model_path, threads=1) as float_model:
                size = float_model.resolution
    size = _int_arg("size", size, 1, _native.MAX_RUN_SIZE)
    x = _calibration_array(calibration, os.fsdecode(model_bytes), size)
    count, height, width, _ = x.shape
    if count > 100_000:
        raise ValueError(f"calibration has {count} images; at most 100000")
    float_p = ctypes.POINTER(ctypes.c_float)
    _check(lib.mobilenet_quantize(model_bytes, x.ctypes.data_as(float_p), count, height, width,
                                  ctypes.byref(options), output_bytes))
    return output_path
