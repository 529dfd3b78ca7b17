"""Shared fixtures of the Python binding's tests.

The library is found through $MOBILENET_LIBRARY (scripts/test.sh sets it to
the installed build/prefix/lib/libmobilenet.so). When it is not set, the
repository's own build output is used if there is one, so `pytest
tests/python` also works right after `make lib`. The mobilenet package is
the installed one (pip install ./bindings/python) or, if it is not
installed, the repository's bindings/python.
"""

import os
import sys

import numpy as np
import pytest

from mn_support import IMAGES, MODEL_PATH, REPO, import_tool


if not os.environ.get("MOBILENET_LIBRARY"):
    for _candidate in (REPO / "build" / "prefix" / "lib" / "libmobilenet.so",
                       REPO / ".build" / "release" / "libmobilenet.so"):
        if _candidate.is_file():
            os.environ["MOBILENET_LIBRARY"] = str(_candidate)
            break

try:
    import mobilenet  # noqa: E402
except ImportError:
    sys.path.insert(0, str(REPO / "bindings" / "python"))
    import mobilenet  # noqa: E402,F401


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def model_path():
    assert MODEL_PATH.is_file(), f"the bundled model is missing: {MODEL_PATH}"
    return MODEL_PATH


@pytest.fixture(scope="session")
def model(model_path):
    """The bundled model, shared by the tests that do not close it."""
    m = mobilenet.load(model_path, threads=2)
    yield m
    m.close()


@pytest.fixture
def fresh_model(model_path):
    """A bundled model of the test's own (for close/lifetime tests)."""
    m = mobilenet.load(model_path, threads=1)
    yield m
    m.close()


@pytest.fixture(scope="session")
def cat_rgb():
    from PIL import Image
    with Image.open(IMAGES / "cat.jpg") as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="session")
def random_model(tmp_path_factory):
    """make(variant, alpha, resolution, num_classes, seed=0, labels=False) -> path
    of a random-weight model written by tools/make_random_model.py (cached)."""
    tool = import_tool("make_random_model")
    directory = tmp_path_factory.mktemp("random_models")
    cache = {}

    def make(variant="separable", alpha=0.25, resolution=64, num_classes=10, seed=0, labels=False):
        key = (variant, float(alpha), resolution, num_classes, seed, labels)
        if key not in cache:
            path = directory / f"{variant}_{alpha}_{resolution}_{num_classes}_{seed}_{int(labels)}.safetensors"
            argv = ["-o", str(path), "--variant", variant, "--alpha", str(alpha),
                    "--resolution", str(resolution), "--num-classes", str(num_classes),
                    "--seed", str(seed)]
            if labels:
                argv.append("--labels")
            tool.main(argv)
            cache[key] = path
        return cache[key]

    return make
