"""mobilenet.datasets: TFRecord framing and tf.train.Example parsing (no
TensorFlow), image folders with broken files, numpy arrays, the stratified
split, and the training preprocessing's ranges. No library call is needed
except where a test says so; everything runs in well under a second each."""

import io
import struct
import warnings

import numpy as np
import pytest

import mobilenet
from mobilenet import _preprocess as pre
from mobilenet.datasets import TFRecordError


# ---------------------------------------------------------------------------
# A hand-written TFRecord writer, independent of the reader: a bitwise CRC-32C
# (no table) and a protobuf encoder of tf.train.Example.


def crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c_bitwise(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    return key + (varint(len(payload)) + payload if wire == 2 else payload)


def example(features):
    """features: {name: ("bytes", [b...]) | ("int64", [i...]) | ("float", [f...])}."""
    entries = b""
    for name, (kind, values) in features.items():
        if kind == "bytes":
            inner = b"".join(field(1, 2, v) for v in values)
            feature = field(1, 2, inner)
        elif kind == "int64":  # packed, as TensorFlow writes them
            feature = field(3, 2, field(1, 2, b"".join(varint(v) for v in values)))
        else:
            feature = field(2, 2, field(1, 2, struct.pack(f"<{len(values)}f", *values)))
        entries += field(1, 2, field(1, 2, name.encode()) + field(2, 2, feature))
    return field(1, 2, entries)


def record(data):
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked(length)) + data + struct.pack("<I", masked(data))


def png_bytes(rgb, mode="RGB"):
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(rgb).convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


def colour_image(k, size=12):
    rgb = np.zeros((size, size + 3, 3), np.uint8)
    rgb[..., k % 3] = 40 + 50 * k
    return rgb


def write_shard(path, items, text=True):
    with open(path, "wb") as file:
        for encoded, label in items:
            features = {"image/encoded": ("bytes", [encoded]), "image/format": ("bytes", [b"png"]),
                        "image/class/label": ("int64", [label]),
                        "image/height": ("int64", [12]), "image/width": ("int64", [15])}
            if text:
                features["image/class/text"] = ("bytes", [f"class{label}".encode()])
            file.write(record(example(features)))


