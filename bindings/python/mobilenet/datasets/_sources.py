"""Dataset constructors: an image folder, TF-Slim TFRecord shards, numpy
arrays, any iterable of (image, label), and as_dataset() choosing among them.

Inputs that do not decode are never fatal: each is reported by name with a
warning and listed in Dataset.skipped. They are found up front (every image
is decoded once when the dataset is made), so the split and the class counts
are those of the images that will really be used. A malformed TFRecord file
(bad CRC, truncated record) is fatal: that is a broken file, not a bad image.
"""

import glob
import os
import warnings

import numpy as np

from ._dataset import Dataset
from ._example import ExampleError, parse_example
from ._images import array_to_rgb8, to_rgb8
from ._tfrecord import read_records

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def _skip(skipped, name, error):
    skipped.append(name)
    warnings.warn(f"skipped {name}: {error}", stacklevel=3)


def _label_indices(labels, classes):
    """(int32 indices, class names) for labels that are ints or strs."""
    labels = list(labels)
    if classes is not None:
        classes = [str(c) for c in classes]
        lookup = {name: i for i, name in enumerate(classes)}
        out = []
        for label in labels:
            if isinstance(label, str):
                if label not in lookup:
                    raise ValueError(f"label {label!r} is not one of the classes")
                out.append(lookup[label])
            else:
                index = int(label)
                if not 0 <= index < len(classes):
                    raise ValueError(f"label {index} is outside 0..{len(classes) - 1}")
                out.append(index)
        return np.asarray(out, dtype=np.int32), classes
    kinds = {isinstance(label, str) for label in labels}
    if len(kinds) > 1:
        raise TypeError("labels mix str and int")
    values = sorted(set(labels if kinds == {True} else (int(v) for v in labels)))
    lookup = {v: i for i, v in enumerate(values)}
    indices = [lookup[label if isinstance(label, str) else int(label)] for label in labels]
    return np.asarray(indices, dtype=np.int32), [str(v) for v in values]


