"""The trainer against TensorFlow's TF-Slim training (tests/fixtures/training/,
written by tools/make_training_fixtures.py; see tests/fixtures/training/README.md).

Per case, with the case's options and threads 1 and 2: the per-step losses
and, after the steps, every tensor the steps change (as its update, value
after - value before, against TF float64), the tensors they must not change
(bit for bit), the tensor list, threads 1 == threads 2 bit for bit, and a
save after step k + Trainer.load + the remaining steps == the uninterrupted
run bit for bit.

Tolerances (relative L2 of the update): max(5 * e, 1e-4) with BatchNorm
frozen and max(5 * e, 0.03) in train mode, where e is the float32 TensorFlow
run's own error on that tensor (case.json tf_f32_update_errors; their
maximum is tf_f32_update_error). Losses: max(1e-4, 5 * tf_f32_loss_error).
"""

import hashlib
import json

import numpy as np
import pytest

import mobilenet
from mobilenet import _native
from mn_support import FIXTURES, REPO, import_tool

TRAINING = FIXTURES / "training"
CASES = sorted(p.parent.name for p in TRAINING.glob("*/case.json"))
OPTION_KEYS = ("optimizer", "learning_rate", "momentum", "rmsprop_decay", "epsilon", "weight_decay",
               "label_smoothing", "batchnorm", "batchnorm_decay", "trainable_from", "adam_beta1",
               "adam_beta2")
SLOT_INITIAL = {"RMSProp": 1.0, "RMSProp_1": 0.0, "Momentum": 0.0, "Adam": 0.0, "Adam_1": 0.0}


@pytest.fixture(scope="module", autouse=True)
def _needs_trainer():
    if not hasattr(_native.lib(), "mobilenet_trainer_step"):
        pytest.skip(f"{_native.library_path()} has no mobilenet_trainer_step (no training API)")


def test_fixtures_present():
    assert {"rmsprop_train", "momentum_frozen", "sgd_smoothing", "adam_partial", "alpha_050",
            "alpha_075", "bundled_frozen"} <= set(CASES)


class Case:
    def __init__(self, name, tmp_dir):
        self.name = name
        folder = TRAINING / name
        self.json = json.loads((folder / "case.json").read_text())
        tool = import_tool("make_training_fixtures")
        init = self.json["init"]
        if isinstance(init, str):
            self.init_path = (folder / init).resolve()
        else:
            items, meta = tool.random_init(init["random_init"])
            self.init_path = tmp_dir / f"{name}_init.safetensors"
            import_tool("safetensors_io").save(self.init_path, items, meta)
        digest = hashlib.sha256(self.init_path.read_bytes()).hexdigest()
        assert digest == self.json["init_sha256"], (
            f"{self.init_path} is not the file the fixture {name} was made from; "
            "rerun tools/make_training_fixtures.py")
        self.init, _ = import_tool("safetensors_io").load(str(self.init_path))
        batches = np.load(folder / "batches.npz")
        self.labels = batches["labels"]
        if "inputs" in self.json:
            self.inputs = np.stack([np.stack([tool.fixture_input(s, str(FIXTURES)) for s in row])
                                    for row in self.json["inputs"]])
        else:
            self.inputs = batches["inputs"]
        steps = self.json["steps"]
        assert self.inputs.shape == (steps, self.json["batch"], self.json["height"],
                                     self.json["width"], 3)
        assert self.inputs.dtype == np.float32
        self.expected = dict(np.load(folder / "expected.npz"))
        self.options = {k: self.json[k] for k in OPTION_KEYS}
        self.frozen = self.json["batchnorm"] == "frozen"

    def changed(self):
        return [k for k in self.expected if k != "loss" and ":" not in k]

    def initial(self, name):
        """A tensor's value before the first step (float64, TF shape)."""
        if name in self.init:
            return np.asarray(self.init[name], np.float64)
        if name in ("beta1_power", "beta2_power"):
            return np.float64(np.float32(self.json["adam_beta" + name[4]]))
        var, slot = name.rsplit("/", 1)
        return np.full(self.init[var].shape, SLOT_INITIAL[slot], np.float64)

    def sample(self, name, value):
        stride = self.expected.get("stride:" + name)
        value = np.asarray(value, np.float64)
        return value.reshape(-1)[::int(stride)] if stride is not None else value

    def run(self, threads, split=None, tmp_dir=None):
        """(losses, {name: array}) after all steps; with split=k, save after
        step k and resume from the file for the rest."""
        steps = self.json["steps"]
        losses = []
        trainer = mobilenet.Trainer.load(self.init_path, threads=threads, **self.options)
        try:
            for i in range(steps):
                if split is not None and i == split:
                    path = tmp_dir / f"{self.name}_step{split}.safetensors"
                    trainer.save(path)
                    trainer.close()
                    trainer = mobilenet.Trainer.load(path, threads=threads, **self.options)
                    assert trainer.global_step == split
                losses.append(trainer.step(self.inputs[i], self.labels[i]))
            assert trainer.global_step == steps
            state = {n: trainer.get_tensor(n) for n in trainer.tensor_names()}
        finally:
            trainer.close()
        return np.asarray(losses, np.float64), state