def test_crc32c_known_value():
    from mobilenet.datasets._crc32c import _crc32c_python, crc32c
    assert crc32c_bitwise(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert _crc32c_python(b"123456789") == crc32c(b"123456789") == 0xE3069283


def test_tfrecord_shards_read_without_tensorflow(tmp_path):
    items = [(png_bytes(colour_image(k)), k) for k in (0, 1, 2, 1, 0, 2)]
    write_shard(tmp_path / "data_train_00000-of-00002.tfrecord", items[:3])
    write_shard(tmp_path / "data_train_00001-of-00002.tfrecord", items[3:])
    ds = mobilenet.datasets.tfrecords(tmp_path)
    assert ds.classes == ("class0", "class1", "class2")
    assert ds.labels.tolist() == [0, 1, 2, 1, 0, 2]
    assert np.array_equal(ds.image(4), colour_image(0))
    assert ds.class_counts() == {"class0": 2, "class1": 2, "class2": 2}
    assert mobilenet.datasets.as_dataset(str(tmp_path)).labels.tolist() == ds.labels.tolist()


def test_tfrecord_labels_txt_and_bad_image_skipped(tmp_path):
    items = [(png_bytes(colour_image(0)), 0), (b"\x89PNG\r\n\x1a\nnot really", 1),
             (png_bytes(colour_image(1)), 1)]
    write_shard(tmp_path / "x.tfrecord", items, text=False)
    (tmp_path / "labels.txt").write_text("0:daisy\n1:roses\n")
    with pytest.warns(UserWarning, match="x.tfrecord#1"):
        ds = mobilenet.datasets.tfrecords(tmp_path / "x.tfrecord")
    assert ds.classes == ("daisy", "roses") and len(ds) == 2
    assert ds.skipped == [f"{tmp_path / 'x.tfrecord'}#1"]


def test_example_parser_unpacked_values_and_unknown_fields():
    from mobilenet.datasets import parse_example
    # int64 values unpacked (wire type 0) and floats unpacked (wire type 5), an unknown field 7
    feature = field(3, 2, field(1, 0, varint(5)) + field(1, 0, varint(-3)))
    floats = field(2, 2, field(1, 5, struct.pack("<f", 1.5)))
    entries = (field(1, 2, field(1, 2, b"a") + field(2, 2, feature))
               + field(1, 2, field(1, 2, b"b") + field(2, 2, floats)))
    data = field(1, 2, entries) + field(7, 0, varint(1))
    assert parse_example(data) == {"a": [5, -3], "b": [1.5]}


@pytest.mark.parametrize("damage", ["length_crc", "data_crc", "truncated_data", "truncated_header",
                                    "huge_length"])
def test_tfrecord_corruption_is_a_clear_error(tmp_path, damage):
    path = tmp_path / "bad.tfrecord"
    write_shard(path, [(png_bytes(colour_image(k)), k) for k in (0, 1)])
    blob = bytearray(path.read_bytes())
    first = struct.unpack_from("<Q", blob, 0)[0] + 16  # the first record's size
    if damage == "length_crc":
        blob[first + 8] ^= 1
    elif damage == "data_crc":
        blob[first + 20] ^= 0x40  # a byte of the second record's data
    elif damage == "truncated_data":
        blob = blob[:first + 30]
    elif damage == "truncated_header":
        blob = blob[:first + 5]
    else:
        length = struct.pack("<Q", 1 << 40)
        blob[first:first + 12] = length + struct.pack("<I", masked(length))
    path.write_bytes(bytes(blob))
    with pytest.raises(TFRecordError, match=r"bad\.tfrecord: record 1 at byte \d+"):
        mobilenet.datasets.tfrecords(path)


def test_example_parser_rejects_out_of_bounds_lengths():
    from mobilenet.datasets import ExampleError, parse_example
    with pytest.raises(ExampleError, match="past the message"):
        parse_example(b"\x0a\x10\x0a\x02")  # says 16 bytes, has 2
    with pytest.raises(ExampleError, match="varint"):
        parse_example(b"\x0a\xff\xff")


def test_image_folder_modes_and_a_broken_file(tmp_path):
    from PIL import Image
    cats, dogs = tmp_path / "cats", tmp_path / "dogs"
    cats.mkdir()
    dogs.mkdir()
    rgb = colour_image(2, 16)
    Image.fromarray(rgb).save(cats / "a.jpg", quality=95)
    Image.fromarray(rgb).convert("P").save(cats / "b.png")
    Image.fromarray(rgb).convert("RGBA").save(cats / "c.png")
    Image.fromarray(rgb[..., 0]).save(dogs / "gray.png")
    Image.fromarray((rgb[..., 0].astype(np.uint16) * 257)).save(dogs / "deep.png")  # 16-bit
    (dogs / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (dogs / "notes.txt").write_text("not an image")
    with pytest.warns(UserWarning, match="broken.jpg"):
        ds = mobilenet.datasets.image_folder(tmp_path)
    assert ds.classes == ("cats", "dogs")
    assert ds.labels.tolist() == [0, 0, 0, 1, 1]
    assert ds.skipped == [str(dogs / "broken.jpg")]
    assert np.array_equal(ds.image(2), rgb)                       # RGBA: alpha dropped
    assert np.array_equal(ds.image(3), np.repeat(rgb[..., :1], 3, axis=2))  # gray replicated
    assert np.array_equal(ds.image(4), ds.image(3))               # 16-bit: v >> 8
    assert ds.image(0).shape == (16, 19, 3)


def test_arrays_gray_float_and_string_labels():
    gray = np.linspace(0, 16, 2 * 4 * 4).reshape(2, 4, 4)        # digits-like 0..16 floats
    ds = mobilenet.datasets.arrays(gray, ["b", "a"])
    assert ds.classes == ("a", "b") and ds.labels.tolist() == [1, 0]
    image = ds.image(1)
    assert image.dtype == np.uint8 and image.shape == (4, 4, 3)
    assert ds.image(0)[0, 0, 0] == 0 and image[-1, -1, 2] == 255
    rgb = np.random.default_rng(0).integers(0, 256, (3, 5, 6, 3), dtype=np.uint8)
    ds = mobilenet.datasets.arrays(rgb, [0, 1, 1], classes=["x", "y"])
    assert np.array_equal(ds.image(2), rgb[2])
    with pytest.raises(ValueError):
        mobilenet.datasets.arrays(rgb, [0, 1])


def test_iterable_with_an_undecodable_item():
    items = [(colour_image(0), "red"), (b"\xff\xd8\xff garbage", "red"), (colour_image(1), "green")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = mobilenet.datasets.from_iterable(iter(items))
    assert ds.skipped == ["item 1"] and any("item 1" in str(w.message) for w in caught)
    assert ds.classes == ("green", "red") and ds.labels.tolist() == [1, 0]


def test_stratified_split_is_deterministic_and_balanced():
    labels = np.repeat(np.arange(4), [50, 30, 10, 3])
    ds = mobilenet.datasets.arrays(np.zeros((len(labels), 2, 2), np.uint8), labels)
    train, val = ds.split(0.2, seed=7)
    again_train, again_val = ds.split(0.2, seed=7)
    assert val._items.tolist() == again_val._items.tolist()
    assert train._items.tolist() == again_train._items.tolist()
    assert sorted(train._items.tolist() + val._items.tolist()) == list(range(len(labels)))
    assert list(val.class_counts().values()) == [10, 6, 2, 1]      # round(0.2 n), at least 1
    assert ds.split(0.2, seed=8)[1]._items.tolist() != val._items.tolist()
    assert "imbalance" in ds.balance() and "0: 50" in ds.balance()


def test_distorted_crops_stay_in_tf_slim_ranges():
    rng = np.random.default_rng(0)
    height, width = 300, 400
    areas, aspects, whole = [], [], 0
    for _ in range(2000):
        y0, h, x0, w = pre.distorted_box(rng, height, width)
        assert 0 <= y0 and y0 + h <= height and 0 <= x0 and x0 + w <= width
        if (h, w) == (height, width):
            whole += 1
            continue
        areas.append(h * w / (height * width))
        aspects.append(w / h)
    # rounding to whole pixels moves the bounds by a pixel at most
    assert 0.08 - 0.01 <= min(areas) and max(areas) <= 1.0
    assert 3 / 4 - 0.02 <= min(aspects) and max(aspects) <= 4 / 3 + 0.02
    assert min(areas) < 0.12 and max(areas) > 0.9 and whole < 200
    # no crop of 8% or more with aspect >= 3/4 fits a 50x1 image: the whole image
    assert pre.distorted_box(rng, 50, 1) == (0, 50, 0, 1)
    x = pre.for_train(colour_image(1, 20), 32, np.random.default_rng(1), color=True)
    assert x.shape == (32, 32, 3) and x.dtype == np.float32 and -1 <= x.min() and x.max() <= 1


def test_training_preprocessing_is_seeded():
    rgb = np.random.default_rng(3).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    a = pre.for_train(rgb, 24, np.random.default_rng(5), color=True)
    b = pre.for_train(rgb, 24, np.random.default_rng(5), color=True)
    c = pre.for_train(rgb, 24, np.random.default_rng(6), color=True)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_learning_rate_schedule_is_tf_slims():
    from mobilenet._finetune import learning_rate_at
    assert learning_rate_at(0, 0.01, 10) == 0.01
    assert learning_rate_at(19, 0.01, 10) == 0.01                 # staircase: 2 epochs = 20 steps
    assert learning_rate_at(20, 0.01, 10) == pytest.approx(0.0094)
    assert learning_rate_at(45, 0.01, 10) == pytest.approx(0.01 * 0.94 ** 2)


def test_recipes_parse():
    from mobilenet._finetune import first_layer_of_last_blocks, parse_recipe
    assert parse_recipe("head") == ("head", None)
    assert parse_recipe("from=Conv2d_12_depthwise") == ("from", "Conv2d_12_depthwise")
    assert parse_recipe("last=2") == ("last", 2)
    for bad in ("last=0", "last=x", "from=", "everything"):
        with pytest.raises(ValueError):
            parse_recipe(bad)
    names = [layer.name for layer in mobilenet.describe("separable", 0.25, 32, 10).layers]
    assert first_layer_of_last_blocks(names, 2) == "Conv2d_12_depthwise"
    names = [layer.name for layer in mobilenet.describe("full_conv", 0.25, 32, 10).layers]
    assert first_layer_of_last_blocks(names, 1) == "Conv2d_13"
