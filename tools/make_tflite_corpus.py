#!/usr/bin/env python3
"""Write the .tflite part of the model-file corpus (tests/corpus/): tiny
MobileNet v1 .tflite files made by TensorFlow's converter, and one malformed
or unsupported variant of them per kind of defect, for the corpus regression
check (tests/corpus/check_corpus.c) and as seeds of the model-loading fuzzer
(tests/fuzz/).

Why: the TFLite loader (Sources/Core/MobileNet/Weights/TFLite/) reads a
flatbuffer, a format of offsets from anywhere to anywhere, and must refuse
every malformed or non-MobileNet file with FORMAT or UNSUPPORTED and a
message saying why, never trap, read out of bounds or load it. The fixtures
of tests/fixtures/tflite/ are too large to fuzz (256 KB to 4.5 MB); these
are each under 64 KB, so a fuzzer's mutations reach every part of them.

What (all written deterministically: rerunning gives the same bytes):
  good/tflite_tiny_float.tflite  float32, ending RESHAPE + SOFTMAX
  good/tflite_tiny_int8.tflite   full-integer int8 (per-channel weights),
        float input and output (QUANTIZE first, DEQUANTIZE last), no softmax
  good/tflite_tiny_uint8.tflite  uint8 per-tensor, the fake-quant graph +
        tf.compat.v1 converter route, ending SOFTMAX
  bad/<status>__tflite_<kind>.tflite  edits of those files
  expected.tsv  its tflite rows (file, status, substring of the message)
        are replaced; the safetensors rows (tests/corpus/make_corpus.py's)
        are kept, and make_corpus.py keeps these rows in turn.
The network: a random seeded model (tools/make_random_model.py, seed 1),
width multiplier 0.0078125 (every layer has TF-Slim's minimum depth
max(int(d * alpha), 8) = 8 channels), 16x16 input (the final feature map is
ceil(16 / 32) = 1x1, so the average pool is 1x1 VALID), 7 classes; BatchNorm
folded and converted exactly as tools/make_tflite_fixtures.py does (its
folded_network, convert_float, convert_int8, calibrated_ranges and
convert_uint8 are imported and reused). Calibration: 16 seeded uniform
[-1, 1) inputs (no photos are needed for a random network).
Bad files are edits of the tiny int8 file (or the float or uint8 one where
the defect concerns them) made with the flatbuffers object API of TF's
schema (tensorflow.lite.python.schema_py_generated: ModelT.InitFromPackedBuf,
Pack) or, for malformed flatbuffers, by byte surgery on the packed file.

Each case carries the status and message substring the loader gives; with
--lib the library is run on every file (mobilenet_model_load through ctypes)
and any disagreement is reported (exit status 1).

Run (the venv of tools/make_tflite_fixtures.py):
    /work/venv-tfl/bin/python tools/make_tflite_corpus.py \
        [--out tests/corpus] [--lib .build/release/libmobilenet.so]   # ~20 s
then tests/corpus/check.sh.
"""

import argparse
import copy
import ctypes
import os
import struct
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import make_tflite_fixtures as fixtures  # noqa: E402
from make_random_model import metadata as random_metadata, random_tensors  # noqa: E402

ALPHA = 0.0078125   # 2^-7: every layer at the minimum depth of 8
RESOLUTION = 16
CLASSES = 7
SEED = 1
EPSILON = 0.001
CALIBRATION_SAMPLES = 16
MAX_BYTES = 64 * 1024
OWN = ("__tflite_", "good/tflite_")   # the expected.tsv rows this tool owns
HEADING = "# .tflite files (written by tools/make_tflite_corpus.py)"

# schema.fbs constants used below
PADDING_VALID = 1
RELU6 = 3
ADD, CUSTOM = 0, 32
FLOAT16, INT8, FLOAT64 = 1, 9, 10


# ---------------------------------------------------------------- good files

def tiny_net():
    tensors = random_tensors("separable", ALPHA, CLASSES, SEED)
    meta = random_metadata("separable", ALPHA, RESOLUTION, CLASSES, SEED, True, EPSILON)
    net = fixtures.folded_network(dict(tensors), meta)
    for _, _, _, w, _ in net[0]:
        assert max(w.shape[2:]) == 8, w.shape   # 8 channels everywhere
    return net


