#!/usr/bin/env python3
"""Write tests/fixtures/tflite/: .tflite files made by TensorFlow's converter
and what LiteRT and TensorFlow compute with them on real photos.

Why: libmobilenet's TFLite loader and 8-bit engine must be tested in CI
without TensorFlow. The files here are what TensorFlow's own converter
writes for MobileNet v1 (float32, full-integer int8, and the older uint8
per-tensor scheme), and the reference outputs are LiteRT's (its reference
kernels, its optimised kernels and its default XNNPACK delegate) and
TensorFlow's float32 graph before conversion, on photos that were not used
for calibration.

The network is built in TensorFlow from a safetensors model with TF-Slim's
recipe (tools/tf_from_safetensors.py): 3x3 convolutions with SAME padding,
strides as in tools/mobilenet_spec.py, depthwise + pointwise blocks, ReLU6,
a VALID average pool whose kernel is the final feature map (AVERAGE_POOL_2D),
the 1x1 logits convolution + bias, and a reshape to [1, classes] (RESHAPE),
optionally followed by a softmax. BatchNorm is folded here, in float64, into
each convolution's weights and a bias (then cast to float32): w * g/sqrt(v+e),
b - m * g/sqrt(v+e), with e = float32(batchnorm_epsilon) as in the original
graph. Every file's op list is printed and checked against the canonical
TFLite MobileNet list:
    CONV_2D, 13 x (DEPTHWISE_CONV_2D, CONV_2D), AVERAGE_POOL_2D, CONV_2D,
    RESHAPE [, SOFTMAX]
with fused RELU6 on the 27 feature convolutions, none on the logits conv;
int8 files add QUANTIZE first and DEQUANTIZE last.

Outputs (tests/fixtures/tflite/):
  mobilenet_v1_1.0_224_int8.tflite   the bundled model, post-training full
        integer quantization (tf.lite.TFLiteConverter.from_concrete_functions,
        Optimize.DEFAULT, representative_dataset, TFLITE_BUILTINS_INT8;
        float input and output; per-channel weights); ends at the logits
        RESHAPE (no softmax)
  mobilenet_v1_0.25_128_float.tflite a random seeded model (make_random_model
        .random_tensors, alpha 0.25, 128x128, --num-classes classes, seed 1;
        the logits weights then made zero-mean per class: centred_logits),
        float32, ending RESHAPE + SOFTMAX
  mobilenet_v1_0.25_128.safetensors  that model's weights file (if < 1 MB)
  mobilenet_v1_0.25_128_int8.tflite  the same model quantized as the 1.0 one
        (keeps the SOFTMAX, so int8 SOFTMAX is covered too)
  mobilenet_v1_0.25_128_uint8.tflite the 2018-style scheme: uint8 activations
        and weights, per-tensor, weight zero points not 0, uint8 input and
        output; made by tf.compat.v1.lite.TFLiteConverter.from_session with
        inference_type=tf.uint8 from a graph carrying
        tf.quantization.fake_quant_with_min_max_vars ops (weights: their
        min/max; ReLU6 outputs: [0, calibrated max]; logits: calibrated
        min/max; input: [-1, 127/128], i.e. quantized_input_stats (128, 128))
  tflite_reference.safetensors       inputs and outputs per photo; every
        tensor name is listed in tests/fixtures/README.md and in this file's
        metadata ("tensors")

Calibration uses 16 photos that are not test photos (CALIBRATION: skimage's,
plus those shipped in the scikit-learn and matplotlib wheels), 7 crops each,
and the first 16 faces of skimage's lfw_subset (calibration_inputs), each
preprocessed by TF-Slim's evaluation preprocessing (tools/make_reference.py:
preprocess). The test photos' float inputs are rounded to float16 before
being fed (and stored as F16), so the stored tensor is exactly what every
engine saw. LiteRT runs single-threaded, as reference kernels (BUILTIN_REF),
optimised kernels (BUILTIN_WITHOUT_DEFAULT_DELEGATES) and with its default
XNNPACK delegate (AUTO).

Run (venv outside the repo):
    python3 -m venv /work/venv-tfl
    /work/venv-tfl/bin/pip install -r tools/requirements.txt
    /work/venv-tfl/bin/python tools/make_tflite_fixtures.py      # ~50 s
(onnx and onnxruntime only because tools/tf_from_safetensors.py imports
tools/reference_onnx.py.) The outputs are byte-for-byte reproducible.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from make_example_images import skimage_data_dir  # noqa: E402
from make_random_model import metadata as random_metadata, random_tensors  # noqa: E402
from make_reference import CROP, decode, preprocess  # noqa: E402
from reference_onnx import PREFIX, model_layers  # noqa: E402
from tf_from_safetensors import tf_logits as tf_slim_logits  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT_DIR = os.path.join(REPO, "tests", "fixtures", "tflite")
BUNDLED = os.path.join(REPO, "models", "mobilenet_v1_1.0_224.safetensors")

# (name, file): examples/images/* by path, others in skimage/data.
TEST_PHOTOS = [
    ("cat", os.path.join(REPO, "examples", "images", "cat.jpg")),      # skimage chelsea
    ("coffee", os.path.join(REPO, "examples", "images", "coffee.png")),  # skimage coffee
    ("astronaut", "astronaut.png"),
    ("rocket", "rocket.jpg"),
    ("motorcycle", "motorcycle_left.png"),
    ("camera", "camera.png"),  # grayscale, decoded to 3 equal channels
    ("coins", "coins.png"),    # grayscale
]
# Calibration: never a test photo nor a view of one (motorcycle_right is the
# stereo twin of motorcycle_left; chelsea and coffee are the examples).
# skimage has few colour photos, so the colour photos that ship inside the
# scikit-learn and matplotlib wheels are used too (read, never committed).
CALIBRATION = [("skimage", f) for f in (
    "hubble_deep_field.jpg", "ihc.png", "retina.jpg", "moon.png", "brick.png", "grass.png",
    "gravel.png", "cell.png", "clock_motion.png", "microaneurysms.png", "page.png",
    "text.png")] + [
    ("sklearn", "datasets/images/china.jpg"), ("sklearn", "datasets/images/flower.jpg"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    ("matplotlib", "mpl-data/sample_data/Minduka_Present_Blue_Pack.png")]
LFW_FACES = 16

SMALL_ALPHA, SMALL_RES, SMALL_SEED = 0.25, 128, 1
UINT8_INPUT_STATS = (128.0, 128.0)  # (mean, std): real = (q - 128) / 128


def package_file(package, rel):
    """A data file inside an installed package (skimage, sklearn, matplotlib)."""
    import importlib.util
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not installed (needed for calibration photos)")
    sub = "data" if package == "skimage" else ""
    return os.path.join(list(spec.submodule_search_locations)[0], sub, rel)


def calibration_inputs(tf, photos, faces, r):
    """Per photo: central crop 0.875, whole photo, its mirror image (0.875) and
    the four corner crops of 60 % per side (whole-crop preprocessing); per face:
    0.875 and 1.0. All through make_reference.preprocess."""
    out = []
    for img in photos:
        h, w = img.shape[0], img.shape[1]
        ch, cw = int(h * 0.6), int(w * 0.6)
        out += [preprocess(tf, img, r, CROP), preprocess(tf, img, r, 1.0),
                preprocess(tf, np.ascontiguousarray(img[:, ::-1]), r, CROP)]
        for y0, x0 in ((0, 0), (0, w - cw), (h - ch, 0), (h - ch, w - cw)):
            out.append(preprocess(tf, np.ascontiguousarray(img[y0:y0 + ch, x0:x0 + cw]), r, 1.0))
    for img in faces:
        out += [preprocess(tf, img, r, CROP), preprocess(tf, img, r, 1.0)]
    return out


# ---------------------------------------------------------------- network

def folded_network(tensors, meta):
    """[(scope, kind, stride, w f32, bias f32)] with BatchNorm folded in float64,
    then (logits_w, logits_b)."""
    eps = np.float64(np.float32(float(meta["batchnorm_epsilon"])))
    out = []
    for scope, kind, stride in model_layers(tensors):
        p = PREFIX + scope
        w = tensors[p + ("/depthwise_weights" if kind == "depthwise" else "/weights")]
        w = w.astype(np.float64)
        g, b, m, v = (tensors[f"{p}/BatchNorm/{n}"].astype(np.float64)
                      for n in ("gamma", "beta", "moving_mean", "moving_variance"))
        mul = g / np.sqrt(v + eps)
        w = w * (mul.reshape(1, 1, -1, 1) if kind == "depthwise" else mul)
        out.append((scope, kind, stride, w.astype(np.float32), (b - m * mul).astype(np.float32)))
    lw = tensors[PREFIX + "Logits/Conv2d_1c_1x1/weights"].astype(np.float32)
    lb = tensors[PREFIX + "Logits/Conv2d_1c_1x1/biases"].astype(np.float32)
    return out, (lw, lb)


def centred_logits(tensors):
    """Random weights with each class's logits weights made zero-mean over the
    input channels. A random network's pooled features share a large common
    positive component, which alone would make one class win on every photo;
    without it the winning class depends on the photo."""
    out = []
    for name, a in tensors:
        if name == PREFIX + "Logits/Conv2d_1c_1x1/weights":
            a = (a.astype(np.float64) - a.astype(np.float64).mean(axis=2, keepdims=True))
            a = a.astype(np.float32)
        out.append((name, a))
    return out


def forward(tf, net, x, softmax, fq=None, taps=None):
    """The folded network on x. fq: fake-quant ranges {name: (min, max)} or None.
    taps: a list that receives (name, tensor) for calibration."""
    layers, (lw, lb) = net

    def wq(w):
        if fq is None:
            return tf.constant(w)
        return tf.quantization.fake_quant_with_min_max_vars(
            tf.constant(w), float(min(w.min(), 0.0)), float(max(w.max(), 0.0)), num_bits=8)

    def aq(name, t):
        if taps is not None:
            taps.append((name, t))
        if fq is None:
            return t
        lo, hi = fq[name]
        return tf.quantization.fake_quant_with_min_max_vars(t, lo, hi, num_bits=8)

    if fq is not None:
        x = aq("input", x)
    for scope, kind, stride, w, b in layers:
        s = [1, stride, stride, 1]
        if kind == "depthwise":
            x = tf.nn.depthwise_conv2d(x, wq(w), s, "SAME")
        else:
            x = tf.nn.conv2d(x, wq(w), s, "SAME")
        x = aq(scope, tf.nn.relu6(tf.nn.bias_add(x, tf.constant(b))))
    h, w_ = x.shape[1], x.shape[2]
    x = tf.nn.avg_pool2d(x, [1, h, w_, 1], [1, 2, 2, 1], "VALID")
    x = tf.nn.bias_add(tf.nn.conv2d(x, wq(lw), [1, 1, 1, 1], "SAME"), tf.constant(lb))
    x = aq("logits", x)
    logits = tf.reshape(x, [1, lb.shape[0]])
    return (logits, tf.nn.softmax(logits)) if softmax else (logits, None)


def concrete(tf, net, r, softmax):
    def fn(x):
        logits, probs = forward(tf, net, x, softmax)
        return probs if softmax else logits
    f = tf.function(fn, input_signature=[tf.TensorSpec([1, r, r, 3], tf.float32, name="input")])
    return f.get_concrete_function()


def tf_folded_logits(tf, net, x):
    """Pre-softmax float32 logits of the folded graph (what is converted)."""
    return forward(tf, net, tf.constant(x), False)[0].numpy()


# ---------------------------------------------------------------- conversion

def convert_float(tf, net, r, softmax):
    cf = concrete(tf, net, r, softmax)
    conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], tf.Module())
    return conv.convert()


def convert_int8(tf, net, r, softmax, calib):
    cf = concrete(tf, net, r, softmax)
    conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], tf.Module())
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([x] for x in calib)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return conv.convert()


def calibrated_ranges(tf, net, calib):
    """Per-activation (min, max) over the calibration set, float graph."""
    r = calib[0].shape[1]
    graph = tf.Graph()
    with graph.as_default():
        inp = tf.compat.v1.placeholder(tf.float32, [1, r, r, 3])
        taps = []
        forward(tf, net, inp, False, taps=taps)
    ranges = {}
    with tf.compat.v1.Session(graph=graph, config=_session_config(tf)) as sess:
        for x in calib:
            vals = sess.run([t for _, t in taps], {inp: x})
            for (name, _), v in zip(taps, vals):
                lo, hi = ranges.get(name, (0.0, 0.0))
                ranges[name] = (min(lo, float(v.min())), max(hi, float(v.max())))
    ranges["input"] = (-1.0, 127.0 / 128.0)
    return ranges


def fakequant_graph(tf, net, r, softmax, ranges):
    graph = tf.Graph()
    with graph.as_default():
        inp = tf.compat.v1.placeholder(tf.float32, [1, r, r, 3], name="input")
        logits, probs = forward(tf, net, inp, softmax, fq=ranges)
        out = tf.identity(probs if softmax else logits, name="output")
    return graph, inp, out, logits


def convert_uint8(tf, net, r, softmax, ranges):
    graph, inp, out, _ = fakequant_graph(tf, net, r, softmax, ranges)
    with tf.compat.v1.Session(graph=graph, config=_session_config(tf)) as sess:
        conv = tf.compat.v1.lite.TFLiteConverter.from_session(sess, [inp], [out])
        conv.inference_type = tf.uint8
        conv.quantized_input_stats = {"input": UINT8_INPUT_STATS}
        return conv.convert()


def tf_fakequant_logits(tf, net, softmax, ranges, x):
    graph, inp, _, logits = fakequant_graph(tf, net, x.shape[1], softmax, ranges)
    with tf.compat.v1.Session(graph=graph, config=_session_config(tf)) as sess:
        return sess.run(logits, {inp: x})


def _session_config(tf):
    return tf.compat.v1.ConfigProto(intra_op_parallelism_threads=1,
                                    inter_op_parallelism_threads=1)


# ---------------------------------------------------------------- the files

def describe(blob):
    """(ops, tensor info) of a .tflite: ops as 'NAME' or 'NAME/RELU6'."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils as fbu
    model = fbu.convert_bytearray_to_object(bytearray(blob))
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    acts = {v: k for k, v in vars(schema.ActivationFunctionType).items() if not k.startswith("_")}
    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    sg = model.subgraphs[0]
    ops = []
    for op in sg.operators:
        code = model.operatorCodes[op.opcodeIndex]
        name = names[max(code.builtinCode, code.deprecatedBuiltinCode)]
        act = getattr(op.builtinOptions, "fusedActivationFunction", 0) if op.builtinOptions else 0
        ops.append((name + ("/" + acts[act] if act else ""), list(op.inputs), list(op.outputs)))

    def tinfo(i):
        t = sg.tensors[i]
        q = t.quantization
        d = {"index": int(i), "name": t.name.decode() if isinstance(t.name, bytes) else t.name,
             "dtype": types[t.type], "shape": [int(s) for s in t.shape]}
        if q is not None and q.scale is not None and len(q.scale):
            d["scale"] = [float(s) for s in q.scale]
            d["zero_point"] = [int(z) for z in q.zeroPoint]
        return d
    return ops, tinfo


