"""Preprocessing as TF-Slim's inception_preprocessing, in numpy.

Evaluation: the library's own (Sources/Core/MobileNet/Runtime/Preprocessing.swift,
what Model.classify and Model.embed run in C): tf.image.central_crop's
arithmetic, bilinear resize as TensorFlow's legacy resize_bilinear
(align_corners=False, no half-pixel centres), then (v - mean) * scale per
channel, every step in float32 in the C code's order so that the result is
the same floats (tests/python/test_finetune.py checks Model.features of this
against Model.embed). Reproduced rather than called because C offers it only
at the model's own resolution, and fine-tuning may run at another.

Training: preprocess_for_train: a distorted bounding-box crop (area 8%-100%
of the image, aspect ratio 3/4-4/3, up to 10 attempts, else the whole
image), the same bilinear resize to the resolution, a random left-right
flip, and optionally distort_color (brightness, saturation, hue, contrast in
one of four orders), all drawn from a numpy Generator the caller seeds.
"""

import json
import math
import struct

import numpy as np

DEFAULT_MEAN = (127.5, 127.5, 127.5)      # TF-Slim's (x / 255 - 0.5) * 2
DEFAULT_SCALE = (1 / 127.5,) * 3
CENTRAL_FRACTION = 0.875

# inception_preprocessing.distorted_bounding_box_crop, with the area range of
# the ResNet/Inception training recipe (0.08, 1) and 10 attempts.
AREA_RANGE = (0.08, 1.0)
ASPECT_RANGE = (3 / 4, 4 / 3)
MAX_ATTEMPTS = 10


def normalization_of_file(path):
    """(mean, scale) from a model file's metadata (input_mean, input_scale),
    or TF-Slim's defaults if it records none or cannot be read."""
    try:
        with open(path, "rb") as file:
            (n,) = struct.unpack("<Q", file.read(8))
            if n > 100 << 20:
                raise ValueError("header too large")
            metadata = json.loads(file.read(n)).get("__metadata__") or {}
        mean = tuple(float(v) for v in json.loads(metadata["input_mean"]))
        scale = tuple(float(v) for v in json.loads(metadata["input_scale"]))
        if len(mean) == 3 and len(scale) == 3:
            return mean, scale
    except (OSError, ValueError, KeyError, TypeError, struct.error):
        pass
    return DEFAULT_MEAN, DEFAULT_SCALE


def normalization(model):
    """(mean, scale) of a mobilenet.Model: what fine_tune recorded on it, else
    its file's metadata, else TF-Slim's defaults."""
    recorded = getattr(model, "_normalization", None)
    if recorded is not None:
        return recorded
    if getattr(model, "path", None):
        return normalization_of_file(model.path)
    return DEFAULT_MEAN, DEFAULT_SCALE


