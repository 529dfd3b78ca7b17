#!/usr/bin/env python3
"""TensorFlow reference fixtures for the trainer (tests/fixtures/training/).

Why: mobilenet_trainer_* claims TF-Slim's training semantics (nets/
mobilenet_v1.py + train_image_classifier.py, dropout off). This tool builds
that training explicitly with TensorFlow ops (no Keras layers; GradientTape
for the gradients; TF1's optimizer kernels through tf.raw_ops) in float64 and
in float32, runs a few steps per case and writes what the library must
reproduce, so the pytest suite needs no TensorFlow.

Semantics reproduced (docs: include/mobilenet.h, "Training"):
  - layer = relu6(batchnorm(conv(x))), SAME padding (TF's rule: the extra
    pixel of a stride-2 layer at the bottom/right), depthwise without bias;
    global average pool over the whole map; Logits = 1x1 conv + bias.
  - loss = mean softmax cross-entropy against onehot * (1 - ls) + ls / K;
    the reported loss excludes the L2 term.
  - BatchNorm eps from the model (0.001). "train": batch mean and biased
    variance over N*H*W, then EVERY layer's moving statistics are updated:
    mm -= (1 - decay) * (mm - mean); mv -= (1 - decay) * (mv - var * n / max(n - 1, 1)).
    "frozen": moving statistics, nothing updated. gamma/beta train with
    their layer in both modes.
  - weight decay: gradient of wd / 2 * sum(w^2) for Conv2d_0, pointwise and
    Logits weights of trainable layers (not depthwise, biases or BatchNorm).
  - optimizers: ResourceApplyRMSProp (ms slot starts at ones, mom at zeros),
    ResourceApplyMomentum (no Nesterov), ResourceApplyGradientDescent,
    ResourceApplyAdam (beta powers start at beta1 / beta2 and are multiplied
    by them after each step, as TF1's AdamOptimizer).
  - trainable: the layer named by trainable_from and every later layer.
  Hyperparameters are used as the float32 values the C struct holds.

Per case, tests/fixtures/training/<case>/ holds
  case.json      options (mobilenet_train_options field names), steps, batch,
                 height, width, "init" (the starting model, a path relative
                 to the case folder, or {"random_init": recipe}: the file
                 random_init(recipe) below writes, made with
                 tools/make_random_model.py's functions), "init_sha256" of
                 that file, the TF float32
                 errors, and "tensor_names" (every tensor TF holds: variables,
                 slots, beta powers);
  batches.npz    `inputs` float32 [steps, N, H, W, 3] (absent when case.json
                 "inputs" names fixture tensors instead) and `labels` int32
                 [steps, N];
  expected.npz   the float64 run: `loss` [steps] and, after the last step,
                 every tensor the steps change (trainable variables, their
                 slots, beta powers, and in "train" mode every moving
                 statistic) under its TF name; tensors not listed are
                 unchanged (the test checks they keep their bits). Of the
                 float32 TF run, `f32:loss` and (case.json) each tensor's
                 error; its tensors are not stored, to keep the folder small.
                 A tensor of more than SAMPLE elements is stored as the
                 elements [0::s] of its flattened (row-major TF shape)
                 value, with s under `stride:<name>` (s >= size / SAMPLE and
                 coprime with the last dimension, so every output channel
                 is sampled); the float32 errors are measured on the whole
                 tensors. Without a stride entry a tensor is whole, TF shape.
                 `f32err:<name>` (scalar) is that tensor's TF float32 update
                 error (below).
  init.safetensors  (rmsprop_train only) the alpha 0.25 / 10-class starting
                 model the other alpha 0.25 cases reference.

tf_f32_update_errors (case.json) holds, per stored tensor,
|| u32 - u64 || / || u64 || with u = value after the steps - value before
(slots: minus their initial value); tf_f32_update_error is the largest of
them and tf_f32_loss_error the same measure for the loss vector: how far
TensorFlow's own float32 lands from exact arithmetic.

--self-check also runs an independent numpy float64 forward pass (train
and frozen BatchNorm) against the TF float64 graph, and a central finite
difference of the TF float64 loss along a random direction against the tape
gradient, and fails if they disagree.

TensorFlow runs single-threaded with oneDNN off, as the other TF tools.
Usage: tools/make_training_fixtures.py [--self-check] [--only CASE ...] [--out DIR]
"""

