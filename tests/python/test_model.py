"""mobilenet.load / load_bytes and Model: properties, run, classify, every
error path, and the model's lifetime."""

import gc
import math
import os
import pathlib
import threading
import weakref

import numpy as np
import pytest

import mobilenet
from mobilenet import Status
from mn_support import IMAGES, import_tool

def random_input(batch=1, height=224, width=224, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, height, width, 3)).astype(np.float32)


# ---------------------------------------------------------------------------
# Loading and properties


def test_bundled_model_info(model):
    info = model.info
    assert isinstance(info, mobilenet.Info)
    assert info.variant == "separable"
    assert info.width_multiplier == 1.0
    assert info.resolution == 224 == model.resolution
    assert info.num_classes == 1001 == model.num_classes
    assert abs(info.parameters - 4.2e6) < 0.05e6
    assert abs(info.mult_adds - 569e6) < 1e6
    assert info == mobilenet.describe("separable", 1.0, 224, 1001)
    assert len(info.layers) == 29


def test_bundled_model_labels(model):
    labels = model.labels
    assert isinstance(labels, tuple) and len(labels) == 1001
    assert all(isinstance(label, str) and label for label in labels)
    assert labels[0] == "background"
    assert labels[1].startswith("tench")
    assert labels[286] == "Egyptian cat"
    assert labels[968] == "espresso"


def test_load_path_types(model_path):
    for path in (str(model_path), pathlib.Path(model_path)):
        with mobilenet.load(path, threads=1) as m:
            assert m.num_classes == 1001
            assert m.path == str(model_path)


def test_load_bundled_model_default(monkeypatch, model_path):
    # No path: the bundled model (installed with the package, or the
    # repository's models/ for an in-repo package), unless $MOBILENET_MODEL.
    monkeypatch.delenv("MOBILENET_MODEL", raising=False)
    path = mobilenet.default_model_path()
    assert os.path.basename(path) == "mobilenet_v1_1.0_224.safetensors"
    assert os.path.isfile(path)
    with mobilenet.load(threads=1) as m:
        assert m.path == path
        assert m.num_classes == 1001


def test_default_model_search_order(monkeypatch, tmp_path, model_path):
    monkeypatch.setenv("MOBILENET_MODEL", str(model_path))
    assert mobilenet.default_model_path() == str(model_path)
    monkeypatch.delenv("MOBILENET_MODEL")
    package = tmp_path / "a" / "b" / "mobilenet"
    (package / "models").mkdir(parents=True)
    from mobilenet import _native
    monkeypatch.setattr(_native, "package_dir", lambda: str(package))
    prefix_share = tmp_path / "prefix" / "share" / "mobilenet"
    monkeypatch.setattr(_native, "share_dir", lambda: str(prefix_share))
    system = [tmp_path / "usr_local_share", tmp_path / "usr_share"]
    monkeypatch.setattr(mobilenet._model, "SYSTEM_MODEL_DIRS", tuple(map(str, system)))
    with pytest.raises(FileNotFoundError, match="MOBILENET_MODEL") as caught:
        mobilenet.default_model_path()
    assert str(prefix_share) in str(caught.value) and str(system[1]) in str(caught.value)
    found = []
    # From the last candidate to the first: each one found wins over those after it.
    for directory in [system[1], system[0], prefix_share, tmp_path / "models", package / "models"]:
        directory.mkdir(parents=True, exist_ok=True)
        candidate = directory / "mobilenet_v1_1.0_224.safetensors"
        candidate.write_bytes(b"x")
        assert mobilenet.default_model_path() == str(candidate)
        found.append(candidate)
    assert len(found) == 5


def test_default_model_search_without_library(monkeypatch, tmp_path):
    """No library: the prefix is unknown, the rest of the search goes on."""
    from mobilenet import _native
    monkeypatch.delenv("MOBILENET_MODEL", raising=False)
    monkeypatch.setattr(_native, "package_dir", lambda: str(tmp_path / "a" / "b" / "mobilenet"))

    def no_library():
        raise mobilenet.LibraryNotFoundError("no library")

    monkeypatch.setattr(_native, "lib", no_library)
    assert _native.share_dir() is None
    monkeypatch.setattr(mobilenet._model, "SYSTEM_MODEL_DIRS", (str(tmp_path),))
    (tmp_path / "mobilenet_v1_1.0_224.safetensors").write_bytes(b"x")
    assert mobilenet.default_model_path() == str(tmp_path / "mobilenet_v1_1.0_224.safetensors")


