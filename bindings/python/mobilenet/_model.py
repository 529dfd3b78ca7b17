"""Model, load(), describe(), version(): the binding over _native.

Rule: every argument is checked here, in Python, before any C call. Anything
that decides how many bytes C reads or writes (array dtype, shape, strides,
contiguity, sizes that must fit a C int) is checked so that C can never be
handed a buffer smaller than it will read; a wrong type raises TypeError, a
wrong value ValueError. Nothing is silently copied or converted: a float64
or non-contiguous array raises rather than costing a hidden copy.
"""

import ctypes
import io
import math
import numbers
import operator
import os
import sys
import threading

import numpy as np

from . import _native
from ._types import Error, Info, Layer, LayerType, Prediction, Status, Variant

MODEL_ENV = "MOBILENET_MODEL"
MODEL_FILE = "mobilenet_v1_1.0_224.safetensors"
# Where `make install` puts the model for the usual prefixes (searched last).
SYSTEM_MODEL_DIRS = ("/usr/local/share/mobilenet", "/usr/share/mobilenet")


# ---------------------------------------------------------------------------
# Helpers


def _check(status):
    """Raises Error for a failed status, with this thread's message."""
    if status != Status.OK:
        # mobilenet_last_error is per OS thread, and a Python thread is one OS
        # thread, so this reads the message of the call that just failed.
        # ctypes copies the returned C string into a bytes object at once.
        raw = _native.lib().mobilenet_last_error()
        message = raw.decode("utf-8", "replace") if raw else ""
        raise Error(status, message)


def _int_arg(name, value, low, high):
    """An int in [low, high]: TypeError for non-integers (bool, float and str
    included; numpy integers are fine), ValueError out of range."""
    if isinstance(value, (bool, np.bool_, float, np.floating)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low}..{high}, got {value}")
    return value


def _real_arg(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _options(threads, crop_fraction):
    options = _native.Options()
    _check(_native.lib().mobilenet_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)))
    options.num_threads = _int_arg("threads", threads, 0, _native.MAX_THREADS)
    if crop_fraction is not None:
        crop = _real_arg("crop_fraction", crop_fraction)
        if not 0.0 < crop <= 1.0:
            raise ValueError(f"crop_fraction must be in (0, 1], got {crop}")
        # A value that rounds to 0 in float32 would mean "default" to C.
        if np.float32(crop) == 0:
            raise ValueError(f"crop_fraction {crop} is too small")
        options.crop_fraction = crop
    return options


def _float32_repr(value):
    """A C float as the shortest Python float that prints like it (0.35, not
    0.3499999940395355)."""
    return float(str(np.float32(value)))


def _info_from_c(c):
    if not 0 <= c.num_layers <= _native.MAX_LAYERS:
        raise Error(Status.INTERNAL, f"mobilenet_info.num_layers is {c.num_layers}")
    layers = []
    for i in range(c.num_layers):
        row = c.layers[i]
        try:
            kind = LayerType(row.type)
        except ValueError:
            kind = int(row.type)
        layers.append(Layer(
            name=row.name.decode("utf-8", "replace"),
            type=kind,
            stride=row.stride,
            input_height=row.input_height,
            input_width=row.input_width,
            input_channels=row.input_channels,
            output_height=row.output_height,
            output_width=row.output_width,
            output_channels=row.output_channels,
            mult_adds=row.mult_adds,
            parameters=row.parameters,
        ))
    try:
        variant = Variant.from_c(c.variant)
    except ValueError:
        variant = int(c.variant)
    return Info(
        variant=variant,
        width_multiplier=_float32_repr(c.width_multiplier),
        resolution=c.resolution,
        num_classes=c.num_classes,
        parameters=c.parameters,
        mult_adds=c.mult_adds,
        layers=tuple(layers),
    )


def _new_info():
    info = _native.Info()
    info.struct_size = ctypes.sizeof(_native.Info)
    return info


