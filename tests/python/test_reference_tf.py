"""The bundled model against TensorFlow running Google's original frozen graph
(tests/fixtures/tf_reference_*.safetensors; see tests/fixtures/README.md)."""

import numpy as np
import pytest

import mobilenet
from mn_support import FIXTURES, read_safetensors, softmax, tf_fixture_names, top_k

NAMES = tf_fixture_names()
CASES = [(name, key) for name in NAMES for key in ("224", "192", "160", "224_crop1")]


@pytest.fixture(scope="module")
def fixtures():
    assert NAMES, f"no tf_reference_*.safetensors in {FIXTURES}"
    return {name: read_safetensors(FIXTURES / f"tf_reference_{name}.safetensors")[0] for name in NAMES}


def test_fixtures_present():
    assert {"cat", "coffee"} <= set(NAMES)


@pytest.mark.parametrize("name,key", CASES)
def test_run_matches_tensorflow(model, fixtures, name, key):
    tensors = fixtures[name]
    x = tensors[f"input_{key}"]
    expected = tensors[f"logits_{key}"]
    assert x.dtype == np.float32 and x.ndim == 4 and x.shape[3] == 3
    logits = model.run(x)
    assert logits.shape == expected.shape == (1, 1001)
    diff = float(np.max(np.abs(logits - expected)))
    assert diff <= 1e-4, f"{name} {key}: max |diff| {diff:.3g}"
    assert top_k(logits, 5) == top_k(expected, 5)


@pytest.mark.parametrize("name,key", CASES)
def test_embeddings_match_tensorflow(model, fixtures, name, key):
    """Model.features is the frozen graph's MobilenetV1/Logits/AvgPool_1a
    output (the embedding), and Model.embed of the photo at the crop the
    fixture used is the same."""
    tensors = fixtures[name]
    expected = tensors[f"avgpool_{key}"]
    features = model.features(tensors[f"input_{key}"])
    assert features.shape == expected.shape == (1, 1024)
    diff = float(np.max(np.abs(features - expected)))
    assert diff <= 1e-4, f"{name} {key}: max |diff| {diff:.3g}"


@pytest.mark.parametrize("name", NAMES)
def test_embed_rgb8_matches_tensorflow(model, fixtures, name):
    tensors = fixtures[name]
    embedding = model.embed(tensors["rgb8"])
    diff = float(np.max(np.abs(embedding - tensors["avgpool_224"])))
    assert diff <= 1e-4, f"{name}: embed(rgb8) vs AvgPool_1a: max |diff| {diff:.3g}"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("crop,key", [(None, "224"), (1.0, "224_crop1")])
def test_classify_matches_tensorflow(model_path, fixtures, name, crop, key):
    """classify(rgb8) preprocesses as TF-Slim's evaluation does, so its
    top-5 and probabilities are TensorFlow's."""
    tensors = fixtures[name]
    rgb = tensors["rgb8"]
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    expected = tensors[f"logits_{key}"][0]
    probabilities = softmax(expected)
    with mobilenet.load(model_path, threads=2, crop_fraction=crop) as m:
        predictions = m.classify(rgb, top_k=5)
    assert [p.index for p in predictions] == top_k(expected, 5)
    for p in predictions:
        assert abs(p.probability - probabilities[p.index]) <= 1e-4
        assert p.label == m.labels[p.index]


def test_cat_is_a_cat(model, fixtures):
    top = model.classify(fixtures["cat"]["rgb8"], top_k=1)[0]
    assert top.label == "Egyptian cat"


def test_decoded_photo_matches_fixture(fixtures):
    """Pillow decodes examples/images/* to the pixels TensorFlow was given
    (the JPEG with libjpeg's accurate integer IDCT), so classify(path) is
    compared with TensorFlow too."""
    from PIL import Image
    from mn_support import IMAGES
    files = {"cat": IMAGES / "cat.jpg", "coffee": IMAGES / "coffee.png"}
    for name, path in files.items():
        if name not in fixtures or not path.exists():
            continue
        with Image.open(path) as image:
            decoded = np.asarray(image.convert("RGB"))
        if name == "cat" and not np.array_equal(decoded, fixtures[name]["rgb8"]):
            pytest.skip("this Pillow/libjpeg decodes cat.jpg differently from the fixture")
        np.testing.assert_array_equal(decoded, fixtures[name]["rgb8"])


@pytest.mark.parametrize("name,path", [("cat", "cat.jpg"), ("coffee", "coffee.png")])
def test_classify_file_matches_tensorflow(model, fixtures, name, path):
    from mn_support import IMAGES
    expected = fixtures[name]["logits_224"][0]
    predictions = model.classify(IMAGES / path, top_k=5)
    assert [p.index for p in predictions] == top_k(expected, 5)
