"""libmobilenet for Python: MobileNet v1 image classification on the CPU.

    import mobilenet

    with mobilenet.load(threads=2) as model:        # None = the bundled model
        for p in model.classify("cat.jpg", top_k=5):
            print(f"{p.probability:.3f} {p.label} [{p.index}]")
        logits = model.run(batch)                    # float32 (N, H, W, 3) -> (N, classes)

    with mobilenet.Trainer.load("model.safetensors", batchnorm="frozen",
                                trainable_from="Logits", num_classes=5) as trainer:
        loss = trainer.step(images, labels)          # float32 (N, H, W, 3), ints (N,)
        trainer.save("checkpoint.safetensors")

    mobilenet.describe("separable", 0.5, 160).mult_adds

    model = mobilenet.fine_tune("photos/", recipe="head")  # one folder per class
    print(mobilenet.evaluate(model, "test_photos/")["accuracy"], model.history)

A ctypes binding of libmobilenet.so (include/mobilenet.h); numpy for arrays,
Pillow only to read image files and PIL images. The shared library is found
through $MOBILENET_LIBRARY, then next to this package, then on the system
path (see README.md). Library calls release the GIL.

Failures of the library raise mobilenet.Error (.status, a Status, and
.message); wrong argument types or values raise TypeError / ValueError before
anything reaches C.
"""

from ._model import (
    MODEL_ENV,
    Model,
    best_isa,
    default_model_path,
    describe,
    library_path,
    load,
    load_bytes,
    version,
    version_number,
)
from ._native import LIBRARY_ENV, LibraryNotFoundError
from ._trainer import Trainer
from . import datasets
from ._evaluate import evaluate
from ._finetune import fine_tune
from ._quantize import quantize
from ._history import History
from ._types import Error, Info, Layer, LayerType, Prediction, Status, Variant

__all__ = [
    "Error",
    "History",
    "Info",
    "LIBRARY_ENV",
    "Layer",
    "LayerType",
    "LibraryNotFoundError",
    "MODEL_ENV",
    "Model",
    "Prediction",
    "Status",
    "Trainer",
    "Variant",
    "best_isa",
    "datasets",
    "default_model_path",
    "describe",
    "evaluate",
    "fine_tune",
    "library_path",
    "load",
    "load_bytes",
    "quantize",
    "version",
    "version_number",
]


def __getattr__(name):
    # __version__ is the loaded library's version (mobilenet_version), so the
    # library is opened on first access rather than at import.
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