def calibration():
    rng = np.random.default_rng(SEED)
    return [rng.uniform(-1.0, 1.0, (1, RESOLUTION, RESOLUTION, 3)).astype(np.float32)
            for _ in range(CALIBRATION_SAMPLES)]


def convert_float_hw(tf, net, h, w, softmax):
    """convert_float with a height x width input (the fixtures' is square)."""
    def fn(x):
        logits, probs = fixtures.forward(tf, net, x, softmax)
        return probs if softmax else logits
    f = tf.function(fn, input_signature=[tf.TensorSpec([1, h, w, 3], tf.float32, name="input")])
    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], tf.Module())
    return conv.convert()


def good_files(tf):
    net, calib = tiny_net(), calibration()
    out = {}
    out["tflite_tiny_float"] = blob = fixtures.convert_float(tf, net, RESOLUTION, True)
    fixtures.check_file("tflite_tiny_float", blob, True, "float")
    out["tflite_tiny_int8"] = blob = fixtures.convert_int8(tf, net, RESOLUTION, False, calib)
    fixtures.check_file("tflite_tiny_int8", blob, False, "int8")
    ranges = fixtures.calibrated_ranges(tf, net, calib)
    out["tflite_tiny_uint8"] = blob = fixtures.convert_uint8(tf, net, RESOLUTION, True, ranges)
    fixtures.check_file("tflite_tiny_uint8", blob, True, "uint8")
    # Not a good file: a converter-made 16x12 float model, refused as non-square.
    out["non_square"] = convert_float_hw(tf, net, 16, 12, True)
    return out


# ---------------------------------------------------------------- editing

def schema():
    from tensorflow.lite.python import schema_py_generated
    return schema_py_generated


def unpack(blob):
    return schema().ModelT.InitFromPackedBuf(bytearray(blob), 0)


def pack(model):
    import flatbuffers
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def edit(blob, fn):
    """blob unpacked, changed in place by fn(model, graph), packed again."""
    m = unpack(blob)
    fn(m, m.subgraphs[0])
    return pack(m)


def op_names(m):
    s = schema()
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    return [names[max(m.operatorCodes[op.opcodeIndex].builtinCode,
                       m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode)]
            for op in m.subgraphs[0].operators]


def ops_of(m, name):
    """Indices of the operators called name, in graph order."""
    return [i for i, n in enumerate(op_names(m)) if n == name]


def tensor_of(g, op_index, slot, output=False):
    op = g.operators[op_index]
    return g.tensors[(op.outputs if output else op.inputs)[slot]]


def opcode(m, builtin):
    """Index of builtin's operator code, added if the model has none."""
    for i, c in enumerate(m.operatorCodes):
        if max(c.builtinCode, c.deprecatedBuiltinCode) == builtin:
            return i
    c = schema().OperatorCodeT()
    c.builtinCode, c.deprecatedBuiltinCode, c.version = builtin, min(builtin, 127), 1
    m.operatorCodes.append(c)
    return len(m.operatorCodes) - 1


# Byte surgery: a minimal flatbuffer navigator over the packed file.

def u32(b, at):
    return struct.unpack_from("<I", b, at)[0]


def root_table(b):
    return u32(b, 0)


def vtable_of(b, table):
    return table - struct.unpack_from("<i", b, table)[0]


def field_slot(b, table, index):
    """(position of field index's vtable entry, the field's position)."""
    vt = vtable_of(b, table)
    entry = vt + 4 + 2 * index
    assert 4 + 2 * index < struct.unpack_from("<H", b, vt)[0], "field not in the vtable"
    off = struct.unpack_from("<H", b, entry)[0]
    assert off, "field absent"
    return entry, table + off


def deref(b, at):
    return at + u32(b, at)


def patched(b, at, fmt, value):
    b = bytearray(b)
    struct.pack_into(fmt, b, at, value)
    return bytes(b)


# ---------------------------------------------------------------- bad files

