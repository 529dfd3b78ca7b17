"""bindings/python built as a wheel (pip wheel) the way `pip install
./bindings/python` builds it: the library and the model bundled, installed
and used without MOBILENET_LIBRARY; the opt-outs; a stale build/ directory.

Each build works on a copy of bindings/python inside a scratch repository
(its models/ links to the real model), so the real tree is left alone.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from mn_support import IMAGES, MODEL_PATH, REPO

MODEL_ENTRY = "mobilenet/models/mobilenet_v1_1.0_224.safetensors"
LIBRARY_ENTRY = "mobilenet/libmobilenet.so"
ELF = b"\x7fELF"


def _no_build_isolation():
    """pip can build with this interpreter's setuptools (no download) if it
    can make wheels: setuptools >= 70.1 or the wheel package."""
    if importlib.util.find_spec("wheel") is not None:
        return True
    try:
        import setuptools
        return tuple(int(p) for p in setuptools.__version__.split(".")[:2]) >= (70, 1)
    except (ImportError, ValueError):
        return False


def _clean_env(**changes):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MOBILENET_") and k not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    env.update(changes)
    return env


@pytest.fixture
def scratch(tmp_path):
    """A scratch repository: bindings/python copied, models/ linked."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "bindings" / "python", repo / "bindings" / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "*.so"))
    (repo / "models").mkdir()
    (repo / "models" / MODEL_PATH.name).symlink_to(MODEL_PATH)
    return repo


def plant_stale_build(repo):
    """An earlier build's leftovers in every build/lib* setuptools may use."""
    plat = sysconfig.get_platform()
    for name in ("lib", f"lib.{plat}-{sys.implementation.cache_tag}",
                 f"lib.{plat}-{sys.version_info[0]}.{sys.version_info[1]}"):
        stale = repo / "bindings" / "python" / "build" / name / "mobilenet"
        (stale / "models").mkdir(parents=True)
        (stale / "libmobilenet.so").write_bytes(b"stale library")
        (stale / "removed_module.py").write_text("")
        (stale / "models" / MODEL_PATH.name).write_bytes(b"stale model")


def build_wheel(repo, cwd, env):
    """Runs pip wheel in cwd; returns (the wheel's path, {name: bytes})."""
    out = cwd / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
               str(repo / "bindings" / "python")]
    if _no_build_isolation():
        command.insert(4, "--no-build-isolation")
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return wheel, {name: archive.read(name) for name in archive.namelist()
                       if name.startswith("mobilenet/")}


def test_wheel_bundles_library_and_model(scratch, tmp_path):
    library = os.path.realpath(os.environ["MOBILENET_LIBRARY"])
    work = tmp_path / "work"
    work.mkdir()
    plant_stale_build(scratch)
    # Given relative to the directory pip runs in ($PWD, as a shell sets it).
    env = _clean_env(MOBILENET_BUNDLE_LIBRARY=os.path.relpath(library, work), PWD=str(work))
    wheel, files = build_wheel(scratch, work, env)
    assert "-none-any" not in wheel.name  # platform-specific
    assert files[LIBRARY_ENTRY].startswith(ELF)
    assert len(files[LIBRARY_ENTRY]) <= os.path.getsize(library)
    if shutil.which("strip") and shutil.which("readelf"):
        sections = subprocess.run(["readelf", "-S", "-W", str(library)], capture_output=True,
                                  text=True).stdout
        if ".symtab" in sections:  # the source has a symbol table: stripping removes it
            assert len(files[LIBRARY_ENTRY]) < os.path.getsize(library)
    assert files[MODEL_ENTRY] == MODEL_PATH.read_bytes()
    assert "mobilenet/removed_module.py" not in files

    target = tmp_path / "target"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                              "--target", str(target), str(wheel)],
                             env=env, capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    code = ("import mobilenet\n"
            "print(mobilenet.library_path())\n"
            "print(mobilenet.default_model_path())\n"
            f"with mobilenet.load(threads=1) as m: print(m.classify({str(IMAGES / 'cat.jpg')!r})[0].label)\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                         env=_clean_env(PYTHONPATH=str(target)), capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [str(target / LIBRARY_ENTRY), str(target / MODEL_ENTRY),
                                       "Egyptian cat"]


