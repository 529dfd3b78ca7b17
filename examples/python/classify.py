#!/usr/bin/env python3
"""Classify an image with libmobilenet's Python binding.

    python examples/python/classify.py IMAGE [--model PATH] [--top-k 5] [--threads N] [--crop F]

IMAGE is a JPEG or PNG (anything Pillow reads). Without --model the bundled
ImageNet MobileNet v1 1.0/224 is used. Prints the top-k classes with their
probabilities, e.g.

    examples/images/cat.jpg (451x300)
      1.  87.37%  Egyptian cat [286]
      2.   9.68%  tabby, tabby cat [282]
      ...

Needs the mobilenet package (pip install ./bindings/python; run from the
repository it also works uninstalled) and libmobilenet.so (found through
$MOBILENET_LIBRARY, next to the package or on the system path).
"""

import argparse
import os
import sys

try:
    import mobilenet
except ImportError:  # not installed: use the binding of the repository we are in
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    os.pardir, os.pardir, "bindings", "python"))
    import mobilenet


def main(argv=None):
    parser = argparse.ArgumentParser(description="Classify an image with MobileNet v1 (libmobilenet).")
    parser.add_argument("image", help="a JPEG or PNG file")
    parser.add_argument("--model", help="a libmobilenet safetensors model (default: the bundled one)")
    parser.add_argument("--top-k", type=int, default=5, help="how many classes to print (default 5)")
    parser.add_argument("--threads", type=int, default=0,
                        help="worker threads per inference, 0 = one per core (default)")
    parser.add_argument("--crop", type=float, default=None,
                        help="central crop fraction in (0, 1] (default: the model's, 0.875)")
    args = parser.parse_args(argv)

    try:
        from PIL import Image
    except ImportError:
        print("classify.py: reading images needs Pillow: pip install pillow", file=sys.stderr)
        return 2

    try:
        # Not image.convert("RGB"): that clips 16-bit images to white;
        # classify() reads every mode as the CLI's decoder does.
        with Image.open(args.image) as image:
            image.load()
    except (OSError, ValueError) as error:
        print(f"classify.py: cannot read {args.image}: {error}", file=sys.stderr)
        return 1

    try:
        with mobilenet.load(args.model, threads=args.threads, crop_fraction=args.crop) as model:
            predictions = model.classify(image, top_k=args.top_k)
    except (mobilenet.Error, TypeError, ValueError, OSError) as error:
        print(f"classify.py: {error}", file=sys.stderr)
        return 1

    print(f"{args.image} ({image.width}x{image.height})")
    for rank, p in enumerate(predictions, start=1):
        label = p.label if p.label is not None else f"class {p.index}"
        print(f"  {rank}. {100 * p.probability:6.2f}%  {label} [{p.index}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
