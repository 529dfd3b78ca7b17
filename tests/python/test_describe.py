"""mobilenet.describe and the Info / Layer types."""

import dataclasses
import math

import numpy as np
import pytest

import mobilenet
from mobilenet import LayerType, Variant


def test_defaults_are_mobilenet_v1_224():
    info = mobilenet.describe()
    assert info == mobilenet.describe("separable", 1.0, 224, 1000)
    assert info.variant is Variant.SEPARABLE and info.variant == "separable"
    assert info.width_multiplier == 1.0
    assert info.resolution == 224
    assert info.num_classes == 1000
    # Paper, Table 1 / Table 4: 569M multiply-adds, 4.2M parameters.
    assert info.mult_adds == 568_740_352
    assert info.parameters == 4_209_088
    assert len(info.layers) == 29


def test_layers_of_the_body():
    layers = mobilenet.describe().layers
    assert all(isinstance(layer, mobilenet.Layer) for layer in layers)
    assert [layer.type for layer in layers] == (
        [LayerType.CONV_3X3] + [LayerType.DEPTHWISE_3X3, LayerType.POINTWISE_1X1] * 13
        + [LayerType.AVERAGE_POOL, LayerType.FULLY_CONNECTED])
    names = [layer.name for layer in layers]
    assert names[:3] == ["Conv2d_0", "Conv2d_1_depthwise", "Conv2d_1_pointwise"]
    assert names[-4:-2] == ["Conv2d_13_depthwise", "Conv2d_13_pointwise"]
    first = layers[0]
    assert (first.stride, first.input_height, first.input_width, first.input_channels) == (2, 224, 224, 3)
    assert (first.output_height, first.output_width, first.output_channels) == (112, 112, 32)
    assert first.mult_adds == 112 * 112 * 32 * 27 and first.parameters == 27 * 32
    last = layers[-1]
    assert (last.input_channels, last.output_channels) == (1024, 1000)
    # Table 1's strides (TF-Slim's: the second-to-last depthwise is stride 1).
    depthwise_strides = [layer.stride for layer in layers if layer.type == LayerType.DEPTHWISE_3X3]
    assert depthwise_strides == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    # The shapes chain, and the totals are the sums of the rows.
    for a, b in zip(layers, layers[1:]):
        assert (a.output_height, a.output_width, a.output_channels) == \
               (b.input_height, b.input_width, b.input_channels)
    info = mobilenet.describe()
    assert sum(layer.mult_adds for layer in layers) == info.mult_adds
    assert sum(layer.parameters for layer in layers) == info.parameters


# (variant, alpha, resolution) -> paper's (mult-adds in M, parameters in M), Tables 4-7.
PAPER = [
    ("separable", 1.0, 224, 569, 4.2),
    ("separable", 0.75, 224, 325, 2.6),
    ("separable", 0.5, 224, 149, 1.3),
    ("separable", 0.25, 224, 41, 0.5),
    ("separable", 1.0, 192, 418, 4.2),
    ("separable", 1.0, 160, 290, 4.2),
    ("separable", 1.0, 128, 186, 4.2),
    ("full_conv", 1.0, 224, 4866, 29.3),
    ("shallow", 1.0, 224, 307, 2.9),
]


@pytest.mark.parametrize("variant,alpha,resolution,mult_adds_m,parameters_m", PAPER)
def test_paper_totals(variant, alpha, resolution, mult_adds_m, parameters_m):
    info = mobilenet.describe(variant, alpha, resolution, 1000)
    assert info.variant == variant
    assert info.width_multiplier == alpha
    assert abs(info.mult_adds / 1e6 - mult_adds_m) <= 1.5
    assert abs(info.parameters / 1e6 - parameters_m) <= 0.05 + 1e-9
    assert sum(layer.mult_adds for layer in info.layers) == info.mult_adds
    assert sum(layer.parameters for layer in info.layers) == info.parameters


