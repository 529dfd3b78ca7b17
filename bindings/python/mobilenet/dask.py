"""Classify (and embed) many images with Dask: mobilenet.dask.

    import mobilenet.dask

    frame = mobilenet.dask.classify(paths, top_k=5)     # a lazy dask DataFrame
    frame.to_parquet("predictions.parquet")              # or frame.compute()

Work runs on the current Dask client if there is one (a LocalCluster, or a
cluster reached with distributed.Client("tcp://scheduler:8786")), else on
Dask's default scheduler. Only file names and load options are sent to the
workers: each worker process loads the model once, on first use, and keeps it
(a Model is never pickled). Images are read on the workers: local file names
as Model.classify reads them, URLs with a protocol (s3://, https://, ...)
through fsspec. A missing or undecodable image gives a row with its error
message, not a failed job.

Needs dask[dataframe] (and distributed for a cluster):
pip install ./bindings/python[dask].
"""

import collections
import math
import os
import re
import threading

try:
    import dask
    import dask.array as da
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("mobilenet.dask needs dask[dataframe] and distributed: "
                      "pip install 'mobilenet[dask]' (or pip install 'dask[dataframe]' distributed)"
                      ) from error
import numpy as np

from . import _model, _native

__all__ = ["classify", "embed"]

#: Columns of classify()'s DataFrame and their dtypes. rank is 1 for the most
#: probable class; rank, index, label and probability are null on an error row.
COLUMNS = {
    "path": "string",
    "rank": "Int64",
    "index": "Int64",
    "label": "string",
    "probability": "float64",
    "error": "string",
}

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


# ---------------------------------------------------------------------------
# Public API


def classify(paths, *, model=None, top_k=5, threads=1, batch_size=32, crop=None):
    """The top_k classes of every image in paths, as a lazy dask DataFrame.

    paths: a list (any iterable) of file names or URLs, a dask Bag of them,
           or a dask DataFrame column (Series); a Bag or Series is computed
           first to get the list of names (only the names: the images are
           read by the workers). Local names must be valid on every worker;
           a URL with a protocol (s3://, https://, file://, ...) is opened with
           fsspec.
    model: the model file as the workers see it, or None for the bundled
           model (each worker's mobilenet.default_model_path()).
    top_k: predictions per image, 1..the model's class count.
    threads: inference threads per task (mobilenet.load's threads); 1 suits
           one task per core.
    batch_size: images per task (per DataFrame partition).
    crop: the central crop fraction, as mobilenet.load's crop_fraction.

    Columns (see COLUMNS): path, rank (1 = most probable), index (the class
    index), label, probability (exactly Model.classify's), error. One row
    per image and rank; an image that cannot be read or classified gives one
    row with its error message in error and rank, index, label, probability
    null. error is null on the other rows. The DataFrame's index, named
    "position", is the image's position in paths (the class index is the
    column frame["index"]); rows are in the order of paths, then rank.
    """
    top_k = _model._int_arg("top_k", top_k, 1, _native.MAX_CLASSES)
    spec = _model_spec(model, threads, crop)
    batch_size = _model._int_arg("batch_size", batch_size, 1, 2**31 - 1)
    paths = _path_list(paths)
    starts, batches = _split(paths, batch_size)
    if not paths:
        return dd.from_pandas(_frame([], []), npartitions=1)
    return dd.from_map(_classify_batch, starts, batches, spec=spec, top_k=top_k,
                       meta=_frame([], []), divisions=tuple(starts) + (len(paths) - 1,),
                       label="mobilenet-classify")


def embed(paths, *, model=None, threads=1, batch_size=32):
    """The embedding of every image in paths, as a lazy dask Array of shape
    (len(paths), embedding_size), float32, rows in the order of paths.

    Arguments as for classify(). Each row equals Model.embed of that image
    in one process, bit for bit (it raises NotImplementedError with a
    binding that has no Model.embed, i.e. before 0.2.0). The embedding size is asked of a worker
    (which loads the model there). An image that cannot be read fails the
    computation with an error naming the file: an array has no place for a
    per-image error (use classify to find bad files).
    """
    _require_embed()
    spec = _model_spec(model, threads, None)
    batch_size = _model._int_arg("batch_size", batch_size, 1, 2**31 - 1)
    paths = _path_list(paths)
    _, batches = _split(paths, batch_size)
    size = dask.delayed(_embedding_size, pure=True)(spec).compute()
    blocks = [da.from_delayed(dask.delayed(_embed_batch, pure=True)(batch, spec),
                              shape=(len(batch), size), dtype=np.float32)
              for batch in batches]
    if not blocks:
        return da.zeros((0, size), dtype=np.float32)
    return da.concatenate(blocks, axis=0)


# ---------------------------------------------------------------------------
# Client side: arguments


def _model_spec(model, threads, crop):
    """(path or None, threads, crop): what the workers load, and their cache key."""
    if model is not None:
        if not isinstance(model, (str, os.PathLike)):
            raise TypeError("model must be a file name (str or os.PathLike) or None, not "
                            f"{type(model).__name__} (a loaded Model cannot be sent to workers)")
        model = os.fsdecode(model)
    threads = _model._int_arg("threads", threads, 0, _native.MAX_THREADS)
    if crop is not None:
        crop = _model._real_arg("crop", crop)
        if not 0.0 < crop <= 1.0:
            raise ValueError(f"crop must be in (0, 1], got {crop}")
    return (model, threads, crop)


