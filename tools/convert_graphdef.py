#!/usr/bin/env python3
"""Convert a frozen TF MobileNet v1 GraphDef into libmobilenet's weights file.

Why: the bundled model is Google's ImageNet MobileNet v1 1.0/224 (TF-Slim),
and the one freely redistributable offline copy we can reach is the frozen
graph inside the PyPI sdist nudity==0.2.3 (nudity/files/retrained_graph.pb):
a TF-for-Poets retrain whose 2-class head (final_training_ops/*,
final_result) sits on top of the untouched MobilenetV1/* graph. This tool
takes the MobilenetV1/* Const tensors by name, drops the head, and writes
them in the layout of docs/weights-format.md.

It decodes the protobuf wire format itself (tools/graphdef_wire.py): no
TensorFlow, no protobuf package, only the standard library and numpy.

Architecture parameters are read from the graph, not assumed: the variant
from which layer scopes exist, the width multiplier from Conv2d_13's output
depth, the class count from the logits bias, the resolution from the input
placeholder, and the BatchNorm epsilon from the graph itself (a
FusedBatchNorm* node's `epsilon` attribute, or, for TF-Slim's unfused
batch_norm, the scalar Const added to moving_variance). Every extracted
tensor is checked against tools/mobilenet_spec.py, and each convolution's
stride and padding against the spec's.

The output is byte-for-byte reproducible: tensors are written in network
order with contiguous offsets and the metadata is fixed text.

Usage:
  tools/convert_graphdef.py nudity-0.2.3.tar.gz   (or .../retrained_graph.pb)
"""

import argparse
import hashlib
import json
import os
import sys
import tarfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphdef_wire  # noqa: E402
import mobilenet_spec  # noqa: E402
import safetensors_io  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# sha256 of nudity-0.2.3/nudity/files/retrained_graph.pb (pins the provenance).
EXPECTED_SHA256 = "3b90af536f810f5f75e9f6d431bc2e8a3c4fc2ff4f693aa0dd4ae429816f8735"
DEFAULT_MEMBER = "retrained_graph.pb"
DEFAULT_LABELS = os.path.join(REPO, "models", "imagenet_labels.txt")
DEFAULT_OUTPUT = os.path.join(REPO, "models", "mobilenet_v1_1.0_224.safetensors")
PREFIX = mobilenet_spec.PREFIX
INPUT_MEAN = [127.5, 127.5, 127.5]
INPUT_SCALE = [1 / 127.5] * 3
SOURCE = (
    "MobilenetV1/* constants of the frozen TensorFlow graph "
    "nudity/files/retrained_graph.pb (sha256 {sha}) from the PyPI sdist nudity==0.2.3: "
    "Google's ImageNet MobileNet v1 {alpha}/{res} (TF-Slim) with a retrained 2-class head "
    "on top, which was dropped. Converted by tools/convert_graphdef.py. Labels: "
    "'background' + ImageNet-1k WordNet lemmas in sorted-synset order, from timm's "
    "imagenet_synset_to_lemma.txt (tools/make_labels.py)."
)
LICENSE = (
    "Weights: Apache License 2.0 (Google's TensorFlow MobileNet v1 model release, "
    "tensorflow/models TF-Slim). Labels: WordNet lemma names via timm (Apache-2.0). "
    "See models/NOTICE."
)


class ConversionError(Exception):
    pass


def read_graph_bytes(path, member):
    """The .pb bytes from a .pb file or from a tar(.gz) holding one."""
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:
            hits = [m for m in tar.getmembers()
                    if m.isfile() and os.path.basename(m.name) == member]
            if len(hits) != 1:
                raise ConversionError(f"{path}: expected one {member!r}, found {len(hits)}")
            return tar.extractfile(hits[0]).read()
    with open(path, "rb") as f:
        return f.read()


class Graph:
    """Name lookup and Identity-chasing over the decoded nodes."""

    def __init__(self, nodes):
        self.nodes = {}
        for n in nodes:
            if n.name in self.nodes:
                raise ConversionError(f"duplicate node name {n.name!r}")
            self.nodes[n.name] = n
        self.consumers = {}
        for n in nodes:
            for i in n.inputs:
                self.consumers.setdefault(self.base(i), []).append(n)

    @staticmethod
    def base(input_name):
        """'^ctrl' / 'name:0' -> 'name'."""
        return input_name.lstrip("^").split(":")[0]

    def resolve(self, name):
        """Follow Identity nodes (e.g. 'weights/read') to the producing node."""
        node = self.nodes.get(self.base(name))
        seen = 0
        while node is not None and node.op == "Identity" and node.inputs and seen < 100:
            node = self.nodes.get(self.base(node.inputs[0]))
            seen += 1
        return node

    def users(self, name):
        """Non-Identity consumers of name, looking through Identity nodes."""
        out = []
        for c in self.consumers.get(name, []):
            out.extend(self.users(c.name) if c.op == "Identity" else [c])
        return out

    def const(self, name):
        """The ndarray of Const node name, or None if there is no such node."""
        node = self.nodes.get(name)
        if node is None:
            return None
        if node.op != "Const":
            raise ConversionError(f"{name} is a {node.op}, not a Const")
        value = node.attr("value")
        if value is None:
            raise ConversionError(f"{name} has no value")
        return value


