"""ONNX Runtime runs nullmark's exported models with nullmark's logits (within 1e-5).

Usage: onnx_runtime_check.py ONNX_FIXTURE REPO
For the digit model and ResNet-20 (random parameters and batch-norm statistics), onnx_fixture
writes the exported model, a batch and nullmark's logits; ONNX Runtime (PyPI onnxruntime) runs the
model on the batch, and the ONNX checker validates the file.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

fixture, repo = sys.argv[1:3]
models = [("digit", "experiments/configs/digit-clean.yaml", "1,28,28", 10),
          ("ResNet-20", "experiments/configs/object-clean.yaml", "3,32,32", 10)]
worst = 0.0
for name, config, shape, classes in models:
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([fixture, "export", os.path.join(repo, config), shape, str(classes), d], check=True)
        model = onnx.load(os.path.join(d, "model.onnx"))
        onnx.checker.check_model(model, full_check=True)
        dims = [int(v) for v in shape.split(",")]
        x = np.fromfile(os.path.join(d, "input.bin"), dtype=np.float32).reshape([-1] + dims)
        want = np.fromfile(os.path.join(d, "logits.bin"), dtype=np.float32).reshape(x.shape[0], classes)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        got = ort.InferenceSession(os.path.join(d, "model.onnx"), opts,
                                   providers=["CPUExecutionProvider"]).run(["logits"], {"input": x})[0]
        diff = float(np.max(np.abs(got - want)))
        print("%s: ONNX Runtime %s, max |logit difference| %.2e over %d x %d logits (largest |logit| %.2f)"
              % (name, ort.__version__, diff, want.shape[0], classes, float(np.max(np.abs(want)))))
        worst = max(worst, diff)
        if not diff <= 1e-5:
            sys.exit("%s: ONNX Runtime's logits differ from nullmark's by %.3g (> 1e-5)" % (name, diff))
print("ONNX Runtime agrees with nullmark within 1e-5 (worst %.2e)" % worst)
