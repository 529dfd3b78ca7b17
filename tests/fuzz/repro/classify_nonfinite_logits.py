#!/usr/bin/env python3
"""Reproducer: a model whose weights are all finite (so it loads) but whose
logits overflow to +-infinity makes mobilenet_model_classify_rgb8 return OK
while writing none (or not all) of the top_k predictions: the caller gets
uninitialised entries (garbage class_index and label pointers) with status OK.

    tests/fuzz/repro/classify_nonfinite_logits.py [path/to/libmobilenet.so]

Cause: Softmax.inPlace subtracts the maximum logit; with an infinite logit
that is inf - inf = NaN, so every probability is NaN, and Softmax.topK never
selects a NaN (NaN < x and NaN == x are both false), so `emit` is never called.
Exit status 1 if the bug is present, 0 if fixed.
"""
import ctypes
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests", "corpus"))
import make_corpus  # noqa: E402
import safetensors_io  # noqa: E402  (on the path via make_corpus)

lib_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "libmobilenet.so")
lib = ctypes.CDLL(lib_path)
lib.mobilenet_last_error.restype = ctypes.c_char_p


class Prediction(ctypes.Structure):
    _fields_ = [("class_index", ctypes.c_int), ("probability", ctypes.c_float), ("label", ctypes.c_void_p)]


# A valid tiny model (alpha 0.01, 5 classes) with large but finite logits weights:
# pooled activations are >= 0 (ReLU6), so bias 3e38 plus the weighted sum overflows to +inf.
tensors, meta = make_corpus.base()
i = make_corpus.tensor_index(tensors, "Logits/Conv2d_1c_1x1/weights")
tensors[i][1] = np.full_like(tensors[i][1], 3e38)
j = make_corpus.tensor_index(tensors, "Logits/Conv2d_1c_1x1/biases")
tensors[j][1] = np.full_like(tensors[j][1], 3e38)  # logit = 3e38 + (>= 0) overflows to +inf
blob = safetensors_io.dumps(tensors, meta)

model = ctypes.c_void_p()
status = lib.mobilenet_model_load_memory(blob, len(blob), None, ctypes.byref(model))
print("load:", status, lib.mobilenet_last_error().decode())
assert status == 0

k = 5
preds = (Prediction * k)()
for p in preds:  # sentinel: "not written"
    p.class_index, p.probability, p.label = -12345, -1.0, 0xDEAD
rgb = (ctypes.c_uint8 * (8 * 8 * 3))(*([200] * (8 * 8 * 3)))
status = lib.mobilenet_model_classify_rgb8(model, rgb, 8, 8, ctypes.c_size_t(24), k, preds)
print("classify:", status, repr(lib.mobilenet_last_error().decode()))
written = sum(p.class_index != -12345 for p in preds)
for r, p in enumerate(preds):
    print(f"  rank {r}: class_index {p.class_index} probability {p.probability} label {p.label:#x}")
logits = (ctypes.c_float * 5)()
inp = (ctypes.c_float * (8 * 8 * 3))(*([0.5] * (8 * 8 * 3)))
print("run:", lib.mobilenet_model_run(model, inp, 1, 8, 8, logits, ctypes.c_size_t(5)), list(logits))
lib.mobilenet_model_free(model)
if status == 0 and written < k:
    print(f"BUG: classify returned OK but wrote {written} of {k} predictions")
    sys.exit(1)
print("ok: all predictions written (or an error status)")
