"""Trainer: the training API (mobilenet_trainer_*, since 0.3.0) over _native.

    with mobilenet.Trainer.load("model.safetensors", optimizer="momentum",
                                learning_rate=0.01, trainable_from="Conv2d_13_pointwise",
                                batchnorm="frozen", num_classes=5) as trainer:
        for images, labels in batches:          # float32 (N, H, W, 3), ints (N,)
            loss = trainer.step(images, labels)
        trainer.set_labels(["a", "b", "c", "d", "e"])
        trainer.save("checkpoint.safetensors")  # resumes exactly with Trainer.load
        model = trainer.export(threads=2)       # a mobilenet.Model of the weights

Same rule as _model: every argument is checked here before any C call
(TypeError for a wrong type, ValueError for a wrong value); failures of the
library raise mobilenet.Error with its status and message. A trainer is
mutable: its methods take a lock, so calls from several Python threads run
one at a time (the C calls release the GIL, but not the lock).

Options (keywords of load() and new(); the mobilenet_train_options fields,
defaults TF-Slim's, see include/mobilenet.h):
  threads (or num_threads) 0..256, optimizer "rmsprop" | "momentum" | "sgd" |
  "adam", learning_rate > 0, momentum, rmsprop_decay in [0, 1), epsilon > 0,
  weight_decay >= 0, label_smoothing in [0, 1), batchnorm "train" |
  "frozen", batchnorm_decay in [0, 1), trainable_from None | "" | a layer
  name ("Conv2d_12_depthwise", "Logits", ...), num_classes 0 (keep) or
  1..100000 (load only), seed 0..2**64-1, adam_beta1, adam_beta2 in [0, 1).
"""

import ctypes
import math
import os
import threading

import numpy as np

from . import _native
from ._model import Model, _check, _int_arg, _options, _path_arg, _real_arg
from ._types import Error, Status, Variant

OPTIMIZERS = {"rmsprop": 0, "momentum": 1, "sgd": 2, "adam": 3}
BATCHNORM = {"train": 0, "frozen": 1}
SLOT_SUFFIXES = ("/RMSProp_1", "/RMSProp", "/Momentum", "/Adam_1", "/Adam")
_OPTION_NAMES = frozenset(["threads", "num_threads", "optimizer", "learning_rate", "momentum",
                           "rmsprop_decay", "epsilon", "weight_decay", "label_smoothing",
                           "batchnorm", "batchnorm_decay", "trainable_from", "num_classes",
                           "seed", "adam_beta1", "adam_beta2"])


def _require_training():
    if not _native.has_training():
        version = _native.lib().mobilenet_version().decode("ascii", "replace")
        raise _native.LibraryNotFoundError(
            f"{_native.library_path()} (libmobilenet {version}) has no training API "
            "(mobilenet_trainer_*, since 0.3.0)")


def _float32_value(name, value):
    """A real that C receives as float: finite in float32 too."""
    value = _real_arg(name, value)
    if not math.isfinite(float(np.float32(value))):
        raise ValueError(f"{name} {value} overflows a float")
    return value


def _positive(name, value):
    value = _float32_value(name, value)
    if not value > 0 or np.float32(value) == 0:
        raise ValueError(f"{name} must be > 0 (and not round to 0 as a float), got {value}")
    return value


def _unit_interval(name, value):
    """In [0, 1), also after rounding to float."""
    value = _float32_value(name, value)
    if not 0.0 <= value < 1.0 or np.float32(value) >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def _choice(name, value, table):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if value not in table:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, table))}, got {value!r}")
    return table[value]


