#!/usr/bin/env bash
# tests/cli/run.sh PREFIX -- tests the INSTALLED mobilenet-cli (make install
# PREFIX=...) as a user runs it:
#
#   1. PREFIX/bin/mobilenet-cli needs no Swift libraries (ldd), --version
#      names the CLI's and the library's version (the header's)
#   2. the default model is found from the executable's real path: run through
#      PATH and through a symlink in another directory, from a directory with
#      no models/; a copy whose PREFIX/share holds a broken model must load
#      that one (the error names it), also through a symlink
#   3. batches: every file is classified, each failure is reported with the
#      OS's or the decoder's reason, the exit status is then 1; --json has an
#      entry per file with predictions or an "error"
#   4. numbers: negative values are parsed as values and refused as out of
#      range (not "unknown option")
#   5. EXIF orientation: tests/cli/cat_exif_orientation_{5,6,8}.jpg (cat.jpg
#      stored turned, with the tag that turns it back) classify like cat.jpg,
#      at cat.jpg's size; malformed Exif segments are ignored
#   6. fine-tuning: tests/cli/make_dataset.py makes a two-class image folder
#      (crops, flips, grayscale and RGBA PNGs of cat.jpg and coffee.png, and a
#      file that does not decode) and the same images as a TFRecord;
#      train --fine-tune head from each gives a model with the two labels that
#      classifies them right; evaluate --json is consistent; embed --output
#      equals the Python binding's Model.embed; a corrupted TFRecord is
#      refused; --resume continues the global step, bit for bit (needs numpy)
#   7. make install / uninstall into a staging DESTDIR with a custom DATADIR:
#      the layout, mobilenet.pc's datadir and model, and nothing left after
#      uninstall
#
# Needs python3 (JSON checks, crafted JPEGs). Exits non-zero on any failure.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX   (where 'make install PREFIX=...' put libmobilenet and mobilenet-cli)" >&2
    exit 2
