"""Decode a frozen TensorFlow GraphDef from the protobuf wire format.

Why this exists: the converter must not depend on TensorFlow or the protobuf
package (both are heavy, version-sensitive, and unnecessary for reading a few
Const tensors). A GraphDef is a plain protobuf message, and only a handful of
its fields matter here, so they are decoded by hand from the wire format:

    GraphDef      1: repeated NodeDef node
    NodeDef       1: name  2: op  3: repeated input  4: device
                  5: map<string, AttrValue> attr (entries: 1 key, 2 value)
    AttrValue     1: ListValue list  2: s  3: i  4: f  5: b  6: type
                  7: TensorShapeProto shape  8: TensorProto tensor
    ListValue     2: s  3: i  4: f  5: b  6: type  7: shape  8: tensor
    TensorShapeProto  2: repeated Dim dim (1: size)  3: unknown_rank
    TensorProto   1: dtype  2: tensor_shape  4: tensor_content
                  5: float_val  6: double_val  7: int_val  8: string_val
                  10: int64_val  11: bool_val

Unknown fields are skipped, as protobuf requires. Numbers are decoded with
numpy (little-endian), so tensors come out exactly as stored.
"""

import struct

import numpy as np

# TensorFlow DataType enum values used by the graphs we read.
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8 = 1, 2, 3, 4, 5, 6
DT_STRING, DT_INT64, DT_BOOL = 7, 9, 10
_NUMPY_DTYPE = {
    DT_FLOAT: np.dtype("<f4"),
    DT_DOUBLE: np.dtype("<f8"),
    DT_INT32: np.dtype("<i4"),
    DT_UINT8: np.dtype("u1"),
    DT_INT16: np.dtype("<i2"),
    DT_INT8: np.dtype("i1"),
    DT_INT64: np.dtype("<i8"),
    DT_BOOL: np.dtype("?"),
}

WIRE_VARINT, WIRE_I64, WIRE_LEN, WIRE_I32 = 0, 1, 2, 5


def _varint(buf, pos):
    """Decode an unsigned varint at buf[pos]; return (value, new_pos)."""
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _signed64(value):
    """Reinterpret a decoded varint as a two's-complement int64."""
    return value - (1 << 64) if value >= 1 << 63 else value


def fields(buf):
    """Yield (field_number, wire_type, value) for each field of a message.

    value is an int for varints and fixed-width fields (raw bits), and a
    memoryview slice for length-delimited fields.
    """
    buf = memoryview(buf)
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == WIRE_VARINT:
            value, pos = _varint(buf, pos)
        elif wire == WIRE_I64:
            value = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        elif wire == WIRE_I32:
            value = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        elif wire == WIRE_LEN:
            length, pos = _varint(buf, pos)
            if pos + length > end:
                raise ValueError("length-delimited field runs past its message")
            value = buf[pos:pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported wire type {wire} (field {number})")
        if pos > end:
            raise ValueError("field runs past its message")
        yield number, wire, value


def _packed_varints(wire, value):
    """A repeated varint field arrives packed (one LEN) or one by one."""
    if wire == WIRE_VARINT:
        return [value]
    out = []
    pos = 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v)
    return out


def _packed_fixed(wire, value, dtype):
    """A repeated fixed-width field, packed or not, as a numpy array."""
    if wire == WIRE_LEN:
        return np.frombuffer(bytes(value), dtype=dtype)
    fmt = "<I" if dtype.itemsize == 4 else "<Q"
    return np.frombuffer(struct.pack(fmt, value), dtype=dtype)


def parse_shape(buf):
    """TensorShapeProto -> list of dim sizes, or None for unknown rank."""
    dims = []
    for number, wire, value in fields(buf):
        if number == 2 and wire == WIRE_LEN:
            size = 0
            for n2, w2, v2 in fields(value):
                if n2 == 1 and w2 == WIRE_VARINT:
                    size = _signed64(v2)
            dims.append(size)
        elif number == 3 and wire == WIRE_VARINT and value:
            return None
    return dims