_cases = {}
_runs = {}


@pytest.fixture(scope="module")
def tmp_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("training")


def get_case(name, tmp_dir):
    if name not in _cases:
        _cases[name] = Case(name, tmp_dir)
    return _cases[name]


def get_run(case, threads):
    key = (case.name, threads)
    if key not in _runs:
        _runs[key] = case.run(threads)
    return _runs[key]


def rel(a, b):
    nb = float(np.linalg.norm(b))
    d = float(np.linalg.norm(np.asarray(a, np.float64) - b))
    return d / nb if nb else (0.0 if d == 0 else float("inf"))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", CASES)
def test_losses_match_tensorflow(name, threads, tmp_dir):
    case = get_case(name, tmp_dir)
    losses, _ = get_run(case, threads)
    expected = case.expected["loss"]
    tolerance = max(1e-4, 5 * case.json["tf_f32_loss_error"])
    errors = np.abs(losses - expected) / np.abs(expected)
    assert np.all(errors <= tolerance), (
        f"{name}: losses {losses.tolist()} vs TF float64 {expected.tolist()}: relative errors "
        f"{errors.tolist()} > {tolerance:.3g}")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", CASES)
def test_tensors_match_tensorflow(name, threads, tmp_dir):
    case = get_case(name, tmp_dir)
    _, state = get_run(case, threads)
    assert sorted(state) == sorted(case.json["tensor_names"])
    floor = 1e-4 if case.frozen else 0.03
    tf_errors = case.json["tf_f32_update_errors"]
    failures = []
    for n in case.changed():
        before = case.initial(n)
        if n in case.init:
            assert state[n].shape == case.init[n].shape, n
        update = case.sample(n, state[n]) - case.sample(n, before)
        expected = case.expected[n] - case.sample(n, before)
        error = rel(update, expected)
        tolerance = max(5 * tf_errors[n], floor)
        if not error <= tolerance:
            failures.append(f"{n}: {error:.3g} > {tolerance:.3g} (TF float32: {tf_errors[n]:.3g})")
    changed = set(case.changed())
    for n in case.json["tensor_names"]:
        if n not in changed:
            assert np.array_equal(state[n].astype(np.float64), case.initial(n)), (
                f"{n} changed, but TF does not change it in {name}")
    assert not failures, f"{name}, threads {threads}: {len(failures)} tensors off:\n" + "\n".join(failures)


@pytest.mark.parametrize("name", CASES)
def test_threads_bit_identical(name, tmp_dir):
    case = get_case(name, tmp_dir)
    losses1, state1 = get_run(case, 1)
    losses2, state2 = get_run(case, 2)
    assert np.array_equal(losses1, losses2)
    assert sorted(state1) == sorted(state2)
    different = [n for n in state1 if not np.array_equal(state1[n], state2[n])]
    assert not different, f"threads 1 and 2 differ in {different[:5]} ({len(different)} tensors)"


@pytest.mark.parametrize("name", CASES)
def test_resume_bit_identical(name, tmp_dir):
    case = get_case(name, tmp_dir)
    losses, state = get_run(case, 2)
    split = max(1, case.json["steps"] // 2)
    resumed_losses, resumed = case.run(2, split=split, tmp_dir=tmp_dir)
    assert np.array_equal(resumed_losses, losses)
    assert sorted(resumed) == sorted(state)
    different = [n for n in state if not np.array_equal(state[n], resumed[n])]
    assert not different, f"resuming after step {split} differs in {different[:5]} ({len(different)})"


def test_repo_paths():
    # bundled_frozen references the bundled model, not a copy.
    case = json.loads((TRAINING / "bundled_frozen" / "case.json").read_text())
    assert (TRAINING / "bundled_frozen" / case["init"]).resolve() == \
        (REPO / "models" / "mobilenet_v1_1.0_224.safetensors").resolve()