def image_folder(path, extensions=IMAGE_EXTENSIONS):
    """One sub-folder per class, its name the label, classes in sorted order
    (TF-Slim's flowers layout, Keras' image_dataset_from_directory's). Files
    with the given extensions (case-insensitive) anywhere under a class
    folder; JPEG and PNG of any mode (gray, palette, RGBA, 16-bit) as
    Model.classify reads them. Hidden files and folders are ignored."""
    root = os.fspath(path)
    if not os.path.isdir(root):
        raise NotADirectoryError(f"{root} is not a directory")
    classes = sorted(d for d in os.listdir(root)
                     if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
    if not classes:
        raise ValueError(f"{root} has no class sub-folders")
    items, labels, skipped = [], [], []
    for k, name in enumerate(classes):
        for directory, subdirs, files in sorted(os.walk(os.path.join(root, name))):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for file in sorted(files):
                if file.startswith(".") or not file.lower().endswith(tuple(extensions)):
                    continue
                full = os.path.join(directory, file)
                try:
                    to_rgb8(full)
                except Exception as error:  # any decoder failure: report, go on
                    _skip(skipped, full, error)
                    continue
                items.append(full)
                labels.append(k)
    return Dataset(items, labels, classes, to_rgb8, skipped, list(items))


def _label_names(directory):
    """TF-Slim's labels.txt ("0:daisy" lines) next to the shards, or {}."""
    path = os.path.join(directory, "labels.txt")
    names = {}
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as file:
            for line in file:
                index, sep, name = line.rstrip("\n").partition(":")
                if sep and index.strip().lstrip("-").isdigit():
                    names[int(index)] = name
    return names


def _tfrecord_files(paths):
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            found = sorted(os.path.join(p, f) for f in os.listdir(p) if ".tfrecord" in f)
            if not found:
                raise FileNotFoundError(f"{p} holds no *.tfrecord* files")
            files.extend(found)
        elif any(c in p for c in "*?["):
            found = sorted(glob.glob(p))
            if not found:
                raise FileNotFoundError(f"no file matches {p}")
            files.extend(found)
        else:
            files.append(p)
    return files


def tfrecords(paths, classes=None):
    """TF-Slim's TFRecord shards (download_and_convert_*.py): each record a
    tf.train.Example with image/encoded (JPEG or PNG bytes) and
    image/class/label (int64); class names from image/class/text if the
    records have it, else from a labels.txt beside the shards, else the
    label numbers. `paths`: a file, a directory (its *.tfrecord* files), a
    glob pattern, or a list of those. CRCs are verified (TFRecordError)."""
    files = _tfrecord_files(paths)
    items, values, names, skipped, texts = [], [], [], [], {}
    for file in files:
        for i, record in enumerate(read_records(file)):
            name = f"{file}#{i}"
            try:
                features = parse_example(record)
                encoded, label = features.get("image/encoded"), features.get("image/class/label")
                if not encoded or not isinstance(encoded[0], bytes):
                    raise ExampleError("no image/encoded bytes")
                if not label or not isinstance(label[0], int):
                    raise ExampleError("no image/class/label int64")
                to_rgb8(encoded[0])
            except Exception as error:  # a bad record or image: report, go on
                _skip(skipped, name, error)
                continue
            text = features.get("image/class/text")
            if text and isinstance(text[0], bytes):
                texts[label[0]] = text[0].decode("utf-8", "replace")
            items.append(encoded[0])
            values.append(label[0])
            names.append(name)
    if classes is None:
        found = sorted(set(values))
        from_file = _label_names(os.path.dirname(os.path.abspath(files[0]))) if files else {}
        classes = [texts.get(v) or from_file.get(v) or str(v) for v in found]
        lookup = {v: i for i, v in enumerate(found)}
        labels = [lookup[v] for v in values]
    else:
        labels, classes = _label_indices(values, classes)
    return Dataset(items, labels, classes, to_rgb8, skipped, names)


def arrays(images, labels, classes=None, value_range=None):
    """numpy images: (N, H, W, 3) or (N, H, W, 4) (alpha dropped) or gray
    (N, H, W) / (N, H, W, 1); uint8 as is, uint16 as v >> 8, floats (and
    other ints) scaled from value_range to 0..255, by default the array's own
    range (its min and max over all images: scikit-learn's digits, 0..16,
    come out 0..255). labels: N ints or strs; classes: names for int labels
    (index = label), default the sorted distinct labels."""
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W), (N, H, W, 1|3|4), got shape {images.shape}")
    if images.dtype.kind in "fiu" and images.dtype not in (np.uint8, np.uint16) and value_range is None:
        value_range = (float(images.min()), float(images.max()))
        if not value_range[1] > value_range[0]:
            value_range = (value_range[0], value_range[0] + 1.0)
    indices, classes = _label_indices(labels, classes)
    if len(indices) != len(images):
        raise ValueError(f"{len(images)} images for {len(indices)} labels")
    return Dataset(np.arange(len(images)), indices, classes,
                   lambda i: array_to_rgb8(images[i], value_range))


def from_iterable(pairs, classes=None, value_range=None):
    """Any iterable of (image, label): images anything Model.classify takes
    (file names, encoded bytes, PIL images, uint8 RGB arrays) or a numpy
    image as arrays() takes (floats in value_range, default 0..1). Items are
    decoded as they come (so a generator is read once) and kept."""
    items, values, skipped = [], [], []
    for i, pair in enumerate(pairs):
        try:
            image, label = pair
        except (TypeError, ValueError):
            raise TypeError(f"item {i} is not an (image, label) pair") from None
        try:
            items.append(to_rgb8(image, value_range))
        except Exception as error:  # an undecodable item: report, go on
            _skip(skipped, f"item {i}", error)
            continue
        values.append(label)
    labels, classes = _label_indices(values, classes)
    return Dataset(items, labels, classes, lambda a: a, skipped)


def as_dataset(data):
    """A Dataset from what fine_tune() and evaluate() accept: a Dataset; a
    folder of class folders; TFRecord shards (a file, a folder of them, a
    glob); an (images, labels) pair of arrays; an iterable of pairs."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        if os.path.isdir(path):
            entries = os.listdir(path)
            has_dirs = any(os.path.isdir(os.path.join(path, e)) and not e.startswith(".")
                           for e in entries)
            if not has_dirs and any(".tfrecord" in e for e in entries):
                return tfrecords(path)
            return image_folder(path)
        return tfrecords(path)
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray):
        return arrays(*data)
    return from_iterable(data)
