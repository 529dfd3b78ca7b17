#!/usr/bin/env python3
"""libmobilenet against other CPU inference engines, on this machine.

Run through bench/run.sh (it sets up bench/.venv); see bench/README.md.

Modes:
  (default)   libmobilenet (C ABI via ctypes), ONNX Runtime, LiteRT + XNNPACK,
              OpenVINO and ncnn on the bundled model, interleaved, at each
              thread count and batch size; logits checked against ours;
              FMA peak and peak RSS measured; -> bench/results.md
  --profile   per-layer profile of libmobilenet (mobilenet-cli profile --json)
              -> bench/profile.md
  --configs   libmobilenet on the 16 (alpha, resolution) pairs of the paper's
              Tables 6 and 7, random weights -> bench/configs.md
  --int8 [F]   libmobilenet, LiteRT + XNNPACK and OpenVINO on one int8 .tflite
              file F (default tests/fixtures/tflite/mobilenet_v1_1.0_224_int8.tflite),
              plus libmobilenet's float32 row; top-1 checked, logits compared
              in output quantization steps -> bench/results-int8.md
  --max-isa T caps the instruction set: MOBILENET_MAX_ISA=T for libmobilenet,
              ONEDNN_MAX_CPU_ISA for OpenVINO (ONNX Runtime, LiteRT and ncnn
              have no such switch); writes bench/results-T.md (profile-T.md,
              configs-T.md) instead
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import select
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import engines  # noqa: E402
import mobilenet_ctypes  # noqa: E402

BUNDLED = os.path.join(ROOT, "models", "mobilenet_v1_1.0_224.safetensors")
INT8_DEFAULT = os.path.join(ROOT, "tests", "fixtures", "tflite", "mobilenet_v1_1.0_224_int8.tflite")
# --int8: the engines that cannot run the .tflite file itself, and why
INT8_SKIP = {
    "onnxruntime": "no ONNX of the same quantized model: ONNX Runtime cannot read a .tflite, "
                   "and no TFLite-to-ONNX converter (tf2onnx) is installed; a QDQ graph rebuilt "
                   "by hand would be another model, with its own requantization",
    "ncnn": "ncnn cannot read a .tflite, and its int8 path needs its own calibration "
            "(ncnn2int8): another model",
}
CACHE = os.path.join(HERE, "cache")
TOLERANCE = 1e-3
ALPHAS = [1.0, 0.75, 0.5, 0.25]
RESOLUTIONS = [224, 192, 160, 128]

# --max-isa: libmobilenet's MOBILENET_MAX_ISA value -> oneDNN's ONEDNN_MAX_CPU_ISA
ONEDNN_ISA = {"generic": "SSE41", "avx2": "AVX2", "avx512": "AVX512_CORE_VNNI"}
# the environment variable that caps each engine's kernels, where there is one
CAP_VARIABLE = {"libmobilenet": "MOBILENET_MAX_ISA", "openvino": "ONEDNN_MAX_CPU_ISA"}
CAP_VALUE = {"libmobilenet": lambda isa: isa, "openvino": lambda isa: ONEDNN_ISA[isa]}
NOT_CAPPABLE = {"onnxruntime": "MLAS", "litert": "XNNPACK", "ncnn": "ncnn"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rel(path):
    return os.path.relpath(path, ROOT)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sources_hash(paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:12]


# ------------------------------------------------------------------ machine

def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# (vendor, family, model) -> codename, for CPUs whose "model name" a hypervisor hides
CPU_CODENAMES = {
    ("GenuineIntel", "6", "85"): "Skylake-SP / Cascade Lake",
    ("GenuineIntel", "6", "106"): "Ice Lake-SP",
    ("GenuineIntel", "6", "143"): "Sapphire Rapids",
    ("GenuineIntel", "6", "207"): "Emerald Rapids",
    ("GenuineIntel", "6", "173"): "Granite Rapids",
    ("AuthenticAMD", "23", "49"): "Zen 2 (Rome)",
    ("AuthenticAMD", "25", "1"): "Zen 3 (Milan)",
    ("AuthenticAMD", "25", "17"): "Zen 4 (Genoa)",
}


def cpu_description():
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    k, v = (s.strip() for s in line.split(":", 1))
                    fields.setdefault(k, v)
    except OSError:
        return platform.processor() or "unknown CPU"
    flags = set(fields.get("flags", "").split())
    isa = "+".join(x.upper() for x in ("avx2", "fma") if x in flags)
    if "avx512f" in flags:
        sub = [label for flag, label in (("avx512f", "F"), ("avx512bw", "BW"), ("avx512dq", "DQ"),
                                         ("avx512vl", "VL"), ("avx512_vnni", "VNNI"),
                                         ("avx512_bf16", "BF16"), ("avx512_fp16", "FP16"))
               if flag in flags]
        isa += f"+AVX-512 {'/'.join(sub)}"
    if "amx_tile" in flags:
        isa += "+AMX"
    extra = []
    if "cpu family" in fields:
        family_model = (fields.get("vendor_id", ""), fields["cpu family"], fields["model"])
        name = CPU_CODENAMES.get(family_model)
        extra.append(f"family {fields['cpu family']}, model {fields['model']}" +
                     (f": {name}" if name else ""))
    extra.append(isa or "no AVX2")
    if "hypervisor" in flags:
        extra.append("virtual machine")
    return f"{fields.get('model name', 'unknown CPU')} ({', '.join(extra)}), {os.cpu_count()} online CPUs"


def loadavg():
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def git_description():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no",
                                "--", "Sources", "Package.swift", "include"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" with uncommitted changes to Sources/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def shared_object_name(path):
    """The SONAME of a shared library (readelf -d), or None."""
    try:
        out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        if "(SONAME)" in line and "[" in line:
            return line.rsplit("[", 1)[1].rstrip("]").strip()
    return None


def compile_c(tmp, source, out, flags):
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-O2", *flags[0], os.path.join(HERE, source), "-o", os.path.join(tmp, out), *flags[1]]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {run.stderr.strip()[-400:]}")
    return os.path.join(tmp, out)


PEAK_WIDTHS = {"avx2": (256, ["-mavx2", "-mfma"]), "avx512": (512, ["-mavx2", "-mfma", "-mavx512f"])}


def fma_peaks(tmp, thread_counts, seconds=0.5, repeats=3):
    """{"avx2": {threads: GFLOP/s}, "avx512": {...}}: bench/fma_peak.c compiled
    for 256-bit FMA and, when /proc/cpuinfo lists avx512f, for 512-bit FMA;
    the best of `repeats` runs at each thread count."""
    kinds = ["avx2"] + (["avx512"] if "avx512f" in cpu_flags() else [])
    peaks = {}
    for kind in kinds:
        exe = compile_c(tmp, "fma_peak.c", f"fma_peak_{kind}",
                        (PEAK_WIDTHS[kind][1] + ["-pthread"], []))
        peaks[kind] = {}
        for t in sorted(set(thread_counts)):
            best = 0.0
            for _ in range(repeats):
                out = subprocess.run([exe, str(t), str(seconds)], capture_output=True, text=True,
                                     check=True).stdout.split()
                best = max(best, float(out[1]))
            peaks[kind][t] = best
    return peaks


def merge_peaks(peaks, again):
    for kind, by_threads in again.items():
        for t, v in by_threads.items():
            peaks.setdefault(kind, {})[t] = max(peaks.get(kind, {}).get(t, 0.0), v)


def widest(peaks):
    """The widest measured FMA's {threads: GFLOP/s} ("% FMA peak" is against it)."""
    for kind in ("avx512", "avx2"):
        if peaks.get(kind):
            return kind, peaks[kind]
    return None, {}


