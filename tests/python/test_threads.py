"""Threads: one model shared by many Python threads, the GIL released during
library calls, and results independent of the library's worker count."""

import threading
import time

import numpy as np
import pytest

import mobilenet
from mn_support import IMAGES


def inputs(count, size=160, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (1, size, size, 3)).astype(np.float32) for _ in range(count)]


def run_in_threads(count, target):
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def body(i):
        try:
            barrier.wait(30)
            results[i] = target(i)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    return results


def test_eight_threads_share_one_model(model, cat_rgb):
    xs = inputs(8, seed=11)
    sequential = [model.run(x) for x in xs]
    sequential_top = model.classify(cat_rgb, top_k=5)

    def work(i):
        out = []
        for _ in range(2):
            out.append((model.run(xs[i]), model.classify(cat_rgb, top_k=5)))
        return out

    for i, rounds in enumerate(run_in_threads(8, work)):
        for logits, top in rounds:
            np.testing.assert_array_equal(logits, sequential[i])
            assert top == sequential_top


def test_two_threads_classify_concurrently(model):
    paths = [IMAGES / "cat.jpg", IMAGES / "coffee.png"]
    sequential = [model.classify(p) for p in paths]
    results = run_in_threads(2, lambda i: [model.classify(paths[i]) for _ in range(3)])
    for i, rounds in enumerate(results):
        assert all(r == sequential[i] for r in rounds)


def test_thread_count_does_not_change_results(model_path, cat_rgb):
    x = np.concatenate(inputs(2, size=224, seed=5))
    with mobilenet.load(model_path, threads=1) as one, \
            mobilenet.load(model_path, threads=2) as two, \
            mobilenet.load(model_path, threads=0) as auto, \
            mobilenet.load(model_path, threads=3) as three:
        reference = one.run(x)
        for m in (two, auto, three):
            np.testing.assert_array_equal(m.run(x), reference)  # bit-identical
        top = one.classify(cat_rgb, top_k=20)
        for m in (two, auto, three):
            assert m.classify(cat_rgb, top_k=20) == top


def test_library_calls_release_the_gil(random_model):
    """ctypes.CDLL calls release the GIL: a Python thread keeps running
    bytecode while another thread is inside mobilenet_model_run."""
    with mobilenet.load(random_model("separable", 1.0, 224, 10), threads=1) as m:
        x = np.zeros((4, 224, 224, 3), np.float32)
        m.run(x[:1])  # warm up (first call for a size allocates)
        window = []

        def worker():
            t0 = time.perf_counter()
            m.run(x)
            window.append((t0, time.perf_counter()))

        thread = threading.Thread(target=worker)
        stamps = []
        thread.start()
        while thread.is_alive():
            stamps.append(time.perf_counter())
        thread.join()
        t0, t1 = window[0]
        during = sum(1 for t in stamps if t0 < t < t1)
        if t1 - t0 < 0.02:
            pytest.skip(f"the run took only {t1 - t0:.3f} s, too short to observe")
        # With the GIL held for the whole call this would be (almost) 0.
        assert during > 100, f"{during} iterations in {t1 - t0:.3f} s"
