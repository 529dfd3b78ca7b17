"""Datasets for fine-tuning and evaluation (mobilenet.fine_tune, mobilenet.evaluate).

    ds = mobilenet.datasets.image_folder("flowers/")          # one folder per class
    ds = mobilenet.datasets.tfrecords("flowers/flowers_train_*.tfrecord")
    ds = mobilenet.datasets.arrays(digits.images, digits.target)
    ds = mobilenet.datasets.from_iterable((img, label) for ...)
    train, val = ds.split(0.1, seed=0)                        # stratified
    print(ds.balance(), ds.skipped)

No TensorFlow or protobuf is needed for TFRecords: the framing and the
tf.train.Example format are read by hand (_tfrecord, _example).
"""

from ._dataset import Dataset
from ._example import ExampleError, parse_example
from ._images import array_to_rgb8, to_rgb8
from ._sources import IMAGE_EXTENSIONS, arrays, as_dataset, from_iterable, image_folder, tfrecords
from ._tfrecord import TFRecordError, read_records

__all__ = ["Dataset", "ExampleError", "IMAGE_EXTENSIONS", "TFRecordError", "array_to_rgb8",
           "arrays", "as_dataset", "from_iterable", "image_folder", "parse_example",
           "read_records", "tfrecords", "to_rgb8"]