def peaks_text(peaks, sep="; "):
    """"256-bit FMA peak (AVX2 FMA): ... ; 512-bit FMA peak (AVX-512F): ..."."""
    parts = []
    for kind in ("avx2", "avx512"):
        if peaks.get(kind):
            width = PEAK_WIDTHS[kind][0]
            label = "AVX2 FMA, ymm" if kind == "avx2" else "AVX-512F, zmm"
            parts.append(f"{width}-bit FMA peak ({label}): " +
                         ", ".join(f"{v:.1f} GFLOP/s at {t} thread(s)"
                                   for t, v in sorted(peaks[kind].items())))
    return sep.join(parts)


def peak_basis(peaks):
    kind, _ = widest(peaks)
    if kind is None:
        return ""
    return f"the {PEAK_WIDTHS[kind][0]}-bit FMA peak (the widest this machine measured)"


# ------------------------------------------------------------------ tiers

def engine_env(base, engine, max_isa):
    """The environment of one engine's workers: with --max-isa, the cap
    variable of engines that have one (MOBILENET_MAX_ISA, ONEDNN_MAX_CPU_ISA)."""
    env = dict(base)
    engine = "libmobilenet" if engine == engines.FP32 else engine
    if max_isa and engine in CAP_VARIABLE:
        env[CAP_VARIABLE[engine]] = CAP_VALUE[engine](max_isa)
    return env


def caps_text(args, engine_names):
    """Which engines --max-isa capped, and which it cannot; also caps set in
    the caller's environment."""
    if not args.max_isa:
        inherited = [f"{v}={os.environ[v]}" for v in ("MOBILENET_MAX_ISA", "ONEDNN_MAX_CPU_ISA",
                                                      "DNNL_MAX_CPU_ISA") if os.environ.get(v)]
        if inherited:
            return ("none from --max-isa, but the environment sets " + ", ".join(inherited) +
                    " (see each engine's tier)")
        return "none (every engine picks its best kernels for this CPU)"
    parts = []
    for e in engine_names:
        if e in CAP_VARIABLE:
            parts.append(f"{e} capped with {CAP_VARIABLE[e]}={CAP_VALUE[e](args.max_isa)}")
        elif e in NOT_CAPPABLE:
            parts.append(f"{e} not capped ({NOT_CAPPABLE[e]} has no such switch: "
                         "it runs its best kernels for this CPU)")
    return f"`--max-isa {args.max_isa}`: " + "; ".join(parts)


# ------------------------------------------------------------------ workers

class WorkerError(RuntimeError):
    pass


class Worker:
    """A bench/worker.py child: one engine, thread count and batch size."""

    def __init__(self, engine, model, artifact, threads, batch, size, env, tmp):
        self.engine, self.threads, self.batch = engine, threads, batch
        self.errpath = os.path.join(tmp, f"worker-{engine}-{threads}-{batch}-{id(self)}.err")
        self.err = open(self.errpath, "w")
        cmd = [sys.executable, os.path.join(HERE, "worker.py"), "--engine", engine,
               "--model", model, "--threads", str(threads), "--batch", str(batch),
               "--size", str(size)]
        if artifact:
            cmd += ["--artifact", artifact]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, env=env, bufsize=1)
        self.info = None

    def stderr_tail(self, n=2):
        try:
            with open(self.errpath) as f:
                lines = [line.strip() for line in f if line.strip()]
            return " | ".join(lines[-n:])
        except OSError:
            return ""

    def readline(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise WorkerError(f"{self.engine} worker gave no answer "
                              f"(exit {self.proc.poll()}): {self.stderr_tail()}")
        return line.strip()

    def wait_ready(self, timeout=300):
        line = self.readline(timeout)
        if not line.startswith("ready "):
            raise WorkerError(f"{self.engine} worker: unexpected {line[:200]!r}")
        self.info = json.loads(line[6:])
        return self.info

    def call(self, command, timeout=600):
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"{self.engine} worker died: {self.stderr_tail()}") from None
        return self.readline(timeout)

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
        except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def peak_rss_kib(launcher, cmd, env):
    """ru_maxrss (KiB) of a fresh process running cmd, through bench/maxrss.c
    (a child of Python would inherit Python's peak RSS); raises on failure."""
    run = subprocess.run([launcher, *cmd], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"exit {run.returncode}: {run.stderr.strip()[-300:]}")
    return int(run.stdout.split()[-1])


# ------------------------------------------------------------------ artifacts

