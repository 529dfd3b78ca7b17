#!/usr/bin/env python3
"""int8 inference side by side on ONE .tflite file: libmobilenet (loading the
file itself) against LiteRT/XNNPACK's int8, with libmobilenet's float32
bundled model as the baseline, at 1 and 2 threads, batch 1 and 8.

Why a separate script: bench/bench.py converts the safetensors model for each
peer; here every engine must run the same quantized file. Each figure is the
median of 3 interleaved rounds of the median of 15 runs (after 2 warm-ups).
The file's RESHAPE fixes batch 1 (XNNPACK refuses to resize it), so LiteRT's
batch of 8 is 8 invokes.

Usage: python3 bench/int8.py [FILE]   (MOBILENET_LIBRARY: the libmobilenet.so
to use; needs ai-edge-litert and numpy). Prints Markdown rows.
Default FILE: tests/fixtures/tflite/mobilenet_v1_1.0_224_int8.tflite.
"""
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
import mobilenet  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

FILE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "tests", "fixtures", "tflite", "mobilenet_v1_1.0_224_int8.tflite")


def cpu():
    fields = {}
    for line in open("/proc/cpuinfo"):
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = [f for f in fields.get("flags", "").split() if f.startswith(("avx", "fma", "vnni"))]
    return (f"{fields.get('model name')} (family {fields.get('cpu family')} model {fields.get('model')}), "
            f"flags: {' '.join(flags)}")


def median_ms(f, runs=15):
    f()
    f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main():
    print(f"CPU: {cpu()}; load average {os.getloadavg()[0]:.2f}")
    print(f"file: {os.path.relpath(FILE)}")
    print("\n| threads, batch | libmobilenet int8 | LiteRT int8 (XNNPACK) | libmobilenet float32 | "
          "LiteRT / ours | our fp32 / int8 |\n|---|---:|---:|---:|---:|---:|")
    for threads in (1, 2):
        int8 = mobilenet.Model(FILE, threads=threads)
        float32 = mobilenet.Model(threads=threads)
        assert int8.precision == "int8", int8.precision
        for batch in (1, 8):
            x = np.random.default_rng(0).uniform(-1, 1, (batch, 224, 224, 3)).astype(np.float32)
            interpreter = Interpreter(model_path=FILE, num_threads=threads)
            interpreter.allocate_tensors()
            index = interpreter.get_input_details()[0]["index"]

            def litert():
                for i in range(batch):
                    interpreter.set_tensor(index, x[i:i + 1])
                    interpreter.invoke()
            samples = {}
            for _ in range(3):
                for name, f in (("ours", lambda: int8.run(x)), ("fp32", lambda: float32.run(x)), ("litert", litert)):
                    samples.setdefault(name, []).append(median_ms(f))
            m = {k: statistics.median(v) for k, v in samples.items()}
            print(f"| {threads}, {batch} | {m['ours']:.2f} ms | {m['litert']:.2f} ms | {m['fp32']:.2f} ms | "
                  f"{m['litert'] / m['ours']:.2f}x | {m['fp32'] / m['ours']:.2f}x |", flush=True)
    print(f"\nlibmobilenet tier: {int8.isa}, precision {int8.precision}; libmobilenet {mobilenet.version()}")


if __name__ == "__main__":
    main()
