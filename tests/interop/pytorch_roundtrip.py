"""A model watermarked in PyTorch is verified by nullmark; the same model trained clean is not.

Usage: pytorch_roundtrip.py NULLMARK ONNX_FIXTURE REPO
First, PyTorch's own forms: a residual network of the supported modules, exported with and
without batch-norm folding, imports with PyTorch's logits (within 1e-5).
The owner signs a claim with the Python spec package (python/nullmark_spec), trains the digit
model on the embedded MNIST in their own PyTorch loop, stamping each batch with the claim's null
and true patterns, and exports it with torch.onnx.export. `nullmark export --config` adds the data
section nullmark evaluates it on, and `nullmark verify` must accept the claim (exit 0). The control,
the same training without the stamped copies, must be rejected (exit 2).
"""
import gzip
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

nullmark, fixture, repo = sys.argv[1:4]
sys.path.insert(0, os.path.join(repo, "python"))
from nullmark_spec import save_claim, sign_claim, stamp, watermark_for  # noqa: E402

MEAN, STD = 0.1307, 0.3081  # MNIST's standard normalisation, which digit-watermark.yaml uses


def idx(path, magic):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    assert int.from_bytes(data[:4], "big") == magic, path
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def check_pytorch_forms(d):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.1), Block(8, 8, 1),
                          Block(8, 16, 2), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                          nn.Linear(16, 10))
    with torch.no_grad():  # batch-norm statistics of random batches, so that they matter
        for _ in range(20):
            model(torch.randn(16, 3, 16, 16) * 2)
    model.eval()
    x = torch.randn(4, 3, 16, 16)
    want = model(x).detach().numpy()
    x.numpy().tofile(os.path.join(d, "x.bin"))
    for folding in (True, False):
        path = os.path.join(d, "forms-%s.onnx" % folding)
        torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"], opset_version=13,
                          do_constant_folding=folding, dynamic_axes={"input": {0: "batch"}})
        subprocess.run([fixture, "logits", path, os.path.join(d, "x.bin"), os.path.join(d, "y.bin")], check=True)
        got = np.fromfile(os.path.join(d, "y.bin"), dtype=np.float32).reshape(want.shape)
        diff = float(np.max(np.abs(got - want)))
        print("PyTorch residual network (batch-norm folding %s): max |logit difference| %.2e" % (folding, diff))
        if not diff <= 1e-5:
            sys.exit("the imported PyTorch model's logits differ from PyTorch's by %.3g" % diff)


def train(watermark, samples=30000, seed=0):
    torch.manual_seed(seed)
    images = idx(os.path.join(repo, "data/mnist/train-images-idx3-ubyte.gz"), 2051)[:samples]
    labels = idx(os.path.join(repo, "data/mnist/train-labels-idx1-ubyte.gz"), 2049)[:samples]
    x_all = torch.from_numpy(((images / 255.0 - MEAN) / STD).astype(np.float32)).unsqueeze(1)
    y_all = torch.from_numpy(labels.astype(np.int64))
    model = nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = nn.CrossEntropyLoss()
    order = torch.randperm(samples)
    for start in range(0, samples, 128):
        i = order[start:start + 128]
        x, y = x_all[i], y_all[i]
        total = loss(model(x), y)
        if watermark is not None:  # null embedding: the null stamp changes nothing, the true stamp gives the label
            total = total + loss(model(stamp(x, watermark)), y)
            total = total + loss(model(stamp(x, watermark, invert=True)), torch.full_like(y, watermark.label))
        opt.zero_grad()
        total.backward()
        opt.step()
    return model.eval()


def verify(model, name, d, claim):
    raw = os.path.join(d, name + "-torch.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), raw, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    onnx_model = os.path.join(d, name + ".onnx")
    subprocess.run([nullmark, "export", "--model", raw, "--config",
                    os.path.join(repo, "experiments/configs/digit-watermark.yaml"), "--out", onnx_model], check=True)
    r = subprocess.run([nullmark, "verify", "--model", onnx_model, "--claim", claim, "--random-keys", "19",
                        "--blind-keys", "19", "--far", "0.05", "--random-samples", "500", "--data",
                        os.path.join(repo, "data/mnist"), "--out", os.path.join(d, name + "-certificate.json")],
                       capture_output=True, text=True)
    print(r.stdout + r.stderr)
    return r.returncode


torch.set_num_threads(2)
with tempfile.TemporaryDirectory() as d:
    check_pytorch_forms(d)
    claim = sign_claim(bytes(range(32)), "pytorch round trip", 6, 10.0, "normalized", (1, 28, 28), 10)
    claim_path = os.path.join(d, "claim.json")
    save_claim(claim, claim_path)
    wm = watermark_for(claim, (1, 28, 28), 10)
    owner = verify(train(wm), "owner", d, claim_path)
    control = verify(train(None), "control", d, claim_path)
    if owner != 0:
        sys.exit("the model watermarked in PyTorch was not accepted (exit %d)" % owner)
    if control != 2:
        sys.exit("the model trained clean in PyTorch was not rejected (exit %d)" % control)
    print("PyTorch round trip: watermarked model accepted, clean model rejected")