def prepare_artifacts(model, size, needed, env):
    """{kind: path} for the conversions the requested engines need, cached in
    bench/cache/<model sha256>/; {kind: reason} for those that failed."""
    digest = sha256_file(model)
    directory = os.path.join(CACHE, digest[:16])
    os.makedirs(directory, exist_ok=True)
    key = sources_hash([os.path.join(ROOT, "tools", "reference_onnx.py"),
                        os.path.join(ROOT, "tools", "tf_from_safetensors.py")])
    manifest_path = os.path.join(directory, "manifest.json")
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        manifest = {}
    paths, failed = {}, {}
    ext = {"onnx": ".onnx", "tflite": ".tflite", "ncnn": ".ncnn"}
    for kind in sorted(needed):
        out = os.path.join(directory, f"mobilenet_{size}{ext[kind]}")
        entry = manifest.get(os.path.basename(out))
        if entry and entry.get("sources") == key and os.path.exists(out):
            paths[kind] = out
            continue
        missing = engines.missing_modules(engines.CONVERTER_MODULES[kind])
        if missing:
            failed[kind] = f"converter needs {', '.join(missing)} (not installed)"
            continue
        log(f"bench: converting {rel(model)} -> {rel(out)}")
        run = subprocess.run([sys.executable, os.path.join(HERE, "engines.py"), "convert", kind,
                              model, out, "--size", str(size)], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            tail = [line for line in run.stderr.strip().splitlines() if line.strip()][-3:]
            failed[kind] = f"conversion failed: {' | '.join(tail)}"
            continue
        info = json.loads(run.stdout.strip().splitlines()[-1])
        info.update(sources=key, model_sha256=digest)
        manifest[os.path.basename(out)] = info
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        paths[kind] = out
    return paths, failed, manifest, digest


def install_notes():
    """What bench/run.sh could not install: {pip name: reason}."""
    notes = {}
    path = os.path.join(HERE, ".venv", "bench-skipped.txt")
    try:
        with open(path) as f:
            for line in f:
                if "\t" in line:
                    name, reason = line.rstrip("\n").split("\t", 1)
                    notes[name] = reason
    except OSError:
        pass
    return notes


PIP_NAMES = {"onnxruntime": "onnxruntime", "litert": "ai-edge-litert", "openvino": "openvino",
             "ncnn": "ncnn"}


# ------------------------------------------------------------------ inputs

def check_input(batch, size):
    """The TF fixtures' preprocessed photos (cat, coffee; 0.875 and full crops)
    first, then uniform noise in [-1, 1]; and how many photos lead."""
    import safetensors_io
    photos = {}
    for name in ("cat", "coffee"):
        path = os.path.join(ROOT, "tests", "fixtures", f"tf_reference_{name}.safetensors")
        if os.path.exists(path) and size == 224:
            photos[name], _ = safetensors_io.load(path)
    images = [photos[n][k][0] for k in ("input_224", "input_224_crop1") for n in photos]
    rng = np.random.default_rng(1)
    while len(images) < batch:
        images.append(rng.uniform(-1, 1, (size, size, 3)).astype(np.float32))
    photos = min(batch, 2 * len(photos))
    return np.ascontiguousarray(np.stack(images[:batch]), dtype=np.float32), photos


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


# ------------------------------------------------------------------ main mode

def run_benchmark(args, env, tmp, lib):
    int8 = bool(args.int8)
    model = os.path.abspath(args.int8 or args.model)
    size = 224
    info = lib.describe(1.0, size, 1001)
    gflop = 2 * info.mult_adds / 1e9
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = loadavg()

    if int8:  # fma_peak.c measures float32 FMA: no ceiling for int8 arithmetic
        peaks = {}
    else:
        log("bench: measuring the FMA peak")
        try:
            peaks = fma_peaks(tmp, [1, os.cpu_count()] + [min(t, os.cpu_count()) for t in args.threads])
            log(f"bench:   {peaks_text(peaks)}")
        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
            log(f"bench: no FMA peak: {e}")
            peaks = {}

    # which engines can run
    skipped = {}
    wanted = [e for e in args.engines]
    if int8:
        for e in INT8_SKIP:
            if e in wanted:
                skipped[e] = INT8_SKIP[e]
                wanted.remove(e)
    pip_notes = install_notes()
    for e in list(wanted):
        missing = engines.missing_modules(engines.MODULES[e])
        if missing:
            reason = pip_notes.get(PIP_NAMES.get(e, ""), "")
            skipped[e] = f"Python package {', '.join(missing)} not installed" + \
                         (f" ({reason})" if reason else "")
            wanted.remove(e)
    if int8:  # every engine reads the file itself: nothing to convert
        artifacts, manifest, digest = {}, {}, sha256_file(model)
    else:
        needed = {engines.ARTIFACT[e] for e in wanted if engines.ARTIFACT[e]}
        artifacts, failed, manifest, digest = prepare_artifacts(model, size, needed, env)
        for e in list(wanted):
            kind = engines.ARTIFACT[e]
            if kind and kind not in artifacts:
                skipped[e] = failed[kind]
                wanted.remove(e)
    if "libmobilenet" not in wanted:
        wanted.insert(0, "libmobilenet")
    if int8:
        wanted.insert(1, engines.FP32)

    def spec(e):
        """(model, artifact) of an engine's workers."""
        if e == engines.FP32:
            return BUNDLED, None
        if int8:
            return model, (model if engines.ARTIFACT[e] else None)
        kind = engines.ARTIFACT[e]
        return model, (artifacts.get(kind) if kind else None)
    # --int8: logits are compared in steps of the file's output quantization
    step = engines.tflite_output_step(model) if int8 else None

    results = {}   # (threads, batch, engine) -> dict
    versions, notes, tiers, precisions = {}, {}, {}, {}
    for threads in args.threads:
        for batch in args.batches:
            log(f"bench: {threads} thread(s), batch {batch}: starting "
                f"{', '.join(wanted)}")
            workers = {}
            for e in wanted:
                if e in skipped:
                    continue
                workers[e] = Worker(e, *spec(e), threads, batch, size,
                                    engine_env(env, e, args.max_isa), tmp)
            try:
                for e, w in list(workers.items()):
                    try:
                        ready = w.wait_ready()
                        versions[e] = ready["version"]
                        tier = ready.get("tier") or "not reported"
                        if tier not in tiers.setdefault(e, []):
                            tiers[e].append(tier)
                            log(f"bench:   {e} tier: {tier}")
                        if ready.get("precision"):
                            precisions[e] = ready["precision"]
                        for n in ready["notes"]:
                            notes.setdefault(e, [])
                            if n not in notes[e]:
                                notes[e].append(n)
                    except WorkerError as err:
                        if e.startswith("libmobilenet"):
                            raise
                        skipped[e] = f"failed to load: {err}"
                        w.close()
                        del workers[e]
                # logits check, on the same input for every engine
                x, photos = check_input(batch, size)
                xin = os.path.join(tmp, f"check_{batch}.npy")
                np.save(xin, x)
                logits = {}
                for e, w in list(workers.items()):
                    out = os.path.join(tmp, f"logits_{e}_{threads}_{batch}.npy")
                    try:
                        if w.call(f"check {xin} {out}") != "ok":
                            raise WorkerError(f"{e}: unexpected reply to check")
                        logits[e] = np.load(out)
                    except WorkerError as err:
                        if e.startswith("libmobilenet"):
                            raise
                        skipped[e] = f"failed to run ({threads} threads, batch {batch}): {err}"
                        workers.pop(e).close()
                ours = logits["libmobilenet"]
                bad = []
                for e in logits:
                    diff = float(np.max(np.abs(logits[e] - ours)))
                    agree = np.argmax(logits[e], 1) == np.argmax(ours, 1)
                    results[(threads, batch, e)] = {"diff": diff, "top1": bool(np.all(agree)),
                                                    "agree": int(agree.sum()),
                                                    "photos": bool(np.all(agree[:photos])),
                                                    "times": []}
                    if int8:
                        # No stop here: 8-bit engines legitimately requantize differently
                        # (XNNPACK is a few steps from TFLite's reference arithmetic, which
                        # libmobilenet follows), and the cat photo is a near-tie of three
                        # cat classes, so even those flip. The table reports top-1 and |Δ|.
                        if not np.all(agree[:photos]):
                            log(f"bench:   note: {e}'s top-1 differs from libmobilenet's on a "
                                f"photo (max |Δ| {diff / step if step else diff:.3g}"
                                f"{' steps' if step else ''})")
                    elif diff > TOLERANCE:
                        bad.append(f"{e}: max |logits - libmobilenet's| = {diff:.3g} > {TOLERANCE}")
                if bad:
                    log("\n" + "!" * 72 + "\nbench: LOGITS DISAGREE at "
                        f"{threads} thread(s), batch {batch}:\n  " + "\n  ".join(bad) + "\n" + "!" * 72)
                    raise SystemExit(1)
                # interleaved timing: round-robin, the order rotated every round
                order = list(workers)
                for r in range(args.rounds):
                    rotated = order[r % len(order):] + order[:r % len(order)]
                    for e in rotated:
                        if e not in workers:
                            continue
                        try:
                            reply = workers[e].call(f"time {args.warmup} {args.runs}")
                            results[(threads, batch, e)]["times"] += json.loads(reply)
                        except (WorkerError, ValueError) as err:
                            if e.startswith("libmobilenet"):
                                raise
                            skipped[e] = f"failed while timing ({threads} threads, batch {batch}): {err}"
                            del results[(threads, batch, e)]
                            workers.pop(e).close()
                        time.sleep(args.pause)
                summary = ", ".join(
                    f"{e} {1e3 * np.median(results[(threads, batch, e)]['times']):.2f}"
                    for e in workers if results[(threads, batch, e)]["times"])
                log(f"bench:   median ms: {summary}")
            finally:
                for w in workers.values():
                    w.close()
                workers.clear()

    rss, rss_notes = ({}, []) if args.no_rss else \
        measure_rss(args, env, tmp, lib, model, size, wanted, results, spec)

    if peaks:  # again at the end: the best of both, in case the machine was busy once
        try:
            merge_peaks(peaks, fma_peaks(tmp, list(widest(peaks)[1])))
        except (RuntimeError, subprocess.CalledProcessError, OSError):
            pass
    finished = datetime.datetime.now(datetime.timezone.utc)
    conv_versions = {}
    for entry in manifest.values():
        for k in ("onnx", "tensorflow", "pnnx"):
            if k in entry:
                conv_versions[k] = entry[k]
    text = render_results(args, started, finished, load_start, loadavg(), lib, info, gflop,
                          digest, peaks, wanted, results, rss, rss_notes, versions, notes,
                          conv_versions, skipped, artifacts, tiers, precisions, step)
    print(text)
    with open(args.output, "w") as f:
        f.write(text)
    log(f"bench: wrote {rel(args.output)}")


def measure_rss(args, env, tmp, lib, model, size, wanted, results, spec):
    """Peak RSS of a fresh process per engine and configuration, the C probe
    and a bare Python + numpy, through bench/maxrss.c."""
    rss, notes = {}, []
    log("bench: peak RSS of fresh processes")
    try:
        launcher = compile_c(tmp, "maxrss.c", "maxrss", ([], []))
    except (RuntimeError, OSError) as err:
        return rss, [f"no peak RSS: {err}"]
    for threads in args.threads:
        for batch in args.batches:
            for e in wanted:
                if (threads, batch, e) not in results:
                    continue
                engine_model, artifact = spec(e)
                cmd = [sys.executable, os.path.join(HERE, "worker.py"), "--once", "--engine", e,
                       "--model", engine_model, "--threads", str(threads), "--batch", str(batch),
                       "--size", str(size)]
                if artifact:
                    cmd += ["--artifact", artifact]
                try:
                    rss[(threads, batch, e)] = peak_rss_kib(launcher, cmd,
                                                            engine_env(env, e, args.max_isa))
                except RuntimeError as err:
                    notes.append(f"{e} ({threads} threads, batch {batch}): {err}")
    try:
        probe = compile_c(tmp, "rss_probe.c", "rss_probe",
                          ([f"-I{os.path.join(ROOT, 'include')}"],
                           [f"-L{os.path.dirname(lib.path)}", "-lmobilenet",
                            f"-Wl,-rpath,{os.path.dirname(lib.path)}"]))
        parts = []
        for threads in args.threads:
            kib = peak_rss_kib(launcher, [probe, model, str(threads)],
                               engine_env(env, "libmobilenet", args.max_isa))
            parts.append(f"{kib / 1024:.1f} MiB at {threads} thread(s)")
        notes.append(f"libmobilenet from C (bench/rss_probe.c: loads `{rel(model)}` through "
                     "the C API, classifies one 256x256 RGB image): " + ", ".join(parts) + ".")
    except (RuntimeError, OSError) as err:
        notes.append(f"rss_probe failed: {err}")
    try:
        baseline = peak_rss_kib(launcher, [sys.executable, "-c", "import numpy"], env)
        notes.append(f"For scale: a Python process that only imports numpy peaks at "
                     f"{baseline / 1024:.1f} MiB; every row of the table includes that.")
    except RuntimeError as err:
        notes.append(f"Python baseline failed: {err}")
    return rss, notes


def peak_for(peaks, threads, kind=None):
    """The FMA peak at `threads` (capped at the CPU count): the widest
    measured, or the given kind's."""
    t = min(threads, os.cpu_count())
    table = peaks.get(kind, {}) if kind else widest(peaks)[1]
    return table.get(t)


def tier_text(tiers, engine):
    return "; ".join(tiers.get(engine, [])) or "not reported"


def render_results(args, started, finished, load_start, load_end, lib, info, gflop, digest,
                   peaks, wanted, results, rss, rss_notes, versions, notes, conv_versions,
                   skipped, artifacts, tiers, precisions=None, step=None):
    int8 = bool(args.int8)
    precisions = precisions or {}
    L = []
    L.append("# libmobilenet int8 benchmark" if int8 else "# libmobilenet benchmark")
    L.append("")
    invocation = "bench/run.sh" + (f" --int8 {rel(os.path.abspath(args.int8))}" if int8 else "") + \
        (f" --max-isa {args.max_isa}" if args.max_isa else "")
    L.append(f"Generated by `{invocation}` on {started:%Y-%m-%d %H:%M} UTC "
             f"({(finished - started).total_seconds():.0f} s).")
    L.append("")
    L.append(f"- CPU: {cpu_description()}")
    L.append(f"- Load average (1/5/15 min) at start: {load_start}; at end: {load_end}")
    L.append(f"- libmobilenet {lib.version()} (git {git_description()}), called through the C ABI "
             f"(ctypes on libmobilenet.so)")
    best = lib.best_isa()
    L.append(f"- libmobilenet tier: {tier_text(tiers, 'libmobilenet')}" +
             (f"; mobilenet_best_isa() in the benchmark's own process "
              f"({'MOBILENET_MAX_ISA=' + os.environ['MOBILENET_MAX_ISA'] if os.environ.get('MOBILENET_MAX_ISA') else 'uncapped'}"
              f"): {best}" if best else ""))
    if int8:
        L.append(f"- libmobilenet precision: {precisions.get('libmobilenet', 'not reported')} on "
                 f"`{rel(os.path.abspath(args.int8))}`; "
                 f"{precisions.get(engines.FP32, 'not reported')} on `{rel(BUNDLED)}` "
                 f"(the `{engines.FP32}` row)")
    L.append(f"- Instruction-set caps: {caps_text(args, [e for e in wanted if e in versions])}")
    if int8:
        L.append(f"- Model: `{rel(os.path.abspath(args.int8))}` (sha256 {digest[:16]}…), read "
                 f"as it is by every int8 row, 224x224, {info.num_classes} classes: "
                 f"{info.mult_adds / 1e6:.1f}M multiply-adds = {gflop:.4f} G operations per "
                 f"image (mobilenet_describe); " +
                 (f"logits dequantized from int8 with step {step:.6g}" if step else
                  "output step not read (no LiteRT)"))
        L.append(f"- `{engines.FP32}`: libmobilenet on `{rel(BUNDLED)}` (float32), for the "
                 "int8/fp32 gain. No \"% FMA peak\" column: bench/fma_peak.c measures "
                 "float32 FMA, not an int8 ceiling.")
    else:
        L.append(f"- Model: `{rel(os.path.abspath(args.model))}` (sha256 {digest[:16]}…), "
                 f"224x224, {info.num_classes} classes: {info.mult_adds / 1e6:.1f}M multiply-adds "
                 f"= {gflop:.4f} GFLOP per image (mobilenet_describe)")
    if peaks:
        L.append("- Measured FMA peak (bench/fma_peak.c, float32, best of 3 x 0.5 s at the start "
                 "and 3 at the end): " + peaks_text(peaks) + f". \"% FMA peak\" is against "
                 f"{peak_basis(peaks)} at the same thread count.")
    L.append(f"- Method: per configuration, every engine in its own process; "
             f"{args.rounds} rounds, round-robin over the engines (order rotated each round), "
             f"each turn {args.warmup} warm-up + {args.runs} timed calls; median and p90 over all "
             f"{args.rounds * args.runs} timed calls. One call = one batch; the input is NHWC "
             f"float32 and the output logits for every engine.")
    L.append("")
    L.append("## Results")
    L.append("")
    if int8:
        L.append("`peer/ours` is the peer's median over libmobilenet's int8 one: above 1 means "
                 f"libmobilenet is faster; on the `{engines.FP32}` row it is the int8/fp32 gain. "
                 "`max |Δ|` is the largest difference between the engine's logits and "
                 "libmobilenet's int8 ones on the same input (real photos, then noise), in "
                 "output quantization steps; `top-1` how many images' top-1 class agrees with "
                 "libmobilenet's (the first up to 4 are photos; the cat is a near-tie of three "
                 "cat classes). "
                 "G ops/s counts a multiply-add as 2 operations. Peak RSS: a fresh process that "
                 "imports what the engine needs, loads the model and runs one batch (ru_maxrss).")
    else:
        L.append("`peer/ours` is the peer's median over libmobilenet's: above 1 means libmobilenet "
                 "is faster. `max |Δ|` is the largest difference between the engine's logits and "
                 "libmobilenet's on the same input (real photos, then noise). Peak RSS: a fresh "
                 "process that imports what the engine needs, loads the model and runs one batch "
                 "(ru_maxrss).")
    L.append("")
    # capped to 256 bits on a 512-bit machine: also the share of the 256-bit peak
    narrow = args.max_isa == "avx2" and widest(peaks)[0] == "avx512" and peaks.get("avx2")
    if narrow:
        L.append("`% 256-bit peak` is against the 256-bit FMA peak, the ceiling of an engine "
                 "capped at AVX2; an engine that is not capped may use 512-bit FMA and exceed "
                 "100%.")
        L.append("")
    if int8:
        L.append("| threads | batch | engine | median ms | p90 ms | images/s | peer/ours | G ops/s "
                 "| peak RSS MiB | max \\|Δ\\| vs ours | top-1 |")
        L.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    else:
        L.append("| threads | batch | engine | median ms | p90 ms | images/s | peer/ours | GFLOP/s "
                 "| % FMA peak |" + (" % 256-bit peak |" if narrow else "") +
                 " peak RSS MiB | max \\|Δ\\| vs ours |")
        L.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if narrow else "") +
                 "---:|---:|")
    for threads in args.threads:
        for batch in args.batches:
            ours = results.get((threads, batch, "libmobilenet"))
            if not ours or not ours["times"]:
                continue
            ours_med = float(np.median(ours["times"]))
            for e in wanted:
                r = results.get((threads, batch, e))
                if not r or not r["times"]:
                    continue
                med = float(np.median(r["times"]))
                p90 = percentile(r["times"], 90)
                gf = batch * gflop / med
                peak = peak_for(peaks, threads)
                pct = f"{100 * gf / peak:.0f}%" if peak else "n/a"
                if narrow:
                    peak256 = peak_for(peaks, threads, "avx2")
                    pct += f" | {100 * gf / peak256:.0f}%" if peak256 else " | n/a"
                ratio = "—" if e == "libmobilenet" else f"{med / ours_med:.2f}"
                kib = rss.get((threads, batch, e))
                mem = f"{kib / 1024:.0f}" if kib else "n/a"
                diff = "—" if e == "libmobilenet" else \
                    f"{r['diff']:.1e}" + ("" if r["top1"] else " (top-1 differs)")
                name = f"**{e}**" if e == "libmobilenet" else e
                if int8:
                    diff = "—" if e == "libmobilenet" else \
                        (f"{r['diff'] / step:.3g} steps" if step else f"{r['diff']:.2g}")
                    top1 = "—" if e == "libmobilenet" else f"{r['agree']}/{batch}" + \
                        ("" if r["photos"] else " (differs on a photo)")
                    L.append(f"| {threads} | {batch} | {name} | {1e3 * med:.2f} | {1e3 * p90:.2f} | "
                             f"{batch / med:.1f} | {ratio} | {gf:.1f} | {mem} | {diff} | {top1} |")
                    continue
                L.append(f"| {threads} | {batch} | {name} | {1e3 * med:.2f} | {1e3 * p90:.2f} | "
                         f"{batch / med:.1f} | {ratio} | {gf:.1f} | {pct} | {mem} | {diff} |")
    L.append("")
    if rss_notes:
        L.append("Memory notes:")
        L.append("")
        for n in rss_notes:
            L.append(f"- {n}")
        L.append("")
    L.append("## Engines")
    L.append("")
    L.append("| engine | version | tier (kernels' instruction set) | model as run | settings |")
    L.append("|---|---|---|---|---|")
    how = {
        "libmobilenet": ("the safetensors file itself", "mobilenet_model_load with "
                         "options.num_threads; mobilenet_model_run on the whole batch"),
        "onnxruntime": ("ONNX from tools/reference_onnx.py (BatchNorm nodes, NCHW inside)",
                        "CPUExecutionProvider, ORT_ENABLE_ALL, intra_op_num_threads, sequential"),
        "litert": ("TFLite float32: TFLiteConverter on a tf.function of "
                   "tools/tf_from_safetensors.py's graph",
                   "ai_edge_litert Interpreter(num_threads); XNNPACK delegate (the default; checked at load)"),
        "openvino": ("the same ONNX file (read_model)", "CPU plugin, INFERENCE_NUM_THREADS, "
                     "LATENCY hint, 1 stream, f32 precision"),
        "ncnn": ("pnnx conversion of the same ONNX file, f32 weights",
                 "opt.num_threads, fp16/bf16/int8 off, no Vulkan; no batch dimension: a batch is one extractor per image"),
    }
    if int8:
        tfl = f"`{rel(os.path.abspath(args.int8))}` itself"
        how.update({
            "libmobilenet": (tfl + " (mobilenet_model_load)", how["libmobilenet"][1]),
            engines.FP32: (f"`{rel(BUNDLED)}` (float32)", how["libmobilenet"][1]),
            "litert": (tfl, "ai_edge_litert Interpreter(num_threads); XNNPACK delegate "
                       "(the default, int8 kernels; checked at load)"),
            "openvino": (tfl + " (read_model: its TFLite frontend)",
                         "CPU plugin, INFERENCE_NUM_THREADS, LATENCY hint, 1 stream; the "
                         "file's quantization as FakeQuantize nodes (the tier column says "
                         "which kernels run in int8: `_I8`, and which in f32)"),
        })
    for e in engines.ENGINES[:1] + ([engines.FP32] if int8 else []) + engines.ENGINES[1:]:
        if e not in versions:
            continue
        model_desc, settings = how[e]
        extra = "; ".join(notes.get(e, []))
        if extra:
            settings += f" ({extra})"
        L.append(f"| {e} | {versions[e]} | {tier_text(tiers, e)} | {model_desc} | {settings} |")
    L.append("")
    tools_line = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for k, label in (("onnx", "onnx"), ("tensorflow", "TensorFlow (TFLite converter)"),
                     ("pnnx", "pnnx")):
        if k in conv_versions:
            tools_line.append(f"{label} {conv_versions[k]}")
    L.append("Tools: " + ", ".join(tools_line) + (". No conversion: every row reads its file "
             "itself." if int8 else ". Converted models are cached in `bench/cache/<model sha256>/`."))
    L.append("")
    if skipped:
        L.append("## Skipped")
        L.append("")
        for e, why in skipped.items():
            L.append(f"- {e}: {why}")
        L.append("")
    return "\n".join(L)


