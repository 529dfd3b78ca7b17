#!/usr/bin/env python3
"""Training throughput: images/s of one full training step of MobileNet v1.

Run through `bench/run.sh --train` (it sets up bench/.venv); see bench/README.md.

One step = forward, mean softmax cross-entropy, backward, TF-Slim's weight
decay (4e-5 x l2_loss of the regular and pointwise convolution kernels and the
classifier's, not of the depthwise ones), one RMSProp update (decay 0.9,
momentum 0.9, epsilon 1.0, learning rate 0.01) and BatchNorm in training mode
(batch statistics; moving statistics updated). MobileNet v1 1.0/224, 1001
classes, random weights, random NHWC float32 inputs and random labels from a
fixed seed. Engines:

  libmobilenet  mobilenet.Trainer (bindings/python) over mobilenet_trainer_new /
                mobilenet_trainer_step; "not available" until both exist
  tensorflow    Keras MobileNet(alpha=1.0, weights=None, classes=1001) in a
                tf.function (jit_compile off; --tf-xla adds a jit_compile=True
                row), TF1's fused RMSProp kernel (ResourceApplyRMSProp, as
                tf.compat.v1.train.RMSPropOptimizer: the TF-Slim optimizer)
  pytorch       a hand-written MobileNet v1 (TF "SAME" padding, BatchNorm eps
                1e-3, ReLU6), torch.optim.RMSprop(alpha=0.9, momentum=0.9,
                eps=1.0): torch adds eps outside the square root (TF1 inside)

Each engine runs in its own process (train.py --worker ...), as bench.py's
workers do: started one at a time (import, model, --warmup steps), then the
engines take turns round-robin, each turn one untimed step and --steps timed
ones; median over all timed steps. Writes bench/results-train.md.
"""

import argparse
import datetime
import json
import os
import platform
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

ENGINES = ["libmobilenet", "tensorflow", "pytorch"]
ALIASES = {"ours": "libmobilenet", "mobilenet": "libmobilenet", "tf": "tensorflow",
           "torch": "pytorch"}
# --tf-xla adds this engine: the same TensorFlow step with jit_compile=True
XLA = "tensorflow-xla"

VARIANT, ALPHA, SIZE, CLASSES = "separable", 1.0, 224, 1001
LEARNING_RATE, DECAY, MOMENTUM, EPSILON, WEIGHT_DECAY = 0.01, 0.9, 0.9, 1.0, 4e-5
BN_EPSILON, BN_DECAY = 1e-3, 0.9997  # mobilenet_v1_arg_scope's
INIT_STDDEV = 0.09                    # TF-Slim's truncated normal for new layers


