#!/usr/bin/env python3
"""Write the model-file corpus: small valid models and one file per kind of
malformation, for the corpus regression check (tests/corpus/check_corpus.c)
and as seeds of the model-loading fuzzer (tests/fuzz/).

    tests/corpus/make_corpus.py [--out tests/corpus]

Writes (deterministically; rerunning gives the same bytes):
    good/<name>.safetensors           must load and run
    bad/<status>__<kind>.safetensors  must fail with MOBILENET_ERROR_<STATUS>
    expected.tsv                      file, status, a substring the error
                                      message must contain (rows for files
                                      other than .safetensors are kept:
                                      tools/make_tflite_corpus.py writes them)

Files are kept small for the repository: the width multiplier is tiny (every
layer then has TF-Slim's minimum of 8 channels, or a few more), the class
count is 3..7 and the resolution small; a valid model is about 25 KB.
Only numpy and tools/safetensors_io.py are needed.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_random_model  # noqa: E402
import mobilenet_spec  # noqa: E402
import safetensors_io  # noqa: E402

ALPHA = 0.01      # all layers at the minimum depth of 8
CLASSES = 5
RESOLUTION = 16


def base(variant="separable", alpha=ALPHA, classes=CLASSES, resolution=RESOLUTION, seed=1,
         labels=True, epsilon=0.001):
    """(list of [name, array], metadata dict) of a valid random model."""
    tensors = [list(t) for t in make_random_model.random_tensors(variant, alpha, classes, seed)]
    meta = make_random_model.metadata(variant, alpha, resolution, classes, seed, labels, epsilon)
    meta["source"] = f"tests/corpus/make_corpus.py (random weights, seed {seed})"
    return tensors, meta


def header_of(tensors, meta, dtypes=None):
    """The safetensors header dict and data bytes for tensors as written by
    safetensors_io (contiguous, in order). dtypes: name -> tag override
    (the bytes are then reinterpreted, lengths adjusted by the caller)."""
    header = {}
    if meta is not None:
        header["__metadata__"] = meta
    chunks, offset = [], 0
    for name, array in tensors:
        data = np.ascontiguousarray(array).tobytes()
        tag = (dtypes or {}).get(name) or safetensors_io._dtype_tag(np.asarray(array))
        header[name] = {"dtype": tag, "shape": [int(d) for d in np.shape(array)],
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    return header, b"".join(chunks)


def pack(header, data, pad=True):
    """8-byte length + JSON header (dict, or raw bytes/str) + data."""
    if isinstance(header, (bytes, str)):
        text = header.encode("utf-8") if isinstance(header, str) else header
    else:
        text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if pad:
            text += b" " * ((-(8 + len(text))) % 8)
    return struct.pack("<Q", len(text)) + text + data


def valid_bytes(**kw):
    tensors, meta = base(**kw)
    return safetensors_io.dumps(tensors, meta)


def tensor_index(tensors, suffix):
    for i, (name, _) in enumerate(tensors):
        if name.endswith(suffix):
            return i
    raise KeyError(suffix)


def good_files():
    """name -> bytes of models that must load and run."""
    out = {}
    out["separable_labels"] = valid_bytes()
    out["separable_no_labels"] = valid_bytes(labels=False, seed=2)
    out["full_conv"] = valid_bytes(variant="full_conv", seed=3, classes=3)
    out["shallow"] = valid_bytes(variant="shallow", seed=4, classes=7)
    out["alpha_0.0625_res_24"] = valid_bytes(alpha=0.0625, resolution=24, seed=5, classes=4)
    out["one_class_res_1"] = valid_bytes(classes=1, resolution=1, seed=6)
    out["epsilon_zero"] = valid_bytes(epsilon=0.0, seed=7)
    # No padding after the JSON: tensor data starts at an odd offset.
    tensors, meta = base(seed=8)
    header, data = header_of(tensors, meta)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (((-(8 + len(text))) % 8) + 3)   # data at 8k + 3
    out["unaligned_data"] = pack(text, data)
    # Tensors stored in reverse order, header in network order; the header
    # has whitespace, unicode escapes and extra (ignored) metadata keys.
    tensors, meta = base(seed=9)
    meta["comment"] = "ignored key"
    meta["labels"] = json.dumps(["caf\u00e9", "\u732b", "\U0001F600 emoji", "tab\there", 'quote " and \\'])
    blobs = [np.ascontiguousarray(a).tobytes() for _, a in tensors]
    offsets, cursor = {}, 0
    for (name, _), blob in reversed(list(zip(tensors, blobs))):
        offsets[name] = (cursor, cursor + len(blob))
        cursor += len(blob)
    header = {"__metadata__": meta}
    for name, a in tensors:
        header[name] = {"data_offsets": list(offsets[name]), "shape": list(a.shape), "dtype": "F32"}
    text = json.dumps(header, indent=1, ensure_ascii=True).encode()
    out["reordered_data_pretty_json"] = pack(text, b"".join(reversed(blobs)))
    # Every number form RFC 8259 allows is accepted: exponents, capital E,
    # an explicit exponent sign (also inside input_mean), a zero epsilon
    # written as -0.0.
    tensors, meta = base(seed=11)
    meta.update(width_multiplier="1E-2", batchnorm_epsilon="1.0e-3", input_mean="[1275e-1, 127.5E+0, 127.5]")
    out["metadata_number_forms"] = safetensors_io.dumps(tensors, meta)
    tensors, meta = base(seed=12)
    meta["batchnorm_epsilon"] = "-0.0"
    out["metadata_negative_zero_epsilon"] = safetensors_io.dumps(tensors, meta)
    # Models whose logits depend on their input: at alpha 0.01 every layer
    # has 8 channels and random weights wash the input out (logits differ
    # by < 1e-4 between inputs), so a run or classify check on them could
    # not see an inference bug. These keep 16..128 (separable, alpha
    # 0.125) and 8..256 (shallow, alpha 0.25) channels at 32x32, and a
    # logit scale of 40 (make_random_model's default is 4) puts the input's
    # effect on the logits near 1; tests/python/test_corpus_onnx.py checks
    # them against ONNX Runtime.
    for name, variant, alpha, classes, seed in [("input_dependent_separable_alpha_0.125_res_32", "separable", 0.125, 10, 13),
                                                ("input_dependent_shallow_alpha_0.25_res_32", "shallow", 0.25, 7, 14)]:
        tensors = [list(t) for t in make_random_model.random_tensors(variant, alpha, classes, seed, logit_scale=40.0)]
        meta = make_random_model.metadata(variant, alpha, 32, classes, seed, True, 0.001)
        meta["source"] = f"tests/corpus/make_corpus.py (random weights, seed {seed}, logit scale 40)"
        out[name] = safetensors_io.dumps(tensors, meta)
    # Metadata first or last does not matter.
    tensors, meta = base(seed=10)
    header, data = header_of(tensors, None)
    header["__metadata__"] = meta
    out["metadata_last"] = pack(header, data)
    return out


def bad_files():
    """[(status, kind, substring, bytes)]: files that must fail to load."""
    out = []

    def add(status, kind, substring, blob):
        out.append((status, kind, substring, blob))

    def edited(edit, **kw):
        """A valid model's (tensors, meta, header, data) after edit(tensors, meta)
        changed the arrays/metadata; returns the packed bytes."""
        tensors, meta = base(**kw)
        edit(tensors, meta)
        header, data = header_of(tensors, meta)
        return pack(header, data)

    def header_edited(edit, **kw):
        """A valid model's bytes after edit(header, data) -> (header, data)."""
        tensors, meta = base(**kw)
        header, data = header_of(tensors, meta)
        header, data = edit(header, data)
        return pack(header, data)

    good = valid_bytes()

    # --- the 8-byte length and the bytes around the header -----------------
    add("format", "empty_file", "empty", b"")
    add("format", "truncated_header_length", "too short", good[:5])
    add("format", "header_length_beyond_file", "exceeds the file",
        struct.pack("<Q", 4096) + b'{"__metadata__":{}}')
    add("format", "header_length_max_u64", "exceeds the file", struct.pack("<Q", 2**64 - 1) + b"{}" * 8)
    add("format", "header_length_2_pow_63", "exceeds the file", struct.pack("<Q", 2**63) + b"{}" * 8)
    add("format", "header_length_zero", "too small", struct.pack("<Q", 0) + good[8:64])
    add("format", "only_header_length", "exceeds the file", good[:8])
    add("format", "truncated_in_header", "exceeds the file", good[:200])
    add("format", "truncated_in_data", "outside", good[:len(good) - 100])
    add("format", "trailing_bytes", "belong to no tensor", good + b"\0" * 16)

    # --- JSON ----------------------------------------------------------------
    add("format", "invalid_json", "invalid JSON", pack(b'{"__metadata__": {"a": ', b""))
    add("format", "invalid_json_trailing_data", "unexpected data after", pack(b"{} {}", b""))
    add("format", "invalid_json_bad_literal", "invalid JSON", pack(b'{"a": nul}', b""))
    add("format", "invalid_json_leading_zero", "invalid JSON", pack(b'{"a": 012}', b""))
    add("format", "invalid_json_control_char", "control character", pack(b'{"a\x01": 1}', b""))
    add("format", "invalid_json_bad_escape", "escape", pack(b'{"a\\q": 1}', b""))
    add("format", "invalid_json_lone_surrogate", "surrogate", pack(b'{"\\ud800": 1}', b""))
    add("format", "invalid_utf8", "UTF-8", pack(b'{"\xff\xfe": 1}', b""))
    add("format", "invalid_json_nul_byte", "invalid JSON", pack(b'{"a": 1}\x00', b""))
    add("format", "json_duplicate_key", "duplicate key",
        pack(b'{"__metadata__": {"architecture": "mobilenet_v1", "architecture": "x"}}', b""))
    add("format", "json_not_object_array", "not an object", pack(b"[1, 2, 3]", b""))
    add("format", "json_not_object_string", "not an object", pack(b'"__metadata__"', b""))
    add("format", "json_not_object_null", "not an object", pack(b"null  ", b""))
    add("format", "deeply_nested_json_array", "nested deeper",
        pack(b'{"x": ' + b"[" * 1000 + b"]" * 1000 + b"}", b""))
    add("format", "deeply_nested_json_object", "nested deeper",
        pack(b'{"x": ' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"}", b""))

    def nested_labels(t, m):
        m["labels"] = "[" * 1000 + "]" * 1000
    add("format", "deeply_nested_labels", "nested deeper", edited(nested_labels))
    add("format", "huge_number_literal", "number too long", pack(b'{"a": 1' + b"0" * 400 + b"}", b""))

    # --- tensor set ----------------------------------------------------------
    def drop(suffix):
        def edit(t, m):
            del t[tensor_index(t, suffix)]
        return edit
    add("format", "missing_tensor", "is missing", edited(drop("Conv2d_5_pointwise/BatchNorm/gamma")))
    add("format", "missing_logits_bias", "is missing", edited(drop("Logits/Conv2d_1c_1x1/biases")))

    def extra(t, m):
        t.append(["MobilenetV1/Conv2d_14_pointwise/weights", np.ones((1, 1, 8, 8), np.float32)])
    add("format", "extra_tensor", "unexpected tensor", edited(extra))

    def extra_empty(t, m):
        t.append(["unrelated", np.zeros((0,), np.float32)])
    add("format", "extra_empty_tensor", "unexpected tensor", edited(extra_empty))

    def no_tensors(h, d):
        return {"__metadata__": h["__metadata__"]}, b""
    add("format", "no_tensors", "is missing", header_edited(no_tensors))

    # full_conv tensors labelled separable and the other way round.
    def as_variant(name):
        def edit(t, m):
            m["variant"] = name
        return edit
    add("format", "variant_mismatch_full_conv_tensors", "is missing",
        edited(as_variant("separable"), variant="full_conv"))
    add("format", "variant_mismatch_shallow_tensors", "unexpected tensor",
        edited(as_variant("shallow")))
    add("format", "variant_unknown", "variant", edited(as_variant("deep")))

    # --- dtypes --------------------------------------------------------------
    def retype(suffix, array_fn):
        def edit(t, m):
            i = tensor_index(t, suffix)
            t[i][1] = array_fn(t[i][1])
        return edit
    add("unsupported", "dtype_f16", "only F32",
        edited(retype("Conv2d_3_depthwise/depthwise_weights", lambda a: a.astype(np.float16))))
    add("unsupported", "dtype_f64", "only F32",
        edited(retype("Conv2d_0/weights", lambda a: a.astype(np.float64))))
    add("unsupported", "dtype_i32", "only F32",
        edited(retype("Logits/Conv2d_1c_1x1/biases", lambda a: (a * 100).astype(np.int32))))

    def unknown_dtype(tag):
        def edit(h, d):
            h["MobilenetV1/Conv2d_1_depthwise/BatchNorm/beta"]["dtype"] = tag
            return h, d
        return edit
    add("format", "dtype_unknown", "unknown dtype", header_edited(unknown_dtype("F31")))
    add("format", "dtype_not_string", "dtype", header_edited(unknown_dtype(32)))
    add("format", "dtype_lowercase", "unknown dtype", header_edited(unknown_dtype("f32")))

    # --- shapes --------------------------------------------------------------
    def meta_set(key, value):
        def edit(t, m):
            if value is None:
                del m[key]
            else:
                m[key] = value
        return edit
    # Tensors for alpha 0.01 (8 channels everywhere) under metadata alpha 0.5.
    add("format", "shape_disagrees_with_alpha", "width multiplier", edited(meta_set("width_multiplier", "0.5")))
    add("format", "num_classes_disagrees_with_logits", "has shape", edited(meta_set("num_classes", "6"), labels=False))

    def reshape(suffix, shape):
        def edit(t, m):
            i = tensor_index(t, suffix)
            t[i][1] = np.resize(t[i][1], shape).astype(np.float32)
        return edit
    # Conv2d_3_pointwise says 16 input channels while Conv2d_2 produces 8.
    add("format", "shapes_disagree_with_each_other", "has shape",
        edited(reshape("Conv2d_3_pointwise/weights", (1, 1, 16, 8))))
    add("format", "shape_transposed", "has shape",
        edited(reshape("Conv2d_0/weights", (8, 3, 3, 3))))
    add("format", "shape_rank_wrong", "has shape",
        edited(reshape("Conv2d_4_depthwise/depthwise_weights", (3, 3, 8))))

    def set_shape(name, shape):
        def edit(h, d):
            h[name]["shape"] = shape
            return h, d
        return edit
    w0 = "MobilenetV1/Conv2d_0/weights"
    add("format", "shape_bytes_mismatch", "spans", header_edited(set_shape(w0, [3, 3, 3, 9])))
    add("format", "huge_claimed_dimensions", "shape",
        header_edited(set_shape(w0, [1000000000, 1000000000, 3, 8])))
    # Each dimension fits in the file, their product does not.
    add("format", "dimension_product_beyond_file", "shape larger than the file",
        header_edited(lambda h, d: set_shape(w0, [len(d)] * 4)(h, d)))
    add("format", "huge_dimension_overflow", "shape",
        header_edited(set_shape(w0, [2**31, 2**31, 2**31, 2**31])))
    add("format", "dimension_beyond_int64", "shape",
        header_edited(set_shape(w0, [2**70, 1, 1, 1])))
    add("format", "dimension_product_overflow", "shape",
        header_edited(set_shape(w0, [0x100000001] * 4)))
    add("format", "negative_dimension", "shape", header_edited(set_shape(w0, [-3, -3, 3, 8])))
    add("format", "fractional_dimension", "shape", header_edited(set_shape(w0, [3.0, 3, 3, 8])))
    add("format", "too_many_dimensions", "dimensions", header_edited(set_shape(w0, [1] * 9 + [216])))
    add("format", "shape_not_array", "shape", header_edited(set_shape(w0, "3x3x3x8")))

    # --- data offsets --------------------------------------------------------
    def offsets(name, fn):
        def edit(h, d):
            h[name]["data_offsets"] = fn(h[name]["data_offsets"], len(d))
            return h, d
        return edit
    logits_b = "MobilenetV1/Logits/Conv2d_1c_1x1/biases"
    add("format", "offsets_out_of_range", "outside",
        header_edited(offsets(logits_b, lambda o, n: [n, n + (o[1] - o[0])])))
    add("format", "offsets_far_out_of_range", "outside",
        header_edited(offsets(w0, lambda o, n: [2**62, 2**62 + 864])))
    add("format", "offsets_negative", "outside", header_edited(offsets(w0, lambda o, n: [-864, 0])))
    add("format", "offsets_reversed", "outside", header_edited(offsets(w0, lambda o, n: [o[1], o[0]])))
    add("format", "offsets_not_integers", "data_offsets",
        header_edited(offsets(w0, lambda o, n: [float(o[0]), float(o[1])])))
    add("format", "offsets_exponent", "data_offsets", header_edited(offsets(w0, lambda o, n: "0e0")))
    add("format", "offsets_three_numbers", "data_offsets",
        header_edited(offsets(w0, lambda o, n: [o[0], o[1], o[1]])))

    def overlap(h, d):
        # Conv2d_0/BatchNorm/beta reads gamma's bytes; the file ends 32 bytes early.
        g = h["MobilenetV1/Conv2d_0/BatchNorm/gamma"]["data_offsets"]
        b = h["MobilenetV1/Conv2d_0/BatchNorm/beta"]["data_offsets"]
        width = b[1] - b[0]
        for entry in h.values():
            if "data_offsets" in entry and entry["data_offsets"][0] >= b[1]:
                entry["data_offsets"] = [entry["data_offsets"][0] - width, entry["data_offsets"][1] - width]
        h["MobilenetV1/Conv2d_0/BatchNorm/beta"]["data_offsets"] = list(g)
        return h, d[:b[0]] + d[b[1]:]
    add("format", "offsets_overlap", "overlaps", header_edited(overlap))

    def hole(h, d):
        # 64 unused bytes before the last tensor.
        o = h[logits_b]["data_offsets"]
        h[logits_b]["data_offsets"] = [o[0] + 64, o[1] + 64]
        return h, d[:o[0]] + b"\0" * 64 + d[o[0]:]
    add("format", "hole_in_data", "hole", header_edited(hole))

    def tensor_not_object(h, d):
        h[w0] = [h[w0]["dtype"], h[w0]["shape"], h[w0]["data_offsets"]]
        return h, d
    add("format", "tensor_entry_not_object", "not an object", header_edited(tensor_not_object))

    def unknown_field(h, d):
        h[w0]["offsets"] = h[w0]["data_offsets"]
        return h, d
    add("format", "tensor_unknown_field", "unknown field", header_edited(unknown_field))

    # --- values --------------------------------------------------------------
    def poke(suffix, index, value):
        def edit(t, m):
            i = tensor_index(t, suffix)
            a = t[i][1].copy()
            a.reshape(-1)[index] = value
            t[i][1] = a
        return edit
    add("format", "nan_weight", "NaN or infinite", edited(poke("Conv2d_7_pointwise/weights", 17, np.nan)))
    add("format", "inf_weight", "NaN or infinite", edited(poke("Conv2d_0/weights", 0, np.inf)))
    add("format", "neg_inf_bias", "NaN or infinite", edited(poke("Logits/Conv2d_1c_1x1/biases", 4, -np.inf)))
    add("format", "nan_batchnorm_mean", "NaN or infinite",
        edited(poke("Conv2d_13_pointwise/BatchNorm/moving_mean", 7, np.nan)))

    def signalling_nan(t, m):
        i = tensor_index(t, "Conv2d_2_depthwise/BatchNorm/gamma")
        a = t[i][1].copy()
        a.view(np.uint32)[3] = 0x7F800001
        t[i][1] = a
    add("format", "signalling_nan_weight", "NaN or infinite", edited(signalling_nan))
    add("format", "negative_variance", "moving_variance",
        edited(poke("Conv2d_6_depthwise/BatchNorm/moving_variance", 2, -1.0)))
    add("format", "zero_variance_zero_epsilon", "moving_variance",
        edited(lambda t, m: (poke("Conv2d_1_pointwise/BatchNorm/moving_variance", 0, 0.0)(t, m),
                             meta_set("batchnorm_epsilon", "0")(t, m))))

    def fold_overflow(t, m):
        poke("Conv2d_9_pointwise/BatchNorm/gamma", 1, 3e38)(t, m)
        poke("Conv2d_9_pointwise/BatchNorm/moving_variance", 1, 1e-30)(t, m)
        m["batchnorm_epsilon"] = "0"
    add("format", "batchnorm_fold_overflow", "folding BatchNorm", edited(fold_overflow))

    # --- metadata ------------------------------------------------------------
    def raw_meta(value):
        def edit(h, d):
            h["__metadata__"] = value
            return h, d
        return edit
    add("format", "metadata_array", "__metadata__", header_edited(raw_meta(["architecture", "mobilenet_v1"])))
    add("format", "metadata_number", "__metadata__", header_edited(raw_meta(42)))
    add("format", "metadata_null", "__metadata__", header_edited(raw_meta(None)))

    def meta_value(key, value):
        def edit(h, d):
            h["__metadata__"][key] = value
            return h, d
        return edit
    add("format", "metadata_value_number", "not a string", header_edited(meta_value("resolution", 16)))
    add("format", "metadata_value_array", "not a string",
        header_edited(meta_value("input_mean", [127.5, 127.5, 127.5])))
    add("format", "no_metadata", "has no 'architecture'",
        header_edited(lambda h, d: ({k: v for k, v in h.items() if k != "__metadata__"}, d)))
    for key in ("architecture", "width_multiplier", "resolution", "num_classes", "batchnorm_epsilon",
                "input_mean", "input_scale"):
        add("format", f"missing_metadata_{key}", f"has no '{key}'", edited(meta_set(key, None)))
    add("unsupported", "architecture_other", "not supported", edited(meta_set("architecture", "mobilenet_v2")))
    for kind, key, value, substring in [
        ("width_multiplier_zero", "width_multiplier", "0", "width_multiplier"),
        ("width_multiplier_too_large", "width_multiplier", "4.5", "width_multiplier"),
        ("width_multiplier_nan", "width_multiplier", "nan", "width_multiplier"),
        ("width_multiplier_inf", "width_multiplier", "inf", "width_multiplier"),
        ("width_multiplier_text", "width_multiplier", "one", "width_multiplier"),
        ("resolution_zero", "resolution", "0", "resolution"),
        ("resolution_too_large", "resolution", "4097", "resolution"),
        ("resolution_fraction", "resolution", "16.5", "resolution"),
        ("resolution_huge", "resolution", "99999999999999999999999", "resolution"),
        ("num_classes_zero", "num_classes", "0", "num_classes"),
        ("num_classes_negative", "num_classes", "-5", "num_classes"),
        ("num_classes_too_large", "num_classes", "100001", "num_classes"),
        ("epsilon_negative", "batchnorm_epsilon", "-0.001", "batchnorm_epsilon"),
        ("epsilon_nan", "batchnorm_epsilon", "NaN", "batchnorm_epsilon"),
        ("input_mean_two_values", "input_mean", "[127.5, 127.5]", "input_mean"),
        ("input_mean_not_json", "input_mean", "127.5,127.5,127.5", "input_mean"),
        ("input_mean_nan", "input_mean", "[NaN, 1, 1]", "input_mean"),
        ("input_mean_strings", "input_mean", '["1", "2", "3"]', "input_mean"),
        ("input_scale_huge", "input_scale", "[1e300, 1, 1]", "input_scale"),
        ("input_scale_object", "input_scale", '{"r": 1}', "input_scale"),
        ("labels_count_mismatch", "labels", json.dumps(["a", "b", "c"]), "labels"),
        ("labels_too_many", "labels", json.dumps([str(i) for i in range(CLASSES + 1)]), "labels"),
        ("labels_not_array", "labels", '"a,b,c,d,e"', "labels"),
        ("labels_not_json", "labels", "a b c d e", "labels"),
        ("labels_non_string", "labels", json.dumps(["a", "b", 3, "d", "e"]), "labels"),
        ("label_with_nul", "labels", json.dumps(["a", "b\u0000c", "c", "d", "e"]), "NUL"),
        # Number text outside RFC 8259's grammar, or values a float cannot
        # hold as normal numbers. Each is worth the base model's own value
        # (alpha 0.01 and 1e-310 both give TF-Slim's minimum depth 8; 0x10 =
        # 16), so a loose parser loads the file instead of rejecting it.
        ("width_multiplier_nul_junk", "width_multiplier", "0.01\u0000junk", "width_multiplier"),
        ("width_multiplier_hex", "width_multiplier", "0x1p-7", "width_multiplier"),
        ("width_multiplier_plus", "width_multiplier", "+0.01", "width_multiplier"),
        ("width_multiplier_leading_zero", "width_multiplier", "00.01", "width_multiplier"),
        ("width_multiplier_no_integer_part", "width_multiplier", ".01", "width_multiplier"),
        ("width_multiplier_trailing_dot", "width_multiplier", "1.e-2", "width_multiplier"),
        ("width_multiplier_leading_space", "width_multiplier", " 0.01", "width_multiplier"),
        ("width_multiplier_trailing_space", "width_multiplier", "0.01 ", "width_multiplier"),
        ("width_multiplier_subnormal_double", "width_multiplier", "1e-310", "width_multiplier"),
        ("width_multiplier_subnormal_float", "width_multiplier", "1e-40", "width_multiplier"),
        ("resolution_leading_zero", "resolution", "016", "resolution"),
        ("resolution_plus", "resolution", "+16", "resolution"),
        ("resolution_nul_junk", "resolution", "16\u0000junk", "resolution"),
        ("resolution_hex", "resolution", "0x10", "resolution"),
        ("resolution_exponent", "resolution", "16e0", "resolution"),
        ("resolution_trailing_space", "resolution", "16 ", "resolution"),
        ("num_classes_leading_zero", "num_classes", "05", "num_classes"),
        ("num_classes_plus", "num_classes", "+5", "num_classes"),
        ("epsilon_plus", "batchnorm_epsilon", "+0.001", "batchnorm_epsilon"),
        ("epsilon_hex", "batchnorm_epsilon", "0x1.0624dd2f1a9fcp-10", "batchnorm_epsilon"),
        ("epsilon_nul_junk", "batchnorm_epsilon", "0.001\u0000junk", "batchnorm_epsilon"),
        ("epsilon_subnormal", "batchnorm_epsilon", "1e-310", "batchnorm_epsilon"),
        ("input_scale_subnormal_float", "input_scale", "[1e-40, 0.00784313725490196, 0.00784313725490196]",
         "input_scale"),
    ]:
        add("format", kind, substring, edited(meta_set(key, value)))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = p.parse_args(argv)
    good_dir, bad_dir = os.path.join(args.out, "good"), os.path.join(args.out, "bad")
    for d in (good_dir, bad_dir):
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            if name.endswith(".safetensors"):
                os.remove(os.path.join(d, name))
    total = 0
    good = good_files()
    for name, blob in good.items():
        safetensors_io.loads(blob)  # our own reader agrees they are valid
        with open(os.path.join(good_dir, name + ".safetensors"), "wb") as f:
            f.write(blob)
        total += len(blob)
    rows = ["# file\tstatus\tsubstring of mobilenet_last_error (written by make_corpus.py)"]
    seen = set()
    for status, kind, substring, blob in bad_files():
        name = f"{status}__{kind}.safetensors"
        assert name not in seen, name
        seen.add(name)
        with open(os.path.join(bad_dir, name), "wb") as f:
            f.write(blob)
        rows.append(f"bad/{name}\t{status.upper()}\t{substring}")
        total += len(blob)
    for name in sorted(good):
        rows.append(f"good/{name}.safetensors\tOK\t")
    # Rows for other files (the .tflite ones of tools/make_tflite_corpus.py) are kept.
    tsv = os.path.join(args.out, "expected.tsv")
    if os.path.exists(tsv):
        with open(tsv) as f:
            rows += [line.rstrip("\n") for line in f if line.strip() and not line.startswith("# file\t")
                     and not line.split("\t")[0].endswith(".safetensors")]
    with open(tsv, "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(good)} good and {len(seen)} bad files, {total} bytes, to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