def detect_variant(graph):
    if f"{PREFIX}Conv2d_1_depthwise/depthwise_weights" not in graph.nodes:
        if f"{PREFIX}Conv2d_1/weights" in graph.nodes:
            return "full_conv"
        raise ConversionError("no MobilenetV1 block 1 found: not a MobileNet v1 graph?")
    return "shallow" if f"{PREFIX}Conv2d_7_depthwise/depthwise_weights" not in graph.nodes \
        else "separable"


def detect_alpha(graph, variant):
    """Width multiplier from the last layer's output depth (1024 * alpha)."""
    last = "Conv2d_13/weights" if variant == "full_conv" else "Conv2d_13_pointwise/weights"
    w = graph.const(PREFIX + last)
    if w is None:
        raise ConversionError(f"missing {PREFIX}{last}")
    alpha = w.shape[-1] / mobilenet_spec.BASE_DEPTHS[-1]
    return float(np.float32(alpha))


def detect_resolution(graph, override):
    if override:
        return override
    node = graph.nodes.get("input")
    shape = node.attr("shape") if node is not None and node.op == "Placeholder" else None
    if not shape or len(shape) != 4 or shape[1] != shape[2] or shape[1] <= 0:
        raise ConversionError("cannot read the resolution from placeholder 'input'; "
                              "pass --resolution")
    return int(shape[1])


def batchnorm_epsilon(graph, scope):
    """Epsilon of one layer's BatchNorm, however the graph expresses it."""
    var_name = f"{PREFIX}{scope}/BatchNorm/moving_variance"
    found = set()
    for user in graph.users(var_name):
        if user.op.startswith("FusedBatchNorm"):
            found.add(float(np.float32(user.attr("epsilon"))))
        elif user.op in ("Add", "AddV2"):
            # TF-Slim's unfused batch_norm: Rsqrt(moving_variance + eps).
            for i in user.inputs:
                other = graph.resolve(i)
                if other is not None and other.name != var_name and other.op == "Const":
                    eps = other.attr("value")
                    if eps.size == 1:
                        found.add(float(eps.reshape(-1)[0]))
    if len(found) != 1:
        raise ConversionError(f"{scope}: cannot determine the BatchNorm epsilon ({found})")
    return found.pop()


def check_conv(graph, weights_name, stride):
    """The convolution using weights_name has the spec's stride and SAME padding."""
    convs = [u for u in graph.users(weights_name)
             if u.op in ("Conv2D", "DepthwiseConv2dNative")]
    if len(convs) != 1:
        raise ConversionError(f"{weights_name}: expected one convolution, got {len(convs)}")
    conv = convs[0]
    strides = conv.attr("strides", {}).get("i")
    padding = conv.attr("padding")
    fmt = conv.attr("data_format", b"NHWC")
    if strides != [1, stride, stride, 1] or padding != b"SAME" or fmt != b"NHWC":
        raise ConversionError(f"{conv.name}: strides {strides}, padding {padding}, {fmt}; "
                              f"expected stride {stride}, SAME, NHWC")


def layer_strides(variant):
    """scope -> stride for each convolution layer of the variant."""
    out = {"Conv2d_0": 2}
    for i in mobilenet_spec.blocks(variant):
        s = mobilenet_spec.BLOCK_STRIDES[i - 1]
        out[f"Conv2d_{i}"] = s
        out[f"Conv2d_{i}_depthwise"] = s
        out[f"Conv2d_{i}_pointwise"] = 1
    return out


def read_labels(path, num_classes):
    with open(path, encoding="utf-8") as f:
        labels = f.read().splitlines()
    if len(labels) != num_classes:
        raise ConversionError(f"{path}: {len(labels)} labels for {num_classes} classes")
    return labels


