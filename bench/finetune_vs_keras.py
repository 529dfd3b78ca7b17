#!/usr/bin/env python3
"""Head-only transfer learning, end to end: libmobilenet's "head" recipe
against TensorFlow Keras' transfer-learning recipe, on the same real images,
the same pretrained weights (the bundled MobileNet v1 1.0/224, loaded into
Keras' MobileNet), the same threads.

    bench/.venv/bin/python bench/finetune_vs_keras.py [--threads 2] [--keras-epochs 10]

Data: scikit-learn's digits (1,797 real 8x8 scans, 10 classes), upscaled to
224 x 224 RGB (nearest, values 0..16 -> 0..255), split 80/20 stratified
with a fixed seed.
- libmobilenet: Model.embed once per image, then the new Logits layer alone
  trains on the cached embeddings (mobilenet_trainer_step_embeddings, Adam,
  batch 32) for --epochs epochs.
- Keras (the tutorial recipe): MobileNet(include_top=False, pooling='avg')
  frozen, + Dense(10), Adam, batch 32, --keras-epochs epochs: every epoch
  runs the frozen base forward again.
Prints wall time, held-out accuracy and the ratio. Not run in CI.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
sys.path.insert(0, os.path.join(REPO, "tools"))
import mobilenet  # noqa: E402
import safetensors_io  # noqa: E402

MODEL = os.path.join(REPO, "models", "mobilenet_v1_1.0_224.safetensors")


def digits(seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    images = (d.images * (255.0 / 16.0)).astype(np.uint8)
    images = np.repeat(np.repeat(images, 28, axis=1), 28, axis=2)          # 8x8 -> 224x224, nearest
    images = np.repeat(images[..., None], 3, axis=3)                        # gray -> RGB
    return train_test_split(images, d.target.astype(np.int32), test_size=0.2, stratify=d.target,
                            random_state=seed)


def ours(train_x, test_x, train_y, test_y, threads, epochs):
    start = time.perf_counter()
    with mobilenet.load(MODEL, threads=threads, crop_fraction=1.0) as model:
        def embed(images):
            return np.concatenate([model.embed(list(images[i:i + 64])) for i in range(0, len(images), 64)])
        train_f, test_f = embed(train_x), embed(test_x)
    embedded = time.perf_counter()
    lib = mobilenet._native.lib()
    t = mobilenet.Trainer.load(MODEL, threads=threads, num_classes=10, trainable_from="Logits",
                               optimizer="adam", learning_rate=0.001, epsilon=1e-7, weight_decay=0.0)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(train_f))
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            t.step_embeddings(np.ascontiguousarray(train_f[idx]), train_y[idx])
    trained = time.perf_counter()
    _, correct = t.evaluate_embeddings(np.ascontiguousarray(test_f), test_y)
    t.close()
    del lib
    return {"embed s": embedded - start, "train s": trained - embedded, "total s": trained - start,
            "accuracy": correct / len(test_y)}


def keras(train_x, test_x, train_y, test_y, threads, epochs):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    start = time.perf_counter()
    base = tf.keras.applications.MobileNet(include_top=False, weights=None, input_shape=(224, 224, 3),
                                           pooling="avg")
    tensors, _ = safetensors_io.load(MODEL)
    p = "MobilenetV1/"
    for layer in base.layers:
        name = layer.name
        if name == "conv1":
            layer.set_weights([tensors[p + "Conv2d_0/weights"]])
        elif name.startswith("conv_dw_") and not name.endswith("_bn") and "pad" not in name and "relu" not in name:
            layer.set_weights([tensors[f"{p}Conv2d_{name[8:]}_depthwise/depthwise_weights"]])
        elif name.startswith("conv_pw_") and not name.endswith("_bn") and "relu" not in name:
            layer.set_weights([tensors[f"{p}Conv2d_{name[8:]}_pointwise/weights"]])
        elif name.endswith("_bn"):
            scope = {"conv1_bn": "Conv2d_0"}.get(name) or (
                f"Conv2d_{name[8:-3]}_depthwise" if name.startswith("conv_dw_") else f"Conv2d_{name[8:-3]}_pointwise")
            layer.set_weights([tensors[f"{p}{scope}/BatchNorm/{k}"] for k in
                               ("gamma", "beta", "moving_mean", "moving_variance")])
    base.trainable = False
    inputs = tf.keras.Input((224, 224, 3))
    x = tf.keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)  # preprocess_input, as a layer (Keras 3)
    outputs = tf.keras.layers.Dense(10)(base(x, training=False))
    net = tf.keras.Model(inputs, outputs)
    net.compile(optimizer=tf.keras.optimizers.Adam(0.001),
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    built = time.perf_counter()
    net.fit(train_x, train_y, batch_size=32, epochs=epochs, verbose=0)
    trained = time.perf_counter()
    _, accuracy = net.evaluate(test_x, test_y, batch_size=64, verbose=0)
    return {"build s": built - start, "train s": trained - built, "total s": trained - start, "accuracy": accuracy}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=30, help="libmobilenet head epochs (cheap)")
    ap.add_argument("--keras-epochs", type=int, default=10, help="the Keras tutorial's initial_epochs")
    args = ap.parse_args()
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    print(f"CPU: {cpu}, {os.cpu_count()} CPUs; load {os.getloadavg()}; threads {args.threads}")
    data = digits()
    print(f"digits: {len(data[0])} training and {len(data[1])} held-out images at 224x224")
    a = ours(*data, args.threads, args.epochs)
    print("libmobilenet head:", {k: round(v, 4) for k, v in a.items()})
    b = keras(*data, args.threads, args.keras_epochs)
    print(f"keras ({args.keras_epochs} epochs):", {k: round(v, 4) for k, v in b.items()})
    print(f"end to end: libmobilenet {a['total s']:.1f} s, keras {b['total s']:.1f} s: "
          f"{b['total s'] / a['total s']:.1f}x; accuracy {a['accuracy']:.4f} vs {b['accuracy']:.4f}; "
          f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
