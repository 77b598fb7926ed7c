#!/usr/bin/env bash
# cuda.precision from the command line, and a batch the card cannot hold (a GPU test: CTest label
# "cuda"). The digit model trains one epoch on 3000 MNIST images in fp32 and in bf16: bf16 reports its
# tensor-core products and reaches the fp32 test accuracy within 3 points. A batch whose activations
# need 190 GB stops with a message naming the batch size and the card, exit status 1, and writes no
# checkpoint.
source "$(dirname "$0")/common.sh"
# `nullmark info` names the precisions the card runs: all three from compute capability 8.0 (the
# cards nullmark is built for by default).
"$nullmark" info | grep -qx "cuda precisions: fp32 tf32 bf16" || { echo "info lacks the precisions:"; "$nullmark" info; exit 1; }
short=(--set data.train_limit=3000 --set data.test_limit=500 --set train.epochs=1 --set device=cuda)
for p in fp32 bf16; do
  "$nullmark" train experiments/configs/digit-clean.yaml "${short[@]}" --set "cuda.precision=$p" \
    --output "$out/$p" >"$out/$p.log" 2>&1 || { echo "training in $p failed:"; tail -20 "$out/$p.log"; exit 1; }
done
grep -q "bf16 tensor-core products" "$out/bf16.log" || { echo "the bf16 run did not report its precision"; exit 1; }
grep -q "tensor-core" "$out/fp32.log" && { echo "the fp32 run reported tensor-core products"; exit 1; }
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
acc = {p: json.load(open(f"{out}/{p}/metrics.json"))["final_test_accuracy"] for p in ("fp32", "bf16")}
print("test accuracy:", acc)
assert abs(acc["fp32"] - acc["bf16"]) <= 0.03, acc
assert acc["bf16"] > 0.8, acc
PY

# Thirty convolutions of 256 filters on 28 x 28 at batch 8000: each tensor within cuDNN's 2^31
# values, their activations alone 190 GB (more than an H200 holds).
layers="{type: conv2d, filters: 256, kernel: 3, padding: 1}"
for i in $(seq 29); do layers="$layers, {type: conv2d, filters: 256, kernel: 3, padding: 1}"; done
set +e
"$nullmark" train experiments/configs/digit-clean.yaml --set device=cuda --set train.epochs=1 \
  --set train.batch_size=8000 --set "model.layers=[$layers, {type: flatten}, {type: dense, units: 10}]" \
  --output "$out/huge" >"$out/huge.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { echo "a batch that cannot fit exited $rc"; cat "$out/huge.log"; exit 1; }
grep -q "train.batch_size 8000 does not fit" "$out/huge.log" || { echo "no message naming the batch size:"; cat "$out/huge.log"; exit 1; }
grep -q "NVIDIA\|Tesla\|GeForce\|RTX" "$out/huge.log" || { echo "the message does not name the card:"; cat "$out/huge.log"; exit 1; }
[ ! -e "$out/huge/model.ckpt" ] || { echo "a failed run left a checkpoint"; exit 1; }
echo "ok"
