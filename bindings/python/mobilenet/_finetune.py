"""mobilenet.fine_tune: a model of your classes from a dataset, by recipe.

Recipes (TF-Slim's fine-tuning paths, train_image_classifier.py):
  head       only a new Logits layer trains, on embeddings computed ONCE per
             image (Model.features on the evaluation preprocessing) through
             Trainer.step_embeddings: one forward pass per image, then seconds.
  from=LAYER that layer and every later one train (--trainable_scopes), through
             Trainer.step on distorted crops (inception_preprocessing).
  last=N     the last N blocks (Conv2d_{14-N} ... Conv2d_13) and the head.
  all        every layer.
  scratch    a new network (Trainer.new) of width multiplier `alpha` at `resolution`.
The learning rate follows TF-Slim's exponential decay, 0.94 every 2 epochs,
staircase (per step, from the global step, so a resumed run continues the
schedule); the optimizer defaults are TF-Slim's (mobilenet_train_options),
each overridable by keyword.
"""

import json
import math
import os
import re
import struct
import tempfile
import time

import numpy as np

from . import _preprocess as pre
from ._history import History
from ._model import Model, default_model_path, describe, load_bytes
from ._progress import Progress
from ._trainer import Trainer
from .datasets import as_dataset

# Defaults per recipe: epochs, learning rate and trainer options. The rates
# are TF-Slim's flowers tutorial's (0.0001 to fine-tune from the checkpoint)
# and its default 0.01 from scratch; for the head on cached embeddings 0.03
# with label smoothing 0.1 measured better than the tutorial's 0.01 without
# (held-out digits over 4 stratified splits: 98.3% against 97.8%).
DEFAULT_EPOCHS = {"head": 30, "from": 5, "last": 5, "all": 5, "scratch": 30}
DEFAULT_LEARNING_RATE = {"head": 0.03, "from": 0.0001, "last": 0.0001, "all": 0.0001,
                         "scratch": 0.01}
DEFAULT_OPTIONS = {"head": {"label_smoothing": 0.1}}
DECAY_FACTOR = 0.94
EPOCHS_PER_DECAY = 2.0
TRAIN_ACCURACY_SAMPLE = 512  # images the training accuracy is measured on, backbone recipes
EVAL_BATCH = 64


def parse_recipe(recipe):
    """("head" | "all" | "scratch", None), ("from", LAYER) or ("last", N)."""
    if not isinstance(recipe, str):
        raise TypeError(f"recipe must be a str, not {type(recipe).__name__}")
    if recipe in ("head", "all", "scratch"):
        return recipe, None
    kind, sep, arg = recipe.partition("=")
    if sep and kind == "from" and arg:
        return "from", arg
    if sep and kind == "last" and arg.isdigit() and int(arg) >= 1:
        return "last", int(arg)
    raise ValueError(f"recipe must be 'head', 'all', 'scratch', 'from=LAYER' or 'last=N' "
                     f"(N >= 1), got {recipe!r}")


def first_layer_of_last_blocks(layer_names, n):
    """The first layer of the last n Conv2d_<k> blocks (k >= 1)."""
    blocks = []
    for name in layer_names:
        match = re.match(r"Conv2d_(\d+)(_|$)", name)
        if match and int(match.group(1)) >= 1 and int(match.group(1)) not in blocks:
            blocks.append(int(match.group(1)))
    if not 1 <= n <= len(blocks):
        raise ValueError(f"last={n}: the network has {len(blocks)} blocks")
    block = blocks[-n]
    return next(name for name in layer_names if re.match(rf"Conv2d_{block}(_|$)", name))


