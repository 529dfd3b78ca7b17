#!/usr/bin/env python3
"""Write models/imagenet_labels.txt: the 1001 class names of the bundled model.

Why: the converted model's logits are indexed like TF-Slim's ImageNet
classifiers: index 0 is "background" and index i (1..1000) is the i-th
ImageNet-1k synset in sorted WordNet-id order. The names must come from an
offline, freely licensed source, so they are read from the `timm` wheel
(Apache-2.0), which ships the ImageNet-1k synset list and the synset-to-lemma
table as plain text files under timm/data/_info/. The wheel is read as a zip
file; timm need not (and should not) be installed.

Label convention: the full WordNet lemma list of the synset, comma separated,
exactly as in the lemma table (e.g. "tabby, tabby cat"; "tiger cat";
"espresso"). This is the same human-readable form TF-Slim's
create_readable_names_for_imagenet_labels produces. Names are not unique
(e.g. two classes are "crane": the bird and the machine).

Get the wheel with:  pip download --no-deps timm==1.0.31 -d DIR
"""

import argparse
import os
import sys
import zipfile

SYNSETS = "timm/data/_info/imagenet_synsets.txt"
LEMMAS = "timm/data/_info/imagenet_synset_to_lemma.txt"
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                           "imagenet_labels.txt")


def read_member(wheel, member):
    with zipfile.ZipFile(wheel) as z:
        return z.read(member).decode("utf-8")


def build_labels(synsets_text, lemmas_text):
    """Return the 1001 labels (background first) or raise ValueError."""
    synsets = [line.strip() for line in synsets_text.splitlines() if line.strip()]
    if len(synsets) != 1000 or len(set(synsets)) != 1000:
        raise ValueError(f"expected 1000 distinct synsets, got {len(synsets)}")
    if synsets != sorted(synsets):
        raise ValueError("synsets are not in sorted WordNet-id order (TF-Slim's order)")
    lemma = {}
    for line in lemmas_text.splitlines():
        if line.strip():
            wnid, _, names = line.partition("\t")
            lemma[wnid.strip()] = names.strip()
    missing = [s for s in synsets if not lemma.get(s)]
    if missing:
        raise ValueError(f"no lemma for {missing[:5]}")
    labels = ["background"] + [lemma[s] for s in synsets]
    for label in labels:
        if "\n" in label or "\r" in label or not label.isprintable():
            raise ValueError(f"unprintable label {label!r}")
    return labels


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("wheel", help="timm-*.whl file (read as a zip, not installed)")
    p.add_argument("-o", "--output", default=DEFAULT_OUT, help="labels file to write")
    args = p.parse_args(argv)
    labels = build_labels(read_member(args.wheel, SYNSETS), read_member(args.wheel, LEMMAS))
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(labels) + "\n")
    print(f"wrote {len(labels)} labels to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
