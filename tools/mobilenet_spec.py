"""The tensor list of a MobileNet v1 weights file, per docs/weights-format.md.

Why this exists: the GraphDef converter (to check what it extracted) and the
random model generator (to know what to create) must agree with the format
spec on every name, shape and order. This module is the one place that spells
that out in Python. Pure standard library.
"""

# TF-Slim's base depths: Conv2d_0, then the 13 blocks.
BASE_DEPTHS = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
# Strides of blocks 1..13 (Conv2d_0 has stride 2).
BLOCK_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
# Blocks dropped by the "shallow" variant (the five 14x14x512 blocks).
SHALLOW_DROPPED = (7, 8, 9, 10, 11)
VARIANTS = ("separable", "full_conv", "shallow")
BN_PARAMS = ("gamma", "beta", "moving_mean", "moving_variance")
PREFIX = "MobilenetV1/"


def depth(d, alpha, min_depth=8):
    """TF-Slim's channel count: max(int(d * alpha), min_depth)."""
    return max(int(d * alpha), min_depth)


def blocks(variant):
    """Indices 1..13 of the blocks present in a variant."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    return [i for i in range(1, 14) if not (variant == "shallow" and i in SHALLOW_DROPPED)]


def layers(variant, alpha):
    """The convolution layers in network order.

    Yields (scope, kind, weights_shape, out_channels) with kind one of
    "conv" (full convolution), "depthwise" and "pointwise"; scope is the
    name under MobilenetV1/, e.g. "Conv2d_3_pointwise".
    """
    c = [depth(d, alpha) for d in BASE_DEPTHS]
    out = [("Conv2d_0", "conv", (3, 3, 3, c[0]), c[0])]
    for i in blocks(variant):
        cin, cout = c[i - 1], c[i]
        if variant == "full_conv":
            out.append((f"Conv2d_{i}", "conv", (3, 3, cin, cout), cout))
        else:
            out.append((f"Conv2d_{i}_depthwise", "depthwise", (3, 3, cin, 1), cin))
            out.append((f"Conv2d_{i}_pointwise", "pointwise", (1, 1, cin, cout), cout))
    return out


def tensor_shapes(variant, alpha, num_classes):
    """[(name, shape)] of every tensor the variant needs, in file order.

    File order is network order: each layer's weights, then its BatchNorm
    gamma, beta, moving_mean, moving_variance; the logits weights and biases
    last.
    """
    out = []
    for scope, kind, wshape, cout in layers(variant, alpha):
        wname = "depthwise_weights" if kind == "depthwise" else "weights"
        out.append((f"{PREFIX}{scope}/{wname}", wshape))
        for p in BN_PARAMS:
            out.append((f"{PREFIX}{scope}/BatchNorm/{p}", (cout,)))
    c13 = depth(BASE_DEPTHS[-1], alpha)
    out.append((f"{PREFIX}Logits/Conv2d_1c_1x1/weights", (1, 1, c13, num_classes)))
    out.append((f"{PREFIX}Logits/Conv2d_1c_1x1/biases", (num_classes,)))
    return out
