"""History: what fine_tune measured per epoch, and its plot."""

import json
import os


class History:
    """Per-epoch records of a fine_tune run: each a dict with epoch, loss
    (mean training loss of the epoch's steps), accuracy (training set, or a
    fixed sample of it for recipes that train through the backbone),
    val_loss, val_accuracy (None without a validation set), learning_rate,
    images_per_second and seconds. `info` holds the run's facts (recipe,
    resolution, class counts, skipped inputs, embedding time)."""

    KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "images_per_second")

    def __init__(self, epochs=None, info=None):
        self.epochs = list(epochs or [])
        self.info = info if info is not None else {}

    def append(self, record):
        self.epochs.append(dict(record))

    def __len__(self):
        return len(self.epochs)

    def __getattr__(self, key):
        if key in History.KEYS or key in ("learning_rate", "seconds"):
            return [record.get(key) for record in self.__dict__.get("epochs", [])]
        raise AttributeError(key)

    def __repr__(self):
        if not self.epochs:
            return "<History: no epochs>"
        last = self.epochs[-1]
        val = (f", val_accuracy {last['val_accuracy']:.4f}"
               if last.get("val_accuracy") is not None else "")
        return f"<History {len(self.epochs)} epochs: loss {last['loss']:.4f}{val}>"

    def to_dict(self):
        return {"epochs": self.epochs, "info": self.info}

    def save(self, path):
        """JSON, written atomically (temporary file, then rename), as the
        checkpoint beside it."""
        temporary = f"{path}.tmp-{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(self.to_dict(), file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        return cls(data.get("epochs"), data.get("info"))

    def plot(self, path):
        """Draws loss and accuracy per epoch (training and validation) into
        an image file (PNG, SVG, PDF: matplotlib chooses by the extension)."""
        try:
            from matplotlib.figure import Figure  # no pyplot: no GUI backend needed
        except ImportError as error:
            raise ImportError("History.plot needs matplotlib (pip install matplotlib)") from error
        epochs = [record["epoch"] for record in self.epochs]
        figure = Figure(figsize=(10, 4))
        for axes, key, title in ((figure.add_subplot(1, 2, 1), "loss", "loss"),
                                 (figure.add_subplot(1, 2, 2), "accuracy", "accuracy")):
            axes.plot(epochs, getattr(self, key), marker="o", label="training")
            validation = getattr(self, "val_" + key)
            if any(v is not None for v in validation):
                axes.plot(epochs, [float("nan") if v is None else v for v in validation],
                          marker="o", label="validation")
            axes.set_xlabel("epoch")
            axes.set_title(title)
            axes.grid(True, alpha=0.3)
            axes.legend()
        figure.tight_layout()
        figure.savefig(path)
        return path