def canonical(name):
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    if name not in ENGINES + [XLA]:
        raise ValueError(f"unknown engine {name!r} (known: {', '.join(ENGINES)}, {XLA})")
    return name


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def memory_kib():
    """(VmHWM, VmRSS) of this process in KiB. VmHWM is the peak RSS of this
    process image only: unlike ru_maxrss it is not carried over from the
    parent across fork and exec."""
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    if "VmHWM" not in out:
        import resource
        out["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out.get("VmHWM"), out.get("VmRSS")


# ================================================================== engines
# Each make_* returns (step, info): step() runs one training step on the
# batch given and returns the loss as a Python float (so the step has ended);
# info = {"version", "settings", "notes"}.

class Unavailable(Exception):
    """The engine cannot run here (not installed, API missing): not an error."""


def make_libmobilenet(threads, x, labels, seed):
    import ctypes
    lib_path = os.environ.get("BENCH_LIB") or os.path.join(ROOT, ".build", "release",
                                                            "libmobilenet.so")
    if not os.path.exists(lib_path):
        raise Unavailable(f"no {os.path.relpath(lib_path, ROOT)} (make lib)")
    try:
        raw = ctypes.CDLL(lib_path)
    except OSError as e:
        raise Unavailable(f"{lib_path} does not open: {e}") from None
    for symbol in ("mobilenet_trainer_new", "mobilenet_trainer_step"):
        if not hasattr(raw, symbol):
            raise Unavailable(f"the library lacks {symbol} (built before the training API)")
    os.environ["MOBILENET_LIBRARY"] = lib_path
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
    try:
        import mobilenet
    except ImportError as e:
        raise Unavailable(f"bindings/python/mobilenet does not import: {e}") from None
    if not hasattr(mobilenet, "Trainer"):
        raise Unavailable("the Python binding has no mobilenet.Trainer yet")
    try:
        trainer = mobilenet.Trainer.new(variant=VARIANT, width_multiplier=ALPHA,
                                        resolution=SIZE, num_classes=CLASSES,
                                        threads=threads, seed=seed)
    except OSError as e:  # LibraryNotFoundError: a binding newer than the library
        raise Unavailable(f"the binding does not open the library: {e}") from None
    labels = labels.astype("int32")

    def step():
        return float(trainer.step(x, labels))

    info = {"version": mobilenet.version(),
            "settings": f"mobilenet.Trainer.new(threads=T, seed={seed}): TF-Slim "
                        "defaults (RMSProp 0.9/0.9/1.0, lr 0.01, weight decay 4e-5, "
                        "BatchNorm TRAIN, decay 0.9997)",
            "notes": []}
    return step, info


def make_tensorflow(threads, x, labels, seed, jit=False):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
        import keras
    except ImportError as e:
        raise Unavailable(f"tensorflow does not import: {e}") from None
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(seed)
    model = keras.applications.MobileNet(input_shape=(SIZE, SIZE, 3), alpha=ALPHA,
                                         weights=None, classes=CLASSES,
                                         classifier_activation=None, dropout=0.0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = BN_DECAY  # Keras' default is 0.99; epsilon is 1e-3 already
    tvars = model.trainable_variables
    # TF-Slim regularizes conv2d weights (the first conv, pointwise, logits);
    # separable_conv2d's depthwise weights only with regularize_depthwise
    decayed = [layer.kernel for layer in model.layers
               if type(layer) is keras.layers.Conv2D]
    # TF1's RMSPropOptimizer: ms slots start at 1, momentum slots at 0, and one
    # fused kernel per variable: mom = m*mom + lr*g/sqrt(ms + eps); w -= mom
    ms = [tf.Variable(tf.ones(v.shape, tf.float32), trainable=False) for v in tvars]
    mom = [tf.Variable(tf.zeros(v.shape, tf.float32), trainable=False) for v in tvars]
    handles = [v.value.handle for v in tvars]

    @tf.function(jit_compile=jit)
    def train_step(images, y):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                               logits=logits))
            loss = ce + WEIGHT_DECAY * tf.add_n([tf.nn.l2_loss(w) for w in decayed])
        grads = tape.gradient(loss, tvars)
        for h, s, m, g in zip(handles, ms, mom, grads):
            tf.raw_ops.ResourceApplyRMSProp(var=h, ms=s.handle, mom=m.handle,
                                            lr=LEARNING_RATE, rho=DECAY, momentum=MOMENTUM,
                                            epsilon=EPSILON, grad=g)
        return ce

    images = tf.constant(x)
    y = tf.constant(labels.astype("int32"))

    def step():
        return float(train_step(images, y).numpy())

    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    info = {"version": f"{tf.__version__} (Keras {keras.__version__})",
            "settings": f"intra_op T, inter_op 1; jit_compile={jit}; "
                        f"TF_ENABLE_ONEDNN_OPTS={onednn if onednn is not None else 'unset (on)'}; "
                        "BatchNorm momentum 0.9997, eps 1e-3; ResourceApplyRMSProp",
            "notes": []}
    return step, info


