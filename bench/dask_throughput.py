#!/usr/bin/env python3
"""Throughput of mobilenet.dask.classify against a plain loop over Model.classify.

    python bench/dask_throughput.py [--images 64] [--batch-size 16] [--repeats 7]

Classifies --images copies of examples/images/cat.jpg and coffee.png (read
from a temporary folder, decoded each time) in three ways, interleaved
--repeats times, and prints the medians as a Markdown table:

- loop: one process, mobilenet.load(threads=1), Model.classify per path;
- Dask, 1 worker: a LocalCluster of 1 process x 1 thread;
- Dask, 2 workers: a LocalCluster of 2 processes x 1 thread each.

The clusters are started, and every worker has loaded the model (one warm-up
run), before timing; a Dask time is classify() plus computing the DataFrame
into the client. Wall time moves with the load of a shared machine; CPU time
much less: "CPU ms per image" adds the worker processes' CPU time and this
process's (client and scheduler), "Dask's CPU ms per image" is that minus
the loop's, the work Dask adds per image, and "of which idle cluster" what
the same processes use doing nothing for as long (heartbeats, monitors);
the rest ("of which tasks") is scheduling, transfers and building the
DataFrame. Needs the [dask] extra and libmobilenet.so ($MOBILENET_LIBRARY,
next to the package or on the system path).
"""

import argparse
import datetime
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
try:
    import mobilenet
except ImportError:  # not installed: the repository's binding
    sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
    import mobilenet
import mobilenet.dask  # noqa: E402


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def git_revision():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def make_images(folder, count):
    """count paths: copies of the two example photos, alternating."""
    paths = []
    for i in range(count):
        name = ("cat.jpg", "coffee.png")[i % 2]
        path = os.path.join(folder, f"{i:04d}_{name}")
        shutil.copyfile(os.path.join(REPO, "examples", "images", name), path)
        paths.append(path)
    return paths


def time_loop(model, paths, top_k):
    """(wall seconds, CPU seconds, 0) of a plain loop over Model.classify."""
    wall, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        model.classify(path, top_k)
    return time.perf_counter() - wall, time.process_time() - cpu, 0.0


def cluster_cpu(client):
    """CPU seconds used so far by the workers and by this process (client and scheduler)."""
    return sum(client.run(time.process_time).values()) + time.process_time()


def time_dask(client, paths, top_k, batch_size):
    """(wall seconds, CPU seconds, idle CPU seconds) of classify() computed into
    this process: the CPU time of the workers and of this process (client and
    scheduler), and what the same cluster uses idle over the same wall time."""
    workers = set(client.run(os.getpid).values())
    cpu, wall = cluster_cpu(client), time.perf_counter()
    frame = client.compute(mobilenet.dask.classify(paths, top_k=top_k, batch_size=batch_size)).result()
    wall, cpu = time.perf_counter() - wall, cluster_cpu(client) - cpu
    idle = cluster_cpu(client)
    time.sleep(wall)
    idle = cluster_cpu(client) - idle
    assert set(client.run(os.getpid).values()) == workers, "a worker restarted during the run"
    assert len(frame) == len(paths) * top_k and frame["error"].isna().all()
    return wall, cpu, idle


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--top-k", type=int, default=5)
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster
    logging.getLogger("distributed").setLevel(logging.ERROR)  # no INFO lines at shutdown

    folder = tempfile.mkdtemp(prefix="dask_throughput_")
    clusters = []
    try:
        paths = make_images(folder, args.images)
        model = mobilenet.load(threads=1)
        clients = {}
        for workers in (1, 2):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=":0", silence_logs=logging.ERROR)
            clusters.append(cluster)
            clients[workers] = Client(cluster, set_as_default=False)
            clients[workers].wait_for_workers(workers)
            time_dask(clients[workers], paths, args.top_k, args.batch_size)  # warm-up: load the model
        time_loop(model, paths[:4], args.top_k)
        load_before = os.getloadavg()[0]
        runs = {"loop": [], 1: [], 2: []}
        for _ in range(args.repeats):
            runs["loop"].append(time_loop(model, paths, args.top_k))
            for workers, client in clients.items():
                runs[workers].append(time_dask(client, paths, args.top_k, args.batch_size))
        load_after = os.getloadavg()[0]
        for client in clients.values():
            client.close()
    finally:
        for cluster in clusters:
            cluster.close()
        shutil.rmtree(folder, ignore_errors=True)

    n = args.images
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, git {git_revision()}, "
          f"{cpu_model()}, {os.cpu_count()} CPUs, load average {load_before:.1f} -> {load_after:.1f}")
    print(f"{n} images (copies of cat.jpg 451x300 and coffee.png 360x240), top_k {args.top_k}, "
          f"batch_size {args.batch_size}; medians of {args.repeats} interleaved runs")
    print()
    print("| run | seconds | images/s | images/s, best run | vs loop | CPU ms per image "
          "| Dask's CPU ms per image | of which idle cluster | of which tasks |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def median(key, field):
        return statistics.median(run[field] for run in runs[key])

    loop_wall, loop_cpu = median("loop", 0), 1000 * median("loop", 1) / n
    for name, key in (("loop over Model.classify, 1 thread", "loop"),
                      ("Dask, 1 worker x 1 thread", 1), ("Dask, 2 workers x 1 thread", 2)):
        wall, best = median(key, 0), min(run[0] for run in runs[key])
        cpu, idle = 1000 * median(key, 1) / n, 1000 * median(key, 2) / n
        overhead = ("- | - | -" if key == "loop"
                    else f"{cpu - loop_cpu:.2f} | {idle:.2f} | {cpu - loop_cpu - idle:.2f}")
        print(f"| {name} | {wall:.3f} | {n / wall:.1f} | {n / best:.1f} | {loop_wall / wall:.2f} "
              f"| {cpu:.2f} | {overhead} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
