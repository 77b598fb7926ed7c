#!/usr/bin/env bash
# ONNX through the command line: a watermarked checkpoint exported to ONNX evaluates, verifies and
# is attacked (quantisation, fine-tuning) with exactly the checkpoint's numbers, trains further with
# --init, and is re-exported unchanged; bad exports and hostile model files are refused with a
# message and nothing written.
source "$(dirname "$0")/common.sh"
tiny=(--set data.train_limit=3000 --set data.test_limit=500 --set train.epochs=1 --quiet)
"$nullmark" train experiments/configs/digit-watermark.yaml "${tiny[@]}" --output "$out/wm" >/dev/null
ckpt=$out/wm/model.ckpt
claim=experiments/claims/demo-digit-lambda10.json

"$nullmark" export --model "$ckpt" --claim "$claim" --out "$out/wm.onnx" | grep -q "with its data section, with the claim"
python3 - "$out/wm.onnx" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
for key in (b"nullmark.data", b"nullmark.claim", b"nullmark.source", b"nullmark.model"):
    assert key in data, key
PY
# Evaluation: the same accuracy and loss, to the printed digit.
[ "$("$nullmark" eval "$ckpt" | sed 's/^[^ ]* //')" = "$("$nullmark" eval "$out/wm.onnx" | sed 's/^[^ ]* //')" ] ||
  { echo "eval of the ONNX model differs from the checkpoint's"; exit 1; }
# Verification: the same measurements and decision.
measure=(--claim "$claim" --random-keys 9 --blind-keys 9 --far 0.1 --random-samples 200)
"$nullmark" verify --model "$ckpt" "${measure[@]}" --out "$out/c1.json" >"$out/v1.txt" 2>/dev/null || true
"$nullmark" verify --model "$out/wm.onnx" "${measure[@]}" --out "$out/c2.json" >"$out/v2.txt" 2>/dev/null || true
grep -q "^decision" "$out/v1.txt"
diff <(grep -E "^(claimed|random|blind|decision)" "$out/v1.txt") <(grep -E "^(claimed|random|blind|decision)" "$out/v2.txt")
# Attacks: quantisation and fine-tuning give the checkpoint's tables.
for src in ckpt onnx; do
  model=$ckpt
  [ $src = onnx ] && model=$out/wm.onnx
  common=(--set "model=$model" --set eval_samples=300)
  "$nullmark" run experiments/configs/quantize-digit.yaml "${common[@]}" --output "$out/q-$src" >/dev/null 2>&1
  "$nullmark" run experiments/configs/finetune-digit.yaml "${common[@]}" --set finetune.data_fraction=0.01 \
    --set finetune.epochs=1 --set "finetune.modes=[FTLL, RTAL]" --output "$out/f-$src" >/dev/null 2>&1
done
cmp "$out/q-ckpt/quantize.csv" "$out/q-onnx/quantize.csv"
cmp "$out/f-ckpt/finetune_summary.csv" "$out/f-onnx/finetune_summary.csv"
# Further training from the ONNX model, and a re-export that changes nothing in the graph.
"$nullmark" train experiments/configs/digit-watermark.yaml "${tiny[@]}" --init "$out/wm.onnx" --output "$out/more" >/dev/null 2>&1
[ -s "$out/more/model.ckpt" ]
"$nullmark" export --model "$out/wm.onnx" --out "$out/again.onnx" >/dev/null
[ "$("$nullmark" eval "$out/again.onnx" | sed 's/^[^ ]* //')" = "$("$nullmark" eval "$ckpt" | sed 's/^[^ ]* //')" ]

# Refusals, each with nothing written or replaced.
expect() {  # PATTERN COMMAND...: the command fails (exit 1) with PATTERN in its message
  local pattern=$1
  shift
  set +e
  "$@" >"$out/err.txt" 2>&1
  local rc=$?
  set -e
  [ $rc -eq 1 ] && grep -qE "$pattern" "$out/err.txt" || { echo "expected exit 1 and /$pattern/ from: $*"; cat "$out/err.txt"; exit 1; }
}
before=$(sha256sum "$ckpt" "$out/wm.onnx")
expect "exists; pass --force" "$nullmark" export --model "$ckpt" --out "$out/wm.onnx"
expect "is a .*checkpoint|outputs never replace" "$nullmark" export --model "$out/wm.onnx" --out "$ckpt" --force
[ "$before" = "$(sha256sum "$ckpt" "$out/wm.onnx")" ] || { echo "a refused export replaced a file"; exit 1; }
"$nullmark" keygen --out "$out/k" >/dev/null
"$nullmark" sign --key "$out/k.key" --verifier x --input 3,32,32 --classes 10 --out "$out/cifar-claim.json" >/dev/null
expect "claim is made for another model shape" "$nullmark" export --model "$ckpt" --claim "$out/cifar-claim.json" --out "$out/x.onnx"
[ ! -e "$out/x.onnx" ]
head -c 3000 "$out/wm.onnx" >"$out/truncated.onnx"
expect "truncated.onnx: not an ONNX model" "$nullmark" eval "$out/truncated.onnx"
printf 'plain text, not a model' >"$out/text.onnx"
expect "text.onnx: not an ONNX model" "$nullmark" eval "$out/text.onnx"
expect "torch-view.onnx: node '/Pad' \(Pad\): operator 'Pad' is not supported" \
  "$nullmark" export --model fuzz/corpus/fuzz_onnx/torch-view.onnx --out "$out/y.onnx"
expect "names no data set.*nullmark export" "$nullmark" eval fuzz/corpus/fuzz_onnx/torch-sequential.onnx
expect "differs from the model section" "$nullmark" train experiments/configs/digit-watermark.yaml "${tiny[@]}" \
  --init fuzz/corpus/fuzz_onnx/torch-sequential.onnx --output "$out/bad"
[ ! -e "$out/bad/model.ckpt" ]
echo "ONNX command-line test passed"