def make_pytorch(threads, x, labels, seed, channels_last=False):
    try:
        import torch
    except ImportError as e:
        raise Unavailable(f"torch does not import: {e}") from None
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(seed)

    class ConvBN(nn.Module):
        """conv (no bias) -> BatchNorm -> ReLU6, TF "SAME" padding: for stride 2
        on an even size, one row/column after and none before."""

        def __init__(self, cin, cout, k, stride, groups=1):
            super().__init__()
            self.k, self.stride = k, stride
            self.conv = nn.Conv2d(cin, cout, k, stride, padding=0, groups=groups, bias=False)
            self.bn = nn.BatchNorm2d(cout, eps=BN_EPSILON, momentum=1 - BN_DECAY)
            nn.init.trunc_normal_(self.conv.weight, std=INIT_STDDEV, a=-2 * INIT_STDDEV,
                                  b=2 * INIT_STDDEV)

        def forward(self, t):
            if self.k > 1:
                pads = []
                for n in (t.shape[3], t.shape[2]):  # F.pad order: W then H
                    out = -(-n // self.stride)
                    total = max((out - 1) * self.stride + self.k - n, 0)
                    pads += [total // 2, total - total // 2]
                t = F.pad(t, pads)
            return F.relu6(self.bn(self.conv(t)))

    class MobileNetV1(nn.Module):
        LAYERS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + \
                 [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

        def __init__(self, classes):
            super().__init__()
            blocks = [ConvBN(3, 32, 3, 2)]
            cin = 32
            for cout, stride in self.LAYERS:
                blocks += [ConvBN(cin, cin, 3, stride, groups=cin), ConvBN(cin, cout, 1, 1)]
                cin = cout
            self.features = nn.Sequential(*blocks)
            self.logits = nn.Conv2d(cin, classes, 1, bias=True)
            nn.init.trunc_normal_(self.logits.weight, std=INIT_STDDEV, a=-2 * INIT_STDDEV,
                                  b=2 * INIT_STDDEV)
            nn.init.zeros_(self.logits.bias)

        def forward(self, t):
            t = self.features(t)
            t = t.mean((2, 3), keepdim=True)
            return self.logits(t).flatten(1)

    model = MobileNetV1(CLASSES)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt).train()
    # weight decay as TF-Slim: grad += 4e-5 * w (the gradient of 4e-5 * l2_loss)
    # on the regular and pointwise kernels and the classifier's, not depthwise
    decayed, rest = [], []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            (decayed if module.groups == 1 else rest).append(module.weight)
            if module.bias is not None:
                rest.append(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            rest += [module.weight, module.bias]
    assert len(decayed) + len(rest) == len(list(model.parameters()))
    opt = torch.optim.RMSprop([{"params": decayed, "weight_decay": WEIGHT_DECAY},
                               {"params": rest, "weight_decay": 0.0}],
                              lr=LEARNING_RATE, alpha=DECAY, eps=EPSILON, momentum=MOMENTUM)
    nhwc = torch.from_numpy(x)
    y = torch.from_numpy(labels.astype("int64"))

    def step():
        # the NHWC batch handed over, as to the other engines
        images = nhwc.permute(0, 3, 1, 2).contiguous(memory_format=fmt)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), y)
        loss.backward()
        opt.step()
        return float(loss.item())

    info = {"version": torch.__version__,
            "settings": "set_num_threads(T), interop 1; "
                        f"{'channels_last' if channels_last else 'NCHW contiguous'}; "
                        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, "
                        f"mkldnn {'on' if torch.backends.mkldnn.is_available() else 'off'}; "
                        "RMSprop(alpha 0.9, momentum 0.9, eps 1.0) default implementation",
            "notes": []}
    return step, info


def worker(args):
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # library chatter to stderr; stdout is the protocol
    import numpy as np
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-1, 1, (args.batch, SIZE, SIZE, 3)).astype(np.float32)
    labels = rng.integers(0, CLASSES, args.batch)
    try:
        if args.worker == "libmobilenet":
            step, info = make_libmobilenet(args.threads, x, labels, args.seed)
        elif args.worker in ("tensorflow", XLA):
            step, info = make_tensorflow(args.threads, x, labels, args.seed,
                                         jit=args.worker == XLA)
        elif args.worker == "pytorch":
            step, info = make_pytorch(args.threads, x, labels, args.seed,
                                      channels_last=args.torch_channels_last)
        else:
            raise SystemExit(f"unknown engine {args.worker}")
    except Unavailable as e:
        reply.write("unavailable " + json.dumps(str(e)) + "\n")
        return
    hwm_built, _ = memory_kib()
    clock = time.perf_counter
    t0 = clock()
    losses = [step() for _ in range(args.warmup)]
    info["first_steps_s"] = clock() - t0
    info["losses"] = losses
    info["rss_built_kib"] = hwm_built
    reply.write("ready " + json.dumps(info) + "\n")
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        if cmd[0] == "time":
            warmup, runs = int(cmd[1]), int(cmd[2])
            losses = [step() for _ in range(warmup)]
            times = []
            for _ in range(runs):
                t0 = clock()
                losses.append(step())
                times.append(clock() - t0)
            hwm, rss = memory_kib()
            reply.write(json.dumps({"times": times, "losses": losses, "hwm_kib": hwm,
                                    "rss_kib": rss}) + "\n")
        else:
            reply.write("error unknown command\n")


