#!/usr/bin/env python3
"""Write tests/fixtures/tf_reference_<photo>.safetensors with TensorFlow.

Why: libmobilenet's numerics and preprocessing are tested against what
TensorFlow itself computes, with the ORIGINAL frozen graph (not our
converted file), so that a conversion bug cannot hide in both sides.

For each photo the fixture holds:
  rgb8               U8  [H,W,3]    the photo as TensorFlow decodes it (JPEG:
                                    accurate integer IDCT, see decode())
  input_<r>          F32 [1,r,r,3]  TF-Slim evaluation preprocessing, by TF ops:
                                    convert_image_dtype to float ([0,1]),
                                    central_crop(0.875),
                                    compat.v1 resize_bilinear(align_corners=False)
                                    to r x r, then (x - 0.5) * 2
  logits_<r>         F32 [1,1001]   'MobilenetV1/Predictions/Reshape' of the
                                    frozen graph fed with input_<r>
  avgpool_<r>        F32 [1,1024]   'MobilenetV1/Logits/AvgPool_1a/AvgPool' of
                                    the same run: the embedding
for r in 224, 192, 160, and input_224_crop1 / logits_224_crop1 with crop
fraction 1.0 (the whole image).

The graph's logits node: 'MobilenetV1/Predictions/Reshape' is the Reshape of
'MobilenetV1/Logits/SpatialSqueeze' (the logits conv's BiasAdd, squeezed);
in this graph no Softmax follows it (the only Softmax is the dropped
retrained head's), so it is pre-softmax. The script checks that structure
and that both nodes give identical values.

Other resolutions: the graph's 'input' placeholder is fixed at [1,224,224,3]
and its average pool is a fixed 7x7 VALID AvgPool (TF-Slim built it for 224).
The graph is imported with input_map onto a [1,r,r,3] placeholder and the
AvgPool's ksize is set to the final feature map size (ceil(r/32)), which is
exactly what TF-Slim builds at that resolution (_reduced_kernel_size_for_small_input)
and a global average pool; at 224 the graph is unchanged.

TensorFlow runs single-threaded (eager context and sessions), with oneDNN
disabled (TF_ENABLE_ONEDNN_OPTS=0),
so the reference uses TensorFlow's own Eigen kernels and is reproducible.

Usage: tools/make_reference.py GRAPH(.pb or nudity-0.2.3.tar.gz) [PHOTO ...]
"""

import argparse
import hashlib
import math
import os
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from convert_graphdef import EXPECTED_SHA256, read_graph_bytes  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DEFAULT_PHOTOS = [os.path.join(REPO, "examples", "images", n) for n in ("cat.jpg", "coffee.png")]
LOGITS_NODE = "MobilenetV1/Predictions/Reshape"
# The embedding: the global average pool before the logits (mobilenet_model_embed).
AVGPOOL_NODE = "MobilenetV1/Logits/AvgPool_1a/AvgPool"
SQUEEZE_NODE = "MobilenetV1/Logits/SpatialSqueeze"
RESOLUTIONS = (224, 192, 160)
CROP = 0.875


def check_logits_node(graph_def):
    """Assert the logits node is the squeezed BiasAdd, with no softmax in between."""
    nodes = {n.name: n for n in graph_def.node}
    reshape = nodes[LOGITS_NODE]
    squeeze = nodes[reshape.input[0]]
    bias_add = nodes[squeeze.input[0]]
    if (reshape.op, squeeze.op, bias_add.op) != ("Reshape", "Squeeze", "BiasAdd") \
            or squeeze.name != SQUEEZE_NODE:
        raise SystemExit(f"unexpected logits chain: {reshape.op} <- {squeeze.op} <- {bias_add.op}")


def patched_graph_def(tf, graph_def, resolution):
    """Copy of graph_def whose AvgPool covers the whole final feature map."""
    final = resolution
    for _ in range(5):  # five stride-2 layers with SAME padding
        final = math.ceil(final / 2)
    gd = tf.compat.v1.GraphDef()
    gd.CopyFrom(graph_def)
    pools = [n for n in gd.node if n.op == "AvgPool" and n.name.startswith("MobilenetV1/")]
    if len(pools) != 1:
        raise SystemExit(f"expected one AvgPool, found {len(pools)}")
    ksize = pools[0].attr["ksize"].list.i
    ksize[1] = ksize[2] = final
    return gd