def extract(graph, notes):
    """Return (tensors in file order, metadata fields) from the graph."""
    variant = detect_variant(graph)
    alpha = detect_alpha(graph, variant)
    bias = graph.const(f"{PREFIX}Logits/Conv2d_1c_1x1/biases")
    if bias is None:
        raise ConversionError("missing the logits biases")
    num_classes = int(bias.shape[0])
    tensors = []
    for name, shape in mobilenet_spec.tensor_shapes(variant, alpha, num_classes):
        value = graph.const(name)
        if value is None and name.endswith("/BatchNorm/gamma"):
            # TF-Slim batch_norm(scale=False) stores no gamma: it is 1.
            notes.append(f"{name} absent from the graph (scale=False): wrote ones")
            value = np.ones(shape, np.float32)
        if value is None:
            raise ConversionError(f"missing tensor {name}")
        if value.dtype != np.float32 or tuple(value.shape) != tuple(shape):
            raise ConversionError(f"{name}: {value.dtype}{list(value.shape)}, "
                                  f"expected float32{list(shape)}")
        if not np.all(np.isfinite(value)):
            raise ConversionError(f"{name}: non-finite values")
        tensors.append((name, value))
    strides = layer_strides(variant)
    eps = set()
    for scope, kind, _, _ in mobilenet_spec.layers(variant, alpha):
        wname = "depthwise_weights" if kind == "depthwise" else "weights"
        check_conv(graph, f"{PREFIX}{scope}/{wname}", strides[scope])
        eps.add(batchnorm_epsilon(graph, scope))
    if len(eps) != 1:
        raise ConversionError(f"layers use different BatchNorm epsilons: {sorted(eps)}")
    return tensors, variant, alpha, num_classes, eps.pop()


def decimal(x):
    """Shortest decimal that round-trips the float32 value (0.001, not 0.0010000000474...)."""
    text = np.format_float_positional(np.float32(x), unique=True, trim="0")
    return text + "0" if text.endswith(".") else text


def convert(pb_bytes, labels_path, resolution=None):
    """Convert GraphDef bytes; return (tensors, metadata, notes)."""
    graph = Graph(graphdef_wire.parse_graphdef(pb_bytes))
    notes = []
    tensors, variant, alpha, num_classes, eps = extract(graph, notes)
    res = detect_resolution(graph, resolution)
    dropped = sorted(n for n in graph.nodes if not n.startswith("MobilenetV1/")
                     and graph.nodes[n].op == "Const")
    if dropped:
        notes.append("dropped non-MobilenetV1 constants: " + ", ".join(dropped))
    sha = hashlib.sha256(pb_bytes).hexdigest()
    metadata = {
        "architecture": "mobilenet_v1",
        "variant": variant,
        "width_multiplier": decimal(alpha),
        "resolution": str(res),
        "num_classes": str(num_classes),
        "batchnorm_epsilon": decimal(eps),
        "input_mean": json.dumps(INPUT_MEAN),
        "input_scale": json.dumps(INPUT_SCALE),
    }
    if labels_path:
        metadata["labels"] = json.dumps(read_labels(labels_path, num_classes))
    metadata["source"] = SOURCE.format(sha=sha, alpha=decimal(alpha), res=res)
    metadata["license"] = LICENSE
    return tensors, metadata, notes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="nudity-0.2.3.tar.gz (or any tar holding the .pb) or the .pb")
    p.add_argument("-o", "--output", default=DEFAULT_OUTPUT)
    p.add_argument("--member", default=DEFAULT_MEMBER,
                   help="file name of the graph inside a tar input (default %(default)s)")
    p.add_argument("--sha256", default=EXPECTED_SHA256,
                   help="expected sha256 of the .pb (default: the nudity==0.2.3 graph)")
    p.add_argument("--labels", default=DEFAULT_LABELS,
                   help="one label per line, num_classes lines; '' for none")
    p.add_argument("--resolution", type=int, default=None,
                   help="override the resolution read from the 'input' placeholder")
    args = p.parse_args(argv)

    pb = read_graph_bytes(args.input, args.member)
    sha = hashlib.sha256(pb).hexdigest()
    if sha != args.sha256.lower():
        sys.exit(f"sha256 mismatch: {sha}, expected {args.sha256}")
    try:
        tensors, metadata, notes = convert(pb, args.labels or None, args.resolution)
    except ConversionError as e:
        sys.exit(f"conversion failed: {e}")
    size = safetensors_io.save(args.output, tensors, metadata)
    with open(args.output, "rb") as f:
        out_sha = hashlib.sha256(f.read()).hexdigest()
    for note in notes:
        print("note:", note, file=sys.stderr)
    print(f"source sha256 {sha}", file=sys.stderr)
    print(f"variant={metadata['variant']} alpha={metadata['width_multiplier']} "
          f"resolution={metadata['resolution']} classes={metadata['num_classes']} "
          f"eps={metadata['batchnorm_epsilon']} tensors={len(tensors)}", file=sys.stderr)
    print(f"wrote {args.output}: {size} bytes, sha256 {out_sha}", file=sys.stderr)


if __name__ == "__main__":
    main()