import argparse
import hashlib
import json
import math
import os
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import make_random_model  # noqa: E402
import mobilenet_spec  # noqa: E402
import safetensors_io  # noqa: E402

PREFIX = mobilenet_spec.PREFIX
LOGITS_W = PREFIX + "Logits/Conv2d_1c_1x1/weights"
LOGITS_B = PREFIX + "Logits/Conv2d_1c_1x1/biases"
OUT = os.path.join(REPO, "tests", "fixtures", "training")
BUNDLED = os.path.join("models", "mobilenet_v1_1.0_224.safetensors")  # relative to REPO
SAMPLE = 512

DEFAULTS = dict(optimizer="rmsprop", learning_rate=0.01, momentum=0.9, rmsprop_decay=0.9,
                epsilon=1.0, weight_decay=4e-5, label_smoothing=0.0, batchnorm="train",
                batchnorm_decay=0.9997, trainable_from="", adam_beta1=0.9, adam_beta2=0.999)

# The alpha 0.25 starting model: tools/make_random_model.py with these flags.
# A small logit scale keeps the first steps' gradients small: with
# BatchNorm in train mode the gradients of a random deep network grow
# towards the input, and RMSProp at lr 0.01 then takes steps large enough to
# make three steps chaotic (TF float32 vs float64 differing by 20% in the
# median tensor at logit scale 1; 1.5% at 0.02).
A025 = dict(alpha=0.25, resolution=32, num_classes=10, seed=25, logit_scale=0.02)
A025_INIT = "../rmsprop_train/init.safetensors"

CASES = {
    "rmsprop_train": dict(init=A025, store_init=True, options=dict(), batch=2, height=33,
                          width=47, steps=3, seed=1),
    "momentum_frozen": dict(init=A025, options=dict(optimizer="momentum", learning_rate=0.05,
                                                    momentum=0.9, batchnorm="frozen",
                                                    trainable_from="Conv2d_11_depthwise",
                                                    weight_decay=4e-5),
                            batch=3, height=40, width=36, steps=3, seed=2),
    "sgd_smoothing": dict(init=A025, options=dict(optimizer="sgd", learning_rate=0.1,
                                                  label_smoothing=0.1, batchnorm="frozen",
                                                  weight_decay=1e-3),
                          batch=1, height=32, width=32, steps=3, seed=3),
    "adam_partial": dict(init=A025, options=dict(optimizer="adam", learning_rate=0.001,
                                                 epsilon=1e-4, adam_beta1=0.8, adam_beta2=0.99,
                                                 trainable_from="Conv2d_13_pointwise",
                                                 batchnorm_decay=0.9),
                         batch=2, height=40, width=24, steps=3, seed=4),
    "alpha_050": dict(init=dict(alpha=0.5, resolution=32, num_classes=10, seed=50,
                                logit_scale=0.02),
                      options=dict(optimizer="sgd", learning_rate=0.01, batchnorm_decay=0.99),
                      # 40x40: a 2x2 final map (8 values per BatchNorm channel);
                      # at 24x40 (4 values) float32 is 30% off in the median tensor.
                      batch=2, height=40, width=40, steps=2, seed=5),
    "alpha_075": dict(init=dict(alpha=0.75, resolution=32, num_classes=10, seed=75,
                                logit_scale=1.0),
                      options=dict(optimizer="momentum", learning_rate=0.01, momentum=0.5,
                                   batchnorm="frozen"),
                      batch=2, height=24, width=24, steps=2, seed=6),
    # The bundled model fine-tuned on the two example photos towards
    # neighbouring classes (tabby 282, cup 969), so the gradients are not tiny.
    "bundled_frozen": dict(init=BUNDLED, options=dict(batchnorm="frozen",
                                                      trainable_from="Conv2d_13_pointwise"),
                           batch=2, height=224, width=224, steps=2,
                           inputs=[["tf_reference_cat.safetensors:input_224",
                                    "tf_reference_coffee.safetensors:input_224"],
                                   ["tf_reference_coffee.safetensors:input_224:flip",
                                    "tf_reference_cat.safetensors:input_224:flip"]],
                           labels=[[282, 969], [969, 282]]),
}