def learning_rate_at(step, base, steps_per_epoch, decay=DECAY_FACTOR,
                     epochs_per_decay=EPOCHS_PER_DECAY):
    """tf.train.exponential_decay(base, step, decay_steps, decay, staircase=True)
    with decay_steps = steps_per_epoch * epochs_per_decay (TF-Slim's)."""
    decay_steps = max(1, int(steps_per_epoch * epochs_per_decay))
    return base * decay ** (step // decay_steps)


def batchnorm_decay_for(total_steps):
    """The moving statistics' decay for a run of total_steps steps in
    BatchNorm train mode: TF-Slim's 0.9997 averages over ~3,000 steps, so a
    run of a few hundred would evaluate on statistics still mostly the
    initial (or ImageNet's) ones; this follows the last tenth of the run
    instead, clamped to [0.9, 0.9997]."""
    horizon = max(10.0, total_steps / 10.0)
    return min(0.9997, max(0.9, 1.0 - 1.0 / horizon))


def _batches(n, size, rng, drop_single):
    """Shuffled index batches of one epoch. drop_single: leave out a last
    batch of one image (BatchNorm's batch statistics are degenerate there)."""
    order = rng.permutation(n)
    out = [order[i:i + size] for i in range(0, n, size)]
    if drop_single and len(out) > 1 and len(out[-1]) == 1:
        out.pop()
    return out


def embed_dataset(model, dataset, resolution, normalization, progress=None, batch=EVAL_BATCH):
    """(N, embedding_size) float32: Model.features of each image's evaluation
    preprocessing (the floats Model.embed computes at the model's resolution)."""
    mean, scale = normalization
    rows = []
    if progress:
        progress.start("embeddings", len(dataset))
    for start in range(0, len(dataset), batch):
        x = pre.batch((dataset.image(i) for i in range(start, min(start + batch, len(dataset)))),
                      lambda rgb: pre.for_eval(rgb, resolution, mean, scale))
        rows.append(model.features(x))
        if progress:
            progress.advance(len(x))
    if progress:
        progress.finish()
    size = model.embedding_size
    return np.concatenate(rows) if rows else np.empty((0, size), np.float32)


def _eval_inputs(dataset, indices, resolution, normalization):
    mean, scale = normalization
    return pre.batch((dataset.image(i) for i in indices),
                     lambda rgb: pre.for_eval(rgb, resolution, mean, scale))


def _evaluate_batches(evaluate, inputs, labels, batch=EVAL_BATCH):
    """(mean loss, accuracy) of evaluate(x, y) -> (batch loss, hits) over all."""
    loss = hits = 0.0
    for start in range(0, len(labels), batch):
        x, y = inputs[start:start + batch], labels[start:start + batch]
        batch_loss, batch_hits = evaluate(x, y)
        loss += batch_loss * len(y)
        hits += batch_hits
    return loss / len(labels), hits / len(labels)


def _recording_resolution(blob, resolution):
    """A safetensors file's bytes with `resolution` in its metadata: the JSON
    header edited, the tensors' bytes as they were."""
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])
    header.setdefault("__metadata__", {})["resolution"] = str(resolution)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # keep the data 8-byte aligned, as the writer does
    return struct.pack("<Q", len(text)) + text + blob[8 + n:]


