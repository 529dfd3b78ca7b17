"""fork(): a process that used multi-threaded models starts children with
multiprocessing's fork, forkserver and spawn methods; every child runs,
frees and loads models at 1, 2 and 4 threads and gets the parent's logits.

With fork, the child also runs and closes the models it inherited, and half
of the children are forked while another thread of the parent keeps a
model running (the library's atfork handlers must wait for that run, and the
inherited pools must run inline: before them, some children hung in the
thread pool and children closing a 4-thread model died of SIGSEGV). A child
that hangs is a failure after a timeout, not a hung test run."""

import multiprocessing
import threading

import numpy as np
import pytest

import mobilenet

TIMEOUT = 60  # seconds for one child; a healthy one takes 1-3 s (spawn imports numpy)
SIZE = 32

# Set in the parent before forking: fork children inherit them.
_inherited = {}


def _input():
    return np.random.default_rng(5).uniform(-1, 1, (1, SIZE, SIZE, 3)).astype(np.float32)


def _child(path, queue):
    """Runs in the child: the inherited models (fork only), then fresh ones."""
    try:
        x = _input()
        results = {}
        for threads, model in sorted(_inherited.items()):
            results[f"inherited {threads}"] = model.run(x).tolist()
            model.close()
        for threads in (1, 2, 4):
            with mobilenet.load(path, threads=threads) as model:
                results[f"fresh {threads}"] = model.run(x).tolist()
        queue.put(("ok", results))
    except BaseException as error:  # reported to the parent
        queue.put(("error", repr(error)))


def _start_children(method, path, count):
    context = multiprocessing.get_context(method)
    queue = context.Queue()
    children = [context.Process(target=_child, args=(str(path), queue)) for _ in range(count)]
    for child in children:
        child.start()
    return context, queue, children


def _collect(queue, children):
    outcomes = []
    for _ in children:
        try:
            outcomes.append(queue.get(timeout=TIMEOUT))
        except Exception:  # queue.Empty: a child hung or died before reporting
            outcomes.append(("no result", None))
    for child in children:
        child.join(TIMEOUT)
        if child.is_alive():
            child.kill()
            child.join()
    codes = [child.exitcode for child in children]
    return outcomes, codes


@pytest.fixture(scope="module")
def small_model(random_model):
    return random_model(alpha=0.25, resolution=SIZE, num_classes=10, seed=21)


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_children_run_free_and_load(method, small_model):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"start method {method} not available here")
    x = _input()
    models = {threads: mobilenet.load(small_model, threads=threads) for threads in (2, 4)}
    reference = models[2].run(x)
    assert np.array_equal(models[4].run(x), reference)
    _inherited.clear()
    if method == "fork":
        _inherited.update(models)
    stop = threading.Event()
    runs = [0]

    def keep_running():
        while not stop.is_set():
            models[2].run(x)
            models[4].run(x)
            runs[0] += 1

    count = 8
    try:
        # Half the children start while a parent thread runs the models.
        _, queue, quiet = _start_children(method, small_model, count // 2)
        outcomes, codes = _collect(queue, quiet)
        runner = threading.Thread(target=keep_running)
        runner.start()
        try:
            _, queue, busy = _start_children(method, small_model, count // 2)
            more, more_codes = _collect(queue, busy)
        finally:
            stop.set()
            runner.join(TIMEOUT)
        outcomes += more
        codes += more_codes
    finally:
        _inherited.clear()
    assert codes == [0] * count, f"child exit codes {codes} (negative: killed by that signal)"
    assert [status for status, _ in outcomes] == ["ok"] * count, outcomes
    expected_keys = {"fresh 1", "fresh 2", "fresh 4"} | (
        {"inherited 2", "inherited 4"} if method == "fork" else set())
    for _, results in outcomes:
        assert set(results) == expected_keys
        for key, logits in results.items():
            assert np.array_equal(np.asarray(logits, dtype=np.float32), reference), key
    # The parent's models are unaffected by the children.
    for model in models.values():
        assert np.array_equal(model.run(x), reference)
        model.close()
