"""Whatever the caller passes, the process does not crash: damaged model
files and junk arguments end in mobilenet.Error, TypeError or ValueError.
Run in a child process, so that a crash fails the test instead of pytest."""

import os
import subprocess
import sys
import textwrap

import mobilenet

CHILD = textwrap.dedent(r"""
    import sys
    import numpy as np
    import mobilenet

    path = sys.argv[1]
    data = open(path, "rb").read()
    rng = np.random.default_rng(2024)
    (header_len,) = np.frombuffer(data[:8], "<u8")
    header_end = 8 + int(header_len)
    outcomes = {}

    def attempt(blob):
        try:
            with mobilenet.load_bytes(blob, threads=1) as m:
                m.run(np.zeros((1, 16, 16, 3), np.float32))
                m.classify(np.zeros((5, 7, 3), np.uint8), top_k=1)
            kind = "loaded"
        except mobilenet.Error as e:
            kind = e.status.name
        except (TypeError, ValueError) as e:
            kind = type(e).__name__
        outcomes[kind] = outcomes.get(kind, 0) + 1

    for size in sorted(set(rng.integers(1, len(data), 60).tolist()) | {1, 7, 8, 9, header_end - 1, header_end}):
        attempt(data[:size])
    for _ in range(150):  # bytes of the header
        blob = bytearray(data)
        for i in rng.integers(0, header_end, rng.integers(1, 4)):
            blob[i] = int(rng.integers(0, 256))
        attempt(bytes(blob))
    for _ in range(40):   # bytes of the tensor data (may give NaN/inf)
        blob = bytearray(data)
        i = int(rng.integers(header_end, len(data)))
        blob[i] = 0xFF
        attempt(bytes(blob))
    attempt(data + b"\0" * 13)          # trailing bytes
    attempt(b"\xff" * 8 + data[8:])     # huge header length

    junk = [None, 0, -1, 2**70, 1.5, float("nan"), "x", b"x", [], {}, object(),
            np.zeros(0, np.float32), np.zeros((1, 1, 1, 3), np.float64),
            np.zeros((1, 2, 2, 3), np.float32)[:, ::-1], np.zeros((2, 2, 3), np.uint8)[:, ::-1]]
    with mobilenet.load(path, threads=1) as m:
        for value in junk:
            for call in (lambda: m.run(value), lambda: m.classify(value),
                         lambda: m.classify(np.zeros((4, 4, 3), np.uint8), top_k=value),
                         lambda: mobilenet.describe(value), lambda: mobilenet.describe("separable", value),
                         lambda: mobilenet.describe("separable", 1.0, value),
                         lambda: mobilenet.describe("separable", 1.0, 224, value),
                         lambda: mobilenet.load(path, threads=value),
                         lambda: mobilenet.load(path, crop_fraction=value),
                         lambda: mobilenet.load_bytes(value)):
                try:
                    call()
                except (mobilenet.Error, TypeError, ValueError, OSError) as e:
                    outcomes["junk " + type(e).__name__] = outcomes.get("junk " + type(e).__name__, 0) + 1
    print(sorted(outcomes.items()))
""")


def test_damaged_files_and_junk_arguments_do_not_crash(random_model):
    path = random_model("separable", 0.25, 32, 6, labels=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(mobilenet.__file__)) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "FORMAT" in result.stdout, result.stdout
    print(result.stdout)