# ---------------------------------------------------------------------------
# Network description (numpy / stdlib only: the tests import these)


def network(tensors):
    """[(scope, kind, stride)] in network order (separable variant), and Logits."""
    out = [("Conv2d_0", "conv", 2)]
    for i, stride in enumerate(mobilenet_spec.BLOCK_STRIDES, start=1):
        out.append((f"Conv2d_{i}_depthwise", "depthwise", stride))
        out.append((f"Conv2d_{i}_pointwise", "pointwise", 1))
    for scope, kind, _ in out:
        key = PREFIX + scope + ("/depthwise_weights" if kind == "depthwise" else "/weights")
        if key not in tensors:
            raise ValueError(f"{key} missing: only the separable variant is supported here")
    return out


def weight_name(scope, kind):
    return PREFIX + scope + ("/depthwise_weights" if kind == "depthwise" else "/weights")


def trainable_names(tensors, trainable_from):
    """TF names of the trainable variables, in network order."""
    layers = network(tensors)
    scopes = [s for s, _, _ in layers] + ["Logits"]
    if trainable_from and trainable_from not in scopes:
        raise ValueError(f"unknown layer {trainable_from!r}")
    first = scopes.index(trainable_from) if trainable_from else 0
    names = []
    for scope, kind, _ in layers[first:]:
        names += [weight_name(scope, kind), PREFIX + scope + "/BatchNorm/gamma",
                  PREFIX + scope + "/BatchNorm/beta"]
    return names + [LOGITS_W, LOGITS_B]


def decayed(name):
    """Weight decay applies to full-conv, pointwise and Logits weights."""
    return name.endswith("/weights")


SLOTS = {"rmsprop": ("RMSProp", "RMSProp_1"), "momentum": ("Momentum",), "sgd": (),
         "adam": ("Adam", "Adam_1")}


def slot_initial(slot):
    return 1.0 if slot == "RMSProp" else 0.0