def _path_list(paths):
    """paths as a Python list: a dask Bag or Series is computed (current client)."""
    if isinstance(paths, dd.DataFrame):
        raise TypeError("paths must be one column of the DataFrame, e.g. frame['path']")
    if isinstance(paths, (db.Bag, dd.Series)):
        (paths,) = dask.compute(paths)
        return list(paths)
    if dask.is_dask_collection(paths):
        raise TypeError(f"paths must be a list, a dask Bag or a dask Series, not {type(paths).__name__}")
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("paths must be a list of file names, not a single name")
    try:
        return list(paths)
    except TypeError:
        raise TypeError(f"paths must be a list of file names, not {type(paths).__name__}") from None


def _split(paths, batch_size):
    """(starts, batches): paths in consecutive batches of batch_size."""
    starts = list(range(0, len(paths), batch_size))
    return starts, [paths[start:start + batch_size] for start in starts]


def _require_embed():
    if not callable(getattr(_model.Model, "embed", None)):
        raise NotImplementedError(
            "mobilenet.dask.embed needs mobilenet.Model.embed, which this version of the "
            "mobilenet binding does not have (it came with 0.2.0; the embedding API was a later issue). "
            "Use mobilenet.dask.classify for predictions.")


# ---------------------------------------------------------------------------
# Worker side: one model per process, images read as Model.classify reads them

_lock = threading.Lock()
_models = {}                          # spec -> Model, for the life of the process
_loads = collections.Counter()        # spec -> loads in this process (at most 1 each)
_batch_counts = collections.Counter()  # spec -> batches run in this process


def _cached_model(spec):
    """The Model of spec, loaded on first use in this process and kept."""
    with _lock:
        model = _models.get(spec)
        if model is None:
            path, threads, crop = spec
            model = _model.load(path, threads=threads, crop_fraction=crop)
            _models[spec] = model
            _loads[spec] += 1
        return model


def _count_batch(spec):
    with _lock:
        _batch_counts[spec] += 1


def _worker_stats():
    """{"pid", "loads", "batches"} of this process (for tests and diagnostics,
    e.g. client.run(mobilenet.dask._worker_stats))."""
    with _lock:
        return {"pid": os.getpid(), "loads": dict(_loads), "batches": dict(_batch_counts)}


def _read(path):
    """The uint8 (H, W, 3) pixels of the image at path, exactly as
    Model.classify reads them (its own reader, mobilenet._model._rgb8); a
    URL with a protocol is opened with fsspec and decoded by Pillow."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"expected a file name or URL, not {type(path).__name__}")
    if isinstance(path, str) and _URL.match(path):
        try:
            import fsspec
        except ImportError:
            raise ImportError(f"reading {path} needs fsspec (pip install fsspec)") from None
        from PIL import Image
        with fsspec.open(path, "rb") as file, Image.open(file) as image:
            image.load()
            return _model._rgb8(image)
    return _model._rgb8(path)


def _path_text(path):
    return os.fsdecode(path) if isinstance(path, (str, os.PathLike)) else str(path)


def _frame(rows, positions):
    """A partition of classify's DataFrame: rows of COLUMNS, index positions."""
    columns = list(zip(*rows)) if rows else [()] * len(COLUMNS)
    data = {name: pd.Series(list(values), dtype=dtype).array
            for (name, dtype), values in zip(COLUMNS.items(), columns)}
    return pd.DataFrame(data, index=pd.Index(positions, dtype="int64", name="position"))


def _classify_batch(start, batch, *, spec, top_k):
    """classify's rows of paths batch, the first at position start."""
    model = _cached_model(spec)
    _count_batch(spec)
    top_k = _model._int_arg("top_k", top_k, 1, model.num_classes)  # fails the job, not a row
    rows, positions = [], []
    for position, path in enumerate(batch, start):
        text = _path_text(path)
        try:
            predictions = model.classify(_read(path), top_k)
        except Exception as error:  # noqa: BLE001 - one bad image is one error row
            rows.append((text, None, None, None, math.nan, f"{type(error).__name__}: {error}"))
            positions.append(position)
            continue
        for rank, p in enumerate(predictions, 1):
            rows.append((text, rank, p.index, p.label, p.probability, None))
            positions.append(position)
    return _frame(rows, positions)


def _embedding_model(spec):
    model = _cached_model(spec)
    if not callable(getattr(model, "embed", None)):
        _require_embed()  # this worker's binding is older than the client's
    return model


def _embedding_size(spec):
    return int(_embedding_model(spec).embedding_size)


def _embed_batch(batch, spec):
    """Model.embed of the images of batch: float32 (len(batch), embedding_size)."""
    model = _embedding_model(spec)
    _count_batch(spec)
    images = []
    for path in batch:
        try:
            images.append(_read(path))
        except Exception as error:
            raise ValueError(f"cannot embed {_path_text(path)}: {type(error).__name__}: {error}") from error
    result = model.embed(images)
    expected = (len(batch), model.embedding_size)
    if not isinstance(result, np.ndarray) or result.dtype != np.float32 or result.shape != expected:
        raise ValueError(f"Model.embed returned {type(result).__name__} "
                         f"{getattr(result, 'dtype', '')} {getattr(result, 'shape', '')}, "
                         f"expected float32 {expected}")
    return result