def _train_options(options, allow_num_classes=True):
    """A filled _native.TrainOptions from keyword options (the bytes of
    trainable_from are kept alive by the structure)."""
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise TypeError(f"unknown option{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(unknown)}; the options are {', '.join(sorted(_OPTION_NAMES))}")
    if "threads" in options and "num_threads" in options:
        raise TypeError("give threads or num_threads, not both")
    if not allow_num_classes and "num_classes" in options:
        raise TypeError("Trainer.new takes num_classes as its own argument")
    c = _native.TrainOptions()
    _native.lib().mobilenet_train_options_init(ctypes.byref(c))
    if c.struct_size != ctypes.sizeof(_native.TrainOptions):
        raise Error(Status.INTERNAL, f"mobilenet_train_options_init wrote struct_size "
                                     f"{c.struct_size}, not {ctypes.sizeof(_native.TrainOptions)}")
    for key, value in options.items():
        if key in ("threads", "num_threads"):
            c.num_threads = _int_arg(key, value, 0, _native.MAX_THREADS)
        elif key == "optimizer":
            c.optimizer = _choice(key, value, OPTIMIZERS)
        elif key == "batchnorm":
            c.batchnorm = _choice(key, value, BATCHNORM)
        elif key in ("learning_rate", "epsilon"):
            setattr(c, key, _positive(key, value))
        elif key == "weight_decay":
            value = _float32_value(key, value)
            if value < 0:
                raise ValueError(f"weight_decay must be >= 0, got {value}")
            c.weight_decay = value
        elif key in ("momentum", "rmsprop_decay", "label_smoothing", "batchnorm_decay",
                     "adam_beta1", "adam_beta2"):
            setattr(c, key, _unit_interval(key, value))
        elif key == "trainable_from":
            if value is None:
                c.trainable_from = None
                continue
            if not isinstance(value, str):
                raise TypeError(f"trainable_from must be a str or None, not {type(value).__name__}")
            encoded = value.encode("utf-8", "strict") if value.isprintable() else None
            if encoded is None or len(encoded) >= _native.LAYER_NAME_SIZE:
                raise ValueError(f"trainable_from must be a layer name such as "
                                 f"'Conv2d_12_depthwise' or 'Logits', got {value!r}")
            c.trainable_from = encoded
        elif key == "num_classes":
            c.num_classes = _int_arg(key, value, 0, _native.MAX_CLASSES)  # 0 = keep
        elif key == "seed":
            c.seed = _int_arg(key, value, 0, 2**64 - 1)
    return c


def _float32_repr(value):
    return float(str(np.float32(value)))


