#!/usr/bin/env python3
"""An independent reference implementation: our weights file -> ONNX -> ONNX Runtime.

Why: libmobilenet's kernels are tested against a second, unrelated engine
that reads the SAME safetensors file the library loads. The network is
rebuilt here from the file's tensors with plain ONNX operators, deliberately
close to TF-Slim's definition rather than to the library's optimisations:

  - BatchNorm stays a real BatchNormalization node (never folded by us;
    ONNX Runtime's graph optimisations are switched off so it is not folded
    there either), with the file's batchnorm_epsilon;
  - TensorFlow SAME padding, computed per input size: out = ceil(in / s),
    total pad = max((out - 1) * s + k - in, 0), top/left = total // 2 and the
    extra pixel (stride 2, even input) at the bottom/right;
  - ReLU6 as Clip(0, 6); GlobalAveragePool; the logits 1x1 Conv with bias;
  - input NHWC float (a Transpose to NCHW), output [N, K] logits.

The layer structure is read from the tensor names present (Conv2d_0, then
for each block i either Conv2d_i_depthwise + Conv2d_i_pointwise, or
Conv2d_i, or nothing), so all three variants and any width multiplier work.

Only numpy, onnx, onnxruntime and tools/safetensors_io.py are imported: the
project's pytest suite uses this module.

CLI: tools/reference_onnx.py MODEL [--fixture F ...] [--save-onnx OUT --size H W]
"""

import argparse
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

try:
    from . import safetensors_io
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import safetensors_io

OPSET = 13
BLOCK_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
PREFIX = "MobilenetV1/"


def same_pads(size, kernel, stride):
    """TensorFlow SAME padding for one axis: (begin, end, out_size)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def model_layers(tensors):
    """[(scope, kind, stride)] in network order, from the tensor names."""
    layers = [("Conv2d_0", "conv", 2)]
    for i, stride in enumerate(BLOCK_STRIDES, start=1):
        if f"{PREFIX}Conv2d_{i}_depthwise/depthwise_weights" in tensors:
            layers.append((f"Conv2d_{i}_depthwise", "depthwise", stride))
            layers.append((f"Conv2d_{i}_pointwise", "pointwise", 1))
        elif f"{PREFIX}Conv2d_{i}/weights" in tensors:
            layers.append((f"Conv2d_{i}", "conv", stride))
    return layers


class _Builder:
    def __init__(self):
        self.nodes = []
        self.inits = []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output


def build_onnx(model_path, height, width):
    """An onnx.ModelProto for NHWC float input [N, height, width, 3] -> [N, K]."""
    tensors, meta = safetensors_io.load(model_path)
    eps = float(meta.get("batchnorm_epsilon", "0.001"))
    b = _Builder()
    zero = b.const("relu6_min", np.array(0.0, np.float32))
    six = b.const("relu6_max", np.array(6.0, np.float32))
    x = b.node("Transpose", ["input"], "input_nchw", perm=[0, 3, 1, 2])
    h, w = height, width
    for scope, kind, stride in model_layers(tensors):
        p = PREFIX + scope
        if kind == "depthwise":
            wt = tensors[p + "/depthwise_weights"]          # [kh, kw, C, 1]
            weight = wt.transpose(2, 3, 0, 1)               # [C, 1, kh, kw]
            group = wt.shape[2]
        else:
            wt = tensors[p + "/weights"]                    # [kh, kw, Cin, Cout]
            weight = wt.transpose(3, 2, 0, 1)               # [Cout, Cin, kh, kw]
            group = 1
        kh, kw = wt.shape[0], wt.shape[1]
        top, bottom, h = same_pads(h, kh, stride)
        left, right, w = same_pads(w, kw, stride)
        x = b.node("Conv", [x, b.const(p + "/weights_oihw", weight)], p + "/conv",
                   kernel_shape=[kh, kw], strides=[stride, stride], group=group,
                   pads=[top, left, bottom, right])
        bn = [b.const(p + "/BatchNorm/" + n, tensors[p + "/BatchNorm/" + n])
              for n in ("gamma", "beta", "moving_mean", "moving_variance")]
        x = b.node("BatchNormalization", [x] + bn, p + "/bn", epsilon=eps)
        x = b.node("Clip", [x, zero, six], p + "/relu6")
    x = b.node("GlobalAveragePool", [x], "avgpool")
    lw = tensors[PREFIX + "Logits/Conv2d_1c_1x1/weights"]
    lb = tensors[PREFIX + "Logits/Conv2d_1c_1x1/biases"]
    x = b.node("Conv", [x, b.const("logits_w", lw.transpose(3, 2, 0, 1)),
                        b.const("logits_b", lb)], "logits_conv", kernel_shape=[1, 1])
    b.node("Flatten", [x], "logits", axis=1)
    k = lb.shape[0]
    graph = helper.make_graph(
        b.nodes, "mobilenet_v1_reference",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", height, width, 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", k])],
        initializer=b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="libmobilenet tools/reference_onnx.py")
    model.ir_version = min(model.ir_version, 8)  # loadable by older runtimes too
    onnx.checker.check_model(model)
    return model


def session(model):
    """An ONNX Runtime session that runs the graph as built (no fusions)."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])


_CACHE = {}


def onnx_logits(model_path, input_nhwc):
    """Pre-softmax logits [N, K] of our weights file for NHWC float input.

    input_nhwc: array [N, H, W, 3] (or [H, W, 3]), already normalised the way
    the model expects. Sessions are cached per (file, size).
    """
    x = np.asarray(input_nhwc, dtype=np.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[3] != 3:
        raise ValueError(f"expected NHWC input with 3 channels, got {x.shape}")
    st = os.stat(model_path)
    key = (os.path.abspath(model_path), st.st_mtime_ns, st.st_size, x.shape[1], x.shape[2])
    if key not in _CACHE:
        _CACHE[key] = session(build_onnx(model_path, x.shape[1], x.shape[2]))
    return _CACHE[key].run(["logits"], {"input": np.ascontiguousarray(x)})[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="a libmobilenet safetensors weights file")
    ap.add_argument("--fixture", action="append", default=[],
                    help="tests/fixtures/tf_reference_*.safetensors to compare against")
    ap.add_argument("--save-onnx", help="write the ONNX model built for --size to this path")
    ap.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), default=None)
    args = ap.parse_args(argv)

    if args.save_onnx:
        if args.size is None:
            ap.error("--save-onnx needs --size H W")
        onnx.save(build_onnx(args.model, *args.size), args.save_onnx)
        print(f"wrote {args.save_onnx}")
    worst = 0.0
    for path in args.fixture:
        fx, _ = safetensors_io.load(path)
        for name in fx:
            if not name.startswith("logits_"):
                continue
            x = fx["input_" + name[len("logits_"):]]
            got = onnx_logits(args.model, x)
            diff = float(np.max(np.abs(got - fx[name])))
            worst = max(worst, diff)
            print(f"{os.path.basename(path)} {name}: max |ORT - TF| = {diff:.3g}, "
                  f"top-1 {int(np.argmax(got))} vs {int(np.argmax(fx[name]))}")
    if args.fixture:
        print(f"worst max |ORT - TF| = {worst:.3g}")


if __name__ == "__main__":
    main()
