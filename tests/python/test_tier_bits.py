"""Kernel tiers: the avx2 tier gives, bit for bit, the logits the library
gave before the engine was reshaped (tests/fixtures/tier_bits, recorded on
git 669471f), and so does the avx512 tier, whose 8x32 GEMM accumulates each
output in the same order with the same fused multiply-adds. The generic
tier (no FMA) agrees to float rounding. Each tier is chosen the way a user
caps it: MOBILENET_MAX_ISA, read at every load.
"""

import ctypes
import os
import sys
import tempfile

import numpy as np
import pytest

import mobilenet
from mn_support import REPO

sys.path.insert(0, str(REPO / "tests" / "fixtures" / "tier_bits"))
import record  # noqa: E402

ISA_NAMES = {1: "generic", 2: "avx2", 3: "avx512", 4: "neon"}


def best_isa():
    lib = ctypes.CDLL(mobilenet.library_path())
    lib.mobilenet_best_isa.restype = ctypes.c_int
    return ISA_NAMES[lib.mobilenet_best_isa()]


def runnable(tier):
    order = ["generic", "avx2", "avx512"]
    best = best_isa()
    return best in order and order.index(tier) <= order.index(best)


@pytest.fixture(scope="module")
def recorded():
    return np.load(REPO / "tests" / "fixtures" / "tier_bits" / "avx2_logits.npz")


@pytest.fixture(scope="module")
def models_dir():
    with tempfile.TemporaryDirectory() as tmp:
        yield tmp


def run_on(tier, threads, models_dir, monkeypatch):
    monkeypatch.setenv("MOBILENET_MAX_ISA", tier)
    return record.run_all(mobilenet, models_dir, threads)


@pytest.mark.parametrize("tier", ["avx2", "avx512"])
@pytest.mark.parametrize("threads", [1, 2])
def test_fma_tiers_give_the_recorded_bits(tier, threads, recorded, models_dir, monkeypatch):
    if not runnable(tier):
        pytest.skip(f"this CPU does not run the {tier} tier")
    got = run_on(tier, threads, models_dir, monkeypatch)
    assert sorted(got) == sorted(recorded.files)
    for key in recorded.files:
        assert np.array_equal(got[key].view(np.uint32), recorded[key].view(np.uint32)), \
            f"{tier}, {threads} threads, {key}: max |diff| {np.abs(got[key] - recorded[key]).max():.3g}"


def test_generic_tier_agrees_to_rounding(recorded, models_dir, monkeypatch):
    got = run_on("generic", 1, models_dir, monkeypatch)
    for key in recorded.files:
        diff = np.abs(got[key] - recorded[key]).max()
        assert diff <= 1e-4, f"{key}: {diff:.3g}"
    # Bit-identical for any thread count within the tier.
    two = run_on("generic", 2, models_dir, monkeypatch)
    for key in recorded.files:
        assert np.array_equal(got[key].view(np.uint32), two[key].view(np.uint32)), key


def test_an_unknown_cap_is_an_error(model_path, monkeypatch):
    monkeypatch.setenv("MOBILENET_MAX_ISA", "sse9")
    with pytest.raises(mobilenet.Error) as raised:
        mobilenet.load(model_path, threads=1)
    assert "MOBILENET_MAX_ISA=sse9" in raised.value.message


def test_the_binding_reports_the_tier(model_path, monkeypatch):
    best = mobilenet.best_isa()
    assert best == best_isa()
    with mobilenet.load(model_path, threads=1) as m:
        assert m.isa == best
    monkeypatch.setenv("MOBILENET_MAX_ISA", "generic")
    assert mobilenet.best_isa() == "generic"
    with mobilenet.load(model_path, threads=1) as m:
        assert m.isa == "generic"
    monkeypatch.setenv("MOBILENET_MAX_ISA", "nonsense")
    assert mobilenet.best_isa() == "auto"
