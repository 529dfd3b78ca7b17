"""The C contract of include/mobilenet.h, exercised through the binding's
ctypes declarations: statuses for invalid arguments the Python layer would
have refused, "output parameters are written only on success", the
thread-local error message. Every buffer passed is large enough, so a
library that validated late would still not read out of bounds here."""

import ctypes
import math
import os
import threading

import numpy as np
import pytest

import mobilenet
from mobilenet import Status
from mobilenet import _native

FLOAT_P = ctypes.POINTER(ctypes.c_float)
U8_P = ctypes.POINTER(ctypes.c_uint8)
SENTINEL = 0x5EED


@pytest.fixture(scope="module")
def lib():
    return _native.lib()


@pytest.fixture(scope="module")
def handle(model):
    return model._handle


def options(threads=0, crop=0.0, struct_size=None):
    o = _native.Options()
    _native.lib().mobilenet_options_init(ctypes.byref(o))
    o.num_threads = threads
    o.crop_fraction = crop
    if struct_size is not None:
        o.struct_size = struct_size
    return o


def last_error(lib):
    return lib.mobilenet_last_error().decode()


@pytest.mark.parametrize("opts", [
    options(struct_size=0), options(struct_size=8), options(struct_size=1000),
    options(threads=-1), options(threads=257),
    options(crop=-0.5), options(crop=1.5), options(crop=math.nan),
], ids=["size0", "size8", "size1000", "threads-1", "threads257", "crop-0.5", "crop1.5", "cropnan"])
def test_load_invalid_options(lib, model_path, opts):
    out = _native.ModelPointer(SENTINEL)
    status = lib.mobilenet_model_load(os.fsencode(model_path), ctypes.byref(opts), ctypes.byref(out))
    assert status == Status.INVALID_ARGUMENT, last_error(lib)
    assert out.value == SENTINEL  # untouched on failure
    assert last_error(lib)


def test_load_failure_leaves_output_untouched(lib, tmp_path):
    out = _native.ModelPointer(SENTINEL)
    assert lib.mobilenet_model_load(os.fsencode(tmp_path / "none"), None, ctypes.byref(out)) == Status.IO
    assert out.value == SENTINEL
    assert lib.mobilenet_model_load(b"", None, ctypes.byref(out)) == Status.INVALID_ARGUMENT
    assert lib.mobilenet_model_load(b"x", None, None) == Status.INVALID_ARGUMENT
    data = (ctypes.c_uint8 * 16)()
    assert lib.mobilenet_model_load_memory(data, 16, None, ctypes.byref(out)) == Status.FORMAT
    assert lib.mobilenet_model_load_memory(None, 16, None, ctypes.byref(out)) == Status.INVALID_ARGUMENT
    assert out.value == SENTINEL


def test_load_with_null_options_uses_defaults(lib, model_path):
    out = _native.ModelPointer()
    assert lib.mobilenet_model_load(os.fsencode(model_path), None, ctypes.byref(out)) == Status.OK
    assert out.value
    assert last_error(lib) == ""
    assert lib.mobilenet_model_num_classes(out) == 1001
    lib.mobilenet_model_free(out)


@pytest.mark.parametrize("batch,height,width", [
    (0, 8, 8), (-1, 8, 8), (4097, 1, 1), (1, 0, 8), (1, 8, 0), (1, -8, 8), (1, 4097, 1), (1, 1, 4097),
])
def test_run_invalid_sizes(lib, handle, batch, height, width):
    x = np.zeros(8 * 8 * 3 * 4 * 4097, np.float32)  # larger than any valid reading of the sizes
    logits = np.full(1001, 7.0, np.float32)
    status = lib.mobilenet_model_run(handle, x.ctypes.data_as(FLOAT_P), batch, height, width,
                                     logits.ctypes.data_as(FLOAT_P), logits.size)
    assert status == Status.INVALID_ARGUMENT, last_error(lib)
    assert np.all(logits == 7.0)


def test_run_buffer_too_small(lib, handle):
    x = np.zeros((2, 8, 8, 3), np.float32)
    logits = np.full(2 * 1001, 7.0, np.float32)
    for capacity in (0, 1000, 1001, 2001):
        status = lib.mobilenet_model_run(handle, x.ctypes.data_as(FLOAT_P), 2, 8, 8,
                                         logits.ctypes.data_as(FLOAT_P), capacity)
        assert status == Status.BUFFER_TOO_SMALL, (capacity, last_error(lib))
        assert np.all(logits == 7.0)
    assert lib.mobilenet_model_run(handle, x.ctypes.data_as(FLOAT_P), 2, 8, 8,
                                   logits.ctypes.data_as(FLOAT_P), 2002) == Status.OK
    assert last_error(lib) == ""
    with pytest.raises(mobilenet.Error) as caught:
        mobilenet._model._check(Status.BUFFER_TOO_SMALL)
    assert caught.value.status is Status.BUFFER_TOO_SMALL


