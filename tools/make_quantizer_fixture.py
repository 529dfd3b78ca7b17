#!/usr/bin/env python3
"""Write tests/fixtures/tflite/quantizer_reference.safetensors: what LiteRT's
reference kernels compute with .tflite files written by libmobilenet's own
quantizer (mobilenet.quantize), so CI checks, without LiteRT, that the files
we write mean to LiteRT what they mean to us.

Two files are made, with the default options and calibration images that
are committed (tests/fixtures/tflite/tflite_reference.safetensors, so the
result is reproducible anywhere):
  small: tests/fixtures/tflite/mobilenet_v1_0.25_128.safetensors calibrated
         on every photo's input_128;
  big:   the bundled mobilenet_v1_1.0_224 calibrated on the input_224 of
         astronaut, camera, coins and rocket.
Each is made twice, as the two kinds of float arithmetic calibrate it: "fma"
(the avx2 and avx512 tiers, which give the same float bits) and "generic"
(MOBILENET_MAX_ISA=generic: no fused multiply-adds, so the last bits of the
calibration statistics differ and can move a range or a corrected bias).
Stored per file and kind: the sha256 of the bytes we wrote (metadata
"files", keyed "<file>/<kind>"), and `<photo>/<file>/<kind>/litert_ref_logits`
for every photo: LiteRT 2.x, BUILTIN_REF op resolver, 1 thread, float input
and output. tests/python/test_quantize.py quantizes again on the tier it
runs on, checks that kind's sha256, and runs our engine on the file.

Run (LiteRT in a venv outside the repo, the library built):
    MOBILENET_LIBRARY=$PWD/.build/release/libmobilenet.so PYTHONPATH=bindings/python \\
        bench/.venv/bin/python tools/make_quantizer_fixture.py     (bench/run.sh installs LiteRT there)
"""

import hashlib
import json
import os
import sys
import tempfile

import numpy as np

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "python"))
sys.path.insert(0, os.path.join(REPO, "tools"))
TFLITE = os.path.join(REPO, "tests", "fixtures", "tflite")
OUT = os.path.join(TFLITE, "quantizer_reference.safetensors")

import mobilenet  # noqa: E402
from mn_support import read_safetensors  # noqa: E402

BIG_CALIBRATION = ("astronaut", "camera", "coins", "rocket")


def calibration(tensors, photos, size):
    return np.ascontiguousarray(np.concatenate(
        [tensors[f"{p}/input_{size}"].astype(np.float32) for p in photos]))


KINDS = {"fma": None, "generic": "generic"}  # kind -> MOBILENET_MAX_ISA while quantizing


def kind_of_tier(isa):
    """The float arithmetic a tier calibrates with (every tier but generic fuses multiply-adds)."""
    return "generic" if isa == "generic" else "fma"


def files(tensors, photos):
    """(name, model path, calibration array, size) of each file made."""
    return [
        ("small", os.path.join(TFLITE, "mobilenet_v1_0.25_128.safetensors"),
         calibration(tensors, photos, 128), 128),
        ("big", os.path.join(REPO, "models", "mobilenet_v1_1.0_224.safetensors"),
         calibration(tensors, BIG_CALIBRATION, 224), 224),
    ]


def main():
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    import safetensors_io

    tensors, _ = read_safetensors(os.path.join(TFLITE, "tflite_reference.safetensors"))
    photos = sorted({k.split("/")[0] for k in tensors})
    out, info = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, calib, size in files(tensors, photos):
            for kind, cap in KINDS.items():
                path = os.path.join(tmp, f"{name}_{kind}.tflite")
                saved = os.environ.pop("MOBILENET_MAX_ISA", None)
                if cap:
                    os.environ["MOBILENET_MAX_ISA"] = cap
                try:
                    with mobilenet.Model(model) as m:
                        assert kind_of_tier(m.isa) == kind, (kind, m.isa)
                    mobilenet.quantize(model, calib, path)
                finally:
                    os.environ.pop("MOBILENET_MAX_ISA", None)
                    if saved is not None:
                        os.environ["MOBILENET_MAX_ISA"] = saved
                data = open(path, "rb").read()
                info[f"{name}/{kind}"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                it = Interpreter(model_path=path, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                                 num_threads=1)
                it.allocate_tensors()
                i, o = it.get_input_details()[0], it.get_output_details()[0]
                for p in photos:
                    it.set_tensor(i["index"], tensors[f"{p}/input_{size}"].astype(np.float32))
                    it.invoke()
                    out[f"{p}/{name}/{kind}/litert_ref_logits"] = np.ascontiguousarray(it.get_tensor(o["index"]))
                print(name, kind, info[f"{name}/{kind}"], "LiteRT ran", len(photos), "photos")
    import ai_edge_litert
    safetensors_io.save(OUT, out, {
        "files": json.dumps(info, sort_keys=True),
        "big_calibration": json.dumps(BIG_CALIBRATION),
        "litert": getattr(ai_edge_litert, "__version__", "unknown"),
        "library": mobilenet.version()})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
