#!/usr/bin/env python3
"""Accuracy of libmobilenet's int8 quantizer (mobilenet.quantize) against the
float model, beside TensorFlow's converter's int8 file of the same model,
on every real image the project has.

Calibration (the same photos tools/make_tflite_fixtures.py gave TF's
converter, as far as this environment ships them): skimage's and
scikit-learn's package photos plus the first 16 faces of lfw_subset, each
preprocessed as classify does (central crop 0.875) and mirrored.
Evaluated: top-1 agreement (int8 argmax == float argmax) and top-5 agreement
(float top-1 within the int8 top-5) on the 7 test photos
(tests/fixtures/tflite), lfw_subset faces 16-199, 500 scikit-learn digits,
and the calibration photos (in-sample). Then a head fine-tuned on digits
(96x96, as tests/python/test_finetune.py), float vs int8 held-out accuracy.

Run: MOBILENET_LIBRARY=.build/release/libmobilenet.so PYTHONPATH=bindings/python \\
        .venv/bin/python bench/quantize_accuracy.py
"""
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
sys.path.insert(0, os.path.join(REPO, "tests", "python"))
import mobilenet  # noqa: E402
from mobilenet import _preprocess as pp  # noqa: E402
from mn_support import read_safetensors  # noqa: E402

MODEL = os.path.join(REPO, "models", "mobilenet_v1_1.0_224.safetensors")
TF_FILE = os.path.join(REPO, "tests", "fixtures", "tflite", "mobilenet_v1_1.0_224_int8.tflite")
SKIMAGE = ["hubble_deep_field.jpg", "ihc.png", "retina.jpg", "moon.png", "brick.png", "grass.png",
           "gravel.png", "cell.png", "clock_motion.png", "microaneurysms.png", "page.png", "text.png"]


def rgb(image):
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3].astype(np.uint8))


def calibration_photos():
    import skimage
    import skimage.io
    from sklearn.datasets import load_sample_images
    root = os.path.join(os.path.dirname(skimage.__file__), "data")
    photos = [rgb(skimage.io.imread(os.path.join(root, n))) for n in SKIMAGE if os.path.exists(os.path.join(root, n))]
    photos += [rgb(i) for i in load_sample_images().images]
    return photos


def batch(images, size=224):
    return np.ascontiguousarray(np.stack([pp.for_eval(i, size) for i in images]).astype(np.float32))


def agreement(float_logits, int8_logits):
    f1 = float_logits.argmax(1)
    top1 = int((int8_logits.argmax(1) == f1).sum())
    top5 = int(sum(f in np.argsort(-q)[:5] for f, q in zip(f1, int8_logits)))
    return top1, top5


def main():
    t0 = time.time()
    from skimage import data
    from sklearn.datasets import load_digits
    photos = calibration_photos()
    faces = [(f * 255).round().astype(np.uint8) for f in data.lfw_subset()]
    calib_images = [rgb(p) for p in photos] + [rgb(f) for f in faces[:16]]
    calib = batch(calib_images)
    calib = np.ascontiguousarray(np.concatenate([calib, calib[:, :, ::-1, :]]))  # and mirrored
    ref, _ = read_safetensors(os.path.join(REPO, "tests", "fixtures", "tflite", "tflite_reference.safetensors"))
    names = sorted({k.split("/")[0] for k in ref})
    sets = {
        "7 test photos": np.ascontiguousarray(np.concatenate([ref[f"{p}/input_224"].astype(np.float32) for p in names])),
        "184 lfw faces (not calibration)": batch([rgb(f) for f in faces[16:]]),
        "500 digits": batch([rgb((d * 255 / 16).round().astype(np.uint8)) for d in load_digits().images[:500]]),
        f"{len(calib_images)} calibration images (in-sample)": batch(calib_images),
    }
    print(f"calibration: {len(photos)} photos + 16 faces, mirrored: {len(calib)} inputs", file=sys.stderr)
    with mobilenet.Model(MODEL, threads=2) as f:
        floats = {k: f.run(x) for k, x in sets.items()}
    variants = [("TensorFlow's converter (fixture file)", None)]
    if "--digits-only" in sys.argv:
        finetuned_digits()
        return
    for method in ("minmax", "percentile", "mse"):
        for bc in (False, True):
            for headroom in (1.0, 1.5):
                variants.append((f"{method}, bias correction {'on' if bc else 'off'}, headroom {headroom}",
                                 dict(method=method, bias_correction=bc, logits_headroom=headroom)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, kwargs in variants:
            if kwargs is None:
                path = TF_FILE
            else:
                path = os.path.join(tmp, "q.tflite")
                mobilenet.quantize(MODEL, calib, path, threads=2, **kwargs)
            with mobilenet.Model(path, threads=2) as q:
                cells = []
                for k, x in sets.items():
                    out = q.run(x)
                    t1, t5 = agreement(floats[k], out)
                    n = len(x)
                    cells.append(f"{t1}/{n} ({100 * t1 / n:.1f}%), {t5}/{n}")
                    if k.startswith("7 "):
                        cells[-1] += f", max abs diff {np.abs(out - floats[k]).max():.2f}"
            rows.append((label, cells))
            print(label, cells, file=sys.stderr)
    cpu = "unknown CPU"
    try:
        info = open("/proc/cpuinfo").read()
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        cpu = f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"
    except OSError:
        pass
    print("# Accuracy of libmobilenet's int8 quantizer\n")
    print(f"Generated by `bench/quantize_accuracy.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{cpu}, libmobilenet {mobilenet.version()}. Calibration: {len(photos)} package photos + 16 lfw faces, "
          f"each also mirrored ({len(calib)} inputs). Each cell: top-1 agreement with the float model "
          "(count and share), top-5 agreement (the float top-1 within the int8 top-5); on the test photos also "
          "the largest |logit difference| from float.\n")
    print("| int8 file | " + " | ".join(sets) + " |")
    print("|---|" + "---|" * len(sets))
    for label, cells in rows:
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(f"\n(top-1 agree, top-5 agree; {time.time() - t0:.0f} s)")
    finetuned_digits()


def finetuned_digits():
    """A head fine-tuned on digits at 96x96 (tests/python/test_finetune.py's
    recipe and split), its held-out accuracy in float and quantized (default
    options, calibrated on the first 200 training images)."""
    from sklearn.datasets import load_digits
    data = load_digits()
    digits = mobilenet.datasets.arrays(data.images, data.target)
    rest, test = digits.split(0.25, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = os.path.join(tmp, "digits.safetensors")
        model = mobilenet.fine_tune(rest, resolution=96, epochs=30, seed=0, threads=2, progress=False,
                                    checkpoint=checkpoint)
        float_accuracy = mobilenet.evaluate(model, test)["accuracy"]
        model.close()
        int8_path = os.path.join(tmp, "digits_int8.tflite")
        mobilenet.quantize(checkpoint, [rest.image(i) for i in range(200)], int8_path, threads=2)
        int8_accuracy = mobilenet.evaluate(int8_path, test)["accuracy"]
    print(f"\nDigits head (96x96, {len(rest)} training / {len(test)} held-out images): "
          f"float {100 * float_accuracy:.2f}%, int8 {100 * int8_accuracy:.2f}%")


if __name__ == "__main__":
    main()
