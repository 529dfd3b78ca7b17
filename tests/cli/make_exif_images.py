#!/usr/bin/env python3
"""Writes the EXIF-orientation test photos of tests/cli/run.sh (committed; rerun
only to change them): examples/images/cat.jpg's pixels stored turned, with
the EXIF orientation tag that turns them back, so that a viewer (or
mobilenet-cli) that applies the tag shows the upright photo.

    orientation 6  stored turned 90 degrees counter-clockwise; shown turned clockwise
    orientation 8  stored turned 90 degrees clockwise; shown turned counter-clockwise
    orientation 5  stored transposed (mirrored about the main diagonal)

Needs Pillow. Usage: tests/cli/make_exif_images.py
"""
import os

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
UPRIGHT = os.path.join(HERE, "..", "..", "examples", "images", "cat.jpg")
ORIENTATION_TAG = 0x0112
# The stored pixels: the inverse of the turn each tag asks a viewer to make.
STORED = {
    6: Image.Transpose.ROTATE_90,   # Pillow's ROTATE_90 is counter-clockwise
    8: Image.Transpose.ROTATE_270,
    5: Image.Transpose.TRANSPOSE,
}


def main():
    upright = Image.open(UPRIGHT).convert("RGB")
    for orientation, transpose in STORED.items():
        path = os.path.join(HERE, f"cat_exif_orientation_{orientation}.jpg")
        exif = Image.Exif()
        exif[ORIENTATION_TAG] = orientation
        upright.transpose(transpose).save(path, quality=92, exif=exif.tobytes())
        # Check: Pillow applying the tag gives back the upright photo (up to JPEG loss).
        shown = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        assert shown.size == upright.size, (path, shown.size)
        error = np.abs(np.asarray(shown, dtype=int) - np.asarray(upright, dtype=int)).mean()
        assert error < 3, (path, error)
        print(f"{path}: stored {Image.open(path).size}, orientation {orientation}, mean |error| {error:.2f}")


if __name__ == "__main__":
    main()
