"""The library itself: version, status enum, errors, struct layout, library search."""

import ctypes
import os
import pathlib
import pickle
import re
import shutil
import subprocess
import sys

import pytest

import mobilenet
from mobilenet import _native
from mn_support import HEADER, REPO

HEADER_TEXT = HEADER.read_text()


def header_enum(prefix):
    """{NAME: value} of the header's enumerators starting with prefix."""
    return {name: int(value) for name, value in
            re.findall(r"\b(" + prefix + r"\w*)\s*=\s*(\d+)", HEADER_TEXT)}


def test_version_matches_header():
    string = re.search(r'#define MOBILENET_VERSION_STRING "([^"]+)"', HEADER_TEXT).group(1)
    major, minor, patch = (int(re.search(rf"#define MOBILENET_VERSION_{k} (\d+)", HEADER_TEXT).group(1))
                           for k in ("MAJOR", "MINOR", "PATCH"))
    assert mobilenet.version() == string
    assert mobilenet.__version__ == string
    assert mobilenet.version_number() == major * 10000 + minor * 100 + patch
    assert _native.HEADER_VERSION == string


def test_unknown_module_attribute():
    with pytest.raises(AttributeError):
        mobilenet.no_such_thing  # noqa: B018


def test_library_path_is_the_configured_one():
    assert os.path.samefile(mobilenet.library_path(), os.environ["MOBILENET_LIBRARY"])


def test_status_enum_mirrors_header():
    expected = header_enum("MOBILENET_(?:OK|ERROR_)")
    ours = {("MOBILENET_OK" if s.name == "OK" else "MOBILENET_ERROR_" + s.name): int(s)
            for s in mobilenet.Status}
    assert ours == expected


def test_variant_and_layer_enums_mirror_header():
    variants = header_enum("MOBILENET_VARIANT_")
    assert {"MOBILENET_VARIANT_" + v.name: v.c_value for v in mobilenet.Variant} == variants
    layers = header_enum("MOBILENET_LAYER_")
    assert {"MOBILENET_LAYER_" + t.name: int(t) for t in mobilenet.LayerType} == layers


def test_status_descriptions_match_library():
    lib = _native.lib()
    for status in mobilenet.Status:
        assert lib.mobilenet_status_string(int(status)).decode() == status.description
    assert lib.mobilenet_status_string(99).decode() == "unknown status"
    assert lib.mobilenet_status_string(-1).decode() == "unknown status"


def test_header_constants():
    assert int(re.search(r"#define MOBILENET_MAX_LAYERS (\d+)", HEADER_TEXT).group(1)) == _native.MAX_LAYERS
    assert re.search(r"char name\[(\d+)\];", HEADER_TEXT).group(1) == str(_native.LAYER_NAME_SIZE)


def test_every_header_function_is_declared():
    declared = set(re.findall(r"MOBILENET_API\s+[\w\s\*]+?\b(mobilenet_\w+)\s*\(", HEADER_TEXT))
    assert declared == set(_native.PROTOTYPES)
    lib = _native.lib()
    for name, (restype, argtypes) in _native.PROTOTYPES.items():
        function = getattr(lib, name)
        assert function.restype is restype
        assert function.argtypes == argtypes


# ---------------------------------------------------------------------------
# Struct layout


def test_struct_sizes_lp64():
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        pytest.skip("the expected sizes are for LP64 platforms")
    assert ctypes.sizeof(_native.Options) == 24  # 0.1.0: 16; 0.2.0 appended max_isa
    assert _native.Options.max_isa.offset == 16
    assert ctypes.sizeof(_native.Prediction) == 16
    assert ctypes.sizeof(_native.LayerInfo) == 96
    assert _native.LayerInfo.mult_adds.offset == 80
    assert ctypes.sizeof(_native.Info) == 3128  # 0.1.0: 3120; 0.2.0 appended total_layers, isa
    assert _native.Info.total_layers.offset == 3120
    assert _native.Info.mult_adds.offset == 24
    assert _native.Info.num_layers.offset == 40
    assert _native.Info.layers.offset == 48
    assert ctypes.sizeof(_native.TrainOptions) == 80  # 0.3.0
    assert _native.TrainOptions.trainable_from.offset == 48
    assert _native.TrainOptions.seed.offset == 64
    assert _native.TrainOptions.adam_beta2.offset == 76