def test_model_env_var_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv("MOBILENET_MODEL", str(tmp_path / "gone.safetensors"))
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load()
    assert caught.value.status is Status.IO


def test_load_bytes(model, model_path):
    data = model_path.read_bytes()
    x = random_input(seed=3)
    expected = model.run(x)
    for buffer in (data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        with mobilenet.load_bytes(buffer, threads=1) as m:
            assert m.path is None
            assert m.labels == model.labels
            assert m.info == model.info
            np.testing.assert_array_equal(m.run(x), expected)
            assert "from bytes" in repr(m)


@pytest.mark.parametrize("data,error", [
    ("a string", TypeError),
    (12, TypeError),
    (None, TypeError),
    (b"", ValueError),
    (np.zeros((4, 4), np.uint8)[:, ::2], ValueError),
])
def test_load_bytes_invalid(data, error):
    with pytest.raises(error):
        mobilenet.load_bytes(data)


def test_load_bytes_garbage():
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load_bytes(b"\x01" * 100)
    assert caught.value.status is Status.FORMAT
    assert caught.value.message.startswith("mobilenet_model_load_memory")


# ---------------------------------------------------------------------------
# Load failures


def test_load_missing_file(tmp_path):
    path = tmp_path / "missing.safetensors"
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(path)
    assert caught.value.status is Status.IO
    assert str(path) in caught.value.message


def test_load_directory(tmp_path):
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(tmp_path)
    assert caught.value.status is Status.IO


def test_load_garbage_file(tmp_path):
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(path)
    assert caught.value.status is Status.FORMAT
    assert caught.value.message


def test_load_empty_file(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(path)
    assert caught.value.status is Status.FORMAT


@pytest.mark.parametrize("keep", [4, 8, 100, 0.5, -1])
def test_load_truncated_file(tmp_path, model_path, keep):
    data = model_path.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep if keep < 0 else keep)
    path = tmp_path / "truncated.safetensors"
    path.write_bytes(data[:size])
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(path)
    assert caught.value.status is Status.FORMAT


def test_load_unsupported_architecture(tmp_path, random_model):
    io = import_tool("safetensors_io")
    tensors, metadata = io.load(random_model("separable", 0.25, 32, 4))
    metadata["architecture"] = "resnet50"
    path = tmp_path / "resnet.safetensors"
    io.save(path, tensors, metadata)
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(path)
    assert caught.value.status is Status.UNSUPPORTED


def test_load_unsupported_dtype(tmp_path, random_model):
    io = import_tool("safetensors_io")
    tensors, metadata = io.load(random_model("separable", 0.25, 32, 4))
    tensors = {name: t.astype(np.float16) for name, t in tensors.items()}
    path = tmp_path / "f16.safetensors"
    io.save(path, tensors, metadata)
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(path)
    assert caught.value.status is Status.UNSUPPORTED


def test_load_non_finite_weight(tmp_path, random_model):
    io = import_tool("safetensors_io")
    tensors, metadata = io.load(random_model("separable", 0.25, 32, 4))
    tensors = {name: t.copy() for name, t in tensors.items()}
    tensors["MobilenetV1/Conv2d_0/weights"][0, 0, 0, 0] = np.nan
    path = tmp_path / "nan.safetensors"
    io.save(path, tensors, metadata)
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet.load(path)
    assert caught.value.status is Status.FORMAT


@pytest.mark.parametrize("path,error", [
    (bytearray(b"/tmp/model.safetensors"), TypeError),
    (memoryview(b"/tmp/model.safetensors"), TypeError),
    (123, TypeError),
    (["a"], TypeError),
    ("", ValueError),
    ("bad\0path", ValueError),
    (b"bad\0path", ValueError),
    (b"", ValueError),
])
def test_load_invalid_path(path, error):
    with pytest.raises(error):
        mobilenet.load(path)


@pytest.mark.parametrize("threads,error", [
    (-1, ValueError),
    (257, ValueError),
    (2**32 + 1, ValueError),
    (1.0, TypeError),
    ("2", TypeError),
    (True, TypeError),
    (None, TypeError),
])
def test_load_invalid_threads(model_path, threads, error):
    with pytest.raises(error):
        mobilenet.load(model_path, threads=threads)


@pytest.mark.parametrize("crop,error", [
    (0, ValueError),
    (0.0, ValueError),
    (-0.5, ValueError),
    (1.0001, ValueError),
    (1e-60, ValueError),
    (math.nan, ValueError),
    (math.inf, ValueError),
    ("0.9", TypeError),
    (True, TypeError),
])
def test_load_invalid_crop_fraction(model_path, crop, error):
    with pytest.raises(error):
        mobilenet.load(model_path, crop_fraction=crop)


def test_load_options_are_kept(model_path):
    with mobilenet.load(model_path, threads=np.int32(2), crop_fraction=1) as m:
        assert m.threads == 2
        assert m.crop_fraction == 1.0
    with mobilenet.load(model_path) as m:
        assert m.threads == 0
        assert m.crop_fraction is None


# ---------------------------------------------------------------------------
# run


def test_run_batch_shape_and_values(model):
    x = random_input(batch=3, seed=5)
    logits = model.run(x)
    assert logits.shape == (3, 1001) and logits.dtype == np.float32
    assert logits.flags.c_contiguous and logits.flags.writeable
    assert np.all(np.isfinite(logits))
    # Each image of a batch is computed as on its own.
    for i in range(3):
        single = model.run(x[i:i + 1])
        assert np.max(np.abs(single[0] - logits[i])) <= 1e-5
    # The input is not modified.
    np.testing.assert_array_equal(x, random_input(batch=3, seed=5))


def test_run_is_deterministic(model):
    x = random_input(seed=6)
    np.testing.assert_array_equal(model.run(x), model.run(x))


@pytest.mark.parametrize("height,width", [(160, 200), (1, 1), (33, 17), (7, 300)])
def test_run_any_size(model, height, width):
    logits = model.run(random_input(1, height, width, seed=height))
    assert logits.shape == (1, 1001)
    assert np.all(np.isfinite(logits))


def test_run_read_only_input(model):
    x = random_input(seed=7)
    expected = model.run(x)
    x.setflags(write=False)
    np.testing.assert_array_equal(model.run(x), expected)


def _unaligned_float32(shape):
    count = int(np.prod(shape))
    raw = np.zeros(count * 4 + 1, np.uint8)[1:]
    array = raw.view(np.float32).reshape(shape)
    assert not array.flags.aligned
    return array


@pytest.mark.parametrize("make,error", [
    (lambda: [[[[0.0, 0.0, 0.0]]]], TypeError),
    (lambda: None, TypeError),
    (lambda: 1.0, TypeError),
    (lambda: random_input().astype(np.float64), TypeError),
    (lambda: random_input().astype(np.float16), TypeError),
    (lambda: random_input().astype(">f4"), TypeError),
    (lambda: np.zeros((1, 8, 8, 3), np.uint8), TypeError),
    (lambda: np.zeros((1, 8, 8, 3), np.int32), TypeError),
    (lambda: np.zeros((8, 8, 3), np.float32), ValueError),
    (lambda: np.zeros((2, 1, 8, 8, 3), np.float32), ValueError),
    (lambda: np.zeros((1, 8 * 8 * 3), np.float32), ValueError),
    (lambda: np.zeros((), np.float32), ValueError),
    (lambda: np.zeros((1, 8, 8, 4), np.float32), ValueError),
    (lambda: np.zeros((1, 8, 8, 1), np.float32), ValueError),
    (lambda: np.zeros((1, 3, 8, 8), np.float32), ValueError),
    (lambda: np.zeros((0, 8, 8, 3), np.float32), ValueError),
    (lambda: np.zeros((1, 0, 8, 3), np.float32), ValueError),
    (lambda: np.zeros((1, 8, 0, 3), np.float32), ValueError),
    (lambda: np.zeros((1, 16, 8, 3), np.float32)[:, ::2], ValueError),
    (lambda: np.zeros((1, 8, 8, 6), np.float32)[..., ::2], ValueError),
    (lambda: np.zeros((1, 8, 8, 3), np.float32)[:, ::-1], ValueError),
    (lambda: np.asfortranarray(np.zeros((2, 8, 8, 3), np.float32)), ValueError),
    (lambda: np.zeros((1, 3, 8, 8), np.float32).transpose(0, 2, 3, 1), ValueError),
    (lambda: _unaligned_float32((1, 4, 4, 3)), ValueError),
    (lambda: np.zeros((4097, 1, 1, 3), np.float32), ValueError),
    (lambda: np.zeros((1, 4097, 1, 3), np.float32), ValueError),
    (lambda: np.zeros((1, 1, 4097, 3), np.float32), ValueError),
])
def test_run_invalid_input(model, make, error):
    with pytest.raises(error):
        model.run(make())


def test_run_largest_batch(random_model):
    with mobilenet.load(random_model("separable", 0.25, 32, 3), threads=1) as m:
        logits = m.run(np.zeros((4096, 1, 1, 3), np.float32))
        assert logits.shape == (4096, 3)
        np.testing.assert_array_equal(logits, np.broadcast_to(logits[0], logits.shape))


# ---------------------------------------------------------------------------
# classify


def test_classify_cat(model):
    predictions = model.classify(IMAGES / "cat.jpg")
    assert len(predictions) == 5
    top = predictions[0]
    assert isinstance(top, mobilenet.Prediction)
    assert top._fields == ("label", "probability", "index")
    assert "cat" in top.label or "tabby" in top.label
    assert top.label == model.labels[top.index]
    assert top.probability > 0.5


def test_classify_coffee(model):
    top = model.classify(str(IMAGES / "coffee.png"), top_k=1)
    assert len(top) == 1
    assert top[0].label == "espresso"


def test_every_example_image_classifies(model):
    images = sorted(p for p in IMAGES.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    assert images
    for path in images:
        predictions = model.classify(path, top_k=3)
        assert len(predictions) == 3 and predictions[0].probability > 0.2, path


def test_classify_input_forms_agree(model, cat_rgb):
    from PIL import Image
    path = IMAGES / "cat.jpg"
    expected = model.classify(path, top_k=10)
    assert model.classify(str(path), top_k=10) == expected
    assert model.classify(cat_rgb, top_k=10) == expected
    with Image.open(path) as image:
        assert model.classify(image, top_k=10) == expected
        assert model.classify(image.convert("RGBA"), top_k=10) == expected


def test_classify_pil_modes(model, cat_rgb):
    from PIL import Image
    gray = Image.fromarray(cat_rgb).convert("L")
    predictions = model.classify(gray, top_k=3)
    as_rgb = np.ascontiguousarray(np.repeat(np.asarray(gray)[:, :, None], 3, axis=2))
    assert predictions == model.classify(as_rgb, top_k=3)


def test_classify_results_are_sorted_probabilities(model, cat_rgb):
    predictions = model.classify(cat_rgb, top_k=1001)
    assert len(predictions) == 1001
    assert sorted(p.index for p in predictions) == list(range(1001))
    probabilities = [p.probability for p in predictions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert abs(sum(probabilities) - 1.0) < 1e-4
    assert all(isinstance(p.index, int) and isinstance(p.probability, float) for p in predictions)
    assert [p.label for p in predictions] == [model.labels[p.index] for p in predictions]


def test_classify_top_k_numpy_int(model, cat_rgb):
    assert len(model.classify(cat_rgb, top_k=np.int64(2))) == 2


def test_classify_row_strided_view(model, cat_rgb):
    """A crop of a packed array (rows further apart than width * 3) is read
    in place through the row stride, with the same result as a copy."""
    view = cat_rgb[20:250, 30:400]
    assert not view.flags.c_contiguous
    assert model.classify(view, top_k=5) == model.classify(np.ascontiguousarray(view), top_k=5)


def test_classify_tiny_and_thin_images(model):
    for shape in [(1, 1, 3), (1, 500, 3), (500, 1, 3), (2, 3, 3)]:
        image = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
        assert len(model.classify(image, top_k=2)) == 2


def test_classify_crop_fraction_changes_preprocessing(model_path, cat_rgb):
    with mobilenet.load(model_path, threads=1, crop_fraction=1.0) as whole, \
            mobilenet.load(model_path, threads=1, crop_fraction=0.875) as explicit, \
            mobilenet.load(model_path, threads=1) as default:
        assert explicit.classify(cat_rgb) == default.classify(cat_rgb)
        assert whole.classify(cat_rgb) != default.classify(cat_rgb)


@pytest.mark.parametrize("top_k,error", [
    (0, ValueError),
    (-1, ValueError),
    (1002, ValueError),
    (2**32 + 1, ValueError),
    (2.0, TypeError),
    ("5", TypeError),
    (None, TypeError),
    (True, TypeError),
])
def test_classify_invalid_top_k(model, cat_rgb, top_k, error):
    with pytest.raises(error):
        model.classify(cat_rgb, top_k=top_k)


@pytest.mark.parametrize("make,error", [
    (lambda: np.zeros((8, 8, 3), np.float32), TypeError),
    (lambda: np.zeros((8, 8, 3), np.int64), TypeError),
    (lambda: np.zeros((8, 8, 3), np.uint16), TypeError),
    (lambda: np.zeros((8, 8), np.uint8), ValueError),
    (lambda: np.zeros((1, 8, 8, 3), np.uint8), ValueError),
    (lambda: np.zeros((8, 8, 4), np.uint8), ValueError),
    (lambda: np.zeros((8, 8, 1), np.uint8), ValueError),
    (lambda: np.zeros((3, 8, 8), np.uint8), ValueError),
    (lambda: np.zeros((0, 8, 3), np.uint8), ValueError),
    (lambda: np.zeros((8, 0, 3), np.uint8), ValueError),
    (lambda: np.zeros((8, 16, 3), np.uint8)[:, ::2], ValueError),
    (lambda: np.zeros((8, 8, 3), np.uint8)[:, ::-1], ValueError),
    (lambda: np.zeros((8, 8, 3), np.uint8)[::-1], ValueError),
    (lambda: np.zeros((8, 8, 3), np.uint8)[..., ::-1], ValueError),
    (lambda: np.zeros((8, 9, 3), np.uint8).transpose(1, 0, 2), ValueError),
    (lambda: np.asfortranarray(np.zeros((8, 9, 3), np.uint8)), ValueError),
    (lambda: np.lib.stride_tricks.as_strided(np.zeros(30, np.uint8), (4, 8, 3), (3, 3, 1)), ValueError),
    (lambda: np.zeros((1, 65537, 3), np.uint8), ValueError),
    (lambda: np.zeros((65537, 1, 3), np.uint8), ValueError),
    (lambda: [[[0, 0, 0]]], TypeError),
    (lambda: b"\xff\xd8\xff", OSError),  # a JPEG signature: contents, truncated
    (lambda: bytearray(b"not an image"), OSError),
    (lambda: [np.zeros((8, 8, 3), np.uint8), [np.zeros((8, 8, 3), np.uint8)]], TypeError),
    (lambda: [np.zeros((8, 8, 3), np.float32)], TypeError),
    (lambda: object(), TypeError),
    (lambda: 42, TypeError),
    (lambda: None, TypeError),
])
def test_classify_invalid_image(model, make, error):
    with pytest.raises(error):
        model.classify(make())


def test_classify_missing_file(model, tmp_path):
    with pytest.raises(FileNotFoundError):
        model.classify(tmp_path / "nope.jpg")


def test_classify_not_an_image_file(model, tmp_path):
    path = tmp_path / "text.png"
    path.write_text("this is not a PNG")
    with pytest.raises(OSError):
        model.classify(path)


# ---------------------------------------------------------------------------
# Models without labels, with other class counts


def test_model_without_labels(random_model):
    with mobilenet.load(random_model("separable", 0.25, 64, 7), threads=1) as m:
        assert m.labels is None
        assert m.num_classes == 7
        predictions = m.classify(np.zeros((40, 50, 3), np.uint8), top_k=7)
        assert all(p.label is None for p in predictions)
        assert sorted(p.index for p in predictions) == list(range(7))
        with pytest.raises(ValueError):
            m.classify(np.zeros((40, 50, 3), np.uint8), top_k=8)


def test_model_with_labels(random_model):
    with mobilenet.load(random_model("shallow", 0.5, 96, 12, labels=True), threads=1) as m:
        assert m.labels == tuple(f"class_{i}" for i in range(12))
        assert m.info == mobilenet.describe("shallow", 0.5, 96, 12)
        for p in m.classify(np.full((96, 96, 3), 100, np.uint8), top_k=3):
            assert p.label == f"class_{p.index}"


# ---------------------------------------------------------------------------
# Lifetime


def test_use_after_close(fresh_model, cat_rgb):
    fresh_model.close()
    assert fresh_model.closed
    with pytest.raises(ValueError, match="closed"):
        fresh_model.run(random_input())
    with pytest.raises(ValueError, match="closed"):
        fresh_model.classify(cat_rgb)
    with pytest.raises(ValueError):
        with fresh_model:
            pass
    # Plain data stays readable.
    assert fresh_model.num_classes == 1001
    assert fresh_model.labels[0] == "background"
    assert fresh_model.info.resolution == 224
    assert "closed" in repr(fresh_model)


def test_double_close(fresh_model):
    fresh_model.close()
    fresh_model.close()
    assert fresh_model.closed


def test_context_manager(model_path):
    with mobilenet.load(model_path, threads=1) as m:
        assert not m.closed
        assert m.run(random_input(1, 32, 32)).shape == (1, 1001)
    assert m.closed
    with pytest.raises(ValueError):
        m.run(random_input(1, 32, 32))


def test_context_manager_closes_on_exception(model_path):
    with pytest.raises(RuntimeError):
        with mobilenet.load(model_path, threads=1) as m:
            raise RuntimeError("boom")
    assert m.closed


def test_garbage_collected_model_is_freed(random_model):
    path = random_model("separable", 0.25, 32, 3)
    for _ in range(20):
        m = mobilenet.load(path, threads=1)
        ref = weakref.ref(m)
        m.run(np.zeros((1, 8, 8, 3), np.float32))
        del m
        gc.collect()
        assert ref() is None


def test_close_while_another_thread_runs(random_model):
    """close() during a run in another thread defers the free to the end of
    that run; later calls raise ValueError; nothing crashes."""
    m = mobilenet.load(random_model("separable", 0.5, 128, 10), threads=1)
    x = random_input(4, 128, 128)
    started = threading.Event()
    outcome = []

    def worker():
        try:
            for i in range(1000):
                m.run(x)
                started.set()
        except ValueError:
            outcome.append("closed")
        except BaseException as error:  # pragma: no cover - reported below
            outcome.append(error)
        finally:
            started.set()

    thread = threading.Thread(target=worker)
    thread.start()
    started.wait(30)
    m.close()
    thread.join(60)
    assert not thread.is_alive()
    assert outcome == ["closed"]
    assert m._handle is None  # freed by the last user


def test_model_cannot_be_pickled_or_copied(model):
    import copy
    import pickle
    for attempt in (lambda: pickle.dumps(model), lambda: copy.copy(model), lambda: copy.deepcopy(model)):
        with pytest.raises(TypeError):
            attempt()
    assert not model.closed


def test_model_cannot_be_initialised_twice(fresh_model, model_path):
    with pytest.raises(RuntimeError):
        fresh_model.__init__(model_path)
    assert fresh_model.run(random_input(1, 16, 16)).shape == (1, 1001)


def test_uninitialised_model_does_not_crash():
    m = mobilenet.Model.__new__(mobilenet.Model)
    assert m.closed
    m.close()
    with pytest.raises(ValueError, match="not loaded"):
        m.run(random_input(1, 8, 8))
    with pytest.raises(ValueError, match="not loaded"):
        m.classify(np.zeros((8, 8, 3), np.uint8), top_k=1)
    assert "not loaded" in repr(m)


def test_repr(model):
    text = repr(model)
    assert "separable" in text and "1001" in text and "mobilenet_v1_1.0_224" in text


def test_failed_load_leaves_nothing(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(b"\0" * 64)
    for _ in range(3):
        with pytest.raises(mobilenet.Error):
            mobilenet.load(path)
    gc.collect()