def _path_arg(name, path):
    """A file name as the bytes handed to C or open(): a str is encoded with
    os.fsencode (surrogateescape, so a name read from the file system comes
    back byte for byte), bytes are taken untouched, os.PathLike through
    os.fspath. Never re-encoded as UTF-8."""
    if isinstance(path, (bytearray, memoryview)):
        raise TypeError(f"{name} must be a str, bytes or os.PathLike file name, not "
                        f"{type(path).__name__} (use load_bytes for a file's contents)")
    try:
        encoded = os.fsencode(path)
    except TypeError:
        raise TypeError(f"{name} must be a str, bytes or os.PathLike file name, not "
                        f"{type(path).__name__}") from None
    if b"\0" in encoded:
        raise ValueError(f"{name} contains a NUL character, which no file name can")
    if not encoded:
        raise ValueError(f"{name} is empty")
    return encoded


# ---------------------------------------------------------------------------
# Module-level functions


def version():
    """The loaded library's version, "MAJOR.MINOR.PATCH" (mobilenet_version)."""
    return _native.lib().mobilenet_version().decode("ascii")


def version_number():
    """The loaded library's MAJOR * 10000 + MINOR * 100 + PATCH."""
    return int(_native.lib().mobilenet_version_number())


def best_isa():
    """The kernel tier a model loaded now gets: "avx512", "avx2", "generic" or
    "neon", the best this CPU runs, capped by MOBILENET_MAX_ISA
    (mobilenet_best_isa); "auto" if that variable holds an unknown value."""
    lib = _native.lib()
    return lib.mobilenet_isa_name(lib.mobilenet_best_isa()).decode("ascii")


def library_path():
    """The file (or, found on the system path, the name) libmobilenet was opened from."""
    return _native.library_path()


def describe(variant="separable", width_multiplier=1.0, resolution=224, num_classes=1000):
    """The structure of a configuration, without weights (mobilenet_describe).

    variant: 'separable', 'full_conv', 'shallow' or a Variant;
    width_multiplier: alpha in (0, 4]; resolution: 1..4096;
    num_classes: 1..100000 (the paper counts 1000).
    """
    if isinstance(variant, Variant):
        kind = variant
    elif isinstance(variant, str):
        try:
            kind = Variant(variant.lower())
        except ValueError:
            names = ", ".join(repr(v.value) for v in Variant)
            raise ValueError(f"variant must be one of {names}, got {variant!r}") from None
    else:
        raise TypeError(f"variant must be a str or Variant, not {type(variant).__name__}")
    alpha = _real_arg("width_multiplier", width_multiplier)
    if not 0.0 < alpha <= _native.MAX_WIDTH_MULTIPLIER or np.float32(alpha) == 0:
        raise ValueError(f"width_multiplier must be in (0, 4], got {alpha}")
    resolution = _int_arg("resolution", resolution, 1, _native.MAX_RESOLUTION)
    num_classes = _int_arg("num_classes", num_classes, 1, _native.MAX_CLASSES)
    info = _new_info()
    _check(_native.lib().mobilenet_describe(kind.c_value, alpha, resolution, num_classes,
                                            ctypes.byref(info)))
    return _info_from_c(info)


def default_model_path():
    """The bundled model's file, searched in this order:

    1. $MOBILENET_MODEL, if set (returned as is);
    2. models/mobilenet_v1_1.0_224.safetensors inside the installed package;
    3. models/mobilenet_v1_1.0_224.safetensors of the source tree this package
       sits in (bindings/python/mobilenet -> ../../../models), for in-repo use;
    4. PREFIX/share/mobilenet/ of `make install PREFIX=...`, PREFIX being
       where the library was found (PREFIX/lib/libmobilenet.so);
    5. /usr/local/share/mobilenet/, then /usr/share/mobilenet/.
    Raises FileNotFoundError if none exists.
    """
    env = os.environ.get(MODEL_ENV)
    if env:
        return env
    package = _native.package_dir()
    candidates = [
        os.path.join(package, "models", MODEL_FILE),
        os.path.normpath(os.path.join(package, os.pardir, os.pardir, os.pardir, "models", MODEL_FILE)),
    ]
    share = _native.share_dir()
    for directory in ([share] if share else []) + list(SYSTEM_MODEL_DIRS):
        candidate = os.path.join(directory, MODEL_FILE)
        if candidate not in candidates:
            candidates.append(candidate)
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f"the bundled model {MODEL_FILE} was not found; set ${MODEL_ENV} to its path or pass "
        "a path to mobilenet.load(). Tried:\n" + "\n".join("  " + c for c in candidates))


