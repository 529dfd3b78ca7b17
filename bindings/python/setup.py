"""Build hook of the mobilenet package (metadata: pyproject.toml).

At build time it copies into the package, when they are available:

- the bundled model, ../../models/mobilenet_v1_1.0_224.safetensors of the
  repository this directory sits in, to mobilenet/models/ (so that
  mobilenet.load() finds it after `pip install ./bindings/python`);
  set MOBILENET_BUNDLE_MODEL=0 to leave it out;
- libmobilenet.so, from the path in MOBILENET_BUNDLE_LIBRARY if that is set
  (e.g. MOBILENET_BUNDLE_LIBRARY=.build/release/libmobilenet.so), to
  mobilenet/libmobilenet.so; the wheel is then platform-specific.

Files already placed in mobilenet/ by hand are packaged as they are.
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_FILE = "mobilenet_v1_1.0_224.safetensors"
REPO_MODEL = os.path.join(HERE, os.pardir, os.pardir, "models", MODEL_FILE)
BUNDLE_LIBRARY = os.environ.get("MOBILENET_BUNDLE_LIBRARY")


class BuildPy(build_py):
    def run(self):
        super().run()
        package = os.path.join(self.build_lib, "mobilenet")
        if os.environ.get("MOBILENET_BUNDLE_MODEL", "1") != "0" and os.path.isfile(REPO_MODEL):
            target = os.path.join(package, "models", MODEL_FILE)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(REPO_MODEL, target)
        if BUNDLE_LIBRARY:
            if not os.path.isfile(BUNDLE_LIBRARY):
                raise SystemExit(f"MOBILENET_BUNDLE_LIBRARY={BUNDLE_LIBRARY}: no such file")
            shutil.copyfile(BUNDLE_LIBRARY, os.path.join(package, "libmobilenet.so"))


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        # A bundled native library makes the wheel platform-specific.
        return bool(BUNDLE_LIBRARY) or os.path.isfile(os.path.join(HERE, "mobilenet", "libmobilenet.so"))


setup(cmdclass={"build_py": BuildPy}, distclass=BinaryDistribution)