def bad_files(good):
    f32, i8, u8 = good["tflite_tiny_float"], good["tflite_tiny_int8"], good["tflite_tiny_uint8"]
    m8 = unpack(i8)
    conv = ops_of(m8, "CONV_2D")          # conv[0] the first, conv[-1] the logits
    dw = ops_of(m8, "DEPTHWISE_CONV_2D")
    pool = ops_of(m8, "AVERAGE_POOL_2D")[0]
    quantize = ops_of(m8, "QUANTIZE")[0]
    pw1 = dw[0] + 1                       # Conv2d_1_pointwise
    mf = unpack(f32)
    fconv = ops_of(mf, "CONV_2D")
    mu = unpack(u8)
    uconv = ops_of(mu, "CONV_2D")
    out = []

    def add(status, kind, substring, blob):
        out.append((status, kind, substring, blob))

    # ---- malformed flatbuffers (byte surgery) ----
    root = root_table(i8)
    add("format", "truncated_8_bytes", "points outside the file", i8[:8])
    add("format", "truncated_in_root_table", "runs past the end of the file", i8[:root + 6])
    add("format", "truncated_one_byte_short", "runs past the end of the file", i8[:-1])
    add("format", "root_offset_past_end", "points outside the file", patched(i8, 0, "<I", len(i8) + 64))
    add("format", "vtable_offset_out_of_range", "vtable lies outside the file",
        patched(i8, root, "<i", -0x7ffffff0))
    add("format", "vtable_offset_huge", "vtable lies outside the file", patched(i8, root, "<i", 0x7fffffff))
    entry, _ = field_slot(i8, root, 0)
    add("format", "field_outside_table", "field 0 lies outside its table", patched(i8, entry, "<H", 0xfff0))
    _, at = field_slot(i8, root, 1)
    add("format", "vector_length_huge", "operator_codes (2147483647 elements) runs past the end",
        patched(i8, deref(i8, at), "<I", 0x7fffffff))
    _, at = field_slot(i8, root, 4)
    add("format", "buffers_length_huge", "buffers (2147483647 elements) runs past the end",
        patched(i8, deref(i8, at), "<I", 0x7fffffff))
    _, at = field_slot(i8, root, 2)
    sub = deref(i8, deref(i8, at) + 4)
    _, at = field_slot(i8, sub, 0)
    add("format", "tensors_length_huge", "tensors (2147483647 elements) runs past the end",
        patched(i8, deref(i8, at), "<I", 0x7fffffff))

    # ---- inconsistent files (object API) ----
    def e(blob, fn):
        return edit(blob, fn)

    def set_buffer(m, g):
        tensor_of(g, conv[0], 1).buffer = len(m.buffers) + 3
    add("format", "tensor_buffer_out_of_range", "names buffer", e(i8, set_buffer))

    def set_input(value):
        def fn(m, g):
            g.operators[pw1].inputs[1] = value if value < 0 else len(g.tensors)
        return fn
    add("format", "operator_input_out_of_range", "inputs names tensor", e(i8, set_input(0)))
    add("format", "operator_input_negative", "inputs names tensor -2", e(i8, set_input(-2)))

    def set_output(m, g):
        g.outputs = [len(g.tensors)]
    add("format", "graph_output_out_of_range", "the subgraph's outputs names tensor", e(i8, set_output))

    def set_opcode(m, g):
        g.operators[pw1].opcodeIndex = len(m.operatorCodes)
    add("format", "opcode_index_out_of_range", "names opcode", e(i8, set_opcode))

    def custom(m, g):
        c = m.operatorCodes[g.operators[ops_of(m, "RESHAPE")[0]].opcodeIndex]
        c.builtinCode, c.deprecatedBuiltinCode, c.customCode = CUSTOM, CUSTOM, b"TinyCustomOp"
    add("unsupported", "custom_op", "custom operator 'TinyCustomOp'", e(i8, custom))

    def two_subgraphs(m, g):
        m.subgraphs.append(copy.deepcopy(g))
    add("unsupported", "two_subgraphs", "2 subgraphs", e(i8, two_subgraphs))

    def no_subgraph(m, g):
        m.subgraphs = []
    add("format", "no_subgraph", "no subgraph", e(i8, no_subgraph))

    def version2(m, g):
        m.version = 2
    add("unsupported", "schema_version_2", "schema version 2", e(i8, version2))

    def negative_dim(m, g):
        t = tensor_of(g, conv[0], 0, output=True)
        t.shape = np.array([1, -8, 8, 8], np.int32)
    add("format", "negative_dimension", "negative dimension -8", e(i8, negative_dim))

    def short_weights(m, g):
        b = m.buffers[tensor_of(g, pw1, 1).buffer]
        b.data = b.data[:-1]
    add("format", "weights_one_byte_short", "needs 64", e(i8, short_weights))

    def tensor_type(m, g):
        tensor_of(g, conv[0], 0, output=True).type = FLOAT64
    add("unsupported", "tensor_type_float64", "tensor type 10", e(i8, tensor_type))

    def scale(value):
        def fn(m, g):
            tensor_of(g, conv[0], 0, output=True).quantization.scale = np.array([value], np.float32)
        return fn
    add("format", "scale_nan", "scale nan (must be finite and > 0)", e(i8, scale(np.nan)))
    add("format", "scale_zero", "scale 0.0 (must be finite and > 0)", e(i8, scale(0.0)))
    add("format", "scale_negative", "scale -0.5 (must be finite and > 0)", e(i8, scale(-0.5)))

    def zero_point_count(m, g):
        tensor_of(g, conv[0], 0, output=True).quantization.zeroPoint = np.array([0, 0], np.int64)
    add("format", "zero_point_count", "1 scales and 2 zero points", e(i8, zero_point_count))

    def per_channel_count(m, g):
        q = tensor_of(g, conv[0], 1).quantization
        q.scale, q.zeroPoint = q.scale[:7], q.zeroPoint[:7]
    add("format", "per_channel_scale_count", "7 scales for dimension 0", e(i8, per_channel_count))

    def weight_zero_point(m, g):
        q = tensor_of(g, pw1, 1).quantization
        q.zeroPoint = np.ones_like(q.zeroPoint)
    add("format", "int8_weight_zero_point_1", "weight zero point is 1", e(i8, weight_zero_point))

    def uint8_zero_point(m, g):
        tensor_of(g, uconv[0], 0, output=True).quantization.zeroPoint = np.array([300], np.int64)
    add("format", "uint8_activation_zero_point_300", "zero point 300, outside uint8", e(u8, uint8_zero_point))

    def uint8_per_channel(m, g):
        w = tensor_of(g, uconv[0], 1)
        w.quantization.scale = np.repeat(w.quantization.scale, 8)
        w.quantization.zeroPoint = np.repeat(w.quantization.zeroPoint, 8)
        w.quantization.quantizedDimension = 0
    add("unsupported", "uint8_per_channel_weights", "per-channel uint8 weights", e(u8, uint8_per_channel))

    def multiplier(m, g):
        tensor_of(g, conv[0], 0, output=True).quantization.scale = np.array([1e-30], np.float32)
    add("unsupported", "multiplier_too_large", "multiplier", e(i8, multiplier))

    def options(index, **fields):
        def fn(m, g):
            for k, v in fields.items():
                setattr(g.operators[index].builtinOptions, k, v)
        return fn
    add("unsupported", "depthwise_stride_2", "expected stride 1", e(i8, options(dw[0], strideW=2, strideH=2)))
    add("unsupported", "conv3x3_valid_padding", "padding valid", e(i8, options(conv[0], padding=PADDING_VALID)))
    add("unsupported", "missing_relu6", "expected RELU6", e(i8, options(pw1, fusedActivationFunction=0)))
    add("unsupported", "logits_relu6", "expected none",
        e(i8, options(conv[-1], fusedActivationFunction=RELU6)))
    add("unsupported", "dilation_2", "dilation 2x2",
        e(i8, options(dw[1], dilationWFactor=2, dilationHFactor=2)))
    # (The message names the layer but, as of this writing, not its depth multiplier.)
    add("unsupported", "depth_multiplier_2", "(Conv2d_2_depthwise has", e(i8, options(dw[1], depthMultiplier=2)))
    add("unsupported", "average_pool_filter_not_map", "AVERAGE_POOL_2D is 2x2",
        e(i8, options(pool, filterWidth=2, filterHeight=2)))

    def drop_conv(m, g):
        del g.operators[conv[-2]]    # the 27th convolution, Conv2d_13_pointwise
    add("unsupported", "conv_removed", "it has 27 convolutions", e(i8, drop_conv))

    def drop_reshape(m, g):
        del g.operators[ops_of(m, "RESHAPE")[0]]
    add("unsupported", "no_reshape", "expected SQUEEZE", e(i8, drop_reshape))

    def extra_add(m, g):
        src = g.operators[pw1].outputs[0]
        t = copy.deepcopy(g.tensors[src])
        t.name = b"extra_add"
        g.tensors.append(t)
        op = schema().OperatorT()
        op.opcodeIndex = opcode(m, ADD)
        op.inputs, op.outputs = [src, src], [len(g.tensors) - 1]
        op.builtinOptionsType = schema().BuiltinOptions.AddOptions
        op.builtinOptions = schema().AddOptionsT()
        g.operators[pw1 + 1].inputs[0] = len(g.tensors) - 1
        g.operators.insert(pw1 + 1, op)
    add("unsupported", "extra_add_op", "found builtin operator 0", e(i8, extra_add))

    def not_previous(m, g):
        g.operators[dw[1]].inputs[0] = g.operators[quantize].outputs[0]
    add("unsupported", "op_skips_previous_output", "does not read the previous operator's output",
        e(i8, not_previous))

    def input_channels(m, g):
        t = g.tensors[g.inputs[0]]
        t.shape = np.array([1, 16, 16, 4], np.int32)
        t.shapeSignature = None
    add("unsupported", "input_4_channels", "its input has shape [1, 16, 16, 4]", e(i8, input_channels))

    def avgpool_requantizes(m, g):
        q = tensor_of(g, pool, 0, output=True).quantization
        q.scale = q.scale * 2
    add("unsupported", "average_pool_changes_quantization", "the average pool changes the quantization",
        e(i8, avgpool_requantizes))

    def external_buffer(m, g):
        b = m.buffers[tensor_of(g, conv[0], 1).buffer]
        b.offset, b.size = 4096, len(b.data)
        b.data = None
    add("unsupported", "external_buffer", "outside the flatbuffer", e(i8, external_buffer))

    # ---- float files ----
    def float16_weights(m, g):
        w = tensor_of(g, fconv[1], 1)
        b = m.buffers[w.buffer]
        b.data = np.frombuffer(np.frombuffer(b.data.tobytes(), np.float32).astype(np.float16).tobytes(),
                               np.uint8)
        w.type = FLOAT16
    add("unsupported", "float16_weights", "hybrid and float16", e(f32, float16_weights))

    def int8_weights(m, g):
        w = tensor_of(g, fconv[1], 1)
        b = m.buffers[w.buffer]
        v = np.frombuffer(b.data.tobytes(), np.float32)
        s = float(np.abs(v).max()) / 127
        b.data = np.frombuffer(np.round(v / s).astype(np.int8).tobytes(), np.uint8)
        w.type = INT8
        q = schema().QuantizationParametersT()
        q.scale, q.zeroPoint = np.array([s], np.float32), np.array([0], np.int64)
        w.quantization = q
    add("unsupported", "int8_weights_float_activations", "hybrid and float16", e(f32, int8_weights))

    def nan_weight(m, g):
        b = m.buffers[tensor_of(g, fconv[1], 1).buffer]
        d = bytearray(b.data.tobytes())
        d[4:8] = struct.pack("<f", float("nan"))
        b.data = np.frombuffer(bytes(d), np.uint8)
    add("format", "float_nan_weight", "NaN or infinite value at element 1", e(f32, nan_weight))

    add("unsupported", "non_square_input", "only square inputs", good["non_square"])
    return [(status, "tflite_" + kind, substring, blob) for status, kind, substring, blob in out]