def expected_ops(softmax, quantized):
    core = ["CONV_2D/RELU6"] + ["DEPTHWISE_CONV_2D/RELU6", "CONV_2D/RELU6"] * 13 + \
           ["AVERAGE_POOL_2D", "CONV_2D", "RESHAPE"] + (["SOFTMAX"] if softmax else [])
    return (["QUANTIZE"] + core + ["DEQUANTIZE"]) if quantized == "int8" else core


def check_file(label, blob, softmax, quantized):
    ops, tinfo = describe(blob)
    names = [o[0] for o in ops]
    print(f"{label}: {len(blob)} bytes, {len(names)} ops")
    print("  " + ", ".join(names))
    want = expected_ops(softmax, quantized)
    if names != want:
        raise SystemExit(f"{label}: op list differs from the canonical one:\n  want {want}")
    # Key tensors: model input, output, and the outputs of RESHAPE / SOFTMAX.
    info = {"ops": names}
    first, last = ops[0], ops[-1]
    info["input"] = tinfo(first[1][0])
    info["output"] = tinfo(last[2][0])
    for op in ops:
        if op[0] == "RESHAPE":
            info["reshape_out"] = tinfo(op[2][0])
        if op[0] == "SOFTMAX":
            info["softmax_out"] = tinfo(op[2][0])
        if op[0] == "QUANTIZE":
            info["quantize_out"] = tinfo(op[2][0])
    # The weight types of the first conv: what the file's scheme is.
    conv = next(o for o in ops if o[0].startswith("CONV_2D"))
    info["conv0_weights"] = {k: v for k, v in tinfo(conv[1][1]).items()
                             if k in ("dtype", "shape")}
    w = tinfo(conv[1][1])
    if "scale" in w:
        info["conv0_weights"]["channels_quantized"] = len(w["scale"])
        info["conv0_weights"]["zero_points"] = sorted(set(w["zero_point"]))[:8]
    for k in ("input", "quantize_out", "reshape_out", "softmax_out", "output"):
        if k in info:
            print(f"  {k}: {info[k]}")
    print(f"  conv0 weights: {info['conv0_weights']}")
    return info


