"""Helpers and paths shared by the tests (imported as a plain module: pytest
puts tests/python on sys.path)."""

import importlib
import json
import struct
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
FIXTURES = REPO / "tests" / "fixtures"
IMAGES = REPO / "examples" / "images"
HEADER = REPO / "include" / "mobilenet.h"
MODEL_PATH = REPO / "models" / "mobilenet_v1_1.0_224.safetensors"

# ---------------------------------------------------------------------------
# A tiny safetensors reader (numpy only), independent of tools/.

_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "U8": "u1", "I8": "i1",
           "I32": "<i4", "I64": "<i8", "U32": "<u4", "U16": "<u2", "I16": "<i2"}


def read_safetensors(path):
    """(dict name -> ndarray, metadata dict) of a safetensors file."""
    blob = Path(path).read_bytes()
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])
    metadata = header.pop("__metadata__", {}) or {}
    data = blob[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=np.dtype(_DTYPES[entry["dtype"]]))
        tensors[name] = array.reshape(entry["shape"]).copy()
    return tensors, metadata


def softmax(logits):
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def top_k(logits, k):
    """Indices of the k largest values, largest first (ties: lower index)."""
    logits = np.asarray(logits).ravel()
    return [int(i) for i in np.lexsort((np.arange(logits.size), -logits))[:k]]


def import_tool(name):
    """A module of tools/ (imported by path)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module(name)


def tf_fixture_names():
    return sorted(p.name[len("tf_reference_"):-len(".safetensors")]
                  for p in FIXTURES.glob("tf_reference_*.safetensors"))