def run_graph(tf, graph_def, x):
    """Logits of the frozen graph for NHWC input x (fed via input_map)."""
    r = x.shape[1]
    gd = patched_graph_def(tf, graph_def, r)
    graph = tf.Graph()
    with graph.as_default():
        inp = tf.compat.v1.placeholder(tf.float32, [1, r, r, 3], name="ref_input")
        logits, squeeze, pool = tf.import_graph_def(
            gd, input_map={"input:0": inp}, return_elements=[LOGITS_NODE + ":0", SQUEEZE_NODE + ":0",
                                                             AVGPOOL_NODE + ":0"], name="")
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=1,
                                      inter_op_parallelism_threads=1)
    with tf.compat.v1.Session(graph=graph, config=config) as sess:
        out, sq, pooled = sess.run([logits, squeeze, pool], {inp: x})
    if not np.array_equal(out, sq.reshape(out.shape)):
        raise SystemExit("Predictions/Reshape differs from SpatialSqueeze")
    return out.astype(np.float32), pooled.reshape(1, -1).astype(np.float32)


def decode(tf, path):
    """The photo as uint8 [H, W, 3], decoded by TensorFlow.

    JPEGs use the accurate integer IDCT (libjpeg's JDCT_ISLOW, what libjpeg
    and Pillow use by default); TensorFlow's own default is the fast IDCT,
    which differs by a few levels on most pixels.
    """
    with open(path, "rb") as f:
        data = f.read()
    if tf.io.is_jpeg(data):
        img = tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE")
    else:
        img = tf.io.decode_png(data, channels=3)
    return img.numpy()


def preprocess(tf, rgb8, resolution, crop):
    """TF-Slim's evaluation preprocessing, with TensorFlow's own ops."""
    img = tf.image.convert_image_dtype(tf.constant(rgb8), tf.float32)
    if crop < 1.0:
        img = tf.image.central_crop(img, central_fraction=crop)
    img = tf.expand_dims(img, 0)
    img = tf.compat.v1.image.resize_bilinear(img, [resolution, resolution], align_corners=False)
    img = (img - 0.5) * 2.0
    return img.numpy().astype(np.float32)


def top5(logits, labels):
    z = logits[0].astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    idx = np.argsort(-z, kind="stable")[:5]
    return [(int(i), labels[i] if labels else str(i), float(p[i])) for i in idx]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("graph", help="retrained_graph.pb or the nudity-0.2.3 sdist tar.gz")
    ap.add_argument("photos", nargs="*", default=DEFAULT_PHOTOS)
    ap.add_argument("--out-dir", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--labels", default=os.path.join(REPO, "models", "imagenet_labels.txt"))
    ap.add_argument("--sha256", default=EXPECTED_SHA256)
    args = ap.parse_args(argv)

    import tensorflow as tf

    # Before any op runs: otherwise the eager context's multi-threaded pool
    # also serves the sessions and Eigen's block split changes the last bits.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    pb = read_graph_bytes(args.graph, "retrained_graph.pb")
    sha = hashlib.sha256(pb).hexdigest()
    if sha != args.sha256:
        raise SystemExit(f"graph sha256 {sha} != {args.sha256}")
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(pb)
    check_logits_node(graph_def)
    labels = None
    if args.labels and os.path.exists(args.labels):
        with open(args.labels, encoding="utf-8") as f:
            labels = f.read().splitlines()

    os.makedirs(args.out_dir, exist_ok=True)
    for photo in args.photos:
        rgb8 = decode(tf, photo)
        tensors = [("rgb8", rgb8)]
        summary = []
        for r, crop, suffix in [(r, CROP, "") for r in RESOLUTIONS] + [(224, 1.0, "_crop1")]:
            x = preprocess(tf, rgb8, r, crop)
            logits, pooled = run_graph(tf, graph_def, x)
            tensors += [(f"input_{r}{suffix}", x), (f"logits_{r}{suffix}", logits),
                        (f"avgpool_{r}{suffix}", pooled)]
            best = top5(logits, labels)
            summary.append(f"{r}{suffix}: " + "; ".join(f"{i} {name} {p:.3f}" for i, name, p in best))
        stem = os.path.splitext(os.path.basename(photo))[0]
        out = os.path.join(args.out_dir, f"tf_reference_{stem}.safetensors")
        metadata = {
            "photo": os.path.relpath(os.path.abspath(photo), REPO),
            "tensorflow_version": tf.__version__,
            "graph_sha256": sha,
            "decoder": "tf.io.decode_jpeg(dct_method='INTEGER_ACCURATE') / tf.io.decode_png",
            "logits_node": LOGITS_NODE + " (pre-softmax)",
            "avgpool_node": AVGPOOL_NODE + " (the embedding, [1, 1024])",
            "preprocessing": "convert_image_dtype(float32); central_crop(0.875 or 1.0 for "
                             "_crop1); compat.v1.image.resize_bilinear(align_corners=False); "
                             "(x - 0.5) * 2",
            "top5": "\n".join(summary),
        }
        size = safetensors_io.save(out, tensors, metadata)
        print(f"{out}: {size} bytes, rgb8 {list(rgb8.shape)}")
        for line in summary:
            print("  " + line)


if __name__ == "__main__":
    main()
