#!/usr/bin/env python3
"""Write the quantizer's files into tests/corpus: one tiny int8 .tflite made
by mobilenet_quantize (good/quantized_tiny_int8.tflite, from
good/separable_labels.safetensors: width 0.01, 16x16, 5 labelled classes)
and edits of its `libmobilenet` metadata entry that the loader must refuse
(bad/format__quantized_metadata_*.tflite), with their expected.tsv rows
(this tool owns the rows naming "quantized_").

The edits keep the file's length (the JSON is changed in place), so only
the metadata check can refuse them.

Run with the library built:
    MOBILENET_LIBRARY=$PWD/.build/release/libmobilenet.so PYTHONPATH=bindings/python \\
        python3 tools/make_quantized_corpus.py
"""

import os
import sys
import tempfile

import numpy as np

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CORPUS = os.path.join(REPO, "tests", "corpus")
OWN = ("__quantized_", "good/quantized_")
HEADING = "# quantizer files (written by tools/make_quantized_corpus.py)"


def calibration():
    """Four 16x16 images of a fixed pattern in [-1, 1]."""
    i = np.arange(4 * 16 * 16 * 3, dtype=np.int64)
    return np.ascontiguousarray(((i * 2654435761) % 2001 / 1000.0 - 1.0).astype(np.float32).reshape(4, 16, 16, 3))


def edited(blob, old, new):
    assert len(old) == len(new) and blob.count(old) == 1, (old, blob.count(old))
    return blob.replace(old, new)


def main():
    import mobilenet
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "q.tflite")
        mobilenet.quantize(os.path.join(CORPUS, "good", "separable_labels.safetensors"), calibration(), path)
        good = open(path, "rb").read()
    files = [("good/quantized_tiny_int8.tflite", "OK", "", good)]

    def bad(name, substring, blob, status="FORMAT"):
        files.append((f"bad/{status.lower()}__quantized_metadata_{name}.tflite", status, substring, blob))

    bad("labels_for_other_classes", "5 entries for 6 classes",
        edited(good, b'"num_classes":"5"', b'"num_classes":"6"'))
    bad("width_mismatch", "does not match the graph",
        edited(good, b'"width_multiplier":"0.01"', b'"width_multiplier":"0.50"'))
    bad("resolution_mismatch", "does not match the graph", edited(good, b'"resolution":"16"', b'"resolution":"17"'))
    bad("not_json", "libmobilenet metadata", edited(good, b'{"architecture"', b'["architecture"'))
    bad("number_value", "is not a string", edited(good, b'"resolution":"16"', b'"resolution": 16 '))
    bad("architecture", "only mobilenet_v1", edited(good, b'"mobilenet_v1"', b'"mobilenet_v2"'), "UNSUPPORTED")

    rows = []
    for rel, status, substring, blob in files:
        with open(os.path.join(CORPUS, rel), "wb") as f:
            f.write(blob)
        rows.append(f"{rel}\t{status}\t{substring}")
    tsv = os.path.join(CORPUS, "expected.tsv")
    with open(tsv) as f:
        kept = [line.rstrip("\n") for line in f if line.strip() and line.rstrip("\n") != HEADING
                and not any(o in line.split("\t")[0] for o in OWN)]
    with open(tsv, "w") as f:
        f.write("\n".join(kept + [HEADING] + rows) + "\n")
    print(f"wrote {len(files)} files ({len(good)} bytes each) and {len(rows)} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
