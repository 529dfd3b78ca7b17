"""examples/python/classify.py, run as a user would."""

import os
import subprocess
import sys

import numpy as np
from PIL import Image

import mobilenet
from mn_support import IMAGES, REPO

SCRIPT = REPO / "examples" / "python" / "classify.py"


def run(*args):
    env = dict(os.environ)
    # The example imports the same mobilenet package as the tests.
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(mobilenet.__file__)) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300)


def test_classify_cat(model_path):
    result = run(IMAGES / "cat.jpg", "--model", model_path, "--threads", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{IMAGES / 'cat.jpg'} (451x300)"
    assert len(lines) == 6
    assert lines[1].lstrip().startswith("1.")
    assert "cat" in lines[1] or "tabby" in lines[1]
    assert "%" in lines[1] and "[286]" in lines[1]


def test_classify_coffee_top_3_bundled_model(monkeypatch):
    result = run(IMAGES / "coffee.png", "--top-k", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert "espresso" in lines[1]


def test_crop_option(model_path):
    result = run(IMAGES / "cat.jpg", "--model", model_path, "--crop", "1.0", "--top-k", "1")
    assert result.returncode == 0, result.stderr
    assert "Egyptian cat" in result.stdout


def test_missing_model_file(tmp_path):
    result = run(IMAGES / "cat.jpg", "--model", tmp_path / "none.safetensors")
    assert result.returncode == 1
    assert "none.safetensors" in result.stderr and "IO" in result.stderr


def test_missing_image(tmp_path):
    result = run(tmp_path / "none.jpg")
    assert result.returncode == 1
    assert "none.jpg" in result.stderr


def test_bad_top_k(model_path):
    result = run(IMAGES / "cat.jpg", "--model", model_path, "--top-k", "0")
    assert result.returncode == 1
    assert "top_k" in result.stderr


def test_16_bit_png(model, cat_rgb, tmp_path):
    """A 16-bit PNG is scaled to 8 bits (v >> 8), not clipped to white."""
    gray = np.asarray(Image.fromarray(cat_rgb).convert("L"))
    path = tmp_path / "gray16.png"
    Image.fromarray((gray.astype(np.uint16) * 257)).save(path)
    result = run(path, "--model", model.path, "--top-k", "1")
    assert result.returncode == 0, result.stderr
    top = model.classify(np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2)), top_k=1)[0]
    assert top.label in result.stdout.splitlines()[1]
    white = model.classify(np.full((300, 451, 3), 255, np.uint8), top_k=1)[0]
    assert top.index != white.index


SIMILAR = REPO / "examples" / "python" / "similar.py"


def test_similar_finds_the_same_photo(tmp_path):
    # An index of the two photos, a flipped cat and a file that is no image:
    # the flipped cat's nearest neighbour is the cat, and the broken file is
    # reported, not fatal.
    (tmp_path / "index").mkdir()
    for name in ("cat.jpg", "coffee.png"):
        (tmp_path / "index" / name).write_bytes((IMAGES / name).read_bytes())
    (tmp_path / "index" / "broken.png").write_bytes(b"not a png")
    flipped = tmp_path / "flipped.png"
    Image.open(IMAGES / "cat.jpg").transpose(Image.FLIP_LEFT_RIGHT).save(flipped)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(mobilenet.__file__)) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, str(SIMILAR), str(tmp_path / "index"), str(flipped), "--top", "2"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "skipping" in result.stderr and "broken.png" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(flipped)
    first, second = (float(l.split()[0]) for l in lines[1:3])
    assert lines[1].endswith("cat.jpg") and first > second and first > 0.8
