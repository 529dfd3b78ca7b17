"""Builds the CLI tests' tiny datasets from examples/images without Pillow:
stb_image (libstb, which the CLI links) decodes through ctypes, numpy crops
and flips, and PNGs and TFRecords are written by hand.

    make_dataset.py IMAGES_DIR OUT_DIR

OUT_DIR/folder/{cat,coffee}/*: 7 images per class (crops, flips, a grayscale
and an RGBA PNG, the original JPEG) and folder/cat/broken.jpg, which does not
decode; OUT_DIR/records/train.tfrecord: the same images as tf.train.Example
records (image/encoded, image/class/label, image/class/text), TF-Slim's layout;
OUT_DIR/corrupt.tfrecord: that file with one byte of a record changed."""
import ctypes, ctypes.util, os, shutil, struct, sys, zlib
import numpy as np

images, out = sys.argv[1], sys.argv[2]
stb = ctypes.CDLL(ctypes.util.find_library("stb") or "libstb.so")
stb.stbi_load_from_memory.restype = ctypes.POINTER(ctypes.c_uint8)
stb.stbi_load_from_memory.argtypes = [ctypes.c_char_p, ctypes.c_int] + [ctypes.POINTER(ctypes.c_int)] * 3 + [ctypes.c_int]


def decode(path):
    data = open(path, "rb").read()
    w, h, n = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    pixels = stb.stbi_load_from_memory(data, len(data), w, h, n, 3)
    assert pixels, path
    array = np.ctypeslib.as_array(pixels, shape=(h.value, w.value, 3)).copy()
    stb.stbi_image_free(pixels)
    return array


def png(array):
    """PNG bytes of a uint8 (H, W), (H, W, 3) or (H, W, 4) array (filter 0 rows)."""
    height, width = array.shape[:2]
    kind = 0 if array.ndim == 2 else {3: 2, 4: 6}[array.shape[2]]
    rows = b"".join(b"\0" + array[y].tobytes() for y in range(height))
    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, kind, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def variants(rgb):
    rgb = rgb[::2, ::2]  # half size: smaller files, the same classes
    h, w, _ = rgb.shape
    return {
        "flip.png": rgb[:, ::-1],
        "left.png": rgb[:, : w * 4 // 5],
        "right.png": rgb[:, w // 5:],
        "centre.png": rgb[h // 6: h - h // 6, w // 6: w - w // 6],
        "gray.png": (rgb.astype(np.float32) @ [0.299, 0.587, 0.114]).astype(np.uint8),
        "alpha.png": np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], axis=2),
    }


classes = {"cat": os.path.join(images, "cat.jpg"), "coffee": os.path.join(images, "coffee.png")}
records = []
for label, (name, source) in enumerate(sorted(classes.items())):
    folder = os.path.join(out, "folder", name)
    os.makedirs(folder, exist_ok=True)
    original = os.path.join(folder, "original" + os.path.splitext(source)[1])
    shutil.copy(source, original)
    records.append((open(original, "rb").read(), label, name))
    for file, array in variants(decode(source)).items():
        data = png(np.ascontiguousarray(array))
        open(os.path.join(folder, file), "wb").write(data)
        records.append((data, label, name))
open(os.path.join(out, "folder", "cat", "broken.jpg"), "wb").write(b"\xff\xd8 this is not a JPEG")


def varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number, body):  # length-delimited
    return varint(number << 3 | 2) + varint(len(body)) + body


def example(image, label, text):
    def feature(key, value):
        return field(1, field(1, key.encode()) + field(2, value))
    features = (feature("image/encoded", field(1, field(1, image)))
                + feature("image/format", field(1, field(1, b"png")))
                + feature("image/class/label", field(3, field(1, varint(label))))  # packed int64
                + feature("image/class/text", field(1, field(1, text.encode()))))
    return field(1, features)


def crc32c_table():
    table = []
    for n in range(256):
        for _ in range(8):
            n = (n >> 1) ^ 0x82F63B78 if n & 1 else n >> 1
        table.append(n)
    return table


CRC_TABLE = crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


os.makedirs(os.path.join(out, "records"), exist_ok=True)
framed = b""
for image, label, text in records:
    data = example(image, label, text)
    length = struct.pack("<Q", len(data))
    framed += length + struct.pack("<I", masked(length)) + data + struct.pack("<I", masked(data))
open(os.path.join(out, "records", "train.tfrecord"), "wb").write(framed)
corrupt = bytearray(framed)
corrupt[len(framed) // 2] ^= 0x40
open(os.path.join(out, "corrupt.tfrecord"), "wb").write(bytes(corrupt))
print(f"{len(records)} images in 2 classes, {len(framed)} bytes of TFRecord")