# TF shapes from the names (include/mobilenet.h: shapes are TensorFlow's).
def _tf_shape(name, size, size_of, num_classes):
    """The TF shape of tensor `name` of `size` floats; size_of(other_name)
    gives another tensor's size (0 if absent). None if not inferable."""
    for suffix in SLOT_SUFFIXES:
        if name.endswith(suffix):
            return _tf_shape(name[:-len(suffix)], size, size_of, num_classes)
    if name in ("beta1_power", "beta2_power"):
        return () if size == 1 else None
    leaf = name.rsplit("/", 1)[-1]
    scope = name[:-len(leaf) - 1]
    if leaf in ("gamma", "beta", "moving_mean", "moving_variance", "biases"):
        return (size,)
    if leaf == "depthwise_weights":
        return (3, 3, size // 9, 1) if size % 9 == 0 else None
    if leaf == "weights":
        if scope.endswith("/Logits/Conv2d_1c_1x1"):
            cout = num_classes
        else:
            cout = size_of(scope + "/BatchNorm/gamma")
        if cout <= 0 or size % cout:
            return None
        k = 1 if scope.endswith(("_pointwise", "/Logits/Conv2d_1c_1x1")) else 3
        if (size // cout) % (k * k):
            return None
        return (k, k, size // cout // (k * k), cout)
    return None


def _batch_args(images, labels, num_classes):
    """(images C-contiguous float32 (N, H, W, 3), labels int32 (N,))."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"images must be a numpy.ndarray, not {type(images).__name__}")
    if images.dtype != np.dtype(np.float32):
        raise TypeError(f"images must have dtype float32 (native byte order), not {images.dtype}"
                        " (convert explicitly, e.g. images.astype(np.float32))")
    if images.ndim != 4 or images.shape[3] != 3:
        raise ValueError(f"images must be 4-D (N, H, W, 3), got shape {images.shape}")
    batch, height, width, _ = images.shape
    if images.size == 0:
        raise ValueError(f"images is empty, shape {images.shape}")
    if batch > _native.MAX_BATCH:
        raise ValueError(f"batch {batch} is more than {_native.MAX_BATCH}")
    if height > _native.MAX_RUN_SIZE or width > _native.MAX_RUN_SIZE:
        raise ValueError(f"height and width must be at most {_native.MAX_RUN_SIZE}, "
                         f"got {height}x{width}")
    images = np.ascontiguousarray(images)  # a copy only if not C-contiguous and aligned
    if not images.flags.aligned:
        images = images.copy()

    if labels is None or isinstance(labels, (str, bytes)):
        raise TypeError(f"labels must be a sequence or array of ints, not {type(labels).__name__}")
    try:
        array = np.asarray(labels)
    except (TypeError, ValueError) as error:
        raise TypeError(f"labels must be a sequence or array of ints: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"labels must be 1-D (one per image), got shape {array.shape}")
    if array.shape[0] != batch:
        raise ValueError(f"{array.shape[0]} labels for {batch} images")
    if array.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, not {array.dtype}")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= num_classes:
        raise ValueError(f"labels must be in 0..{num_classes - 1}, got {low if low < 0 else high}")
    return images, np.ascontiguousarray(array, dtype=np.int32)


def _embedding_args(embeddings, labels, size, num_classes):
    """(embeddings C-contiguous float32 (N, size), labels int32 (N,))."""
    if not isinstance(embeddings, np.ndarray):
        raise TypeError(f"embeddings must be a numpy.ndarray, not {type(embeddings).__name__}")
    if embeddings.dtype != np.dtype(np.float32):
        raise TypeError(f"embeddings must have dtype float32 (native byte order), not "
                        f"{embeddings.dtype} (convert explicitly, e.g. e.astype(np.float32))")
    if embeddings.ndim != 2 or embeddings.shape[1] != size:
        raise ValueError(f"embeddings must be 2-D (N, {size}), got shape {embeddings.shape}")
    batch = embeddings.shape[0]
    if batch == 0:
        raise ValueError("embeddings is empty")
    if batch > _native.MAX_BATCH:
        raise ValueError(f"batch {batch} is more than {_native.MAX_BATCH}")
    # C rejects a non-finite value too; checking here names the row.
    finite = np.isfinite(embeddings).all(axis=1)
    if not finite.all():
        raise ValueError(f"embeddings row {int(np.argmin(finite))} is not finite")
    embeddings = np.ascontiguousarray(embeddings)
    if not embeddings.flags.aligned:
        embeddings = embeddings.copy()
    # The label checks are _batch_args' (a dummy image batch of the right N).
    _, labels = _batch_args(np.empty((batch, 1, 1, 3), np.float32), labels, num_classes)
    return embeddings, labels


class Trainer:
    """A network being trained (mobilenet_trainer): parameters, BatchNorm
    moving statistics, optimizer slots and global step. Create one with
    Trainer.load(path, **options) or Trainer.new(...); close() (or the
    context manager, or garbage collection) frees it. After close() every
    method raises ValueError."""

    def __init__(self, *args, **kwargs):
        raise TypeError("use mobilenet.Trainer.load(path, ...) or mobilenet.Trainer.new(...)")

    @classmethod
    def _create(cls, call, options_c, path):
        self = cls.__new__(cls)
        self._handle = None
        self._lock = threading.Lock()
        handle = _native.TrainerPointer()
        _check(call(ctypes.byref(options_c), ctypes.byref(handle)))
        if not handle.value:
            raise Error(Status.INTERNAL, "the trainer was created with status OK but is NULL")
        self._handle = handle.value
        self.path = path
        self.threads = int(options_c.num_threads)
        self._learning_rate = _float32_repr(options_c.learning_rate)
        self._num_classes = int(_native.lib().mobilenet_trainer_num_classes(self._handle))
        return self

    @classmethod
    def load(cls, path, **options):
        """Opens a model file (fresh slots, global step 0) or a checkpoint
        written by save() (resumes exactly) for training. Keywords: the
        options (module docstring); num_classes > 0 replaces the classifier."""
        _require_training()
        encoded = _path_arg("path", path)
        options_c = _train_options(options)
        return cls._create(
            lambda opts, out: _native.lib().mobilenet_trainer_load(encoded, opts, out),
            options_c, os.fsdecode(encoded))

    @classmethod
    def new(cls, variant="separable", width_multiplier=1.0, resolution=224, num_classes=1001,
            **options):
        """A network initialised as TF-Slim does from scratch (from seed).
        variant 'separable' | 'full_conv' | 'shallow' (or a Variant),
        width_multiplier in (0, 4], resolution 1..4096 (recorded in the
        model; steps take any size), num_classes 1..100000."""
        _require_training()
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
        options_c = _train_options(options, allow_num_classes=False)
        return cls._create(
            lambda opts, out: _native.lib().mobilenet_trainer_new(
                kind.c_value, alpha, resolution, num_classes, opts, out),
            options_c, None)

    # -- lifetime -------------------------------------------------------------

    def _locked(self):
        lock = getattr(self, "_lock", None)
        if lock is None:
            raise ValueError("the trainer is not open")
        return lock

    def _live(self):
        if self._handle is None:
            raise ValueError("the trainer is closed")
        return self._handle

    def close(self):
        """Frees the trainer. Idempotent; waits for a call running in another thread."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            _native.lib().mobilenet_trainer_free(handle)

    @property
    def closed(self):
        return getattr(self, "_handle", None) is None

    def __enter__(self):
        if self.closed:
            raise ValueError("the trainer is closed")
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            handle = getattr(self, "_handle", None)
            if handle is not None:
                self._handle = None
                _native.lib().mobilenet_trainer_free(handle)
        except Exception:  # interpreter shutdown: modules may be gone
            pass

    def __reduce_ex__(self, protocol):
        raise TypeError("a mobilenet.Trainer cannot be pickled or copied; save() a checkpoint "
                        "and Trainer.load it")

    def __repr__(self):
        if getattr(self, "_lock", None) is None:
            return "<mobilenet.Trainer (not open)>"
        if self.closed:
            return "<closed mobilenet.Trainer>"
        return (f"<mobilenet.Trainer {self._num_classes} classes, step {self.global_step}, "
                f"{self.path!r}>" if self.path else
                f"<mobilenet.Trainer {self._num_classes} classes, step {self.global_step}>")

    # -- training ---------------------------------------------------------------

    def step(self, images, labels):
        """One training step; returns the batch's mean cross-entropy before
        the update (label smoothing included, L2 term not). images: numpy
        float32 (N, H, W, 3), normalised as for Model.run (copied if not
        C-contiguous); labels: N ints in 0..num_classes-1."""
        with self._locked():
            handle = self._live()
            images, labels = _batch_args(images, labels, self._num_classes)
            batch, height, width, _ = images.shape
            loss = ctypes.c_float()
            _check(_native.lib().mobilenet_trainer_step(
                handle, images.ctypes.data_as(_native._float_p),
                labels.ctypes.data_as(_native._int32_p), batch, height, width, ctypes.byref(loss)))
            return float(loss.value)

    def evaluate(self, images, labels):
        """(mean cross-entropy without smoothing, number of top-1 hits) of a
        batch with the moving statistics; changes nothing."""
        with self._locked():
            handle = self._live()
            images, labels = _batch_args(images, labels, self._num_classes)
            batch, height, width, _ = images.shape
            loss = ctypes.c_float()
            correct = ctypes.c_int()
            _check(_native.lib().mobilenet_trainer_evaluate(
                handle, images.ctypes.data_as(_native._float_p),
                labels.ctypes.data_as(_native._int32_p), batch, height, width, ctypes.byref(loss),
                ctypes.byref(correct)))
            return float(loss.value), int(correct.value)

    def step_embeddings(self, embeddings, labels):
        """One step of the Logits alone on cached embeddings (float32 (N,
        embedding_size), as Model.features of the trainer's own network
        gives them); returns the batch's loss as step() does. Allowed only
        while the Logits alone train (trainable_from "Logits" or
        "AvgPool_1a"), else mobilenet.Error INVALID_ARGUMENT."""
        with self._locked():
            handle = self._live()
            size = int(_native.lib().mobilenet_trainer_embedding_size(handle))
            embeddings, labels = _embedding_args(embeddings, labels, size, self._num_classes)
            loss = ctypes.c_float()
            _check(_native.lib().mobilenet_trainer_step_embeddings(
                handle, embeddings.ctypes.data_as(_native._float_p),
                labels.ctypes.data_as(_native._int32_p), embeddings.shape[0], ctypes.byref(loss)))
            return float(loss.value)

    def evaluate_embeddings(self, embeddings, labels):
        """(mean cross-entropy without smoothing, number of top-1 hits) of the
        Logits on embeddings; changes nothing."""
        with self._locked():
            handle = self._live()
            size = int(_native.lib().mobilenet_trainer_embedding_size(handle))
            embeddings, labels = _embedding_args(embeddings, labels, size, self._num_classes)
            loss = ctypes.c_float()
            correct = ctypes.c_int()
            _check(_native.lib().mobilenet_trainer_evaluate_embeddings(
                handle, embeddings.ctypes.data_as(_native._float_p),
                labels.ctypes.data_as(_native._int32_p), embeddings.shape[0], ctypes.byref(loss),
                ctypes.byref(correct)))
            return float(loss.value), int(correct.value)

    @property
    def embedding_size(self):
        """Floats per embedding the Logits take (1024 at width multiplier 1)."""
        with self._locked():
            return int(_native.lib().mobilenet_trainer_embedding_size(self._live()))

    @property
    def learning_rate(self):
        """The learning rate of the next step (as the float C holds)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        value = _positive("learning_rate", value)
        with self._locked():
            _check(_native.lib().mobilenet_trainer_set_learning_rate(self._live(), value))
            self._learning_rate = _float32_repr(value)

    @property
    def global_step(self):
        with self._locked():
            return int(_native.lib().mobilenet_trainer_global_step(self._live()))

    @property
    def num_classes(self):
        return self._num_classes

    # -- tensors --------------------------------------------------------------

    def tensor_names(self):
        """Every tensor's TF name (variables, slots, beta powers), in checkpoint order."""
        with self._locked():
            handle = self._live()
            lib = _native.lib()
            names = []
            for i in range(int(lib.mobilenet_trainer_num_tensors(handle))):
                raw = lib.mobilenet_trainer_tensor_name(handle, i)
                if raw is None:
                    raise Error(Status.INTERNAL, f"mobilenet_trainer_tensor_name({i}) is NULL")
                names.append(raw.decode("utf-8", "replace"))
            return names

    def get_tensor(self, name):
        """A copy of tensor `name` as a float32 array in its TF shape (HWIO
        for weights, [C] for BatchNorm and biases, a slot as its variable,
        () for beta powers), inferred from the name and the sizes; 1-D if the
        name follows no TF-Slim convention. KeyError if there is none."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        if "\0" in name:
            raise ValueError("name contains a NUL character")
        encoded = name.encode("utf-8", "surrogateescape")
        with self._locked():
            handle = self._live()
            lib = _native.lib()
            size = int(lib.mobilenet_trainer_tensor_size(handle, encoded))
            if size == 0:
                raise KeyError(name)
            out = np.empty(size, dtype=np.float32)
            _check(lib.mobilenet_trainer_get_tensor(handle, encoded,
                                                    out.ctypes.data_as(_native._float_p), size))
            shape = _tf_shape(name, size,
                              lambda other: int(lib.mobilenet_trainer_tensor_size(
                                  handle, other.encode("utf-8", "surrogateescape"))),
                              self._num_classes)
        if shape is not None and math.prod(shape) == size:
            return out.reshape(shape)
        return out

    # -- output -----------------------------------------------------------------

    def set_labels(self, labels):
        """The class names save() and export() record: a list or tuple of
        num_classes str (1..255 UTF-8 bytes each, no control characters), or
        None / [] to remove them."""
        if labels is None or (isinstance(labels, (list, tuple)) and len(labels) == 0):
            encoded = []
        else:
            if not isinstance(labels, (list, tuple)):
                raise TypeError(f"labels must be a list or tuple of str, not {type(labels).__name__}")
            if len(labels) != self._num_classes:
                raise ValueError(f"{len(labels)} labels for {self._num_classes} classes")
            encoded = []
            for i, label in enumerate(labels):
                if not isinstance(label, str):
                    raise TypeError(f"label {i} must be a str, not {type(label).__name__}")
                try:
                    raw = label.encode("utf-8", "strict")
                except UnicodeEncodeError as error:
                    raise ValueError(f"label {i} is not valid UTF-8 text: {error}") from None
                if not 1 <= len(raw) <= _native.MAX_LABEL_BYTES:
                    raise ValueError(f"label {i} must be 1..{_native.MAX_LABEL_BYTES} bytes, "
                                     f"got {len(raw)}")
                if any(ch < 0x20 or ch == 0x7f for ch in raw):
                    raise ValueError(f"label {i} contains a control character: {label!r}")
                encoded.append(raw)
        array = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
        with self._locked():
            _check(_native.lib().mobilenet_trainer_set_labels(
                self._live(), array if encoded else None, len(encoded)))

    def save(self, path):
        """Writes a checkpoint (atomically) that Trainer.load resumes and
        mobilenet.load reads as a model."""
        encoded = _path_arg("path", path)
        with self._locked():
            _check(_native.lib().mobilenet_trainer_save(self._live(), encoded))

    def export(self, threads=0, crop_fraction=None):
        """A mobilenet.Model of the current weights (the bits a save and a
        load give), independent of the trainer."""
        options = _options(threads, crop_fraction)
        handle = _native.ModelPointer()
        with self._locked():
            _check(_native.lib().mobilenet_trainer_export(self._live(), ctypes.byref(options),
                                                          ctypes.byref(handle)))
        model = Model.__new__(Model)
        model._handle = None
        model._closing = True
        model._adopt(handle, None, options)
        return model


__all__ = ["Trainer", "OPTIMIZERS", "BATCHNORM"]
