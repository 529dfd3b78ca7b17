"""Model.classify's image inputs: every PIL mode, 16-bit and low-bit-depth
PNG files decoded as the CLI's decoder (stb_image) decodes them, encoded
images as bytes and file objects, the bytes-as-path rule, lists of images,
and file names that are not UTF-8."""

import io
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

import mobilenet
from mobilenet._model import _rgb8
from mn_support import IMAGES

CAT = IMAGES / "cat.jpg"


def gray3(gray):
    return np.ascontiguousarray(np.repeat(np.asarray(gray, np.uint8)[:, :, None], 3, axis=2))


@pytest.fixture(scope="module")
def cat_top(model, cat_rgb):
    return model.classify(cat_rgb, top_k=5)


# ---------------------------------------------------------------------------
# Every PIL mode: classified as the equivalent RGB image, or a clear error


def _alpha(shape):
    """A non-trivial alpha channel (64..255), so that blending it in would show."""
    h, w = shape[:2]
    return (64 + (np.add.outer(np.arange(h), np.arange(w)) * 191 // (h + w))).astype(np.uint8)


def _palette_rgb(image):
    palette = np.array(image.getpalette(), np.uint8).reshape(-1, 3)
    return np.ascontiguousarray(palette[np.asarray(image)[..., 0] if image.mode == "PA"
                                        else np.asarray(image)])


def _sixteen_bit(cat_rgb):
    """(16-bit samples whose high byte is the cat's gray, that gray): the low
    byte is noise, so v >> 8 (stb_image) and rounding (v * 255 + 32767) // 65535
    give different images."""
    gray = np.asarray(Image.fromarray(cat_rgb).convert("L"))
    noise = np.random.default_rng(1).integers(0, 256, gray.shape)
    return (gray.astype(np.int64) * 256 + noise), gray


def make_mode_image(mode, cat_rgb):
    """(PIL image of `mode`, the RGB array it must read as), where the array
    is None for colour spaces whose round trip is lossy (checked against the
    cat instead), or (image, exception type) for modes that must raise."""
    rgb = Image.fromarray(cat_rgb)
    alpha = Image.fromarray(_alpha(cat_rgb.shape))
    if mode == "RGB":
        return rgb, cat_rgb
    if mode == "1":
        image = rgb.convert("1")
        return image, gray3(np.asarray(image).astype(np.uint8) * 255)
    if mode == "L":
        image = rgb.convert("L")
        return image, gray3(image)
    if mode in ("LA", "La"):
        la = rgb.convert("L").convert("LA")
        la.putalpha(alpha)
        image = la.convert(mode)
        # Alpha dropped, not blended; La's premultiplication undone first.
        return image, gray3(np.asarray(image.convert("LA") if mode == "La" else la)[..., 0])
    if mode in ("P", "PA"):
        image = rgb.convert("P")
        if mode == "PA":
            image = image.convert("PA")
            image.putalpha(alpha)
        return image, _palette_rgb(image)
    if mode in ("RGBA", "RGBX"):
        rgba = rgb.copy()
        rgba.putalpha(alpha)
        return rgba.convert(mode), cat_rgb
    if mode == "RGBa":
        rgba = rgb.copy()
        rgba.putalpha(alpha)
        image = rgba.convert("RGBa")
        return image, np.ascontiguousarray(np.asarray(image.convert("RGBA"))[..., :3])
    if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        return rgb.convert(mode), None
    if mode == "I" or mode.startswith("I;16"):
        samples, gray = _sixteen_bit(cat_rgb)
        h, w = gray.shape
        dtype = {"I": "=i4", "I;16": "<u2", "I;16L": "<u2", "I;16B": ">u2", "I;16N": "=u2"}[mode]
        image = Image.frombytes(mode, (w, h), samples.astype(dtype).tobytes())
        assert np.array_equal(np.asarray(image), samples)
        return image, gray3(samples >> 8)
    if mode == "F":
        return rgb.convert("F"), ValueError
    return Image.new(mode, (8, 8)), ValueError  # a mode this binding does not know


KNOWN_MODES = ["1", "L", "P", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV",
               "I", "I;16", "I;16L", "I;16B", "I;16N", "F", "LA", "La", "PA"]
ALL_MODES = sorted(set(KNOWN_MODES) | set(getattr(Image, "MODES", [])))


@pytest.mark.parametrize("mode", ALL_MODES)
def test_every_pil_mode(model, cat_rgb, cat_top, mode):
    try:
        Image.new(mode, (1, 1))
    except (ValueError, OSError):
        pytest.skip(f"this Pillow cannot create mode {mode}")
    image, expected = make_mode_image(mode, cat_rgb)
    assert image.mode == mode
    if isinstance(expected, type):
        with pytest.raises(expected, match="mode"):
            model.classify(image)
        return
    got = _rgb8(image)
    assert got.shape == cat_rgb.shape and got.dtype == np.uint8
    if expected is None:
        # A colour space: its round trip is close to the cat and classifies as it.
        difference = np.abs(got.astype(int) - cat_rgb)
        assert difference.mean() < 2 and difference.max() <= 8, mode
        assert model.classify(image, top_k=1)[0].index == cat_top[0].index
    else:
        assert np.ptp(expected) > 100  # the expectation is a real picture, not a flat one
        np.testing.assert_array_equal(got, expected)
        assert model.classify(image, top_k=5) == model.classify(expected, top_k=5)


@pytest.mark.parametrize("values", [[-1, 300, 1000], [0, 65536, 1000], [0, 2**31 - 1, 7],
                                    [0, 255, 17], [0, 0, 0]])
def test_pil_mode_i_out_of_range_or_8_bit(model, values):
    """Mode I is read as 16-bit gray: values outside 0..65535 have no such
    reading, and all in 0..255 (an 8-bit image converted to I) would be black."""
    image = Image.frombytes("I", (3, 1), np.array(values, "=i4").tobytes())
    with pytest.raises(ValueError, match="mode I"):
        model.classify(image)


def test_pil_mode_i_dark_16_bit_is_read(model):
    image = Image.frombytes("I", (3, 1), np.array([0, 256, 65535], "=i4").tobytes())
    np.testing.assert_array_equal(_rgb8(image)[0, :, 0], [0, 1, 255])


def test_pil_empty_image(model):
    for mode in ("RGB", "I;16", "I"):
        with pytest.raises(ValueError, match="empty"):
            model.classify(Image.new(mode, (0, 5)))


# ---------------------------------------------------------------------------
# PNG files of every bit depth, decoded as stb_image (the CLI's decoder) does


def write_png(path, samples, bit_depth, color_type, palette=None):
    """A PNG of samples (H, W) or (H, W, C) at bit_depth (1, 2, 4, 8 or 16);
    palette: (N, 3) uint8 for colour type 3."""
    samples = np.asarray(samples)
    h, w = samples.shape[:2]
    if bit_depth == 16:
        rows = samples.astype(">u2").reshape(h, -1)
    elif bit_depth == 8:
        rows = samples.astype(np.uint8).reshape(h, -1)
    else:  # gray packed several pixels a byte, first pixel in the high bits
        per = 8 // bit_depth
        padded = np.zeros((h, -(-w // per) * per), np.uint8)
        padded[:, :w] = samples
        groups = padded.reshape(h, -1, per).astype(np.uint16)
        shifts = np.arange(per - 1, -1, -1) * bit_depth
        rows = (groups << shifts).sum(axis=2).astype(np.uint8)
    raw = b"".join(b"\0" + row.tobytes() for row in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    plte = chunk(b"PLTE", np.asarray(palette, np.uint8).tobytes()) if palette is not None else b""
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + plte
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


STB_PROGRAM = r"""
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
#include <stdio.h>
int main(int argc, char **argv) {   /* prints W H, then writes W*H*3 bytes to argv[2] */
    int w, h, c;
    unsigned char *p = stbi_load(argv[1], &w, &h, &c, 3);
    if (!p) { fprintf(stderr, "%s\n", stbi_failure_reason()); return 1; }
    FILE *out = fopen(argv[2], "wb");
    fwrite(p, 1, (size_t)w * h * 3, out);
    fclose(out);
    printf("%d %d\n", w, h);
    return 0;
}
"""


@pytest.fixture(scope="module")
def stb_decode(tmp_path_factory):
    """path -> the (H, W, 3) RGB that stb_image's stbi_load(path, ..., 3) gives."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    header = next((d for d in ("/usr/include/stb", "/usr/local/include/stb")
                   if os.path.isfile(os.path.join(d, "stb_image.h"))), None)
    if cc is None or header is None:
        pytest.skip("needs a C compiler and stb_image.h (libstb-dev)")
    directory = tmp_path_factory.mktemp("stb")
    (directory / "decode.c").write_text(STB_PROGRAM)
    exe = directory / "decode"
    subprocess.run([cc, "-O1", "-I", header, str(directory / "decode.c"), "-o", str(exe), "-lm"],
                   check=True)

    def decode(path):
        out = directory / "out.rgb"
        result = subprocess.run([str(exe), str(path), str(out)], capture_output=True, text=True,
                                check=True)
        w, h = map(int, result.stdout.split())
        return np.frombuffer(out.read_bytes(), np.uint8).reshape(h, w, 3)

    return decode


PNG_KINDS = [  # (bit depth, colour type, channels)
    (16, 0, 1), (16, 2, 3), (16, 4, 2), (16, 6, 4),
    (8, 0, 1), (8, 2, 3), (8, 4, 2), (8, 6, 4),
    (4, 0, 1), (2, 0, 1), (1, 0, 1), (8, 3, 1),
]


@pytest.mark.parametrize("bit_depth,color_type,channels", PNG_KINDS)
def test_png_decodes_as_stb_image(model, cat_rgb, tmp_path, stb_decode, bit_depth, color_type,
                                  channels):
    rng = np.random.default_rng(bit_depth * 10 + color_type)
    gray = np.asarray(Image.fromarray(cat_rgb).convert("L")).astype(np.int64)
    color = {1: gray[:, :, None], 2: np.dstack([gray, _alpha(gray.shape)]),
             3: cat_rgb, 4: np.dstack([cat_rgb, _alpha(gray.shape)])}[channels].astype(np.int64)
    palette = None
    if color_type == 3:  # the cat through an adaptive palette
        indexed = Image.fromarray(cat_rgb).convert("P", palette=Image.Palette.ADAPTIVE)
        samples, palette = np.asarray(indexed), np.array(indexed.getpalette(), np.uint8).reshape(-1, 3)
    elif bit_depth == 16:
        samples = color * 256 + rng.integers(0, 256, color.shape)
    else:
        samples = color >> (8 - bit_depth)
    path = tmp_path / f"image_{bit_depth}_{color_type}.png"
    write_png(path, samples.squeeze(), bit_depth, color_type, palette)
    expected = stb_decode(path)
    assert np.ptp(expected) > 100
    np.testing.assert_array_equal(_rgb8(path), expected)
    assert model.classify(path, top_k=5) == model.classify(expected, top_k=5)


# ---------------------------------------------------------------------------
# Encoded images: bytes, buffers, file objects; the bytes-as-path rule


def _encoded(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("format,options,signature", [
    ("PNG", {}, b"\x89PNG"),
    ("JPEG", {"quality": 90}, b"\xff\xd8\xff"),
    ("GIF", {}, b"GIF8"),
    ("BMP", {}, b"BM"),
    ("TIFF", {}, b"II*\0"),
    ("WEBP", {"lossless": True}, b"RIFF"),
])
def test_classify_encoded_bytes(model, cat_rgb, tmp_path, format, options, signature):
    data = _encoded(Image.fromarray(cat_rgb), format, **options)
    assert data.startswith(signature)
    path = tmp_path / f"cat.{format.lower()}"
    path.write_bytes(data)
    expected = model.classify(path, top_k=5)
    assert model.classify(data, top_k=5) == expected
    assert model.classify(bytearray(data), top_k=5) == expected
    assert model.classify(memoryview(data), top_k=5) == expected
    assert model.classify(io.BytesIO(data), top_k=5) == expected
    with open(path, "rb") as file:
        assert model.classify(file, top_k=5) == expected
        assert not file.closed  # the caller's file stays the caller's


def test_classify_file_object_from_current_position(model):
    data = CAT.read_bytes()
    expected = model.classify(CAT, top_k=5)
    stream = io.BytesIO(b"some header" + data)
    stream.seek(len(b"some header"))
    assert model.classify(stream, top_k=5) == expected

    class ReadOnly:  # not seekable: anything with .read() will do
        def read(self):
            return data

    assert model.classify(ReadOnly(), top_k=5) == expected


def test_classify_text_file_object(model, tmp_path):
    path = tmp_path / "text.png"
    path.write_text("not an image")
    with open(path) as file, pytest.raises(TypeError, match="binary mode"):
        model.classify(file)


def test_classify_bytes_path(model, tmp_path, monkeypatch):
    """bytes that do not start with an image signature are a file name."""
    expected = model.classify(CAT, top_k=5)
    assert model.classify(os.fsencode(CAT), top_k=5) == expected
    # A file name starting with "BM" (a BMP's first bytes) is still a name.
    name = tmp_path / "BMW.jpg"
    shutil.copyfile(CAT, name)
    assert model.classify(os.fsencode(name), top_k=5) == expected
    monkeypatch.chdir(tmp_path)
    assert model.classify(b"BMW.jpg", top_k=5) == expected
    with pytest.raises(FileNotFoundError):
        model.classify(os.fsencode(tmp_path / "missing.jpg"))
    with pytest.raises(ValueError, match="NUL"):
        model.classify(b"no\0such")
    with pytest.raises(ValueError, match="empty"):
        model.classify(b"")


def test_classify_bytes_with_a_signature_are_contents(model, tmp_path, monkeypatch):
    """The rule is the first bytes, never whether a file exists: a file named
    like a GIF signature is not read as a name (pass a str or Path for it)."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(CAT, "GIF89a.jpg")
    with pytest.raises(OSError):
        model.classify(b"GIF89a.jpg")
    assert model.classify("GIF89a.jpg", top_k=3) == model.classify(CAT, top_k=3)


def test_classify_pathlike_bytes(model):
    class BytesPath:
        def __fspath__(self):
            return os.fsencode(CAT)

    assert model.classify(BytesPath(), top_k=3) == model.classify(CAT, top_k=3)


# ---------------------------------------------------------------------------
# A list of images


def test_classify_list(model, cat_rgb):
    coffee = IMAGES / "coffee.png"
    with Image.open(coffee) as image:
        coffee_pil = image.copy()
    images = [CAT, str(coffee), cat_rgb, coffee_pil, CAT.read_bytes(),
              io.BytesIO(coffee.read_bytes()), os.fsencode(CAT)]
    singles = [model.classify(CAT, top_k=3), model.classify(coffee, top_k=3)]
    expected = [singles[i % 2] for i in range(len(images))]
    result = model.classify(images, top_k=3)
    assert isinstance(result, list) and len(result) == len(images)
    assert result == expected
    assert result[0][0].label != result[1][0].label  # the two pictures differ
    assert model.classify(tuple(images[:2]), top_k=3) == expected[:2]
    assert model.classify([cat_rgb]) == [model.classify(cat_rgb)]  # default top_k
    assert model.classify([]) == []


def test_classify_list_errors(model, fresh_model, cat_rgb):
    with pytest.raises(ValueError):
        model.classify([], top_k=0)
    with pytest.raises(TypeError):
        model.classify([cat_rgb], top_k=2.0)
    with pytest.raises(TypeError) as caught:
        model.classify([cat_rgb, cat_rgb, 42])
    if sys.version_info >= (3, 11):
        assert "image 2" in "".join(caught.value.__notes__)
    fresh_model.close()
    with pytest.raises(ValueError, match="closed"):
        fresh_model.classify([])


# ---------------------------------------------------------------------------
# File names that are not UTF-8: the bytes reach open() untouched


NON_UTF8 = b"x\xe9"


def test_classify_non_utf8_image_name(model, tmp_path):
    path = os.path.join(os.fsencode(tmp_path), NON_UTF8 + b".jpg")
    shutil.copyfile(CAT, path)
    expected = model.classify(CAT, top_k=5)
    assert model.classify(path, top_k=5) == expected                        # bytes
    assert model.classify(os.fsdecode(path), top_k=5) == expected           # str (surrogateescape)
    assert model.classify(pathlib.Path(os.fsdecode(path)), top_k=5) == expected
    assert model.classify([path], top_k=5) == [expected]


def test_load_non_utf8_model_name(tmp_path, random_model):
    source = random_model("separable", 0.25, 32, 3)
    path = os.path.join(os.fsencode(tmp_path), NON_UTF8 + b".safetensors")
    shutil.copyfile(source, path)
    for name in (path, os.fsdecode(path), pathlib.Path(os.fsdecode(path))):
        with mobilenet.load(name, threads=1) as m:
            assert m.num_classes == 3
            assert os.fsencode(m.path) == path