C_LAYOUT_PROGRAM = r"""
#include <stdio.h>
#include <stddef.h>
#include <mobilenet.h>
#define F(T, f) printf(#T "." #f " %zu %zu\n", offsetof(T, f), sizeof(((T *)0)->f));
int main(void) {
    printf("mobilenet_options %zu\n", sizeof(mobilenet_options));
    printf("mobilenet_prediction %zu\n", sizeof(mobilenet_prediction));
    printf("mobilenet_layer_info %zu\n", sizeof(mobilenet_layer_info));
    printf("mobilenet_info %zu\n", sizeof(mobilenet_info));
    printf("mobilenet_train_options %zu\n", sizeof(mobilenet_train_options));
    F(mobilenet_options, struct_size) F(mobilenet_options, num_threads) F(mobilenet_options, crop_fraction)
    F(mobilenet_prediction, class_index) F(mobilenet_prediction, probability) F(mobilenet_prediction, label)
    F(mobilenet_layer_info, name) F(mobilenet_layer_info, type) F(mobilenet_layer_info, stride)
    F(mobilenet_layer_info, input_height) F(mobilenet_layer_info, input_width)
    F(mobilenet_layer_info, input_channels) F(mobilenet_layer_info, output_height)
    F(mobilenet_layer_info, output_width) F(mobilenet_layer_info, output_channels)
    F(mobilenet_layer_info, mult_adds) F(mobilenet_layer_info, parameters)
    F(mobilenet_info, struct_size) F(mobilenet_info, variant) F(mobilenet_info, width_multiplier)
    F(mobilenet_info, resolution) F(mobilenet_info, num_classes) F(mobilenet_info, mult_adds)
    F(mobilenet_info, parameters) F(mobilenet_info, num_layers) F(mobilenet_info, layers)
    F(mobilenet_train_options, struct_size) F(mobilenet_train_options, num_threads)
    F(mobilenet_train_options, optimizer) F(mobilenet_train_options, learning_rate)
    F(mobilenet_train_options, momentum) F(mobilenet_train_options, rmsprop_decay)
    F(mobilenet_train_options, epsilon) F(mobilenet_train_options, weight_decay)
    F(mobilenet_train_options, label_smoothing) F(mobilenet_train_options, batchnorm)
    F(mobilenet_train_options, batchnorm_decay) F(mobilenet_train_options, trainable_from)
    F(mobilenet_train_options, num_classes) F(mobilenet_train_options, seed)
    F(mobilenet_train_options, adam_beta1) F(mobilenet_train_options, adam_beta2)
    return 0;
}
"""


