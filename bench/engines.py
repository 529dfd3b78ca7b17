#!/usr/bin/env python3
"""The engines the benchmark compares, and the model conversions they need.

Every engine runs the SAME weights file (the bundled safetensors model, or a
random one in --configs mode):

  libmobilenet  the library itself, through the C ABI (bench/mobilenet_ctypes.py)
  onnxruntime   tools/reference_onnx.py's ONNX graph, all graph optimizations on
  litert        TFLite float32 from TensorFlow's converter, fed a tf.function
                of tools/tf_from_safetensors.py's graph; LiteRT interpreter,
                XNNPACK delegate (the default for float models), num_threads
  openvino      reads the same ONNX file; CPU plugin, f32, latency hint
  ncnn          the ONNX file converted by pnnx (the binary inside the pnnx
                wheel; f32 weights), run with ncnn's Python binding

With --int8 FILE (bench.py) libmobilenet, LiteRT and OpenVINO all read one
full-integer int8 .tflite file instead (OpenVINO through its TFLite
frontend), and libmobilenet also runs the bundled float32 model as a row of
its own ("libmobilenet-fp32"), for the int8/fp32 gain.

Input is NHWC float32 [N, H, W, 3] for all of them (the ONNX graph starts
with a Transpose, the ncnn graph with a Permute); output [N, K] logits.

Each engine's tier() says which instruction set it runs on, where the engine
tells: libmobilenet's mobilenet_model_isa, OpenVINO's compiled runtime model
(each node's primitiveType, e.g. brgconv_avx512_1x1_f32) and its
OPTIMIZATION_CAPABILITIES. ONNX Runtime (MLAS), LiteRT (XNNPACK) and ncnn pick
their kernels from CPUID at start and do not report the choice.

Conversions run in a child process of bench.py (`engines.py convert KIND
MODEL OUT --size H`), so TensorFlow is imported only when a TFLite file is
not cached yet.
"""

import argparse
import collections
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = os.path.join(ROOT, "tools")

ENGINES = ["libmobilenet", "onnxruntime", "litert", "openvino", "ncnn"]
# --int8: libmobilenet on the bundled float32 model, next to the int8 rows
FP32 = "libmobilenet-fp32"
ALIASES = {"ours": "libmobilenet", "mobilenet": "libmobilenet", "ort": "onnxruntime",
           "tflite": "litert", "xnnpack": "litert", "ov": "openvino"}
# which cached artifact each engine reads
ARTIFACT = {"libmobilenet": None, FP32: None, "onnxruntime": "onnx", "litert": "tflite",
            "openvino": "onnx", "ncnn": "ncnn"}
# the Python modules an engine needs, to tell "not installed" from "failed"
MODULES = {"libmobilenet": [], FP32: [], "onnxruntime": ["onnxruntime"], "litert": ["ai_edge_litert"],
           "openvino": ["openvino"], "ncnn": ["ncnn"]}
CONVERTER_MODULES = {"onnx": ["onnx", "onnxruntime"], "tflite": ["tensorflow"],
                     "ncnn": ["onnx", "onnxruntime", "pnnx"]}


def canonical(name):
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r} (known: {', '.join(ENGINES)})")
    return name


def missing_modules(names):
    return [m for m in names if importlib.util.find_spec(m) is None]


def dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return None


# ---------------------------------------------------------------- conversions

def convert_onnx(model_path, out, size):
    sys.path.insert(0, TOOLS)
    import onnx
    from reference_onnx import build_onnx
    onnx.save(build_onnx(model_path, size, size), out)
    return {"onnx": onnx.__version__, "builder": "tools/reference_onnx.py build_onnx"}


def convert_tflite(model_path, out, size):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    sys.path.insert(0, TOOLS)
    import numpy as np
    import tensorflow as tf
    import safetensors_io
    from tf_from_safetensors import build

    tensors, meta = safetensors_io.load(model_path)
    eps = float(meta.get("batchnorm_epsilon", "0.001"))

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32, name="input")])
    def forward(x):
        return build(tf, tensors, eps, x, np.float32)

    concrete = forward.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], forward)
    converter.optimizations = []  # plain float32: no quantization, no fp16
    with open(out, "wb") as f:
        f.write(converter.convert())
    return {"tensorflow": tf.__version__, "builder": "tools/tf_from_safetensors.py build"}


