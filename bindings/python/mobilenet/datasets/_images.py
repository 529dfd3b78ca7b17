"""One image of any supported kind as packed 8-bit RGB (H, W, 3), the form
every preprocessing step and the C calls take.

Files, encoded bytes and PIL images go through the binding's own conversion
(mobilenet._model._rgb8: gray replicated, palettes looked up, alpha dropped,
16-bit as v >> 8, the CLI decoder's reading), so a dataset sees an image as
Model.classify does. Arrays add what a numpy dataset holds: gray (H, W) or
(H, W, 1), RGBA (alpha dropped), uint16 (v >> 8) and floats scaled from
value_range to 0..255.
"""

import numpy as np

from .._model import _rgb8


def array_to_rgb8(array, value_range=None):
    """A numpy image as C-contiguous uint8 (H, W, 3)."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]  # alpha dropped, as for RGBA files
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise ValueError(f"an image array must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
                         f"got shape {a.shape}")
    if a.dtype == np.uint8:
        pass
    elif a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype.kind in "fiub":
        low, high = (0.0, 1.0) if value_range is None else map(float, value_range)
        if a.dtype.kind in "iub" and value_range is None:
            raise TypeError(f"integer image arrays of dtype {a.dtype} need value_range=(lo, hi)")
        if not high > low:
            raise ValueError(f"value_range must be (lo, hi) with hi > lo, got {value_range}")
        f = (a.astype(np.float64) - low) * (255.0 / (high - low))
        if not np.isfinite(f).all():
            raise ValueError("the image array holds NaN or infinity")
        a = np.clip(np.rint(f), 0, 255).astype(np.uint8)
    else:
        raise TypeError(f"image arrays of dtype {a.dtype} are not supported")
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    return np.ascontiguousarray(a)


def to_rgb8(image, value_range=None):
    """Anything a dataset item may be (file name, encoded bytes, PIL image,
    numpy array) as C-contiguous uint8 (H, W, 3)."""
    if isinstance(image, (bytes, bytearray)):
        image = memoryview(image)  # always encoded data here, never a file name
    if isinstance(image, np.ndarray):
        if image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8:
            return np.ascontiguousarray(image)
        return array_to_rgb8(image, value_range)
    return np.ascontiguousarray(_rgb8(image))