def test_run_null_pointers(lib, handle):
    x = np.zeros((1, 8, 8, 3), np.float32)
    logits = np.zeros(1001, np.float32)
    assert lib.mobilenet_model_run(handle, None, 1, 8, 8, logits.ctypes.data_as(FLOAT_P), 1001) \
        == Status.INVALID_ARGUMENT
    assert lib.mobilenet_model_run(handle, x.ctypes.data_as(FLOAT_P), 1, 8, 8, None, 1001) \
        == Status.INVALID_ARGUMENT
    assert lib.mobilenet_model_run(None, x.ctypes.data_as(FLOAT_P), 1, 8, 8,
                                   logits.ctypes.data_as(FLOAT_P), 1001) == Status.INVALID_ARGUMENT


@pytest.mark.parametrize("width,height,stride,top_k", [
    (8, 8, 23, 5),           # row_stride < width * 3
    (0, 8, 24, 5), (8, 0, 24, 5), (-8, 8, 24, 5), (8, -8, 24, 5),
    (65537, 1, 65537 * 3, 5), (1, 65537, 3, 5),
    (8, 8, 24, 0), (8, 8, 24, -1), (8, 8, 24, 1002),
])
def test_classify_invalid_arguments(lib, handle, width, height, stride, top_k):
    rgb = np.zeros(65537 * 3 + 8 * 24, np.uint8)  # covers every valid reading of the sizes
    predictions = (_native.Prediction * 8)()
    for p in predictions:
        p.class_index = -7
    status = lib.mobilenet_model_classify_rgb8(handle, rgb.ctypes.data_as(U8_P), width, height, stride,
                                               top_k, predictions)
    assert status == Status.INVALID_ARGUMENT, last_error(lib)
    assert all(p.class_index == -7 for p in predictions)


def test_classify_row_stride_padding(lib, handle, cat_rgb):
    """A row stride larger than width * 3 skips the padding bytes."""
    height, width, _ = cat_rgb.shape
    padded = np.full((height, width * 3 + 5), 255, np.uint8)
    padded[:, :width * 3] = cat_rgb.reshape(height, width * 3)
    results = []
    for buffer, stride in ((np.ascontiguousarray(cat_rgb), width * 3), (padded, width * 3 + 5)):
        predictions = (_native.Prediction * 5)()
        assert lib.mobilenet_model_classify_rgb8(handle, buffer.ctypes.data_as(U8_P), width, height,
                                                 stride, 5, predictions) == Status.OK
        results.append([(p.class_index, p.probability, p.label) for p in predictions])
    assert results[0] == results[1]
    assert results[0][0][2] == b"Egyptian cat"


def test_labels_and_num_classes(lib, handle):
    assert lib.mobilenet_model_num_classes(handle) == 1001
    assert lib.mobilenet_model_label(handle, 0) == b"background"
    assert lib.mobilenet_model_label(handle, 1000) is not None
    for index in (-1, 1001, 2**31 - 1, -2**31):
        assert lib.mobilenet_model_label(handle, index) is None


def test_model_info_struct_size_checked(lib, handle):
    info = _native.Info()
    info.struct_size = _native.Info.total_layers.offset - 8  # below 0.1.0's size
    assert lib.mobilenet_model_info(handle, ctypes.byref(info)) == Status.INVALID_ARGUMENT
    assert info.num_layers == 0  # untouched
    info.struct_size = ctypes.sizeof(_native.Info)
    assert lib.mobilenet_model_info(handle, ctypes.byref(info)) == Status.OK
    assert (info.resolution, info.num_classes, info.num_layers) == (224, 1001, 29)


@pytest.mark.parametrize("variant,alpha,resolution,classes", [
    (3, 1.0, 224, 1000), (-1, 1.0, 224, 1000),
    (0, 0.0, 224, 1000), (0, -1.0, 224, 1000), (0, 4.5, 224, 1000), (0, math.nan, 224, 1000),
    (0, math.inf, 224, 1000),
    (0, 1.0, 0, 1000), (0, 1.0, 4097, 1000), (0, 1.0, -224, 1000),
    (0, 1.0, 224, 0), (0, 1.0, 224, 100001), (0, 1.0, 224, -5),
])
def test_describe_invalid_arguments(lib, variant, alpha, resolution, classes):
    info = _native.Info()
    info.struct_size = ctypes.sizeof(_native.Info)
    status = lib.mobilenet_describe(variant, alpha, resolution, classes, ctypes.byref(info))
    assert status == Status.INVALID_ARGUMENT, last_error(lib)
    assert info.num_layers == 0
    assert last_error(lib).startswith("mobilenet_describe")


def test_last_error_is_thread_local(lib):
    """A failure in one thread does not change another thread's message."""
    bad = _native.Info()
    bad.struct_size = 1
    assert lib.mobilenet_describe(0, 1.0, 224, 1000, ctypes.byref(bad)) == Status.INVALID_ARGUMENT
    main_message = last_error(lib)
    assert "struct_size" in main_message
    seen = {}

    def other():
        seen["before"] = last_error(lib)
        info = _native.Info()
        info.struct_size = ctypes.sizeof(_native.Info)
        lib.mobilenet_describe(0, 1.0, 0, 1000, ctypes.byref(info))  # resolution 0
        seen["after"] = last_error(lib)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["before"] == ""
    assert seen["after"] and seen["after"] != main_message
    assert last_error(lib) == main_message
