#!/usr/bin/env python3
"""Reproducer: loading time grows quadratically with the number of keys in a
JSON object of the safetensors header, so a small file can occupy a loading
thread for minutes to hours (denial of service for anything that loads
untrusted models; the 64 MiB header limit allows ~6 million keys).

    tests/fuzz/repro/json_duplicate_keys_quadratic.py [path/to/libmobilenet.so]

Cause: JSONParser.parseObject (Sources/Core/MobileNet/Weights/JSON.swift)
checks each new key against all earlier ones with members.contains(where:),
O(n^2) string comparisons per object. The keys here are all distinct, so the
file is rejected only after the whole object is parsed (then, at once, for
"tensor 'k0' is described by a number"). Fix: keep a Set<String> of the keys seen (O(n) total).
Prints the time per size; exit status 1 if 4x the keys costs more than 8x
the time (quadratic), 0 if roughly linear.
"""
import ctypes
import os
import struct
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
lib_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "libmobilenet.so")
lib = ctypes.CDLL(lib_path)
lib.mobilenet_last_error.restype = ctypes.c_char_p


def load_seconds(n):
    header = ("{" + ",".join(f'"k{i}":0' for i in range(n)) + "}").encode()
    blob = struct.pack("<Q", len(header)) + header
    model = ctypes.c_void_p()
    start = time.perf_counter()
    status = lib.mobilenet_model_load_memory(blob, len(blob), None, ctypes.byref(model))
    elapsed = time.perf_counter() - start
    print(f"{n:7d} keys, {len(blob):8d} bytes: status {status} in {elapsed:7.3f} s "
          f"({lib.mobilenet_last_error().decode()[:70]})", flush=True)
    return elapsed


small = load_seconds(8000)
large = load_seconds(32000)
print(f"4x the keys took {large / small:.1f}x the time; extrapolated to a 64 MiB header "
      f"(~6.7M keys): {large * (6.7e6 / 32000) ** 2 / 3600:.0f} hours")
sys.exit(1 if large > 8 * small else 0)