# ------------------------------------------------------------------ profile

def run_profile(args, tmp):
    env = engine_env(os.environ, "libmobilenet", args.max_isa)
    cli_src = os.path.join(ROOT, ".build", "release", "mobilenet-cli")
    if not os.path.exists(cli_src):
        raise SystemExit("bench: .build/release/mobilenet-cli is missing: "
                         "swift build -c release --product mobilenet-cli")
    cli = os.path.join(tmp, "mobilenet-cli")
    shutil.copy2(cli_src, cli)
    try:
        peaks = fma_peaks(tmp, [min(t, os.cpu_count()) for t in args.threads], repeats=2)
    except (RuntimeError, subprocess.CalledProcessError, OSError):
        peaks = {}
    profiles = {}
    for t in args.threads:
        log(f"bench: profiling with {t} thread(s)")
        out = subprocess.run([cli, "profile", "--json", "--threads", str(t), "--model",
                              os.path.abspath(args.model), "--iterations", str(args.iterations)],
                             capture_output=True, text=True, cwd=ROOT, env=env)
        if out.returncode != 0:
            raise SystemExit(f"bench: mobilenet-cli profile failed: {out.stderr.strip()}")
        profiles[t] = json.loads(out.stdout)
    first = profiles[args.threads[0]]
    invocation = "bench/run.sh --profile" + (f" --max-isa {args.max_isa}" if args.max_isa else "")
    L = ["# libmobilenet per-layer profile", ""]
    L.append(f"Generated by `{invocation}` on "
             f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: "
             f"`mobilenet-cli profile --json` (median of {args.iterations} runs per layer), "
             f"model `{rel(os.path.abspath(args.model))}` at {first['resolution']}x"
             f"{first['resolution']}, batch 1.")
    L.append("")
    cpu = cpu_description()
    L.append(f"- CPU: {cpu}" +
             (f" (mobilenet-cli: {first['cpu']})" if first.get("cpu") and
              not cpu.startswith(first["cpu"]) else "") +
             f"; load average {loadavg()}")
    L.append(f"- libmobilenet git {git_description()}")
    isas = sorted({p.get("isa") or "not reported" for p in profiles.values()})
    cap = env.get("MOBILENET_MAX_ISA")
    L.append(f"- libmobilenet tier: {', '.join(isas)} (mobilenet-cli profile --json \"isa\")" +
             (f", capped with MOBILENET_MAX_ISA={cap}" if cap else ""))
    if peaks:
        L.append("- FMA peak (bench/fma_peak.c): " + peaks_text(peaks) +
                 f". \"% peak\" is against {peak_basis(peaks)}.")
    L.append("")
    head = "| layer | type | M mult-adds |"
    rule = "|---|---|---:|"
    for t in args.threads:
        head += f" ms ({t}T) | GFLOP/s ({t}T) | % peak ({t}T) | share ({t}T) |"
        rule += "---:|---:|---:|---:|"
    L += [head, rule]
    for i, layer in enumerate(first["layers"]):
        row = f"| {layer['name']} | {layer['type']} | {layer['mult_adds'] / 1e6:.1f} |"
        for t in args.threads:
            p = profiles[t]
            lt = p["layers"][i]
            peak = peak_for(peaks, t)
            pct = f"{100 * lt['gflops'] / peak:.0f}%" if peak else "n/a"
            row += (f" {lt['ms']:.3f} | {lt['gflops']:.1f} | {pct} | "
                    f"{100 * lt['ms'] / p['total_ms']:.1f}% |")
        L.append(row)
    # Subtotals per layer type (the yardstick: all 1x1 layers together).
    for kind in sorted({layer["type"] for layer in first["layers"]}, key=lambda k: k != "Conv 1x1"):
        indices = [i for i, layer in enumerate(first["layers"]) if layer["type"] == kind]
        if len(indices) < 2:
            continue
        ma = sum(first["layers"][i]["mult_adds"] for i in indices)
        row = f"| *all {kind} layers* | {kind} | {ma / 1e6:.1f} |"
        for t in args.threads:
            p = profiles[t]
            ms = sum(p["layers"][i]["ms"] for i in indices)
            gf = 2 * ma / (ms / 1e3) / 1e9
            peak = peak_for(peaks, t)
            pct = f"{100 * gf / peak:.0f}%" if peak else "n/a"
            row += f" {ms:.2f} | {gf:.1f} | {pct} | {100 * ms / p['total_ms']:.1f}% |"
        L.append(row)
    total_ma = sum(layer["mult_adds"] for layer in first["layers"])
    row = f"| **total** | | {total_ma / 1e6:.1f} |"
    for t in args.threads:
        p = profiles[t]
        gf = 2 * total_ma / (p["total_ms"] / 1e3) / 1e9
        peak = peak_for(peaks, t)
        pct = f"{100 * gf / peak:.0f}%" if peak else "n/a"
        row += f" {p['total_ms']:.2f} | {gf:.1f} | {pct} | 100% |"
    L.append(row)
    L.append("")
    L.append("The total is the sum of the per-layer medians, not a timed end-to-end run.")
    L.append("")
    text = "\n".join(L)
    print(text)
    with open(args.profile_output, "w") as f:
        f.write(text)
    log(f"bench: wrote {rel(args.profile_output)}")