# ---------------------------------------------------------------- LiteRT

MODES = {"ref": "BUILTIN_REF", "opt": "BUILTIN_WITHOUT_DEFAULT_DELEGATES", "xnnpack": "AUTO"}


def run_litert(blob, x, mode, want):
    """Run once; returns {output: array, <tensor index>: array for want}."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    preserve = mode != "xnnpack"
    it = Interpreter(model_content=blob, num_threads=1,
                     experimental_op_resolver_type=getattr(OpResolverType, MODES[mode]),
                     experimental_preserve_all_tensors=preserve)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    it.set_tensor(inp["index"], x.astype(inp["dtype"]))
    it.invoke()
    res = {"output": it.get_tensor(out["index"]).copy()}
    if preserve:
        for i in want:
            res[i] = it.get_tensor(i).copy()
    return res


def requantize(y, t):
    """The integer tensor a DEQUANTIZE turned into float y (exact inverse)."""
    s, z = t["scale"][0], t["zero_point"][0]
    info = np.iinfo(np.int8 if t["dtype"] == "INT8" else np.uint8)
    q = np.clip(np.round(y.astype(np.float64) / s) + z, info.min, info.max).astype(info.dtype)
    # The reference kernel computes float32 scale * (q - zp) exactly like
    # this; the optimised DEQUANTIZE may differ from it by 1 ulp.
    grid = (q.astype(np.float32) - np.float32(z)) * np.float32(s)
    if np.max(np.abs(grid - y)) > s * 1e-3:
        raise SystemExit("DEQUANTIZE output is not on its grid")
    return q


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=OUT_DIR)
    ap.add_argument("--skimage-data", default=None)
    ap.add_argument("--num-classes", type=int, default=100, help="classes of the 0.25 model")
    ap.add_argument("--input-dtype", choices=("f16", "f32"), default="f16",
                    help="how the fed float inputs are stored (f16: the inputs are rounded "
                         "to float16 BEFORE being fed, so F16 holds them exactly)")
    ap.add_argument("--only", nargs="*", default=None,
                    help="subset of: int8_1.0 float_0.25 int8_0.25 uint8_0.25")
    args = ap.parse_args(argv)
    only = set(args.only or ["int8_1.0", "float_0.25", "int8_0.25", "uint8_0.25"])

    import tensorflow as tf
    import ai_edge_litert
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    litert_version = getattr(ai_edge_litert, "__version__", None)
    if litert_version is None:
        from importlib.metadata import version
        litert_version = version("ai-edge-litert")

    data = args.skimage_data or skimage_data_dir()
    os.makedirs(args.out_dir, exist_ok=True)

    def photo_path(f):
        return f if os.path.isabs(f) else os.path.join(data, f)

    def fed(x):  # the float input actually fed everywhere
        return x.astype(np.float16).astype(np.float32) if args.input_dtype == "f16" else x

    # Photos -> rgb8, shared by every model.
    test_rgb = [(n, decode(tf, photo_path(f))) for n, f in TEST_PHOTOS]
    calib_rgb = [decode(tf, package_file(pkg, f)) for pkg, f in CALIBRATION]
    faces = np.load(os.path.join(data, "lfw_subset.npy"))[:LFW_FACES]
    faces = [np.repeat(np.round(f * 255).astype(np.uint8)[:, :, None], 3, 2) for f in faces]

    def calib_set(r):
        return calibration_inputs(tf, calib_rgb, faces, r)

    inputs = {r: {n: fed(preprocess(tf, img, r, CROP)) for n, img in test_rgb}
              for r in (224, SMALL_RES)}

    tensors = []  # (name, array), in order
    for n, _ in test_rgb:
        for r in (224, SMALL_RES):
            x = inputs[r][n]
            tensors.append((f"{n}/input_{r}", x.astype(np.float16) if args.input_dtype == "f16" else x))
    files = {}
    facts = {"xnnpack_vs_ref_steps": {}, "opt_vs_ref_steps": {}, "top1": {}, "sizes": {}}

    def run_all(key, blob, info, r, kind, softmax):
        """LiteRT ref / opt / xnnpack on every test photo -> tensors + facts."""
        pre = info.get("reshape_out")
        worst = {"xnnpack": 0, "opt": 0}
        for n, _ in test_rgb:
            x = inputs[r][n]
            if kind == "uint8":
                t = info["input"]
                # Half away from zero, as TFLite's QUANTIZE rounds (ties occur:
                # an F16 input times 128 is often a half-integer).
                v = x.astype(np.float64) / t["scale"][0] + t["zero_point"][0]
                xq = np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5), 0, 255).astype(np.uint8)
                tensors.append((f"{n}/input_{r}_u8", xq))
                x = xq
            res = {m: run_litert(blob, x, m, [pre["index"]]) for m in ("ref", "opt", "xnnpack")}
            tail = "probs" if softmax else "logits"
            for m in ("ref", "opt", "xnnpack"):
                y = res[m]["output"]
                if kind == "float":
                    tensors.append((f"{n}/{key}/{m}_{tail}", y))
                    if softmax and m != "xnnpack":
                        tensors.append((f"{n}/{key}/{m}_logits", res[m][pre["index"]]))
                    continue
                if kind == "int8":
                    q = requantize(y, info["softmax_out" if softmax else "reshape_out"])
                    tensors.append((f"{n}/{key}/{m}_{tail}", y))
                else:
                    q = y
                tensors.append((f"{n}/{key}/{m}_{tail}_q", q))
                if m != "xnnpack" and softmax:
                    tensors.append((f"{n}/{key}/{m}_logits_q", res[m][pre["index"]]))
                if m != "xnnpack" and softmax is False and kind == "int8":
                    if not np.array_equal(res[m][pre["index"]], q):
                        raise SystemExit("preserved RESHAPE output != requantized output")
            if kind == "float":
                for m in ("xnnpack", "opt"):
                    worst[m] = max(worst[m], float(np.max(np.abs(
                        res[m]["output"] - res["ref"]["output"]))))
            else:
                qs = {m: tensors_by_name()[f"{n}/{key}/{m}_{tail}_q"].astype(np.int32)
                      for m in ("ref", "opt", "xnnpack")}
                for m in ("xnnpack", "opt"):
                    worst[m] = max(worst[m], int(np.max(np.abs(qs[m] - qs["ref"]))))
        facts["xnnpack_vs_ref_steps"][key] = worst["xnnpack"]
        facts["opt_vs_ref_steps"][key] = worst["opt"]
        print(f"  {key}: max |xnnpack - ref| = {worst['xnnpack']}, |opt - ref| = {worst['opt']}"
              + (" (float)" if kind == "float" else " output steps"))

    def tensors_by_name():
        return dict(tensors)

    def save_blob(name, blob):
        path = os.path.join(args.out_dir, name)
        with open(path, "wb") as f:
            f.write(blob)
        facts["sizes"][name] = len(blob)

    # ---- the bundled model, int8 ----
    big, big_meta = safetensors_io.load(BUNDLED)
    big_net = folded_network(big, big_meta)
    for n, _ in test_rgb:
        x = inputs[224][n]
        tensors.append((f"{n}/float_1.0_224/tf_logits", tf_slim_logits(tf, big, float(
            big_meta["batchnorm_epsilon"]), x)))
        tensors.append((f"{n}/float_1.0_224/tf_folded_logits", tf_folded_logits(tf, big_net, x)))
    if "int8_1.0" in only:
        blob = convert_int8(tf, big_net, 224, False, calib_set(224))
        name = "mobilenet_v1_1.0_224_int8.tflite"
        files[name] = check_file(name, blob, False, "int8")
        save_blob(name, blob)
        run_all("int8_1.0_224", blob, files[name], 224, "int8", False)

    # ---- the small random model ----
    small_list = centred_logits(random_tensors("separable", SMALL_ALPHA, args.num_classes,
                                               SMALL_SEED))
    small = dict(small_list)
    small_meta = random_metadata("separable", SMALL_ALPHA, SMALL_RES, args.num_classes,
                                 SMALL_SEED, True, 0.001)
    small_meta["source"] += ("; then each class's logits weights made zero-mean over the "
                             "input channels (tools/make_tflite_fixtures.py centred_logits)")
    blob_st = safetensors_io.dumps(small_list, small_meta)
    if len(blob_st) < 1 << 20:
        save_blob("mobilenet_v1_0.25_128.safetensors", blob_st)
    small_net = folded_network(small, small_meta)
    for n, _ in test_rgb:
        x = inputs[SMALL_RES][n]
        tensors.append((f"{n}/float_0.25_128/tf_logits", tf_folded_logits(tf, small_net, x)))
        tensors.append((f"{n}/float_0.25_128/tf_slim_logits", tf_slim_logits(tf, small, 0.001, x)))
    if "float_0.25" in only:
        blob = convert_float(tf, small_net, SMALL_RES, True)
        name = "mobilenet_v1_0.25_128_float.tflite"
        files[name] = check_file(name, blob, True, "float")
        save_blob(name, blob)
        run_all("float_0.25_128", blob, files[name], SMALL_RES, "float", True)
    calib_small = calib_set(SMALL_RES)
    if "int8_0.25" in only:
        blob = convert_int8(tf, small_net, SMALL_RES, True, calib_small)
        name = "mobilenet_v1_0.25_128_int8.tflite"
        files[name] = check_file(name, blob, True, "int8")
        save_blob(name, blob)
        run_all("int8_0.25_128", blob, files[name], SMALL_RES, "int8", True)
    if "uint8_0.25" in only:
        ranges = calibrated_ranges(tf, small_net, calib_small)
        blob = convert_uint8(tf, small_net, SMALL_RES, True, ranges)
        name = "mobilenet_v1_0.25_128_uint8.tflite"
        files[name] = check_file(name, blob, True, "uint8")
        files[name]["fake_quant_ranges"] = ranges
        save_blob(name, blob)
        for n, _ in test_rgb:
            tensors.append((f"{n}/uint8_0.25_128/tf_fakequant_logits",
                            tf_fakequant_logits(tf, small_net, True, ranges, inputs[SMALL_RES][n])))
        run_all("uint8_0.25_128", blob, files[name], SMALL_RES, "uint8", True)

    # ---- top-1 agreement with the float model ----
    t = tensors_by_name()
    for key, fkey in (("int8_1.0_224", "float_1.0_224/tf_logits"),
                      ("int8_0.25_128", "float_0.25_128/tf_logits"),
                      ("uint8_0.25_128", "float_0.25_128/tf_logits")):
        for n, _ in test_rgb:
            for cand in (f"{n}/{key}/ref_logits", f"{n}/{key}/ref_logits_q"):
                if cand in t:
                    a, b = int(np.argmax(t[cand])), int(np.argmax(t[f"{n}/{fkey}"]))
                    facts["top1"].setdefault(key, {})[n] = [a, b]
                    break
    for key, per in facts["top1"].items():
        agree = sum(a == b for a, b in per.values())
        print(f"top-1 {key} vs float: {agree}/{len(per)} " +
              ", ".join(f"{n} {a}{'=' if a == b else '!='}{b}" for n, (a, b) in per.items()))

    meta = {
        "tensorflow_version": tf.__version__,
        "ai_edge_litert_version": litert_version,
        "numpy_version": np.__version__,
        "test_photos": json.dumps(dict(TEST_PHOTOS)).replace(REPO + "/", ""),
        "calibration": json.dumps({"photos": [f"{p}:{f}" for p, f in CALIBRATION],
                                   "lfw_subset_faces": LFW_FACES,
                                   "samples": "calibration_inputs(): 7 per photo, 2 per face"}),
        "preprocessing": "tools/make_reference.py preprocess: convert_image_dtype, "
                         "central_crop(0.875), compat.v1 resize_bilinear, (x - 0.5) * 2"
                         + ("; then rounded to float16 (stored F16; widen to F32 exactly "
                            "to get what was fed)" if args.input_dtype == "f16" else ""),
        "small_model": f"centred_logits(make_random_model.random_tensors('separable', "
                       f"{SMALL_ALPHA}, {args.num_classes}, seed={SMALL_SEED}))",
        "files": json.dumps(files),
        "facts": json.dumps(facts),
        "tensors": json.dumps([n for n, _ in tensors]),
    }
    path = os.path.join(args.out_dir, "tflite_reference.safetensors")
    size = safetensors_io.save(path, tensors, meta)
    facts["sizes"]["tflite_reference.safetensors"] = size
    print(json.dumps(facts, indent=1))
    print(f"TensorFlow {tf.__version__}, ai-edge-litert {litert_version}")


if __name__ == "__main__":
    main()