def _with_resolution(trainer, resolution, threads):
    """The trainer's model with `resolution` recorded in its metadata, so that
    classify() and evaluate() preprocess at the size it was trained at (a
    model file loaded for training keeps its own; the network is the same at
    any size). Saved, the safetensors JSON header edited, loaded from bytes."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.safetensors")
        trainer.save(path)
        with open(path, "rb") as file:
            blob = file.read()
    return load_bytes(_recording_resolution(blob, resolution), threads=threads)


def _save(trainer, path, resolution):
    """trainer.save(path) with `resolution` recorded, as _with_resolution
    does for the returned model: a checkpoint is a model file too, and
    Model, evaluate and quantize preprocess at the resolution it declares
    (with the base file's 224, a digits head trained at 96 scored 16%, in
    float and int8 alike). Atomic like Trainer.save: a temporary file
    beside path, fsynced, renamed over it."""
    trainer.save(path)
    with open(path, "rb") as file:
        blob = file.read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    if json.loads(blob[8:8 + n]).get("__metadata__", {}).get("resolution") == str(resolution):
        return
    temporary = f"{os.fspath(path)}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as file:
            file.write(_recording_resolution(blob, resolution))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def fine_tune(data, model=None, recipe="head", *, epochs=None, batch_size=32, learning_rate=None,
              optimizer="rmsprop", resolution=None, alpha=0.25, validation_split=0.1, threads=0,
              seed=0, checkpoint=None, resume=None, progress=True, color_distortion=False,
              area_range=pre.AREA_RANGE, flip=True, warm_start=True, decay=DECAY_FACTOR,
              epochs_per_decay=EPOCHS_PER_DECAY, _save_to=None, **options):
    """Trains a classifier of the dataset's classes and returns it as a loaded
    mobilenet.Model (labels = the classes, resolution = the one trained at)
    with .history (a History).

    data: a Dataset, a folder of class folders, TFRecord shards, an
      (images, labels) pair of arrays or an iterable of (image, label)
      (mobilenet.datasets.as_dataset).
    model: the base model file (None: the bundled one; ignored by 'scratch').
    recipe: 'head' (default), 'from=LAYER', 'last=N', 'all', 'scratch'.
    epochs: default 30 for head and scratch, 5 otherwise. learning_rate:
      default 0.01 (head, scratch) or 0.0001 (fine-tuning the backbone),
      decayed by `decay` every `epochs_per_decay` epochs.
    resolution: the input size (default the base model's; 224 from scratch).
    alpha: width multiplier, scratch only.
    validation_split: the fraction held out, stratified, by `seed`.
    checkpoint: a path saved after every epoch (atomically, Trainer.save, with
      the resolution trained at; the history beside it as PATH.history.json),
      a model file for Model, evaluate and quantize as well; resume: such a checkpoint to
      continue from (pass the same data, recipe, resolution and seed).
    progress: a tqdm bar on a terminal if tqdm is installed, plain lines
      otherwise; False for silence.
    color_distortion: TF-Slim's distort_color on training crops (off);
      area_range, flip: the distorted crop's area fraction (0.08, 1) and the
      random left-right flip (on); narrow or turn them off for images whose
      meaning a small crop or a mirror changes (digits, text).
    warm_start: for from=/last=/all, first train the new Logits alone on
      cached embeddings (the head recipe, its defaults), then the chosen
      layers from there: TF-Slim's flowers tutorial's two stages, so that the
      backbone is not fine-tuned against a random classifier.
    options: further Trainer options (momentum, epsilon, weight_decay,
      label_smoothing, batchnorm, batchnorm_decay, ...)."""
    kind, arg = parse_recipe(recipe)
    report = Progress(progress)
    dataset = as_dataset(data)
    if len(dataset.classes) < 2:
        raise ValueError(f"fine-tuning needs at least 2 classes, the dataset has {len(dataset.classes)}")
    train, val = dataset.split(validation_split, seed) if validation_split else (dataset, None)
    if val is not None and len(val) == 0:
        val = None
    report.line(f"dataset: {dataset.balance()}")
    if dataset.skipped:
        report.line(f"skipped {len(dataset.skipped)} undecodable input(s): "
                    + ", ".join(dataset.skipped[:5]) + (" ..." if len(dataset.skipped) > 5 else ""))
    report.line(f"split: {len(train)} training, {len(val) if val else 0} validation (seed {seed})")

    epochs = DEFAULT_EPOCHS[kind] if epochs is None else int(epochs)
    base_rate = DEFAULT_LEARNING_RATE[kind] if learning_rate is None else float(learning_rate)
    num_classes = len(dataset.classes)

    if kind == "scratch":
        base_path = None
        normalization = (pre.DEFAULT_MEAN, pre.DEFAULT_SCALE)  # what Trainer.new records
        resolution = 224 if resolution is None else int(resolution)
        layer_names = [layer.name for layer in describe("separable", alpha, resolution,
                                                        num_classes).layers]
    else:
        if isinstance(model, Model):
            if not model.path:
                raise ValueError("model must be a file (a Model loaded from bytes has none)")
            base_path = model.path
        else:
            base_path = os.fspath(model) if model is not None else default_model_path()
        normalization = pre.normalization_of_file(base_path)
        with Model(base_path, threads=threads) as base:
            layer_names = [layer.name for layer in base.info.layers]
            base_resolution = base.resolution
        resolution = base_resolution if resolution is None else int(resolution)

    trainable_from = {"head": "Logits", "all": None, "scratch": None,
                      "from": arg, "last": None}[kind]
    if kind == "last":
        trainable_from = first_layer_of_last_blocks(layer_names, arg)
    if kind == "from" and arg not in layer_names:
        raise ValueError(f"from={arg}: no such layer; the layers are {', '.join(layer_names)}")
    trainer_options = dict(threads=threads, optimizer=optimizer, learning_rate=base_rate, seed=seed,
                           trainable_from=trainable_from)
    # BatchNorm: frozen when fine-tuning a pretrained network (its moving
    # statistics are what the embeddings, and so the warm-started head, were
    # computed with; batch statistics of a small dataset would change every
    # feature at the first step: measured 70% against 97% held out on digits
    # for `all`, and Keras' transfer-learning guide keeps BatchNorm in inference
    # mode for the same reason); train mode from scratch. Overridable.
    trainer_options["batchnorm"] = "train" if kind == "scratch" else "frozen"
    trainer_options.update(DEFAULT_OPTIONS.get(kind, {}))
    if kind == "scratch" or options.get("batchnorm") == "train":
        steps = len(_batches(len(train), batch_size, np.random.default_rng(0), True))
        trainer_options["batchnorm_decay"] = batchnorm_decay_for(steps * epochs)
    trainer_options.update(options)

    info = {"recipe": recipe, "resolution": resolution, "classes": list(dataset.classes),
            "class_counts": dataset.class_counts(), "skipped": list(dataset.skipped),
            "train_images": len(train), "validation_images": len(val) if val else 0,
            "base_model": base_path, "trainable_from": trainable_from, "seed": seed}
    history = History(info=info)

    info["step_offset"] = 0  # steps taken before this recipe's epochs (the warm start's)
    warm_directory = None
    if resume is not None:
        trainer = Trainer.load(resume, **trainer_options)
        sidecar = f"{os.fspath(resume)}.history.json"
        if os.path.isfile(sidecar):
            saved = History.load(sidecar)
            history = History(saved.epochs, info)
            info["step_offset"] = saved.info.get("step_offset", 0)
            info["warm_start"] = saved.info.get("warm_start")
    elif kind == "scratch":
        trainer = Trainer.new("separable", alpha, resolution, num_classes, **trainer_options)
    elif kind != "head" and warm_start:
        warm_directory = tempfile.TemporaryDirectory()
        warm_path = os.path.join(warm_directory.name, "head.safetensors")
        report.line("warm start: the new Logits first, on cached embeddings")
        head = fine_tune(train, base_path, "head", resolution=resolution, validation_split=0,
                         threads=threads, seed=seed, progress=progress, _save_to=warm_path)
        info["warm_start"] = {"epochs": len(head.history),
                              "accuracy": head.history.accuracy[-1],
                              "embedding_seconds": head.history.info["embedding_seconds"]}
        head.close()
        trainer = Trainer.load(warm_path, **trainer_options)
        info["step_offset"] = trainer.global_step
    else:
        trainer = Trainer.load(base_path, num_classes=num_classes, **trainer_options)

    with trainer:
        if warm_directory is not None:
            warm_directory.cleanup()
        if trainer.num_classes != num_classes:
            raise ValueError(f"the checkpoint has {trainer.num_classes} classes, the dataset "
                             f"{num_classes}")
        trainer.set_labels(list(dataset.classes))
        if kind == "head":
            started = time.perf_counter()
            with Model(base_path, threads=threads) as base:
                train_x = embed_dataset(base, train, resolution, normalization, report)
                val_x = embed_dataset(base, val, resolution, normalization, report) if val else None
            info["embedding_seconds"] = time.perf_counter() - started
            report.line(f"embeddings of {len(train) + (len(val) if val else 0)} images at "
                        f"{resolution}x{resolution}: {info['embedding_seconds']:.1f} s")
            evaluate = trainer.evaluate_embeddings
            train_eval = (train_x, train.labels)
            val_eval = (val_x, val.labels) if val else None
        else:
            sample = np.random.default_rng([seed, 1]).permutation(len(train))[:TRAIN_ACCURACY_SAMPLE]
            sample.sort()
            evaluate = trainer.evaluate
            train_eval = (_eval_inputs(train, sample, resolution, normalization),
                          train.labels[sample])
            val_eval = ((_eval_inputs(val, range(len(val)), resolution, normalization), val.labels)
                        if val else None)

        steps_per_epoch = len(_batches(len(train), batch_size, np.random.default_rng(0),
                                       kind != "head"))
        offset = info["step_offset"]
        first_epoch = (trainer.global_step - offset) // max(steps_per_epoch, 1)
        history.epochs = history.epochs[:first_epoch]
        mean, scale = normalization
        for epoch in range(first_epoch, epochs):
            rng = np.random.default_rng([seed, epoch])  # per epoch: a resumed run draws the same
            started = time.perf_counter()
            losses = []
            report.start(f"epoch {epoch + 1}/{epochs}", len(train))
            for indices in _batches(len(train), batch_size, rng, kind != "head"):
                rate = learning_rate_at(trainer.global_step - offset, base_rate, steps_per_epoch,
                                        decay, epochs_per_decay)
                if not math.isclose(rate, trainer.learning_rate, rel_tol=1e-6):
                    trainer.learning_rate = rate
                labels = train.labels[indices]
                if kind == "head":
                    loss = trainer.step_embeddings(np.ascontiguousarray(train_x[indices]), labels)
                else:
                    x = pre.batch((train.image(i) for i in indices),
                                  lambda rgb: pre.for_train(rgb, resolution, rng, mean, scale,
                                                            color_distortion, area_range, flip))
                    loss = trainer.step(x, labels)
                losses.append((loss, len(indices)))
                report.advance(len(indices), loss=loss)
            report.finish()
            seconds = time.perf_counter() - started
            images = sum(n for _, n in losses)
            record = {"epoch": epoch + 1,
                      "loss": sum(l * n for l, n in losses) / max(images, 1),
                      "learning_rate": trainer.learning_rate,
                      "images_per_second": images / max(seconds, 1e-9), "seconds": seconds}
            record["accuracy"] = _evaluate_batches(evaluate, *train_eval)[1]
            if val_eval is not None:
                record["val_loss"], record["val_accuracy"] = _evaluate_batches(evaluate, *val_eval)
            else:
                record["val_loss"] = record["val_accuracy"] = None
            history.append(record)
            val_text = (f", val_loss {record['val_loss']:.4f}, val_accuracy "
                        f"{record['val_accuracy']:.4f}" if val_eval is not None else "")
            report.line(f"epoch {epoch + 1}/{epochs}: loss {record['loss']:.4f}, accuracy "
                        f"{record['accuracy']:.4f}{val_text}, {record['images_per_second']:.1f} img/s, "
                        f"{seconds:.1f} s, lr {record['learning_rate']:.3g}")
            if checkpoint is not None:
                _save(trainer, checkpoint, resolution)
                history.save(f"{os.fspath(checkpoint)}.history.json")

        if _save_to is not None:
            _save(trainer, _save_to, resolution)
        result = trainer.export(threads=threads)
        if result.resolution != resolution:
            result.close()
            result = _with_resolution(trainer, resolution, threads)
    result._normalization = normalization
    result.history = history
    return result
