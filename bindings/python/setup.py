"""Build hook of the mobilenet package (metadata: pyproject.toml).

At build time (build_py) it puts into the package:

- the bundled model, ../../models/mobilenet_v1_1.0_224.safetensors of the
  repository this directory sits in, as mobilenet/models/ (so that
  mobilenet.load() finds it after `pip install ./bindings/python`);
  MOBILENET_BUNDLE_MODEL=0 leaves it out;
- libmobilenet.so, stripped (strip --strip-unneeded, if strip is on PATH),
  as mobilenet/libmobilenet.so, from the first of:
    1. $MOBILENET_BUNDLE_LIBRARY, a path; a relative one is taken from the
       directory pip was run from ($PWD, as the shell sets it, else the
       current directory; pip itself runs this file in bindings/python);
    2. mobilenet/libmobilenet.so, copied there by hand;
    3. the repository's .build/release/libmobilenet.so (make lib);
    4. a build of it, `swift build -c release --product mobilenet` in the
       repository, when swift is on PATH.
  MOBILENET_BUNDLE_LIBRARY=0 bundles no library, MOBILENET_BUILD_LIBRARY=0
  skips step 4. Without a library the package is pure Python and looks for
  libmobilenet.so at run time ($MOBILENET_LIBRARY, the system). With one
  the wheel is platform-specific.

The package's directory in the build tree is emptied first, so files of an
earlier build (a library since opted out, a removed module) never get in.
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, os.pardir, os.pardir))
MODEL_FILE = "mobilenet_v1_1.0_224.safetensors"
REPO_MODEL = os.path.join(REPO, "models", MODEL_FILE)
LIBRARY_FILE = "libmobilenet.so"
HAND_PLACED_LIBRARY = os.path.join(HERE, "mobilenet", LIBRARY_FILE)
REPO_LIBRARY = os.path.join(REPO, ".build", "release", LIBRARY_FILE)


def invocation_dir():
    """The directory pip was run from: $PWD if it is one, else the cwd."""
    pwd = os.environ.get("PWD", "")
    return pwd if os.path.isabs(pwd) and os.path.isdir(pwd) else os.getcwd()


def library_source():
    """(path, needs_build) of the library to bundle, or (None, False)."""
    setting = os.environ.get("MOBILENET_BUNDLE_LIBRARY", "")
    if setting == "0":
        return None, False
    if setting:
        path = os.path.join(invocation_dir(), setting)  # an absolute setting stays as it is
        if not os.path.isfile(path):
            raise SystemExit(f"MOBILENET_BUNDLE_LIBRARY={setting}: no such file {path} (a relative "
                             "path is taken from the directory pip is run from, $PWD)")
        return os.path.abspath(path), False
    for path in (HAND_PLACED_LIBRARY, REPO_LIBRARY):
        if os.path.isfile(path):
            return path, False
    if (os.environ.get("MOBILENET_BUILD_LIBRARY", "") != "0" and shutil.which("swift")
            and os.path.isfile(os.path.join(REPO, "Package.swift"))):
        return REPO_LIBRARY, True
    return None, False


class BuildPy(build_py):
    def run(self):
        package = os.path.join(self.build_lib, "mobilenet")
        shutil.rmtree(package, ignore_errors=True)  # a stale build/ from an earlier build
        super().run()
        if os.environ.get("MOBILENET_BUNDLE_MODEL", "1") != "0" and os.path.isfile(REPO_MODEL):
            target = os.path.join(package, "models", MODEL_FILE)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(REPO_MODEL, target)
        target = os.path.join(package, LIBRARY_FILE)
        if os.path.exists(target):
            os.remove(target)  # package data: replaced below, or opted out
        source, needs_build = library_source()
        if needs_build:
            print(f"building {LIBRARY_FILE}: swift build -c release --product mobilenet "
                  "(MOBILENET_BUILD_LIBRARY=0 to skip)")
            if subprocess.run(["swift", "build", "-c", "release", "--product", "mobilenet"],
                              cwd=REPO).returncode != 0 or not os.path.isfile(source):
                raise SystemExit(f"building {LIBRARY_FILE} failed; build it with `make lib`, or set "
                                 "MOBILENET_BUILD_LIBRARY=0 to install without it")
        if source is None:
            print(f"warning: {LIBRARY_FILE} is not bundled; mobilenet will look for it at run "
                  "time ($MOBILENET_LIBRARY, the system library path)")
            return
        shutil.copyfile(source, target)
        os.chmod(target, 0o755)
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-unneeded", target], check=True)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        # A bundled native library makes the wheel platform-specific.
        return library_source()[0] is not None


if __name__ == "__main__":  # as pip's build backend runs it (importable for the tests)
    setup(cmdclass={"build_py": BuildPy}, distclass=BinaryDistribution)
