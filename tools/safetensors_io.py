"""Minimal, hand-written safetensors reader and writer (numpy only).

Why this exists: every tool in tools/ (the GraphDef converter, the random
model generator, the fixture maker and the ONNX reference) reads or writes
safetensors files, and the project's Python test environment has numpy but
not the `safetensors` package. Keeping one small implementation here means
all tools agree on the exact byte layout, which matters because the bundled
model must be byte-for-byte reproducible.

Layout written (see docs/weights-format.md):
    8-byte little-endian u64 N | N bytes of JSON header | tensor data
The header lists `__metadata__` first, then the tensors in the order given,
with contiguous `data_offsets` in that same order. The JSON is compact
(no spaces) and padded with trailing spaces so the data starts on an 8-byte
boundary, as the reference implementation does.
"""

import json
import struct

import numpy as np

# safetensors dtype tag -> little-endian numpy dtype.
DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_TAG_BY_KIND = {(dt.kind, dt.itemsize): tag for tag, dt in DTYPES.items()}

_ALIGN = 8


def _dtype_tag(array):
    key = (array.dtype.kind, array.dtype.itemsize)
    if key not in _TAG_BY_KIND:
        raise ValueError(f"unsupported dtype {array.dtype}")
    return _TAG_BY_KIND[key]


def dumps(tensors, metadata=None):
    """Serialise tensors to safetensors bytes.

    tensors:  an iterable of (name, ndarray) pairs or a dict (insertion order
              is kept); the order decides both the header order and the
              data offsets, so callers control reproducibility.
    metadata: dict of str -> str, or None.
    """
    items = list(tensors.items()) if isinstance(tensors, dict) else list(tensors)
    header = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("metadata keys and values must be str")
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, array in items:
        if name == "__metadata__" or name in header:
            raise ValueError(f"duplicate or reserved tensor name {name!r}")
        array = np.asarray(array)
        tag = _dtype_tag(array)
        data = np.ascontiguousarray(array, dtype=DTYPES[tag]).tobytes()
        header[name] = {
            "dtype": tag,
            "shape": [int(d) for d in array.shape],
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((-(8 + len(text))) % _ALIGN)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save(path, tensors, metadata=None):
    """Write tensors (and string metadata) to a safetensors file at path."""
    blob = dumps(tensors, metadata)
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


def loads(blob):
    """Parse safetensors bytes into (dict name -> ndarray, metadata dict).

    The dict keeps the header's order. Arrays are read-only views of blob.
    Offsets are checked to lie inside the data area, match the shape and not
    overlap, so a truncated or hand-edited file fails loudly.
    """
    if len(blob) < 8:
        raise ValueError("file shorter than the 8-byte header length")
    (n,) = struct.unpack_from("<Q", blob, 0)
    if n > len(blob) - 8:
        raise ValueError("header length exceeds file size")
    header = json.loads(bytes(blob[8:8 + n]).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(blob)[8 + n:]
    tensors = {}
    spans = []
    for name, info in header.items():
        dtype = DTYPES[info["dtype"]]
        shape = tuple(int(d) for d in info["shape"])
        begin, end = (int(v) for v in info["data_offsets"])
        count = 1
        for d in shape:
            count *= d
        if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise ValueError(f"bad data_offsets for {name!r}")
        spans.append((begin, end, name))
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
    spans.sort()
    for (_, end_a, a), (begin_b, _, b) in zip(spans, spans[1:]):
        if begin_b < end_a:
            raise ValueError(f"tensors {a!r} and {b!r} overlap")
    return tensors, metadata


def load(path):
    """Read a safetensors file: (dict name -> ndarray, metadata dict)."""
    with open(path, "rb") as f:
        return loads(f.read())
