#!/usr/bin/env python3
"""PyTorch baseline for bench/bench_train_digit: the identical model, batch size, optimizer and
thread count, timed the same way (training steps after warm-up). --model fast: the network of
experiments/configs/object-fast.yaml with its optimizer and label smoothing. --model digit (the default):
experiments/configs/digit-*.yaml, Adam, on normalised MNIST. --model object: the ResNet-20 of
experiments/configs/object-clean.yaml (3x3 padded convolutions without bias, batch norm, projection
shortcuts, global average pooling), SGD with Nesterov momentum 0.9 and weight decay 5e-4 on the
weights only, on CIFAR-shaped random data (the timing does not depend on the values; nullmark's step
also runs its crop/flip augmentation, which this one does not).

Usage: python3 bench/pytorch_train.py [--model digit|object] [--threads N] [--batch 128] [--steps 200]
                                      [--device cpu|cuda] [--compile [--compile-mode MODE]] [--watermark]
                                      [--tf32] [--amp bf16|fp16] [--channels-last] [--json OUT]
On the GPU the math is float32 as nullmark's default (cuda.precision fp32): PyTorch's cuDNN
convolutions would otherwise use TF32 tensor cores, its default; --tf32 allows them. --amp runs the
forward pass under autocast (fp16 with a gradient scaler), --channels-last stores activations NHWC
(what tensor-core convolutions prefer), --compile-mode picks torch.compile's mode (reduce-overhead
captures CUDA graphs). cuDNN picks its fastest algorithm for the fixed shapes (cudnn.benchmark), so
each baseline runs at its best.
Not part of CI: PyTorch comes from Debian's python3-torch (CPU) or the GPU machine's install.
"""
import argparse, gzip, json, os, struct, sys, time

import numpy as np
import torch
import torch.nn as nn


def load_mnist_images(path, limit):
    with gzip.open(path, "rb") as f:
        magic, n, h, w = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, f"{path}: not an IDX image file"
        n = min(n, limit)
        x = np.frombuffer(f.read(n * h * w), dtype=np.uint8).reshape(n, 1, h, w)
    return (x.astype(np.float32) / 255.0 - 0.1307) / 0.3081


def load_mnist_labels(path, limit):
    with gzip.open(path, "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        assert magic == 0x801, f"{path}: not an IDX label file"
        n = min(n, limit)
        return np.frombuffer(f.read(n), dtype=np.uint8).astype(np.int64)


def digit_model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


class Block(nn.Module):
    """A ResNet basic block: conv-bn-relu-conv-bn plus the shortcut (a 1x1 strided conv + bn where the
    shape changes), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Sequential() if stride == 1 and cin == cout else
                         nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def object_model():
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(Block(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def fast_model():
    """experiments/configs/object-fast.yaml: three groups of conv -> max-pool -> bn-relu -> conv -> bn-relu."""
    def conv(cin, cout):
        return nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
    layers = [conv(3, 32), nn.BatchNorm2d(32), nn.ReLU()]
    cin = 32
    for cout in (64, 256, 256):
        layers += [conv(cin, cout), nn.MaxPool2d(2), nn.BatchNorm2d(cout), nn.ReLU(),
                   conv(cout, cout), nn.BatchNorm2d(cout), nn.ReLU()]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10, bias=False)]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["digit", "object", "fast"], default="digit")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2.x)")
    ap.add_argument("--watermark", action="store_true",
                    help="each step trains clean + null-stamped + true-stamped copies (3x batch)")
    ap.add_argument("--watermark-fraction", type=float, default=1.0,
                    help="stamped copies of this share of each batch (the configs' null_fraction and true_fraction: "
                         "1 for digit, 0.5 for the CIFAR-10 models)")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 tensor cores in cuDNN and cuBLAS (GPU)")
    ap.add_argument("--amp", choices=["bf16", "fp16"], help="autocast the forward pass (GPU)")
    ap.add_argument("--channels-last", action="store_true", help="NHWC activations and weights")
    ap.add_argument("--compile-mode", default="default",
                    choices=["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "data", "mnist"))
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = True
    need = (a.steps + a.warmup) * a.batch
    if a.model == "digit":
        x = torch.from_numpy(load_mnist_images(os.path.join(a.data, "train-images-idx3-ubyte.gz"), 60000))
        y = torch.from_numpy(load_mnist_labels(os.path.join(a.data, "train-labels-idx1-ubyte.gz"), 60000))
    else:
        x = torch.randn(4 * a.batch, 3, 32, 32)  # batches cycle through these
        y = torch.randint(0, 10, (x.shape[0],))
    dev = torch.device(a.device)
    x, y = x.to(dev), y.to(dev)
    model = {"digit": digit_model, "object": object_model, "fast": fast_model}[a.model]().to(dev)
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if a.compile:
        model = torch.compile(model, mode=a.compile_mode)
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.amp)
    scaler = torch.cuda.amp.GradScaler() if a.amp == "fp16" else None
    if a.model == "digit":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:  # decay on conv and dense weights only, as the config's weight_decay_groups say
        decay = [p for n, p in model.named_parameters() if p.dim() > 1]
        rest = [p for n, p in model.named_parameters() if p.dim() <= 1]
        opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": rest, "weight_decay": 0.0}],
                              lr=0.1, momentum=0.9, nesterov=True)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2 if a.model == "fast" else 0.0)
    # A fixed pattern stands in for the derived one: the cost is the same.
    side = 28 if a.model == "digit" else 32
    mask = torch.zeros(1, 1, side, side, dtype=torch.bool, device=dev)
    mask[..., 22:28, 0:6] = True
    bits = (torch.rand(1, 1, side, side, device=dev) > 0.5).float() * 4000.0 - 2000.0

    def step(i):
        j = (i * a.batch) % (x.shape[0] - a.batch)
        xb, yb = x[j:j + a.batch], y[j:j + a.batch]
        if a.watermark:
            k = max(1, int(round(a.batch * a.watermark_fraction)))
            xn = torch.where(mask, bits, xb[:k])
            xt = torch.where(mask, -bits, xb[:k])
            yk = yb[:k]
            xb = torch.cat([xb, xn, xt])
            yb = torch.cat([yb, yk, torch.full_like(yk, 3)])
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            loss = loss_fn(model(xb), yb)
        if scaler:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        return loss

    for i in range(a.warmup):
        step(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(a.steps):
        loss = step(a.warmup + i)
    loss.item()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    # images_per_s counts clean images (an epoch's progress), as bench_train_digit does; a watermarked
    # step trains three times as many, reported as trained_images_per_s.
    clean = a.steps * a.batch
    variant = (f" compile {a.compile_mode}" if a.compile else " eager") + (f" amp {a.amp}" if a.amp else "") + \
        (" channels-last" if a.channels_last else "")
    res = {"framework": f"pytorch {torch.__version__}" + variant, "model": a.model, "amp": a.amp,
           "channels_last": a.channels_last, "compile_mode": a.compile_mode if a.compile else None,
           "device": a.device, "threads": a.threads, "batch": a.batch, "watermark": a.watermark,
           "steps": a.steps, "tf32": a.tf32 if dev.type == "cuda" else None,
           "cudnn_benchmark": True if dev.type == "cuda" else None, "seconds": secs, "images_per_s": clean / secs,
           "watermark_fraction": a.watermark_fraction if a.watermark else None,
           "trained_images_per_s": clean * (1 + 2 * a.watermark_fraction if a.watermark else 1) / secs}
    print(json.dumps(res))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
