"""The corpus's input-dependent good models (tests/corpus/good/input_dependent_*)
against ONNX Runtime running the same file (tools/reference_onnx.py), at the
model's resolution and at another size: the corpus checker runs and
classifies every good model, and these are the ones whose logits carry the
input, so a wrong layer shows up as a logit mismatch here."""

import importlib.util

import numpy as np
import pytest

import mobilenet
from mn_support import REPO, import_tool, top_k

if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
    pytest.skip("onnx and onnxruntime are not installed (pip install -r tests/python/requirements.txt)",
                allow_module_level=True)

# Relative: these logits reach about 10 (logit scale 40), where float
# rounding differences of 1e-6 relative add up over 14 layers.
TOLERANCE = 1e-4
MODELS = sorted((REPO / "tests" / "corpus" / "good").glob("input_dependent_*.safetensors"))


def test_the_corpus_has_input_dependent_models():
    assert len(MODELS) >= 2


@pytest.fixture(scope="module")
def onnx_logits():
    return import_tool("reference_onnx").onnx_logits


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
@pytest.mark.parametrize("size", [(32, 32), (45, 27)])
def test_matches_onnxruntime(path, size, onnx_logits):
    height, width = size
    x = np.random.default_rng(height * 100 + width).uniform(-1, 1, (3, height, width, 3)).astype(np.float32)
    expected = np.asarray(onnx_logits(str(path), x), dtype=np.float32)
    for threads in (1, 2):
        with mobilenet.load(path, threads=threads) as m:
            logits = m.run(x)
        assert logits.shape == expected.shape
        scale = max(1.0, float(np.max(np.abs(expected))))
        diff = float(np.max(np.abs(logits - expected)))
        assert diff <= TOLERANCE * scale, f"max |diff| {diff:.3g} at logit scale {scale:.3g}"
        for i in range(len(x)):
            assert top_k(logits[i], 3) == top_k(expected[i], 3)
    # The comparison means something: the three inputs give logits that
    # differ by more than the tolerance by far.
    spread = float(np.max(np.std(expected, axis=0)))
    assert spread > 0.05, f"logits barely depend on the input (spread {spread:.3g})"
