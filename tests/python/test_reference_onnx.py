"""Random-weight models of every variant and several width multipliers and
input sizes against ONNX Runtime running the same file
(tools/reference_onnx.py builds the network from the file's tensors with
real BatchNormalization nodes, independently of the library)."""

import importlib.util

import numpy as np
import pytest

import mobilenet
from mn_support import import_tool, top_k

if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
    pytest.skip("onnx and onnxruntime are not installed (pip install -r tests/python/requirements.txt)",
                allow_module_level=True)

TOLERANCE = 1e-4

# (variant, alpha, model resolution, classes, [(height, width) to run at])
CASES = [
    ("separable", 0.25, 128, 10, [(128, 128), (96, 160)]),
    ("separable", 0.5, 160, 37, [(160, 160), (120, 200)]),
    ("separable", 0.75, 192, 100, [(192, 192), (161, 97)]),
    ("separable", 1.0, 96, 16, [(96, 96), (64, 80)]),
    ("full_conv", 0.25, 96, 10, [(96, 96), (70, 50)]),
    ("full_conv", 0.5, 64, 5, [(64, 64)]),
    ("shallow", 0.5, 128, 20, [(128, 128), (100, 130)]),
    ("shallow", 0.25, 160, 8, [(160, 160)]),
]
PARAMS = [(v, a, r, k, size) for v, a, r, k, sizes in CASES for size in sizes]


@pytest.fixture(scope="module")
def onnx_logits():
    return import_tool("reference_onnx").onnx_logits


@pytest.mark.parametrize("variant,alpha,resolution,classes,size", PARAMS,
                         ids=[f"{v}-{a}-{s[0]}x{s[1]}" for v, a, _, _, s in PARAMS])
def test_random_model_matches_onnxruntime(random_model, onnx_logits, variant, alpha, resolution,
                                          classes, size):
    path = random_model(variant, alpha, resolution, classes, seed=int(alpha * 100) + resolution)
    height, width = size
    x = np.random.default_rng(height * 1000 + width).uniform(
        -1, 1, (2, height, width, 3)).astype(np.float32)
    expected = np.asarray(onnx_logits(str(path), x), dtype=np.float32)
    with mobilenet.load(path, threads=2) as m:
        assert m.info == mobilenet.describe(variant, alpha, resolution, classes)
        logits = m.run(x)
    assert logits.shape == expected.shape == (2, classes)
    diff = float(np.max(np.abs(logits - expected)))
    assert diff <= TOLERANCE, f"max |diff| {diff:.3g}"
    # The outputs are not degenerate (the comparison means something).
    assert float(np.std(expected)) > 0.1
    for i in range(2):
        assert top_k(logits[i], 1) == top_k(expected[i], 1)


def test_bundled_model_matches_onnxruntime(model, model_path, onnx_logits):
    x = np.random.default_rng(7).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    expected = np.asarray(onnx_logits(str(model_path), x), dtype=np.float32)
    diff = float(np.max(np.abs(model.run(x) - expected)))
    assert diff <= TOLERANCE, f"max |diff| {diff:.3g}"