# ------------------------------------------------------------------ configs

def run_configs(args, env, tmp, lib):
    import make_random_model
    try:
        import paper_tables
        paper = {(a, r): m for _, v, a, r, _, m, _ in paper_tables.PAPER_TABLE6 + paper_tables.PAPER_TABLE7
                 if v == "separable"}
    except Exception:  # optional: only labels the paper's figures
        paper = {}
    key = sources_hash([os.path.join(ROOT, "tools", f) for f in
                        ("make_random_model.py", "mobilenet_spec.py", "safetensors_io.py")])
    directory = os.path.join(CACHE, "configs", key)
    os.makedirs(directory, exist_ok=True)
    configs = [(a, r) for a in ALPHAS for r in RESOLUTIONS]
    models = {}
    for a, r in configs:
        path = os.path.join(directory, f"mobilenet_v1_{a}_{r}_1001_seed0.safetensors")
        if not os.path.exists(path):
            make_random_model.main(["-o", path + ".part", "--alpha", str(a), "--resolution", str(r),
                                    "--num-classes", "1001", "--seed", "0"])
            os.replace(path + ".part", path)
        models[(a, r)] = path
    workers = {}
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = loadavg()
    try:
        peaks = fma_peaks(tmp, [min(t, os.cpu_count()) for t in args.threads], repeats=2)
    except (RuntimeError, subprocess.CalledProcessError, OSError):
        peaks = {}
    log(f"bench: timing libmobilenet on {len(configs)} configurations x threads {args.threads}")
    times = {}
    try:
        for (a, r), path in models.items():
            for t in args.threads:
                workers[(a, r, t)] = Worker("libmobilenet", path, None, t, 1, r,
                                            engine_env(env, "libmobilenet", args.max_isa), tmp)
        tiers = []
        for w in workers.values():
            tier = w.wait_ready().get("tier") or "not reported"
            if tier not in tiers:
                tiers.append(tier)
        order = list(workers)
        for k in order:
            times[k] = []
        for rnd in range(args.rounds):
            s = (rnd * 7) % len(order)
            for k in order[s:] + order[:s]:
                times[k] += json.loads(workers[k].call(f"time {args.warmup} {args.runs}"))
                time.sleep(args.pause / 2)
    finally:
        for w in workers.values():
            w.close()
    L = ["# libmobilenet across width multipliers and resolutions", ""]
    invocation = "bench/run.sh --configs" + (f" --max-isa {args.max_isa}" if args.max_isa else "")
    L.append(f"Generated by `{invocation}` on {started:%Y-%m-%d %H:%M} UTC. "
             f"The MobileNets paper's Tables 6 and 7 grid: alpha x resolution, random weights "
             f"(tools/make_random_model.py, seed 0, 1001 classes), batch 1, through the C ABI. "
             f"Median of {args.rounds} rounds x {args.runs} runs, all {len(workers)} "
             f"(configuration, threads) pairs interleaved round-robin.")
    L.append("")
    L.append(f"- CPU: {cpu_description()}; load average at start {load_start}, at end {loadavg()}")
    L.append(f"- libmobilenet {lib.version()} (git {git_description()})")
    L.append(f"- libmobilenet tier: {'; '.join(tiers)}")
    if peaks:
        L.append("- FMA peak (bench/fma_peak.c): " + peaks_text(peaks) +
                 f". \"% peak\" is against {peak_basis(peaks)}.")
    L.append("- M mult-adds: mobilenet_describe for 1001 classes; paper: Tables 6/7 "
             "(1000 classes), where the paper lists the configuration.")
    L.append("")
    head = "| alpha | resolution | M mult-adds | paper M mult-adds | M params |"
    rule = "|---:|---:|---:|---:|---:|"
    for t in args.threads:
        head += f" ms ({t}T) | images/s ({t}T) | GFLOP/s ({t}T) | % peak ({t}T) |"
        rule += "---:|---:|---:|---:|"
    if len(args.threads) > 1:
        head += f" speed-up {args.threads[-1]}T/{args.threads[0]}T |"
        rule += "---:|"
    L += [head, rule]
    for a, r in configs:
        info = lib.describe(a, r, 1001)
        row = (f"| {a} | {r} | {info.mult_adds / 1e6:.1f} | {paper.get((a, r), '')} | "
               f"{info.parameters / 1e6:.2f} |")
        meds = []
        for t in args.threads:
            med = float(np.median(times[(a, r, t)]))
            meds.append(med)
            gf = 2 * info.mult_adds / 1e9 / med
            peak = peak_for(peaks, t)
            pct = f"{100 * gf / peak:.0f}%" if peak else "n/a"
            row += f" {1e3 * med:.2f} | {1 / med:.0f} | {gf:.1f} | {pct} |"
        if len(args.threads) > 1:
            row += f" {meds[0] / meds[-1]:.2f} |"
        L.append(row)
    L.append("")
    text = "\n".join(L)
    print(text)
    with open(args.configs_output, "w") as f:
        f.write(text)
    log(f"bench: wrote {rel(args.configs_output)}")


