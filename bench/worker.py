#!/usr/bin/env python3
"""One engine, one thread count, one batch size, in a process of its own.

bench.py starts one worker per engine and configuration and drives them in
turn (round-robin), so that each engine's thread pool lives in its own
process and an idle engine only waits on its stdin. Protocol, one line each
way (the worker's stdout is reserved for replies; anything the libraries
print goes to stderr):

  -> ready {"engine", "version", "tier", "precision", "notes"}   after the model is loaded
  <- check IN.npy OUT.npy    run IN (float32 [batch, H, W, 3]), save logits
  -> ok
  <- time WARMUP RUNS        WARMUP untimed runs, then RUNS timed ones
  -> [seconds, ...]
  <- quit

With --once the worker loads, runs one batch and exits (bench.py reads the
child's peak RSS with wait4).
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--artifact")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--once", action="store_true")
    args = ap.parse_args(argv)

    # keep the protocol channel clean of library chatter
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    import numpy as np
    sys.path.insert(0, HERE)
    import engines

    engine = engines.make(args.engine, args.model, args.artifact, args.threads,
                          args.batch, args.size)
    engine.load()
    x = np.random.default_rng(0).uniform(-1, 1, (args.batch, args.size, args.size, 3)) \
        .astype(np.float32)
    if args.once:
        engine.run(x)
        return
    reply.write("ready " + json.dumps({"engine": engine.name, "version": engine.version(),
                                       "tier": engine.tier(), "precision": engine.precision(),
                                       "notes": engine.notes}) + "\n")
    clock = time.perf_counter
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        if cmd[0] == "check":
            logits = engine.run(np.ascontiguousarray(np.load(cmd[1]), dtype=np.float32))
            np.save(cmd[2], np.asarray(logits, np.float32).reshape(args.batch, -1))
            reply.write("ok\n")
        elif cmd[0] == "time":
            warmup, runs = int(cmd[1]), int(cmd[2])
            for _ in range(warmup):
                engine.run(x)
            times = []
            for _ in range(runs):
                t0 = clock()
                engine.run(x)
                times.append(clock() - t0)
            reply.write(json.dumps(times) + "\n")
        else:
            reply.write("error unknown command\n")


if __name__ == "__main__":
    main()
