""".tflite files written by TensorFlow's converter, against what TensorFlow
and LiteRT computed on them (tests/fixtures/tflite; see tests/fixtures/README.md):
float32 files give TensorFlow's logits, int8 and uint8 files LiteRT's
reference kernels' integers within a few output quantization steps and
the same top-1, on seven real photos."""

import json

import numpy as np
import pytest

import mobilenet
from mn_support import FIXTURES, REPO, read_safetensors, top_k

TFLITE = FIXTURES / "tflite"
INT8_STEPS = 0  # integer arithmetic as the reference kernels: measured 0 on every photo (XNNPACK: 2-3)


@pytest.fixture(scope="module")
def reference():
    tensors, metadata = read_safetensors(TFLITE / "tflite_reference.safetensors")
    files = json.loads(metadata["files"])
    photos = sorted({name.split("/")[0] for name in tensors})
    assert len(photos) >= 7, photos
    return tensors, files, photos


def _load(name, **kwargs):
    return mobilenet.Model(str(TFLITE / name), **kwargs)


def _quantized_output(files, name):
    """The scale and zero point of the logits (the RESHAPE's output)."""
    q = files[name]["reshape_out"]
    return q["scale"][0], q["zero_point"][0]


def _input(tensors, photo, size, file_info):
    x = tensors[f"{photo}/input_{size}"].astype(np.float32)
    if file_info["input"]["dtype"] == "UINT8":
        # A uint8-input file was fed the pixels' quantized values; the float
        # that quantizes to exactly them is (u8 - zero point) * scale.
        u8 = tensors[f"{photo}/input_{size}_u8"].astype(np.float32)
        scale, zero = file_info["input"]["scale"][0], file_info["input"]["zero_point"][0]
        x = ((u8 - zero) * np.float32(scale)).astype(np.float32)
    return x


def test_float_tflite_gives_tensorflows_logits(reference):
    tensors, files, photos = reference
    model = _load("mobilenet_v1_0.25_128_float.tflite")
    assert model.precision == "float32" and model.num_classes == 100 and model.resolution == 128
    assert model.labels is None  # 100 classes: not ImageNet's
    for photo in photos:
        logits = model.run(tensors[f"{photo}/input_128"].astype(np.float32))
        expected = tensors[f"{photo}/float_0.25_128/tf_logits"]
        diff = float(np.max(np.abs(logits - expected)))
        assert diff <= 1e-4, f"{photo}: max |diff| {diff:.3g}"
        assert top_k(logits, 5) == top_k(expected, 5)


@pytest.mark.parametrize("name,key,size", [
    ("mobilenet_v1_1.0_224_int8.tflite", "int8_1.0_224", 224),
    ("mobilenet_v1_0.25_128_int8.tflite", "int8_0.25_128", 128),
    ("mobilenet_v1_0.25_128_uint8.tflite", "uint8_0.25_128", 128),
])
def test_quantized_tflite_matches_litert_reference_kernels(reference, name, key, size):
    tensors, files, photos = reference
    model = _load(name)
    assert model.precision == ("uint8" if "uint8" in name else "int8")
    scale, zero = _quantized_output(files, name)
    worst = 0
    for photo in photos:
        x = _input(tensors, photo, size, files[name])
        logits = model.run(x)
        # Our float logits are scale * (q - zero) exactly: recover q.
        q = np.rint(logits / np.float32(scale)).astype(np.int64) + zero
        assert np.allclose((q - zero) * np.float64(scale), logits, rtol=1e-6, atol=0)
        expected = tensors[f"{photo}/{key}/ref_logits_q"].astype(np.int64)
        steps = int(np.max(np.abs(q - expected)))
        worst = max(worst, steps)
        assert steps <= INT8_STEPS, f"{photo}: {steps} quantization steps from LiteRT's reference kernels"
        assert int(np.argmax(q)) == int(np.argmax(expected)), photo
    print(f"{name}: at most {worst} steps from LiteRT's reference kernels")


def test_quantized_results_do_not_depend_on_threads(reference):
    tensors, _, photos = reference
    batch = np.concatenate([tensors[f"{p}/input_224"].astype(np.float32) for p in photos[:3]])
    outputs = []
    for threads in (1, 2, 3):
        with _load("mobilenet_v1_1.0_224_int8.tflite", threads=threads) as model:
            outputs.append(model.run(batch))
            # One image at a time splits each layer across the threads instead.
            outputs.append(np.concatenate([model.run(batch[i:i + 1]) for i in range(len(batch))]))
    for other in outputs[1:]:
        assert np.array_equal(outputs[0], other)


def test_imagenet_file_gets_the_bundled_labels():
    with _load("mobilenet_v1_1.0_224_int8.tflite") as model:
        assert model.num_classes == 1001
        expected = (REPO / "models" / "imagenet_labels.txt").read_text(encoding="utf-8").splitlines()
        assert list(model.labels) == expected


def test_classify_and_embed_an_int8_model(reference):
    tensors, _, _ = reference
    with _load("mobilenet_v1_1.0_224_int8.tflite") as model:
        image = tensors["cat/input_224"].astype(np.float32)
        logits = model.run(image)[0]
        features = model.features(image)[0]
        assert features.shape == (model.embedding_size,) == (1024,)
        assert np.all(features >= 0) and np.any(features > 0)  # ReLU6 then the average
        rgb = np.clip((image[0] + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)
        top = model.classify(rgb, top_k=3)
        assert len(top) == 3 and all(0 <= p.index < 1001 for p in top)
        assert top[0].label == model.labels[top[0].index]
        assert int(np.argmax(logits)) in [p.index for p in top] or top[0].probability > 0


def test_describe_names_the_precision(reference):
    for name, precision in (("mobilenet_v1_0.25_128_float.tflite", "float32"),
                            ("mobilenet_v1_0.25_128_int8.tflite", "int8"),
                            ("mobilenet_v1_0.25_128_uint8.tflite", "uint8")):
        with _load(name) as model:
            assert model.precision == precision
            assert model.info.width_multiplier == 0.25 and model.info.resolution == 128


def test_not_a_mobilenet_is_refused(tmp_path):
    blob = bytearray((TFLITE / "mobilenet_v1_0.25_128_int8.tflite").read_bytes())
    bad = tmp_path / "truncated.tflite"
    bad.write_bytes(bytes(blob[:len(blob) // 2]))
    with pytest.raises(mobilenet.Error) as error:
        mobilenet.Model(str(bad))
    assert error.value.status in (mobilenet.Status.FORMAT, mobilenet.Status.UNSUPPORTED)
    assert str(error.value)