# ------------------------------------------------------------------ entry

def int_list(s):
    return [int(x) for x in s.split(",") if x.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--profile", action="store_true", help="per-layer profile -> bench/profile.md")
    ap.add_argument("--configs", action="store_true",
                    help="16 (alpha, resolution) configurations -> bench/configs.md")
    ap.add_argument("--engines", default=",".join(engines.ENGINES),
                    help="comma-separated (default: all): " + ", ".join(engines.ENGINES))
    ap.add_argument("--threads", type=int_list, default=[1, 2], help="e.g. 1,2 (default)")
    ap.add_argument("--batches", "--batch", type=int_list, default=[1, 8],
                    help="e.g. 1,8 (default)")
    ap.add_argument("--rounds", type=int, default=5, help="round-robin rounds (default 5)")
    ap.add_argument("--runs", type=int, default=10, help="timed calls per turn (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed calls per turn (default 2)")
    ap.add_argument("--pause", type=float, default=0.1,
                    help="seconds between turns, so the last engine's threads go idle")
    ap.add_argument("--iterations", type=int, default=50, help="--profile: runs per layer")
    ap.add_argument("--build", action="store_true",
                    help="(bench/run.sh) rebuild libmobilenet.so / mobilenet-cli first")
    ap.add_argument("--no-rss", action="store_true", help="skip the peak RSS measurements")
    ap.add_argument("--max-isa", choices=sorted(ONEDNN_ISA),
                    help="cap the kernels' instruction set: MOBILENET_MAX_ISA for libmobilenet, "
                         "ONEDNN_MAX_CPU_ISA (avx2: AVX2, avx512: AVX512_CORE_VNNI, generic: "
                         "SSE41) for OpenVINO; ONNX Runtime, LiteRT and ncnn cannot be capped. "
                         "Default outputs become bench/results-ISA.md, profile-ISA.md, "
                         "configs-ISA.md")
    ap.add_argument("--int8", nargs="?", const=INT8_DEFAULT, metavar="FILE",
                    help="libmobilenet, LiteRT and OpenVINO on one int8 .tflite file (default "
                         f"{rel(INT8_DEFAULT)}), plus libmobilenet's float32 row; ONNX Runtime "
                         "and ncnn are skipped. Default output bench/results-int8.md")
    ap.add_argument("--model", default=BUNDLED, help=argparse.SUPPRESS)
    ap.add_argument("--lib", default=os.path.join(ROOT, ".build", "release", "libmobilenet.so"),
                    help="libmobilenet.so to measure (copied to a temporary directory first)")
    ap.add_argument("--output", help="default bench/results.md (results-ISA.md with --max-isa)")
    ap.add_argument("--profile-output", help="default bench/profile.md (profile-ISA.md)")
    ap.add_argument("--configs-output", help="default bench/configs.md (configs-ISA.md)")
    args = ap.parse_args(argv)
    suffix = f"-{args.max_isa}" if args.max_isa else ""
    args.output = args.output or os.path.join(HERE, f"results{'-int8' if args.int8 else ''}{suffix}.md")
    if args.int8 and not os.path.isfile(args.int8):
        ap.error(f"--int8: no file {args.int8}")
    args.profile_output = args.profile_output or os.path.join(HERE, f"profile{suffix}.md")
    args.configs_output = args.configs_output or os.path.join(HERE, f"configs{suffix}.md")
    try:
        args.engines = [engines.canonical(e) for e in args.engines.split(",") if e.strip()]
    except ValueError as e:
        ap.error(str(e))
    if not args.threads or min(args.threads) < 1 or not args.batches or min(args.batches) < 1:
        ap.error("--threads and --batches need positive integers")
    if args.rounds < 1 or args.runs < 1 or args.warmup < 0:
        ap.error("--rounds and --runs must be >= 1, --warmup >= 0")

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        if not args.profile or args.configs:
            if not os.path.exists(args.lib):
                raise SystemExit(f"bench: {args.lib} is missing: make lib")
            # a private copy: the tree's library may be rebuilt while we measure
            lib_path = os.path.join(tmp, "libmobilenet.so")
            shutil.copy2(args.lib, lib_path)
            soname = shared_object_name(lib_path)
            if soname and soname != "libmobilenet.so":
                # what rss_probe (linked with -lmobilenet) asks the loader for
                os.symlink("libmobilenet.so", os.path.join(tmp, soname))
            lib = mobilenet_ctypes.Library(lib_path)
            env = dict(os.environ, BENCH_LIB=lib_path, TF_CPP_MIN_LOG_LEVEL="2",
                       PYTHONDONTWRITEBYTECODE="1")
        if args.profile:
            run_profile(args, tmp)
        if args.configs:
            run_configs(args, env, tmp, lib)
        if not args.profile and not args.configs:
            run_benchmark(args, env, tmp, lib)


if __name__ == "__main__":
    main()