def load_setup_py(repo):
    spec = importlib.util.spec_from_file_location("mobilenet_setup", repo / "bindings" / "python" / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: defines, does not call setup()
    return module


def test_library_source_order(scratch, tmp_path, monkeypatch):
    """Which library setup.py bundles, for each setting (no build run)."""
    setup_py = load_setup_py(scratch)
    for name in ("MOBILENET_BUNDLE_LIBRARY", "MOBILENET_BUILD_LIBRARY"):
        monkeypatch.delenv(name, raising=False)
    library = tmp_path / "elsewhere" / "libmobilenet.so"
    library.parent.mkdir()
    library.write_bytes(b"x")
    hand = scratch / "bindings" / "python" / "mobilenet" / "libmobilenet.so"
    built = scratch / ".build" / "release" / "libmobilenet.so"
    swift_dir = tmp_path / "bin"
    swift_dir.mkdir()
    (swift_dir / "swift").write_text("#!/bin/sh\n")
    (swift_dir / "swift").chmod(0o755)

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert setup_py.library_source() == (None, False)          # nothing to bundle, no swift
    monkeypatch.setenv("PATH", str(swift_dir))
    assert setup_py.library_source() == (None, False)          # swift, but not in a repository
    (scratch / "Package.swift").write_text("")
    assert setup_py.library_source() == (str(built), True)     # 4. build it
    monkeypatch.setenv("MOBILENET_BUILD_LIBRARY", "0")
    assert setup_py.library_source() == (None, False)
    built.parent.mkdir(parents=True)
    built.write_bytes(b"x")
    assert setup_py.library_source() == (str(built), False)    # 3. the repository's build
    hand.write_bytes(b"x")
    assert setup_py.library_source() == (str(hand), False)     # 2. copied in by hand
    # 1. the variable: relative to $PWD (where pip was run), else the cwd
    monkeypatch.setenv("MOBILENET_BUNDLE_LIBRARY", "elsewhere/libmobilenet.so")
    monkeypatch.setenv("PWD", str(tmp_path))
    assert setup_py.library_source() == (str(library), False)
    monkeypatch.delenv("PWD")
    monkeypatch.chdir(tmp_path)
    assert setup_py.library_source() == (str(library), False)
    monkeypatch.setenv("MOBILENET_BUNDLE_LIBRARY", str(library))
    assert setup_py.library_source() == (str(library), False)
    monkeypatch.setenv("MOBILENET_BUNDLE_LIBRARY", "no/such.so")
    with pytest.raises(SystemExit, match=str(tmp_path / "no" / "such.so")):
        setup_py.library_source()
    monkeypatch.setenv("MOBILENET_BUNDLE_LIBRARY", "0")
    assert setup_py.library_source() == (None, False)


def fake_swift(directory, library, log):
    """A `swift` on PATH that 'builds' by copying library to .build/release."""
    directory.mkdir()
    script = directory / "swift"
    script.write_text("#!/bin/sh\n"
                      f'echo "$PWD $*" >> "{log}"\n'
                      'mkdir -p .build/release\n'
                      f'cp "{library}" .build/release/libmobilenet.so\n')
    script.chmod(0o755)
    return str(directory) + os.pathsep + os.environ.get("PATH", "")


def test_wheel_builds_library_with_swift(scratch, tmp_path):
    """No library given, none built: the build runs swift (a stand-in here)."""
    (scratch / "Package.swift").write_text("// the repository's package\n")
    log = tmp_path / "swift.log"
    path = fake_swift(tmp_path / "bin", os.path.realpath(os.environ["MOBILENET_LIBRARY"]), log)
    plant_stale_build(scratch)
    _, files = build_wheel(scratch, tmp_path, _clean_env(PATH=path, MOBILENET_BUNDLE_MODEL="0"))
    assert log.read_text().split() == [str(scratch), "build", "-c", "release", "--product", "mobilenet"]
    assert files[LIBRARY_ENTRY].startswith(ELF)
    assert MODEL_ENTRY not in files and "mobilenet/removed_module.py" not in files


def test_wheel_opt_out_and_stale_build(scratch, tmp_path):
    """MOBILENET_BUNDLE_LIBRARY=0 leaves out a library that is there (copied in
    by hand, and the repository's build), and nothing stale gets in."""
    hand = scratch / "bindings" / "python" / "mobilenet" / "libmobilenet.so"
    shutil.copyfile(os.environ["MOBILENET_LIBRARY"], hand)
    (scratch / ".build" / "release").mkdir(parents=True)
    shutil.copyfile(os.environ["MOBILENET_LIBRARY"], scratch / ".build" / "release" / "libmobilenet.so")
    plant_stale_build(scratch)
    wheel, files = build_wheel(scratch, tmp_path, _clean_env(MOBILENET_BUNDLE_LIBRARY="0",
                                                             MOBILENET_BUNDLE_MODEL="0"))
    assert wheel.name.endswith("-py3-none-any.whl")
    assert LIBRARY_ENTRY not in files and MODEL_ENTRY not in files
    assert "mobilenet/removed_module.py" not in files
    assert "mobilenet/__init__.py" in files
    assert "mobilenet/datasets/__init__.py" in files