# ================================================================== orchestration

class Worker:
    def __init__(self, engine, threads, batch, args, env, errdir):
        self.engine = engine
        self.errpath = os.path.join(errdir, f"train-{engine}-{threads}-{batch}.err")
        self.err = open(self.errpath, "w")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine,
               "--threads", str(threads), "--batches", str(batch), "--warmup", str(args.warmup),
               "--seed", str(args.seed)]
        if args.torch_channels_last:
            cmd.append("--torch-channels-last")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, env=env, bufsize=1)

    def tail(self, n=3):
        try:
            with open(self.errpath) as f:
                lines = [line.strip() for line in f if line.strip()]
            return " | ".join(lines[-n:])[-500:]
        except OSError:
            return ""

    def readline(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"{self.engine} worker gave no answer (exit {self.proc.poll()}): "
                               f"{self.tail()}")
        return line.strip()

    def call(self, command, timeout):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.readline(timeout)

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=60)
        except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait()
        self.err.close()


HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_jiffies():
    """(busy, steal) CPU time of the whole machine so far, in clock ticks
    (/proc/stat: user + nice + system + irq + softirq; steal apart)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = v + [0] * (8 - len(v))
    return user + nice + system + irq + softirq, steal


def process_jiffies(pid):
    """utime + stime of a process (all its threads), in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None


def cpu_sample(pid):
    return machine_jiffies(), process_jiffies(pid), process_jiffies(os.getpid())


def others_cpu(before, after, wall):
    """(cores, steal cores) the rest of the machine used during a turn: the
    machine's busy time less the worker's and this process's, and the
    hypervisor's steal time. None where /proc is not readable."""
    (m0, w0, s0), (m1, w1, s1) = before, after
    if None in (m0, w0, s0, m1, w1, s1) or wall <= 0:
        return None
    busy = (m1[0] - m0[0]) - (w1 - w0) - (s1 - s0)
    return max(busy, 0) / HZ / wall, (m1[1] - m0[1]) / HZ / wall