def pnnx_binary():
    spec = importlib.util.find_spec("pnnx")  # the package itself imports torch; find, don't import
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pnnx package is not installed")
    path = os.path.join(list(spec.submodule_search_locations)[0], "pnnx")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"no pnnx executable at {path}")
    return path


def convert_ncnn(model_path, out, size):
    """pnnx: ONNX (built as for onnxruntime) -> ncnn .param/.bin, f32 weights."""
    exe = pnnx_binary()
    with tempfile.TemporaryDirectory(prefix="bench-pnnx-") as tmp:
        onnx_path = os.path.join(tmp, "mobilenet.onnx")
        convert_onnx(model_path, onnx_path, size)
        cmd = [exe, onnx_path, f"inputshape=[1,{size},{size},3]f32", "fp16=0",
               f"ncnnparam={out}.param", f"ncnnbin={out}.bin"] + \
              [f"{k}={os.path.join(tmp, 'x.' + k)}" for k in
               ("pnnxparam", "pnnxbin", "pnnxpy", "pnnxonnx", "ncnnpy")]
        run = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        if run.returncode != 0 or not os.path.exists(out + ".param"):
            tail = (run.stdout + run.stderr).strip().splitlines()[-5:]
            raise RuntimeError("pnnx failed: " + " | ".join(tail))
    with open(out, "w") as f:  # the marker the cache looks for
        f.write("ncnn model: see .param and .bin\n")
    return {"pnnx": dist_version("pnnx"), "builder": "tools/reference_onnx.py build_onnx + pnnx"}


CONVERTERS = {"onnx": convert_onnx, "tflite": convert_tflite, "ncnn": convert_ncnn}


# ---------------------------------------------------------------- engines

class Engine:
    """load() once, then run(x) -> logits [N, K] as many times as wanted."""
    name = "?"

    def __init__(self, model_path, artifact, threads, batch, size):
        self.model_path, self.artifact = model_path, artifact
        self.threads, self.batch, self.size = threads, batch, size
        self.notes = []

    def version(self):
        return ""

    def tier(self):
        """The kernels' instruction set, as far as the engine tells."""
        return "not reported (detects the CPU at start)"

    def precision(self):
        """The arithmetic the loaded model runs in, where the engine tells."""
        return None

    def per_image(self, load_batch, why):
        """Loads for batch `load_batch` and, if that fails because the file
        fixes batch 1 (the int8 .tflite's RESHAPE has the constant shape
        [1, 1001]), loads for batch 1 and runs a batch as that many calls,
        as ncnn does: the file is run as it is, not edited."""
        try:
            load_batch(self.batch)
            self.loop = False
        except RuntimeError as e:
            if self.batch == 1:
                raise
            load_batch(1)
            self.loop = True
            first = str(e).strip().splitlines()[0][:160]
            self.notes.append(f"batch > 1 as one call per image: {why} ({first})")

    def load(self):
        raise NotImplementedError

    def run(self, x):
        raise NotImplementedError


class LibMobileNet(Engine):
    name = "libmobilenet"

    def load(self):
        sys.path.insert(0, HERE)
        import mobilenet_ctypes
        lib_path = os.environ.get("BENCH_LIB") or os.path.join(ROOT, ".build/release/libmobilenet.so")
        self.lib = mobilenet_ctypes.Library(lib_path)
        self.model = self.lib.load(self.model_path, self.threads)

    def version(self):
        return self.lib.version()

    def precision(self):
        p = self.model.precision()
        return f"{p} (mobilenet_model_precision)" if p else None

    def tier(self):
        isa = self.model.isa()
        if isa is None:
            return "not reported (library without tiers, before 0.2.0)"
        cap = os.environ.get("MOBILENET_MAX_ISA")
        return f"{isa} (mobilenet_model_isa" + (f"; MOBILENET_MAX_ISA={cap}" if cap else "") + ")"

    def run(self, x):
        return self.model.run(x)


