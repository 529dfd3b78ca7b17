#!/usr/bin/env python3
"""Write examples/images/cat.jpg and examples/images/coffee.png.

Why: the examples and tests need real photographs that are freely licensed
and small. scikit-image bundles two CC0 photos (skimage/data/chelsea.png,
"Chelsea the cat", by Stefan van der Walt; skimage/data/coffee.png, a coffee
cup by Rachel Michetti, courtesy of Pikolo Espresso Bar). One is shipped as
a JPEG and one as a PNG so that both image decoders are exercised.

- cat.jpg: chelsea at its full 451x300, baseline (non-progressive) JPEG,
  4:2:0 chroma subsampling, quality 90, no ICC/EXIF/XMP.
- coffee.png: coffee downscaled from 600x400 to 360x240 (Lanczos) so the
  PNG stays under 200 KB; 8-bit RGB, non-interlaced, no ancillary chunks.

Needs Pillow; the source PNGs are found in an installed scikit-image (or
pass --skimage-data). The outputs are deterministic for a given Pillow.
"""

import argparse
import importlib.util
import os

from PIL import Image

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def skimage_data_dir():
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-image not found; pass --skimage-data DIR")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--skimage-data", default=None, help="scikit-image's skimage/data folder")
    p.add_argument("--out-dir", default=os.path.join(REPO, "examples", "images"))
    p.add_argument("--jpeg-quality", type=int, default=90)
    p.add_argument("--png-width", type=int, default=360,
                   help="width of coffee.png (aspect ratio kept)")
    args = p.parse_args(argv)
    data = args.skimage_data or skimage_data_dir()
    os.makedirs(args.out_dir, exist_ok=True)

    cat = Image.open(os.path.join(data, "chelsea.png")).convert("RGB")
    cat_path = os.path.join(args.out_dir, "cat.jpg")
    cat.save(cat_path, "JPEG", quality=args.jpeg_quality, subsampling="4:2:0",
             progressive=False, optimize=False)

    coffee = Image.open(os.path.join(data, "coffee.png")).convert("RGB")
    height = round(coffee.height * args.png_width / coffee.width)
    coffee = coffee.resize((args.png_width, height), Image.Resampling.LANCZOS)
    coffee_path = os.path.join(args.out_dir, "coffee.png")
    coffee.save(coffee_path, "PNG", optimize=True)

    for path in (cat_path, coffee_path):
        with Image.open(path) as im:
            print(f"{path}: {im.format} {im.size[0]}x{im.size[1]} {im.mode}, "
                  f"{os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