def load(path=None, *, threads=0, crop_fraction=None):
    """Loads a model file (None: the bundled model, see default_model_path()).

    path: a str, bytes or os.PathLike file name; its bytes (os.fsencode of
             a str) reach the library untouched.

    threads: worker threads per inference, 0 = one per CPU core, else 1..256;
             results are bit-identical whatever the count.
    crop_fraction: the central crop classify() keeps, in (0, 1]; None = the
             model's default, 0.875 (TF-Slim's evaluation); 1 = whole image.
    Raises Error (status IO, FORMAT, UNSUPPORTED, ...) if the file cannot be
    loaded.
    """
    return Model(path, threads=threads, crop_fraction=crop_fraction)


def load_bytes(data, *, threads=0, crop_fraction=None):
    """Loads a model from a safetensors file's contents (a bytes-like object)."""
    return Model._from_bytes(data, threads, crop_fraction)


# ---------------------------------------------------------------------------
# Model


class Model:
    """A loaded model (mobilenet_model). Immutable, so one Model can be used
    by any number of threads at once; the C calls release the GIL.

    Use it as a context manager, or call close(); close() is idempotent, and
    a Model that is garbage collected is closed. After close(), run() and
    classify() raise ValueError; info, labels and num_classes stay readable.
    """

    def __init__(self, path=None, *, threads=0, crop_fraction=None):
        if getattr(self, "_lock", None) is not None:
            raise RuntimeError("Model.__init__ called on a loaded model")
        self._handle = None
        self._closing = True  # until a handle exists
        if path is None:
            path = default_model_path()
        encoded = _path_arg("path", path)
        options = _options(threads, crop_fraction)
        handle = _native.ModelPointer()
        _check(_native.lib().mobilenet_model_load(encoded, ctypes.byref(options), ctypes.byref(handle)))
        self._adopt(handle, os.fsdecode(encoded), options)

    @classmethod
    def _from_bytes(cls, data, threads, crop_fraction):
        self = cls.__new__(cls)
        self._handle = None
        self._closing = True
        if isinstance(data, str):
            raise TypeError("data must be bytes-like, not str (use load for a file name)")
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(f"data must be bytes-like, not {type(data).__name__}") from None
        if not view.c_contiguous:
            raise ValueError("data must be a contiguous buffer")
        view = view.cast("B")
        if view.nbytes == 0:
            raise ValueError("data is empty")
        options = _options(threads, crop_fraction)
        # A numpy view (no copy) gives the address of any buffer, read-only
        # ones (bytes) included; C only reads it, and copies what it keeps.
        buffer = np.frombuffer(view, dtype=np.uint8)
        handle = _native.ModelPointer()
        _check(_native.lib().mobilenet_model_load_memory(
            ctypes.c_void_p(buffer.ctypes.data), buffer.nbytes, ctypes.byref(options),
            ctypes.byref(handle)))
        self._adopt(handle, None, options)
        return self

    def _adopt(self, handle, path, options):
        if not handle.value:
            raise Error(Status.INTERNAL, "mobilenet_model_load returned OK but no model")
        self._lock = threading.Lock()
        self._users = 0
        self._handle = handle.value
        self._closing = False
        self.path = path
        self.threads = int(options.num_threads)
        self.crop_fraction = _float32_repr(options.crop_fraction) if options.crop_fraction else None
        lib = _native.lib()
        try:
            info = _new_info()
            _check(lib.mobilenet_model_info(self._handle, ctypes.byref(info)))
            self._info = _info_from_c(info)
            self._num_classes = int(lib.mobilenet_model_num_classes(self._handle))
            labels = []
            for i in range(self._num_classes):
                raw = lib.mobilenet_model_label(self._handle, i)
                if raw is None:
                    labels = None
                    break
                labels.append(raw.decode("utf-8", "replace"))
            self._labels = tuple(labels) if labels is not None else None
            self._isa = lib.mobilenet_isa_name(lib.mobilenet_model_isa(self._handle)).decode("ascii")
            self._precision = (lib.mobilenet_precision_name(
                lib.mobilenet_model_precision(self._handle)).decode("ascii")
                if hasattr(lib, "mobilenet_model_precision") else "float32")
        except BaseException:
            self.close()
            raise

    # -- lifetime -----------------------------------------------------------

    def _enter(self):
        """The handle, counted as in use until _leave (so close() from another
        thread defers mobilenet_model_free until no call is running)."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            raise ValueError("the model is not loaded")
        with lock:
            if self._closing:
                raise ValueError("the model is closed")
            self._users += 1
            return self._handle

    def _leave(self):
        handle = None
        with self._lock:
            self._users -= 1
            if self._closing and self._users == 0 and self._handle is not None:
                handle, self._handle = self._handle, None
        if handle is not None:
            _native.lib().mobilenet_model_free(handle)

    def close(self):
        """Frees the model. Idempotent. Calls running in other threads finish
        first (the last of them frees it); new calls raise ValueError."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        handle = None
        with lock:
            if self._closing:
                return
            self._closing = True
            if self._users == 0:
                handle, self._handle = self._handle, None
        if handle is not None:
            _native.lib().mobilenet_model_free(handle)

    @property
    def closed(self):
        return getattr(self, "_closing", True)

    def __enter__(self):
        if self.closed:
            raise ValueError("the model is closed")
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may be gone
            pass

    def __reduce_ex__(self, protocol):
        # A copy would share (and later free) the same C model: refuse, for
        # pickle, copy.copy and copy.deepcopy alike. Load the file again.
        raise TypeError("a mobilenet.Model cannot be pickled or copied; load the model again")

    def __repr__(self):
        info = getattr(self, "_info", None)
        if info is None:
            return "<mobilenet.Model (not loaded)>"
        state = "closed " if self.closed else ""
        source = repr(self.path) if self.path is not None else "from bytes"
        return (f"<{state}mobilenet.Model {info.variant} {info.width_multiplier}/"
                f"{info.resolution}, {info.num_classes} classes, {source}>")

    # -- properties -----------------------------------------------------------

    @property
    def info(self):
        """The model's structure at its own resolution (mobilenet_model_info)."""
        return self._info

    @property
    def labels(self):
        """The class labels as a tuple of str (index = class), or None."""
        return self._labels

    @property
    def num_classes(self):
        return self._num_classes

    @property
    def isa(self):
        """The kernel tier this model runs on ("avx512", "avx2", "generic",
        "neon"): chosen at load, see mobilenet.best_isa()."""
        return self._isa

    @property
    def precision(self):
        """The arithmetic this model runs in: "float32" (safetensors and float
        .tflite files), "int8" or "uint8" (quantized .tflite files). Input and
        outputs are floats either way."""
        return self._precision

    @property
    def resolution(self):
        return self._info.resolution

    # -- inference ------------------------------------------------------------

    def run(self, x):
        """Pre-softmax logits of a batch: x is a numpy float32 array of shape
        (N, H, W, 3), C-contiguous, already normalized as the model expects
        (bundled model: RGB in [-1, 1]); 1 <= N, H, W <= 4096. Returns a new
        float32 array (N, num_classes). Nothing is converted: another dtype,
        ndim, channel count or a non-contiguous array raises."""
        return self._forward(x, lambda handle: self._num_classes, _native.lib().mobilenet_model_run)

    def features(self, x):
        """The embeddings of a batch (x as for run()): a new float32 array
        (N, embedding_size) of the global-average-pooled features before the
        logits layer, which is not computed (mobilenet_model_embed)."""
        return self._forward(x, lambda handle: int(_native.lib().mobilenet_model_embedding_size(handle)),
                             _native.lib().mobilenet_model_embed)

    @property
    def embedding_size(self):
        """Floats per embedding: 1024 for width multiplier 1.0."""
        handle = self._enter()
        try:
            return int(_native.lib().mobilenet_model_embedding_size(handle))
        finally:
            self._leave()

    def _forward(self, x, per_image, function):
        """function(handle, x, ...) into a new (N, per_image(handle)) float32 array."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"x must be a numpy.ndarray, not {type(x).__name__}")
        if x.dtype != np.dtype(np.float32):
            raise TypeError(f"x must have dtype float32 (native byte order), not {x.dtype}"
                            " (convert explicitly, e.g. x.astype(np.float32))")
        if x.ndim != 4:
            raise ValueError(f"x must be 4-D (N, H, W, 3), got shape {x.shape}")
        batch, height, width, channels = x.shape
        if channels != 3:
            raise ValueError(f"x must have 3 channels (N, H, W, 3), got shape {x.shape}")
        if x.size == 0:
            raise ValueError(f"x is empty, shape {x.shape}")
        if batch > _native.MAX_BATCH:
            raise ValueError(f"batch {batch} is more than {_native.MAX_BATCH}")
        if height > _native.MAX_RUN_SIZE or width > _native.MAX_RUN_SIZE:
            raise ValueError(f"height and width must be at most {_native.MAX_RUN_SIZE}, "
                             f"got {height}x{width}")
        if not (x.flags.c_contiguous and x.flags.aligned):
            raise ValueError("x must be C-contiguous and aligned "
                             "(use np.ascontiguousarray(x) to copy it)")
        handle = self._enter()
        try:
            out = np.empty((batch, per_image(handle)), dtype=np.float32)
            float_p = ctypes.POINTER(ctypes.c_float)
            _check(function(handle, x.ctypes.data_as(float_p), batch, height, width,
                            out.ctypes.data_as(float_p), out.size))
        finally:
            self._leave()
        return out

    def embed(self, images):
        """Embeddings of images with the model's preprocessing, as classify()
        preprocesses them: `images` is one image or a list or tuple of them
        (anything classify() accepts); returns a float32 array
        (N, embedding_size), one row per image (N = 1 for a single image)."""
        if isinstance(images, (list, tuple)):
            rows = self._each(images, self._embed_one)
            size = self.embedding_size
            return np.stack(rows) if rows else np.empty((0, size), dtype=np.float32)
        return self._embed_one(images)[None]

    def _embed_one(self, image):
        rgb = _rgb8(image)
        height, width, _ = rgb.shape
        row_stride = rgb.strides[0] if height > 1 else 3 * width
        handle = self._enter()
        try:
            out = np.empty(int(_native.lib().mobilenet_model_embedding_size(handle)), dtype=np.float32)
            _check(_native.lib().mobilenet_model_embed_rgb8(
                handle, rgb.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), width, height, row_stride,
                out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), out.size))
        finally:
            self._leave()
        return out

    def classify(self, image, top_k=5):
        """The top_k most probable classes of an image, most probable first,
        as a list of Prediction(label, probability, index), with the model's
        preprocessing (central crop, bilinear resize, normalization).

        image: one of
          - a numpy uint8 array (H, W, 3) of RGB pixels, packed (strides
            (row, 3, 1) with row >= 3*W: C-contiguous, or a row-cropped view
            of such an array), read in place;
          - a PIL image, read as 8-bit RGB as stb_image (the CLI's decoder)
            reads the same file: 16-bit gray as v >> 8, alpha dropped; mode
            F, and mode I that is not 16-bit data, raise ValueError (the
            table in bindings/python/README.md);
          - a file name: str or os.PathLike, or bytes that do not start with
            an image signature (below); passed to open() untouched;
          - an encoded image (JPEG, PNG, ... anything Pillow reads): bytes
            starting with the signature of PNG, JPEG, GIF, BMP, TIFF or WebP,
            any bytearray or memoryview, or a binary file object (anything
            with .read(), read from its current position to the end);
          - a list or tuple of the above: the result is then a list with
            one list of predictions per image, each the same as classifying
            that image alone.
        top_k: 1..num_classes.
        """
        if isinstance(image, (list, tuple)):
            top_k = _int_arg("top_k", top_k, 1, getattr(self, "_num_classes", 1))
            return self._each(image, lambda one: self._classify_one(one, top_k))
        return self._classify_one(image, top_k)

    def _each(self, images, function):
        """[function(image) for image in images], each error noting its image's index."""
        if self.closed:
            raise ValueError("the model is closed")
        results = []
        for i, one in enumerate(images):
            try:
                if isinstance(one, (list, tuple)):
                    raise TypeError("a list of images holds single images, not lists")
                results.append(function(one))
            except Exception as error:
                if hasattr(error, "add_note"):  # Python 3.11+
                    error.add_note(f"(image {i} of the list)")
                raise
        return results

    def _classify_one(self, image, top_k):
        rgb = _rgb8(image)
        top_k = _int_arg("top_k", top_k, 1, getattr(self, "_num_classes", 1))
        height, width, _ = rgb.shape
        row_stride = rgb.strides[0] if height > 1 else 3 * width
        predictions = (_native.Prediction * top_k)()
        handle = self._enter()
        try:
            _check(_native.lib().mobilenet_model_classify_rgb8(
                handle, rgb.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), width, height,
                row_stride, top_k, predictions))
        finally:
            self._leave()
        result = []
        for p in predictions:
            index = int(p.class_index)
            if not 0 <= index < self._num_classes:
                raise Error(Status.INTERNAL, f"class index {index} out of range")
            label = self._labels[index] if self._labels is not None else None
            result.append(Prediction(label, float(p.probability), index))
        return result