def run(args):
    import tempfile
    import numpy as np
    sys.path.insert(0, HERE)
    import bench  # the machine description helpers

    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = bench.loadavg()
    log(f"train: {bench.cpu_description()}")
    log(f"train: load average {load_start}")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", TF_CPP_MIN_LOG_LEVEL="2")
    results, infos, unavailable, failed = {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        if "libmobilenet" in args.engines and os.path.exists(args.lib):
            # a private copy: the tree's library may be rebuilt while we measure
            import shutil
            env["BENCH_LIB"] = os.path.join(tmp, "libmobilenet.so")
            shutil.copy2(args.lib, env["BENCH_LIB"])
        else:
            env["BENCH_LIB"] = args.lib
        for threads in args.threads:
            for batch in args.batches:
                workers = {}
                for e in args.engines:
                    if e in unavailable or e in failed:
                        continue
                    log(f"train: {e}, {threads} thread(s), batch {batch}: starting "
                        f"(import, model, {args.warmup} warm-up steps)")
                    w = Worker(e, threads, batch, args, env, tmp)
                    try:
                        line = w.readline(args.timeout)
                        if line.startswith("unavailable "):
                            unavailable[e] = json.loads(line[len("unavailable "):])
                            log(f"train: {e}: not available: {unavailable[e]}")
                            w.close()
                            continue
                        if not line.startswith("ready "):
                            raise RuntimeError(f"unexpected {line[:200]!r}")
                        info = json.loads(line[6:])
                        infos.setdefault(e, info)
                        results[(threads, batch, e)] = {"times": [], "losses": list(info["losses"]),
                                                        "others": [], "first": info["first_steps_s"],
                                                        "hwm": info["rss_built_kib"],
                                                        "built": info["rss_built_kib"]}
                        workers[e] = w
                    except Exception as err:  # noqa: BLE001 -- reported, the others go on
                        failed[e] = f"{threads} thread(s), batch {batch}: {err}"
                        log(f"train: {e} failed: {err}")
                        w.close()
                order = list(workers)
                for r in range(args.rounds):
                    for i in range(len(order)):
                        e = order[(i + r) % len(order)]
                        w, res = workers[e], results[(threads, batch, e)]
                        time.sleep(args.pause)
                        before, t0 = cpu_sample(w.proc.pid), time.monotonic()
                        try:
                            out = json.loads(w.call(f"time 1 {args.steps}", args.timeout))
                            others = others_cpu(before, cpu_sample(w.proc.pid),
                                                time.monotonic() - t0)
                            if others:
                                res["others"].append(others)
                        except Exception as err:  # noqa: BLE001
                            failed[e] = f"{threads} thread(s), batch {batch}: {err}"
                            log(f"train: {e} failed: {err}")
                            del workers[e]
                            order.remove(e)
                            w.close()
                            break
                        res["times"] += out["times"]
                        res["losses"] += out["losses"]
                        res["hwm"] = out["hwm_kib"]
                        med = float(np.median(out["times"]))
                        busy = (f"; others used {others[0]:.2f} cores, steal {others[1]:.2f}"
                                if others else "")
                        log(f"train: {threads}t b{batch} {e} round {r + 1}: median "
                            f"{med:.3f} s/step = {batch / med:.2f} img/s, loss "
                            f"{out['losses'][-1]:.3f}, peak RSS {out['hwm_kib'] / 1024:.0f} MiB"
                            f"{busy}; load {bench.loadavg()}")
                for w in workers.values():
                    w.close()
    finished = datetime.datetime.now(datetime.timezone.utc)
    text = render(args, bench, started, finished, load_start, bench.loadavg(), results, infos,
                  unavailable, failed)
    print(text)
    if args.output != "-":
        with open(args.output, "w") as f:
            f.write(text + "\n")
        log(f"train: wrote {os.path.relpath(args.output)}")


def render(args, bench, started, finished, load_start, load_end, results, infos, unavailable,
           failed):
    import numpy as np
    L = ["# libmobilenet training benchmark", ""]
    invocation = " ".join(["bench/train.py"] + (args.argv or []))
    L.append(f"Generated by `{invocation}` on {started:%Y-%m-%d %H:%M} UTC "
             f"({(finished - started).total_seconds():.0f} s).")
    L.append("")
    L.append(f"- CPU: {bench.cpu_description()}")
    L.append(f"- Load average (1/5/15 min) at start: {load_start}; at end: {load_end} "
             "(the benchmark's own steps included). The machine is shared: `others' CPU` is "
             "what the rest of the machine used while the engine's steps ran (/proc/stat busy "
             "time less the worker's own, in cores, mean over its turns), then the "
             "hypervisor's steal time.")
    L.append(f"- git {bench.git_description()}; Python {platform.python_version()}, "
             f"numpy {np.__version__}")
    L.append(f"- Step: MobileNet v1 {ALPHA}/{SIZE}, {CLASSES} classes, random weights; forward, "
             "mean softmax cross-entropy, backward, weight decay 4e-5 (TF-Slim: l2_loss of the "
             "regular, pointwise and classifier kernels, not depthwise), RMSProp (decay 0.9, "
             "momentum 0.9, epsilon 1.0, lr 0.01), BatchNorm in training mode (batch "
             "statistics, moving averages updated). Inputs NHWC float32 uniform in [-1, 1] and "
             f"labels uniform in [0, {CLASSES}), seed {args.seed}, the same batch every step.")
    L.append(f"- Method: every engine and configuration in its own process, started one at a "
             f"time (import, model, {args.warmup} untimed warm-up steps), then {args.rounds} "
             f"round(s) round-robin (order rotated), each turn 1 untimed + {args.steps} timed "
             f"steps; median and min over all {args.rounds * args.steps} timed steps. "
             "A step is timed until its loss is back in Python.")
    L.append("- Peak RSS: VmHWM of the engine's process after its last step (the "
             "process's own high-water mark, not inherited from the parent), with the figure "
             "after import and model construction in brackets.")
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("`ours/peer` is libmobilenet's images/s over the peer's (above 1: libmobilenet "
             "trains faster); `vs TF` is the engine's images/s over TensorFlow's (jit off).")
    L.append("")
    L.append("| threads | batch | engine | median s/step | min s/step | images/s | ours/peer "
             "| vs TF | peak RSS MiB (built) | others' CPU, steal | loss first → last |")
    L.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for threads in args.threads:
        for batch in args.batches:
            def ips(e):
                r = results.get((threads, batch, e))
                return batch / float(np.median(r["times"])) if r and r["times"] else None
            ours, tf_ips = ips("libmobilenet"), ips("tensorflow")
            for e in args.engines:
                r = results.get((threads, batch, e))
                if not r or not r["times"]:
                    if e == "libmobilenet":
                        why = unavailable.get(e) or failed.get(e) or "not run"
                        L.append(f"| {threads} | {batch} | **libmobilenet** | not measured yet "
                                 f"({why}) | | | | | | | |")
                    continue
                med = float(np.median(r["times"]))
                v = batch / med
                ratio = "—" if e == "libmobilenet" else (f"{ours / v:.2f}" if ours else "n/a")
                vs_tf = "—" if e == "tensorflow" else (f"{v / tf_ips:.2f}" if tf_ips else "n/a")
                load = (f"{np.mean([o[0] for o in r['others']]):.2f}, "
                        f"{np.mean([o[1] for o in r['others']]):.2f}") if r["others"] else "n/a"
                losses = f"{r['losses'][0]:.3f} → {r['losses'][-1]:.3f} ({len(r['losses'])} steps)"
                name = f"**{e}**" if e == "libmobilenet" else e
                L.append(f"| {threads} | {batch} | {name} | {med:.3f} | {min(r['times']):.3f} | "
                         f"{v:.2f} | {ratio} | {vs_tf} | {r['hwm'] / 1024:.0f} "
                         f"({r['built'] / 1024:.0f}) | {load} | {losses} |")
    L.append("")
    L.append("## Engines")
    L.append("")
    L.append("T is the row's thread count.")
    L.append("")
    L.append("| engine | version | settings |")
    L.append("|---|---|---|")
    for e in args.engines:
        if e in infos:
            L.append(f"| {e} | {infos[e]['version']} | {infos[e]['settings']} |")
    L.append("")
    if unavailable or failed:
        L.append("## Not measured")
        L.append("")
        for e, why in list(unavailable.items()) + list(failed.items()):
            L.append(f"- {e}: {why}")
        L.append("")
    return "\n".join(L)


def int_list(s):
    return [int(x) for x in s.split(",") if x.strip()]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help=f"comma-separated (default: all): {', '.join(ENGINES)} "
                         "(aliases ours, tf, torch)")
    ap.add_argument("--tf-xla", action="store_true",
                    help=f"also time TensorFlow with jit_compile=True (row {XLA})")
    ap.add_argument("--threads", type=int_list, default=[1, 2], help="default 1,2")
    ap.add_argument("--batches", "--batch", type=int_list, default=[16, 32], help="default 16,32")
    ap.add_argument("--warmup", type=int, default=2,
                    help="untimed steps after the model is built (default 2)")
    ap.add_argument("--steps", type=int, default=5, help="timed steps per turn (default 5)")
    ap.add_argument("--rounds", type=int, default=2, help="round-robin rounds (default 2)")
    ap.add_argument("--pause", type=float, default=0.5,
                    help="seconds before each turn, so the last engine's threads go idle")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--torch-channels-last", action="store_true",
                    help="run PyTorch in channels_last memory format (default NCHW)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per worker answer")
    ap.add_argument("--lib", default=os.path.join(ROOT, ".build", "release", "libmobilenet.so"),
                    help="libmobilenet.so to measure (copied to a temporary directory first)")
    ap.add_argument("--output", default=os.path.join(HERE, "results-train.md"),
                    help="default bench/results-train.md; - for stdout only")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.argv = argv
    if args.worker:
        args.batch, args.threads = args.batches[0], args.threads[0]
        return worker(args)
    try:
        args.engines = [canonical(e) for e in args.engines.split(",") if e.strip()]
    except ValueError as e:
        ap.error(str(e))
    if args.tf_xla and XLA not in args.engines:
        args.engines.append(XLA)
    if not args.threads or min(args.threads) < 1 or not args.batches or min(args.batches) < 1:
        ap.error("--threads and --batches need positive integers")
    if args.rounds < 1 or args.steps < 1 or args.warmup < 0:
        ap.error("--rounds and --steps must be >= 1, --warmup >= 0")
    run(args)


if __name__ == "__main__":
    main()