# ---------------------------------------------------------------- checking

STATUS = {0: "OK", 1: "INVALID_ARGUMENT", 2: "IO", 3: "FORMAT", 4: "UNSUPPORTED", 5: "OUT_OF_MEMORY",
          6: "BUFFER_TOO_SMALL", 7: "INTERNAL"}


def library_verdicts(lib_path, paths):
    """{path: (status name, message)} from mobilenet_model_load; each file
    runs in a child process so that a crash is reported, not fatal."""
    import subprocess
    code = ("import ctypes,sys\n"
            "lib=ctypes.CDLL(sys.argv[1]); lib.mobilenet_last_error.restype=ctypes.c_char_p\n"
            "m=ctypes.c_void_p(); s=lib.mobilenet_model_load(sys.argv[2].encode(),None,ctypes.byref(m))\n"
            "print(s); print(lib.mobilenet_last_error().decode('utf-8','replace'))\n"
            "s==0 and lib.mobilenet_model_free(m)\n")
    out = {}
    for p in paths:
        r = subprocess.run([sys.executable, "-c", code, lib_path, p], capture_output=True, text=True)
        if r.returncode != 0:
            out[p] = ("CRASH", f"exit {r.returncode}: {r.stderr.strip()[-300:]}")
            continue
        lines = r.stdout.split("\n", 1)
        out[p] = (STATUS.get(int(lines[0]), lines[0]), lines[1].rstrip("\n"))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "corpus"))
    ap.add_argument("--lib", default=None, help="a libmobilenet.so to run on every file written")
    args = ap.parse_args(argv)

    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    good_dir, bad_dir = os.path.join(args.out, "good"), os.path.join(args.out, "bad")
    for d in (good_dir, bad_dir):
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            if name.endswith(".tflite") and "tflite_" in name:
                os.remove(os.path.join(d, name))

    good = good_files(tf)
    # The object API round trip alone must keep a file loadable: checked below.
    good_rt = pack(unpack(good["tflite_tiny_int8"]))
    written, rows = [], []
    for name in ("tflite_tiny_float", "tflite_tiny_int8", "tflite_tiny_uint8"):
        rel = f"good/{name}.tflite"
        written.append((rel, "OK", "", good[name]))
    seen = set()
    for status, kind, substring, blob in bad_files(good):
        name = f"{status}__{kind}.tflite"
        assert name not in seen, name
        seen.add(name)
        written.append((f"bad/{name}", status.upper(), substring, blob))
    for rel, status, substring, blob in written:
        assert len(blob) < MAX_BYTES, (rel, len(blob))
        assert "\t" not in substring and "\n" not in substring
        with open(os.path.join(args.out, rel), "wb") as f:
            f.write(blob)
        rows.append(f"{rel}\t{status}\t{substring}")

    tsv = os.path.join(args.out, "expected.tsv")
    kept = []
    if os.path.exists(tsv):
        with open(tsv) as f:
            kept = [line.rstrip("\n") for line in f if line.strip() and not line.startswith(HEADING)
                    and not any(o in line.split("\t")[0] for o in OWN)]
    bad_rows = [r for r in rows if r.startswith("bad/")]
    good_rows = [r for r in rows if r.startswith("good/")]
    with open(tsv, "w") as f:
        f.write("\n".join(kept + [HEADING] + bad_rows + good_rows) + "\n")
    total = sum(len(b) for *_, b in written)
    print(f"wrote {len(good_rows)} good and {len(bad_rows)} bad .tflite files, {total} bytes, "
          f"largest {max(len(b) for *_, b in written)}, to {args.out}", file=sys.stderr)

    if args.lib:
        paths = [os.path.join(args.out, rel) for rel, *_ in written]
        rt = os.path.join(args.out, ".roundtrip.tflite")
        with open(rt, "wb") as f:
            f.write(good_rt)
        verdicts = library_verdicts(args.lib, paths + [rt])
        os.remove(rt)
        problems = 0
        if verdicts[rt][0] != "OK":
            print(f"the unmodified int8 file, unpacked and packed, does not load: {verdicts[rt]}")
            problems += 1
        for (rel, status, substring, _), p in zip(written, paths):
            got, message = verdicts[p]
            ok = got == status and substring in message
            problems += not ok
            print(f"{'ok  ' if ok else 'DIFF'} {rel}\t{got}\t{message}"
                  + ("" if ok else f"\n     expected {status}, '{substring}'"))
        print(f"{problems} disagreement(s) with the library")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