fi
prefix=$(cd "$1" 2>/dev/null && pwd) || { echo "run.sh: no such directory: $1" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
images="$root/examples/images"
model_name=mobilenet_v1_1.0_224.safetensors

failures=0
passes=0
pass() { passes=$((passes + 1)); echo "  ok    $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL  $*"; }
step() { echo; echo "== $*"; }
indent() { sed 's/^/        /'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mobilenet-cli-tests.XXXXXX")
cleanup() { if [ -z "${KEEP_BUILD:-}" ]; then rm -rf "$work"; else echo "work directory kept: $work"; fi; }
trap cleanup EXIT

cli="$prefix/bin/mobilenet-cli"
step "installed CLI $cli"
if [ -x "$cli" ]; then pass "bin/mobilenet-cli"; else fail "bin/mobilenet-cli missing or not executable"; exit 1; fi
command -v python3 >/dev/null || { fail "python3 is needed for the JSON checks"; exit 1; }
# Every run below starts from a directory with no models/ and without
# MOBILENET_MODEL, so only the executable's location can lead to the model.
cd "$work" || exit 1
unset MOBILENET_MODEL

if ldd "$cli" >"$work/ldd.txt" 2>&1; then
    if grep -qi swift "$work/ldd.txt"; then
        fail "mobilenet-cli needs Swift libraries:"; grep -i swift "$work/ldd.txt" | indent
    elif grep -q "not found" "$work/ldd.txt"; then
        fail "mobilenet-cli has unresolved libraries:"; grep "not found" "$work/ldd.txt" | indent
    else
        pass "ldd: no Swift libraries ($(awk '{print $1}' "$work/ldd.txt" | tr '\n' ' '))"
    fi
else
    fail "ldd $cli"; indent <"$work/ldd.txt"
fi
header_version=$(sed -n 's/^#define MOBILENET_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/mobilenet.h")
version=$("$cli" --version 2>&1)
if [ -n "$header_version" ] && [ "$version" = "mobilenet-cli $header_version, libmobilenet $header_version (built in)" ]; then
    pass "--version: $version"
else
    fail "--version printed '$version' (header version '$header_version')"
fi

# top1 FILE: the label of the first prediction in text output FILE.
top1() { sed -n '2s/^ *1\. *[0-9.]*%  \(.*\) \[[0-9]*\]$/\1/p' "$1"; }

step "default model from the executable's real path"
mkdir -p "$work/elsewhere/bin" "$work/links"
ln -s "$cli" "$work/links/mobilenet-cli"
if PATH="$prefix/bin:/usr/bin:/bin" mobilenet-cli classify "$images/cat.jpg" >"$work/path.out" 2>&1 \
    && [ "$(top1 "$work/path.out")" = "Egyptian cat" ]; then
    pass "through PATH: $(sed -n 2p "$work/path.out" | sed 's/^ *//')"
else
    fail "through PATH:"; indent <"$work/path.out"
fi
if PATH="$work/links:/usr/bin:/bin" mobilenet-cli classify "$images/cat.jpg" >"$work/link.out" 2>&1 \
    && [ "$(top1 "$work/link.out")" = "Egyptian cat" ]; then
    pass "through a symlink in another directory (in PATH)"
else
    fail "through a symlink in another directory:"; indent <"$work/link.out"
fi
if "$work/links/mobilenet-cli" classify "$images/cat.jpg" >"$work/link2.out" 2>&1 && cmp -s "$work/link.out" "$work/link2.out"; then
    pass "through the symlink by its path"
else
    fail "through the symlink by its path:"; indent <"$work/link2.out"
fi
# A copy in another prefix whose share/mobilenet holds a broken model: that one,
# and no other, must be loaded, also when the copy is started through a symlink
# from a directory whose ../share has nothing.
cp "$cli" "$work/elsewhere/bin/mobilenet-cli"
mkdir -p "$work/elsewhere/share/mobilenet" "$work/linkdir/bin"
printf 'not a model' >"$work/elsewhere/share/mobilenet/$model_name"
ln -s "$work/elsewhere/bin/mobilenet-cli" "$work/linkdir/bin/mobilenet-cli"
for runner in "$work/elsewhere/bin/mobilenet-cli" "$work/linkdir/bin/mobilenet-cli"; do
    "$runner" classify "$images/cat.jpg" >"$work/broken.out" 2>"$work/broken.err"
    rc=$?
    if [ $rc -ne 0 ] && grep -qF "$work/elsewhere/share/mobilenet/$model_name" "$work/broken.err"; then
        pass "$(basename "$(dirname "$(dirname "$runner")")")/bin/mobilenet-cli loads ../share/mobilenet of its real path: $(head -n 1 "$work/broken.err")"
    else
        fail "$runner (exit $rc) did not load $work/elsewhere/share/mobilenet/$model_name:"; indent <"$work/broken.err"
    fi
done
rm "$work/elsewhere/share/mobilenet/$model_name"
"$work/elsewhere/bin/mobilenet-cli" classify "$images/cat.jpg" >/dev/null 2>"$work/none.err"
rc=$?
if [ ! -e /usr/local/share/mobilenet/$model_name ] && [ ! -e /usr/share/mobilenet/$model_name ]; then
    if [ $rc -eq 1 ] && grep -qF "$work/elsewhere/share/mobilenet/$model_name" "$work/none.err" \
        && grep -q "MOBILENET_MODEL" "$work/none.err"; then
        pass "no model anywhere: exit 1, lists the places searched"
    else
        fail "no model anywhere: exit $rc:"; indent <"$work/none.err"
    fi
else
    echo "  (a system-wide $model_name exists: the no-model case is not tested)"
fi
if MOBILENET_MODEL="$prefix/share/mobilenet/$model_name" "$work/elsewhere/bin/mobilenet-cli" classify "$images/cat.jpg" \
    >"$work/env.out" 2>&1 && cmp -s "$work/env.out" "$work/path.out"; then
    pass "MOBILENET_MODEL is used"
else
    fail "MOBILENET_MODEL not used:"; indent <"$work/env.out"
fi
if "$work/elsewhere/bin/mobilenet-cli" classify --model "$prefix/share/mobilenet/$model_name" "$images/cat.jpg" \
    >"$work/opt.out" 2>&1 && cmp -s "$work/opt.out" "$work/path.out"; then
    pass "--model is used"
else
    fail "--model not used:"; indent <"$work/opt.out"
fi

step "batches: every file, each failure with its reason, exit 1"
mkdir -p "$work/a-directory"
printf 'not an image' >"$work/not-an-image.jpg"
batch=("$images/cat.jpg" "$work/missing.jpg" "$work/a-directory" "$work/not-an-image.jpg" "$images/coffee.png")
"$cli" classify --top-k 2 "${batch[@]}" >"$work/batch.out" 2>"$work/batch.err"
rc=$?
if [ $rc -eq 1 ]; then pass "exit 1 when some files failed"; else fail "exit $rc (expected 1)"; fi
if [ "$(grep -c '^[^ ].* ([0-9]*x[0-9]*)$' "$work/batch.out")" -eq 2 ] && grep -q '^.*cat.jpg (451x300)$' "$work/batch.out" \
    && grep -q '^.*coffee.png (360x240)$' "$work/batch.out"; then
    pass "both readable images classified, including the one after the failures"
else
    fail "stdout:"; indent <"$work/batch.out"
fi
for expected in "$work/missing.jpg: No such file or directory" "$work/a-directory: Is a directory" \
    "$work/not-an-image.jpg: cannot decode image: unknown image type" "3 of 5 images failed"; do
    if grep -qF "mobilenet-cli: $expected" "$work/batch.err"; then pass "stderr: $expected"; else fail "stderr lacks '$expected':"; indent <"$work/batch.err"; fi
done
"$cli" classify --json --top-k 2 "${batch[@]}" >"$work/batch.json" 2>"$work/batch-json.err"
rc=$?
if [ $rc -eq 1 ]; then pass "--json: exit 1"; else fail "--json: exit $rc (expected 1)"; fi
if python3 - "$work/batch.json" "${batch[@]}" >"$work/json-check.out" 2>&1 <<'EOF'
import json, sys
entries = json.load(open(sys.argv[1]))
files = sys.argv[2:]
assert [e["image"] for e in entries] == files, "one entry per file, in order"
expected_errors = {1: "No such file or directory", 2: "Is a directory", 3: "cannot decode image: unknown image type"}
for i, entry in enumerate(entries):
    if i in expected_errors:
        assert entry.get("error") == expected_errors[i], entry
        assert "predictions" not in entry, entry
    else:
        assert "error" not in entry, entry
        assert len(entry["predictions"]) == 2, entry
        assert all(set(p) == {"index", "label", "probability"} for p in entry["predictions"]), entry
assert entries[0]["predictions"][0]["label"] == "Egyptian cat", entries[0]
assert (entries[0]["width"], entries[0]["height"]) == (451, 300), entries[0]
assert entries[4]["predictions"][0]["label"] == "espresso", entries[4]
print("5 entries: 2 with predictions, 3 with the expected errors")
EOF
then
    pass "--json: $(cat "$work/json-check.out")"
else
    fail "--json output:"; indent <"$work/json-check.out"; head -n 40 "$work/batch.json" | indent
fi
mkfifo "$work/a-fifo"
timeout 60 "$cli" classify "$work/a-fifo" >/dev/null 2>"$work/fifo.err"
rc=$?
if [ $rc -eq 1 ] && grep -qF "mobilenet-cli: $work/a-fifo: not a regular file" "$work/fifo.err"; then
    pass "a FIFO: refused without waiting for a writer"
else
    fail "a FIFO: exit $rc (124 = hung):"; indent <"$work/fifo.err"
fi
"$cli" classify "$images/cat.jpg" "$images/coffee.png" >/dev/null 2>"$work/ok.err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$work/ok.err" ]; then pass "all readable: exit 0, nothing on stderr"; else fail "all readable: exit $rc"; indent <"$work/ok.err"; fi

step "negative numbers are values, refused by range"
# expect_range_error CODE TEXT ARGS...: exit CODE, stderr contains TEXT and no "Unknown option"
# A .tflite model: describe names its precision, classify and profile run it.
tfl="$root/tests/fixtures/tflite/mobilenet_v1_1.0_224_int8.tflite"
if "$cli" describe --json --model "$tfl" >"$work/tfl_describe.json" 2>&1 \
    && python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["precision"] == "int8" and d["num_classes"] == 1001 and d["labels"][0] == "background", d' "$work/tfl_describe.json"; then
    pass "describe --json of an int8 .tflite: precision int8, 1001 classes, ImageNet labels"
else
    fail "describe of the int8 .tflite:"; head -c 600 "$work/tfl_describe.json" | indent
fi
if "$cli" classify --model "$tfl" "$images/cat.jpg" >"$work/tfl_classify.out" 2>&1 && grep -q "cat" "$work/tfl_classify.out"; then
    pass "classify with the int8 .tflite: $(sed -n 2p "$work/tfl_classify.out" | sed 's/^ *//')"
else
    fail "classify with the int8 .tflite:"; indent <"$work/tfl_classify.out"
fi
if "$cli" profile --model "$tfl" --iterations 2 --threads 1 >"$work/tfl_profile.out" 2>&1 && grep -q "kernels, int8, " "$work/tfl_profile.out"; then
    pass "profile of the int8 .tflite names its precision"
else
    fail "profile of the int8 .tflite:"; indent <"$work/tfl_profile.out"
fi

# quantize: a float model and a folder of images in, an int8 .tflite out.
float_model="$prefix/share/mobilenet/$model_name"
mkdir -p "$work/calib/more"
cp "$images/cat.jpg" "$work/calib/"
cp "$images/coffee.png" "$work/calib/more/"
printf 'not an image' >"$work/calib/notes.txt"
if "$cli" quantize "$float_model" --calibration "$work/calib" --output "$work/q.tflite" --threads 2 \
        >"$work/quantize.out" 2>"$work/quantize.err" \
    && grep -q "int8, 224x224, .* calibrated on 2 images" "$work/quantize.out" \
    && grep -q "notes.txt: cannot decode image.*(skipped)" "$work/quantize.err"; then
    pass "quantize: $(head -n 1 "$work/quantize.out" | sed "s|$work/||"); the text file skipped"
else
    fail "quantize:"; indent <"$work/quantize.out"; indent <"$work/quantize.err"
fi
if "$cli" describe --json --model "$work/q.tflite" >"$work/q_describe.json" 2>&1 \
    && python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["precision"] == "int8" and d["num_classes"] == 1001 and d["labels"][0] == "background", d' "$work/q_describe.json" \
    && "$cli" classify --model "$work/q.tflite" "$images/cat.jpg" >"$work/q_classify.out" 2>&1 \
    && grep -q "cat" "$work/q_classify.out"; then
    pass "the quantized file: describe says int8 with the labels; classify: $(sed -n 2p "$work/q_classify.out" | sed 's/^ *//')"
else
    fail "the quantized file:"; head -c 600 "$work/q_describe.json" | indent; indent <"$work/q_classify.out"
fi
"$cli" quantize "$float_model" --calibration "$work/calib" --output "$work/no/such/dir/q.tflite" >/dev/null 2>"$work/q_io.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "no/such/dir" "$work/q_io.err" && [ ! -e "$work/no" ]; then
    pass "quantize into a missing folder: exit 1, $(tail -n 1 "$work/q_io.err" | sed "s|$work/||")"
else
    fail "quantize into a missing folder: exit $rc"; indent <"$work/q_io.err"
fi
"$cli" quantize "$work/q.tflite" --calibration "$work/calib" --output "$work/q2.tflite" >/dev/null 2>"$work/q_again.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "already int8" "$work/q_again.err" && [ ! -e "$work/q2.tflite" ]; then
    pass "quantize of an int8 file: exit 1, $(head -n 1 "$work/q_again.err" | sed "s|$work/||")"
else
    fail "quantize of an int8 file: exit $rc"; indent <"$work/q_again.err"
fi
mkdir -p "$work/empty_calib"
"$cli" quantize "$float_model" --calibration "$work/empty_calib" --output "$work/q3.tflite" >/dev/null 2>"$work/q_empty.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "no image decodes" "$work/q_empty.err" && [ ! -e "$work/q3.tflite" ]; then
    pass "quantize with no images: exit 1, $(head -n 1 "$work/q_empty.err" | sed "s|$work/||")"
else
    fail "quantize with no images: exit $rc"; indent <"$work/q_empty.err"
fi

expect_range_error() {
    local want=$1 text=$2
    shift 2
    "$cli" "$@" >"$work/neg.out" 2>"$work/neg.err"
    local rc=$?
    if [ $rc -eq "$want" ] && grep -qF -- "$text" "$work/neg.err" && ! grep -qi "unknown option" "$work/neg.err"; then
        pass "$*: exit $rc, $(head -n 1 "$work/neg.err")"
    else
        fail "$*: exit $rc (expected $want with '$text'):"; indent <"$work/neg.err"
    fi
}
expect_range_error 64 "--top-k must be at least 1, not -1" classify --top-k -1 "$images/cat.jpg"
expect_range_error 64 "--top-k must be at least 1, not -1" classify "$images/cat.jpg" --top-k=-1
expect_range_error 64 "--top-k must be in 1...1001 (the model's classes), not 1002" classify --top-k 1002 "$images/cat.jpg"
expect_range_error 64 "--threads must be in 0...256, not -2" classify --threads -2 "$images/cat.jpg"
expect_range_error 64 "--crop must be in (0, 1], not -0.5" classify --crop -0.5 "$images/cat.jpg"
expect_range_error 64 "width multiplier -0.5 is outside (0, 4]" describe --alpha -0.5
expect_range_error 64 "input size -224x-224 is outside" describe --resolution -224
expect_range_error 64 "iterations outside 1...10000" profile --iterations -3
expect_range_error 64 "--threads must be in 0...256, not -1" profile --threads -1
expect_range_error 64 "--model must not be empty" classify --model "" "$images/cat.jpg"
expect_range_error 64 "--method must be minmax, percentile or mse, not 'kmeans'" quantize m --calibration c --output o --method kmeans
expect_range_error 64 "--limit must be in 1...100000" quantize m --calibration c --output o --limit -1
expect_range_error 64 "--size must be in 1...4096" quantize m --calibration c --output o --size 0

step "EXIF orientation"
"$cli" classify --json --top-k 3 "$images/cat.jpg" "$here"/cat_exif_orientation_{5,6,8}.jpg >"$work/exif.json" 2>"$work/exif.err"
rc=$?
if [ $rc -eq 0 ] && python3 - "$work/exif.json" >"$work/exif-check.out" 2>&1 <<'EOF'
import json, sys
upright, *turned = json.load(open(sys.argv[1]))
labels = lambda e: [p["label"] for p in e["predictions"]]
for entry in turned:
    name = entry["image"].rsplit("/", 1)[-1]
    # Applied, the tag gives cat.jpg's size (stored: 300x451) ...
    assert (entry["width"], entry["height"]) == (451, 300), (name, entry["width"], entry["height"])
    # ... and cat.jpg's classes. The top probability differs only by JPEG
    # re-encoding (<= 1.5 points); turned 180 degrees, mirrored, or not turned, the
    # photo differs from cat.jpg by 6 or more points.
    assert labels(entry) == labels(upright), (name, labels(entry), labels(upright))
    delta = abs(entry["predictions"][0]["probability"] - upright["predictions"][0]["probability"])
    assert delta < 0.025, (name, delta)
    print(f"{name}: 451x300, {labels(entry)[0]}, top-1 within {delta * 100:.2f} points of cat.jpg")
EOF
then
    pass "orientations 5, 6 and 8 applied:"; indent <"$work/exif-check.out"
else
    fail "EXIF orientation (exit $rc):"; indent <"$work/exif-check.out"; indent <"$work/exif.err"
fi
# Malformed Exif segments inserted into cat.jpg after its SOI marker: each must
# be ignored (the same output as cat.jpg), never crash or misread.
python3 - "$images/cat.jpg" "$work" >"$work/craft.out" 2>&1 <<'EOF'
import struct, sys
jpeg = open(sys.argv[1], "rb").read()
assert jpeg[:2] == b"\xff\xd8"
def app1(payload):
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
def tiff(entries, count=None, ifd=8, order=b"MM"):
    e = ">" if order == b"MM" else "<"
    body = order + struct.pack(e + "HI", 42, ifd) + struct.pack(e + "H", len(entries) if count is None else count)
    for tag, typ, n, value in entries:
        body += struct.pack(e + "HHI", tag, typ, n) + struct.pack(e + "H", value) + b"\0\0"
    return b"Exif\0\0" + body + b"\0\0\0\0"
cases = {
    "orientation_9": app1(tiff([(0x0112, 3, 1, 9)])),
    "orientation_0": app1(tiff([(0x0112, 3, 1, 0)])),
    "orientation_wrong_type": app1(tiff([(0x0112, 4, 1, 6)])),
    "orientation_count_2": app1(tiff([(0x0112, 3, 2, 6)])),
    "ifd_offset_past_end": app1(tiff([(0x0112, 3, 1, 6)], ifd=0xFFFFFFF0)),
    "entry_count_past_end": app1(tiff([(0x010F, 2, 1, 0)], count=0xFFFF)),
    "orientation_value_truncated": app1(tiff([(0x0112, 3, 1, 6)])[:-8]),
    "bad_byte_order": app1(tiff([(0x0112, 3, 1, 6)], order=b"XX")),
    "truncated_tiff_header": app1(b"Exif\0\0MM\0"),
    "empty_app1": app1(b""),
    "not_exif": app1(b"http://ns.adobe.com/xap/1.0/\0" + tiff([(0x0112, 3, 1, 6)])[6:]),
}
for name, segment in cases.items():
    open(f"{sys.argv[2]}/exif_{name}.jpg", "wb").write(jpeg[:2] + segment + jpeg[2:])
# The same tag, well formed, little-endian: must be applied (control).
open(f"{sys.argv[2]}/exif_valid_le_6.jpg", "wb").write(jpeg[:2] + app1(tiff([(0x0112, 3, 1, 6)], order=b"II")) + jpeg[2:])
print(len(cases))
EOF
"$cli" classify "$images/cat.jpg" | sed 1d >"$work/upright.out"
for crafted in "$work"/exif_*.jpg; do
    name=$(basename "$crafted" .jpg)
    "$cli" classify "$crafted" >"$work/crafted.out" 2>&1
    rc=$?
    if [ "$name" = exif_valid_le_6 ]; then
        # cat.jpg's pixels with orientation 6: shown turned, 300x451.
        if [ $rc -eq 0 ] && head -n 1 "$work/crafted.out" | grep -q "(300x451)$"; then
            pass "$name: applied (300x451)"
        else
            fail "$name: not applied (exit $rc):"; indent <"$work/crafted.out"
        fi
    elif [ $rc -eq 0 ] && head -n 1 "$work/crafted.out" | grep -q "(451x300)$" \
        && sed 1d "$work/crafted.out" | cmp -s - "$work/upright.out"; then
        pass "$name: ignored"
    else
        fail "$name (exit $rc):"; indent <"$work/crafted.out"
    fi
done

step "fine-tuning: train, evaluate, embed (image folder and TFRecord)"
if ! python3 -c "import numpy" 2>/dev/null; then
    echo "  (numpy is not installed: the fine-tuning tests are skipped)"
elif ! python3 "$here/make_dataset.py" "$images" "$work/data" >"$work/data.out" 2>&1; then
    fail "make_dataset.py:"; indent <"$work/data.out"
else
    data="$work/data"
    # train ARGS...: the run's stdout in train.out, stderr in train.err, its exit status in rc.
    train() { "$cli" train "$@" --epochs 2 --batch-size 4 --threads 2 >"$work/train.out" 2>"$work/train.err"; rc=$?; }
    train "$data/folder" --fine-tune head --output "$work/mine.safetensors"
    if [ $rc -eq 0 ] && grep -q "^epoch 2/2: " "$work/train.out" && [ -f "$work/mine.safetensors" ] \
        && [ -f "$work/mine.safetensors.checkpoint" ] && ! grep -q $'\r' "$work/train.out"; then
        pass "train --fine-tune head: $(grep '^epoch 2/2' "$work/train.out")"
    else
        fail "train --fine-tune head (exit $rc):"; indent <"$work/train.out"; indent <"$work/train.err"
    fi
    if grep -qF "mobilenet-cli: skipping $data/folder/cat/broken.jpg: cannot decode image" "$work/train.err" \
        && [ "$(wc -l <"$work/train.err")" -eq 1 ]; then
        pass "the broken file is reported and skipped: $(cat "$work/train.err")"
    else
        fail "broken.jpg not reported (alone) on stderr:"; indent <"$work/train.err"
    fi
    if grep -q "^  cat  *6 train  *1 validation$" "$work/train.out" && grep -q "^  coffee  *6 train  *1 validation$" "$work/train.out"; then
        pass "class balance printed (6 + 1 per class)"
    else
        fail "class balance:"; indent <"$work/train.out"
    fi
    "$cli" describe --model "$work/mine.safetensors" >"$work/describe.out" 2>&1
    if head -n 1 "$work/describe.out" | grep -q ", 2 classes$" && grep -q "^labels: cat, coffee$" "$work/describe.out"; then
        pass "describe: 2 classes, labels: cat, coffee"
    else
        fail "describe of the trained model:"; indent <"$work/describe.out"
    fi
    # classify_check MODEL: every decodable training image's top-1 is its folder's name.
    classify_check() {
        "$cli" classify --json --top-k 2 --model "$1" "$data"/folder/*/*.png "$data"/folder/cat/original.jpg >"$work/mine.json" 2>"$work/mine.err"
        python3 - "$work/mine.json" <<'EOF2'
import json, os, sys
entries = json.load(open(sys.argv[1]))
wrong = [(e["image"], e["predictions"][0]["label"]) for e in entries
         if e["predictions"][0]["label"] != os.path.basename(os.path.dirname(e["image"]))]
assert len(entries) == 14 and not wrong, wrong
assert all({p["label"] for p in e["predictions"]} == {"cat", "coffee"} for e in entries)
print(f"all {len(entries)} images classified as their folder")
EOF2
    }
    if classify_check "$work/mine.safetensors" >"$work/check.out" 2>&1; then
        pass "classify with the trained model: $(cat "$work/check.out")"
    else
        fail "classify with the trained model:"; indent <"$work/check.out"; indent <"$work/mine.err"
    fi
    "$cli" evaluate --json "$data/folder" --model "$work/mine.safetensors" >"$work/eval.json" 2>"$work/eval.err"
    rc=$?
    if [ $rc -eq 0 ] && python3 - "$work/eval.json" >"$work/eval-check.out" 2>&1 <<'EOF2'
import json, sys
r = json.load(open(sys.argv[1]))
assert {"accuracy", "loss", "per_class", "confusion"} <= set(r), sorted(r)
c = r["confusion"]
assert len(c) == 2 and all(len(row) == 2 for row in c), c
assert [p["label"] for p in r["per_class"]] == ["cat", "coffee"], r["per_class"]
assert [p["support"] for p in r["per_class"]] == [sum(row) for row in c] == [7, 7], c
assert abs(r["accuracy"] - (c[0][0] + c[1][1]) / 14) < 1e-12 and r["accuracy"] == 1.0, r["accuracy"]
for i, p in enumerate(r["per_class"]):
    assert abs(p["recall"] - c[i][i] / sum(c[i])) < 1e-12 and abs(p["precision"] - c[i][i] / (c[0][i] + c[1][i])) < 1e-12, p
assert 0 <= r["loss"] < 0.1 and r["skipped"] == 1, r
print(f"accuracy {r['accuracy']}, loss {r['loss']:.2g}, confusion {c}")
EOF2
    then
        pass "evaluate --json: $(cat "$work/eval-check.out")"
    else
        fail "evaluate --json (exit $rc):"; indent <"$work/eval-check.out"; indent <"$work/eval.err"
    fi
    "$cli" evaluate "$data/folder" >"$work/eval-imagenet.out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && grep -qF "the dataset's classes 'cat', 'coffee' are not among the model's 1001 labels" "$work/eval-imagenet.out"; then
        pass "evaluate: classes the model does not have are refused"
    else
        fail "evaluate with the ImageNet model (exit $rc):"; indent <"$work/eval-imagenet.out"
    fi

    embed_files=("$data"/folder/*/*.png "$data"/folder/cat/original.jpg)
    "$cli" embed --threads 2 --output "$work/x.npy" "${embed_files[@]}" >"$work/embed.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && MOBILENET_LIBRARY="$prefix/lib/libmobilenet.so" PYTHONPATH="$root/bindings/python" \
        python3 - "$prefix/share/mobilenet/$model_name" "$work/x.npy" "${embed_files[@]}" >"$work/embed-check.out" 2>&1 <<'EOF2'
import ctypes, ctypes.util, sys
import numpy as np
import mobilenet
model, npy, *files = sys.argv[1:]
# The binding decodes files with Pillow; stb_image (the CLI's decoder) gives it the same pixels.
stb = ctypes.CDLL(ctypes.util.find_library("stb") or "libstb.so")
stb.stbi_load_from_memory.restype = ctypes.POINTER(ctypes.c_uint8)
stb.stbi_load_from_memory.argtypes = [ctypes.c_char_p, ctypes.c_int] + [ctypes.POINTER(ctypes.c_int)] * 3 + [ctypes.c_int]
def decode(path):
    data = open(path, "rb").read()
    w, h, n = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    p = stb.stbi_load_from_memory(data, len(data), w, h, n, 3)
    a = np.ctypeslib.as_array(p, shape=(h.value, w.value, 3)).copy()
    stb.stbi_image_free(p)
    return a
cli = np.load(npy)
py = mobilenet.Model(model).embed([decode(f) for f in files])
assert cli.dtype == np.float32 and cli.shape == py.shape == (len(files), 1024), (cli.dtype, cli.shape, py.shape)
diff = float(np.abs(cli - py).max())
assert diff <= 1e-6, diff
print(f"{cli.shape[0]} x {cli.shape[1]} float32, max |CLI - Python| = {diff:.2g}")
EOF2
    then
        pass "embed --output x.npy: $(cat "$work/embed-check.out")"
    else
        fail "embed --output (exit $rc):"; indent <"$work/embed.out"; indent <"$work/embed-check.out"
    fi
    "$cli" embed --output "$work/y.npy" "$data/folder/cat/broken.jpg" "$data/folder/cat/left.png" >/dev/null 2>"$work/embed.err"
    rc=$?
    if [ $rc -eq 1 ] && [ ! -e "$work/y.npy" ] && grep -qF "y.npy was not written" "$work/embed.err"; then
        pass "embed: a failed image means exit 1 and no file"
    else
        fail "embed with a broken image (exit $rc):"; indent <"$work/embed.err"
    fi

    train "$data/records" --output "$work/records.safetensors"
    if [ $rc -eq 0 ] && head -n 1 "$work/train.out" | grep -q "^TFRecord .*: 14 files, 2 classes$" \
        && classify_check "$work/records.safetensors" >"$work/check.out" 2>&1; then
        pass "train on a TFRecord: $(cat "$work/check.out")"
    else
        fail "train on a TFRecord (exit $rc):"; indent <"$work/train.out"; indent <"$work/train.err"; indent <"$work/check.out"
    fi
    train "$data/corrupt.tfrecord" --output "$work/corrupt.safetensors"
    if [ $rc -eq 1 ] && grep -q "corrupt.tfrecord: record [0-9]* at byte [0-9]*: data checksum mismatch" "$work/train.err" \
        && [ ! -e "$work/corrupt.safetensors" ]; then
        pass "a corrupted TFRecord is refused: $(grep -o 'record .*' "$work/train.err")"
    else
        fail "corrupted TFRecord (exit $rc):"; indent <"$work/train.err"
    fi

    "$cli" train "$data/folder" --output "$work/half.safetensors" --epochs 1 --batch-size 4 --threads 2 >"$work/half.out" 2>&1
    train "$data/folder" --output "$work/resumed.safetensors" --resume "$work/half.safetensors.checkpoint"
    if [ $rc -eq 0 ] && grep -q "^resuming after epoch 1 (global step 3)$" "$work/train.out" \
        && grep -q "^epoch 2/2: .*step 6, " "$work/train.out" && ! grep -q "^epoch 1/" "$work/train.out" \
        && cmp -s "$work/resumed.safetensors" "$work/mine.safetensors"; then
        pass "--resume: epoch 2 from global step 3 to 6, the same model as the uninterrupted run"
    else
        fail "--resume (exit $rc):"; indent <"$work/half.out"; indent <"$work/train.out"; indent <"$work/train.err"
    fi
    # The same for a recipe that runs the network on distorted crops (seeded per epoch), small and quick.
    crops=(--fine-tune last=1 --batchnorm frozen --resolution 64 --learning-rate 0.001)
    "$cli" train "$data/folder" "${crops[@]}" --output "$work/crops1.safetensors" --epochs 1 --batch-size 4 --threads 2 >"$work/half.out" 2>&1
    # The crop size is not in the checkpoint (the model's resolution is): it is given again, like the batch size.
    train "$data/folder" --output "$work/crops-resumed.safetensors" --resume "$work/crops1.safetensors.checkpoint" --resolution 64
    resumed_rc=$rc
    cp "$work/train.out" "$work/crops-resumed.out"
    train "$data/folder" "${crops[@]}" --output "$work/crops2.safetensors"
    if [ $resumed_rc -eq 0 ] && [ $rc -eq 0 ] && grep -q "^resuming after epoch 1 (global step 3)$" "$work/crops-resumed.out" \
        && cmp -s "$work/crops-resumed.safetensors" "$work/crops2.safetensors"; then
        pass "--resume of --fine-tune last=1 (distorted crops): the same model as the uninterrupted run"
    else
        fail "--resume of last=1 (exit $resumed_rc, $rc):"; indent <"$work/half.out"; indent <"$work/crops-resumed.out"; indent <"$work/train.out"
    fi
fi

step "make install / uninstall (DESTDIR, custom DATADIR)"
stage="$work/stage"
stage_prefix=/opt/mobilenet-test
stage_data=/opt/mobilenet-test/data/models
if make -s -C "$root" install DESTDIR="$stage" PREFIX="$stage_prefix" DATADIR="$stage_data" >"$work/install.log" 2>&1; then
    pass "make install DESTDIR=... PREFIX=$stage_prefix DATADIR=$stage_data"
    (cd "$stage" && find . \( -type f -o -type l \) | LC_ALL=C sort) >"$work/installed.txt"
    version=$header_version
    LC_ALL=C sort >"$work/expected.txt" <<EOF
.$stage_data/$model_name
.$stage_prefix/bin/mobilenet-cli
.$stage_prefix/include/mobilenet.h
.$stage_prefix/lib/libmobilenet.so
.$stage_prefix/lib/libmobilenet.so.0
.$stage_prefix/lib/libmobilenet.so.$version
.$stage_prefix/lib/pkgconfig/mobilenet.pc
EOF
    if diff -u "$work/expected.txt" "$work/installed.txt" >"$work/layout.diff"; then
        pass "installed exactly: $(tr '\n' ' ' <"$work/installed.txt")"
    else
        fail "installed files differ (- expected, + installed):"; indent <"$work/layout.diff"
    fi
    pc="$stage$stage_prefix/lib/pkgconfig/mobilenet.pc"
    datadir=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --variable=datadir mobilenet)
    model=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --variable=model mobilenet)
    if [ "$datadir" = "$stage_data" ] && [ "$model" = "$stage_data/$model_name" ] && [ -f "$stage$model" ]; then
        pass "mobilenet.pc: datadir=$datadir, model=$model (installed)"
    else
        fail "mobilenet.pc: datadir '$datadir', model '$model'"
    fi
    if make -s -C "$root" uninstall DESTDIR="$stage" PREFIX="$stage_prefix" DATADIR="$stage_data" >"$work/uninstall.log" 2>&1; then
        left=$(cd "$stage" && find . \( -type f -o -type l \) | sort)
        if [ -z "$left" ]; then pass "make uninstall removed every file"; else fail "make uninstall left: $left"; fi
        if [ ! -d "$stage$stage_data" ]; then pass "and the emptied DATADIR"; else fail "make uninstall left the empty DATADIR $stage_data"; fi
    else
        fail "make uninstall"; indent <"$work/uninstall.log"
    fi
else
    fail "make install into $stage"; tail -n 30 "$work/install.log" | indent
fi

echo
echo "CLI tests: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