def parse_tensor(buf):
    """TensorProto -> numpy array with its dtype and shape.

    TensorFlow stores constants either as raw little-endian bytes in
    tensor_content or in a typed repeated field; in the latter a single value
    stands for "fill the whole tensor with it".
    """
    dtype_enum = 0
    shape = []
    content = None
    values = []
    for number, wire, value in fields(buf):
        if number == 1:
            dtype_enum = value
        elif number == 2:
            shape = parse_shape(value)
        elif number == 4:
            content = bytes(value)
        elif number == 5:
            values.append(_packed_fixed(wire, value, np.dtype("<f4")))
        elif number == 6:
            values.append(_packed_fixed(wire, value, np.dtype("<f8")))
        elif number in (7, 10, 11):
            values.append(np.array([_signed64(v) for v in _packed_varints(wire, value)],
                                   dtype=np.int64))
        elif number == 8:
            raise ValueError("string tensors are not supported")
    if dtype_enum not in _NUMPY_DTYPE:
        raise ValueError(f"unsupported tensor dtype enum {dtype_enum}")
    if shape is None:
        raise ValueError("tensor with unknown rank")
    dtype = _NUMPY_DTYPE[dtype_enum]
    count = int(np.prod(shape, dtype=np.int64))
    if content is not None:
        array = np.frombuffer(content, dtype=dtype)
        if array.size != count:
            raise ValueError("tensor_content size does not match the shape")
        return array.reshape(shape).copy()
    flat = np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype)
    if flat.size == count:
        return flat.reshape(shape)
    if flat.size == 0:
        return np.zeros(shape, dtype)
    if flat.size < count:
        # Protobuf "compressed" constants: the last value repeats.
        padded = np.full(count, flat[-1], dtype)
        padded[:flat.size] = flat
        return padded.reshape(shape)
    raise ValueError("more values than the shape holds")


def _parse_list(buf):
    """AttrValue.ListValue -> dict with the non-empty lists."""
    out = {}
    for number, wire, value in fields(buf):
        if number == 2:
            out.setdefault("s", []).append(bytes(value))
        elif number in (3, 6):
            key = "i" if number == 3 else "type"
            out.setdefault(key, []).extend(_signed64(v) for v in _packed_varints(wire, value))
        elif number == 4:
            out.setdefault("f", []).extend(
                float(x) for x in _packed_fixed(wire, value, np.dtype("<f4")))
        elif number == 5:
            out.setdefault("b", []).extend(bool(v) for v in _packed_varints(wire, value))
        elif number == 7:
            out.setdefault("shape", []).append(parse_shape(value))
        elif number == 8:
            out.setdefault("tensor", []).append(parse_tensor(value))
    return out


def parse_attr(buf):
    """AttrValue -> (kind, value), e.g. ("f", 0.001) or ("tensor", array)."""
    for number, wire, value in fields(buf):
        if number == 1:
            return "list", _parse_list(value)
        if number == 2:
            return "s", bytes(value)
        if number == 3:
            return "i", _signed64(value)
        if number == 4:
            return "f", float(np.frombuffer(struct.pack("<I", value), "<f4")[0])
        if number == 5:
            return "b", bool(value)
        if number == 6:
            return "type", value
        if number == 7:
            return "shape", parse_shape(value)
        if number == 8:
            return "tensor", parse_tensor(value)
    return None, None


class Node:
    """One NodeDef. Attributes are decoded on first access (tensors are big)."""

    def __init__(self, name, op, inputs, raw_attrs):
        self.name = name
        self.op = op
        self.inputs = inputs
        self._raw_attrs = raw_attrs
        self._attrs = {}

    def attr_names(self):
        return list(self._raw_attrs)

    def attr(self, key, default=None):
        """The decoded value of attribute key (without its kind tag)."""
        if key not in self._raw_attrs:
            return default
        if key not in self._attrs:
            self._attrs[key] = parse_attr(self._raw_attrs[key])[1]
        return self._attrs[key]

    def __repr__(self):
        return f"Node({self.name!r}, {self.op!r}, inputs={self.inputs!r})"


def _parse_node(buf):
    name = op = ""
    inputs = []
    attrs = {}
    for number, wire, value in fields(buf):
        if wire != WIRE_LEN:
            continue
        if number == 1:
            name = bytes(value).decode("utf-8")
        elif number == 2:
            op = bytes(value).decode("utf-8")
        elif number == 3:
            inputs.append(bytes(value).decode("utf-8"))
        elif number == 5:
            key, raw = "", b""
            for n2, w2, v2 in fields(value):
                if n2 == 1 and w2 == WIRE_LEN:
                    key = bytes(v2).decode("utf-8")
                elif n2 == 2 and w2 == WIRE_LEN:
                    raw = v2
            attrs[key] = raw
    return Node(name, op, inputs, attrs)


def parse_graphdef(data):
    """GraphDef bytes -> list of Node in file order."""
    nodes = []
    for number, wire, value in fields(data):
        if number == 1 and wire == WIRE_LEN:
            nodes.append(_parse_node(value))
    return nodes
