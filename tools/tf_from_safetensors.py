#!/usr/bin/env python3
"""Rebuild the network in TensorFlow from OUR safetensors file and compare.

Why: tools/make_reference.py runs the original frozen graph; this tool runs
a graph built only from the converted weights file (TF-Slim's layer recipe:
SAME convolutions, BatchNorm as x * (rsqrt(var + eps) * gamma) +
(beta - mean * rsqrt(var + eps) * gamma), ReLU6, full-map average pool,
1x1 logits conv + bias) on the fixtures' inputs. Agreement proves the
converter lost nothing (names, layouts, epsilon). It also runs the same graph
in float64 to show how far the float32 engines are from exact arithmetic.

TensorFlow runs single-threaded with oneDNN off, like make_reference.py.

Usage: tools/tf_from_safetensors.py MODEL FIXTURE [FIXTURE ...]
"""

import argparse
import os
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from reference_onnx import PREFIX, model_layers, onnx_logits  # noqa: E402


def build(tf, tensors, eps, x, dtype):
    """TF-Slim's MobileNet v1 forward pass on placeholder x, from tensors."""
    def c(name):
        return tf.constant(tensors[PREFIX + name].astype(dtype))

    for scope, kind, stride in model_layers(tensors):
        s = [1, stride, stride, 1]
        if kind == "depthwise":
            x = tf.nn.depthwise_conv2d(x, c(scope + "/depthwise_weights"), s, "SAME")
        else:
            x = tf.nn.conv2d(x, c(scope + "/weights"), s, "SAME")
        bn = scope + "/BatchNorm/"
        mul = tf.math.rsqrt(c(bn + "moving_variance") + tf.constant(eps, dtype)) * c(bn + "gamma")
        x = x * mul + (c(bn + "beta") - c(bn + "moving_mean") * mul)
        x = tf.nn.relu6(x)
    h, w = x.shape[1], x.shape[2]
    x = tf.nn.avg_pool2d(x, [1, h, w, 1], [1, 2, 2, 1], "VALID")
    x = tf.nn.conv2d(x, c("Logits/Conv2d_1c_1x1/weights"), [1, 1, 1, 1], "SAME")
    x = tf.nn.bias_add(x, c("Logits/Conv2d_1c_1x1/biases"))
    return tf.squeeze(x, [1, 2])


def tf_logits(tf, tensors, eps, x, dtype=np.float32):
    graph = tf.Graph()
    with graph.as_default():
        inp = tf.compat.v1.placeholder(dtype, x.shape)
        out = build(tf, tensors, eps, inp, dtype)
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=1,
                                      inter_op_parallelism_threads=1)
    with tf.compat.v1.Session(graph=graph, config=config) as sess:
        return sess.run(out, {inp: x.astype(dtype)})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("fixtures", nargs="+")
    args = ap.parse_args(argv)
    import tensorflow as tf

    # Before any op runs: otherwise the eager context's multi-threaded pool
    # also serves the sessions and Eigen's block split changes the last bits.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    tensors, meta = safetensors_io.load(args.model)
    eps = float(meta["batchnorm_epsilon"])
    worst = {"ours_tf32": 0.0, "orig_vs_f64": 0.0, "ort_vs_f64": 0.0}
    for path in args.fixtures:
        fx, _ = safetensors_io.load(path)
        for name in [n for n in fx if n.startswith("logits_")]:
            x = fx["input_" + name[len("logits_"):]]
            ref = fx[name]
            ours = tf_logits(tf, tensors, eps, x)
            exact = tf_logits(tf, tensors, eps, x, np.float64)
            ort = onnx_logits(args.model, x)
            d = {"ours_tf32": float(np.max(np.abs(ours - ref))),
                 "orig_vs_f64": float(np.max(np.abs(ref - exact))),
                 "ort_vs_f64": float(np.max(np.abs(ort - exact)))}
            for k, v in d.items():
                worst[k] = max(worst[k], v)
            print(f"{os.path.basename(path)} {name}: |TF(ours) - TF(original)| = "
                  f"{d['ours_tf32']:.3g}; |TF(original) - f64| = {d['orig_vs_f64']:.3g}; "
                  f"|ORT - f64| = {d['ort_vs_f64']:.3g}")
    print(f"TensorFlow {tf.__version__}; worst: " +
          ", ".join(f"{k} {v:.3g}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