class OnnxRuntime(Engine):
    name = "onnxruntime"

    def load(self):
        import onnxruntime as ort
        self.ort = ort
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(self.artifact, opts, providers=["CPUExecutionProvider"])

    def version(self):
        return self.ort.__version__

    def tier(self):
        return "not reported (MLAS detects the CPU at start; no switch to cap it)"

    def run(self, x):
        return self.session.run(["logits"], {"input": x})[0]


class LiteRT(Engine):
    name = "litert"

    def load(self):
        self.per_image(self.load_batch, "LiteRT cannot resize this file's batch")
        ops = [op["op_name"] for op in self.interp._get_ops_details()]
        if "DELEGATE" not in ops:
            raise RuntimeError("LiteRT did not apply the XNNPACK delegate")

    def load_batch(self, batch):
        from ai_edge_litert.interpreter import Interpreter
        self.interp = Interpreter(model_path=self.artifact, num_threads=self.threads)
        inp = self.interp.get_input_details()[0]
        self.interp.resize_tensor_input(inp["index"], [batch, self.size, self.size, 3])
        self.interp.allocate_tensors()
        self.inp = inp["index"]
        self.out = self.interp.get_output_details()[0]["index"]

    def version(self):
        return dist_version("ai-edge-litert") or ""

    def tier(self):
        return "not reported (XNNPACK detects the CPU at start; no switch to cap it)"

    def run(self, x):
        if self.loop:
            return loop_images(self.run_one, x)
        return self.run_one(x)

    def run_one(self, x):
        self.interp.set_tensor(self.inp, x)
        self.interp.invoke()
        return self.interp.get_tensor(self.out)