def sample_stride(shape):
    """The stride of the stored sample of a tensor (1 = whole)."""
    size = int(np.prod(shape)) if len(shape) else 1
    if size <= SAMPLE:
        return 1
    s = -(-size // SAMPLE)
    last = int(shape[-1])
    while math.gcd(s, last) != 1:
        s += 1
    return s


def random_init(recipe):
    """(tensors dict, metadata) of a tools/make_random_model.py recipe."""
    tensors = make_random_model.random_tensors("separable", recipe["alpha"], recipe["num_classes"],
                                               recipe["seed"], recipe["logit_scale"])
    meta = make_random_model.metadata("separable", recipe["alpha"], recipe["resolution"],
                                      recipe["num_classes"], recipe["seed"], False, 0.001)
    meta["source"] += f" --logit-scale {recipe['logit_scale']}"
    return tensors, meta


def fixture_input(spec, fixtures_dir):
    """'file:tensor[:flip]' -> float32 [H, W, 3] (flip = mirrored left-right)."""
    parts = spec.split(":")
    tensors, _ = safetensors_io.load(os.path.join(fixtures_dir, parts[0]))
    x = np.array(tensors[parts[1]][0], dtype=np.float32)
    if parts[2:] == ["flip"]:
        x = np.ascontiguousarray(x[:, ::-1, :])
    return x


# ---------------------------------------------------------------------------
# TensorFlow training


def f32(v):
    return float(np.float32(v))


class TFTrainer:
    """TF-Slim MobileNet v1 training, explicit TF ops, in dtype."""

    def __init__(self, tf, tensors, eps, options, dtype):
        self.tf = tf
        self.dt = tf.float64 if dtype == np.float64 else tf.float32
        self.np_dt = dtype
        self.o = {k: (f32(v) if isinstance(v, float) else v) for k, v in options.items()}
        self.eps = eps
        self.layers = network(tensors)
        self.vars = {n: tf.Variable(np.asarray(a, dtype=dtype), name=n.replace("/", "_"))
                     for n, a in tensors.items()}
        self.trainable = trainable_names(tensors, self.o["trainable_from"])
        self.num_classes = int(tensors[LOGITS_B].shape[0])
        self.slots = {}
        for n in self.trainable:
            for s in SLOTS[self.o["optimizer"]]:
                init = np.full(tensors[n].shape, slot_initial(s), dtype=dtype)
                self.slots[f"{n}/{s}"] = tf.Variable(init)
        if self.o["optimizer"] == "adam":
            self.slots["beta1_power"] = tf.Variable(np.asarray(self.o["adam_beta1"], dtype))
            self.slots["beta2_power"] = tf.Variable(np.asarray(self.o["adam_beta2"], dtype))

    def c(self, v):
        return self.tf.constant(v, self.dt)

    def forward(self, x, train):
        """(logits [N, K], {scope: (mean, biased var, n)})."""
        tf = self.tf
        v = self.vars
        stats = {}
        for scope, kind, stride in self.layers:
            s = [1, stride, stride, 1]
            w = v[weight_name(scope, kind)]
            if kind == "depthwise":
                x = tf.nn.depthwise_conv2d(x, w, s, "SAME")
            else:
                x = tf.nn.conv2d(x, w, s, "SAME")
            bn = PREFIX + scope + "/BatchNorm/"
            if train:
                mean, var = tf.nn.moments(x, axes=[0, 1, 2])
                n = int(x.shape[0]) * int(x.shape[1]) * int(x.shape[2])
                stats[scope] = (mean, var, n)
            else:
                mean, var = v[bn + "moving_mean"], v[bn + "moving_variance"]
            x = (x - mean) * (tf.math.rsqrt(var + self.c(self.eps)) * v[bn + "gamma"]) + v[bn + "beta"]
            x = tf.nn.relu6(x)
        x = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        x = tf.nn.conv2d(x, v[LOGITS_W], [1, 1, 1, 1], "SAME") + v[LOGITS_B]
        return tf.squeeze(x, [1, 2]), stats

    def losses(self, x, labels, train):
        tf = self.tf
        logits, stats = self.forward(x, train)
        k = self.num_classes
        ls = self.o["label_smoothing"]
        targets = tf.one_hot(labels, k, dtype=self.dt) * self.c(1.0 - ls) + self.c(ls / k)
        ce = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits))
        wd = self.o["weight_decay"]
        l2 = [tf.reduce_sum(tf.square(self.vars[n])) for n in self.trainable if decayed(n)]
        total = ce + self.c(wd / 2) * tf.add_n(l2) if wd > 0 and l2 else ce
        return ce, total, stats, logits

    def step(self, x, labels):
        tf = self.tf
        train = self.o["batchnorm"] == "train"
        x = tf.constant(np.asarray(x, self.np_dt))
        labels = tf.constant(np.asarray(labels, np.int32))
        watched = [self.vars[n] for n in self.trainable]
        with tf.GradientTape() as tape:
            ce, total, stats, _ = self.losses(x, labels, train)
        grads = tape.gradient(total, watched)
        o = self.o
        lr = self.c(o["learning_rate"])
        for name, var, g in zip(self.trainable, watched, grads):
            if o["optimizer"] == "rmsprop":
                tf.raw_ops.ResourceApplyRMSProp(
                    var=var.handle, ms=self.slots[name + "/RMSProp"].handle,
                    mom=self.slots[name + "/RMSProp_1"].handle, lr=lr,
                    rho=self.c(o["rmsprop_decay"]), momentum=self.c(o["momentum"]),
                    epsilon=self.c(o["epsilon"]), grad=g)
            elif o["optimizer"] == "momentum":
                tf.raw_ops.ResourceApplyMomentum(
                    var=var.handle, accum=self.slots[name + "/Momentum"].handle, lr=lr, grad=g,
                    momentum=self.c(o["momentum"]), use_nesterov=False)
            elif o["optimizer"] == "sgd":
                tf.raw_ops.ResourceApplyGradientDescent(var=var.handle, alpha=lr, delta=g)
            elif o["optimizer"] == "adam":
                tf.raw_ops.ResourceApplyAdam(
                    var=var.handle, m=self.slots[name + "/Adam"].handle,
                    v=self.slots[name + "/Adam_1"].handle,
                    beta1_power=self.slots["beta1_power"].read_value(),
                    beta2_power=self.slots["beta2_power"].read_value(), lr=lr,
                    beta1=self.c(o["adam_beta1"]), beta2=self.c(o["adam_beta2"]),
                    epsilon=self.c(o["epsilon"]), grad=g, use_nesterov=False)
            else:
                raise ValueError(o["optimizer"])
        if o["optimizer"] == "adam":
            for k in ("1", "2"):
                p = self.slots[f"beta{k}_power"]
                p.assign(p * self.c(o[f"adam_beta{k}"]))
        if train:
            one_minus = self.c(1.0 - o["batchnorm_decay"])
            for scope, (mean, var, n) in stats.items():
                bn = PREFIX + scope + "/BatchNorm/"
                mm, mv = self.vars[bn + "moving_mean"], self.vars[bn + "moving_variance"]
                unbiased = var * self.c(n / max(n - 1, 1))
                mm.assign_sub((mm - mean) * one_minus)
                mv.assign_sub((mv - unbiased) * one_minus)
        return float(ce.numpy())

    def state(self):
        out = {n: v.numpy() for n, v in self.vars.items()}
        out.update({n: v.numpy() for n, v in self.slots.items()})
        return out