# ---------------------------------------------------------------------------
# Images

# Encoded images given as bytes are told from file names by their first
# bytes: these formats' signatures. (A BMP's "BM" must be followed by a NUL
# within its 14-byte header, as every BMP's is and no file name can be, so
# that a file named "BM..." stays a file name.)
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a",
                     b"II*\0", b"MM\0*")


def _is_image_data(data):
    return (data.startswith(_IMAGE_SIGNATURES)
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
            or (data[:2] == b"BM" and b"\0" in data[2:14]))


def _rgb8(image):
    """image as a uint8 (H, W, 3) array C can read with a row stride."""
    if isinstance(image, np.ndarray):
        pass
    elif _is_pil_image(image):
        image = _pil_to_array(image)
    elif isinstance(image, (str, os.PathLike)) or (isinstance(image, bytes) and not _is_image_data(image)):
        _path_arg("image", image)
        with open(os.fspath(image), "rb") as file:  # bytes stay bytes: no re-encoding
            image = _decode_image(file)
    elif isinstance(image, (bytes, bytearray, memoryview)):
        image = _decode_image(io.BytesIO(memoryview(image).tobytes()))
    elif callable(getattr(image, "read", None)):
        data = image.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"image.read() returned {type(data).__name__}, not bytes: "
                            "open the file in binary mode ('rb')")
        image = _decode_image(io.BytesIO(memoryview(data).tobytes()))
    if not isinstance(image, np.ndarray):
        raise TypeError("image must be a numpy uint8 array (H, W, 3), a PIL image, a file name "
                        "(str, bytes or os.PathLike), an encoded image (bytes or a binary file "
                        f"object) or a list of those, not {type(image).__name__}")
    if image.dtype != np.dtype(np.uint8):
        raise TypeError(f"an image array must have dtype uint8, not {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"an image array must have shape (H, W, 3) (RGB), got {image.shape}")
    height, width, _ = image.shape
    if height == 0 or width == 0:
        raise ValueError(f"the image is empty, shape {image.shape}")
    if height > _native.MAX_IMAGE_SIZE or width > _native.MAX_IMAGE_SIZE:
        raise ValueError(f"image height and width must be at most {_native.MAX_IMAGE_SIZE}, "
                         f"got {height}x{width}")
    s_row, s_pixel, s_channel = image.strides
    packed = s_channel == 1 and (width == 1 or s_pixel == 3) and (height == 1 or s_row >= 3 * width)
    if not packed:
        raise ValueError(f"the image array's pixels must be packed RGB rows (strides (row, 3, 1) "
                         f"with row >= 3 * width), got strides {image.strides}; "
                         "use np.ascontiguousarray(image) to copy it")
    return image


def _is_pil_image(obj):
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(obj, pil.Image)


# PIL modes of 8-bit samples that Pillow's convert("RGB") maps to RGB as
# decoding the same file as RGB would: gray replicated, palettes looked up,
# colour spaces converted, alpha dropped (not blended), premultiplied alpha
# undone.
_PIL_8BIT_MODES = frozenset(["1", "L", "P", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr",
                             "LAB", "HSV", "LA", "La", "PA"])


def _pil_to_array(image):
    """A PIL image as 8-bit RGB. 16-bit gray (modes I;16*, and I, which is
    what Pillow makes of 16-bit files) is scaled to 8 bits as stb_image (the
    CLI's decoder) does, v >> 8, and replicated. What has no meaningful
    8-bit reading raises ValueError rather than turning white or black."""
    mode = image.mode
    if image.width == 0 or image.height == 0:
        raise ValueError(f"the image is empty ({image.width}x{image.height})")
    if mode in _PIL_8BIT_MODES:
        if mode == "La":
            image = image.convert("LA")  # Pillow converts La to RGB only through LA
        if image.mode != "RGB":
            image = image.convert("RGB")
        array = np.asarray(image)
    elif mode == "I" or mode.startswith("I;16"):
        samples = np.asarray(image)
        if mode == "I":
            low, high = int(samples.min()), int(samples.max())
            if low < 0 or high > 65535:
                raise ValueError(f"a PIL image of mode I is read as 16-bit gray, but its values "
                                 f"span {low}..{high}, outside 0..65535; scale it to 0..65535 "
                                 "or convert it to 8 bits yourself")
            if high <= 255:
                raise ValueError("a PIL image of mode I is read as 16-bit gray (0..65535), but "
                                 "all its values are in 0..255, which would make it black: if it "
                                 "is 8-bit, convert it with image.convert('L')")
        elif samples.dtype.kind != "u" or samples.dtype.itemsize != 2:
            raise ValueError(f"PIL mode {mode} ({samples.dtype}) is not unsigned 16-bit")
        gray = (samples >> 8).astype(np.uint8)
        array = np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    elif mode == "F":
        raise ValueError("a PIL image of mode F (floating point) has no defined pixel range; "
                         "scale it to 0..255 and convert it, e.g. "
                         "Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))")
    else:
        raise ValueError(f"PIL images of mode {mode} are not supported; convert to RGB yourself")
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"could not convert the PIL image (mode {mode}) to 8-bit RGB")
    return array


def _decode_image(file):
    """An encoded image (an open binary file) as 8-bit RGB, with Pillow."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("reading an image file needs Pillow (pip install pillow); "
                          "or pass a numpy uint8 (H, W, 3) array") from error
    with Image.open(file) as image:
        image.load()
        return _pil_to_array(image)
