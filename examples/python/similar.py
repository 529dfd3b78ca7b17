#!/usr/bin/env python3
"""Image search with MobileNet embeddings: index a folder, then print each
query image's nearest indexed images by cosine similarity.

    python examples/python/similar.py FOLDER [QUERY ...] [--model PATH] [--top 3] [--threads N]

FOLDER is searched recursively for JPEG and PNG files (what Pillow reads);
files that do not decode are reported and skipped. Without QUERY every
indexed image is a query (its own entry left out). Output, per query:

    examples/images/cat.jpg
      0.912  photos/cat2.jpg
      0.731  photos/tiger.jpg

The embeddings are the network's global-average-pooled features (1024 floats
at alpha 1.0, Model.embed), which skip the 1001-class logits layer.
"""

import argparse
import os
import sys

import numpy as np

try:
    import mobilenet
except ImportError:  # not installed: use the binding of the repository we are in
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    os.pardir, os.pardir, "bindings", "python"))
    import mobilenet

EXTENSIONS = (".jpg", ".jpeg", ".png")


def image_files(folder):
    for root, _, names in sorted(os.walk(folder)):
        for name in sorted(names):
            if name.lower().endswith(EXTENSIONS):
                yield os.path.join(root, name)


def embed_all(model, paths):
    """Unit-length embeddings of the paths that decode, and those paths."""
    kept, rows = [], []
    for path in paths:
        try:
            rows.append(model.embed(path)[0])
        except (OSError, ValueError, mobilenet.Error) as error:
            print(f"skipping {path}: {error}", file=sys.stderr)
            continue
        kept.append(path)
    if not rows:
        return kept, np.zeros((0, model.embedding_size), np.float32)
    vectors = np.stack(rows)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return kept, vectors / np.maximum(norms, 1e-12)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("queries", nargs="*")
    parser.add_argument("--model")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.top < 1:
        parser.error("--top must be at least 1")
    with mobilenet.Model(args.model, threads=args.threads) as model:
        index_paths, index = embed_all(model, image_files(args.folder))
        if not index_paths:
            print(f"no images in {args.folder}", file=sys.stderr)
            return 1
        if args.queries:
            query_paths, queries = embed_all(model, args.queries)
        else:
            query_paths, queries = index_paths, index
    similarity = queries @ index.T
    for q, path in enumerate(query_paths):
        print(path)
        order = [i for i in np.argsort(-similarity[q], kind="stable")
                 if not (not args.queries and i == q)][:args.top]
        for i in order:
            print(f"  {similarity[q, i]:.3f}  {index_paths[i]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