def central_crop(size, fraction=CENTRAL_FRACTION):
    """(start, count) of the central crop of `size` pixels (Preprocessing.crop)."""
    start = min(int((size - size * fraction) / 2), (size - 1) // 2)
    return start, size - 2 * start


def _axis(start, count, out):
    """Source indices (low, high) and float32 weights of a legacy bilinear
    resize of `count` pixels from `start` to `out` pixels."""
    scale = np.float32(count) / np.float32(out)
    f = np.arange(out, dtype=np.float32) * scale
    floor = np.floor(f)
    low = np.clip(floor.astype(np.int64), 0, count - 1) + start
    high = np.minimum(np.ceil(f).astype(np.int64), count - 1) + start
    return low, high, (f - floor).astype(np.float32)


def resize(rgb, box, height, width):
    """Bilinear resize of rgb[y0:y0+h, x0:x0+w] (box = (y0, h, x0, w)) to
    (height, width, 3) float32 pixel values 0..255."""
    y0, h, x0, w = box
    top, bottom, ly = _axis(y0, h, height)
    left, right, lx = _axis(x0, w, width)
    image = rgb.astype(np.float32)
    rows_top, rows_bottom = image[top], image[bottom]
    lx = lx[None, :, None]
    t = rows_top[:, left] + (rows_top[:, right] - rows_top[:, left]) * lx
    b = rows_bottom[:, left] + (rows_bottom[:, right] - rows_bottom[:, left]) * lx
    # fancy indexing may hand back a transposed layout: C order for the C calls
    return np.ascontiguousarray(t + (b - t) * ly[:, None, None])


def normalize(pixels, mean, scale):
    """(v - mean) * scale per channel, float32."""
    return (pixels - np.asarray(mean, np.float32)) * np.asarray(scale, np.float32)


def for_eval(rgb, size, mean=DEFAULT_MEAN, scale=DEFAULT_SCALE, fraction=CENTRAL_FRACTION):
    """The network input (size, size, 3) float32 of a uint8 RGB image, as
    the C library computes it for classify/embed."""
    y0, h = central_crop(rgb.shape[0], fraction)
    x0, w = central_crop(rgb.shape[1], fraction)
    return np.ascontiguousarray(normalize(resize(rgb, (y0, h, x0, w), size, size), mean, scale))


def distorted_box(rng, height, width, area_range=AREA_RANGE, aspect_range=ASPECT_RANGE,
                  attempts=MAX_ATTEMPTS):
    """(y0, h, x0, w) of a random crop as tf.image.sample_distorted_bounding_box
    draws it for the whole image: area fraction and aspect ratio (w / h)
    uniform in their ranges, the offset uniform; the whole image if no
    attempt fits."""
    for _ in range(attempts):
        area = rng.uniform(*area_range) * height * width
        aspect = rng.uniform(*aspect_range)
        w = int(round(math.sqrt(area * aspect)))
        h = int(round(math.sqrt(area / aspect)))
        if 1 <= h <= height and 1 <= w <= width:
            y0 = int(rng.integers(0, height - h + 1))
            x0 = int(rng.integers(0, width - w + 1))
            return y0, h, x0, w
    return 0, height, 0, width


# -- colour distortion (inception_preprocessing.distort_color, fast_mode=False)


def _rgb_to_hsv(x):
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(axis=-1)
    c = v - x.min(axis=-1)
    s = np.where(v > 0, c / np.where(v > 0, v, 1), 0)
    safe = np.where(c > 0, c, 1)
    h = np.where(v == r, (g - b) / safe, np.where(v == g, 2 + (b - r) / safe, 4 + (r - g) / safe))
    h = np.where(c > 0, (h / 6) % 1.0, 0)
    return np.stack([h, s, v], axis=-1)


def _hsv_to_rgb(x):
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    i = np.floor(h * 6)
    f = h * 6 - i
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    i = i.astype(np.int64) % 6
    choices = [np.stack(c, axis=-1) for c in
               ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))]
    out = np.zeros_like(x)
    for k in range(6):
        out = np.where((i == k)[..., None], choices[k], out)
    return out


def distort_color(image, rng):
    """TF-Slim's distort_color on [0, 1] floats: random brightness (32/255),
    saturation (0.5-1.5), hue (0.2) and contrast (0.5-1.5) in one of four
    orders, clipped to [0, 1]."""
    def brightness(x):
        return x + rng.uniform(-32 / 255, 32 / 255)

    def saturation(x):
        hsv = _rgb_to_hsv(np.clip(x, 0, 1))
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.5, 1.5), 0, 1)
        return _hsv_to_rgb(hsv)

    def hue(x):
        hsv = _rgb_to_hsv(np.clip(x, 0, 1))
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(-0.2, 0.2)) % 1.0
        return _hsv_to_rgb(hsv)

    def contrast(x):
        mean = x.mean(axis=(0, 1), keepdims=True)
        return (x - mean) * rng.uniform(0.5, 1.5) + mean

    orders = ((brightness, saturation, hue, contrast), (saturation, brightness, contrast, hue),
              (contrast, hue, brightness, saturation), (hue, saturation, contrast, brightness))
    for step in orders[int(rng.integers(0, 4))]:
        image = step(image)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def for_train(rgb, size, rng, mean=DEFAULT_MEAN, scale=DEFAULT_SCALE, color=False,
              area_range=AREA_RANGE, flip=True):
    """A distorted training input (size, size, 3) float32 of a uint8 RGB image."""
    box = distorted_box(rng, rgb.shape[0], rgb.shape[1], area_range)
    pixels = resize(rgb, box, size, size)
    if flip and rng.random() < 0.5:
        pixels = pixels[:, ::-1]
    if color:
        pixels = distort_color(pixels / np.float32(255), rng) * np.float32(255)
    return np.ascontiguousarray(normalize(pixels, mean, scale), dtype=np.float32)


def batch(images, function):
    """np.stack of function(image) over an iterable, as C-contiguous float32."""
    return np.ascontiguousarray(np.stack([function(image) for image in images]), dtype=np.float32)
