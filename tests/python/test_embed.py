"""Embeddings: the global-average-pooled features before the logits, against
ONNX Runtime's GlobalAveragePool output of the same weights (an independent
engine), consistent with the logits, through every entry point."""

import os
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper

import mobilenet
from mn_support import IMAGES, REPO, import_tool

reference_onnx = import_tool("reference_onnx")


def onnx_features(model_path, x):
    """ORT's 'avgpool' tensor (N, C) for NHWC input x, from tools/reference_onnx's graph."""
    graph = reference_onnx.build_onnx(str(model_path), x.shape[1], x.shape[2])
    graph.graph.output.append(helper.make_tensor_value_info("avgpool", TensorProto.FLOAT, None))
    out = reference_onnx.session(graph).run(["avgpool"], {"input": np.ascontiguousarray(x)})[0]
    return out.reshape(out.shape[0], -1)


def test_features_match_onnx_runtime(model_path):
    x = np.random.default_rng(3).uniform(-1, 1, (2, 224, 224, 3)).astype(np.float32)
    with mobilenet.load(model_path, threads=2) as m:
        assert m.embedding_size == 1024
        got = m.features(x)
    want = onnx_features(model_path, x)
    assert got.shape == want.shape == (2, 1024)
    assert np.abs(got - want).max() <= 1e-4


@pytest.mark.parametrize("alpha,size", [(0.25, (96, 80)), (0.5, (64, 64))])
def test_features_of_random_models_match_onnx_runtime(tmp_path, alpha, size):
    path = tmp_path / "m.safetensors"
    import_tool("make_random_model").main(["-o", str(path), "--alpha", str(alpha), "--resolution",
                                           str(size[0]), "--num-classes", "10", "--seed", "11"])
    x = np.random.default_rng(5).uniform(-1, 1, (3, size[0], size[1], 3)).astype(np.float32)
    with mobilenet.load(path, threads=1) as m:
        got = m.features(x)
        assert m.embedding_size == max(int(1024 * alpha), 8)
    want = onnx_features(path, x)
    assert np.abs(got - want).max() <= 1e-4


def test_logits_follow_from_the_features(model_path):
    """logits = W . features + b, computed in float64 from the model file's own tensors."""
    tensors, _ = import_tool("safetensors_io").load(str(model_path))
    w = tensors["MobilenetV1/Logits/Conv2d_1c_1x1/weights"][0, 0].astype(np.float64)  # [1024, 1001]
    b = tensors["MobilenetV1/Logits/Conv2d_1c_1x1/biases"].astype(np.float64)
    x = np.random.default_rng(9).uniform(-1, 1, (1, 160, 192, 3)).astype(np.float32)
    with mobilenet.load(model_path, threads=1) as m:
        features, logits = m.features(x), m.run(x)
    assert np.abs(features.astype(np.float64) @ w + b - logits).max() <= 1e-4


def test_embed_images_equals_features_of_the_preprocessed_input(model):
    cat = IMAGES / "cat.jpg"
    one = model.embed(str(cat))
    two = model.embed([str(cat), str(IMAGES / "coffee.png")])
    assert one.shape == (1, 1024) and two.shape == (2, 1024) and one.dtype == np.float32
    assert np.array_equal(one[0], two[0])
    assert np.abs(two[0] - two[1]).max() > 0.1  # different photos, different embeddings
    assert model.embed([]).shape == (0, 1024)


def test_embed_rejects_what_classify_rejects(model):
    with pytest.raises(TypeError):
        model.embed(3.5)
    with pytest.raises(ValueError):
        model.features(np.zeros((1, 8, 8, 4), np.float32))
    with pytest.raises(TypeError):
        model.features(np.zeros((1, 8, 8, 3), np.float64))
