#!/usr/bin/env python3
"""Write a random-weight MobileNet v1 model file for any configuration.

Why: only one trained model (separable, alpha 1.0) is bundled, but the
library must load and run every variant (separable, full_conv, shallow),
width multiplier, resolution and class count. Random models in the same
format let the tests cover those, comparing the library with
tools/reference_onnx.py, without shipping more weights.

The weights are deterministic given the flags (numpy.random.default_rng
(seed), tensors drawn in file order) and scaled so that activations stay in
a useful range through all layers, neither dying nor pinned at the ReLU6
ceiling, and logits come out of order 1-10:
  conv / pointwise weights  N(0, sqrt(2 / (kh * kw * Cin)))   (He init)
  depthwise weights         N(0, sqrt(2 / (kh * kw)))
  gamma U[0.5, 1.5], beta N(0, 0.1), moving_mean N(0, 0.1),
  moving_variance U[0.5, 1.5]
  logits weights N(0, logit_scale / sqrt(C13)), biases N(0, 0.1)
Tensors are written in network order (tools/mobilenet_spec.py), so the file
is byte-for-byte reproducible.

Example: tools/make_random_model.py --variant shallow --alpha 0.5
             --resolution 128 --num-classes 10 --seed 7 -o /tmp/m.safetensors
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mobilenet_spec  # noqa: E402
import safetensors_io  # noqa: E402


def random_tensors(variant, alpha, num_classes, seed, logit_scale=4.0):
    """[(name, float32 array)] in file order, drawn from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    out = []
    for name, shape in mobilenet_spec.tensor_shapes(variant, alpha, num_classes):
        leaf = name.rsplit("/", 1)[1]
        if leaf == "depthwise_weights":
            a = rng.normal(0.0, np.sqrt(2.0 / (shape[0] * shape[1])), shape)
        elif leaf == "weights" and "/Logits/" in name:
            a = rng.normal(0.0, logit_scale / np.sqrt(shape[2]), shape)
        elif leaf == "weights":
            a = rng.normal(0.0, np.sqrt(2.0 / (shape[0] * shape[1] * shape[2])), shape)
        elif leaf in ("gamma", "moving_variance"):
            a = rng.uniform(0.5, 1.5, shape)
        elif leaf in ("beta", "moving_mean", "biases"):
            a = rng.normal(0.0, 0.1, shape)
        else:
            raise ValueError(f"no initialiser for {name}")
        out.append((name, a.astype(np.float32)))
    return out


def metadata(variant, alpha, resolution, num_classes, seed, labels, epsilon):
    meta = {
        "architecture": "mobilenet_v1",
        "variant": variant,
        "width_multiplier": repr(float(alpha)),
        "resolution": str(resolution),
        "num_classes": str(num_classes),
        "batchnorm_epsilon": repr(float(epsilon)),
        "input_mean": json.dumps([127.5] * 3),
        "input_scale": json.dumps([1 / 127.5] * 3),
    }
    if labels:
        meta["labels"] = json.dumps([f"class_{i}" for i in range(num_classes)])
    meta["source"] = (f"random weights: tools/make_random_model.py --variant {variant} "
                      f"--alpha {alpha} --resolution {resolution} --num-classes {num_classes} "
                      f"--seed {seed}")
    meta["license"] = "generated test data, no rights reserved (CC0-1.0)"
    return meta


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--variant", choices=mobilenet_spec.VARIANTS, default="separable")
    p.add_argument("--alpha", type=float, default=1.0, help="width multiplier, 0 < alpha <= 4")
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--num-classes", type=int, default=1001)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epsilon", type=float, default=0.001, help="batchnorm_epsilon metadata")
    p.add_argument("--labels", action="store_true", help="add labels class_0 .. class_K-1")
    p.add_argument("--logit-scale", type=float, default=4.0,
                   help="std of the logits weights times sqrt(C13)")
    args = p.parse_args(argv)
    if not 0 < args.alpha <= 4:
        p.error("--alpha must be in (0, 4]")
    if args.resolution < 1 or args.num_classes < 1:
        p.error("--resolution and --num-classes must be positive")

    tensors = random_tensors(args.variant, args.alpha, args.num_classes, args.seed,
                             args.logit_scale)
    meta = metadata(args.variant, args.alpha, args.resolution, args.num_classes, args.seed,
                    args.labels, args.epsilon)
    size = safetensors_io.save(args.output, tensors, meta)
    print(f"wrote {args.output}: {len(tensors)} tensors, {size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