# ---------------------------------------------------------------------------
# Independent numpy float64 forward pass (--self-check)


def _np_same_pad(x, k, stride):
    n, h, w, c = x.shape
    pads = []
    for size in (h, w):
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)]), [-(-h // stride), -(-w // stride)]


def _np_patches(x, k, stride):
    xp, (oh, ow) = _np_same_pad(x, k, stride)
    cols = np.empty((x.shape[0], oh, ow, k, k, x.shape[3]))
    for i in range(k):
        for j in range(k):
            cols[:, :, :, i, j, :] = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
    return cols


def numpy_forward(tensors, eps, x, train):
    """Logits of TF-Slim's MobileNet v1, plain numpy float64."""
    t = {n: np.asarray(a, np.float64) for n, a in tensors.items()}
    x = np.asarray(x, np.float64)
    for scope, kind, stride in network(tensors):
        w = t[weight_name(scope, kind)]
        k = w.shape[0]
        if kind == "depthwise":
            x = np.einsum("nhwijc,ijc->nhwc", _np_patches(x, k, stride), w[:, :, :, 0])
        else:
            x = np.einsum("nhwijc,ijcd->nhwd", _np_patches(x, k, stride), w)
        bn = PREFIX + scope + "/BatchNorm/"
        if train:
            mean = x.mean(axis=(0, 1, 2))
            var = ((x - mean) ** 2).mean(axis=(0, 1, 2))
        else:
            mean, var = t[bn + "moving_mean"], t[bn + "moving_variance"]
        x = (x - mean) / np.sqrt(var + eps) * t[bn + "gamma"] + t[bn + "beta"]
        x = np.clip(x, 0.0, 6.0)
    x = x.mean(axis=(1, 2))
    return x @ t[LOGITS_W][0, 0] + t[LOGITS_B]


def numpy_loss(logits, labels, ls):
    k = logits.shape[1]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    targets = np.eye(k)[labels] * (1 - ls) + ls / k
    return float(-(targets * logp).sum(axis=1).mean())


def self_check(tf, tensors, eps, x, labels, options):
    worst = 0.0
    for mode in ("train", "frozen"):
        o = dict(options, batchnorm=mode)
        t = TFTrainer(tf, tensors, eps, o, np.float64)
        ce, _, _, logits = t.losses(tf.constant(x.astype(np.float64)), tf.constant(labels),
                                    mode == "train")
        ref = numpy_forward(tensors, eps, x, mode == "train")
        d_logits = float(np.max(np.abs(logits.numpy() - ref)) / np.max(np.abs(ref)))
        d_loss = abs(float(ce.numpy()) - numpy_loss(ref, labels, f32(o["label_smoothing"])))
        d_loss /= abs(float(ce.numpy()))
        print(f"self-check {mode}: TF f64 vs numpy f64: logits rel {d_logits:.2e}, loss rel {d_loss:.2e}")
        worst = max(worst, d_logits, d_loss)
        # Directional derivative of the full (L2-included) loss.
        watched = [t.vars[n] for n in t.trainable]
        xt = tf.constant(x.astype(np.float64))
        with tf.GradientTape() as tape:
            _, total, _, _ = t.losses(xt, labels, mode == "train")
        grads = tape.gradient(total, watched)
        rng = np.random.default_rng(0)
        dirs = [rng.standard_normal(v.shape) * 1e-8 for v in watched]  # ReLU6 kinks: tiny h
        g_dot = sum(float(np.sum(g.numpy() * d)) for g, d in zip(grads, dirs))
        base = [v.numpy() for v in watched]
        vals = []
        for sign in (1.0, -1.0):
            for v, b, d in zip(watched, base, dirs):
                v.assign(b + sign * d)
            vals.append(float(t.losses(xt, labels, mode == "train")[1].numpy()))
        for v, b in zip(watched, base):
            v.assign(b)
        fd = (vals[0] - vals[1]) / 2
        d_grad = abs(fd - g_dot) / abs(g_dot)
        print(f"self-check {mode}: directional derivative tape {g_dot:.9e} vs central "
              f"difference {fd:.9e}: rel {d_grad:.2e}")
        if d_grad > 1e-5:
            raise SystemExit("self-check failed: the tape gradient disagrees with finite differences")
    if worst > 1e-10:
        raise SystemExit(f"self-check failed: TF float64 vs numpy float64 differ by {worst:.3g}")
    print("self-check passed")


# ---------------------------------------------------------------------------
# Cases


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rel(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    nb = float(np.linalg.norm(b))
    na = float(np.linalg.norm(a - b))
    if nb == 0.0:
        return 0.0 if na == 0.0 else math.inf
    return na / nb


def run_case(tf, name, spec, out_dir, self_check_first=False):
    case_dir = os.path.join(out_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    init = spec["init"]
    meta_init = {}
    if isinstance(init, str):
        tensors, meta = safetensors_io.load(os.path.join(REPO, init))
        init_ref = os.path.relpath(os.path.join(REPO, init), case_dir)
        init_json = init_ref
        meta_init = {"sha256": sha256(os.path.join(REPO, init))}
    else:
        items, meta = random_init(init)
        tensors = dict(items)
        if spec.get("store_init"):
            path = os.path.join(case_dir, "init.safetensors")
            safetensors_io.save(path, items, meta)
            init_json = "init.safetensors"
        elif init is A025:
            init_json = A025_INIT
        else:
            init_json = {"random_init": init}
        tmp = safetensors_io.dumps(items, meta)
        meta_init = {"sha256": hashlib.sha256(tmp).hexdigest()}
    tensors = {n: np.array(a) for n, a in tensors.items()}
    eps = float(meta["batchnorm_epsilon"])
    num_classes = int(meta["num_classes"])

    options = dict(DEFAULTS, **spec["options"])
    steps, batch, h, w = spec["steps"], spec["batch"], spec["height"], spec["width"]
    fixtures_dir = os.path.join(REPO, "tests", "fixtures")
    if "inputs" in spec:
        inputs = np.stack([np.stack([fixture_input(s, fixtures_dir) for s in row])
                           for row in spec["inputs"]]).astype(np.float32)
        labels = np.asarray(spec["labels"], np.int32)
    else:
        rng = np.random.default_rng(spec["seed"])
        inputs = rng.uniform(-1.0, 1.0, (steps, batch, h, w, 3)).astype(np.float32)
        labels = rng.integers(0, num_classes, (steps, batch)).astype(np.int32)
    assert inputs.shape == (steps, batch, h, w, 3) and labels.shape == (steps, batch)

    if self_check_first:
        self_check(tf, tensors, eps, inputs[0], labels[0], options)

    runs = {}
    for dtype in (np.float64, np.float32):
        t = TFTrainer(tf, tensors, eps, options, dtype)
        before = t.state()
        losses = [t.step(inputs[i], labels[i]) for i in range(steps)]
        runs[dtype] = (np.asarray(losses, np.float64), before, t.state(), t)
    loss64, before64, after64, t64 = runs[np.float64]
    loss32, _, after32, _ = runs[np.float32]

    changed = list(t64.trainable) + list(t64.slots)
    if options["batchnorm"] == "train":
        changed += [n for n in tensors if n.endswith(("/moving_mean", "/moving_variance"))]
    all_names = list(tensors) + list(t64.slots)
    # Sanity: everything else kept its value bit for bit.
    for n in all_names:
        if n not in changed:
            assert np.array_equal(after64[n], before64[n]), n

    expected = {"loss": loss64, "f32:loss": loss32.astype(np.float32)}
    errors = {}
    for n in changed:
        errors[n] = rel(after32[n].astype(np.float64) - before64[n], after64[n] - before64[n])
        s = sample_stride(after64[n].shape)
        if s > 1:
            expected[n] = after64[n].reshape(-1)[::s].copy()
            expected["stride:" + n] = np.asarray(s, np.int64)
        else:
            expected[n] = after64[n]
    worst = max(errors, key=errors.get)
    loss_err = rel(loss32, loss64)
    np.savez_compressed(os.path.join(case_dir, "expected.npz"), **expected)
    batches = {"labels": labels}
    if "inputs" not in spec:
        batches["inputs"] = inputs
    np.savez_compressed(os.path.join(case_dir, "batches.npz"), **batches)

    case = {k: options[k] for k in DEFAULTS}
    case.update(steps=steps, batch=batch, height=h, width=w, init=init_json, **{
        "init_sha256": meta_init["sha256"],
        "num_classes": num_classes,
        "tf_f32_update_error": errors[worst],
        "tf_f32_update_error_tensor": worst,
        "tf_f32_loss_error": loss_err,
        "tensorflow": tf.__version__,
    })
    if "inputs" in spec:
        case["inputs"] = spec["inputs"]
    case["tf_f32_update_errors"] = {n: float(f"{errors[n]:.3g}") for n in changed}
    case["tensor_names"] = all_names
    with open(os.path.join(case_dir, "case.json"), "w") as f:
        json.dump(case, f, indent=1)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(case_dir, p)) for p in os.listdir(case_dir))
    print(f"{name}: losses {', '.join(f'{v:.6f}' for v in loss64)}; TF f32 vs f64: update "
          f"{errors[worst]:.3g} (worst {worst}), loss {loss_err:.3g}; {size} bytes")
    return case


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--self-check", action="store_true",
                    help="check the TF graph against a numpy float64 forward pass first")
    ap.add_argument("--only", nargs="*", default=None, help="cases to (re)write")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args(argv)
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    names = args.only if args.only else list(CASES)
    for i, name in enumerate(names):
        run_case(tf, name, CASES[name], args.out, self_check_first=args.self_check and i == 0)


if __name__ == "__main__":
    main()