def test_struct_layout_matches_c_compiler(tmp_path):
    """Every size and field offset of the ctypes structures equals the C
    compiler's for include/mobilenet.h."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler to compare the struct layout with")
    source = tmp_path / "layout.c"
    source.write_text(C_LAYOUT_PROGRAM)
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c99", "-I", str(REPO / "include"), str(source), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    structs = {"mobilenet_options": _native.Options, "mobilenet_prediction": _native.Prediction,
               "mobilenet_layer_info": _native.LayerInfo, "mobilenet_info": _native.Info,
               "mobilenet_train_options": _native.TrainOptions}
    checked = 0
    for line in out.splitlines():
        words = line.split()
        if len(words) == 2:
            assert ctypes.sizeof(structs[words[0]]) == int(words[1]), line
        else:
            struct_name, field = words[0].split(".")
            descriptor = getattr(structs[struct_name], field)
            assert (descriptor.offset, descriptor.size) == (int(words[1]), int(words[2])), line
        checked += 1
    assert checked == 5 + 3 + 3 + 11 + 9 + 16


def test_describe_accepts_our_struct_size():
    info = _native.Info()
    info.struct_size = ctypes.sizeof(_native.Info)
    status = _native.lib().mobilenet_describe(0, 1.0, 224, 1000, ctypes.byref(info))
    assert status == mobilenet.Status.OK
    assert info.struct_size == ctypes.sizeof(_native.Info)
    assert info.num_layers == 29
    assert info.resolution == 224 and info.num_classes == 1000
    assert abs(info.width_multiplier - 1.0) < 1e-7
    assert info.layers[0].name == b"Conv2d_0"
    assert info.layers[28].name == b"Logits"
    assert sum(info.layers[i].mult_adds for i in range(29)) == info.mult_adds
    assert sum(info.layers[i].parameters for i in range(29)) == info.parameters
    assert _native.lib().mobilenet_last_error() == b""


def test_options_init_fills_defaults():
    options = _native.Options()
    assert _native.lib().mobilenet_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)) == 0
    assert options.struct_size == ctypes.sizeof(_native.Options)
    assert options.num_threads == 0
    assert options.crop_fraction == 0.0
    assert options.max_isa == 0
    # The function itself is 0.1.0's entry point: it writes only 0.1.0's 16 bytes.
    options.max_isa = 77
    _native.lib().mobilenet_options_init(ctypes.byref(options))
    assert options.struct_size == 16 and options.max_isa == 77
    _native.lib().mobilenet_options_init(None)  # NULL is ignored


# ---------------------------------------------------------------------------
# Errors


def test_c_failure_raises_error_with_last_error():
    info = _native.Info()
    info.struct_size = 7  # not sizeof(mobilenet_info)
    status = _native.lib().mobilenet_describe(0, 1.0, 224, 1000, ctypes.byref(info))
    assert status == mobilenet.Status.INVALID_ARGUMENT
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet._model._check(status)
    error = caught.value
    assert error.status is mobilenet.Status.INVALID_ARGUMENT
    assert "struct_size" in error.message
    assert error.message in str(error) and "INVALID_ARGUMENT" in str(error)
    # The message is reset by the next successful call.
    mobilenet.describe()
    assert _native.lib().mobilenet_last_error() == b""


def test_null_arguments_are_reported_not_crashing():
    lib = _native.lib()
    assert lib.mobilenet_describe(0, 1.0, 224, 1000, None) == mobilenet.Status.INVALID_ARGUMENT
    assert lib.mobilenet_model_info(None, None) == mobilenet.Status.INVALID_ARGUMENT
    assert lib.mobilenet_model_num_classes(None) == 0
    assert lib.mobilenet_model_label(None, 0) is None
    lib.mobilenet_model_free(None)
    out = _native.ModelPointer()
    assert lib.mobilenet_model_load(None, None, ctypes.byref(out)) == mobilenet.Status.INVALID_ARGUMENT
    assert out.value is None
    assert b"NULL" in lib.mobilenet_last_error()


def test_error_class():
    error = mobilenet.Error(2, "cannot open")
    assert error.status is mobilenet.Status.IO
    assert error.message == "cannot open"
    assert isinstance(error, Exception)
    assert "cannot open" in str(error) and "IO" in str(error)
    unknown = mobilenet.Error(42, "odd")
    assert unknown.status == 42 and not isinstance(unknown.status, mobilenet.Status)
    assert "42" in str(unknown)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.status, copy.message) == (error.status, error.message)


# ---------------------------------------------------------------------------
# Library search (find_library is called directly: the library the tests use
# is already open and cached, so these do not disturb it)


def test_library_env_var_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv("MOBILENET_LIBRARY", str(tmp_path / "nope.so"))
    with pytest.raises(mobilenet.LibraryNotFoundError, match="MOBILENET_LIBRARY"):
        _native.find_library()


def test_library_env_var_not_a_library(monkeypatch, tmp_path):
    bogus = tmp_path / "libmobilenet.so"
    bogus.write_text("not an ELF file")
    monkeypatch.setenv("MOBILENET_LIBRARY", str(bogus))
    with pytest.raises(mobilenet.LibraryNotFoundError, match="could not be opened"):
        _native.find_library()


def test_library_env_var_another_library(monkeypatch):
    import _ctypes
    monkeypatch.setenv("MOBILENET_LIBRARY", _ctypes.__file__)
    with pytest.raises(mobilenet.LibraryNotFoundError, match="not libmobilenet"):
        _native.find_library()


def test_library_env_var_wins(monkeypatch):
    lib = _native.find_library()
    assert os.path.samefile(lib._mobilenet_path, os.environ["MOBILENET_LIBRARY"])


def test_library_next_to_package(monkeypatch, tmp_path):
    real = os.path.realpath(os.environ["MOBILENET_LIBRARY"])
    (tmp_path / _native.LIBRARY_FILE).symlink_to(real)  # same file: dlopen shares it
    monkeypatch.delenv("MOBILENET_LIBRARY")
    monkeypatch.setattr(_native, "package_dir", lambda: str(tmp_path))
    lib = _native.find_library()
    assert lib._mobilenet_path == str(tmp_path / _native.LIBRARY_FILE)
    assert lib.mobilenet_version() == mobilenet.version().encode()


def test_library_system_path(monkeypatch, tmp_path):
    real = os.path.realpath(os.environ["MOBILENET_LIBRARY"])
    monkeypatch.delenv("MOBILENET_LIBRARY")
    monkeypatch.setattr(_native, "package_dir", lambda: str(tmp_path))
    monkeypatch.setattr(_native.ctypes.util, "find_library", lambda name: real)
    lib = _native.find_library()
    assert lib._mobilenet_path == real


def test_library_not_found(monkeypatch, tmp_path):
    monkeypatch.delenv("MOBILENET_LIBRARY")
    monkeypatch.setattr(_native, "package_dir", lambda: str(tmp_path))
    monkeypatch.setattr(_native.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(_native, "LIBRARY_FILE", "libmobilenet-not-installed-anywhere.so")
    with pytest.raises(mobilenet.LibraryNotFoundError) as caught:
        _native.find_library()
    message = str(caught.value)
    for hint in ("MOBILENET_LIBRARY", "LD_LIBRARY_PATH", "make install PREFIX=", "PREFIX/lib",
                 str(tmp_path)):
        assert hint in message
    assert isinstance(caught.value, OSError)


def test_installed_prefix_library_and_model(tmp_path):
    """A `make install PREFIX=...` layout found through LD_LIBRARY_PATH: the
    model is then found in PREFIX/share/mobilenet (the package has none)."""
    prefix = tmp_path / "prefix"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "share" / "mobilenet").mkdir(parents=True)
    (prefix / "lib" / "libmobilenet.so").symlink_to(os.path.realpath(os.environ["MOBILENET_LIBRARY"]))
    model = prefix / "share" / "mobilenet" / "mobilenet_v1_1.0_224.safetensors"
    model.symlink_to(REPO / "models" / "mobilenet_v1_1.0_224.safetensors")
    package = tmp_path / "site" / "mobilenet"
    package.mkdir(parents=True)
    # The Python sources only (sub-packages included), no bundled library or model.
    shutil.copytree(pathlib.Path(mobilenet.__file__).parent, package, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "models"))
    code = ("import mobilenet\n"
            "from mobilenet import _native\n"
            "print(_native.lib()._mobilenet_file)\n"
            "print(mobilenet.default_model_path())\n"
            "with mobilenet.load(threads=1) as m: print(m.num_classes)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("MOBILENET_LIBRARY", "MOBILENET_MODEL")}
    env["PYTHONPATH"] = str(tmp_path / "site")
    env["LD_LIBRARY_PATH"] = str(prefix / "lib")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(prefix / "lib" / "libmobilenet.so"), str(model), "1001"]


def test_import_without_library_is_lazy(tmp_path):
    """Importing the package does not need the library; using it names the problem."""
    code = ("import mobilenet\n"
            "try:\n"
            "    mobilenet.version()\n"
            "except mobilenet.LibraryNotFoundError as e:\n"
            "    print('LNF', e)\n")
    env = dict(os.environ, MOBILENET_LIBRARY=str(tmp_path / "missing.so"))
    package_parent = os.path.dirname(os.path.dirname(mobilenet.__file__))
    env["PYTHONPATH"] = package_parent + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("LNF") and "missing.so" in out
