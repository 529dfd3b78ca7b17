#!/usr/bin/env python3
"""Held-out accuracy of mobilenet.fine_tune's recipes on real data that ships
inside pip packages (offline): scikit-learn's digits (1,797 8x8 images, 10
classes) and scikit-image's lfw_subset (200 25x25 faces and non-faces).
Not run in CI (minutes on 2 cores); the figures go to bench/README.md.

    MOBILENET_LIBRARY=$PWD/.build/release/libmobilenet.so \\
        .venv/bin/python bench/finetune_digits.py [--only head,all,scratch,lfw] [--threads N]

Each dataset is split once, stratified, by a fixed seed: 20% held out (never
seen by fine_tune, which splits its own 10% validation set off the rest).
Prints one markdown row per run: recipe, settings, held-out accuracy, time.
"""

import argparse
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bindings", "python"))

import mobilenet  # noqa: E402


def cpu_model():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def digits():
    from sklearn.datasets import load_digits
    data = load_digits()
    return mobilenet.datasets.arrays(data.images, data.target)


def lfw():
    from skimage import data
    images = data.lfw_subset()  # 100 faces, then 100 non-faces (scikit-image's docs)
    labels = ["face"] * 100 + ["non-face"] * 100
    return mobilenet.datasets.arrays(images, labels)


def run(name, dataset, threads, **kwargs):
    rest, test = dataset.split(0.2, seed=0)
    started = time.perf_counter()
    model = mobilenet.fine_tune(rest, threads=threads, **kwargs)
    trained = time.perf_counter() - started
    result = mobilenet.evaluate(model, test)
    total = time.perf_counter() - started
    history = model.history
    settings = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    extra = ""
    if "embedding_seconds" in history.info:
        extra = f"; embeddings {history.info['embedding_seconds']:.1f} s"
    if history.info.get("warm_start"):
        extra += f"; warm start {history.info['warm_start']['embedding_seconds']:.1f} s of embeddings"
    row = (f"| {name} | {settings} | {len(rest)} / {len(test)} | **{result['accuracy'] * 100:.2f}%** "
           f"| {result['loss']:.4f} | {history.val_accuracy[-1] * 100:.2f}% | {trained:.1f} s "
           f"(total {total:.1f} s{extra}) |")
    print(row, flush=True)
    model.close()
    return row


def head_splits(dataset, threads, seeds):
    """The head recipe's held-out accuracy over several splits, next to
    scikit-learn's LogisticRegression (C=1) on the same embeddings (the
    issue's reference: 98.0%), each split's 20% held out."""
    from sklearn.linear_model import LogisticRegression
    from mobilenet import _finetune, _preprocess
    with mobilenet.load(threads=threads) as base:
        features = _finetune.embed_dataset(base, dataset, 224,
                                           _preprocess.normalization_of_file(base.path))
    ours, theirs = [], []
    for seed in seeds:
        rest, test = dataset.split(0.2, seed=seed)
        model = mobilenet.fine_tune(rest, recipe="head", resolution=224, threads=threads,
                                    progress=False)
        ours.append(mobilenet.evaluate(model, test)["accuracy"])
        model.close()
        train_index, test_index = rest._items, test._items  # arrays(): items are row indices
        reference = LogisticRegression(C=1.0, max_iter=5000).fit(features[train_index], rest.labels)
        theirs.append(reference.score(features[test_index], test.labels))
        print(f"| digits head, split seed {seed} | recipe=head, resolution=224 | {len(rest)} / "
              f"{len(test)} | **{ours[-1] * 100:.2f}%** | | | sklearn LogisticRegression on the "
              f"same embeddings: {theirs[-1] * 100:.2f}% |", flush=True)
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    print(f"| digits head, mean of {len(seeds)} splits | | | **{mean(ours) * 100:.2f}%** | | | "
          f"sklearn LogisticRegression: {mean(theirs) * 100:.2f}% |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="head,all,scratch,lfw",
                        help="comma-separated: head, all, scratch, lfw, splits (head over "
                             "--split-seeds with scikit-learn's logistic regression beside it)")
    parser.add_argument("--split-seeds", default="0,1,2,3,4")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--all-epochs", type=int, default=2)
    parser.add_argument("--all-resolution", type=int, default=224)
    parser.add_argument("--all-learning-rate", type=float, default=1e-5)
    parser.add_argument("--all-min-area", type=float, default=1.0,
                        help="the distorted crop's smallest area fraction for 'all' (1 = no crop)")
    parser.add_argument("--scratch-resolution", type=int, default=48)
    parser.add_argument("--scratch-epochs", type=int, default=40)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs; threads {args.threads or 'all'}; "
          f"libmobilenet {mobilenet.version()} ({mobilenet.best_isa()}), {mobilenet.library_path()}")
    print("| run | fine_tune settings | train / held-out images | held-out accuracy | held-out loss "
          "| last val_accuracy | time |")
    print("|---|---|---|---|---|---|---|")
    data = digits()
    # Digits are 8x8 strokes: a crop of 8% of them or a mirror image changes
    # the digit, so the backbone recipes do not flip, and crop 50-100%
    # (scratch) or not at all (all: measured 95.5% with 50-100% crops against
    # 97.5% without, 2 epochs at lr 1e-5).
    if "head" in only:
        run("digits head", data, args.threads, recipe="head", resolution=224, progress=False)
    if "all" in only:
        run("digits all", data, args.threads, recipe="all", resolution=args.all_resolution,
            epochs=args.all_epochs, learning_rate=args.all_learning_rate,
            area_range=(args.all_min_area, 1.0), flip=False, progress=False)
    if "scratch" in only:
        run("digits scratch", data, args.threads, recipe="scratch", alpha=0.25,
            resolution=args.scratch_resolution, epochs=args.scratch_epochs,
            area_range=(0.5, 1.0), flip=False, progress=False)
    if "splits" in only:
        head_splits(data, args.threads, [int(v) for v in args.split_seeds.split(",")])
    if "lfw" in only:
        run("lfw_subset head", lfw(), args.threads, recipe="head", resolution=224, progress=False)


if __name__ == "__main__":
    main()
