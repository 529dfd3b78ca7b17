"""mobilenet.Trainer as a Python caller meets it: bad arguments raise before
or at the C call (never a crash), a tiny network trains, saves, resumes and
exports, and tensors come back in TensorFlow's shapes."""

import numpy as np
import pytest

import mobilenet
from mobilenet import _native


@pytest.fixture(scope="module", autouse=True)
def _needs_trainer():
    if not hasattr(_native.lib(), "mobilenet_trainer_step"):
        pytest.skip("the library has no training API")


def tiny(**options):
    options.setdefault("threads", 1)
    return mobilenet.Trainer.new(width_multiplier=0.25, resolution=32, num_classes=4, seed=5, **options)


def batch(n=2, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, size, size, 3)).astype(np.float32), np.arange(n) % 4


def test_trains_and_reports():
    x, y = batch(4)
    with tiny(learning_rate=0.01) as t:
        assert t.num_classes == 4 and t.global_step == 0
        losses = [t.step(x, y) for _ in range(20)]
        assert t.global_step == 20
        assert all(np.isfinite(losses))
        assert np.mean(losses[-5:]) < losses[0]
        loss, correct = t.evaluate(x, y)
        assert np.isfinite(loss) and 0 <= correct <= 4


def test_tensor_shapes_are_tensorflows():
    with tiny() as t:
        names = t.tensor_names()
        assert "MobilenetV1/Conv2d_0/weights" in names
        assert "MobilenetV1/Conv2d_0/weights/RMSProp" in names
        assert "MobilenetV1/Conv2d_0/BatchNorm/moving_mean/RMSProp" not in names
        assert t.get_tensor("MobilenetV1/Conv2d_0/weights").shape == (3, 3, 3, 8)
        assert t.get_tensor("MobilenetV1/Conv2d_1_depthwise/depthwise_weights").shape == (3, 3, 8, 1)
        assert t.get_tensor("MobilenetV1/Logits/Conv2d_1c_1x1/biases").shape == (4,)
        np.testing.assert_array_equal(t.get_tensor("MobilenetV1/Conv2d_0/weights/RMSProp"), 1.0)
        with pytest.raises(KeyError):
            t.get_tensor("MobilenetV1/nothing")


@pytest.mark.parametrize("bad", [None, "x", np.zeros((2, 32, 32), np.float32), np.zeros((2, 32, 32, 4), np.float32),
                                 np.zeros((0, 32, 32, 3), np.float32), np.zeros((2, 32, 32, 3), np.float64),
                                 np.full((2, 32, 32, 3), np.nan, np.float32)])
def test_bad_images_raise(bad):
    with tiny() as t:
        with pytest.raises((TypeError, ValueError, mobilenet.Error)):
            t.step(bad, [0, 1])
        assert t.global_step == 0


@pytest.mark.parametrize("labels", [None, [0], [0, 4], [-1, 0], ["a", "b"], [0.5, 1]])
def test_bad_labels_raise(labels):
    x, _ = batch(2)
    with tiny() as t:
        with pytest.raises((TypeError, ValueError, mobilenet.Error)):
            t.step(x, labels)
        assert t.global_step == 0


@pytest.mark.parametrize("options", [{"learning_rate": 0}, {"learning_rate": float("nan")}, {"momentum": 1.0},
                                     {"optimizer": "lbfgs"}, {"batchnorm": "maybe"}, {"trainable_from": "Conv2d_99"},
                                     {"epsilon": -1}, {"no_such_option": 1}, {"threads": -1}])
def test_bad_options_raise(options):
    with pytest.raises((TypeError, ValueError, mobilenet.Error)):
        tiny(**options)


def test_closed_trainer_raises():
    t = tiny()
    t.close()
    x, y = batch(2)
    with pytest.raises((ValueError, RuntimeError, mobilenet.Error)):
        t.step(x, y)
    t.close()  # twice is fine


def test_save_resume_export(tmp_path):
    x, y = batch(2)
    path = tmp_path / "ck.safetensors"
    with tiny() as t:
        t.step(x, y)
        t.set_labels(["a", "b", "c", "d"])
        t.save(path)
        t.step(x, y)
        after = {n: t.get_tensor(n) for n in t.tensor_names()}
        model = t.export()
    assert model.labels == ("a", "b", "c", "d")
    with mobilenet.Trainer.load(path, threads=1) as resumed:
        assert resumed.global_step == 1
        resumed.step(x, y)
        for n, v in after.items():
            np.testing.assert_array_equal(resumed.get_tensor(n), v, err_msg=n)
    with mobilenet.load(path) as from_file:  # a checkpoint is also a model
        assert from_file.num_classes == 4
    model.close()