class OpenVINO(Engine):
    name = "openvino"

    def load(self):
        import openvino as ov
        self.ov = ov
        core = ov.Core()
        self.per_image(lambda batch: self.load_batch(core, batch),
                       "OpenVINO cannot reshape this file's batch")
        try:
            self.capabilities = list(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
        except Exception:  # noqa: BLE001 -- only a label
            self.capabilities = None

    def load_batch(self, core, batch):
        # an int8 .tflite goes through the TFLite frontend: its quantized
        # tensors become FakeQuantize nodes, which the CPU plugin runs as int8
        # kernels (the runtime model's primitiveType says *_int8 / *_u8s8)
        model = core.read_model(self.artifact)
        model.reshape({model.inputs[0]: self.ov.PartialShape([batch, self.size, self.size, 3])})
        config = {"INFERENCE_NUM_THREADS": self.threads, "PERFORMANCE_HINT": "LATENCY",
                  "NUM_STREAMS": 1, "INFERENCE_PRECISION_HINT": "f32"}
        self.compiled = core.compile_model(model, "CPU", config)
        self.request = self.compiled.create_infer_request()

    def version(self):
        return self.ov.get_version().split("-")[0]

    def primitives(self):
        """{layer type: Counter(primitiveType)} of the compiled model's
        compute nodes (the runtime model: what the CPU plugin will execute)."""
        kinds = collections.defaultdict(collections.Counter)
        for op in self.compiled.get_runtime_model().get_ordered_ops():
            info = op.get_rt_info()
            if "layerType" not in info or "primitiveType" not in info:
                continue
            layer, prim = info["layerType"].astype(str), info["primitiveType"].astype(str)
            if prim.startswith(("unknown", "reorder")) or layer in ("Input", "Output", "Const"):
                continue
            kinds[layer][prim] += 1
        return kinds

    @staticmethod
    def isa_of(primitive):
        """brgconv_avx512_1x1_f32 -> avx512, jit_sse42_dw_f32 -> sse42; a name
        without an ISA in it (jit_gemm_f32, ref_any_f32) stays as it is."""
        m = re.search(r"(?:^|_)(sse\d+|avx512(?:_core)?(?:_vnni|_bf16|_fp16|_amx\w*)?|avx2(?:_vnni\w*)?|avx|amx\w*)(?:_|$)",
                      primitive)
        return m.group(1) if m else primitive

    def tier(self):
        parts = []
        try:
            kinds = self.primitives()
            convs = kinds.get("Convolution", {})
            if convs:
                isas = sorted({self.isa_of(p) for p in convs})
                parts.append("oneDNN convolutions " + "/".join(isas))
            detail = "; ".join(f"{layer}: " + ", ".join(f"{p} x{n}" for p, n in sorted(c.items()))
                               for layer, c in sorted(kinds.items()))
            if detail:
                parts.append(f"runtime model primitiveType {detail}")
        except Exception as e:  # noqa: BLE001 -- only a label
            parts.append(f"runtime model not readable ({e})")
        cap = os.environ.get("ONEDNN_MAX_CPU_ISA")
        if cap:
            parts.append(f"ONEDNN_MAX_CPU_ISA={cap}")
        if self.capabilities is not None:
            parts.append("OPTIMIZATION_CAPABILITIES " + ", ".join(self.capabilities))
        return "; ".join(parts) or "not reported"

    def run(self, x):
        if self.loop:
            return loop_images(self.run_one, x)
        return self.run_one(x)

    def run_one(self, x):
        self.request.infer({0: x})
        return self.request.get_output_tensor(0).data


class NCNN(Engine):
    name = "ncnn"

    def load(self):
        import ncnn
        self.ncnn = ncnn
        net = ncnn.Net()
        opt = net.opt
        opt.num_threads = self.threads
        opt.use_vulkan_compute = False
        # float32 end to end, like the other engines
        for flag in ("use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic",
                     "use_bf16_storage", "use_int8_inference"):
            if hasattr(opt, flag):
                setattr(opt, flag, False)
        if net.load_param(self.artifact + ".param") != 0 or net.load_model(self.artifact + ".bin") != 0:
            raise RuntimeError("ncnn could not load the converted model")
        self.net = net

    def version(self):
        return self.ncnn.__version__

    def run(self, x):
        import numpy as np
        rows = []
        for i in range(x.shape[0]):
            ex = self.net.create_extractor()
            ex.input("in0", self.ncnn.Mat(x[i]))
            _, mat = ex.extract("out0")
            rows.append(np.array(mat).reshape(-1))
        return np.stack(rows)


def loop_images(run_one, x):
    import numpy as np
    return np.concatenate([np.array(run_one(x[i:i + 1])) for i in range(x.shape[0])])


def tflite_output_step(path):
    """The quantization step (scale) of an 8-bit .tflite's logits: the scale
    of the tensor its final DEQUANTIZE reads, or None (a float file, or no
    LiteRT to read it with)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
        interp = Interpreter(model_path=path)
        tensors = {t["index"]: t for t in interp.get_tensor_details()}
        out = interp.get_output_details()[0]["index"]
        for op in interp._get_ops_details():
            if op["op_name"] == "DEQUANTIZE" and out in list(op["outputs"]):
                return float(tensors[op["inputs"][0]]["quantization"][0]) or None
    except Exception:  # noqa: BLE001 -- then the report gives |Δ| in logit units
        pass
    return None


CLASSES = {c.name: c for c in (LibMobileNet, OnnxRuntime, LiteRT, OpenVINO, NCNN)}
CLASSES[FP32] = LibMobileNet


def make(name, model_path, artifact, threads, batch, size):
    return CLASSES[name](model_path, artifact, threads, batch, size)


def main(argv=None):
    ap = argparse.ArgumentParser(description="convert a weights file for one engine")
    sub = ap.add_subparsers(dest="cmd", required=True)
    cv = sub.add_parser("convert")
    cv.add_argument("kind", choices=sorted(CONVERTERS))
    cv.add_argument("model")
    cv.add_argument("out")
    cv.add_argument("--size", type=int, default=224)
    args = ap.parse_args(argv)
    tmp = args.out + ".part"
    info = CONVERTERS[args.kind](args.model, tmp, args.size)
    if args.kind == "ncnn":
        for ext in (".param", ".bin"):
            os.replace(tmp + ext, args.out + ext)
    os.replace(tmp, args.out)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
