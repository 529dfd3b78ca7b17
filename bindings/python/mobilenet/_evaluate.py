"""mobilenet.evaluate: accuracy, loss, per-class precision and recall and the
confusion matrix of a model on a dataset, with the model's own evaluation
preprocessing (central crop, bilinear resize, at its resolution)."""

import numpy as np

from . import _preprocess as pre
from ._model import Model
from .datasets import as_dataset

BATCH = 64


def _class_map(model, dataset):
    """Model class index of each dataset class: by name when the model has
    labels, else dataset class i is model class i."""
    if model.labels is not None:
        lookup = {label: i for i, label in enumerate(model.labels)}
        missing = [c for c in dataset.classes if c not in lookup]
        if missing:
            raise ValueError(f"dataset classes {missing[:5]} are not among the model's labels")
        return np.asarray([lookup[c] for c in dataset.classes], dtype=np.int64)
    if len(dataset.classes) > model.num_classes:
        raise ValueError(f"{len(dataset.classes)} dataset classes for a model of "
                         f"{model.num_classes}")
    return np.arange(len(dataset.classes))


def evaluate(model, data, *, batch_size=BATCH):
    """{"accuracy", "loss" (mean cross-entropy), "per_class" ({label:
    {"precision", "recall", "support"}} over the model's classes),
    "confusion" (num_classes lists of num_classes counts: row = true class,
    column = predicted), "labels" (the row and column names), "count"}.
    model: a Model or a model file; data: anything fine_tune takes."""
    owned = not isinstance(model, Model)
    model = Model(model) if owned else model
    try:
        dataset = as_dataset(data)
        if len(dataset) == 0:
            raise ValueError("the dataset is empty")
        mapping = _class_map(model, dataset)
        mean, scale = pre.normalization(model)
        fraction = model.crop_fraction or pre.CENTRAL_FRACTION
        size = model.resolution
        truth = mapping[dataset.labels]
        predicted = np.empty(len(dataset), dtype=np.int64)
        loss = 0.0
        for start in range(0, len(dataset), batch_size):
            stop = min(start + batch_size, len(dataset))
            x = pre.batch((dataset.image(i) for i in range(start, stop)),
                          lambda rgb: pre.for_eval(rgb, size, mean, scale, fraction))
            logits = model.run(x).astype(np.float64)
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss -= log_softmax[np.arange(stop - start), truth[start:stop]].sum()
            predicted[start:stop] = logits.argmax(axis=1)
        k = model.num_classes
        confusion = np.zeros((k, k), dtype=np.int64)
        np.add.at(confusion, (truth, predicted), 1)
        labels = list(model.labels) if model.labels is not None else [str(i) for i in range(k)]
        per_class = {}
        for i, label in enumerate(labels):
            hits, predicted_i, support = confusion[i, i], confusion[:, i].sum(), confusion[i].sum()
            if support == 0 and predicted_i == 0:
                continue  # a class neither in the data nor predicted
            per_class[label] = {"precision": float(hits / predicted_i) if predicted_i else 0.0,
                                "recall": float(hits / support) if support else 0.0,
                                "support": int(support)}
        return {"accuracy": float(np.trace(confusion) / len(dataset)),
                "loss": float(loss / len(dataset)),
                "per_class": per_class,
                "confusion": confusion.tolist(),
                "labels": labels,
                "count": len(dataset)}
    finally:
        if owned:
            model.close()
