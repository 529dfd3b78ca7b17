#!/usr/bin/env python3
"""Classify every image of a folder with Dask and write the predictions to a file.

    python examples/python/dask_classify.py FOLDER [-o predictions.parquet] [--workers 2]
        [--top-k 5] [--batch-size 32] [--model PATH] [--scheduler tcp://HOST:8786]

Starts a LocalCluster of --workers processes (one thread each), or connects
to a running scheduler with --scheduler, classifies the folder's JPEG, PNG,
GIF, BMP, TIFF and WebP files (not its subfolders) with mobilenet.dask and
writes one row per image and rank (path, rank, index, label, probability,
error) to a Parquet file, or to CSV if pyarrow is not installed. A file that
cannot be read gets a row with its error instead of stopping the job.

Needs the mobilenet package with its [dask] extra (pip install
'./bindings/python[dask]'; run from the repository it also works
uninstalled) and libmobilenet.so on every worker (found through
$MOBILENET_LIBRARY, next to the package or on the system path).
"""

import argparse
import logging
import os
import sys
import time

try:
    import mobilenet
except ImportError:  # not installed: use the binding of the repository we are in
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    os.pardir, os.pardir, "bindings", "python"))
    import mobilenet
import mobilenet.dask  # noqa: E402  (needs dask[dataframe]: the [dask] extra)

EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")


def image_files(folder):
    """The folder's image files (by extension), as sorted absolute paths."""
    folder = os.path.abspath(folder)
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if name.lower().endswith(EXTENSIONS) and os.path.isfile(os.path.join(folder, name)))


def write(frame, output):
    """Writes a pandas frame to output as Parquet (pyarrow) or else CSV; returns the file name.
    (dask[dataframe] itself requires pyarrow nowadays; the CSV path is for
    installations without it.)"""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        if output.endswith(".parquet"):
            output = output[:-len(".parquet")] + ".csv"
        frame.to_csv(output)
        return output
    frame.to_parquet(output)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description="Classify a folder of images with MobileNet v1 on Dask.")
    parser.add_argument("folder", help="a folder of JPEG/PNG/... images")
    parser.add_argument("-o", "--output", default="predictions.parquet",
                        help="output file (default predictions.parquet; .csv without pyarrow)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://scheduler:8786 "
                                            "(instead of a LocalCluster)")
    parser.add_argument("--top-k", type=int, default=5, help="classes per image (default 5)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per task (default 32)")
    parser.add_argument("--model", help="model file as the workers see it (default: the bundled one)")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster
    logging.getLogger("distributed").setLevel(logging.ERROR)  # no INFO lines at shutdown

    paths = image_files(args.folder)
    if not paths:
        print(f"dask_classify.py: no images in {args.folder}", file=sys.stderr)
        return 1
    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        start = time.perf_counter()
        frame = mobilenet.dask.classify(paths, model=args.model, top_k=args.top_k,
                                        batch_size=args.batch_size).compute()
        seconds = time.perf_counter() - start
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    output = write(frame, args.output)
    errors = frame[frame["error"].notna()]
    print(f"{len(paths)} images in {seconds:.2f} s ({len(paths) / seconds:.1f} images/s), "
          f"{len(errors)} unreadable; {len(frame)} rows written to {output}")
    for row in errors.itertuples():
        print(f"  {row.path}: {row.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
