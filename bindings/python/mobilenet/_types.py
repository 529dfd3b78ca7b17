"""The binding's public value types: enums mirroring the C ones, the error,
predictions and the structure description (mobilenet_info)."""

import dataclasses
import enum
from typing import NamedTuple, Optional, Tuple, Union


class Status(enum.IntEnum):
    """enum mobilenet_status."""

    OK = 0
    INVALID_ARGUMENT = 1
    IO = 2
    FORMAT = 3
    UNSUPPORTED = 4
    OUT_OF_MEMORY = 5
    BUFFER_TOO_SMALL = 6
    INTERNAL = 7

    @property
    def description(self) -> str:
        """What mobilenet_status_string says, e.g. "invalid argument"."""
        return _STATUS_DESCRIPTIONS[self]


_STATUS_DESCRIPTIONS = {
    Status.OK: "ok",
    Status.INVALID_ARGUMENT: "invalid argument",
    Status.IO: "I/O error",
    Status.FORMAT: "malformed model file",
    Status.UNSUPPORTED: "unsupported model",
    Status.OUT_OF_MEMORY: "out of memory",
    Status.BUFFER_TOO_SMALL: "buffer too small",
    Status.INTERNAL: "internal error",
}


class Variant(str, enum.Enum):
    """enum mobilenet_variant; members compare equal to their names
    ('separable', 'full_conv', 'shallow'). int(variant) is not defined: use
    Variant.c_value for the C enum value."""

    SEPARABLE = "separable"   # MobileNet v1 (paper Table 1)
    FULL_CONV = "full_conv"   # each separable block as one full 3x3 conv (Table 4)
    SHALLOW = "shallow"       # without the five 14x14x512 separable blocks (Table 5)

    def __str__(self) -> str:
        return self.value

    @property
    def c_value(self) -> int:
        return _VARIANT_C_VALUES[self]

    @classmethod
    def from_c(cls, value: int) -> "Variant":
        for variant, c_value in _VARIANT_C_VALUES.items():
            if c_value == value:
                return variant
        raise ValueError(f"{value} is not a mobilenet_variant")


_VARIANT_C_VALUES = {Variant.SEPARABLE: 0, Variant.FULL_CONV: 1, Variant.SHALLOW: 2}


class LayerType(enum.IntEnum):
    """enum mobilenet_layer_type."""

    CONV_3X3 = 0          # full 3x3 convolution + BN + ReLU6
    DEPTHWISE_3X3 = 1     # depthwise 3x3 + BN + ReLU6
    POINTWISE_1X1 = 2     # 1x1 convolution + BN + ReLU6
    AVERAGE_POOL = 3      # global average pool
    FULLY_CONNECTED = 4   # logits (1x1 conv with bias)


class Error(Exception):
    """A libmobilenet call failed.

    status:  the Status the C function returned (a plain int if the library
             returned a value this binding does not know);
    message: the library's message for it (mobilenet_last_error()).
    """

    def __init__(self, status: Union["Status", int], message: str):
        try:
            status = Status(status)
        except ValueError:
            status = int(status)
        super().__init__(status, message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        if isinstance(self.status, Status):
            what = f"{self.status.name}: {self.status.description}"
        else:
            what = f"status {self.status}"
        return f"{self.message} [{what}]" if self.message else f"[{what}]"


class Prediction(NamedTuple):
    """One class of a classification result (most probable first)."""

    label: Optional[str]   # None if the model has no labels
    probability: float     # softmax of the logits, in [0, 1]
    index: int             # class index (bundled model: 0 = "background")


class Layer(NamedTuple):
    """One row of mobilenet_info.layers (shapes are height x width x channels)."""

    name: str
    type: LayerType
    stride: int
    input_height: int
    input_width: int
    input_channels: int
    output_height: int
    output_width: int
    output_channels: int
    mult_adds: int      # for one image
    parameters: int     # weights (+ biases of the FC layer); folded BatchNorm not counted


@dataclasses.dataclass(frozen=True)
class Info:
    """A network's structure at one input size (struct mobilenet_info)."""

    variant: Variant
    width_multiplier: float
    resolution: int
    num_classes: int
    parameters: int
    mult_adds: int       # one image
    layers: Tuple[Layer, ...]
