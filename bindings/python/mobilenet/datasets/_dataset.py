"""Dataset: labelled images, loaded one at a time, with the class names, the
class balance and a stratified train/validation split."""

import numpy as np

from ._images import to_rgb8


class Dataset:
    """Labelled images. `classes` are the class names (index = label),
    `labels` an int32 array (one per image), `skipped` the names of inputs
    that could not be decoded and were left out. `image(i)` is image i as
    uint8 RGB (H, W, 3); images are decoded when asked for, not kept."""

    def __init__(self, items, labels, classes, loader=to_rgb8, skipped=(), names=None):
        self._items = items          # anything `loader` reads: paths, encoded bytes, arrays
        self._loader = loader
        self.labels = np.asarray(labels, dtype=np.int32)
        self.classes = tuple(classes)
        self.skipped = list(skipped)
        self.names = names           # a name per item (file, record), for messages; or None
        if len(self._items) != len(self.labels):
            raise ValueError(f"{len(self._items)} images for {len(self.labels)} labels")
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            raise ValueError("a label is outside the class list")

    def __len__(self):
        return len(self.labels)

    def image(self, index):
        return self._loader(self._items[index])

    def name(self, index):
        return self.names[index] if self.names is not None else f"image {index}"

    def subset(self, indices):
        """The images at `indices` (same classes)."""
        indices = [int(i) for i in indices]
        items = (self._items[np.asarray(indices, dtype=np.int64)] if isinstance(self._items, np.ndarray)
                 else [self._items[i] for i in indices])
        return Dataset(items, self.labels[indices], self.classes,
                       self._loader, self.skipped,
                       [self.names[i] for i in indices] if self.names is not None else None)

    def class_counts(self):
        """{class name: number of images}, every class (0 included), in class order."""
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return {name: int(n) for name, n in zip(self.classes, counts)}

    def balance(self):
        """One line on the class balance: counts per class, smallest and largest."""
        counts = self.class_counts()
        parts = ", ".join(f"{name}: {n}" for name, n in counts.items())
        if not counts:
            return "no classes"
        low, high = min(counts.values()), max(counts.values())
        ratio = f"{high / low:.2f}" if low else "inf"
        return (f"{len(self)} images, {len(counts)} classes ({parts}); "
                f"smallest {low}, largest {high}, imbalance {ratio}x")

    def split(self, validation=0.1, seed=0):
        """(train, validation) Datasets, stratified: each class gives
        round(validation * its count) images (at least 1 of a class with 2 or
        more when validation > 0) to the validation set, chosen by a
        numpy Generator seeded with `seed`; the same seed, the same split."""
        if not 0.0 <= validation < 1.0:
            raise ValueError(f"validation must be in [0, 1), got {validation}")
        rng = np.random.default_rng(seed)
        held = []
        for k in range(len(self.classes)):
            members = np.flatnonzero(self.labels == k)
            n = int(round(validation * len(members)))
            if validation > 0 and n == 0 and len(members) >= 2:
                n = 1
            n = min(n, max(len(members) - 1, 0))  # every class keeps a training image
            held.extend(rng.permutation(members)[:n].tolist())
        held = np.sort(np.asarray(held, dtype=np.int64))
        rest = np.setdiff1d(np.arange(len(self)), held)
        return self.subset(rest), self.subset(held)

    def __repr__(self):
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return f"<mobilenet.datasets.Dataset {self.balance()}{skipped}>"
