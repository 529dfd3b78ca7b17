"""tf.train.Example parsed from the protobuf wire format by hand (no protobuf
or TensorFlow dependency). Only what an Example holds:

    Example  { Features features = 1; }
    Features { map<string, Feature> feature = 1; }     # entries: key = 1, value = 2
    Feature  { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; }
    *List    { repeated <bytes | float | int64> value = 1; }  # numbers packed or not

Every length is checked against the bytes that remain, so a corrupt record
raises ExampleError instead of reading past its end. Unknown fields are
skipped, as protobuf parsers do.
"""

import struct


class ExampleError(ValueError):
    """A record is not a well-formed tf.train.Example."""


def _varint(buf, pos, end):
    result = shift = 0
    while True:
        if pos >= end:
            raise ExampleError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift >= 70:
            raise ExampleError("varint longer than 10 bytes")


def _fields(buf, pos, end):
    """Yields (field number, wire type, value) of a message in buf[pos:end]:
    value is an int (wire types 0, 1, 5) or a (start, stop) span (type 2)."""
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ExampleError("field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos, end)
        elif wire == 1:
            if pos + 8 > end:
                raise ExampleError("truncated 64-bit field")
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            if pos + 4 > end:
                raise ExampleError("truncated 32-bit field")
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if length > end - pos:
                raise ExampleError(f"length {length} runs past the message's end")
            value, pos = (pos, pos + length), pos + length
        else:
            raise ExampleError(f"unsupported wire type {wire}")
        yield number, wire, value


def _signed64(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _feature(buf, start, stop):
    """A Feature as ("bytes" | "float" | "int64", list of values)."""
    kind, values = None, []
    for number, wire, span in _fields(buf, start, stop):
        if number not in (1, 2, 3) or wire != 2:
            continue
        kind = {1: "bytes", 2: "float", 3: "int64"}[number]
        values = []  # the last list of a oneof wins, as in protobuf
        for inner, inner_wire, value in _fields(buf, *span):
            if inner != 1:
                continue
            if kind == "bytes" and inner_wire == 2:
                values.append(bytes(buf[value[0]:value[1]]))
            elif kind == "float" and inner_wire == 5:
                values.append(struct.unpack("<f", value)[0])
            elif kind == "float" and inner_wire == 2:  # packed
                a, b = value
                if (b - a) % 4:
                    raise ExampleError("packed floats are not a multiple of 4 bytes")
                values.extend(struct.unpack(f"<{(b - a) // 4}f", buf[a:b]))
            elif kind == "int64" and inner_wire == 0:
                values.append(_signed64(value))
            elif kind == "int64" and inner_wire == 2:  # packed
                pos, b = value
                while pos < b:
                    v, pos = _varint(buf, pos, b)
                    values.append(_signed64(v))
            else:
                raise ExampleError(f"a {kind} list holds wire type {inner_wire}")
    return kind, values


def parse_example(data):
    """{feature name: list of values} of a serialized tf.train.Example."""
    buf = memoryview(data)
    features = {}
    for number, wire, span in _fields(buf, 0, len(buf)):
        if number != 1 or wire != 2:
            continue
        for entry_number, entry_wire, entry in _fields(buf, *span):
            if entry_number != 1 or entry_wire != 2:
                continue
            key, value = None, None
            for field, field_wire, item in _fields(buf, *entry):
                if field == 1 and field_wire == 2:
                    try:
                        key = bytes(buf[item[0]:item[1]]).decode("utf-8")
                    except UnicodeDecodeError:
                        raise ExampleError("a feature name is not UTF-8") from None
                elif field == 2 and field_wire == 2:
                    value = item
            if key is None:
                raise ExampleError("a feature map entry has no key")
            features[key] = _feature(buf, *value)[1] if value is not None else []
    return features