def test_variants_layer_counts():
    assert len(mobilenet.describe("full_conv").layers) == 1 + 13 + 2
    assert len(mobilenet.describe("shallow").layers) == 1 + 2 * 8 + 2
    shallow = [layer.name for layer in mobilenet.describe("shallow").layers]
    assert not any(name.startswith(f"Conv2d_{i}_") for i in range(7, 12) for name in shallow)
    assert all(layer.type == LayerType.CONV_3X3 for layer in mobilenet.describe("full_conv").layers[:14])


def test_variant_spellings():
    reference = mobilenet.describe("full_conv", 0.5, 128)
    assert mobilenet.describe(Variant.FULL_CONV, 0.5, 128) == reference
    assert mobilenet.describe("FULL_CONV", 0.5, 128) == reference
    assert reference.variant is Variant.FULL_CONV and str(reference.variant) == "full_conv"


def test_width_multiplier_reads_back_as_given():
    assert mobilenet.describe(width_multiplier=0.35).width_multiplier == 0.35
    assert mobilenet.describe(width_multiplier=1).width_multiplier == 1.0
    assert mobilenet.describe(width_multiplier=np.float32(0.75)).width_multiplier == 0.75


def test_channel_rounding_follows_tf_slim():
    # depth(d) = max(int(d * alpha), 8)
    info = mobilenet.describe(width_multiplier=0.1, resolution=32, num_classes=5)
    assert info.layers[0].output_channels == 8
    assert info.layers[-1].input_channels == 102
    assert info.layers[-1].output_channels == 5


def test_resolution_and_classes_limits():
    assert mobilenet.describe(resolution=1).layers[0].output_height == 1
    assert mobilenet.describe(resolution=4096).resolution == 4096
    assert mobilenet.describe(num_classes=1).num_classes == 1
    assert mobilenet.describe(num_classes=100000).layers[-1].output_channels == 100000
    assert mobilenet.describe(width_multiplier=4).width_multiplier == 4.0
    assert mobilenet.describe(resolution=np.int64(96)).resolution == 96


def test_info_is_frozen_and_hashable():
    info = mobilenet.describe()
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.resolution = 10
    assert hash(info) == hash(mobilenet.describe())
    assert isinstance(info.layers, tuple)
    assert info.layers[0]._fields == (
        "name", "type", "stride", "input_height", "input_width", "input_channels",
        "output_height", "output_width", "output_channels", "mult_adds", "parameters")
    assert [f.name for f in dataclasses.fields(info)] == [
        "variant", "width_multiplier", "resolution", "num_classes", "parameters", "mult_adds", "layers"]


@pytest.mark.parametrize("kwargs,error", [
    (dict(variant="resnet"), ValueError),
    (dict(variant=""), ValueError),
    (dict(variant=0), TypeError),
    (dict(variant=None), TypeError),
    (dict(width_multiplier=0), ValueError),
    (dict(width_multiplier=-0.5), ValueError),
    (dict(width_multiplier=4.01), ValueError),
    (dict(width_multiplier=1e-50), ValueError),
    (dict(width_multiplier=math.nan), ValueError),
    (dict(width_multiplier=math.inf), ValueError),
    (dict(width_multiplier="1.0"), TypeError),
    (dict(width_multiplier=True), TypeError),
    (dict(width_multiplier=None), TypeError),
    (dict(resolution=0), ValueError),
    (dict(resolution=-224), ValueError),
    (dict(resolution=4097), ValueError),
    (dict(resolution=2**32 + 224), ValueError),
    (dict(resolution=224.0), TypeError),
    (dict(resolution="224"), TypeError),
    (dict(resolution=True), TypeError),
    (dict(num_classes=0), ValueError),
    (dict(num_classes=100001), ValueError),
    (dict(num_classes=2**40), ValueError),
    (dict(num_classes=1000.0), TypeError),
])
def test_invalid_arguments(kwargs, error):
    with pytest.raises(error):
        mobilenet.describe(**kwargs)
